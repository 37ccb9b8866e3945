"""DataLoader in the main process against torch: batches, order, lengths, errors."""

import re

import numpy as np
import pytest
from data_compare import check_error_same, check_same


def tensor_ds(lib, data, n=10):
    x = lib.tensor(np.arange(n * 3, dtype=np.float32).reshape(n, 3))
    return data.TensorDataset(x, lib.tensor(np.arange(n)))


class Records:
    """A plain map-style dataset of dict samples (no Dataset base class needed)."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return {"id": i, "x": np.full(2, i, dtype=np.float32), "name": f"r{i}", "w": i / 2}

    def __len__(self):
        return self.n


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 12])
def test_sequential_batches(batch_size, drop_last):
    check_same(lambda lib, data: [len(loader := data.DataLoader(
        tensor_ds(lib, data), batch_size=batch_size, drop_last=drop_last)), list(loader)])


def test_shuffle_with_generator_gives_torchs_order():
    def fn(lib, data):
        g = lib.Generator().manual_seed(42)
        loader = data.DataLoader(tensor_ds(lib, data, 11), batch_size=4, shuffle=True, generator=g)
        return [list(loader), list(loader)]  # two epochs, different orders
    (e1, e2), _ = check_same(fn)
    assert sorted(np.concatenate([b[1].numpy() for b in e1]).tolist()) == list(range(11))


def test_shuffle_with_default_generator_gives_torchs_order_and_state():
    """Each epoch draws a base seed, then RandomSampler draws its seed: the default
    generator is left where torch's is."""
    def fn(lib, data):
        lib.manual_seed(0)
        loader = data.DataLoader(tensor_ds(lib, data), batch_size=3, shuffle=True)
        return [list(loader), list(loader), lib.rand(4)]
    check_same(fn)


def test_dict_samples_and_default_collate():
    check_same(lambda lib, data: list(data.DataLoader(Records(5), batch_size=2)))


def test_batch_size_none_converts_each_sample():
    check_same(lambda lib, data: list(data.DataLoader(Records(3), batch_size=None)))
    check_same(lambda lib, data: list(data.DataLoader(tensor_ds(lib, data, 3), batch_size=None)))


def test_sampler_batch_sampler_and_collate_fn():
    def fn(lib, data):
        ds = tensor_ds(lib, data)
        a = list(data.DataLoader(ds, batch_size=2, sampler=[9, 0, 5, 1, 2]))
        b = list(data.DataLoader(ds, batch_sampler=[[3, 1], [0], [7, 8, 9]]))
        c = list(data.DataLoader(range(7), batch_size=3, collate_fn=lambda xs: sum(xs)))
        d = list(data.DataLoader(ds, sampler=data.SubsetRandomSampler(
            [1, 4, 6], generator=lib.Generator().manual_seed(1)), batch_size=2))
        return [a, b, c, d]
    check_same(fn)


def test_len_of_loader():
    def fn(lib, data):
        class Stream(data.IterableDataset):
            def __iter__(self):
                return iter(range(7))

            def __len__(self):
                return 7
        return [len(data.DataLoader(range(10), batch_size=3)),
                len(data.DataLoader(range(10), batch_size=3, drop_last=True)),
                len(data.DataLoader(range(10), batch_size=None)),
                len(data.DataLoader(Stream(), batch_size=2)),
                len(data.DataLoader(Stream(), batch_size=2, drop_last=True)),
                len(data.DataLoader(range(10), batch_sampler=[[0], [1, 2]]))]
    check_same(fn)


@pytest.mark.parametrize("drop_last", [False, True])
def test_iterable_dataset(drop_last):
    def fn(lib, data):
        class Stream(data.IterableDataset):
            def __iter__(self):
                return iter(lib.tensor([float(i), -float(i)]) for i in range(7))
        return [list(data.DataLoader(Stream(), batch_size=3, drop_last=drop_last)),
                list(data.DataLoader(Stream(), batch_size=None))]
    check_same(fn)


def test_iterable_dataset_len_warning():
    import ember

    class Stream(ember.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(5))

        def __len__(self):
            return 2
    loader = ember.utils.data.DataLoader(Stream(), batch_size=None)
    len(loader)
    with pytest.warns(UserWarning, match="was reported to be 2"):
        list(loader)


def test_pin_memory_is_accepted_on_cpu():
    def fn(lib, data):
        with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no "
                                             "accelerator is found"):
            return list(data.DataLoader(tensor_ds(lib, data, 4), batch_size=2, pin_memory=True))
    check_same(fn)


def _strip_addresses(msg):
    return re.sub(r" object at 0x[0-9a-f]+", "", msg).replace("torch.utils.data", "X").replace(
        "ember.utils.data", "X")


@pytest.mark.parametrize("kwargs", [
    {"batch_size": None, "drop_last": True},
    {"sampler": [0, 1], "shuffle": True},
    {"batch_sampler": [[0]], "batch_size": 2},
    {"batch_sampler": [[0]], "shuffle": True},
    {"batch_sampler": [[0]], "drop_last": True},
    {"batch_sampler": [[0]], "sampler": [0]},
    {"num_workers": -1},
    {"timeout": -1},
    {"prefetch_factor": 2},
    {"num_workers": 1, "prefetch_factor": -1},
    {"persistent_workers": True},
    {"multiprocessing_context": "fork"},
    {"num_workers": 1, "multiprocessing_context": "no-such-method"},
    {"num_workers": 1, "multiprocessing_context": 3},
])
def test_argument_errors(kwargs):
    check_error_same(lambda lib, data: data.DataLoader(range(4), **kwargs), _strip_addresses)


@pytest.mark.parametrize("kwargs", [{"shuffle": True}, {"sampler": [0]},
                                    {"batch_sampler": [[0]]}])
def test_iterable_dataset_argument_errors(kwargs):
    def fn(lib, data):
        class Stream(data.IterableDataset):
            def __iter__(self):
                return iter(range(3))
        data.DataLoader(Stream(), **kwargs)
    check_error_same(fn, _strip_addresses)


@pytest.mark.parametrize("attr", ["batch_size", "sampler", "dataset", "drop_last"])
def test_attributes_frozen_after_init(attr):
    def fn(lib, data):
        loader = data.DataLoader(range(4))
        setattr(loader, attr, None)
    check_error_same(fn)


def test_get_worker_info_is_none_in_main_process():
    import ember
    assert ember.utils.data.get_worker_info() is None
    seen = []

    class Probe(ember.utils.data.Dataset):
        def __getitem__(self, i):
            seen.append(ember.utils.data.get_worker_info())
            return i

        def __len__(self):
            return 2
    list(ember.utils.data.DataLoader(Probe()))
    assert seen == [None, None]
