"""Indexing: `x[key]` and `x[key] = value`.

torch reads a key in two passes, and so does ember:

1. the *basic* items (ints, slices with a positive step, None, Ellipsis) select,
   slice and unsqueeze, giving a view of `x` with exactly torch's strides;
2. the *advanced* items (int lists/tensors, bool masks) then index that view,
   giving a copy (NumPy's rules for where the new dims go, which torch shares).

Doing the ints first is what makes `x[1, :, [0, 1]]` torch's shape (4, 2) for a
(3, 4, 5) tensor, where NumPy alone would give (2, 4). The backward of both puts
the gradient back where the values came from (`embed_in_zeros`), adding where an
advanced index repeats a position.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _address, _root_array
from .primitive import Primitive, mark_view

__all__ = [
    'getitem',
    'nonzero',
    'setitem',
]

# the ones torch also offers as Tensor methods (x.name(...))
TENSOR_METHODS = tuple(name for name in __all__ if name not in {'getitem', 'setitem'})


_INTS = (int, np.integer)


class IndexKey:
    """A key split into torch's two passes.

    Attributes:
        basic: a NumPy key of ints, slices and None (no Ellipsis) giving the view.
        advanced: a NumPy key applied to that view, or None when the key is basic.
        shape, strides, offset: the view's geometry as torch computes it (in elements,
            offset relative to the indexed array's first element).
    """

    __slots__ = ("basic", "advanced", "shape", "strides", "offset", "last")

    def __init__(self, basic=(), advanced=None, shape=None, strides=None, offset=0,
                 last=None):
        self.basic, self.advanced, self.last = basic, advanced, last
        self.shape, self.strides, self.offset = shape, strides, offset

    def apply(self, x):
        """x[key] as NumPy arrays: a view for basic keys, a copy otherwise."""
        out = x[self.basic + (Ellipsis,)]
        if self.strides is not None:
            out = _restride(x, out, self)
        return out if self.advanced is None else out[self.advanced]


def _to_index(k):
    """One key item as an int, slice, None, Ellipsis or NumPy index array."""
    if isinstance(k, Tensor):
        k = k._data
        if k.dtype.kind == "f" or k.dtype.kind == "c":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if k.ndim == 0 and k.dtype.kind == "i":  # torch reads a 0-d integer tensor as an int
            return int(k)
        return k
    if isinstance(k, bool):
        return np.asarray(k)
    if isinstance(k, (slice, type(None), type(Ellipsis))) or isinstance(k, _INTS):
        return int(k) if isinstance(k, _INTS) else k
    if isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype.kind == "i":
        return int(k)
    if isinstance(k, (list, tuple, np.ndarray)):
        arr = np.asarray([i._data if isinstance(i, Tensor) else i for i in k]
                         if isinstance(k, (list, tuple)) else k)
        if arr.dtype.kind not in "biu":
            if arr.size == 0:
                return arr.astype(np.int64)
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return arr
    if hasattr(k, "__index__"):
        return k.__index__()
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {type(k).__name__})")


def _dims_used(k) -> int:
    if k is None or k is Ellipsis:
        return 0
    if isinstance(k, np.ndarray) and k.dtype == np.bool_:
        return k.ndim
    return 1


def parse_key(key, shape, strides) -> IndexKey:
    """Check `key` against a tensor of `shape`/`strides` (in elements) like torch does."""
    if not isinstance(key, tuple):
        key = (key,)
    items = [_to_index(k) for k in key]
    ndim = len(shape)
    used = sum(_dims_used(k) for k in items)
    n_ellipsis = sum(k is Ellipsis for k in items)
    if used > ndim:
        if ndim == 0 and isinstance(items[0], int):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        if ndim == 0 and isinstance(items[0], slice):
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    if n_ellipsis:
        # torch accepts several; all but the first then stand for no dims at all
        first = next(i for i, k in enumerate(items) if k is Ellipsis)
        rest = [k for k in items[first + 1:] if k is not Ellipsis]
        items = items[:first] + [slice(None)] * (ndim - used) + rest

    sizes, steps = list(shape), list(strides)
    offset, d, src_dim, n_tensors = 0, 0, 0, 0
    basic, advanced, index_shapes, masks = [], [], [], []
    last = None  # the last basic item that changed the view: it names the grad_fn
    for k in items:
        if k is None:
            # torch's unsqueeze: the new dim's stride spans the dim it is put before
            steps.insert(d, sizes[d] * steps[d] if d < len(sizes) else 1)
            sizes.insert(d, 1)
            basic.append(None)
            advanced.append(slice(None))
            d += 1
            last = "unsqueeze"
        elif isinstance(k, int):
            size = sizes[d]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {src_dim} with size "
                                 f"{size}")
            offset += (k % size) * steps[d]
            del sizes[d], steps[d]
            basic.append(k)
            src_dim += 1
            last = "select"
        elif isinstance(k, slice):
            start, length, step = _slice(k, sizes[d])
            if (start, length, step) != (0, sizes[d], 1):  # torch skips a full slice
                last = "slice"
            offset += start * steps[d]
            sizes[d], steps[d] = length, steps[d] * step
            basic.append(k)
            advanced.append(slice(None))
            d += 1
            src_dim += 1
        elif k.dtype == np.bool_:
            masks.append((k, d))
            basic.extend([slice(None)] * k.ndim)
            advanced.append(k)
            index_shapes.append((int(k.sum()),))
            d += k.ndim
            src_dim += k.ndim
            n_tensors += k.ndim
        else:
            size = sizes[d]
            bad = (k < -size) | (k >= size)
            if bad.any():
                raise IndexError(f"index {k[bad].flat[0]} is out of bounds for dimension "
                                 f"{n_tensors} with size {size}")
            basic.append(slice(None))
            advanced.append(k)
            index_shapes.append(k.shape)
            d += 1
            src_dim += 1
            n_tensors += 1
    for k, at in masks:  # torch checks a mask against the view the basic items made
        for j in range(k.ndim):
            if k.shape[j] != sizes[at + j]:
                raise IndexError(
                    f"The shape of the mask {_list(k.shape)} at index {j} does not match "
                    f"the shape of the indexed tensor {_list(sizes)} at index {at + j}")
    if index_shapes:
        try:
            np.broadcast_shapes(*index_shapes)
        except ValueError:
            raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                             f"with shapes {', '.join(_list(s) for s in index_shapes)}") from None
    return IndexKey(tuple(basic), tuple(advanced) if index_shapes else None, tuple(sizes),
                    tuple(steps), offset, last)


def _slice(s: slice, size: int):
    """(start, length, step) of a slice over `size` items, clamped as torch clamps."""
    step = 1 if s.step is None else int(s.step)
    if step <= 0:
        raise ValueError("step must be greater than zero")
    start = 0 if s.start is None else int(s.start)
    stop = size if s.stop is None else int(s.stop)
    if start < 0:
        start += size
    if stop < 0:
        stop += size
    start = min(max(start, 0), size)
    stop = min(max(stop, start), size)
    return start, (stop - start + step - 1) // step, step


def _list(shape) -> str:
    return f"[{', '.join(map(str, shape))}]"


def _restride(x, view, key: IndexKey):
    """`view` with torch's strides and offset where NumPy's differ.

    They can differ only where it does not matter for the values (size-1 dims, empty
    views), but `stride()` and `storage_offset()` are visible, so match them.
    """
    item = x.itemsize
    want = tuple(s * item for s in key.strides)
    if view.strides == want and (view.size or not x.size):
        return view
    if not isinstance(x, np.ndarray):
        return view
    root = _root_array(x)
    start = _address(x) - _address(root) + key.offset * item
    try:
        return np.ndarray(key.shape, x.dtype, buffer=root, offset=start, strides=want)
    except (TypeError, ValueError):  # the root cannot lend its buffer: keep NumPy's view
        return view


def _grad_fn_name(key: IndexKey) -> str:
    if key.advanced is not None:
        return "IndexBackward0"
    return {"select": "SelectBackward0", "slice": "SliceBackward0",
            "unsqueeze": "UnsqueezeBackward0", None: "AliasBackward0"}[key.last]


class Index(Primitive):
    """x[key]: a view for basic keys, a copy for advanced ones.

    Shape: (*in) -> the indexed shape; the backward scatters into zeros of (*in).
    """

    grad_fn_name = "IndexBackward0"

    def forward(self, x, key):
        self.in_shape, self.key = x.shape, key
        self.grad_fn_name = _grad_fn_name(key)
        self.is_view = key.advanced is None
        return key.apply(x)

    def _wrap(self, array, inputs, nr, record):
        t = super()._wrap(array, inputs, nr, record)
        if self.is_view and t._base is None:  # an empty view shares no bytes, still a view
            mark_view(t, inputs[0])
        return t

    def backward(self, grad):
        return embed_in_zeros(grad, self.in_shape, self.key)


def _key_for(t: Tensor, key) -> IndexKey:
    if isinstance(key, IndexKey):
        return key
    x = t._data
    return parse_key(key, x.shape, tuple(s // x.itemsize for s in x.strides))


def getitem(input, key) -> Tensor:
    """`input[key]` with torch's semantics (see the module docstring)."""
    return Index.apply(input, key=_key_for(input, key))


class EmbedInZeros(Primitive):
    """zeros(shape) with `grad` added at `key` (the backward of indexing)."""

    grad_fn_name = "IndexPutBackward0"

    def forward(self, g, shape, key):
        self.key = key
        out = np.zeros(shape, dtype=g.dtype)
        if isinstance(key, IndexKey):
            region = out[key.basic + (Ellipsis,)]
            if key.advanced is None:
                region[...] = g
            else:
                np.add.at(region, key.advanced, g)  # repeated indices accumulate
        else:
            out[key] = g
        return out

    def backward(self, grad):
        if isinstance(self.key, IndexKey):
            return Index.apply(grad, key=self.key)
        return Tensor._make(grad._data[self.key]) if not grad._requires_grad else \
            grad[self.key]


def embed_in_zeros(grad: Tensor, shape, key) -> Tensor:
    """zeros(shape) with grad at `key` (an IndexKey, or a basic NumPy key of slices)."""
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
        return Index.apply(grad, key=IndexKey(advanced=_along_axis_key(self.index, self.axis)))


def _along_axis_key(index, axis):
    """An advanced-indexing key equivalent to take_along_axis(x, index, axis)."""
    grids = list(np.ix_(*[np.arange(s) for s in index.shape]))
    grids[axis] = index
    return tuple(grids)


def scatter_into_zeros(grad: Tensor, index, axis: int, shape) -> Tensor:
    return ScatterIntoZeros.apply(grad, index=index, axis=axis, shape=shape)


# ---------------------------------------------------------------------------------------
# x[key] = value


class IndexPut(Primitive):
    """x with x[key] replaced by value (out of place; `setitem` writes it back).

    torch names the node CopySlices for a key whose basic items make a view (a copy, or
    an index_put, into that view), IndexPutBackward0 for a purely advanced one, and
    FillBackward3/CopyBackwards when the key selects everything (`x[:] = v`).
    Gradients: the positions that were overwritten get none; the value gets the
    gradient at `key`, summed back over the dims it was broadcast along.
    """

    def forward(self, x, value, key, scalar=False):
        self.key = key
        if key.advanced is not None and key.last is None:
            self.grad_fn_name = "IndexPutBackward0"
        elif key.last is None:  # x[:] = v and x[...] = v write into x itself, not a view
            self.grad_fn_name = "FillBackward3" if scalar else "torch::autograd::CopyBackwards"
        else:
            self.grad_fn_name = "torch::autograd::CopySlices"
        self.value_shape = np.shape(value)
        out = x.copy()
        _assign(out, key, value)
        return out

    def backward(self, grad):
        from .reduction import sum_to_shape
        grad_x = IndexPut.apply(grad, Tensor._make(np.zeros((), grad._data.dtype)), key=self.key)
        grad_value = sum_to_shape(Index.apply(grad, key=self.key), self.value_shape)
        return grad_x, grad_value


def _assign(x, key: IndexKey, value) -> None:
    """x[key] = value on NumPy arrays, with torch's broadcasting error."""
    region = x[key.basic + (Ellipsis,)]
    target = region if key.advanced is None else region[key.advanced]
    vshape = np.shape(value)
    if vshape != target.shape:
        _check_expand(vshape, target.shape)
    if key.advanced is None:
        region[...] = value
    else:
        region[key.advanced] = value


def _check_expand(vshape, target) -> None:
    """torch copies the value with `expand`: its error when the value does not fit."""
    lead = len(target) - len(vshape)
    # torch first drops the value's leading size-1 dims that the target does not have
    while lead < 0 and vshape[0] == 1:
        vshape, lead = vshape[1:], lead + 1
    if lead < 0:
        raise RuntimeError(f"expand(torch.FloatTensor{{{_list(vshape)}}}, size={_list(target)}): "
                           f"the number of sizes provided ({len(target)}) must be greater or "
                           f"equal to the number of dimensions in the tensor ({len(vshape)})")
    for i, s in enumerate(vshape):
        if s != 1 and s != target[lead + i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({target[lead + i]}) must match the existing "
                f"size ({s}) at non-singleton dimension {lead + i}.  Target sizes: "
                f"{_list(target)}.  Tensor sizes: {_list(vshape)}")


def setitem(input, key, value) -> None:
    """x[key] = value, in place: bumps the version, records the copy when grad needs it."""
    from ..autograd import grad_mode
    from .inplace import commit_inplace
    ikey = _key_for(input, key)
    data = input._data
    if isinstance(value, Tensor):
        if ikey.advanced is not None and value._data.dtype != data.dtype:
            raise RuntimeError("Index put requires the source and destination dtypes match, got "
                               f"{_scalar(data.dtype)} for the destination and "
                               f"{_scalar(value._data.dtype)} for the source.")
        v = value._data.astype(data.dtype, copy=False)
    else:
        v = np.asarray(value).astype(data.dtype)
    if grad_mode._enabled:
        _check_leaf(input, basic=ikey.advanced is None)
    if (grad_mode._enabled and (input._requires_grad or
                                (isinstance(value, Tensor) and value._requires_grad))
            or getattr(input, "_fw", None) or getattr(value, "_fw", None)):  # or in a jvp
        src = value if isinstance(value, Tensor) else Tensor._make(v)
        if src._data.dtype != data.dtype:
            src = src.to(input.dtype)
        commit_inplace(input, IndexPut.apply(input, src, key=ikey,
                                             scalar=not isinstance(value, Tensor)))
        return
    _assign(data, ikey, v)
    input._vc[0] += 1


def _check_leaf(t: Tensor, basic: bool) -> None:
    """torch refuses to write into a leaf that requires grad, or into a view of one."""
    base = t._base
    # a view that requires grad (not a detach(), which shares memory but no history)
    view_of_leaf = (t.grad_fn is not None and base is not None and base._requires_grad
                    and base.grad_fn is None)
    if basic and (t._requires_grad and t.grad_fn is None or view_of_leaf):
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    if t._requires_grad and t.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")


def _scalar(np_dtype) -> str:
    from ..dtypes import from_numpy_dtype
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
             "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
    name = from_numpy_dtype(np_dtype).name
    return names.get(name, name)


def nonzero(input, *, as_tuple: bool = False):
    """Indices of the nonzero elements: (n, ndim) int64, or a tuple of ndim vectors."""
    data = input._data
    if data.ndim == 0:  # torch: one (n,) index for the tuple form, (n, 0) otherwise
        n = int(bool(data))
        if as_tuple:
            return (Tensor._make(np.zeros(n, np.int64)),)
        return Tensor._make(np.zeros((n, 0), np.int64))
    idx = np.nonzero(data)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in idx)
    return Tensor._make(np.stack(idx, axis=-1).astype(np.int64) if idx else
                        np.zeros((0, 0), np.int64))
