"""dtypes: torch's names for NumPy's scalar types, and torch's type promotion.

`ember.float32` is a small object that knows its NumPy dtype. Its repr is
`ember.float32`, which is also how jaxtyping names it (jaxtyping reads the text after
the last dot of the repr), so `Float[ember.Tensor, "b d"]` works.

Promotion follows `torch.result_type`: categories bool < integer < floating <
complex; a tensor with dimensions outranks a 0-dim tensor, which outranks a Python
number, but only within the same category (int64 tensor * 2.5 -> float32, because a
float number lifts an integer tensor to the *default* float dtype; float32 tensor +
float64 0-dim tensor -> float32, because the 0-dim tensor is not a higher category).
"""

from __future__ import annotations

import builtins

import numpy as np

__all__ = [
    "dtype", "float16", "float32", "float64", "int8", "int16", "int32", "int64",
    "uint8", "bool_", "complex64", "complex128", "half", "float", "double", "short",
    "int", "long", "cfloat", "cdouble", "get_default_dtype", "set_default_dtype",
    "promote_types", "result_type", "can_cast", "from_numpy_dtype", "finfo", "iinfo",
]


class dtype:  # noqa: N801 - torch spells it in lower case
    """A tensor element type: `ember.float32`, `ember.int64`, `ember.bool`, ..."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize",
                 "_category")

    def __init__(self, name: str, np_dtype, category: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self._category = category  # 0 bool, 1 integer, 2 floating, 3 complex
        self.is_floating_point = category == 2
        self.is_complex = category == 3
        self.is_signed = name not in ("uint8", "bool")
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        # Pickle as a reference to the module-level singleton.
        return (from_numpy_dtype, (self.np,))

    def to_real(self) -> dtype:
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self) -> dtype:
        return {"float16": complex64, "float32": complex64, "float64": complex128}.get(
            self.name, self)


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
complex64 = dtype("complex64", np.complex64, 3)
complex128 = dtype("complex128", np.complex128, 3)

# torch's aliases
half, float, double = float16, float32, float64  # noqa: A001 - torch's public names
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128

ALL_DTYPES = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64,
              complex64, complex128)
_BY_NUMPY = {d.np: d for d in ALL_DTYPES}


def from_numpy_dtype(np_dtype) -> dtype:
    """The ember dtype for a NumPy dtype; TypeError for types torch lacks."""
    try:
        return _BY_NUMPY[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).type.__name__}. The "
            "only supported types are: float64, float32, float16, complex64, complex128, "
            "int64, int32, int16, int8, uint8, and bool.") from None


_default_dtype = float32


def get_default_dtype() -> dtype:
    """The dtype of `ember.tensor([1.5])` and of float Python numbers in promotion."""
    return _default_dtype


def set_default_dtype(d: dtype) -> None:
    global _default_dtype
    if not isinstance(d, dtype) or not (d.is_floating_point):
        raise TypeError("only floating-point types are supported as the default type")
    _default_dtype = d


def default_complex_dtype() -> dtype:
    return complex128 if _default_dtype is float64 else complex64


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: the smallest dtype both `a` and `b` convert to."""
    if a is b:
        return a
    ca, cb = a._category, b._category
    if ca == 0:
        return b
    if cb == 0:
        return a
    # An integer never widens a floating or complex type (int64 + float16 -> float16),
    # unlike NumPy, which would pick float64.
    if ca == 1 and cb >= 2:
        return b
    if cb == 1 and ca >= 2:
        return a
    return _BY_NUMPY[np.promote_types(a.np, b.np)]


def _combine_categories(higher: dtype | None, lower: dtype | None) -> dtype | None:
    """Merge a higher-priority result with a lower-priority one (ATen's rule)."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_complex:
        return higher
    if lower.is_complex:
        return higher.to_complex() if higher.is_floating_point else lower
    if higher.is_floating_point:
        return higher
    if higher is bool_ or lower._category >= 2:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(value) -> dtype:
    """The dtype a Python number takes in promotion (floats take the default dtype)."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, (np.generic, np.ndarray)):
        return from_numpy_dtype(value.dtype)
    if isinstance(value, builtins.int):
        return int64
    if isinstance(value, complex):
        return default_complex_dtype()
    return _default_dtype


def result_type(*operands) -> dtype:
    """torch.result_type over tensors and Python numbers (any number of them)."""
    dim_result = zero_result = scalar_result = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype) and not isinstance(x, (np.generic, np.ndarray)):
            if x.ndim > 0:
                dim_result = d if dim_result is None else promote_types(dim_result, d)
            else:
                zero_result = d if zero_result is None else promote_types(zero_result, d)
        else:
            d = scalar_dtype(x)
            scalar_result = d if scalar_result is None else promote_types(scalar_result, d)
    return _combine_categories(dim_result, _combine_categories(zero_result, scalar_result))


def can_cast(from_: dtype, to: dtype) -> bool:
    """torch.can_cast: False only when the cast drops a category (float -> int, ...)."""
    return from_._category <= to._category or (from_._category == 0)


class finfo:  # noqa: N801 - torch's name
    """Machine limits of a floating point (or complex) dtype: `ember.finfo(ember.float32).eps`.

    With no argument, the default dtype's. Complex dtypes report their real part's.
    """

    def __init__(self, type: dtype | None = None):  # noqa: A002 - torch's argument name
        d = _default_dtype if type is None else type
        if not (d.is_floating_point or d.is_complex):
            raise TypeError("ember.finfo() requires a floating point input type. Use "
                            "ember.iinfo to handle 'ember.finfo'")
        info = np.finfo(d.to_real().np)
        self.bits = info.bits
        self.eps = builtins.float(info.eps)
        self.max = builtins.float(info.max)
        self.min = builtins.float(info.min)
        self.tiny = self.smallest_normal = builtins.float(info.smallest_normal)
        self.resolution = 10.0 ** -info.precision  # exact, unlike the rounded NumPy value
        self.dtype = d.to_real().name

    def __eq__(self, other) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> builtins.int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801 - torch's name
    """Machine limits of an integer dtype: `ember.iinfo(ember.int64).max`."""

    def __init__(self, type: dtype):  # noqa: A002 - torch's argument name
        if type is bool_:
            raise TypeError("ember.bool is not supported by ember.iinfo")
        if type._category != 1:
            raise TypeError("ember.iinfo() requires an integer input type. Use ember.finfo to "
                            "handle 'ember.iinfo'")
        info = np.iinfo(type.np)
        self.bits = info.bits
        self.max = builtins.int(info.max)
        self.min = builtins.int(info.min)
        self.dtype = type.name

    def __eq__(self, other) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self) -> builtins.int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
