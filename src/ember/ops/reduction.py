"""Reductions: sum, prod, mean, var/std, max/min, aminmax, logsumexp, norm, nansum...

`sum_to_shape` lives here too: it is the engine's single rule for reducing a
broadcast gradient back to its input's shape.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from .. import dtypes
from ..autograd import grad_mode
from ..tensor import Tensor
from .primitive import Primitive
from .shape import Expand, Reshape, broadcast_view

__all__ = [
    'all',
    'amax',
    'amin',
    'aminmax',
    'any',
    'argmax',
    'argmin',
    'count_nonzero',
    'isnan',
    'logsumexp',
    'max',
    'mean',
    'min',
    'nanmean',
    'nansum',
    'norm',
    'prod',
    'std',
    'std_mean',
    'sum',
    'sum_to_shape',
    'var',
    'var_mean',
]

# the ones torch also offers as Tensor methods (x.name(...))
_NOT_METHODS = {
    'std_mean',
    'sum_to_shape',
    'var_mean',
}
TENSOR_METHODS = tuple(name for name in __all__ if name not in _NOT_METHODS)


# torch returns named tuples from per-dim max/min; ember prints them the same way.


def _return_type(name: str, fields=("values", "indices")):
    base = namedtuple(name, fields)

    def __repr__(self):  # noqa: N807
        inner = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"ember.return_types.{name}(\n{inner})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__})


max_result = _return_type("max")
min_result = _return_type("min")
aminmax_result = _return_type("aminmax", ("min", "max"))


def normalize_dims(dim, ndim: int) -> tuple:
    """`dim` (int, sequence or None) as a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        dim = (dim,)
    n = builtins.max(ndim, 1)
    out = []
    for d in dim:
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, "
                             f"{n - 1}], but got {d})")
        d = d % n
        if d in out:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out.append(d)
    return tuple(sorted(out)) if ndim else ()


def _expand_back(grad: Tensor, shape: tuple, axes: tuple, keepdim: bool) -> Tensor:
    """Undo a reduction's shape: unsqueeze the reduced axes, then broadcast.

    A full reduction's 0-d gradient broadcasts as it is (torch's SumBackward0 is one
    expand too)."""
    if not grad_mode._enabled and grad.__class__ is Tensor and grad._data.__class__ is np.ndarray:
        # No graph to build (and no tangent or batch to carry): the reshape and the
        # broadcast on the array, without the view ops' dispatch.
        g = grad._data
        if not keepdim and axes and len(axes) < len(shape):
            g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
        shape = tuple(shape)
        if g.shape == shape:
            return grad if g is grad._data else Tensor._make(g)
        return Tensor._make(broadcast_view(g, shape))
    if not keepdim and axes and len(axes) < len(shape):
        kept = list(shape)
        for a in axes:
            kept[a] = 1
        kept = tuple(kept)
        # The shapes are known to be valid here, so skip the user-facing checks.
        if grad._data.flags.c_contiguous:
            grad = Reshape.apply(grad, shape=kept, name="ViewBackward0")
        else:
            grad = grad.reshape(kept)
    shape = tuple(shape)
    return grad if grad._data.shape == shape else Expand.apply(grad, shape=shape)


def sum_to_shape(grad: Tensor, shape: tuple) -> Tensor:
    """Sum `grad` over the dims that broadcasting added or stretched to reach `shape`."""
    gshape = grad._data.shape
    if gshape == tuple(shape):
        return grad
    lead = len(gshape) - len(shape)
    if lead < 0:
        raise ValueError(f"cannot sum {gshape} to {shape}")
    axes = list(range(lead))
    for i, size in enumerate(shape):
        g = gshape[lead + i]
        if size == 1 and g != 1:
            axes.append(lead + i)
        elif size != g:
            raise ValueError(f"cannot sum {gshape} to {shape}")
    out = sum(grad, tuple(axes), keepdim=True) if axes else grad
    return out.reshape(tuple(shape))


# ---------------------------------------------------------------------------------------


def _sum_dtype(x, dtype):
    if dtype is not None:
        return dtype.np
    if x.dtype.kind in "biu":
        return np.int64  # torch sums integers and bools as int64
    return None


class Sum(Primitive):
    """Sum over `dim` (all dims when None). Shape: (*) -> reduced (*)."""

    grad_fn_name = "SumBackward1"

    def forward(self, x, dim, keepdim, dtype):
        self.shape, self.keepdim = x.shape, keepdim
        if dim is _ALL:
            self.grad_fn_name = "SumBackward0"
        self.axes = normalize_dims(_all_if_empty(dim), x.ndim)
        acc = _sum_dtype(x, dtype)
        if x.dtype == np.float16 and acc is None:
            # torch accumulates half in float32
            return np.sum(x, axis=self.axes, keepdims=keepdim, dtype=np.float32).astype(
                np.float16)
        # the method, not np.sum: np.sum's Python-level wrapper doubles a small sum's cost
        return x.sum(axis=self.axes, dtype=acc, keepdims=keepdim)

    def backward(self, grad):
        return _expand_back(grad, self.shape, self.axes, self.keepdim)


class Mean(Primitive):
    """Mean over `dim` (all dims when None). Floating and complex inputs only."""

    grad_fn_name = "MeanBackward1"

    def forward(self, x, dim, keepdim, dtype):
        if dtype is not None:
            x = x.astype(dtype.np)
        if x.dtype.kind not in "fc":
            which = "Input" if dtype is None else "Optional"
            raise RuntimeError(
                f"mean(): could not infer output dtype. {which} dtype must be either a floating "
                f"point or complex dtype. Got: {_scalar_name(x.dtype)}")
        self.shape, self.keepdim = x.shape, keepdim
        if dim is _ALL:
            self.grad_fn_name = "MeanBackward0"
        self.axes = normalize_dims(_all_if_empty(dim), x.ndim)
        self.count = int(np.prod([x.shape[a] for a in self.axes])) if self.axes else 1
        if x.dtype == np.float16:
            return np.mean(x, axis=self.axes, keepdims=keepdim, dtype=np.float32).astype(
                np.float16)
        if self.count == 0:  # torch gives nan, quietly (np.mean would warn)
            return np.full(np.sum(x, axis=self.axes, keepdims=keepdim).shape, np.nan, x.dtype)
        return np.mean(x, axis=self.axes, keepdims=keepdim)

    def backward(self, grad):
        if self.count == 0:  # the input is empty, so is its gradient
            return _expand_back(grad, self.shape, self.axes, self.keepdim)
        if not grad_mode._enabled and grad.__class__ is Tensor:
            g = grad._data
            if (g.__class__ is np.ndarray and g.dtype.kind == "f" and g.dtype.itemsize >= 4
                    and (self.keepdim or len(self.axes) == len(self.shape))):
                # No graph to build (and no tangent or batch to carry): the division and
                # the broadcast on the array, without two ops' dispatch.
                q = np.divide(g, self.count, out=np.empty(g.shape, g.dtype))
                shape = tuple(self.shape)
                return Tensor._make(q if q.shape == shape else broadcast_view(q, shape))
        return _expand_back(grad / self.count, self.shape, self.axes, self.keepdim)


_SCALAR_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                 "uint8": "Byte", "bool": "Bool", "float64": "Double", "float32": "Float",
                 "float16": "Half", "bfloat16": "BFloat16"}


def _scalar_name(np_dtype) -> str:
    """torch's C++ name for a dtype in messages (`Long`, `Int`, `Bool`)."""
    name = dtypes.from_numpy_dtype(np_dtype).name
    return _SCALAR_NAMES.get(name, name)


# "no dim given": torch then records SumBackward0/MeanBackward0 instead of ...Backward1.
_ALL = "all"


def _all_if_empty(dim):
    """`dim=None`, `()` and `[]` all mean every dim for sum and mean, as in torch."""
    if dim is _ALL or dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    return dim


def sum(input, dim=_ALL, keepdim=False, *, dtype=None):  # noqa: A001 - torch's name
    """Sum of all elements, or over `dim` (int or tuple), keeping dims if `keepdim`.

    Shape: (*) -> () when no dim is given, else `input.shape` without (or, with
    `keepdim`, with size 1 at) the reduced dims. Integers and bools sum to int64.
    """
    return Sum.apply(input, dim=dim, keepdim=keepdim, dtype=dtype)


def mean(input, dim=_ALL, keepdim=False, *, dtype=None):
    """Arithmetic mean of all elements, or over `dim`; floating or complex input only."""
    return Mean.apply(input, dim=dim, keepdim=keepdim, dtype=dtype)


# ---------------------------------------------------------------------------------------
# max / min


class ExtremumAll(Primitive):
    """max() / min() / amax / amin over dims: ties share the gradient evenly."""

    save_inputs = (0,)
    save_output = True

    def forward(self, x, dim, keepdim, largest, name, op):
        self.grad_fn_name = name
        if x.size == 0 and dim is None:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified "
                               "for input.numel() == 0. Specify the reduction dim with the "
                               "'dim' argument.")
        self.axes = normalize_dims(dim, x.ndim)
        if dim is not None:
            raw = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
            _check_nonempty_dims(x, [d % builtins.max(x.ndim, 1) for d in raw], op, raw)
        self.keepdim = keepdim
        reduce = np.max if largest else np.min
        return reduce(x, axis=self.axes, keepdims=keepdim)

    def backward(self, grad):
        x, out = self.saved_tensors
        shape = x.shape
        out = _expand_back(out, shape, self.axes, self.keepdim)
        hits = (x == out) | (isnan(x) & isnan(out))
        count = _expand_back(sum(hits, self.axes, keepdim=self.keepdim), shape, self.axes,
                             self.keepdim)
        return _expand_back(grad, shape, self.axes, self.keepdim) * hits / count


class ExtremumDim(Primitive):
    """max(dim)/min(dim): (values, indices); the gradient goes to the chosen index."""

    num_outputs = 2

    def forward(self, x, dim, keepdim, largest):
        self.grad_fn_name = "MaxBackward0" if largest else "MinBackward0"
        (axis,) = normalize_dims(dim, x.ndim) or (0,)
        _check_nonempty_dims(x, (axis,), "max" if largest else "min")
        self.shape, self.axis, self.keepdim = x.shape, axis, keepdim
        if x.ndim == 0:
            return x.copy(), np.zeros((), np.int64)
        idx = _arg_extremum(x, axis, largest)
        values = np.take_along_axis(x, idx, axis=axis)
        self.index = idx
        if not keepdim:
            values, idx = values.squeeze(axis), idx.squeeze(axis)
        return values, idx.astype(np.int64)

    def backward(self, grad, _grad_indices=None):
        if grad is None:
            return None
        if self.index is None or grad.ndim == 0 and len(self.shape) == 0:
            return grad
        if not self.keepdim:
            grad = grad.unsqueeze(self.axis)
        from .indexing import scatter_into_zeros
        return scatter_into_zeros(grad, self.index, self.axis, self.shape)

    index = None


def _check_nonempty_dims(x, axes, op: str, shown=None) -> None:
    """torch refuses to reduce a max/min over a dim of size 0 (there is no identity).

    `shown` are the dims as the user wrote them (amax's message quotes them unwrapped).
    """
    for a, s in zip(axes, shown if shown is not None else axes):
        if x.ndim and x.shape[a] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {s} to have non-zero size.")


def _arg_extremum(x, axis: int, largest: bool):
    """Index of the first max/min along axis (NaN counts as the extremum, like torch)."""
    if x.dtype.kind in "fc":
        nan = np.isnan(x)
        if nan.any():
            first_nan = np.argmax(nan, axis=axis)
            best = (np.nanargmax if largest else np.nanargmin)(np.where(nan, 0, x), axis=axis)
            idx = np.where(nan.any(axis=axis), first_nan, best)
            return np.expand_dims(idx, axis)
    f = np.argmax if largest else np.argmin
    return np.expand_dims(f(x, axis=axis), axis)


def _extremum(input, dim, keepdim, largest: bool, name: str):
    if isinstance(dim, Tensor):
        from .elementwise import maximum, minimum
        return (maximum if largest else minimum)(input, dim)
    if dim is None:
        return ExtremumAll.apply(input, dim=None, keepdim=False, largest=largest,
                                 name=f"{name}Backward1", op=name.lower())
    values, indices = ExtremumDim.apply(input, dim=dim, keepdim=keepdim, largest=largest)
    return (max_result if largest else min_result)(values, indices)


def max(input, dim=None, keepdim=False):  # noqa: A001 - torch's name
    """Largest value, or (values, indices) along `dim`, or elementwise max with a tensor."""
    return _extremum(input, dim, keepdim, True, "Max")


def min(input, dim=None, keepdim=False):  # noqa: A001 - torch's name
    """Smallest value, or (values, indices) along `dim`, or elementwise min with a tensor."""
    return _extremum(input, dim, keepdim, False, "Min")


def amax(input, dim=(), keepdim=False):
    """Largest values over `dim` (all dims when empty); ties share the gradient."""
    dim = None if dim == () or dim == [] else dim
    return ExtremumAll.apply(input, dim=dim, keepdim=keepdim, largest=True,
                             name="AmaxBackward0", op="amax")


def amin(input, dim=(), keepdim=False):
    dim = None if dim == () or dim == [] else dim
    return ExtremumAll.apply(input, dim=dim, keepdim=keepdim, largest=False,
                             name="AminBackward0", op="amin")


def _argextremum(input, dim, keepdim, largest: bool) -> Tensor:
    x = input._data
    op = "argmax" if largest else "argmin"
    if dim is None:
        if x.size == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        idx = _arg_extremum(x.reshape(-1), 0, largest).reshape(())
        if keepdim:
            idx = idx.reshape((1,) * x.ndim)
        return Tensor._make(idx.astype(np.int64))
    (axis,) = normalize_dims(dim, x.ndim) or (0,)
    _check_nonempty_dims(x, (axis,), op)
    if x.ndim == 0:
        return Tensor._make(np.zeros((), np.int64))
    idx = _arg_extremum(x, axis, largest)
    return Tensor._make((idx if keepdim else idx.squeeze(axis)).astype(np.int64))


def argmax(input, dim=None, keepdim=False) -> Tensor:
    """Index of the largest value (in the flattened tensor when `dim` is None)."""
    return _argextremum(input, dim, keepdim, True)


def argmin(input, dim=None, keepdim=False) -> Tensor:
    return _argextremum(input, dim, keepdim, False)


# ---------------------------------------------------------------------------------------
# logical reductions


def all(input, dim=None, keepdim=False) -> Tensor:  # noqa: A001 - torch's name
    """True where every element (over `dim`) is nonzero; uint8 input gives uint8."""
    axes = normalize_dims(dim, input.ndim) if dim is not None else None
    out = np.all(input._data, axis=axes, keepdims=keepdim)
    return Tensor._make(out.astype(np.uint8) if input.dtype is dtypes.uint8 else out)


def any(input, dim=None, keepdim=False) -> Tensor:  # noqa: A001 - torch's name
    """True where some element (over `dim`) is nonzero."""
    axes = normalize_dims(dim, input.ndim) if dim is not None else None
    out = np.any(input._data, axis=axes, keepdims=keepdim)
    return Tensor._make(out.astype(np.uint8) if input.dtype is dtypes.uint8 else out)


def isnan(input) -> Tensor:
    x = input._data
    return Tensor._make(np.isnan(x) if x.dtype.kind in "fc" else np.zeros(x.shape, bool))


# ---------------------------------------------------------------------------------------
# variance and standard deviation


class Var(Primitive):
    """Variance over `dim` with Bessel's `correction` (1 = unbiased, torch's default).

    out = sum((x - mean)^2) / (n - correction);  grad_x = grad * 2 (x - mean) / (n - c).
    """

    grad_fn_name = "VarBackward0"
    save_inputs = (0,)

    def forward(self, x, dim, correction, keepdim, take_sqrt):
        if x.dtype.kind not in "fc":
            raise RuntimeError("std and var only support floating point and complex dtypes")
        self.axes = normalize_dims(dim, x.ndim)
        self.keepdim, self.take_sqrt = keepdim, take_sqrt
        self.save_output = take_sqrt  # std's backward divides by std itself
        n = int(np.prod([x.shape[a] for a in self.axes])) if self.axes else 1
        self.denom = builtins.max(n - correction, 0)
        if take_sqrt:
            self.grad_fn_name = "StdBackward0"
        centered = x - np.mean(x, axis=self.axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            var = np.sum(centered * centered, axis=self.axes, keepdims=keepdim) / \
                x.dtype.type(self.denom)
            return np.sqrt(var) if take_sqrt else var

    def backward(self, grad):
        x, *out = self.saved_tensors
        centered = x - x.mean(self.axes, keepdim=True)
        grad = _expand_back(grad, x.shape, self.axes, self.keepdim)
        if self.take_sqrt:
            std_ = _expand_back(out[0], x.shape, self.axes, self.keepdim)
            return _std_grad(grad, centered, std_, self.denom)
        return grad * 2 * centered / self.denom


def _std_grad(grad, centered, std_, denom):
    """grad * (x - mean) / (std * (n - c)), with 0 where std is 0 (as torch masks it)."""
    from .elementwise import where
    zero = Tensor._make(np.zeros((), std_._data.dtype))
    scale = where(Tensor._make(std_._data == 0), zero, grad / (std_ * denom))
    return scale * centered


def _correction(unbiased, correction) -> int:
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over `dim` (all dims when None); `correction=1` divides by n - 1."""
    if isinstance(dim, bool):  # var(x, False): the positional `unbiased` of old torch
        dim, unbiased = None, dim
    c = _correction(unbiased, correction)
    return Var.apply(input, dim=dim, correction=c, keepdim=keepdim, take_sqrt=False)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over `dim`; `correction=1` (the default) divides by n - 1."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    c = _correction(unbiased, correction)
    return Var.apply(input, dim=dim, correction=c, keepdim=keepdim, take_sqrt=True)


def _check_floating(x, op: str) -> None:
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"{op} only support floating point and complex dtypes")


class VarMean(Primitive):
    """(var, mean) or (std, mean) over `dim` in one pass; both outputs differentiable."""

    num_outputs = 2

    save_inputs = (0,)
    save_output = True

    def forward(self, x, dim, correction, keepdim, take_sqrt):
        _check_floating(x, "std_mean" if take_sqrt else "var_mean")
        self.grad_fn_name = "StdMeanBackward0" if take_sqrt else "VarMeanBackward0"
        self.axes = normalize_dims(dim, x.ndim)
        self.keepdim, self.take_sqrt = keepdim, take_sqrt
        n = int(np.prod([x.shape[a] for a in self.axes])) if self.axes else 1
        self.count = n
        self.denom = builtins.max(n - correction, 0)
        mean_ = np.mean(x, axis=self.axes, keepdims=True)
        centered = x - mean_
        var = np.sum(centered * centered, axis=self.axes, keepdims=keepdim) / \
            x.dtype.type(self.denom)
        if not keepdim:
            mean_ = mean_.reshape(var.shape)
        return (np.sqrt(var) if take_sqrt else var), mean_

    def backward(self, grad_spread, grad_mean):
        x, out = self.saved_tensors
        shape, axes, keepdim = x.shape, self.axes, self.keepdim
        result = None
        if grad_spread is not None:
            centered = x - x.mean(axes, keepdim=True)
            g = _expand_back(grad_spread, shape, axes, keepdim)
            if self.take_sqrt:
                result = _std_grad(g, centered, _expand_back(out, shape, axes, keepdim),
                                   self.denom)
            else:
                result = g * 2 * centered / self.denom
        if grad_mean is not None:
            g = _expand_back(grad_mean, shape, axes, keepdim) / self.count
            result = g if result is None else result + g
        return result


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(variance, mean) over `dim`; `correction=1` (the default) divides by n - 1."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    c = _correction(unbiased, correction)
    return VarMean.apply(input, dim=dim, correction=c, keepdim=keepdim, take_sqrt=False)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(standard deviation, mean) over `dim`."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    c = _correction(unbiased, correction)
    return VarMean.apply(input, dim=dim, correction=c, keepdim=keepdim, take_sqrt=True)


# ---------------------------------------------------------------------------------------
# prod


class Prod(Primitive):
    """Product over one dim (or all). Integers and bools multiply as int64.

    The gradient of x_i is the product of the others: out / x_i when no entry is
    zero, else the exclusive products before and after x_i (as torch computes it, so
    a NaN among the others still shows up).
    """

    save_inputs = (0,)

    def forward(self, x, dim, keepdim, dtype):
        self.shape, self.keepdim = x.shape, keepdim
        if dim is None:
            self.grad_fn_name = "ProdBackward0"
            self.axes, keepdim = tuple(range(x.ndim)), False
            self.keepdim = False
        else:
            self.grad_fn_name = "ProdBackward1"
            self.axes = normalize_dims(dim, x.ndim)
        return np.prod(x, axis=self.axes, keepdims=keepdim, dtype=_sum_dtype(x, dtype))

    def backward(self, grad):
        (x,) = self.saved_tensors
        zero = x._data == 0
        grad = _expand_back(grad, self.shape, self.axes, self.keepdim)
        if not zero.any():
            out = prod_over(x, self.axes)
            return grad * out / x
        if len(self.axes) == 1:
            return grad * _prod_of_others(x, self.axes[0])
        return grad * _prod_of_others(x.reshape(-1), 0).reshape(x.shape)


def _prod_of_others(x: Tensor, axis: int) -> Tensor:
    """For each entry, the product of the other entries along `axis`: the product of
    those before it times the product of those after it (exclusive cumprods, as
    torch computes prod's gradient when zeros are present)."""
    from .scan import Flip, cumprod
    from .shape import cat, narrow
    n = x.shape[axis]
    ones_shape = list(x.shape)
    ones_shape[axis] = 1
    ones = Tensor._make(np.ones(ones_shape, x._data.dtype))

    def before(t):
        return cat([ones, narrow(cumprod(t, axis), axis, 0, n - 1)], axis)

    return before(x) * Flip.apply(before(Flip.apply(x, axis=axis)), axis=axis)


def prod_over(x: Tensor, axes: tuple) -> Tensor:
    """The product over `axes`, broadcast back to x's shape (differentiable)."""
    out = x
    for a in axes:
        out = Prod.apply(out, dim=a, keepdim=True, dtype=None)
    return out.expand(x.shape) if out.shape != x.shape else out


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of all elements, or along one `dim`; ints and bools give int64."""
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    if dtype is not None:
        input = input.to(dtype)
    return Prod.apply(input, dim=dim, keepdim=keepdim, dtype=None)


# ---------------------------------------------------------------------------------------
# aminmax, logsumexp


class Aminmax(Primitive):
    """(min, max) over `dim` (all dims when None); ties share each gradient evenly."""

    num_outputs = 2

    grad_fn_name = "AminmaxBackward0"
    save_inputs = (0,)

    def forward(self, x, dim, keepdim):
        if x.size == 0 and (dim is None or x.ndim == 0 or x.shape[dim] == 0):
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as "
                               "the operation has no identity.")
        self.axes = normalize_dims(dim, x.ndim)
        self.keepdim = keepdim if dim is not None else False
        lo = np.min(x, axis=self.axes, keepdims=self.keepdim)
        hi = np.max(x, axis=self.axes, keepdims=self.keepdim)
        self.lo, self.hi = lo, hi
        return lo, hi

    def backward(self, grad_min, grad_max):
        (x,) = self.saved_tensors
        result = None
        for g, out in ((grad_min, self.lo), (grad_max, self.hi)):
            if g is None:
                continue
            out = Tensor._make(np.asarray(out))
            # torch compares with == here, so a NaN result spreads NaN (0 / 0)
            part = _spread_evenly(g, x, out, self.axes, self.keepdim, nan_hits=False)
            result = part if result is None else result + part
        return result


def _spread_evenly(grad, x, out, axes, keepdim, nan_hits=True):
    """grad shared evenly among the positions of x that equal the reduced `out`
    (counting NaN as equal to a NaN result unless `nan_hits` is False)."""
    shape = x.shape
    out = _expand_back(out, shape, axes, keepdim)
    hits = (x == out) | (isnan(x) & isnan(out)) if nan_hits else x == out
    count = _expand_back(sum(hits, axes, keepdim=keepdim), shape, axes, keepdim)
    return _expand_back(grad, shape, axes, keepdim) * hits / count


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) of all elements or along `dim`, as `return_types.aminmax`."""
    lo, hi = Aminmax.apply(input, dim=dim, keepdim=keepdim)
    return aminmax_result(lo, hi)


class Logsumexp(Primitive):
    """log(sum(exp(x))) over `dim`, computed around the max so it never overflows."""

    grad_fn_name = "LogsumexpBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(self, x, dim, keepdim):
        if x.dtype.kind not in "fc":
            x = x.astype(dtypes.get_default_dtype().np)
        self.axes = normalize_dims(_all_if_empty(dim), x.ndim)
        self.keepdim = keepdim
        if x.size == 0:
            return np.log(np.sum(np.exp(x), axis=self.axes, keepdims=keepdim))
        m = np.max(x, axis=self.axes, keepdims=True)
        m = np.where(np.isinf(m), 0, m)
        out = np.log(np.sum(np.exp(x - m), axis=self.axes, keepdims=True)) + m
        return out if keepdim else out.reshape(np.sum(out, axis=self.axes).shape)

    def backward(self, grad):
        x, out = self.saved_tensors
        shape = x.shape
        out = _expand_back(out, shape, self.axes, self.keepdim)
        return _expand_back(grad, shape, self.axes, self.keepdim) * (x - out).exp()


def logsumexp(input, dim=_ALL, keepdim=False):
    """log(sum(exp(input))) over `dim` (int or tuple), stable for large inputs."""
    if dim is _ALL:
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
    return Logsumexp.apply(input, dim=dim, keepdim=keepdim)


# ---------------------------------------------------------------------------------------
# norm


class VectorNorm(Primitive):
    """The p-norm of the entries over `dims`: (sum |x|^p)^(1/p); inf -> max |x|,
    -inf -> min |x|, 0 -> number of nonzeros. Backward follows torch's norm_backward."""

    grad_fn_name = "LinalgVectorNormBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(self, x, p, dim, keepdim):
        if x.dtype.kind not in "fc":
            raise RuntimeError("linalg.vector_norm: Expected a floating point or complex "
                               f"tensor as input. Got {_scalar_name(x.dtype)}")
        self.p, self.keepdim = p, keepdim
        self.axes = normalize_dims(_all_if_empty(dim), x.ndim)
        a = np.abs(x)
        axes, kd = self.axes, keepdim
        if x.size == 0 and p in (np.inf, -np.inf):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on an empty "
                               "tensor because the operation does not have an identity")
        if p == 2:
            out = np.sqrt(np.sum(a * a, axis=axes, keepdims=kd))
        elif p == 1:
            out = np.sum(a, axis=axes, keepdims=kd)
        elif p == np.inf:
            out = np.max(a, axis=axes, keepdims=kd, initial=0)
        elif p == -np.inf:
            out = np.min(a, axis=axes, keepdims=kd)
        elif p == 0:
            out = np.sum(a != 0, axis=axes, keepdims=kd).astype(x.dtype)
        else:
            out = np.sum(a ** x.dtype.type(p), axis=axes, keepdims=kd) ** \
                x.dtype.type(1.0 / p)
        return np.asarray(out, dtype=a.dtype)

    def backward(self, grad):
        from .elementwise import sign, where
        x, norm = self.saved_tensors
        p, axes, kd, shape = self.p, self.axes, self.keepdim, x.shape
        if p in (np.inf, -np.inf):
            return _spread_evenly(grad, x.abs(), norm, axes, kd) * sign(x)
        grad = _expand_back(grad, shape, axes, kd)
        norm = _expand_back(norm, shape, axes, kd)
        zero = Tensor._make(np.zeros((), x._data.dtype))
        if p == 0:
            return grad * zero
        if p == 1:
            return grad * sign(x)
        norm_is_zero = Tensor._make(norm._data == 0)
        if p == 2:
            return x * where(norm_is_zero, zero, grad / norm)
        if p < 1:
            scaled = sign(x) * where(Tensor._make(x._data == 0), zero, x.abs() ** (p - 1))
            return scaled * grad * norm ** (1 - p)
        if p < 2:
            scaled = sign(x) * x.abs() ** (p - 1)
        else:
            scaled = x * x.abs() ** (p - 2)
        return scaled * where(norm_is_zero, zero, grad / norm ** (p - 1))


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm over `dim` (all dims when None); 'fro' is the 2-norm of the
    entries. Numbers, inf, -inf and 0 are accepted as `p`."""
    if dtype is not None:
        if dtypes.promote_types(input.dtype, dtype) != dtype:
            raise RuntimeError(
                "linalg.vector_norm: the dtype of the input "
                f"({_scalar_name(input._data.dtype)}) should be convertible without narrowing "
                f"to the specified dtype ({_scalar_name(dtype.np)})")
        input = input.to(dtype)
    if isinstance(p, str):
        if p == "nuc":
            return _nuclear_norm(input, dim, keepdim)
        if p != "fro":
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        p = 2
    if p is None:
        p = 2
    return VectorNorm.apply(input, p=float(p), dim=dim, keepdim=keepdim)


# ---------------------------------------------------------------------------------------
# NaN-aware sums, count_nonzero


class Nansum(Primitive):
    """Sum over `dim` treating NaN as zero; NaN positions get no gradient."""

    grad_fn_name = "NansumBackward0"

    def forward(self, x, dim, keepdim, dtype):
        self.shape, self.keepdim = x.shape, keepdim
        self.axes = normalize_dims(_all_if_empty(dim), x.ndim)
        self.mask = ~np.isnan(x) if x.dtype.kind in "fc" else None
        acc = _sum_dtype(x, dtype)
        return np.nansum(x, axis=self.axes, keepdims=keepdim, dtype=acc)

    def backward(self, grad):
        g = _expand_back(grad, self.shape, self.axes, self.keepdim)
        return g * Tensor._make(self.mask)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum of all elements (or over `dim`), NaNs counted as zero."""
    return Nansum.apply(input, dim=dim, keepdim=keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of the non-NaN elements: nansum / count of non-NaN (torch's composite)."""
    if input._data.dtype.kind not in "fc":
        raise RuntimeError("nanmean(): expected input to have floating point or complex "
                           f"dtype but got {_scalar_name(input._data.dtype)}")
    count = sum(~isnan(input), dim if dim is not None else _ALL, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


def count_nonzero(input, dim=None) -> Tensor:
    """Number of nonzero elements (over `dim`, an int or tuple), as int64."""
    axes = normalize_dims(dim, input.ndim) if dim is not None else None
    return Tensor._make(np.asarray(np.count_nonzero(input._data, axis=axes), np.int64))


class Svdvals(Primitive):
    """Singular values of the matrices in the last two dims. Shape: (*, m, n) ->
    (*, min(m, n)). Backward: U diag(grad) V^T (the singular vectors held fixed)."""

    grad_fn_name = "LinalgSvdBackward0"

    def forward(self, x):
        self.u, s, self.vh = np.linalg.svd(x, full_matrices=False)
        return s.astype(x.dtype)

    def backward(self, grad):
        u, vh = Tensor._make(self.u), Tensor._make(self.vh)
        return (u * grad.unsqueeze(-2)) @ vh


def _nuclear_norm(input, dim, keepdim):
    """Sum of singular values over the matrix dims `dim` (torch.norm: all dims when None,
    which must then be two)."""
    if input.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if dim is None:
        dims = tuple(range(input.ndim))
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                           f"{' '.join(map(str, dims))}")
    a, b = normalize_dims(dims[0], input.ndim)[0], normalize_dims(dims[1], input.ndim)[0]
    perm = [d for d in range(input.ndim) if d not in (a, b)] + [a, b]
    if input._data.dtype.kind not in "fc":
        raise RuntimeError("linalg.matrix_norm: Expected a floating point or complex tensor "
                           f"as input. Got {_scalar_name(input._data.dtype)}")
    out = sum(Svdvals.apply(input.permute(perm)), -1, keepdim)
    if keepdim:
        inverse = [perm.index(d) for d in range(input.ndim)]
        out = out.unsqueeze(-1).permute(inverse)
    return out
