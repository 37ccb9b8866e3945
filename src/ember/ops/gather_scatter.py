"""Gathers and scatters: gather/scatter along a dim, index_* along a dim, masked_*,
take/put on the flattened tensor, index_put with a tuple of index tensors.

Every forward is a few vectorised NumPy calls: a gather is `take_along_axis`, a
scatter a fancy assignment at flat (C-order) positions, and an accumulating scatter
one `np.bincount` (floats, when the targets are not sparse) or `np.add.at`. Each
backward is written with the ops of this file (a gather's backward is a scatter_add,
whose backward is a gather again), so gradients of gradients work.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .indexing import IndexKey, _list, _scalar, parse_key
from .inplace import check_inplace, commit_inplace
from .primitive import Primitive

__all__ = [
    'gather',
    'index_add',
    'index_add_',
    'index_copy',
    'index_copy_',
    'index_fill',
    'index_fill_',
    'index_put',
    'index_put_',
    'index_select',
    'masked_fill',
    'masked_fill_',
    'masked_scatter',
    'masked_scatter_',
    'masked_select',
    'put',
    'put_',
    'scatter',
    'scatter_',
    'scatter_add',
    'scatter_add_',
    'scatter_reduce',
    'scatter_reduce_',
    'take',
    'take_along_dim',
]

# the ones torch also offers as Tensor methods (x.name(...))
TENSOR_METHODS = tuple(__all__)

_REDUCES = ("sum", "prod", "mean", "amax", "amin")


# ---------------------------------------------------------------------------------------
# helpers


def _axis(dim, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def _c_strides(shape) -> list:
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= n
    return out[::-1]


def _linear(index, axis: int, shape) -> np.ndarray:
    """Flat C-order position in an array of `shape` of each target of a scatter along
    `axis` (index[i][j][k] replaces coordinate `axis`; the others are i, j, k)."""
    strides = _c_strides(shape)
    lin = index.astype(np.int64) * strides[axis] if index.ndim else index.astype(np.int64)
    for d, n in enumerate(index.shape):
        if d != axis:
            view = [1] * index.ndim
            view[d] = n
            lin = lin + (np.arange(n, dtype=np.int64) * strides[d]).reshape(view)
    return lin


def _accumulate(flat, lin, values) -> None:
    """flat[lin] += values, repeated positions adding up (flat is 1-D, contiguous)."""
    lin, values = lin.reshape(-1), np.broadcast_to(values, lin.shape).reshape(-1)
    if flat.dtype.kind == "f" and lin.size * 4 >= flat.size:
        flat += np.bincount(lin, weights=values, minlength=flat.size).astype(flat.dtype)
    else:
        np.add.at(flat, lin, values)


def _check_bounds(index, size: int, axis: int) -> None:
    """No negative indices here: torch's gather/scatter/index_add refuse them."""
    bad = (index < 0) | (index >= size) if index.size else None
    if bad is not None and bad.any():
        raise RuntimeError(f"index {index[bad].flat[0]} is out of bounds for dimension {axis} "
                           f"with size {size}")


def _check_along(x_shape, index, axis: int, src_shape=None, self_word="input") -> None:
    """gather/scatter: same number of dims, index no larger than self (and src)."""
    if index.ndim != len(x_shape) and not (index.size == 0 or
                                            (index.ndim <= 1 and len(x_shape) <= 1)):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as "
                           f"{self_word} tensor")
    if index.size == 0:
        return
    ishape = index.shape if index.ndim else (1,)
    xs = tuple(x_shape) if len(x_shape) else (1,)
    ss = None if src_shape is None else (tuple(src_shape) if len(src_shape) else (1,))
    for d, n in enumerate(ishape):
        if d == axis:
            continue
        if ss is not None and d >= len(ss):  # torch asks src.size(d)
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-len(ss)}, {len(ss) - 1}], but got {d})")
        if src_shape is None and n > xs[d] and self_word == "self":  # scatter of a value
            raise RuntimeError(f"Expected index {_list(ishape)} to be no larger than self "
                               f"{_list(xs)} apart from dimension {axis}")
        if src_shape is None and n > xs[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index "
                               f"{_list(ishape)} to be no larger than self {_list(xs)} apart "
                               f"from dimension {axis}")
        if src_shape is not None and (n > xs[d] or n > ss[d]):
            raise RuntimeError(f"Expected index {_list(ishape)} to be no larger than self "
                               f"{_list(xs)} apart from dimension {axis} and to be no larger "
                               f"size than src {_list(ss)}")
    if src_shape is not None and ss is not None and any(n > ss[d] for d, n in enumerate(ishape)
                                                       if d == axis):
        raise RuntimeError(f"Expected index {_list(ishape)} to be no larger than self "
                           f"{_list(xs)} apart from dimension {axis} and to be no larger "
                           f"size than src {_list(ss)}")
    _check_bounds(index, xs[axis], axis)


def _lead(a, shape):
    """a[:shape[0], :shape[1], ...] (the part of `a` an index of `shape` reaches)."""
    if a.shape == tuple(shape):
        return a
    return a[tuple(slice(0, n) for n in shape)]


def _as1d(a):
    return a.reshape(1) if a.ndim == 0 else a


def _same_dtype(x: Tensor, src: Tensor, name: str) -> None:
    if src._data.dtype != x._data.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")


def _value_array(value, like):
    """A number or 0-d tensor as a 0-d array of `like`'s dtype."""
    v = value._data if isinstance(value, Tensor) else value
    return np.asarray(v).astype(like.dtype)


def _zeros(shape, like: Tensor) -> Tensor:
    return Tensor._make(np.zeros(shape, like._data.dtype))


def _inplace(t: Tensor, compute) -> Tensor:
    check_inplace(t)
    return commit_inplace(t, compute())


# ---------------------------------------------------------------------------------------
# gather, scatter, scatter_add, scatter_reduce


class Gather(Primitive):
    """out[i][j] = x[index[i][j]][j] (dim 0). Shapes: x (*), index (*) -> index's shape."""

    grad_fn_name = "GatherBackward0"

    def forward(self, x, index, axis):
        self.shape, self.index, self.axis = x.shape, index, axis
        if x.ndim == 0 or index.ndim == 0:  # both at most 1-D here
            return _as1d(x)[_as1d(index)].reshape(index.shape)
        return np.take_along_axis(_lead(x, [n if d != axis else x.shape[d]
                                            for d, n in enumerate(index.shape)]),
                                  index.astype(np.intp), axis)

    def backward(self, grad):
        return ScatterAdd.apply(_zeros(self.shape, grad), grad, index=self.index, axis=self.axis)


class Scatter(Primitive):
    """x with x[index[i][j]][j] = src[i][j] (dim 0); src a tensor or a number."""

    def forward(self, x, src, index, axis, reduce=None):
        self.index, self.axis, self.reduce = index, axis, reduce
        self.tensor_src = isinstance(src, np.ndarray)
        self.src_shape = np.shape(src)
        if reduce is not None:
            self.grad_fn_name = "torch::autograd::NotImplemented"
        else:
            self.grad_fn_name = "ScatterBackward0" if self.tensor_src else "ScatterBackward1"
        out = np.array(x, order="C", copy=True)
        if index.size == 0:
            return out
        lin = _linear(_as1d(index), axis, _as1d(out).shape)
        values = _lead(_as1d(src), _as1d(index).shape) if self.tensor_src else src
        flat = out.reshape(-1)
        if reduce == "add":
            _accumulate(flat, lin, values)
        elif reduce == "multiply":
            np.multiply.at(flat, lin.reshape(-1), np.broadcast_to(values, lin.shape).reshape(-1))
        else:
            flat[lin] = values
        return out

    def backward(self, grad):
        if self.reduce is not None:
            raise RuntimeError("derivative for aten::scatter is not implemented")
        grad_x = Scatter.apply(grad, 0, index=self.index, axis=self.axis)
        if not self.tensor_src:
            return grad_x, None
        return grad_x, _src_grad(grad, self.index, self.axis, self.src_shape)


class ScatterAdd(Primitive):
    """x with src[i][j] added at x[index[i][j]][j] (dim 0)."""

    grad_fn_name = "ScatterAddBackward0"

    def forward(self, x, src, index, axis):
        self.index, self.axis, self.src_shape = index, axis, src.shape
        out = np.array(x, order="C", copy=True)
        if index.size:
            lin = _linear(_as1d(index), axis, _as1d(out).shape)
            _accumulate(out.reshape(-1), lin, _lead(_as1d(src), _as1d(index).shape))
        return out

    def backward(self, grad):
        return grad, _src_grad(grad, self.index, self.axis, self.src_shape)


def _src_grad(grad, index, axis, src_shape):
    """grad.gather(dim, index), placed in zeros of src's shape when src is larger."""
    part = Gather.apply(grad, index=index, axis=axis)
    if tuple(src_shape) == index.shape:
        return part
    if len(src_shape) == 0:
        return part.reshape(())
    from .indexing import embed_in_zeros
    return embed_in_zeros(part, tuple(src_shape), tuple(slice(0, n) for n in index.shape))


def _prepare_scatter(input, dim, index, src, name):
    axis = _axis(dim, input.ndim)
    idx = _index_along(index, "scatter")  # torch names every variant scatter() here
    src_shape = src._data.shape if isinstance(src, Tensor) else None
    _check_along(input._data.shape, idx, axis, src_shape, self_word="self")
    if isinstance(src, Tensor):
        _same_dtype(input, src, "scatter")
    return axis, idx


def _index_along(index, name):
    data = index._data
    if data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    return data


def gather(input, dim, index, *, sparse_grad=False):
    """out[i][j] = input[index[i][j]][j] for dim 0 (and likewise for other dims)."""
    axis = _axis(dim, input.ndim)
    idx = _index_along(index, "gather")
    _check_along(input._data.shape, idx, axis)
    return Gather.apply(input, index=idx, axis=axis)


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """input with src (a tensor or a number) written at `index` along `dim`."""
    if src is None:
        src = value
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    axis, idx = _prepare_scatter(input, dim, index, src, "scatter")
    if reduce is not None and isinstance(src, Tensor):
        import warnings
        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and "
                      "will be removed in a future PyTorch release. Use torch.scatter_reduce "
                      "instead for more reduction options.", UserWarning, stacklevel=2)
    if not isinstance(src, Tensor):
        src = _value_array(src, input._data)[()]
    return Scatter.apply(input, src, index=idx, axis=axis, reduce=reduce)


def scatter_(input, dim, index, src=None, value=None, *, reduce=None):
    return _inplace(input, lambda: scatter(input, dim, index, src, value, reduce=reduce))


def scatter_add(input, dim, index, src):
    """input with src added at `index` along `dim` (repeated indices add up)."""
    axis, idx = _prepare_scatter(input, dim, index, src, "scatter_add")
    return ScatterAdd.apply(input, src, index=idx, axis=axis)


def scatter_add_(input, dim, index, src):
    return _inplace(input, lambda: scatter_add(input, dim, index, src))


class ScatterReduce(Primitive):
    """input with src reduced into it at `index` along `dim` (sum/prod/mean/amax/amin)."""

    grad_fn_name = "ScatterReduceBackward0"
    save_inputs = (0, 1)
    save_output = True

    def forward(self, x, src, index, axis, reduce, include_self):
        self.index, self.axis, self.reduce, self.include_self = index, axis, reduce, include_self
        # torch's forward also takes "max"/"min" for amax/amin; its backward does not
        reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)
        return _scatter_reduce(x, src, index, axis, reduce, include_self)

    def backward(self, grad):
        if self.reduce not in _REDUCES:
            raise RuntimeError("Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', "
                               f"'amin' but got {self.reduce}.")
        x, src, result = self.saved_tensors
        index, axis, reduce = self.index, self.axis, self.reduce
        idx_t = Tensor._make(index)

        def gather_(t):
            return Gather.apply(t, index=index, axis=axis)

        def scatter_add_(t, s):
            return ScatterAdd.apply(t, s, index=index, axis=axis)

        lead_src = src if src._data.shape == index.shape else src[
            tuple(slice(0, n) for n in index.shape)]
        grad_src = None
        if reduce == "sum":
            grad_x, grad_src = grad, gather_(grad)
        elif reduce == "mean":
            ones = Tensor._make(np.ones(index.shape, grad._data.dtype))
            base = Tensor._make(np.full(grad._data.shape, float(self.include_self),
                                        grad._data.dtype))
            n = scatter_add_(base, ones)
            n = masked_fill(n, n == 0, 1)
            grad_x = grad / n
            grad_src = gather_(grad_x)
        elif reduce == "prod":
            masked_x = masked_fill(x, x == 0, 1)
            masked_x_result = scatter_reduce(masked_x, axis, idx_t, src, reduce,
                                             include_self=self.include_self)
            grad_x = grad * masked_x_result / masked_x
            src_zero = lead_src == 0
            zeros_count = ScatterAdd.apply(_zeros(x._data.shape, x), src_zero.to(x.dtype),
                                           index=index, axis=axis)
            src_single_zero = src_zero & (gather_(zeros_count) == 1)
            masked_src = masked_fill(lead_src, src_single_zero, 1)
            masked_src_result = scatter_reduce(x, axis, idx_t, masked_src, reduce,
                                               include_self=self.include_self)
            from .elementwise import where
            grad_src = where(src_single_zero, gather_(grad * masked_src_result),
                             gather_(grad * result) / masked_fill(lead_src, src_zero, 1))
        else:  # amax, amin
            value = gather_(result)
            x_is = (x == result).to(grad.dtype)
            src_is = (lead_src == value).to(grad.dtype)
            n = scatter_add_(x_is, src_is)
            spread = grad / n
            grad_x = x_is * spread
            grad_src = src_is * gather_(spread)
        if not self.include_self:
            grad_x = Scatter.apply(grad_x, 0, index=index, axis=axis)
        if grad_src is not None and src._data.shape != index.shape:
            from .indexing import embed_in_zeros
            grad_src = embed_in_zeros(grad_src, src._data.shape,
                                      tuple(slice(0, n) for n in index.shape))
        return grad_x, grad_src


def _scatter_reduce(x, src, index, axis, reduce, include_self):
    out = np.array(x, order="C", copy=True)
    if index.size == 0:
        return out
    flat = out.reshape(-1)
    lin = _linear(_as1d(index), axis, _as1d(out).shape).reshape(-1)
    values = _lead(_as1d(src), _as1d(index).shape).reshape(-1)
    if not include_self:
        if reduce in ("sum", "mean"):
            flat[lin] = 0
        elif reduce == "prod":
            flat[lin] = 1
        else:
            kind = out.dtype.kind
            big = np.inf if kind == "f" else (True if kind == "b" else np.iinfo(out.dtype).max)
            small = -np.inf if kind == "f" else (False if kind == "b" else
                                                 np.iinfo(out.dtype).min)
            flat[lin] = small if reduce == "amax" else big
    if reduce in ("sum", "mean"):
        _accumulate(flat, lin, values)
        if reduce == "mean":
            count = np.bincount(lin, minlength=flat.size) + int(include_self)
            count = np.maximum(count, 1).astype(out.dtype)
            if out.dtype.kind in "fc":
                flat /= count
            else:
                np.floor_divide(flat, count, out=flat)
    elif reduce == "prod":
        np.multiply.at(flat, lin, values)
    elif reduce == "amax":
        np.maximum.at(flat, lin, values)
    else:
        np.minimum.at(flat, lin, values)
    return out


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """input with src reduced in at `index` along `dim` ("sum", "prod", "mean", "amax",
    "amin"); include_self=False leaves the old values of the targets out."""
    if reduce not in _REDUCES and reduce not in ("max", "min"):
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    axis, idx = _prepare_scatter(input, dim, index, src, "scatter_reduce")
    return ScatterReduce.apply(input, src, index=idx, axis=axis, reduce=reduce,
                               include_self=include_self)


def scatter_reduce_(input, dim, index, src, reduce, *, include_self=True):
    return _inplace(input, lambda: scatter_reduce(input, dim, index, src, reduce,
                                                  include_self=include_self))


# ---------------------------------------------------------------------------------------
# index_select, index_add, index_copy, index_fill (whole slices along a dim)


def _dim_key(axis: int, idx) -> tuple:
    return (slice(None),) * axis + (idx,)


class IndexSelect(Primitive):
    """out = x's slices `index` along `dim`. Shapes: (*, n, *) -> (*, len(index), *)."""

    grad_fn_name = "IndexSelectBackward0"

    def forward(self, x, index, axis):
        self.shape, self.index, self.axis = x.shape, index, axis
        if x.ndim == 0:
            return x.reshape(1)[index].reshape(())
        return np.take(x, index, axis=axis)

    def backward(self, grad):
        return IndexAdd.apply(_zeros(self.shape, grad), grad, index=self.index, axis=self.axis,
                              alpha=1)


class IndexAdd(Primitive):
    """x with alpha * source's slices added at `index` along `dim`."""

    grad_fn_name = "IndexAddBackward0"

    def forward(self, x, source, index, axis, alpha):
        self.index, self.axis, self.alpha = index, axis, alpha
        self.source_shape = source.shape
        out = np.array(x, copy=True)
        o, s = _as1d(out), _as1d(source)
        if alpha != 1:
            s = s * np.asarray(alpha).astype(out.dtype)
        idx = index.reshape(-1).astype(np.intp) % max(o.shape[axis], 1)
        if idx.size:
            add_slices(o, axis, idx, s)
        return out

    def backward(self, grad):
        grad_source = IndexSelect.apply(grad, index=self.index.reshape(-1), axis=self.axis)
        if self.alpha != 1:
            grad_source = grad_source * self.alpha
        return grad, grad_source.reshape(self.source_shape)


def add_slices(out, axis: int, idx, src) -> None:
    """out's slices idx (non-negative, 1-D) along `axis` += src's slices, in place,
    repeated indices adding up.

    Distinct indices take one fancy `+=`. With repeats, the occurrences are sorted and
    added in rounds (the k-th occurrence of every index in round k) when no index
    repeats more than a few times, else summed per index with one `np.add.reduceat`
    (which is slow along a leading axis, hence not the first choice).
    """
    if out.ndim == 1 and out.dtype.kind == "f":
        out += np.bincount(idx, weights=src, minlength=out.size).astype(out.dtype)
        return
    order = np.argsort(idx, kind="stable")
    sorted_idx = idx[order]
    new_group = np.r_[True, sorted_idx[1:] != sorted_idx[:-1]]
    starts = np.flatnonzero(new_group)
    if starts.size == idx.size:
        out[_dim_key(axis, idx)] += src.astype(out.dtype, copy=False)
        return
    taken = np.take(src, order, axis=axis).astype(out.dtype, copy=False)
    rank = np.arange(idx.size) - starts[np.cumsum(new_group) - 1]
    if rank.max() < 8:
        for k in range(int(rank.max()) + 1):
            sel = np.flatnonzero(rank == k)
            out[_dim_key(axis, sorted_idx[sel])] += np.take(taken, sel, axis=axis)
        return
    sums = np.add.reduceat(taken, starts, axis=axis)
    out[_dim_key(axis, sorted_idx[starts])] += sums


def _check_index_vector(index, name: str, allowed="iu"):
    data = index._data
    if data.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    return data


def _check_source(input, index, source, axis, name, err=RuntimeError, sep=": "):
    n = index.size
    sdim = source._data.shape[axis] if source.ndim else 1
    if n != sdim:
        raise err(f"{name}(): Number of indices ({n}) should be equal to source.size(dim)"
                  f"{sep}({sdim})" + (f", for dim: {axis}" if err is RuntimeError else ""))


def index_select(input, dim, index):
    """The slices `index` (a vector) of input along `dim`."""
    data = index._data
    if data.dtype.kind not in "iu":
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    data = _check_index_vector(index, "index_select")
    axis = _axis(dim, input.ndim)
    if input.ndim == 0 and data.size != 1:
        raise RuntimeError("index_select(): Index to scalar can have only 1 value, got "
                           f"{data.size} value(s)")
    size = input._data.shape[axis] if input.ndim else 1
    bad = (data < 0) | (data >= size)
    if bad.any():
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={data[bad].flat[0]} "
                           f"axis_dim={size}")
    return IndexSelect.apply(input, index=data.reshape(-1), axis=axis)


def index_add(input, dim, index, source, *, alpha=1):
    """input with alpha * source's slices added at `index` along `dim` (repeats add)."""
    axis = _axis(dim, input.ndim)
    data = index._data
    if data.dtype.kind not in "iu":
        raise RuntimeError("index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{_scalar(data.dtype)}")
    data = _check_index_vector(index, "index_add_")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_add_(): self ({_scalar(input._data.dtype)}) and source "
                           f"({_scalar(source._data.dtype)}) must have the same scalar type")
    _check_source(input, data, source, axis, "index_add_")
    xs, ss = tuple(input.shape), tuple(source.shape)
    if (xs or ss) and (len(xs) != len(ss) or any(a != b for d, (a, b) in enumerate(zip(xs, ss))
                                                if d != axis)):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {_list(xs)} source.shape = "
                           f"{_list(ss)}")
    _check_bounds(data, input._data.shape[axis] if input.ndim else 1, axis)
    return IndexAdd.apply(input, source, index=data, axis=axis, alpha=alpha)


def index_add_(input, dim, index, source, *, alpha=1):
    return _inplace(input, lambda: index_add(input, dim, index, source, alpha=alpha))


class IndexCopy(Primitive):
    """x with its slices `index` along `dim` replaced by source's slices."""

    grad_fn_name = "IndexCopyBackward0"

    def forward(self, x, source, index, axis):
        self.index, self.axis, self.source_shape = index, axis, source.shape
        out = np.array(x, copy=True)
        _as1d(out)[_dim_key(axis, index.reshape(-1))] = _as1d(source)
        return out

    def backward(self, grad):
        grad_x = IndexFill.apply(grad, 0, index=self.index, axis=self.axis, tensor_value=False)
        grad_source = IndexSelect.apply(grad, index=self.index.reshape(-1), axis=self.axis)
        return grad_x, grad_source.reshape(self.source_shape)


def _long_index(index, name: str, message=None):
    data = index._data
    if data.dtype != np.int64:
        raise RuntimeError(message or f"{name}(): Expected a long tensor for index, but got "
                           f"{_scalar(data.dtype)}")
    return data


def index_copy(input, dim, index, source):
    """input with its slices `index` along `dim` replaced by source's slices."""
    axis = _axis(dim, input.ndim)
    data = _long_index(index, "index_copy_")
    if data.ndim > 1:
        raise IndexError("index_copy_(): Index should have dimension 1 or 0 (got "
                         f"{data.ndim})")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {_scalar(input._data.dtype)} and (source) "
                           f"{_scalar(source._data.dtype)}")
    xs, ss = list(input.shape), list(source.shape)
    if not ss:
        if data.size != 1:
            raise IndexError("index_copy_(): When source is scalar, index should have one "
                             f"element (got {data.size})")
    elif xs and len(ss) != len(xs):
        raise IndexError("index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({len(ss)}), "
                         f"destination dimensionality ({len(xs)})")
    x_slice = xs[:axis] + xs[axis + 1:] if xs else []
    s_slice = ss[:axis] + ss[axis + 1:] if ss else []
    if xs and ss and x_slice != s_slice:
        raise RuntimeError("index_copy_(): Source/destination tensor must have same slice "
                           f"shapes. Destination slice shape: {' '.join(map(str, x_slice))} at "
                           f"dimension {axis} and source slice shape: "
                           f"{' '.join(map(str, s_slice))} at dimension 0.")
    _check_source(input, data, source, axis, "index_copy_", IndexError, " ")
    size = input._data.shape[axis] if input.ndim else 1
    bad = (data < 0) | (data >= size)
    if bad.any():
        raise IndexError(f"index_copy_(): index {data[bad].flat[0]} is out of bounds for "
                         f"dimension {axis} with size {size}")
    return IndexCopy.apply(input, source, index=data, axis=axis)


def index_copy_(input, dim, index, source):
    return _inplace(input, lambda: index_copy(input, dim, index, source))


class IndexFill(Primitive):
    """x with its slices `index` along `dim` set to one value (a number or 0-d tensor)."""

    def forward(self, x, value, index, axis, tensor_value):
        self.index, self.axis, self.tensor_value = index, axis, tensor_value
        self.grad_fn_name = "IndexFillBackward1" if tensor_value else "IndexFillBackward0"
        out = np.array(x, copy=True)
        _as1d(out)[_dim_key(axis, index.reshape(-1))] = np.asarray(value).astype(x.dtype)
        return out

    def backward(self, grad):
        grad_x = IndexFill.apply(grad, 0, index=self.index, axis=self.axis, tensor_value=False)
        if not self.tensor_value:
            return grad_x, None
        uniq = np.unique(self.index.reshape(-1) % max(_as1d(grad._data).shape[self.axis], 1))
        return grad_x, IndexSelect.apply(grad, index=uniq, axis=self.axis).sum()


def index_fill(input, dim, index, value):
    """input with its slices `index` along `dim` set to `value`."""
    axis = _axis(dim, input.ndim)
    data = index._data
    if data.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if data.ndim > 1:
        raise IndexError("Index has to be a vector/scalar")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    size = input._data.shape[axis] if input.ndim else 1
    bad = (data < -size) | (data >= size)
    if bad.any():
        raise IndexError(f"index {data[bad].flat[0]} is out of bounds for dimension {axis} "
                         f"with size {size}")
    return IndexFill.apply(input, value, index=data, axis=axis,
                           tensor_value=isinstance(value, Tensor))


def index_fill_(input, dim, index, value):
    return _inplace(input, lambda: index_fill(input, dim, index, value))


# ---------------------------------------------------------------------------------------
# index_put


class IndexPutOp(Primitive):
    """x with values written (or, accumulate=True, added) at x[indices]."""

    grad_fn_name = "IndexPutBackward0"

    def forward(self, x, values, key, accumulate):
        self.key, self.accumulate, self.values_shape = key, accumulate, values.shape
        out = np.array(x, copy=True)
        region = out[key.basic + (Ellipsis,)]
        target_shape = region[key.advanced].shape
        v = np.broadcast_to(values, target_shape)
        adv = key.advanced
        if accumulate and len(adv) == 1 and adv[0].ndim == 1 and adv[0].dtype.kind in "iu":
            add_slices(region, 0, adv[0].astype(np.intp) % max(region.shape[0], 1), v)
        elif accumulate:
            np.add.at(region, adv, v)
        else:
            region[key.advanced] = v
        return out

    def backward(self, grad):
        from .indexing import Index
        from .reduction import sum_to_shape
        grad_x = grad if self.accumulate else IndexPutOp.apply(
            grad, Tensor._make(np.zeros((), grad._data.dtype)), key=self.key, accumulate=False)
        grad_values = sum_to_shape(Index.apply(grad, key=self.key), self.values_shape)
        return grad_x, grad_values


def _index_put_key(input, indices) -> IndexKey:
    if not isinstance(indices, (tuple, list)):
        raise TypeError("index_put(): argument 'indices' must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    items = tuple(slice(None) if i is None else i for i in indices)
    x = input._data
    key = parse_key(items, x.shape, tuple(s // x.itemsize for s in x.strides))
    if key.advanced is None:
        key = IndexKey(key.basic, (Ellipsis,), key.shape, key.strides, key.offset, key.last)
    return key


def index_put(input, indices, values, accumulate=False):
    """input with values put at input[indices] (a tuple of index tensors); with
    accumulate=True repeated positions add up."""
    key = _index_put_key(input, indices)
    if values._data.dtype != input._data.dtype:
        raise RuntimeError("Index put requires the source and destination dtypes match, got "
                           f"{_scalar(input._data.dtype)} for the destination and "
                           f"{_scalar(values._data.dtype)} for the source.")
    target = input._data[key.basic + (Ellipsis,)][key.advanced].shape
    try:
        np.broadcast_to(np.empty(values._data.shape, np.bool_), target)
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {_list(values.shape)} "
                           f"cannot be broadcast to indexing result of shape "
                           f"{_list(target)}") from None
    return IndexPutOp.apply(input, values, key=key, accumulate=bool(accumulate))


def index_put_(input, indices, values, accumulate=False):
    return _inplace(input, lambda: index_put(input, indices, values, accumulate))


# ---------------------------------------------------------------------------------------
# masked_fill, masked_select, masked_scatter


def _bool_mask(mask, message: str):
    data = mask._data
    if data.dtype != np.bool_:
        raise RuntimeError(message)
    return data


def _broadcast(a_shape, b_shape) -> tuple:
    from .elementwise import infer_broadcast_shape as broadcast_shapes
    return broadcast_shapes(tuple(a_shape), tuple(b_shape))


class MaskedFill(Primitive):
    """x (broadcast with mask) with `value` where mask is True."""

    def forward(self, x, mask, value, tensor_value):
        self.mask, self.tensor_value = mask, tensor_value
        self.grad_fn_name = "MaskedFillBackward1" if tensor_value else "MaskedFillBackward0"
        return np.where(mask, np.asarray(value).astype(x.dtype), x)

    def backward(self, grad):
        mask = Tensor._make(self.mask)
        grad_x = masked_fill(grad, mask, 0)
        if not self.tensor_value:
            return grad_x, None, None
        from .elementwise import where
        return grad_x, None, where(mask, grad, grad.new_zeros(())).sum()


def masked_fill(input, mask, value):
    """input with `value` (a number or 0-d tensor) wherever mask is True."""
    data = mask._data
    if data.dtype != np.bool_:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_cpp_name(data.dtype)}")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    from .elementwise import _check_broadcast
    _check_broadcast(data, input._data)
    return MaskedFill.apply(input, mask, value, tensor_value=isinstance(value, Tensor))


_CPP = {"uint8": "unsigned char", "int8": "signed char", "int16": "short", "int32": "int",
        "int64": "long int", "float32": "float", "float64": "double"}


def _cpp_name(np_dtype) -> str:
    return _CPP.get(np.dtype(np_dtype).name, np.dtype(np_dtype).name)


def masked_fill_(input, mask, value):
    return _inplace(input, lambda: masked_fill(input, mask, value))


class MaskedSelect(Primitive):
    """The elements of x (broadcast with mask) where mask is True, as a vector."""

    grad_fn_name = "MaskedSelectBackward0"

    def forward(self, x, mask):
        shape = _broadcast(x.shape, mask.shape)
        self.mask = np.broadcast_to(mask, shape)
        return np.broadcast_to(x, shape)[self.mask]

    def backward(self, grad):
        zeros = _zeros(self.mask.shape, grad)
        return MaskedScatter.apply(zeros, Tensor._make(self.mask), grad), None


def _check_expands(shape, target) -> None:
    """torch's error when `shape` cannot be expanded to `target`."""
    shape, target = tuple(shape), tuple(target)
    if len(shape) > len(target):
        raise RuntimeError(f"expand(CPUBoolType{{{_list(shape)}}}, size={_list(target)}): the "
                           f"number of sizes provided ({len(target)}) must be greater or equal "
                           f"to the number of dimensions in the tensor ({len(shape)})")
    lead = len(target) - len(shape)
    for i, n in enumerate(shape):
        if n != 1 and n != target[lead + i]:
            raise RuntimeError(f"The expanded size of the tensor ({target[lead + i]}) must match "
                               f"the existing size ({n}) at non-singleton dimension {lead + i}.  "
                               f"Target sizes: {_list(target)}.  Tensor sizes: {_list(shape)}")


def masked_select(input, mask):
    """input's elements where mask (broadcast together) is True, in C order."""
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    from .elementwise import _check_broadcast
    _check_broadcast(mask._data, input._data)
    return MaskedSelect.apply(input, mask)


class MaskedScatter(Primitive):
    """x (broadcast with mask) with source's first elements written where mask is True."""

    grad_fn_name = "MaskedScatterBackward0"

    def forward(self, x, mask, source):
        shape = _broadcast(x.shape, mask.shape)
        self.mask, self.source_shape = np.broadcast_to(mask, shape), source.shape
        out = np.array(np.broadcast_to(x, shape), copy=True)
        n = int(self.mask.sum())
        out[self.mask] = source.reshape(-1)[:n]
        return out

    def backward(self, grad):
        mask = Tensor._make(self.mask)
        grad_x = masked_fill(grad, mask, 0)
        picked = MaskedSelect.apply(grad, mask)
        size = int(np.prod(self.source_shape))
        if picked.shape[0] < size:
            from .shape import cat
            picked = cat([picked, _zeros((size - picked.shape[0],), grad)])
        return grad_x, None, picked.reshape(self.source_shape)


def masked_scatter(input, mask, source):
    """input with mask's True positions filled, in order, from source's elements."""
    data = mask._data
    if data.dtype != np.bool_:
        raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {_scalar(data.dtype)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but "
                           f"got{_scalar(input._data.dtype)} and {_scalar(source._data.dtype)}")
    from .elementwise import _check_broadcast
    _check_broadcast(input._data, data)
    if int(np.broadcast_to(data, _broadcast(input.shape, data.shape)).sum()) > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return MaskedScatter.apply(input, mask, source)


def masked_scatter_(input, mask, source):
    _check_expands(mask.shape, input.shape)
    return _inplace(input, lambda: masked_scatter(input, mask, source))


# ---------------------------------------------------------------------------------------
# take, put, take_along_dim


class Take(Primitive):
    """x's elements at flat (C-order) positions `index`, in index's shape."""

    grad_fn_name = "TakeBackward0"

    def forward(self, x, index):
        self.shape, self.index = x.shape, index
        return np.take(x.reshape(-1), index)

    def backward(self, grad):
        return Put.apply(_zeros(self.shape, grad), grad, index=self.index, accumulate=True)


class Put(Primitive):
    """x with source written (or added) at flat positions `index`."""

    grad_fn_name = "PutBackward0"

    def forward(self, x, source, index, accumulate):
        self.index, self.accumulate, self.source_shape = index, accumulate, source.shape
        out = np.array(x, order="C", copy=True)
        flat = out.reshape(-1)
        lin = index.reshape(-1) % max(flat.size, 1)
        if accumulate:
            _accumulate(flat, lin, source.reshape(-1))
        else:
            flat[lin] = source.reshape(-1)
        return out

    def backward(self, grad):
        grad_x = grad if self.accumulate else Put.apply(
            grad, _zeros(self.source_shape, grad), index=self.index, accumulate=False)
        return grad_x, Take.apply(grad, index=self.index).reshape(self.source_shape)


def _flat_index(input, index, name: str):
    data = index._data
    if data.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected a long tensor for index, but got "
                           f"{_scalar(data.dtype)}")
    n = input.numel()
    bad = (data < -n) | (data >= n)
    if bad.any():
        raise IndexError(f"out of range: tried to access index {data[bad].flat[0]} on a tensor "
                         f"of {n} elements.")
    return data


def take(input, index):
    """input's elements at flat positions `index` (as if input were 1-D)."""
    return Take.apply(input, index=_flat_index(input, index, "take"))


def put(input, index, source, accumulate=False):
    """input with source's elements written (or added) at flat positions `index`."""
    data = _flat_index(input, index, "put_")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError("put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_scalar(input._data.dtype)} and source.dtype = "
                           f"{_scalar(source._data.dtype)}")
    if source.numel() != data.size:
        raise IndexError("put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source.numel()}, index.numel() "
                         f"= {data.size}")
    return Put.apply(input, source, index=data, accumulate=bool(accumulate))


def put_(input, index, source, accumulate=False):
    return _inplace(input, lambda: put(input, index, source, accumulate))


def take_along_dim(input, indices, dim=None):
    """Values of input at `indices` along `dim` (broadcast in the other dims); with
    dim=None, at flat positions."""
    data = indices._data
    if data.dtype != np.int64:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_scalar(data.dtype)}")
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    if input.ndim != indices.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input.ndim} dimensions for input, "
                           f"and {indices.ndim} dimensions for indices")
    axis = _axis(dim, input.ndim)
    ishape, xshape = list(indices.shape), list(input.shape)
    ishape[axis] = xshape[axis] = 1
    full = list(_broadcast(xshape, ishape))
    x_to, i_to = list(full), list(full)
    x_to[axis], i_to[axis] = input.shape[axis], indices.shape[axis]
    if list(input.shape) != x_to:
        input = input.expand(*x_to)
    if list(indices.shape) != i_to:
        indices = indices.expand(*i_to)
    return gather(input, axis, indices)

