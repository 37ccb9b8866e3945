"""DataLoader with worker processes: same batches as in-process loading and as torch,
worker info and seeding, IterableDataset sharding, errors, timeouts and shutdown."""

import math
import os
import time

import numpy as np
import pytest
from data_compare import assert_same, check_same

import ember


def tensor_ds(lib, data, n=13):
    x = lib.tensor(np.arange(n * 2, dtype=np.float32).reshape(n, 2))
    return data.TensorDataset(x, lib.tensor(np.arange(n)))


def loader_batches(lib, data, **kwargs):
    return list(data.DataLoader(tensor_ds(lib, data), **kwargs))


@pytest.mark.parametrize("num_workers", [1, 3])
def test_workers_return_the_single_process_batches_in_order(num_workers):
    def fn(lib, data):
        single = loader_batches(lib, data, batch_size=3, shuffle=True,
                                generator=lib.Generator().manual_seed(4))
        multi = loader_batches(lib, data, batch_size=3, shuffle=True, num_workers=num_workers,
                               generator=lib.Generator().manual_seed(4))
        return single, multi
    (single, multi), (torch_single, torch_multi) = check_same(fn)
    assert_same(multi, torch_single)


def test_workers_with_prefetch_factor_one_and_drop_last():
    check_same(lambda lib, data: loader_batches(lib, data, batch_size=4, num_workers=2,
                                                prefetch_factor=1, drop_last=True))


class WorkerProbe:
    """Each sample records which worker read it and that worker's random draws."""

    def __init__(self, lib):
        self.lib = lib

    def __getitem__(self, i):
        data = self.lib.utils.data
        info = data.get_worker_info()
        return {"i": i, "id": info.id, "num_workers": info.num_workers,
                "same_dataset": info.dataset is self, "rand": self.lib.rand(2),
                "np": float(np.random.rand())}

    def __len__(self):
        return 8


def test_worker_info_and_seeds_match_torch():
    """Worker w is seeded with base_seed + w (ember's generator and NumPy's legacy RNG
    exactly as torch seeds them), and worker_init_fn runs first in each worker."""
    def fn(lib, data):
        seeds = []

        def init(worker_id):
            info = data.get_worker_info()
            assert info.id == worker_id and info.seed == info.seed
        loader = data.DataLoader(WorkerProbe(lib), batch_size=2, num_workers=2,
                                 worker_init_fn=init, generator=lib.Generator().manual_seed(9))
        out = list(loader)
        return out, seeds
    (e, _), (t, _) = check_same(fn)
    assert [b["id"].tolist() for b in e] == [[0, 0], [1, 1], [0, 0], [1, 1]]


def test_worker_seed_is_base_seed_plus_id():
    class Seeds(ember.utils.data.Dataset):
        def __getitem__(self, i):
            info = ember.utils.data.get_worker_info()
            return info.seed - info.id

        def __len__(self):
            return 4
    out = ember.utils.data.DataLoader(Seeds(), num_workers=2, batch_size=None)
    assert len(set(out)) == 1


def test_worker_init_fn_can_reconfigure_the_dataset_copy():
    def fn(lib, data):
        class Scaled:
            factor = 1

            def __getitem__(self, i):
                return i * self.factor

            def __len__(self):
                return 6

        def init(worker_id):
            data.get_worker_info().dataset.factor = 10 * (worker_id + 1)
        return list(data.DataLoader(Scaled(), batch_size=2, num_workers=2, worker_init_fn=init))
    check_same(fn)


def make_range_stream(data):
    class RangeStream(data.IterableDataset):
        """torch's documented sharding example: each worker reads its own slice."""

        def __init__(self, start, end):
            self.start, self.end = start, end

        def __iter__(self):
            info = data.get_worker_info()
            if info is None:
                return iter(range(self.start, self.end))
            per_worker = int(math.ceil((self.end - self.start) / float(info.num_workers)))
            lo = self.start + info.id * per_worker
            return iter(range(lo, min(lo + per_worker, self.end)))
    return RangeStream


@pytest.mark.parametrize("batch_size", [None, 2])
def test_iterable_dataset_sharded_with_get_worker_info(batch_size):
    def fn(lib, data):
        stream = make_range_stream(data)(3, 14)
        return [list(data.DataLoader(stream, batch_size=batch_size, num_workers=3)),
                list(data.DataLoader(stream, batch_size=batch_size))]
    (multi, single), _ = check_same(fn)

    def flat(batches):
        return sorted(int(v) for b in batches for v in np.atleast_1d(np.asarray(b)))
    assert flat(multi) == flat(single) == list(range(3, 14))


def test_iterable_dataset_without_sharding_repeats_per_worker():
    def fn(lib, data):
        class Plain(data.IterableDataset):
            def __iter__(self):
                return iter(range(3))
        return list(data.DataLoader(Plain(), batch_size=None, num_workers=2))
    check_same(fn)


class Failing:
    def __init__(self, exc):
        self.exc = exc

    def __getitem__(self, i):
        if i == 3:
            raise self.exc
        return i

    def __len__(self):
        return 6


@pytest.mark.parametrize("exc", [ValueError("bad sample 3"), KeyError("missing"),
                                 ZeroDivisionError("division by zero")])
def test_worker_exception_is_reraised_with_worker_id(exc):
    for lib in (ember, __import__("torch")):
        it = iter(lib.utils.data.DataLoader(Failing(exc), batch_size=2, num_workers=2))
        with pytest.raises(type(exc)) as info:
            list(it)
        it._shutdown_workers()
        msg = str(info.value)
        assert f"Caught {type(exc).__name__} in DataLoader worker process 1." in msg
        assert "Original Traceback (most recent call last):" in msg
        assert str(exc.args[0]) in msg


def test_worker_init_fn_exception_is_reraised():
    def init(worker_id):
        raise RuntimeError(f"init failed in {worker_id}")
    it = iter(ember.utils.data.DataLoader(range(4), num_workers=1, worker_init_fn=init))
    with pytest.raises(RuntimeError, match="Caught RuntimeError in DataLoader worker process 0"):
        list(it)
    it._shutdown_workers()


class Slow:
    def __getitem__(self, i):
        time.sleep(0.6)
        return i

    def __len__(self):
        return 2


def test_timeout_raises_torchs_error():
    it = iter(ember.utils.data.DataLoader(Slow(), num_workers=1, timeout=0.1))
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.1 seconds$"):
        next(it)
    it._shutdown_workers()
    assert not any(w.is_alive() for w in it._workers)


def test_workers_shut_down_after_the_epoch_and_when_abandoned():
    loader = ember.utils.data.DataLoader(range(6), batch_size=2, num_workers=2)
    it = iter(loader)
    assert list(it) and all(not w.is_alive() for w in it._workers)
    it = iter(loader)
    next(it)
    workers = it._workers
    it._shutdown_workers()
    assert all(not w.is_alive() for w in workers)


class Pids:
    def __getitem__(self, i):
        return os.getpid()

    def __len__(self):
        return 4


def test_persistent_workers_are_reused_across_epochs():
    loader = ember.utils.data.DataLoader(Pids(), batch_size=None, num_workers=2,
                                         persistent_workers=True)
    first, second = list(loader), list(loader)
    assert first == second and len(set(first)) == 2 and os.getpid() not in first
    workers = loader._iterator._workers
    assert all(w.is_alive() for w in workers)
    loader._iterator._shutdown_workers()
    assert all(not w.is_alive() for w in workers)


def test_persistent_workers_same_batches_as_torch():
    def fn(lib, data):
        loader = data.DataLoader(tensor_ds(lib, data, 7), batch_size=3, shuffle=True,
                                 num_workers=2, persistent_workers=True,
                                 generator=lib.Generator().manual_seed(1))
        out = [list(loader), list(loader)]
        loader._iterator._shutdown_workers()
        return out
    check_same(fn)


def test_too_many_workers_warns_like_torch():
    n = len(os.sched_getaffinity(0)) + 1
    messages = []
    for lib in (ember, __import__("torch")):
        with pytest.warns(UserWarning, match="worker processes in total") as record:
            lib.utils.data.DataLoader(range(3), num_workers=n)
        messages.append([str(w.message) for w in record if "in total" in str(w.message)][0])
    assert messages[0] == messages[1]


class Delayed:
    """Sample 0 is slow, so with in_order=False the other batches overtake it."""

    def __getitem__(self, i):
        if i == 0:
            time.sleep(0.5)
        return i

    def __len__(self):
        return 6


def test_in_order_false_yields_batches_as_they_arrive():
    out = list(ember.utils.data.DataLoader(Delayed(), batch_size=None, num_workers=2,
                                           in_order=False))
    assert sorted(out) == list(range(6)) and out[0] != 0
    out = list(ember.utils.data.DataLoader(Delayed(), batch_size=None, num_workers=2))
    assert out == list(range(6))


def test_timeout_without_workers_is_refused_like_torch():
    for lib in (ember, __import__("torch")):
        with pytest.raises(AssertionError, match="requires timeout == 0"):
            iter(lib.utils.data.DataLoader(range(3), timeout=1))
