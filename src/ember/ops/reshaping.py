"""More shape ops: splitting and stacking, flips and rolls, repeats, triangles and
diagonals, strided views (as_strided, unfold, select), and the in-place view ops.

Views (split/chunk/tensor_split parts, diagonal, select, unfold, as_strided, movedim,
unflatten, the atleast_* and broadcast results) share memory and the version counter
with their input, with torch's strides. Copies (flip, roll, rot90, repeat, tril/triu,
diag, narrow_copy, ...) keep the layouts torch gives them. Every backward is written
with ember ops, so it is differentiable again.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _address, _root_array, _wrap_dim
from .primitive import Primitive, mark_view
from .shape import (
    Clone,
    Narrow,
    Permute,
    Squeeze,
    Unsqueeze,
    ViewPrimitive,
    _list,
    _sizes,
    cat,
    contiguous,
    expand,
    infer_shape,
    reshape,
    unsqueeze,
    view,
)

__all__ = [
    'as_strided', 'atleast_1d', 'atleast_2d', 'atleast_3d', 'broadcast_tensors', 'chunk',
    'column_stack', 'diag', 'diag_embed', 'diagflat', 'diagonal', 'dsplit', 'dstack', 'flip',
    'fliplr', 'flipud', 'hsplit', 'hstack', 'meshgrid', 'moveaxis', 'movedim', 'narrow_copy',
    'ravel', 'repeat', 'repeat_interleave', 'roll', 'rot90', 'row_stack', 'select', 'split',
    'squeeze_', 't_', 'tensor_split', 'tile', 'trace', 'transpose_', 'tril', 'tril_', 'triu',
    'triu_', 'unflatten', 'unfold', 'unsqueeze_', 'vsplit', 'vstack',
]

# torch has these as Tensor methods too (the in-place ones only as methods)
_NOT_METHODS = {
    'atleast_1d',
    'atleast_2d',
    'atleast_3d',
    'broadcast_tensors',
    'column_stack',
    'dstack',
    'hstack',
    'meshgrid',
    'row_stack',
    'vstack',
}
TENSOR_METHODS = tuple(name for name in __all__ if name not in _NOT_METHODS)


def _mark_view(t: Tensor, src: Tensor) -> None:
    """Make `t` a view of `src` for autograd and versions (also when it is empty)."""
    mark_view(t, src)


def _strided(x, shape, strides, offset_elems=0):
    """A view of x's memory with the given shape, element strides and extra offset."""
    item = x.itemsize
    root = _root_array(x)
    start = _address(x) - _address(root) + offset_elems * item
    out = np.ndarray(tuple(shape), x.dtype, buffer=root, offset=start,
                     strides=tuple(s * item for s in strides))
    if not x.flags.writeable:
        out.flags.writeable = False
    return out


def _elem_strides(x) -> list:
    return [s // x.itemsize for s in x.strides]


# ---------------------------------------------------------------------------------------
# split / chunk / tensor_split


class Split(ViewPrimitive):
    """Views of consecutive pieces along `dim` (SplitBackward0 / SplitWithSizesBackward0)."""

    def forward(self, x, dim, sizes, name):
        self.grad_fn_name, self.dim, self.sizes = name, dim, sizes
        self.in_shape, self.dtype = x.shape, x.dtype
        self.num_outputs = len(sizes)
        out, start = [], 0
        for n in sizes:
            out.append(x[(slice(None),) * dim + (slice(start, start + n),)])
            start += n
        return tuple(out)

    def _wrap(self, array, inputs, nr, record):
        t = super()._wrap(array, inputs, nr, record)
        _mark_view(t, inputs[0])
        if record:  # torch forbids in-place changes to these views (see ops.inplace)
            t._multi_view_of = self.grad_fn_name.removesuffix("Backward0")
        return t

    def backward(self, *grads):
        parts = []
        for g, n in zip(grads, self.sizes):
            if g is None:
                shape = list(self.in_shape)
                shape[self.dim] = n
                g = Tensor._make(np.zeros(shape, self.dtype))
            parts.append(g)
        return cat(parts, self.dim)


def _run_split(input, dim, sizes, name) -> tuple:
    out = Split.apply(input, dim=dim, sizes=tuple(sizes), name=name)
    return out if isinstance(out, tuple) else (out,)


def split(tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of `split_size` along `dim` (the last may be smaller), or of the listed sizes."""
    ndim = tensor._data.ndim
    if ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = _wrap_dim(dim, ndim)
    size = tensor._data.shape[dim]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        for s in sizes:
            if s < 0:
                raise RuntimeError(f"split_with_sizes expects split_sizes have only "
                                   f"non-negative entries, but got split_sizes={_list(sizes)}")
        if sum(sizes) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {dim}), but got "
                               f"split_sizes={_list(sizes)}")
        return _run_split(tensor, dim, sizes, "SplitWithSizesBackward0")
    step = int(split_size_or_sections)
    if step < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
    if step == 0 and size != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {size}")
    count = max(-(-size // step), 1) if step else 1
    sizes = [step] * count
    sizes[-1] = size - step * (count - 1)
    return _run_split(tensor, dim, sizes, "SplitBackward0")


def chunk(input, chunks: int, dim: int = 0) -> tuple:
    """At most `chunks` pieces of ceil(size / chunks) along `dim`."""
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = _wrap_dim(dim, ndim)
    size = input._data.shape[dim]
    step = -(-size // chunks)
    if step == 0:  # an empty dim: `chunks` empty pieces
        return _run_split(input, dim, [0] * chunks, "SplitWithSizesBackward0")
    return split(input, step, dim)


def _slices(input, dim, bounds) -> tuple:
    size = input._data.shape[dim]
    out = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        a, b = min(max(a, 0), size), min(max(b, 0), size)
        out.append(Narrow.apply(input, dim=dim, start=a, length=max(b - a, 0)))
    for t in out:
        if t._base is None:
            _mark_view(t, input)
    return tuple(out)


def tensor_split(input, indices_or_sections, dim: int = 0) -> tuple:
    """Views: `n` nearly equal sections, or the pieces between the given indices."""
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    if isinstance(indices_or_sections, Tensor):
        ios = indices_or_sections
        if ios.dtype.is_floating_point or ios.dtype.is_complex or ios.dtype.name == "bool":
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have "
                               f"integer dtype, but got {ios.dtype}")
        if ios.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {ios.ndim} dims")
        indices_or_sections = ios.item() if ios.ndim == 0 else ios.tolist()
    dim = _wrap_dim(dim, ndim)
    size = input._data.shape[dim]
    if isinstance(indices_or_sections, (list, tuple)):
        bounds = [0] + [int(i) for i in indices_or_sections] + [size]
        return _slices(input, dim, bounds)
    n = int(indices_or_sections)
    if n <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {n}")
    small, extra = divmod(size, n)
    bounds = [0]
    for i in range(n):
        bounds.append(bounds[-1] + small + (1 if i < extra else 0))
    return _slices(input, dim, bounds)


def _dir_split(name, input, indices_or_sections, dim, need):
    ndim = input._data.ndim
    if ndim < need:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {need} dimension, "
                           f"but got a tensor with {ndim} dimensions!")
    if not isinstance(indices_or_sections, (list, tuple)):
        n = int(indices_or_sections)
        size = input._data.shape[dim]
        if n == 0 or size % n:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but "
                               f"the size of the dimension {size} is not divisible by the "
                               f"split_size {n}!")
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input, indices_or_sections) -> tuple:
    """tensor_split along dim 1 (dim 0 for vectors); a number of sections must divide."""
    dim = 0 if input._data.ndim == 1 else 1
    return _dir_split("hsplit", input, indices_or_sections, dim, 1)


def vsplit(input, indices_or_sections) -> tuple:
    return _dir_split("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections) -> tuple:
    return _dir_split("dsplit", input, indices_or_sections, 2, 3)


# ---------------------------------------------------------------------------------------
# stacking


def _tensor_list(tensors, name) -> list:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


def hstack(tensors) -> Tensor:
    """cat along dim 1 (dim 0 for vectors), after atleast_1d."""
    tensors = list(atleast_1d(_tensor_list(tensors, "hstack")))
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    return cat(list(atleast_2d(_tensor_list(tensors, "vstack"))), 0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    return cat(list(atleast_3d(_tensor_list(tensors, "dstack"))), 2)


def column_stack(tensors) -> Tensor:
    """Vectors (and scalars) become columns; the rest are joined along dim 1."""
    tensors = _tensor_list(tensors, "column_stack")
    cols = [reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in tensors]
    return cat(cols, 1)


def _atleast(tensors, fix):
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        return tuple(fix(t) for t in tensors[0])
    if len(tensors) == 1:
        return fix(tensors[0])
    return tuple(fix(t) for t in tensors)


def atleast_1d(*tensors):
    return _atleast(tensors, lambda t: reshape(t, (1,)) if t.ndim == 0 else t)


def atleast_2d(*tensors):
    def fix(t):
        if t.ndim == 0:
            return reshape(t, (1, 1))
        return unsqueeze(t, 0) if t.ndim == 1 else t
    return _atleast(tensors, fix)


def atleast_3d(*tensors):
    def fix(t):
        if t.ndim == 0:
            return reshape(t, (1, 1, 1))
        if t.ndim == 1:
            return unsqueeze(unsqueeze(t, 0), -1)
        return unsqueeze(t, -1) if t.ndim == 2 else t
    return _atleast(tensors, fix)


def broadcast_tensors(*tensors) -> tuple:
    """Expanded views to the common shape (a tensor already of that shape comes back as is)."""
    from .elementwise import infer_broadcast_shape as broadcast_shapes
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*[tuple(t.shape) for t in tensors])
    return tuple(t if tuple(t.shape) == shape else expand(t, shape) for t in tensors)


def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids from 0-d/1-d tensors: 'ij' (matrix) or 'xy' (Cartesian) indexing."""
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        tensors = tuple(tensors[0])
    if indexing is None:
        import warnings
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f'{indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {t}")
    tensors = list(tensors)
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        tensors[0], tensors[1] = tensors[1], tensors[0]
    shape = tuple(t.numel() for t in tensors)
    out = []
    for i, t in enumerate(tensors):
        view_shape = [1] * len(tensors)
        view_shape[i] = -1
        out.append(expand(view(t, view_shape), shape))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


# ---------------------------------------------------------------------------------------
# flip / roll / rot90


def _dims(dims, ndim, name="flip") -> tuple:
    if isinstance(dims, int):
        dims = (dims,)
    wrapped = []
    for d in dims:
        w = _wrap_dim(d, ndim)
        if w in wrapped:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        wrapped.append(w)
    return tuple(wrapped)


class Flip(Primitive):
    """Reverse the order along `dims` (a copy in the input's layout)."""

    grad_fn_name = "FlipBackward0"

    def forward(self, x, dims):
        self.dims = dims
        return np.array(np.flip(x, dims), order="K", copy=True)

    def backward(self, grad):
        return flip(grad, self.dims)


def flip(input, *dims) -> Tensor:
    dims = _sizes(dims) if dims and not isinstance(dims[0], int) else tuple(dims)
    return Flip.apply(input, dims=_dims(dims, input._data.ndim))


def fliplr(input) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return Flip.apply(input, dims=(1,))


def flipud(input) -> Tensor:
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return Flip.apply(input, dims=(0,))


class Roll(Primitive):
    """Shift entries cyclically along dims (the flattened tensor when no dims)."""

    grad_fn_name = "RollBackward0"

    def forward(self, x, shifts, dims):
        self.shifts, self.dims = shifts, dims
        if not dims:
            return np.ascontiguousarray(np.roll(x.reshape(-1), shifts[0]).reshape(x.shape))
        return np.ascontiguousarray(np.roll(x, shifts, dims))

    def backward(self, grad):
        return Roll.apply(grad, shifts=tuple(-s for s in self.shifts), dims=self.dims)


def roll(input, shifts, dims=None) -> Tensor:
    shifts = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    dims = () if dims is None else ((dims,) if isinstance(dims, int) else tuple(dims))
    if not dims and len(shifts) != 1:
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    if dims and len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    ndim = input._data.ndim
    dims = tuple(_wrap_dim(d, ndim) for d in dims)
    return Roll.apply(input, shifts=shifts, dims=dims)


class Rot90(Primitive):
    """Rotate by k * 90 degrees in the plane of `dims` (a copy laid out as torch's)."""

    grad_fn_name = "Rot90Backward0"

    def forward(self, x, k, dims):
        self.k, self.dims = k, dims
        d0, d1 = dims
        if k == 1:
            return np.swapaxes(Flip().forward(x, (d1,)), d0, d1)
        if k == 2:
            return Flip().forward(x, (d0, d1))
        if k == 3:
            return np.swapaxes(Flip().forward(x, (d0,)), d0, d1)
        return np.ascontiguousarray(x).copy() if x.flags.c_contiguous else \
            np.array(x, order="C", copy=True)

    def backward(self, grad):
        return Rot90.apply(grad, k=(4 - self.k) % 4, dims=self.dims)


def rot90(input, k: int = 1, dims=(0, 1)) -> Tensor:
    dims = tuple(dims)
    ndim = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    if dims[0] == dims[1] or abs(dims[0] - dims[1]) == ndim:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} "
                           f"and dim1 = {dims[1]}")
    if not (-ndim <= dims[0] < ndim and -ndim <= dims[1] < ndim):
        raise RuntimeError(f"Rotation dim0 out of range, dim0 = {dims[0]}")
    dims = (_wrap_dim(dims[0], ndim), _wrap_dim(dims[1], ndim))
    return Rot90.apply(input, k=int(k) % 4, dims=dims)


# ---------------------------------------------------------------------------------------
# movedim / unflatten / ravel / select / narrow_copy


def _dim_list(d) -> list:
    return [int(d)] if isinstance(d, (int, np.integer)) else [int(x) for x in d]


def movedim(input, source, destination) -> Tensor:
    """Move dims from `source` to `destination` positions, keeping the others in order."""
    src, dst = _dim_list(source), _dim_list(destination)
    ndim = input._data.ndim
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({_list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({_list(dst)} dims)")
    src = [_wrap_dim(d, ndim) for d in src]
    dst = [_wrap_dim(d, ndim) for d in dst]
    if ndim == 0:
        return Permute.apply(input, dims=(), name="AliasBackward0")  # as torch names it
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({_list(_dim_list(source))})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` "
                           f"({_list(_dim_list(destination))})")
    order = [-1] * ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(ndim) if d not in src)
    order = [next(rest) if o == -1 else o for o in order]
    return Permute.apply(input, dims=tuple(order), name="PermuteBackward0")


moveaxis = movedim


def unflatten(input, dim: int, sizes) -> Tensor:
    """Split one dim into `sizes` (one -1 may be inferred); a view."""
    ndim = input._data.ndim
    dim = _wrap_dim(dim, ndim)
    sizes = [int(s) for s in sizes]
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    size = input._data.shape[dim]
    provided = _list(sizes)
    try:
        sizes = list(infer_shape(tuple(sizes), size))
    except RuntimeError as exc:
        if "is invalid for input of size" in str(exc):
            raise RuntimeError(f"unflatten: Provided sizes {provided} don't multiply up to the "
                               f"size of dim {dim} ({size}) in the input tensor") from None
        raise RuntimeError(f"unflatten got an unexpected error:\n{exc}") from None
    shape = input._data.shape[:dim] + tuple(sizes) + input._data.shape[dim + 1:]
    return view(input, shape)


def ravel(input) -> Tensor:
    """The values as a vector: a view of a contiguous tensor, else of a contiguous copy."""
    return view(contiguous(input), (-1,))


class Select(ViewPrimitive):
    """input[..., index, ...] at `dim`: a view with that dim removed."""

    grad_fn_name = "SelectBackward0"

    def forward(self, x, dim, index):
        self.in_shape = x.shape
        self.key = (slice(None),) * dim + (index, Ellipsis)
        return x[self.key]

    def _wrap(self, array, inputs, nr, record):
        t = super()._wrap(array, inputs, nr, record)
        _mark_view(t, inputs[0])
        return t

    def backward(self, grad):
        from .indexing import embed_in_zeros
        return embed_in_zeros(grad, self.in_shape, self.key)


def select(input, dim: int, index: int) -> Tensor:
    ndim = input._data.ndim
    if ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(dim, ndim)
    size = input._data.shape[dim]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{_list(input._data.shape)} at dimension {dim}")
    return Select.apply(input, dim=dim, index=index + size if index < 0 else index)


class NarrowCopy(Primitive):
    """A copy of `length` entries along `dim` from `start`."""

    grad_fn_name = "NarrowCopyBackward0"

    def forward(self, x, dim, start, length):
        self.in_shape = x.shape
        self.key = (slice(None),) * dim + (slice(start, start + length),)
        return np.array(x[self.key], order="C", copy=True)

    def backward(self, grad):
        from .indexing import embed_in_zeros
        return embed_in_zeros(grad, self.in_shape, self.key)


def narrow_copy(input, dim: int, start: int, length: int) -> Tensor:
    from .shape import narrow
    narrow(input.detach(), dim, start, length)  # the same checks and errors as narrow
    dim = _wrap_dim(dim, input._data.ndim)
    start = int(start) + (input._data.shape[dim] if int(start) < 0 else 0)
    return NarrowCopy.apply(input, dim=dim, start=start, length=int(length))


# ---------------------------------------------------------------------------------------
# repeat / tile / repeat_interleave


class Repeat(Primitive):
    """Tile the tensor `sizes` times along each dim (leading new dims allowed)."""

    grad_fn_name = "RepeatBackward0"

    def forward(self, x, sizes):
        self.in_shape, self.sizes = x.shape, sizes
        return np.ascontiguousarray(np.tile(x, sizes))

    def backward(self, grad):
        lead = len(self.sizes) - len(self.in_shape)
        shape = (1,) * lead + tuple(self.in_shape)
        split = []
        for r, s in zip(self.sizes, shape):
            split += [r, s]
        g = reshape(grad, tuple(split))
        g = g.sum(tuple(range(0, len(split), 2)))
        return reshape(g, self.in_shape)


def repeat(input, *sizes) -> Tensor:
    sizes = _sizes(sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    shape = (1,) * (len(sizes) - input._data.ndim) + tuple(input._data.shape)
    out = [n * r for n, r in zip(shape, sizes)]
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{_list(out)}")
    return Repeat.apply(input, sizes=sizes)


def tile(input, *dims) -> Tensor:
    dims = _sizes(dims)
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


class IndexSelect(Primitive):
    """Rows `index` of x along `dim` (a copy); the gradient adds back into zeros."""

    grad_fn_name = "IndexSelectBackward0"

    def forward(self, x, index, dim):
        self.in_shape, self.index, self.dim = x.shape, index, dim
        return np.take(x, index, axis=dim)

    def backward(self, grad):
        return IndexAddZeros.apply(grad, index=self.index, dim=self.dim, shape=self.in_shape)


class IndexAddZeros(Primitive):
    """zeros(shape) with the slices of g added at `index` along `dim` (repeats accumulate)."""

    grad_fn_name = "IndexAddBackward0"

    def forward(self, g, index, dim, shape):
        self.index, self.dim = index, dim
        out = np.zeros(shape, g.dtype)
        np.add.at(out, (slice(None),) * dim + (index,), g)
        return out

    def backward(self, grad):
        return IndexSelect.apply(grad, index=self.index, dim=self.dim)


_DTYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bool": "Bool",
                "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _check_repeats(repeats: Tensor, counts_only: bool = False) -> np.ndarray:
    r = repeats._data
    if r.ndim > 1 or (counts_only and r.ndim == 0):
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if r.dtype.kind not in "iu":
        raise NotImplementedError(f'"repeat_interleave_cpu" not implemented for '
                                  f"'{_DTYPE_NAMES.get(r.dtype.name, r.dtype.name)}'")
    if r.size and r.min() < 0:
        raise RuntimeError("repeats can not be negative")
    return r.astype(np.int64)


def _check_output_size(index, output_size) -> None:
    if output_size is not None and index.size != output_size:
        raise RuntimeError("allocated size does not match required size")


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Repeat each entry (along `dim`, or of the flattened tensor) `repeats` times.

    With only a tensor of counts, gives the indices 0, 1, ... each repeated that often.
    """
    if repeats is None:
        r = _check_repeats(input, counts_only=True)
        out = np.repeat(np.arange(r.size, dtype=np.int64), r)
        _check_output_size(out, output_size)
        return Tensor._make(out.astype(input._data.dtype))
    if dim is None:
        input = reshape(input, (-1,))
        dim = 0
    dim = _wrap_dim(dim, input._data.ndim)
    if input._data.ndim == 0:
        input = reshape(input, (1,))
    size = input._data.shape[dim]
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        r = _check_repeats(repeats).reshape(-1)
        if r.size == 1:
            r = np.repeat(r, size)
        if r.shape[0] != size:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {r.shape[0]} and input.size({dim}) = {size}")
        index = np.repeat(np.arange(size, dtype=np.int64), r)
        _check_output_size(index, output_size)
        return IndexSelect.apply(input, index=index, dim=dim)
    n = int(repeats)
    if n < 0:
        raise RuntimeError("Repeats must be non-negative")
    if output_size is not None and output_size != size * n:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {size * n} but "
                           f"got {output_size}")
    shape = list(input._data.shape)
    big = expand(unsqueeze(input, dim + 1), shape[:dim + 1] + [n] + shape[dim + 1:])
    out = Clone.apply(big, order="C")
    return reshape(out, shape[:dim] + [shape[dim] * n] + shape[dim + 1:])


# ---------------------------------------------------------------------------------------
# triangles


class Triangle(Primitive):
    """tril / triu: keep the entries on and below (above) the `diagonal`-th diagonal."""

    def forward(self, x, diagonal, upper):
        self.diagonal, self.upper = diagonal, upper
        self.grad_fn_name = "TriuBackward0" if upper else "TrilBackward0"
        rows, cols = x.shape[-2:]
        keep = np.triu(np.ones((rows, cols), bool), diagonal) if upper else \
            np.tril(np.ones((rows, cols), bool), diagonal)
        return np.ascontiguousarray(np.where(keep, x, x.dtype.type(0)))

    def backward(self, grad):
        return Triangle.apply(grad, diagonal=self.diagonal, upper=self.upper)


def _triangle(input, diagonal, upper) -> Tensor:
    if input._data.ndim < 2:
        name = "triu" if upper else "tril"
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return Triangle.apply(input, diagonal=int(diagonal), upper=upper)


def tril(input, diagonal: int = 0) -> Tensor:
    return _triangle(input, diagonal, False)


def triu(input, diagonal: int = 0) -> Tensor:
    return _triangle(input, diagonal, True)


def tril_(input, diagonal: int = 0) -> Tensor:
    from .inplace import _inplace
    return _inplace(input, lambda: tril(input, diagonal))


def triu_(input, diagonal: int = 0) -> Tensor:
    from .inplace import _inplace
    return _inplace(input, lambda: triu(input, diagonal))


# ---------------------------------------------------------------------------------------
# diagonals


def _diag_geometry(shape, strides, offset, d1, d2):
    """Shape, element strides and start offset of the diagonal view."""
    if offset >= 0:
        n = max(min(shape[d1], shape[d2] - offset), 0)
        start = offset * strides[d2]
    else:
        n = max(min(shape[d1] + offset, shape[d2]), 0)
        start = -offset * strides[d1]
    if n == 0:
        start = 0
    keep = [i for i in range(len(shape)) if i not in (d1, d2)]
    out_shape = [shape[i] for i in keep] + [n]
    out_strides = [strides[i] for i in keep] + [strides[d1] + strides[d2]]
    return out_shape, out_strides, start


def _diagonal_array(x, offset, d1, d2):
    shape, strides, start = _diag_geometry(x.shape, _elem_strides(x), offset, d1, d2)
    return _strided(x, shape, strides, start)


class Diagonal(ViewPrimitive):
    """The diagonal of the (dim1, dim2) planes as the last dim: a view (or a copy, `diag`)."""

    def forward(self, x, offset, dim1, dim2, name="DiagonalBackward0"):
        self.grad_fn_name = name
        self.is_view = name == "DiagonalBackward0"
        self.in_shape, self.offset, self.dim1, self.dim2 = x.shape, offset, dim1, dim2
        out = _diagonal_array(x, offset, dim1, dim2)
        return out if self.is_view else np.ascontiguousarray(out).copy()

    def _wrap(self, array, inputs, nr, record):
        t = super()._wrap(array, inputs, nr, record)
        if self.is_view:
            _mark_view(t, inputs[0])
        return t

    def backward(self, grad):
        return DiagonalEmbed.apply(grad, shape=self.in_shape, offset=self.offset,
                                   dim1=self.dim1, dim2=self.dim2)


class DiagonalEmbed(Primitive):
    """Zeros of `shape` with `grad` on the diagonal of the (dim1, dim2) planes."""

    grad_fn_name = "DiagonalBackwardBackward0"

    def forward(self, g, shape, offset, dim1, dim2, name="DiagonalBackwardBackward0"):
        self.grad_fn_name = name
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2
        out = np.zeros(shape, g.dtype)
        _diagonal_array(out, offset, dim1, dim2)[...] = g
        return out

    def backward(self, grad):
        return Diagonal.apply(grad, offset=self.offset, dim1=self.dim1, dim2=self.dim2)


def _two_dims(ndim, dim1, dim2):
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A view of the diagonal of each (dim1, dim2) plane, appended as the last dim."""
    d1, d2 = _two_dims(input._data.ndim, dim1, dim2)
    return Diagonal.apply(input, offset=int(offset), dim1=d1, dim2=d2)


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Square matrices (in dims dim1, dim2 of the result) with input's last dim on a
    diagonal. Shape: (*, n) -> (*, n + |offset|, n + |offset|) for the default dims."""
    ndim = input._data.ndim + 1
    d1, d2 = _two_dims(ndim, dim1, dim2)
    n = input._data.shape[-1] + abs(int(offset)) if input._data.ndim else 1 + abs(int(offset))
    rest = list(input._data.shape[:-1])
    shape = []
    for i in range(ndim):
        shape.append(n if i in (d1, d2) else rest.pop(0))
    if input._data.ndim == 0:
        input = reshape(input, (1,))
    return DiagonalEmbed.apply(input, shape=tuple(shape), offset=int(offset), dim1=d1, dim2=d2,
                               name="DiagEmbedBackward0")


def diag(input, diagonal: int = 0) -> Tensor:
    """A vector -> the square matrix with it on the `diagonal`-th diagonal; a matrix -> that
    diagonal (a copy)."""
    ndim = input._data.ndim
    if ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if ndim == 2:
        return Diagonal.apply(input, offset=int(diagonal), dim1=0, dim2=1,
                              name="DiagonalBackward0_copy")
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ndim}D")


def diagflat(input, offset: int = 0) -> Tensor:
    """The flattened input on the `offset`-th diagonal of a square matrix."""
    return diag_embed(view(contiguous(input), (-1,)), offset, 0, 1)


class Trace(Primitive):
    """Sum of the main diagonal of a matrix (integers sum as int64)."""

    grad_fn_name = "TraceBackward0"

    def forward(self, x):
        self.in_shape = x.shape
        if x.dtype.kind in "iu":
            return np.asarray(np.trace(x, dtype=np.int64))
        # torch accumulates float32 in double on the CPU
        wide = np.complex128 if x.dtype.kind == "c" else np.float64
        return np.asarray(np.trace(x, dtype=wide), x.dtype)

    def backward(self, grad):
        n = min(self.in_shape)
        return DiagonalEmbed.apply(expand(grad, (n,)), shape=self.in_shape, offset=0, dim1=0,
                                   dim2=1)


def trace(input) -> Tensor:
    if input._data.dtype.kind == "b":
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    if input._data.ndim != 2:
        raise RuntimeError("trace: expected a matrix, but got tensor with dim "
                           f"{input._data.ndim}")
    return Trace.apply(input)


# ---------------------------------------------------------------------------------------
# as_strided / unfold


def _positions(a, shape, strides, offset) -> np.ndarray:
    """Storage index of every element of a (shape, strides, offset) geometry."""
    pos = np.full(tuple(shape), offset, np.int64)
    for axis, (n, s) in enumerate(zip(shape, strides)):
        sh = [1] * len(shape)
        sh[axis] = n
        pos = pos + (np.arange(n, dtype=np.int64) * s).reshape(sh)
    return pos


class Regather(Primitive):
    """out[k] = to_w[k] * sum over j with from_pos[j] == to_pos[k] of g[j] * from_w[j].

    The gradient of as_strided (storage positions of output -> of input) and, with the
    roles swapped, its own adjoint."""

    grad_fn_name = "AsStridedBackwardBackward0"

    def forward(self, g, from_pos, to_pos, from_w, to_w, size):
        self.args = (from_pos, to_pos, from_w, to_w, size)
        self.g_shape = g.shape
        w = g.reshape(-1).astype(np.float64) * from_w.reshape(-1)
        storage = np.bincount(from_pos.reshape(-1), weights=w, minlength=size)
        return (storage[to_pos] * to_w).astype(g.dtype)

    def backward(self, grad):
        from_pos, to_pos, from_w, to_w, size = self.args
        return Regather.apply(grad, from_pos=to_pos, to_pos=from_pos, from_w=to_w,
                              to_w=from_w, size=size)


class AsStrided(ViewPrimitive):
    """A view of the input's memory with any size, strides and storage offset."""

    grad_fn_name = "AsStridedBackward0"

    def forward(self, x, size, stride, storage_offset):
        root = _root_array(x)
        base_offset = (_address(x) - _address(root)) // x.itemsize
        self.in_pos = _positions(x, x.shape, _elem_strides(x), base_offset)
        self.out_pos = _positions(x, size, stride, storage_offset)
        self.storage = root.size
        return _strided(x, size, stride, storage_offset - base_offset)

    def _wrap(self, array, inputs, nr, record):
        t = super()._wrap(array, inputs, nr, record)
        _mark_view(t, inputs[0])
        return t

    def backward(self, grad):
        count = np.bincount(self.in_pos.reshape(-1), minlength=self.storage)
        in_w = 1.0 / np.maximum(count[self.in_pos], 1)
        return Regather.apply(grad, from_pos=self.out_pos, to_pos=self.in_pos,
                              from_w=np.ones(self.out_pos.shape), to_w=in_w, size=self.storage)


def as_strided(input, size, stride, storage_offset=None) -> Tensor:
    """A view of the same memory with the given size, strides (in elements) and offset."""
    x = input._data
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    for s in stride:
        if s < 0:
            raise RuntimeError("as_strided: Negative strides are not supported at the moment, "
                               f"got strides: {_list(stride)}")
    root = _root_array(x)
    if storage_offset is None:
        storage_offset = (_address(x) - _address(root)) // x.itemsize
    storage_offset = int(storage_offset)
    if storage_offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {storage_offset}")
    need = 0 if 0 in size else storage_offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if need > root.size:
        item = x.itemsize
        raise RuntimeError(f"setStorage: sizes {_list(size)}, strides {_list(stride)}, storage "
                           f"offset {storage_offset}, and itemsize {item} requiring a storage "
                           f"size of {need * item} are out of bounds for storage of size "
                           f"{root.size * item}")
    return AsStrided.apply(input, size=size, stride=stride, storage_offset=storage_offset)


class Unfold(ViewPrimitive):
    """Windows of `size` every `step` along `dim`, as a new last dim: a view."""

    grad_fn_name = "UnfoldBackward0"

    def forward(self, x, dim, size, step):
        self.in_shape, self.dim, self.size, self.step = x.shape, dim, size, step
        if x.ndim == 0:
            return x.reshape(1)
        shape, strides = list(x.shape), _elem_strides(x)
        shape[dim] = (shape[dim] - size) // step + 1
        inner = strides[dim]
        strides[dim] = inner * step
        return _strided(x, shape + [size], strides + [inner])

    def _wrap(self, array, inputs, nr, record):
        t = super()._wrap(array, inputs, nr, record)
        _mark_view(t, inputs[0])
        return t

    def backward(self, grad):
        return UnfoldGrad.apply(grad, shape=self.in_shape, dim=self.dim, size=self.size,
                                step=self.step)


class UnfoldGrad(Primitive):
    """The adjoint of unfold: each window's values added back where they came from."""

    grad_fn_name = "UnfoldBackwardBackward0"

    def forward(self, g, shape, dim, size, step):
        self.dim, self.size, self.step = dim, size, step
        out = np.zeros(shape, g.dtype)
        if not shape:
            return g.reshape(()).copy()
        windows = g.shape[dim]
        for k in range(size):
            key = (slice(None),) * dim + (slice(k, k + step * (windows - 1) + 1, step),)
            out[key] += g[..., k]
        return out

    def backward(self, grad):
        return Unfold.apply(grad, dim=self.dim, size=self.size, step=self.step)


def unfold(input, dimension: int, size: int, step: int) -> Tensor:
    """`Tensor.unfold`: all windows of `size` along `dimension`, `step` apart (a view)."""
    ndim = input._data.ndim
    dim = _wrap_dim(dimension, ndim)
    have = input._data.shape[dim] if ndim else 1
    if size > have:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {have} but size is "
                           f"{size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    return Unfold.apply(input, dim=dim, size=int(size), step=int(step))


# ---------------------------------------------------------------------------------------
# in-place view ops: the tensor itself becomes the view


def _become(input: Tensor, out: Tensor) -> Tensor:
    """`input` takes on the metadata (and history) of its view `out`; version bumps."""
    from .inplace import check_inplace
    check_inplace(input)
    input._data = out._data
    input._vc[0] += 1
    if out.grad_fn is not None:
        input.grad_fn, input._output_nr, input._requires_grad = out.grad_fn, 0, True
    return input


def t_(input) -> Tensor:
    ndim = input._data.ndim
    if ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {ndim}D")
    return _become(input, Permute.apply(input, dims=tuple(range(ndim))[::-1], name="TBackward1"))


def transpose_(input, dim0: int, dim1: int) -> Tensor:
    ndim = input._data.ndim
    dims = list(range(ndim))
    if ndim:
        d0, d1 = _wrap_dim(dim0, ndim), _wrap_dim(dim1, ndim)
        dims[d0], dims[d1] = dims[d1], dims[d0]
    return _become(input, Permute.apply(input, dims=tuple(dims), name="TransposeBackward1"))


def unsqueeze_(input, dim: int) -> Tensor:
    out = Unsqueeze.apply(input, dim=_wrap_dim(dim, input._data.ndim + 1))
    if out.grad_fn is not None:
        out.grad_fn.grad_fn_name = "UnsqueezeBackward1"
    return _become(input, out)


def squeeze_(input, dim=None) -> Tensor:
    ndim = input._data.ndim
    if dim is None:
        dims, name = tuple(range(ndim)), "SqueezeBackward3"
    elif isinstance(dim, (tuple, list)):
        dims, name = tuple(_wrap_dim(d, ndim) for d in dim), "SqueezeBackward5"
    else:
        dims, name = ((_wrap_dim(dim, ndim),) if ndim else ()), "SqueezeBackward4"
    return _become(input, Squeeze.apply(input, dims=dims, name=name))

