"""Scans along one dim: cumsum, cumprod, cummax, cummin, logcumsumexp.

Each output element depends on the prefix of its row, so every backward is a
*reverse* scan of the incoming gradient (`_reverse_cumsum`: flip, cumsum, flip).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .primitive import Primitive
from .reduction import _return_type, _sum_dtype, normalize_dims

__all__ = [
    'cummax',
    'cummin',
    'cumprod',
    'cumprod_',
    'cumsum',
    'cumsum_',
    'logcumsumexp',
]

TENSOR_METHODS = tuple(__all__)

cummax_result = _return_type("cummax")
cummin_result = _return_type("cummin")


def _axis(x, dim) -> int:
    """`dim` as a non-negative axis (0 for a 0-d tensor, where torch allows 0 and -1)."""
    (axis,) = normalize_dims(dim, x.ndim) or (0,)
    return axis


def _zero(x: Tensor) -> Tensor:
    return Tensor._make(np.zeros((), x._data.dtype))


class Flip(Primitive):
    """x reversed along `axis` (a helper for reverse scans; its own inverse)."""

    grad_fn_name = "FlipBackward0"

    def forward(self, x, axis):
        self.axis = axis
        return np.flip(x, axis).copy() if x.ndim else x.copy()

    def backward(self, grad):
        return Flip.apply(grad, axis=self.axis)


def _reverse_cumsum(x: Tensor, axis: int) -> Tensor:
    """out[i] = sum of x[j] for j >= i along axis (differentiable)."""
    return Flip.apply(Cumsum.apply(Flip.apply(x, axis=axis), dim=axis, dtype=None), axis=axis)


# ---------------------------------------------------------------------------------------
# cumsum / cumprod


class Cumsum(Primitive):
    """Running sum along `dim`. Integers and bools accumulate as int64.

    Shape: unchanged. grad_x[i] = sum_{j >= i} grad[j], a reverse cumsum.
    """

    grad_fn_name = "CumsumBackward0"

    def forward(self, x, dim, dtype):
        self.axis = _axis(x, dim)
        acc = _sum_dtype(x, dtype)
        if x.ndim == 0:
            return x.astype(acc) if acc is not None else x.copy()
        return np.cumsum(x, axis=self.axis, dtype=acc)

    def backward(self, grad):
        if grad.ndim == 0:
            return grad
        return _reverse_cumsum(grad, self.axis)


def cumsum(input, dim, *, dtype=None) -> Tensor:
    """Cumulative sum along `dim`; `dtype` casts before summing (ints/bools -> int64)."""
    if dtype is not None:
        input = input.to(dtype)
    return Cumsum.apply(input, dim=dim, dtype=None)


class Cumprod(Primitive):
    """Running product along `dim`. Integers and bools multiply as int64.

    Backward: grad_x[k] = sum_{j >= k} grad[j] * out[j] / x[k] while x[k] lies before
    the first zero z of its row (the sum stops before z); at z, the product before z
    times sum_{j >= z} grad[j] * prod(x[z+1..j]); after z, 0 (every product through
    it is 0). The same factoring as torch's, so infinities give torch's inf/NaN.
    """

    grad_fn_name = "CumprodBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(self, x, dim, dtype):
        self.axis = _axis(x, dim)
        acc = _sum_dtype(x, dtype)
        if x.ndim == 0:
            return x.astype(acc) if acc is not None else x.copy()
        return np.cumprod(x, axis=self.axis, dtype=acc)

    def backward(self, grad):
        from .elementwise import where
        x, out = self.saved_tensors
        if x.ndim == 0:
            return grad
        axis = self.axis
        zero = x._data == 0
        if not zero.any():
            return _reverse_cumsum(grad * out, axis) / x
        from .reduction import prod
        zeros_so_far = np.cumsum(zero, axis=axis)
        before = Tensor._make(zeros_so_far == 0)
        first = zero & (zeros_so_far == 1)
        through_first = Tensor._make(zeros_so_far == 0) | Tensor._make(first)
        one, nothing = Tensor._make(np.ones((), x._data.dtype)), _zero(x)
        # before the first zero: only the products up to it (later ones are 0 or NaN)
        before_part = _reverse_cumsum(where(before, grad * out, nothing), axis) / \
            where(before, x, one)
        # at the first zero: (product before it) * sum_j grad[j] * (product after it to j)
        head = prod(where(before, x, one), axis, keepdim=True)
        tail = cumprod(where(through_first, one, x), axis)
        at_zero = head * _reverse_cumsum(grad * tail, axis)
        return where(before, before_part, where(Tensor._make(first), at_zero, nothing))


def cumprod(input, dim, *, dtype=None) -> Tensor:
    """Cumulative product along `dim` (ints/bools -> int64); handles zeros in backward."""
    if dtype is not None:
        input = input.to(dtype)
    return Cumprod.apply(input, dim=dim, dtype=None)


def _inplace(t: Tensor, result: Tensor) -> Tensor:
    from .inplace import check_inplace, commit_inplace
    check_inplace(t)
    return commit_inplace(t, result)


def cumsum_(input, dim, *, dtype=None) -> Tensor:
    """In-place cumsum (accumulating in input's own dtype unless `dtype` is given)."""
    return _inplace(input, cumsum(input, dim, dtype=dtype or input.dtype))


def cumprod_(input, dim, *, dtype=None) -> Tensor:
    """In-place cumprod."""
    return _inplace(input, cumprod(input, dim, dtype=dtype or input.dtype))


# ---------------------------------------------------------------------------------------
# cummax / cummin


class CumExtremum(Primitive):
    """Running max/min along `dim`, with the index where each value was (last) reached.

    Ties take the later index and a NaN, once seen, wins from then on (its index is
    that of the latest NaN), as torch does. Backward adds each gradient into the
    position its value came from.
    """

    num_outputs = 2

    def forward(self, x, dim, largest):
        self.grad_fn_name = "CummaxBackward0" if largest else "CumminBackward0"
        axis = self.axis = _axis(x, dim)
        self.shape = x.shape
        if x.ndim == 0:
            self.index = np.zeros((), np.int64)
            return x.copy(), self.index
        values = (np.maximum if largest else np.minimum).accumulate(x, axis=axis)
        hits = x == values
        if x.dtype.kind in "fc":
            hits |= np.isnan(x)
        pos = np.arange(x.shape[axis], dtype=np.int64).reshape(
            [-1 if a == axis else 1 for a in range(x.ndim)])
        index = np.maximum.accumulate(np.where(hits, pos, 0), axis=axis)
        self.index = index
        return values, index

    def backward(self, grad, _grad_indices=None):
        if grad is None:
            return None
        if grad.ndim == 0:
            return grad
        return ScatterAddIntoZeros.apply(grad, index=self.index, axis=self.axis,
                                         shape=self.shape)


class ScatterAddIntoZeros(Primitive):
    """zeros(shape) with `grad` added at `index` along `axis` (repeats accumulate)."""

    grad_fn_name = "ScatterAddBackward0"

    def forward(self, g, index, axis, shape):
        from .indexing import _along_axis_key
        self.index, self.axis = index, axis
        out = np.zeros(shape, dtype=g.dtype)
        np.add.at(out, _along_axis_key(index, axis), g)
        return out

    def backward(self, grad):
        from .indexing import Index, IndexKey, _along_axis_key
        return Index.apply(grad, key=IndexKey(advanced=_along_axis_key(self.index, self.axis)))


def cummax(input, dim):
    """(values, indices): the running maximum along `dim` and where it was reached."""
    values, indices = CumExtremum.apply(input, dim=dim, largest=True)
    return cummax_result(values, indices)


def cummin(input, dim):
    """(values, indices): the running minimum along `dim` and where it was reached."""
    values, indices = CumExtremum.apply(input, dim=dim, largest=False)
    return cummin_result(values, indices)


# ---------------------------------------------------------------------------------------
# logcumsumexp


_SCALAR = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
           "uint8": "Byte", "bool": "Bool"}


class Logcumsumexp(Primitive):
    """out[i] = log(sum_{j <= i} exp(x[j])) along `dim`, by a stable logaddexp scan.

    Backward: grad_x[k] = sum_{j >= k} grad[j] exp(x[k] - out[j]), computed in log
    space separately for the positive and negative parts of grad, so nothing
    overflows.
    """

    grad_fn_name = "LogcumsumexpBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(self, x, dim):
        if x.dtype.kind not in "fc":
            raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for '
                                      f"'{_SCALAR.get(x.dtype.name, x.dtype.name)}'")
        axis = self.axis = _axis(x, dim)
        if x.ndim == 0:
            return x.copy()
        return np.logaddexp.accumulate(x, axis=axis)

    def backward(self, grad):
        from .elementwise import clamp_min, where
        x, out = self.saved_tensors
        if x.ndim == 0:
            return grad
        axis = self.axis

        # torch's formula: the lowest finite value, not -inf, stands for log(0), so that
        # no inf - inf appears in this backward or in its own derivative
        dtype = x._data.dtype
        lowest = Tensor._make(np.array(np.finfo(dtype).min, dtype))
        tiny = float(np.finfo(dtype).tiny)  # keeps log's gradient finite where g is 0

        def part(g):  # sum_{j >= k} g[j] exp(x[k] - out[j]) for g >= 0
            log_g = where(Tensor._make(g._data > 0), clamp_min(g, tiny).log(), lowest)
            rev = Flip.apply(logcumsumexp(Flip.apply(log_g - out, axis=axis), axis),
                             axis=axis)
            return (x + rev).exp()

        return part(clamp_min(grad, 0)) - part(clamp_min(-grad, 0))


def logcumsumexp(input, dim) -> Tensor:
    """log of the cumulative sum of exp(input) along `dim`, computed stably."""
    return Logcumsumexp.apply(input, dim=dim)
