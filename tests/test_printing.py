"""repr(tensor) must be exactly torch's text, with "ember." where torch says "torch.".

Every test builds the same values in torch and in ember and compares the two reprs.
ember tensors come from `ember.from_numpy` when the package has it; otherwise from a
small stand-in object that exposes the interface `ember._tensor_str` relies on
(`_data`, `dtype`, `shape`, `requires_grad`, `grad_fn`, `is_leaf`).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember.dtypes as edt
from ember._tensor_str import get_printoptions, printoptions, set_printoptions, tensor_repr

# --------------------------------------------------------------------------------------
# Building the two tensors
# --------------------------------------------------------------------------------------


class _StandInNode:
    """A backward node: only its name matters for printing."""

    def __init__(self, name: str):
        self._name = name

    def name(self) -> str:
        return self._name


class _StandInTensor:
    """The part of ember.Tensor that printing uses, for when ember has no Tensor yet."""

    def __init__(self, arr: np.ndarray, requires_grad: bool = False, grad_fn=None):
        self._data = arr
        self.dtype = edt.from_numpy_dtype(arr.dtype)
        self.shape = tuple(arr.shape)
        self.requires_grad = requires_grad
        self.grad_fn = grad_fn
        self.is_leaf = grad_fn is None

    def __repr__(self) -> str:
        return tensor_repr(self)

    __str__ = __repr__


def _ember_from_numpy():
    """ember.from_numpy once the package provides it, else None."""
    try:
        import ember
    except ImportError:  # pragma: no cover - only while the package is half-written
        return None
    return getattr(ember, "from_numpy", None)


def ember_tensor(arr: np.ndarray):
    """An ember tensor holding `arr` (the real class when it exists)."""
    from_numpy = _ember_from_numpy()
    if from_numpy is None:
        return _StandInTensor(arr)
    return from_numpy(arr)


def torch_tensor(arr: np.ndarray) -> torch.Tensor:
    # torch.from_numpy refuses negative strides; a C-ordered copy has the same values.
    return torch.from_numpy(np.array(arr, order="C", copy=True))


def torch_text(t: torch.Tensor) -> str:
    return repr(t).replace("torch.", "ember.")


def assert_same_repr(arr: np.ndarray) -> None:
    expected = torch_text(torch_tensor(arr))
    got = repr(ember_tensor(arr))
    assert got == expected, (
        f"\ndtype={arr.dtype} shape={arr.shape}\nember:\n{got}\ntorch:\n{expected}"
    )
    assert str(ember_tensor(arr)) == expected


# --------------------------------------------------------------------------------------
# Options are global in both libraries: put them back after every test
# --------------------------------------------------------------------------------------


def set_both(**options) -> None:
    torch.set_printoptions(**options)
    set_printoptions(**options)


@pytest.fixture(autouse=True)
def _restore_print_options():
    yield
    set_both(profile="default")  # also resets sci_mode to None
    torch.set_default_dtype(torch.float32)
    edt.set_default_dtype(edt.float32)


# --------------------------------------------------------------------------------------
# Random arrays: every dtype, many shapes, value ranges that pick every notation
# --------------------------------------------------------------------------------------

FLOAT_TYPES = [np.float16, np.float32, np.float64]
INT_TYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8]
COMPLEX_TYPES = [np.complex64, np.complex128]
ALL_TYPES = FLOAT_TYPES + INT_TYPES + [np.bool_] + COMPLEX_TYPES

SMALL_SHAPES = [(), (1,), (2,), (5,), (17,), (3, 4), (1, 1), (2, 3, 4), (2, 1, 3, 2), (4, 30)]
EMPTY_SHAPES = [(0,), (0, 3), (3, 0), (2, 0, 4), (0, 0)]
# More than 1000 elements, so the print is summarised; some dimensions are shorter
# than 2 * edgeitems and are shown whole.
LARGE_SHAPES = [(1001,), (5000,), (40, 30), (3, 400), (11, 10, 10), (6, 200), (2, 3, 4, 50)]
WIDE_ROW_SHAPES = [(60,), (3, 25), (200,)]  # long rows that wrap at the line width

# Numbers whose rounding changes the printed width (9.99995 -> "10.0000").
ROUNDING_EDGES = [9.99995, 0.99995, 99.99995, 0.00005, 99999.5, 9999.9999, 0.5, 1.5,
                  123456.78, 1e8, 99999999.0, 1.0000001e8, 1e-4, 9.9999e-5, 1e3, 1000.5]


def random_floats(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """float64 values from one of several regimes, each favouring another notation."""
    regime = rng.integers(9)
    if regime == 0:  # ordinary numbers, fixed notation
        values = rng.standard_normal(shape)
    elif regime == 1:  # one random scale, anywhere from tiny to huge
        values = rng.standard_normal(shape) * 10.0 ** rng.uniform(-12, 12)
    elif regime == 2:  # whole numbers: "1.", "-3."
        values = rng.integers(-1000, 1000, shape).astype(np.float64)
    elif regime == 3:  # whole numbers too big for fixed notation
        values = rng.integers(-(10**12), 10**12, shape).astype(np.float64)
    elif regime == 4:  # magnitudes spread over many decades
        values = rng.choice([-1, 1], shape) * 10.0 ** rng.uniform(-20, 20, shape)
    elif regime == 5:  # rounding edges
        values = rng.choice(ROUNDING_EDGES, shape) * rng.choice([-1, 1], shape)
    elif regime == 6:  # the extremes of float64 (overflow to inf in narrower types)
        values = rng.choice([1e300, 1e-300, 5e-324, 1.7e308, 1e100, 9.99999e99, 1e-100], shape)
    elif regime == 7:  # all zero
        values = np.zeros(shape)
    else:  # small positive numbers with few digits
        values = np.round(rng.uniform(0, 10, shape), int(rng.integers(0, 4)))
    return np.asarray(values, dtype=np.float64)


def add_specials(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """Sprinkle nan, inf, -inf, 0.0 and -0.0 over some of the elements."""
    if values.size == 0 or rng.random() < 0.5:
        return values
    values = values.copy()
    mask = rng.random(values.shape) < rng.choice([0.1, 0.5, 1.0])
    specials = rng.choice([np.nan, np.inf, -np.inf, 0.0, -0.0], values.shape)
    values[mask] = specials[mask]
    return values


def random_values(rng: np.random.Generator, np_type, shape: tuple) -> np.ndarray:
    # np.asarray: with shape () NumPy returns scalars, and those are not arrays.
    return np.asarray(_random_values(rng, np_type, shape))


def _random_values(rng: np.random.Generator, np_type, shape: tuple):
    with np.errstate(all="ignore"):  # float16 overflows to inf on purpose
        if np_type is np.bool_:
            return rng.random(shape) < rng.random()
        if np_type in INT_TYPES:
            info = np.iinfo(np_type)
            low, high = (info.min, info.max) if rng.random() < 0.5 else (-5, 20)
            low = max(low, info.min)
            return rng.integers(low, high, shape, endpoint=True).astype(np_type)
        if np_type in COMPLEX_TYPES:
            real = add_specials(rng, random_floats(rng, shape))
            imag = add_specials(rng, random_floats(rng, shape))
            return (real + 1j * imag).astype(np_type)
        return add_specials(rng, random_floats(rng, shape)).astype(np_type)


def random_layout(rng: np.random.Generator, arr: np.ndarray) -> np.ndarray:
    """Sometimes hand over a non-contiguous view instead of a fresh array."""
    if arr.ndim >= 2 and rng.random() < 0.2:
        return arr.T
    if arr.ndim >= 1 and rng.random() < 0.1:
        return np.repeat(arr, 2, axis=0)[::2]
    return arr


def random_array(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    np_type = ALL_TYPES[seed % len(ALL_TYPES)]  # every dtype equally often
    group = rng.choice(4, p=[0.6, 0.1, 0.2, 0.1])
    shapes = (SMALL_SHAPES, EMPTY_SHAPES, LARGE_SHAPES, WIDE_ROW_SHAPES)[group]
    shape = shapes[rng.integers(len(shapes))]
    return random_layout(rng, random_values(rng, np_type, shape))


@pytest.mark.parametrize("seed", range(660))
def test_random_tensor_matches_torch(seed):
    assert_same_repr(random_array(seed))


@pytest.mark.parametrize("np_type", ALL_TYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize(
    "shape", [(), (0,), (0, 3), (4,), (2, 3)], ids=lambda s: "x".join(map(str, s)) or "0d"
)
def test_every_dtype_and_rank(np_type, shape):
    rng = np.random.default_rng([ALL_TYPES.index(np_type), len(shape), sum(shape)])
    assert_same_repr(random_values(rng, np_type, shape))


@pytest.mark.parametrize(
    "values",
    [
        [1.0, 2.0],
        [0.0, -0.0],
        [-0.0],
        [float("nan")],
        [float("inf"), -float("inf"), float("nan")],
        [1.0, float("nan"), float("inf")],
        [1.5, float("nan"), -float("inf"), -0.0],
        [1e-5, 1.0],
        [1e8, 1.0],
        [1.1e8],
        [1000.0, 1.0],
        [1001.0, 1.0],
        [0.0001, 0.1],
        [123456789.0],
        [1e-300, 1e300],
        [5e-324],
        [9.99995, -9.99995],
        [0.1, 0.2, 0.3],
        [-1.0, 2.0, -300.0],
    ],
)
@pytest.mark.parametrize("np_type", FLOAT_TYPES + COMPLEX_TYPES, ids=lambda t: np.dtype(t).name)
def test_special_values(values, np_type):
    with np.errstate(all="ignore"):
        arr = np.array(values).astype(np_type)
        if np_type in COMPLEX_TYPES:
            arr = arr + 1j * np.array(values[::-1]).astype(np_type)
    assert_same_repr(arr)
    assert_same_repr(np.asarray(arr[0]))  # and as a 0-d tensor


@pytest.mark.parametrize(
    "arr",
    [
        np.array([], dtype=np.float32),
        np.array([], dtype=np.float64),
        np.array([], dtype=np.int64),
        np.array([], dtype=np.bool_),
        np.array([], dtype=np.complex64),
        np.zeros((0, 3), dtype=np.float32),
        np.zeros((0, 3), dtype=np.int32),
        np.zeros((2, 0, 1), dtype=np.uint8),
    ],
    ids=lambda a: f"{a.dtype}-{a.shape}",
)
def test_empty(arr):
    assert_same_repr(arr)


def test_known_texts():
    """A few outputs written out, so a failure here is readable on its own."""
    assert repr(ember_tensor(np.array([1.0, 2.0], np.float32))) == "tensor([1., 2.])"
    assert repr(ember_tensor(np.array([], np.float32))) == "tensor([])"
    assert (
        repr(ember_tensor(np.zeros((0, 3), np.int64)))
        == "tensor([], size=(0, 3), dtype=ember.int64)"
    )
    assert repr(ember_tensor(np.array(3, np.int32))) == "tensor(3, dtype=ember.int32)"
    assert repr(ember_tensor(np.array([True, False]))) == "tensor([ True, False])"
    summary = "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    assert repr(ember_tensor(np.arange(2000))) == summary


# hypothesis: arbitrary bit patterns, including ones the seeded generator never makes.
_dtypes = st.sampled_from([np.dtype(t) for t in ALL_TYPES])
_shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_hypothesis_arrays(data):
    dtype = data.draw(_dtypes)
    arr = data.draw(hnp.arrays(dtype, _shapes))
    assert_same_repr(arr)


# --------------------------------------------------------------------------------------
# Print options
# --------------------------------------------------------------------------------------

# A fixed sample of arrays that every option setting below is checked against.
OPTION_SAMPLES = [random_array(seed) for seed in range(10_000, 10_060)] + [
    np.arange(30, dtype=np.float32) * 1.25,
    np.arange(2000, dtype=np.int64).reshape(20, 100),
    np.array([1e10, 1.0, 2.0]),
    np.array([0.5, 1.25], dtype=np.float32),
    np.array([1.0, 2.0], dtype=np.float32),
    np.array(3.14159265, dtype=np.float32),
    np.array([1 + 2j, -3.5 - 0.25j], dtype=np.complex64),
]

OPTION_SETS = [
    {"precision": 0},
    {"precision": 1},
    {"precision": 2},
    {"precision": 8},
    {"threshold": 0},
    {"threshold": 5},
    {"threshold": 50},
    {"threshold": math.inf},
    {"edgeitems": 0},
    {"edgeitems": 1},
    {"edgeitems": 5},
    {"edgeitems": 0, "threshold": 5},
    {"linewidth": 10},
    {"linewidth": 40},
    {"linewidth": 150},
    {"sci_mode": True},
    {"sci_mode": False},
    {"profile": "default"},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "short", "precision": 6},
    {"profile": "full", "linewidth": 60, "sci_mode": True},
    {"precision": 3, "threshold": 20, "edgeitems": 2, "linewidth": 50, "sci_mode": False},
]


def _options_id(options: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in options.items())


@pytest.mark.parametrize("options", OPTION_SETS, ids=_options_id)
def test_print_options_match_torch(options):
    set_both(**options)
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    for arr in OPTION_SAMPLES:
        assert_same_repr(arr)


def test_get_printoptions_defaults():
    assert get_printoptions() == {
        "precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None,
    }


def test_options_accumulate_but_sci_mode_resets():
    set_printoptions(precision=2, sci_mode=True)
    set_printoptions(linewidth=50)  # leaves precision alone, resets sci_mode like torch
    assert get_printoptions() == {
        "precision": 2, "threshold": 1000, "edgeitems": 3, "linewidth": 50, "sci_mode": None,
    }


def test_profiles():
    set_printoptions(profile="short")
    assert get_printoptions()["precision"] == 2 and get_printoptions()["edgeitems"] == 2
    set_printoptions(profile="full")
    assert get_printoptions()["threshold"] == math.inf
    set_printoptions(profile="no-such-profile")  # ignored, as torch ignores it
    assert get_printoptions()["threshold"] == math.inf
    set_printoptions(profile="default")
    assert get_printoptions()["threshold"] == 1000


def test_printoptions_context_restores():
    set_printoptions(precision=6, linewidth=70, sci_mode=False)
    before = get_printoptions()
    with printoptions(precision=1, edgeitems=1, sci_mode=True):
        assert get_printoptions()["precision"] == 1
        assert get_printoptions()["sci_mode"] is True
        assert repr(ember_tensor(np.array([1.25], np.float32))) == "tensor([1.2e+00])"
    assert get_printoptions() == before

    with pytest.raises(RuntimeError), printoptions(threshold=3):
        raise RuntimeError("the old options come back even so")
    assert get_printoptions() == before


def test_printoptions_context_matches_torch():
    arr = np.linspace(0, 1, 2000, dtype=np.float32)
    with printoptions(precision=2, threshold=10), torch._tensor_str.printoptions(
        precision=2, threshold=10
    ):
        assert_same_repr(arr)
    assert_same_repr(arr)


def test_default_dtype_changes_the_suffix():
    torch.set_default_dtype(torch.float64)
    edt.set_default_dtype(edt.float64)
    for np_type in (np.float32, np.float64, np.complex64, np.complex128, np.float16):
        assert_same_repr(np.array([1.5, 2.0]).astype(np_type))
        assert_same_repr(np.array([], dtype=np_type))


# --------------------------------------------------------------------------------------
# requires_grad and grad_fn suffixes
# --------------------------------------------------------------------------------------


def stand_in_like(t: torch.Tensor) -> _StandInTensor:
    """A stand-in with t's values and autograd state (grad_fn named as torch names it)."""
    node = None if t.grad_fn is None else _StandInNode(type(t.grad_fn).__name__)
    return _StandInTensor(t.detach().numpy(), requires_grad=t.requires_grad, grad_fn=node)


GRAD_TYPES = [np.float16, np.float32, np.float64, np.complex64, np.complex128]


def grad_tensors(seed: int) -> list[torch.Tensor]:
    """A leaf that requires grad and a few results of operations on it."""
    rng = np.random.default_rng(seed)
    np_type = GRAD_TYPES[seed % len(GRAD_TYPES)]
    n, m = (int(k) for k in rng.integers(1, 12, 2))
    if rng.random() < 0.2:
        n = int(rng.integers(40, 80))  # summarised
    leaf = torch_tensor(random_values(rng, np_type, (n, m))).requires_grad_()
    other = torch_tensor(random_values(rng, np_type, (m, 3)))
    return [leaf, torch.mm(leaf, other), leaf * 2, leaf.sum(), leaf[0], leaf.t()]


@pytest.mark.parametrize("linewidth", [80, 30, 60, 100])
@pytest.mark.parametrize("seed", range(25))
def test_grad_suffixes(seed, linewidth):
    set_both(linewidth=linewidth)
    for t in grad_tensors(seed):
        assert repr(stand_in_like(t)) == torch_text(t)


def test_grad_suffix_texts():
    leaf = torch.ones(2, 2, requires_grad=True)
    product = torch.mm(leaf, torch.ones(2, 2))
    assert repr(stand_in_like(leaf)) == "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"
    assert repr(stand_in_like(product)).endswith("grad_fn=<MmBackward0>)")
    assert repr(stand_in_like(product)) == torch_text(product)


@pytest.mark.parametrize("linewidth", [80, 40])
def test_suffixes_wrap_at_the_line_width(linewidth):
    """Rows of every length: the suffixes move to a new line exactly when torch's do."""
    set_both(linewidth=linewidth)
    for n in range(1, 30):
        leaf = torch.arange(n, dtype=torch.float64).requires_grad_()
        assert repr(stand_in_like(leaf)) == torch_text(leaf)
        assert repr(stand_in_like(leaf * 1)) == torch_text(leaf * 1)
        empty = torch.zeros(0, n, dtype=torch.int16)
        assert repr(stand_in_like(empty)) == torch_text(empty)
    set_both(edgeitems=0)  # adds a size= suffix in front of the others
    for n in range(1, 30):
        leaf = torch.arange(n, dtype=torch.float64).reshape(1, n).requires_grad_()
        assert repr(stand_in_like(leaf * 1)) == torch_text(leaf * 1)


def test_grad_suffixes_with_ember_ops():
    """The same through ember's own autograd, once ember has tensor() and mm()."""
    import ember

    if not all(hasattr(ember, name) for name in ("tensor", "mm")):
        pytest.skip("ember.tensor / ember.mm are not written yet")
    # Quarters and halves, so the float32 products are exact in both libraries.
    rng = np.random.default_rng(0)
    a_np, b_np = rng.integers(-9, 9, (3, 4)) / 4, rng.integers(-9, 9, (4, 2)) / 2
    a_t = torch.tensor(a_np, dtype=torch.float32, requires_grad=True)
    b_t = torch.tensor(b_np, dtype=torch.float32)
    a_e = ember.tensor(a_np.astype(np.float32), requires_grad=True)
    b_e = ember.tensor(b_np.astype(np.float32))
    assert repr(a_e) == torch_text(a_t)
    assert repr(ember.mm(a_e, b_e)) == torch_text(torch.mm(a_t, b_t))


# --------------------------------------------------------------------------------------
# Tensors on a GPU
# --------------------------------------------------------------------------------------


class _FakeDevice:
    type = "cuda"
    index = 0

    def __str__(self) -> str:
        return "cuda:0"


class _FakeGpuArray:
    """Stands in for a CuPy array: the values reach the host only through get()."""

    def __init__(self, arr: np.ndarray):
        self._arr = arr
        self.dtype, self.shape = arr.dtype, arr.shape

    def get(self) -> np.ndarray:
        return self._arr.copy()


@pytest.mark.parametrize(
    "arr, requires_grad, expected",
    [
        (np.array([1.0, 2.0], np.float32), False, "tensor([1., 2.], device='cuda:0')"),
        (np.array([1, 2], np.int32), False, "tensor([1, 2], device='cuda:0', dtype=ember.int32)"),
        (np.array(0.5), True,
         "tensor(0.5000, device='cuda:0', dtype=ember.float64, requires_grad=True)"),
        (np.zeros((0, 2), np.float32), False, "tensor([], device='cuda:0', size=(0, 2))"),
    ],
)
def test_gpu_tensor_names_its_device(arr, requires_grad, expected):
    """torch names the device of a non-CPU tensor before any other suffix."""
    t = _StandInTensor(arr, requires_grad=requires_grad)
    t._data = _FakeGpuArray(arr)
    t.device = _FakeDevice()
    assert repr(t) == expected
