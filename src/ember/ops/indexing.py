"""Indexing: `x[key]` and `x[key] = value`.

Basic keys (ints, slices, None, Ellipsis) give views, as in torch and NumPy; keys
holding tensors, lists or bool masks (advanced indexing) give copies. The backward
of both puts the gradient back where the values came from (`embed_in_zeros`),
adding where an advanced index repeats a position.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .primitive import Primitive

_BASIC = (int, slice, type(None), type(Ellipsis), np.integer)


def _convert_key(key):
    """The key as NumPy understands it, and whether it is basic (a view)."""
    if not isinstance(key, tuple):
        key = (key,)
    out, basic = [], True
    for k in key:
        if isinstance(k, Tensor):
            k = k._data
            basic = False
        elif isinstance(k, (list, np.ndarray)):
            k = np.asarray([i._data if isinstance(i, Tensor) else i for i in k]) \
                if isinstance(k, list) else k
            basic = False
        elif isinstance(k, bool):
            basic = False
        elif not isinstance(k, _BASIC):
            if hasattr(k, "__index__"):
                k = k.__index__()
            else:
                raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long "
                                 "or byte Variables are valid indices (got "
                                 f"{type(k).__name__})")
        if isinstance(k, np.ndarray) and k.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        out.append(k)
    if basic and not any(k is Ellipsis for k in out):
        out.append(Ellipsis)  # keeps NumPy returning a 0-d *view*, not a scalar copy
    return tuple(out), basic


def _grad_fn_name(key) -> str:
    for k in reversed(key):
        if isinstance(k, (int, np.integer)):
            return "SelectBackward0"
        if isinstance(k, slice):
            return "SliceBackward0"
        if k is None:
            return "UnsqueezeBackward0"
    return "AliasBackward0"


def _index_error(err: IndexError, shape) -> IndexError:
    msg = str(err)
    if msg.startswith("too many indices"):
        return IndexError(f"too many indices for tensor of dimension {len(shape)}")
    return IndexError(msg.replace("axis", "dimension"))


class Index(Primitive):
    """x[key]; a view for basic keys, a copy for advanced ones."""

    grad_fn_name = "IndexBackward0"

    def forward(self, x, key, basic):
        self.in_shape, self.key, self.dtype = x.shape, key, x.dtype
        if basic:
            self.grad_fn_name = _grad_fn_name(key)
            self.is_view = True
        try:
            return x[key]
        except IndexError as err:
            raise _index_error(err, x.shape) from None

    def backward(self, grad):
        return embed_in_zeros(grad, self.in_shape, self.key)


def getitem(input, key) -> Tensor:
    np_key, basic = _convert_key(key)
    return Index.apply(input, key=np_key, basic=basic)


class EmbedInZeros(Primitive):
    """zeros(shape) with `grad` added at `key` (the backward of indexing)."""

    grad_fn_name = "IndexPutBackward0"

    def forward(self, g, shape, key):
        self.key = key
        out = np.zeros(shape, dtype=g.dtype)
        if _is_basic(key):
            out[key] = g
        else:
            np.add.at(out, key, g)  # repeated indices accumulate
        return out

    def backward(self, grad):
        return grad[self.key] if _is_basic(self.key) else Index.apply(grad, key=self.key,
                                                                       basic=False)


def _is_basic(key) -> bool:
    return all(isinstance(k, _BASIC) for k in key)


def embed_in_zeros(grad: Tensor, shape, key) -> Tensor:
    return EmbedInZeros.apply(grad, shape=shape, key=key)


class ScatterIntoZeros(Primitive):
    """zeros(shape) with `grad` placed at `index` along `axis` (max(dim)'s backward)."""

    grad_fn_name = "ScatterBackward0"

    def forward(self, g, index, axis, shape):
        self.index, self.axis = index, axis
        out = np.zeros(shape, dtype=g.dtype)
        np.put_along_axis(out, index, g, axis=axis)
        return out

    def backward(self, grad):
        return Tensor._make(np.take_along_axis(grad._data, self.index, axis=self.axis)) \
            if not grad._requires_grad else _gather(grad, self.index, self.axis)


def _gather(t, index, axis):
    key = _along_axis_key(index, axis)
    return Index.apply(t, key=key, basic=False)


def _along_axis_key(index, axis):
    """An advanced-indexing key equivalent to take_along_axis(x, index, axis)."""
    grids = list(np.ix_(*[np.arange(s) for s in index.shape]))
    grids[axis] = index
    return tuple(grids)


def scatter_into_zeros(grad: Tensor, index, axis: int, shape) -> Tensor:
    return ScatterIntoZeros.apply(grad, index=index, axis=axis, shape=shape)


class IndexPut(Primitive):
    """x with x[key] replaced by value (out of place; `setitem` writes it back)."""

    grad_fn_name = "CopySlices"

    def forward(self, x, value, key):
        self.key = key
        self.value_shape = np.shape(value)
        out = x.copy()
        out[key] = value
        return out

    def backward(self, grad):
        keep = np.ones(grad.shape, dtype=bool)
        keep[self.key] = False
        grad_x = grad * Tensor._make(keep)
        grad_value = grad[self.key] if _is_basic(self.key) else Index.apply(
            grad, key=self.key, basic=False)
        from .reduction import sum_to_shape
        return grad_x, sum_to_shape(grad_value, self.value_shape)


def setitem(input, key, value) -> None:
    """x[key] = value, in place (bumps the version; records CopySlices when needed)."""
    from .inplace import check_inplace, commit_inplace
    np_key, _ = _convert_key(key)
    data = input._data
    if isinstance(value, Tensor):
        v = value._data.astype(data.dtype, copy=False)
    else:
        v = value
    check_inplace(input)
    if _records(input, value):
        result = IndexPut.apply(input, value if isinstance(value, Tensor) else
                                Tensor._make(np.asarray(v, dtype=data.dtype)), key=np_key)
        commit_inplace(input, result)
        return
    try:
        data[np_key] = v
    except IndexError as err:
        raise _index_error(err, data.shape) from None
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape "
                           f"[{', '.join(map(str, np.shape(v)))}] cannot be broadcast to "
                           f"indexing result of shape "
                           f"[{', '.join(map(str, data[np_key].shape))}]") from None
    input._vc[0] += 1


def _records(input, value) -> bool:
    from ..autograd import grad_mode
    return grad_mode._enabled and (input._requires_grad or
                                   (isinstance(value, Tensor) and value._requires_grad))


def nonzero(input, *, as_tuple: bool = False):
    idx = np.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in idx)
    return Tensor._make(np.stack(idx, axis=-1).astype(np.int64) if idx else
                        np.zeros((0, 0), np.int64))
