"""default_collate and default_convert against torch: types, dtypes and structure."""

import collections

import numpy as np
import pytest
from data_compare import check_error_same, check_same

Point = collections.namedtuple("Point", ["x", "y"])


class Unknown:
    pass


def collate(make):
    return check_same(lambda lib, data: data.default_collate(make(lib)))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool", "uint8"])
def test_tensors_are_stacked(dtype):
    a = np.arange(6).reshape(2, 3).astype(dtype)
    collate(lambda lib: [lib.tensor(a), lib.tensor(a + 1 if dtype != "bool" else a)])
    collate(lambda lib: [lib.tensor(a)[:, 1], lib.tensor(a).t()[0]])  # non-contiguous
    collate(lambda lib: [lib.tensor(a)[0, 0], lib.tensor(a)[1, 1]])  # 0-d -> 1-d


def test_python_numbers():
    collate(lambda lib: [1, 2, 3])                 # int64
    collate(lambda lib: [1.5, 2.0, -3.25])         # float64
    collate(lambda lib: [True, False])             # bool
    collate(lambda lib: [2**40, -1])


def test_numpy_arrays_and_scalars():
    collate(lambda lib: [np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)])
    collate(lambda lib: [np.arange(3, dtype=np.int16), np.arange(3, dtype=np.int16)])
    collate(lambda lib: [np.arange(3.0), np.arange(6.0)[::2]])  # float64, strided
    collate(lambda lib: [np.float32(1.5), np.float32(2.5)])
    collate(lambda lib: [np.int32(1), np.int32(7)])
    collate(lambda lib: [np.float64(1), np.float64(2)])
    collate(lambda lib: [np.bool_(True), np.bool_(False)])


def test_strings_and_bytes_stay_lists():
    collate(lambda lib: ["a", "bc"])
    collate(lambda lib: [b"a", b"bc"])


def test_containers():
    collate(lambda lib: [{"x": lib.ones(2), "y": 1, "s": "a"},
                         {"x": lib.zeros(2), "y": 2, "s": "b"}])
    collate(lambda lib: [collections.OrderedDict(b=1.0, a=lib.ones(1)),
                         collections.OrderedDict(b=2.0, a=lib.ones(1))])
    collate(lambda lib: [Point(lib.ones(2), 1), Point(lib.zeros(2), 2)])
    collate(lambda lib: [(lib.ones(2), 1, "a"), (lib.zeros(2), 2, "b")])   # tuple -> list
    collate(lambda lib: [[lib.ones(1), 3.0], [lib.zeros(1), 4.0]])
    collate(lambda lib: [{"p": (1, [2.0, np.float32(3)])}, {"p": (4, [5.0, np.float32(6)])}])


def test_collate_errors():
    check_error_same(lambda lib, data: data.default_collate([lib.ones(2), lib.ones(3)]))
    check_error_same(lambda lib, data: data.default_collate([[1, 2], [3]]))
    check_error_same(lambda lib, data: data.default_collate([Unknown(), Unknown()]))
    check_error_same(lambda lib, data: data.default_collate([np.array(["a"]), np.array(["b"])]))


def test_default_convert():
    def fn(lib, data):
        c = data.default_convert
        return [c(np.arange(3, dtype=np.float32)), c(np.float64(2.5)), c(np.int64(3)), c(3),
                c("s"), c({"a": np.ones(2)}), c(Point(np.zeros(1), 2)), c((np.ones(1), 1)),
                c([np.ones(1), "x"]), c(lib.ones(2)), c(np.array(["a", "b"]))]
    check_same(fn)
