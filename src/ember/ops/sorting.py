"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, median,
nanmedian, mode, quantile, nanquantile, unique, unique_consecutive.

They start from a stable NumPy argsort along the dim, or np.argpartition where only
one rank or the top k are needed (topk, kthvalue, median); NaN sorts as the largest
value, as in torch. Ops that pick elements (sort, topk, kthvalue, median along a dim,
mode) send each gradient back to the index it was picked from.

torch's `stable=False` CPU sort is a different algorithm for rows longer than 16
(ties may come out in another order); ember always sorts stably, which is one of
the orders torch allows. Likewise, which of several tied positions topk, kthvalue,
median and mode report is not specified by torch; ember reports the one the stable
order gives (mode: the last occurrence, as torch).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .primitive import Primitive
from .reduction import _return_type, _spread_evenly, normalize_dims

__all__ = [
    'argsort',
    'kthvalue',
    'median',
    'mode',
    'msort',
    'nanmedian',
    'nanquantile',
    'quantile',
    'sort',
    'topk',
    'unique',
    'unique_consecutive',
]

TENSOR_METHODS = tuple(__all__)

sort_result = _return_type("sort")
topk_result = _return_type("topk")
kthvalue_result = _return_type("kthvalue")
median_result = _return_type("median")
nanmedian_result = _return_type("nanmedian")
mode_result = _return_type("mode")

_SCALAR = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
           "uint8": "Byte", "bool": "Bool", "float16": "Half", "float32": "Float",
           "float64": "Double"}


def _axis(x, dim) -> int:
    (axis,) = normalize_dims(dim, x.ndim) or (0,)
    return axis


def stable_argsort(x, axis: int, descending: bool = False):
    """Indices that sort `x` along `axis`; equal values keep their original order.

    Descending: sort the reversed array ascending, then reverse the result and map
    the indices back, so ties still come out in their original order.
    """
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    flipped = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return (n - 1) - np.flip(flipped, axis)


def _positions(shape, axis):
    """0..n-1 along `axis`, shaped to broadcast against an array of `shape`."""
    return np.arange(shape[axis]).reshape([-1 if a == axis else 1 for a in range(len(shape))])


class Select(Primitive):
    """Values of x at `index` along `axis` (index from an argsort: a pick, not a
    reduction). Outputs (values, int64 index), the index squeezed like the values.

    Backward: zeros with the gradient written at the picked indices.
    """

    num_outputs = 2

    def forward(self, x, index, axis, squeeze, name):
        self.grad_fn_name = name
        self.shape, self.axis, self.index, self.squeeze = x.shape, axis, index, squeeze
        if x.ndim == 0:
            return x.copy(), np.zeros((), np.int64)
        values = np.take_along_axis(x, index, axis=axis)
        index = index.astype(np.int64)
        if squeeze:
            values, index = values.squeeze(axis), index.squeeze(axis)
        return values, index

    def backward(self, grad, _grad_index=None):
        if grad is None:
            return None
        if len(self.shape) == 0:
            return grad
        if self.squeeze:
            grad = grad.unsqueeze(self.axis)
        from .indexing import scatter_into_zeros
        return scatter_into_zeros(grad, self.index, self.axis, self.shape)


def _pick(input, index, axis, keepdim, name, result):
    values, indices = Select.apply(input, index=index, axis=axis, squeeze=not keepdim,
                                   name=name)
    return result(values, indices)


# ---------------------------------------------------------------------------------------
# sort, argsort, msort, topk


def sort(input, dim=-1, descending=False, stable=None):
    """(values, indices) sorted along `dim`; NaN counts as the largest value.

    Passing `stable` (either value) selects torch's sort.stable overload, whose node
    is SortBackward1.
    """
    if isinstance(dim, bool):  # sort(x, stable=...) written positionally is not allowed
        raise TypeError("sort(): argument 'dim' must be int, not bool")
    x = input._data
    axis = _axis(x, dim)
    index = stable_argsort(x, axis, descending) if x.ndim else None
    name = "SortBackward0" if stable is None else "SortBackward1"
    return _pick(input, index, axis, True, name, sort_result)


def argsort(input, dim=-1, descending=False, stable=False) -> Tensor:
    """Indices (int64) that sort `input` along `dim`."""
    x = input._data
    axis = _axis(x, dim)
    if x.ndim == 0:
        return Tensor._make(np.zeros((), np.int64))
    return Tensor._make(stable_argsort(x, axis, descending).astype(np.int64))


def msort(input) -> Tensor:
    """`input` sorted along its first dim."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - torch's name
    """The `k` largest (or smallest) values along `dim` and their indices, in order."""
    x = input._data
    if x.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    axis = _axis(x, dim)
    n = x.shape[axis] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    index = None
    if x.ndim:
        index = _top_indices(x, k, axis, largest)
    return _pick(input, index, axis, True, "TopkBackward0", topk_result)


def _top_indices(x, k: int, axis: int, largest: bool):
    """Indices of the k largest (smallest) values along axis, in sorted order.

    np.argpartition finds the k candidates in linear time; only those are then sorted
    (by value, ties by index) instead of the whole row.
    """
    n = x.shape[axis]
    if k == 0:
        return np.take(np.zeros(x.shape, np.int64), np.arange(0), axis=axis)
    if k < n:
        kth = n - k if largest else k - 1
        part = np.argpartition(x, kth, axis=axis)
        chosen = np.arange(n - k, n) if largest else np.arange(k)
        cand = np.sort(np.take(part, chosen, axis=axis), axis=axis)
    else:
        cand = np.broadcast_to(_positions(x.shape, axis), x.shape)
    order = stable_argsort(np.take_along_axis(x, cand, axis=axis), axis, descending=largest)
    return np.take_along_axis(cand, order, axis=axis)


def kthvalue(input, k, dim=-1, keepdim=False):
    """The k-th smallest value along `dim` (k counts from 1) and its index."""
    x = input._data
    axis = _axis(x, dim)
    n = x.shape[axis] if x.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    index = None
    if x.ndim:
        index = np.take(np.argpartition(x, k - 1, axis=axis), [k - 1], axis=axis)
    return _pick(input, index, axis, keepdim, "KthvalueBackward0", kthvalue_result)


# ---------------------------------------------------------------------------------------
# median, nanmedian, mode


def _check_sortable(x, op: str) -> None:
    if x.dtype == np.bool_:
        raise NotImplementedError(f'"{op}_cpu" not implemented for \'Bool\'')


def _check_nonempty(x, axis, op) -> None:
    if x.ndim and x.shape[axis] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {axis} to have non-zero size.")


class MedianAll(Primitive):
    """The lower median of all elements (NaN if any is NaN); ties share the gradient."""

    save_inputs = (0,)
    save_output = True

    def forward(self, x, ignore_nan):
        self.grad_fn_name = "NanmedianBackward0" if ignore_nan else "MedianBackward0"
        flat = x.reshape(-1)
        if flat.size == 0:
            return np.array(np.nan, x.dtype)
        nan = np.isnan(flat) if x.dtype.kind == "f" else np.zeros(flat.shape, bool)
        if ignore_nan:
            flat = flat[~nan]
            if flat.size == 0:
                return np.array(np.nan, x.dtype)
        elif nan.any():
            return np.array(np.nan, x.dtype)
        return np.asarray(np.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2])

    def backward(self, grad):
        x, out = self.saved_tensors
        return _spread_evenly(grad, x, out, tuple(range(x.ndim)), False)


def _median_dim(input, dim, keepdim, ignore_nan):
    op = "nanmedian" if ignore_nan else "median"
    x = input._data
    _check_sortable(x, op)
    axis = _axis(x, dim)
    _check_nonempty(x, axis, op)
    index = None
    if x.ndim:
        n = x.shape[axis]
        nan = np.isnan(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool)
        nans = np.sum(nan, axis=axis, keepdims=True)
        if ignore_nan and nans.any():
            # the median of each row's non-NaN values: NaNs sort last, so it sits at a
            # position that differs between rows; select it from a full sort
            order = stable_argsort(x, axis)
            pos = np.maximum((n - nans - 1) // 2, 0)
            index = np.take_along_axis(order, pos, axis=axis)
        else:
            mid = (n - 1) // 2
            index = np.take(np.argpartition(x, mid, axis=axis), [mid], axis=axis)
            if not ignore_nan:  # any NaN makes the median NaN, reported at the first NaN
                first_nan = np.expand_dims(np.argmax(nan, axis=axis), axis)
                index = np.where(nans > 0, first_nan, index)
    name = "NanmedianBackward1" if ignore_nan else "MedianBackward1"
    return _pick(input, index, axis, keepdim, name,
                 nanmedian_result if ignore_nan else median_result)


def median(input, dim=None, keepdim=False):
    """Lower median of all elements, or (values, indices) along `dim`; NaN propagates."""
    if dim is None:
        _check_sortable(input._data, "median")
        return MedianAll.apply(input, ignore_nan=False)
    return _median_dim(input, dim, keepdim, False)


def nanmedian(input, dim=None, keepdim=False):
    """median ignoring NaNs (NaN only where every value is NaN)."""
    if dim is None:
        _check_sortable(input._data, "nanmedian")
        return MedianAll.apply(input, ignore_nan=True)
    return _median_dim(input, dim, keepdim, True)


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along `dim` (the smallest among equally frequent ones)
    and the index of its last occurrence."""
    x = input._data
    axis = _axis(x, dim)
    _check_nonempty(x, axis, "mode")
    index = None
    if x.ndim:
        n = x.shape[axis]
        order = stable_argsort(x, axis)
        s = np.take_along_axis(x, order, axis=axis)
        pos = _positions(s.shape, axis)
        change = np.take(s, np.arange(1, n), axis) != np.take(s, np.arange(n - 1), axis)
        edge = np.ones_like(np.take(s, [0], axis=axis), dtype=bool)
        starts = np.concatenate([edge, change], axis=axis)
        ends = np.concatenate([change, edge], axis=axis)
        run_start = np.maximum.accumulate(np.where(starts, pos, 0), axis=axis)
        run_end = np.flip(np.minimum.accumulate(
            np.flip(np.where(ends, pos, n), axis), axis=axis), axis)
        best = np.expand_dims(np.argmax(run_end - run_start, axis=axis), axis)
        last = np.take_along_axis(run_end, best, axis=axis)
        # the stable order keeps equal values in index order: the run's end is the last
        index = np.take_along_axis(order, last, axis=axis)
    return _pick(input, index, axis, keepdim, "ModeBackward0", mode_result)


# ---------------------------------------------------------------------------------------
# quantile


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


class Quantile(Primitive):
    """The q-quantiles along `axis` (x already holds that dim last, sorted).

    out = lerp(sorted[lo], sorted[hi], weight) with rank = q (n - 1); the gradient
    goes to the two picked positions of the sorted input and, for 'linear', to q
    (d out / d q = (sorted[hi] - sorted[lo]) (n - 1)).
    """

    grad_fn_name = "SqueezeBackward4"

    def forward(self, s, q, interpolation, ignore_nan, shape):
        self.q_shape = q.shape
        q = q.reshape(-1)
        n = s.shape[-1]
        valid = np.sum(~np.isnan(s), axis=-1, keepdims=True) if ignore_nan else \
            np.full(s.shape[:-1] + (1,), n)
        has_nan = np.isnan(s).any(axis=-1, keepdims=True)
        last = np.maximum(valid, 1) - 1
        rank = q.astype(s.dtype) * last.astype(s.dtype)  # (..., nq)
        if interpolation == "lower":
            rank = np.floor(rank)
        elif interpolation == "higher":
            rank = np.ceil(rank)
        elif interpolation == "nearest":
            rank = np.round(rank)  # half to even, like torch's round
        lo = np.floor(rank).astype(np.int64)
        hi = np.minimum(np.ceil(rank).astype(np.int64), last)
        weight = (rank - lo).astype(s.dtype)
        if interpolation == "midpoint":
            weight = np.where(hi > lo, s.dtype.type(0.5), s.dtype.type(0))
        a = np.take_along_axis(s, lo, axis=-1)
        b = np.take_along_axis(s, hi, axis=-1)
        out = np.where(weight == 0, a, a + (b - a) * weight)
        bad = np.broadcast_to((valid == 0) if ignore_nan else has_nan, out.shape)
        # a row that gives NaN takes it (and its gradient) from a NaN of the sorted row, as
        # torch does: the last entry for quantile, the first for an all-NaN nanquantile row
        at = 0 if ignore_nan else n - 1
        lo = np.where(bad, at, lo)
        hi = np.where(bad, at, hi)
        weight = np.where(bad, s.dtype.type(0), weight)
        out = np.where(bad, s.dtype.type(np.nan), out)
        self.lo, self.hi, self.s_shape, self.mid_shape = lo, hi, s.shape, out.shape
        self.weight, self.keep = weight, 1 - weight
        self.dq = None
        if interpolation == "linear":  # the slope of each quantile in q
            self.dq = np.where(bad, s.dtype.type(0), (b - a) * last.astype(s.dtype))
        # (*rest, nq) -> (nq, *rest) -> the requested shape
        return np.moveaxis(out, -1, 0).reshape(shape)

    def backward(self, grad):
        from .scan import ScatterAddIntoZeros
        mid = self.mid_shape
        g = grad.reshape((mid[-1],) + mid[:-1]).movedim(0, -1)
        grad_s = (ScatterAddIntoZeros.apply(g * Tensor._make(self.keep), index=self.lo,
                                            axis=-1, shape=self.s_shape)
                  + ScatterAddIntoZeros.apply(g * Tensor._make(self.weight), index=self.hi,
                                              axis=-1, shape=self.s_shape))
        grad_q = None
        if self.dq is not None:
            per_q = (g * Tensor._make(self.dq)).reshape(-1, mid[-1]).sum(0)
            grad_q = per_q.reshape(self.q_shape)
        return grad_s, grad_q


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    op = "nanquantile" if ignore_nan else "quantile"
    x = input._data
    if x.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    scalar_q = not isinstance(q, Tensor)
    qa = np.asarray(q._data if isinstance(q, Tensor) else q, dtype=np.float64)
    if qa.ndim > 1:
        raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
    if isinstance(q, Tensor) and q._data.dtype != x.dtype:
        raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor")
    if scalar_q and not 0 <= float(qa) <= 1:
        raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
    if not scalar_q and qa.size and not ((qa >= 0) & (qa <= 1)).all():
        raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if x.size == 0:
        raise IndexError(f"{op}() input tensor must be non-empty")
    if dim is None:
        work, axis = input.reshape(-1), 0
        kept = [1] * x.ndim if keepdim else []
    else:
        axis = _axis(x, dim)
        work = input if x.ndim else input.reshape(1)
        kept = list(x.shape)
        if x.ndim:
            if keepdim:
                kept[axis] = 1
            else:
                del kept[axis]
    s = sort(work.movedim(axis, -1) if work.ndim > 1 else work, -1).values
    shape = tuple(kept) if qa.ndim == 0 else (qa.size, *kept)
    q_tensor = q if isinstance(q, Tensor) else Tensor._make(qa.astype(x.dtype))
    return Quantile.apply(s, q_tensor, interpolation=interpolation, ignore_nan=ignore_nan,
                          shape=shape)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles of `input` (over all elements or along `dim`); `q` a float or a
    1-d tensor (its size becomes the first dim of the result)."""
    return _quantile(input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile ignoring NaNs (NaN only where every value is NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, True)


# ---------------------------------------------------------------------------------------
# unique, unique_consecutive


class _Unique(Primitive):
    """unique's values: differentiable in torch's graph, but with no derivative."""

    def forward(self, x, values, name, op):
        self.grad_fn_name, self.op = name, op
        return values

    def backward(self, grad):
        raise NotImplementedError(f"the derivative for '{self.op}' is not implemented.")


def _unique_result(input, values, inverse, counts, return_inverse, return_counts,
                   name, op):
    out = _Unique.apply(input, values=values, name=name, op=op)
    extras = []
    if return_inverse:
        extras.append(Tensor._make(inverse.astype(np.int64)))
    if return_counts:
        extras.append(Tensor._make(counts.astype(np.int64)))
    return (out, *extras) if extras else out


def unique(input, sorted=True, return_inverse=False, return_counts=False,  # noqa: A002
           dim=None):
    """The distinct values (sorted; torch's CPU result is sorted even with sorted=False),
    optionally with each element's index into them and each value's count."""
    x = input._data
    if dim is None:
        # NaNs never equal each other: each one is its own value, as in torch
        values, inverse, counts = np.unique(x.reshape(-1), return_inverse=True,
                                            return_counts=True, equal_nan=False)
        return _unique_result(input, values, inverse.reshape(x.shape), counts,
                              return_inverse, return_counts, "Unique2Backward0", "_unique2")
    axis = _axis(x, dim)
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True,
                                        axis=axis)
    return _unique_result(input, values, inverse.reshape(-1), counts, return_inverse,
                          return_counts, "UniqueDimBackward0", "unique_dim")


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse each run of equal consecutive values (or slices along `dim`) to one."""
    x = input._data
    if dim is None:
        flat, axis = x.reshape(-1), 0
    else:
        axis = _axis(x, dim)
        flat = x if x.ndim else x.reshape(1)
    n = flat.shape[axis]
    if n == 0:
        starts = np.zeros(0, bool)
    else:
        diff = np.diff(flat, axis=axis) != 0 if flat.dtype != np.bool_ else \
            np.take(flat, np.arange(1, n), axis) != np.take(flat, np.arange(n - 1), axis)
        other = tuple(a for a in range(flat.ndim) if a != axis)
        changed = diff.any(axis=other) if other else diff
        starts = np.concatenate([[True], changed])
    values = np.compress(starts, flat, axis=axis)
    inverse = np.cumsum(starts) - 1
    counts = np.diff(np.append(np.flatnonzero(starts), n))
    if dim is None:
        inverse = inverse.reshape(x.shape)
    return _unique_result(input, values, inverse, counts, return_inverse, return_counts,
                          "UniqueConsecutiveBackward0", "unique_consecutive")
