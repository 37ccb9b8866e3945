"""Samplers against torch.utils.data: same indices for the same generator seed."""

import numpy as np
import pytest
from data_compare import check_error_same, check_same

import ember


def gen(lib, seed=5):
    return lib.Generator().manual_seed(seed)


def test_sequential_sampler():
    check_same(lambda lib, data: [list(data.SequentialSampler(range(5))),
                                  len(data.SequentialSampler(range(5)))])


@pytest.mark.parametrize("num_samples", [None, 3, 10, 23])
def test_random_sampler_without_replacement(num_samples):
    def fn(lib, data):
        s = data.RandomSampler(range(10), num_samples=num_samples, generator=gen(lib))
        return [list(s), list(s), len(s)]
    e, _ = check_same(fn)
    if num_samples is None:
        assert sorted(e[0]) == list(range(10))


@pytest.mark.parametrize("num_samples", [5, 32, 70])
def test_random_sampler_with_replacement(num_samples):
    """Drawn in chunks of 32 with randint, as torch does."""
    def fn(lib, data):
        s = data.RandomSampler(range(7), replacement=True, num_samples=num_samples,
                               generator=gen(lib))
        return [list(s), len(s)]
    e, _ = check_same(fn)
    assert all(0 <= i < 7 for i in e[0])


def test_random_sampler_default_generator():
    """Without a generator a seed is drawn from the default generator each epoch."""
    def fn(lib, data):
        lib.manual_seed(11)
        s = data.RandomSampler(range(8))
        return [list(s), list(s), lib.rand(3)]
    check_same(fn)


def test_random_sampler_errors():
    check_error_same(lambda lib, data: data.RandomSampler(range(3), replacement=1))
    check_error_same(lambda lib, data: data.RandomSampler(range(3), num_samples=0))
    check_error_same(lambda lib, data: data.RandomSampler(range(0)))


def test_subset_random_sampler():
    def fn(lib, data):
        s = data.SubsetRandomSampler([10, 20, 30, 40, 50], generator=gen(lib))
        return [list(s), list(s), len(s)]
    e, _ = check_same(fn)
    assert sorted(e[0]) == [10, 20, 30, 40, 50]


@pytest.mark.parametrize("num_samples", [1, 7, 40])
def test_weighted_random_sampler_with_replacement(num_samples):
    def fn(lib, data):
        s = data.WeightedRandomSampler([0.1, 0.0, 2.0, 0.7, 1.2], num_samples,
                                       generator=gen(lib))
        return [list(s), len(s), s.weights]
    e, _ = check_same(fn)
    assert 1 not in e[0]  # zero weight is never drawn


def test_weighted_random_sampler_without_replacement_is_a_draw_of_distinct_indices():
    weights = [0.5, 0.0, 3.0, 1.0, 0.25, 2.0]
    out = list(ember.utils.data.WeightedRandomSampler(weights, 5, replacement=False,
                                                      generator=gen(ember)))
    assert len(set(out)) == 5 and 1 not in out and set(out) <= set(range(6))
    # heavy weights come first far more often than light ones
    firsts = [list(ember.utils.data.WeightedRandomSampler(weights, 2, replacement=False))[0]
              for _ in range(200)]
    assert firsts.count(2) > firsts.count(4)


@pytest.mark.parametrize("num_samples", [1, 4, 6])
def test_weighted_random_sampler_without_replacement_same_order_as_torch(num_samples):
    check_same(lambda lib, data: list(data.WeightedRandomSampler(
        [0.5, 0.1, 3.0, 1.0, 0.25, 2.0], num_samples, replacement=False, generator=gen(lib))))


def test_weighted_random_sampler_errors():
    check_error_same(lambda lib, data: data.WeightedRandomSampler([1.0, 2.0], 0))
    check_error_same(lambda lib, data: data.WeightedRandomSampler([1.0, 2.0], True))
    check_error_same(lambda lib, data: data.WeightedRandomSampler([1.0, 2.0], 2, replacement=0))
    check_error_same(lambda lib, data: data.WeightedRandomSampler([[1.0, 2.0]], 2))


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 11])
def test_batch_sampler(batch_size, drop_last):
    check_same(lambda lib, data: [list(data.BatchSampler(range(10), batch_size, drop_last)),
                                  len(data.BatchSampler(range(10), batch_size, drop_last))])


def test_batch_sampler_over_random_sampler():
    check_same(lambda lib, data: list(data.BatchSampler(
        data.RandomSampler(range(9), generator=gen(lib)), 4, False)))


def test_batch_sampler_errors():
    check_error_same(lambda lib, data: data.BatchSampler(range(3), 0, False))
    check_error_same(lambda lib, data: data.BatchSampler(range(3), 2.0, False))
    check_error_same(lambda lib, data: data.BatchSampler(range(3), 2, 1))


def test_sampler_base_and_custom_subclass():
    def fn(lib, data):
        class Evens(data.Sampler):
            def __init__(self, n):
                self.n = n

            def __iter__(self):
                return iter(range(0, self.n, 2))

            def __len__(self):
                return (self.n + 1) // 2
        return list(data.BatchSampler(Evens(9), 2, False))
    check_same(fn)
    check_error_same(lambda lib, data: iter(data.Sampler()))


def test_draw_int64_matches_torch_random_():
    """The seed RandomSampler draws: `empty((), dtype=int64).random_()`."""
    import torch

    from ember.utils.data.sampler import _draw_int64
    for seed in (0, 1, 123456789):
        torch.manual_seed(seed)
        ember.manual_seed(seed)
        want = [torch.empty((), dtype=torch.int64).random_().item() for _ in range(3)]
        assert [_draw_int64() for _ in range(3)] == want
    assert np.iinfo(np.int64).max >= want[0] >= 0
