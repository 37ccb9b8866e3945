"""Searching and counting: argwhere, searchsorted, bucketize, bincount, histc.

None of these is differentiable (bincount's weights record torch's NotImplemented
node). searchsorted over a 1-D sequence is `np.searchsorted`; over N-D sequences every
row is searched at once by one lexsort of the row's boundaries and values together.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .indexing import _list, _scalar, nonzero
from .primitive import Primitive

__all__ = [
    'argwhere',
    'bincount',
    'bucketize',
    'histc',
    'searchsorted',
]

# the ones torch also offers as Tensor methods (x.name(...))
TENSOR_METHODS = tuple(name for name in __all__ if name not in {'bucketize', 'searchsorted'})


def argwhere(input):
    """The indices of input's nonzero elements, one row per element: (n, ndim) int64."""
    return nonzero(input)


# ---------------------------------------------------------------------------------------
# searchsorted, bucketize


def _search_rows(bounds, values, right: bool):
    """np.searchsorted row by row: bounds (R, M) sorted per row, values (R, Q)."""
    r, m = bounds.shape
    q = values.shape[1]
    dtype = np.result_type(bounds.dtype, values.dtype)
    keys = np.concatenate([bounds.astype(dtype), values.astype(dtype)], axis=1)
    # ties: a value goes before equal boundaries (left) or after them (right)
    tag = np.concatenate([np.full((r, m), 0 if right else 1, np.int8),
                          np.full((r, q), 1 if right else 0, np.int8)], axis=1)
    order = np.lexsort((tag, keys), axis=-1)
    below = np.cumsum(order < m, axis=1)  # boundaries at or before each sorted position
    out = np.empty((r, q), np.int64)
    rows, cols = np.nonzero(order >= m)
    out[rows, order[rows, cols] - m] = below[rows, cols]
    return out


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """For each value, the index where it would go in the sorted innermost dim of
    `sorted_sequence` (left: before equal entries; right/side='right': after)."""
    seq = sorted_sequence._data
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError("torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to "
                               "opposites, got side of left while right was True")
        right = side == "right"
    scalar = not isinstance(input, Tensor)
    vals = np.asarray(input) if scalar else input._data
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    if seq.ndim > 1 and vals.ndim == 0:
        raise RuntimeError("torch.searchsorted(): input value can be a scalar only when "
                           f"boundaries tensor dimension is 1, but we got boundaries tensor "
                           f"dim({seq.ndim}) and input value's dim({vals.ndim}) "
                           f"numel({vals.size})")
    if seq.ndim > 1 and seq.shape[:-1] != vals.shape[:-1]:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                           "the first N-1 dimensions of boundaries tensor and input value "
                           f"tensor must match, but we got boundaries tensor {_list(seq.shape)} "
                           f"and input value tensor {_list(vals.shape)}")
    if sorter is not None:
        order = sorter._data
        if order.dtype != np.int64:
            raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype "
                               f"but got dtype {_scalar(order.dtype)}")
        if order.shape != seq.shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {_list(seq.shape)}and got "
                               f"sorter tensor {_list(order.shape)}")
        if order.size and (order.min() < 0 or order.max() >= seq.shape[-1]):
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
        seq = np.take_along_axis(seq, order, axis=-1)
    side_name = "right" if right else "left"
    if seq.ndim == 1:
        dtype = np.result_type(seq.dtype, vals.dtype)
        res = np.searchsorted(seq.astype(dtype, copy=False), vals.astype(dtype, copy=False),
                              side=side_name)
    elif vals.size == 0:
        res = np.zeros(vals.shape, np.int64)
    else:
        res = _search_rows(seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1]),
                           right).reshape(vals.shape)
    return Tensor._make(np.asarray(res, np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """For each value, the index of its bucket among 1-D `boundaries` (right=False:
    boundaries[i-1] < x <= boundaries[i]; right=True: boundaries[i-1] <= x < boundaries[i])."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# ---------------------------------------------------------------------------------------
# bincount, histc


class _NotDifferentiable(Primitive):
    """An output torch records with a NotImplemented node: backward raises."""

    grad_fn_name = "torch::autograd::NotImplemented"

    def forward(self, out, weights, op):
        self.op = op
        return out

    def backward(self, grad):
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


def bincount(input, weights=None, minlength=0):
    """Counts of each value in a 1-D tensor of non-negative ints (or summed weights)."""
    data = input._data
    if data.dtype.kind not in "iu":
        raise NotImplementedError(f'"bincount_cpu" not implemented for '
                                  f"'{_scalar(data.dtype)}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if data.ndim != 1 or (data.size and data.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights.ndim != 1 or weights.shape[0] != data.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    if weights is None:
        return Tensor._make(np.bincount(data.astype(np.int64), minlength=minlength)
                            .astype(np.int64))
    w = weights._data
    dtype = np.float32 if w.dtype == np.float32 else np.float64
    counts = np.bincount(data.astype(np.int64), weights=w.astype(np.float64),
                         minlength=minlength).astype(dtype)
    return _NotDifferentiable.apply(Tensor._make(counts), weights, op="bincount")


def _fmt(v: float) -> str:
    if v != v:
        return "-nan"
    return f"{v:g}"


def histc(input, bins=100, min=0, max=0):  # noqa: A002 - torch's names
    """Histogram of input's values in `bins` equal bins over [min, max] (min == max: the
    data's range); values outside are ignored. Same dtype as input."""
    data = input._data
    if data.dtype.kind != "f":
        raise NotImplementedError(f'"histogram_cpu" not implemented for '
                                  f"'{_scalar(data.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_fmt(lo)}, {_fmt(hi)}] is not finite")
    if not lo < hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    t = data.dtype.type
    lo_t, hi_t = t(lo), t(hi)
    x = data.reshape(-1)
    x = x[(x >= lo_t) & (x <= hi_t)]
    # torch's linear interpolation, in the input's dtype, the top edge in the last bin
    pos = ((x - lo_t) * t(bins) / (hi_t - lo_t)).astype(np.int64)
    pos = np.minimum(pos, bins - 1)
    return Tensor._make(np.bincount(pos, minlength=bins).astype(data.dtype))
