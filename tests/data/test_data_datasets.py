"""Datasets and random_split against torch.utils.data."""

import warnings

import numpy as np
import pytest
from data_compare import check_error_same, check_same

import ember


def tensor_ds(lib, data, n=6):
    x = lib.tensor(np.arange(n * 2, dtype=np.float32).reshape(n, 2))
    y = lib.tensor(np.arange(n) % 3)
    return data.TensorDataset(x, y)


def test_tensor_dataset_items_and_len():
    check_same(lambda lib, data: [len(tensor_ds(lib, data)), tensor_ds(lib, data)[2],
                                  tensor_ds(lib, data)[-1], tensor_ds(lib, data)[1:4]])


def test_tensor_dataset_size_mismatch():
    check_error_same(lambda lib, data: data.TensorDataset(lib.zeros(3), lib.zeros(4)))


def test_concat_dataset_indexing():
    def fn(lib, data):
        ds = data.ConcatDataset([tensor_ds(lib, data, 3), tensor_ds(lib, data, 4), range(2)])
        return [len(ds), ds.cumulative_sizes, ds[0], ds[3], ds[6], ds[8], ds[-1], ds[-9]]
    check_same(fn)


def test_concat_dataset_errors():
    check_error_same(lambda lib, data: data.ConcatDataset([]))
    check_error_same(lambda lib, data: data.ConcatDataset([range(3)])[-4])

    def iterable(lib, data):
        class Stream(data.IterableDataset):
            def __iter__(self):
                return iter(range(3))
        data.ConcatDataset([Stream()])
    check_error_same(iterable)


def test_add_builds_concat_and_chain():
    def fn(lib, data):
        class Stream(data.IterableDataset):
            def __init__(self, n):
                self.n = n

            def __iter__(self):
                return iter(range(self.n))

            def __len__(self):
                return self.n
        d = tensor_ds(lib, data, 2) + tensor_ds(lib, data, 3)
        chain = Stream(2) + Stream(3)
        return [type(d).__name__, len(d), d[4], type(chain).__name__, list(chain), len(chain)]
    check_same(fn)


def test_chain_dataset_rejects_map_style():
    check_error_same(lambda lib, data: list(data.ChainDataset([range(3)])))
    check_error_same(lambda lib, data: len(data.ChainDataset([range(3)])))


def test_subset_and_getitems():
    def fn(lib, data):
        s = data.Subset(tensor_ds(lib, data), [4, 0, 2])
        return [len(s), s[0], s[2], s.__getitems__([1, 2])]
    check_same(fn)


def test_subset_subclass_must_override_getitems():
    def fn(lib, data):
        class Bad(data.Subset):
            def __getitem__(self, i):
                return 0
        Bad(range(3), [0])
    check_error_same(fn)


def test_stack_dataset():
    def fn(lib, data):
        a, b = tensor_ds(lib, data, 3), range(10, 13)
        return [data.StackDataset(a, b)[1], data.StackDataset(x=a, y=b)[2],
                len(data.StackDataset(a, b))]
    check_same(fn)
    check_error_same(lambda lib, data: data.StackDataset(range(2), range(3)))
    check_error_same(lambda lib, data: data.StackDataset())


@pytest.mark.parametrize("lengths", [[0.3, 0.7], [0.3, 0.3, 0.4], [0.5, 0.5],
                                     [0.25, 0.25, 0.25, 0.25], [1.0]])
@pytest.mark.parametrize("n", [10, 11, 7])
def test_random_split_lengths_and_order(lengths, n):
    """Fractions are floored and the remainder handed out round-robin; with the same
    generator seed the split indices are torch's (randperm parity)."""
    def fn(lib, data):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parts = data.random_split(range(n), lengths, generator=lib.Generator().manual_seed(7))
        return [list(p) for p in parts]
    e, t = check_same(fn)
    assert sorted(sum(e, [])) == list(range(n))


def test_random_split_integer_lengths():
    check_same(lambda lib, data: [list(p) for p in data.random_split(
        range(10), [3, 0, 7], generator=lib.Generator().manual_seed(1))])


def test_random_split_default_generator():
    def fn(lib, data):
        lib.manual_seed(3)
        parts = data.random_split(range(9), [4, 5])
        return [list(p) for p in parts] + [lib.rand(2)]
    check_same(fn)


def test_random_split_errors_and_warning():
    check_error_same(lambda lib, data: data.random_split(range(5), [2, 2]))
    check_error_same(lambda lib, data: data.random_split(range(5), [1.5, -0.5]))
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        ember.utils.data.random_split(range(2), [1.0, 0.0])


def test_dataset_base_class():
    check_error_same(lambda lib, data: data.Dataset()[0])
    check_same(lambda lib, data: list(data.Subset(data.TensorDataset(lib.arange(5)), [1, 3])))
