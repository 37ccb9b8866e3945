"""Shape ops: views (reshape, transpose, permute, squeeze, expand, ...) and copies.

A view shares memory and the version counter with its input (`is_view = True`), so
an in-place change through either is seen by both and by autograd's checks. Every
backward here is another shape op, so it is differentiable again.
"""

from __future__ import annotations

import math
from builtins import all as builtins_all

import numpy as np

from ..autograd import grad_mode
from ..tensor import Tensor, _wrap_dim
from .primitive import Primitive, mark_view

__all__ = [
    'broadcast_to',
    'cat',
    'clone',
    'concat',
    'concatenate',
    'contiguous',
    'expand',
    'expand_as',
    'flatten',
    'narrow',
    'permute',
    'reshape',
    'reshape_as',
    'squeeze',
    'stack',
    'swapaxes',
    'swapdims',
    't',
    'transpose',
    'unbind',
    'unsqueeze',
    'view',
    'view_as',
]

# the ones torch also offers as Tensor methods (x.name(...))
_NOT_METHODS = {
    'cat',
    'concat',
    'concatenate',
    'stack',
}
TENSOR_METHODS = tuple(name for name in __all__ if name not in _NOT_METHODS)



def _sizes(args) -> tuple:
    """Accept both `f(2, 3)` and `f((2, 3))`, like torch."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    return tuple(int(a) for a in args)


def infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolve one -1 in `shape`; torch's errors for bad shapes."""
    shape = list(shape)
    text = f"[{', '.join(map(str, shape))}]"
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {text}")
    known = math.prod(s for s in shape if s != -1)
    if unknown:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {text} because "
                               "the unspecified dimension size -1 can be any value and is "
                               "ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{text}' is invalid for input of size {numel}")
        shape[unknown[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{text}' is invalid for input of size {numel}")
    return tuple(shape)


class ViewPrimitive(Primitive):
    """A primitive whose first output aliases its input: same memory, same version counter."""

    is_view = True


class Reshape(ViewPrimitive):
    """A view with a new shape (the caller has checked that the strides allow one).

    Shape: (*in) -> shape, same number of elements. torch names the node ViewBackward0
    for `view` and for `reshape` of a contiguous tensor, ReshapeAliasBackward0 for a
    `reshape` that can view a non-contiguous tensor, and UnsafeViewBackward0 for the
    reshape of a fresh contiguous copy.
    """

    def forward(self, x, shape, name):
        self.grad_fn_name = name
        self.in_shape = x.shape
        self.is_view = name != "UnsafeViewBackward0"  # torch does not track that one as a view
        if x.flags.c_contiguous:
            return x.reshape(shape)  # always a view, and 6x faster than np.reshape(copy=False)
        return np.reshape(x, shape, copy=False)

    def backward(self, grad):
        return grad.reshape(self.in_shape)


def _can_view(x, shape) -> bool:
    try:
        np.reshape(x, shape, copy=False)
    except ValueError:
        return False
    return True


def reshape(input, *shape) -> Tensor:
    """Same data, new shape; a view when the strides allow it, else a copy (-1 infers one size).

    Shape: (*in) -> shape, with prod(in) == prod(shape).
    """
    x = input._data
    shape = infer_shape(_sizes(shape), x.size)
    if x.flags.c_contiguous:
        return Reshape.apply(input, shape=shape, name="ViewBackward0")
    if _can_view(x, shape):
        return Reshape.apply(input, shape=shape, name="ReshapeAliasBackward0")
    # torch: clone into a contiguous copy, then view it (CloneBackward0 -> UnsafeView)
    copy = Clone.apply(input, order="C")
    return Reshape.apply(copy, shape=shape, name="UnsafeViewBackward0")


def view(input, *shape) -> Tensor:
    """A view with a new shape; RuntimeError when the strides do not allow one."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, np.integer)):
        return input.to(shape[0])  # view(dtype)
    shape = infer_shape(_sizes(shape), input._data.size)
    if not _can_view(input._data, shape):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least "
            "one dimension spans across two contiguous subspaces). Use .reshape(...) "
            "instead.")
    return Reshape.apply(input, shape=shape, name="ViewBackward0")


def view_as(input, other) -> Tensor:
    return view(input, other.shape)


def reshape_as(input, other) -> Tensor:
    return reshape(input, other.shape)


def flatten(input, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one."""
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, len(shape)), _wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    new = shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:]
    return reshape(input, new)


class Permute(ViewPrimitive):
    """Reorder dims (a view)."""

    grad_fn_name = "PermuteBackward0"

    def forward(self, x, dims, name):
        self.grad_fn_name = name
        self.dims = dims
        return x.transpose(dims)  # the method: np.transpose's wrapper costs ~0.5 us more

    def backward(self, grad):
        inv = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inv[d] = i
        if not grad_mode._enabled and grad.__class__ is Tensor:
            # No graph to build (and no tangent or batch to carry): the array moved back,
            # as a fresh tensor (for F.linear's W.t() the gradient then reaches W in W's
            # own layout, as an array the leaf can keep).
            return Tensor._make(grad._data.transpose(inv))
        return permute(grad, tuple(inv))


def permute(input, *dims) -> Tensor:
    dims = _sizes(dims)
    ndim = input._data.ndim
    if len(dims) != ndim:
        raise RuntimeError("permute(sparse_coo): number of dimensions in the tensor input does "
                           "not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {ndim} is not equal to len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, ndim) for d in dims)
    if len(set(dims)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims=dims, name="PermuteBackward0")


def transpose(input, dim0: int, dim1: int) -> Tensor:
    """Swap two dims (a view)."""
    ndim = input._data.ndim
    if ndim == 0:
        return Permute.apply(input, dims=(), name="TransposeBackward0")
    d0, d1 = _wrap_dim(dim0, ndim), _wrap_dim(dim1, ndim)
    dims = list(range(ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, dims=tuple(dims), name="TransposeBackward0")


swapaxes = swapdims = transpose


def t(input) -> Tensor:
    """Transpose a matrix; vectors and scalars come back unchanged."""
    ndim = input._data.ndim
    if ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ndim}D")
    return Permute.apply(input, dims=_REVERSED_DIMS[ndim], name="TBackward0")


_REVERSED_DIMS = ((), (0,), (1, 0))  # t()'s dims by rank


class Unsqueeze(ViewPrimitive):
    """Insert a size-1 dim (a view)."""

    grad_fn_name = "UnsqueezeBackward0"

    def forward(self, x, dim):
        self.dim = dim
        return np.expand_dims(x, dim)

    def backward(self, grad):
        return squeeze(grad, self.dim)


def unsqueeze(input, dim: int) -> Tensor:
    dim = _wrap_dim(dim, input._data.ndim + 1)
    return Unsqueeze.apply(input, dim=dim)


class Squeeze(ViewPrimitive):
    """Drop size-1 dims (all, one, or a tuple of them); a view."""

    def forward(self, x, dims, name):
        self.grad_fn_name = name
        self.in_shape = x.shape
        axes = tuple(d for d in dims if x.shape[d] == 1)
        return np.squeeze(x, axis=axes) if axes else x.view()

    def backward(self, grad):
        return grad.reshape(self.in_shape)


def squeeze(input, dim=None) -> Tensor:
    ndim = input._data.ndim
    if dim is None:
        return Squeeze.apply(input, dims=tuple(range(ndim)), name="SqueezeBackward0")
    if isinstance(dim, (tuple, list)):
        dims = tuple(_wrap_dim(d, ndim) for d in dim)
        return Squeeze.apply(input, dims=dims, name="SqueezeBackward2")
    dims = (_wrap_dim(dim, ndim),) if ndim else ()
    return Squeeze.apply(input, dims=dims, name="SqueezeBackward1")


class Expand(ViewPrimitive):
    """Broadcast to a larger shape without copying (stride 0 on new/stretched dims)."""

    grad_fn_name = "ExpandBackward0"

    def forward(self, x, shape):
        self.in_shape = x.shape
        return broadcast_view(x, shape)

    def backward(self, grad):
        from .reduction import sum_to_shape
        return sum_to_shape(grad, self.in_shape)


def broadcast_view(x, shape: tuple):
    """`np.broadcast_to(x, shape)`: a read-only view with stride 0 on new and stretched
    dims, built directly (np.broadcast_to costs ~2 us, mostly Python argument handling)."""
    if x.__class__ is not np.ndarray:
        return np.broadcast_to(x, shape)
    have = x.shape
    lead = len(shape) - len(have)
    if shape[lead:] == have:  # only new leading dims (a scalar, a bias): nothing stretched
        strides = (0,) * lead + x.strides
    else:
        strides = [0] * lead
        for size, n, step in zip(shape[lead:], have, x.strides):
            strides.append(0 if n == 1 and size != 1 else step)
    try:
        # x's strides, counted from its first element, which is where its buffer starts
        out = np.ndarray(shape, x.dtype, x, 0, strides)
    except ValueError:  # no buffer: x is not contiguous
        return np.broadcast_to(x, shape)
    out.setflags(write=False)  # the method: cheaper than out.flags.writeable = False
    return out


def expand(input, *sizes) -> Tensor:
    """Broadcast to `sizes` (-1 keeps a size); torch's error for incompatible sizes."""
    sizes = _sizes(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand({_legacy(input)}{{[{', '.join(map(str, shape))}]}}, "
                           f"size=[{', '.join(map(str, sizes))}]): the number of sizes provided "
                           f"({len(sizes)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   "leading, non-existing dimension 0")
            target.append(s)
            continue
        have = shape[i - lead]
        if s == -1:
            s = have
        if have != s and have != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({have}) "
                f"at non-singleton dimension {i}.  Target sizes: "
                f"[{', '.join(map(str, sizes))}].  Tensor sizes: [{', '.join(map(str, shape))}]")
        target.append(s)
    return Expand.apply(input, shape=tuple(target))


def expand_as(input, other) -> Tensor:
    return expand(input, other.shape)


def broadcast_to(input, size) -> Tensor:
    return expand(input, size)


class Clone(Primitive):
    """A copy with its own memory (keeps the layout of a dense input, like torch)."""

    grad_fn_name = "CloneBackward0"

    def forward(self, x, order="K"):
        return np.array(x, order=order, copy=True)

    def backward(self, grad):
        return grad


def clone(input, *, memory_format=None) -> Tensor:
    """A copy with its own memory; dense layouts (e.g. a transpose) keep their strides."""
    return Clone.apply(input)


def contiguous(input, memory_format=None) -> Tensor:
    """`input` itself when already C-contiguous, else a C-contiguous copy."""
    if input._data.flags.c_contiguous:
        return input
    node = Clone.__new__(Clone)
    return node.finish(np.ascontiguousarray(input._data), (input,))


class Unbind(ViewPrimitive):
    """Split along `dim` into views, one per index."""

    grad_fn_name = "UnbindBackward0"

    def forward(self, x, dim):
        self.dim, self.in_shape, self.dtype = dim, x.shape, x.dtype
        self.num_outputs = x.shape[dim]
        return tuple(_select(x, dim, i) for i in range(x.shape[dim]))

    def _wrap(self, array, inputs, nr, record):
        t = super()._wrap(array, inputs, nr, record)
        mark_view(t, inputs[0])
        if record:  # torch forbids in-place changes to these views (see ops.inplace)
            t._multi_view_of = "Unbind"
        return t

    def backward(self, *grads):
        shape = self.in_shape[:self.dim] + self.in_shape[self.dim + 1:]
        parts = [g if g is not None else Tensor._make(np.zeros(shape, self.dtype))
                 for g in grads]
        return stack(parts, self.dim)


def _select(x, dim: int, index: int):
    """x[..., index, ...] at `dim`, always a view (the Ellipsis keeps 0-d results arrays)."""
    key = (slice(None),) * dim + (index, Ellipsis)
    return x[key]


def unbind(input, dim: int = 0) -> tuple:
    """Views of each slice along `dim`. Shape: (..., n, ...) -> n tensors of (..., ...)."""
    dim = _wrap_dim(dim, input._data.ndim)
    if input._data.shape[dim] == 0:
        return ()
    out = Unbind.apply(input, dim=dim)
    return out if isinstance(out, tuple) else (out,)


class Stack(Primitive):
    """Join same-shaped tensors along a new dim."""

    grad_fn_name = "StackBackward0"

    def forward(self, *xs, dim):
        self.dim = dim
        return np.stack(xs, axis=dim)

    def backward(self, grad):
        return unbind(grad, self.dim)


class Cat(Primitive):
    """Join tensors along an existing dim. Shape: (..., n_i, ...) -> (..., sum n_i, ...).

    Legacy empty vectors of shape (0,) are accepted and skipped (torch allows them
    next to tensors of any rank); their gradient is an empty vector again.
    """

    grad_fn_name = "CatBackward0"

    def forward(self, *xs, dim, skip):
        self.dim, self.skip = dim, skip
        self.sizes = [0 if s else x.shape[dim] for x, s in zip(xs, skip)]
        kept = [x for x, s in zip(xs, skip) if not s] or list(xs[:1])
        return np.concatenate(kept, axis=dim)

    def backward(self, grad):
        bounds = np.cumsum([0] + self.sizes)
        return tuple(grad.new_zeros(0) if s else narrow(grad, self.dim, int(a), int(b - a))
                     for a, b, s in zip(bounds[:-1], bounds[1:], self.skip))


def stack(tensors, dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    first = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != first:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{_list(first)} at entry 0 and {_list(t.shape)} at entry {i}")
    dim = _wrap_dim(dim, len(first) + 1)
    tensors = _promote_all(tensors)
    return Stack.apply(*tensors, dim=dim)


def cat(tensors, dim: int = 0) -> Tensor:
    """Concatenate along `dim`; every other dim must match. Dtypes promote like `+`."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    # torch skips legacy empty 1-D tensors of shape (0,) when some other is not one
    skip = [t.ndim == 1 and t.numel() == 0 for t in tensors]
    if builtins_all(skip):
        skip = [False] * len(tensors)
    ref = tensors[skip.index(False)]
    dim = _wrap_dim(dim, ref.ndim)
    for i, t in enumerate(tensors):
        if skip[i]:
            continue
        if t.ndim != ref.ndim:
            raise RuntimeError("Tensors must have same number of dimensions: got "
                               f"{ref.ndim} and {t.ndim}")
        for d in range(ref.ndim):
            if d != dim and t.shape[d] != ref.shape[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. "
                                   f"Expected size {ref.shape[d]} but got size {t.shape[d]} "
                                   f"for tensor number {i} in the list.")
    return Cat.apply(*_promote_all(tensors), dim=dim, skip=tuple(skip))


concat = concatenate = cat


def _promote_all(tensors):
    from ..dtypes import result_type
    target = result_type(*tensors)
    return [t if t.dtype is target else t.to(target) for t in tensors]


class Narrow(ViewPrimitive):
    """A view of `length` entries along `dim`, starting at `start`."""

    grad_fn_name = "SliceBackward0"

    def forward(self, x, dim, start, length):
        self.dim, self.start, self.in_shape = dim, start, x.shape
        key = (slice(None),) * dim + (slice(start, start + length),)
        self.key = key
        return x[key]

    def backward(self, grad):
        from .indexing import embed_in_zeros
        return embed_in_zeros(grad, self.in_shape, self.key)


def narrow(input, dim: int, start: int, length: int) -> Tensor:
    """A view of `length` entries along `dim` from `start` (negative `start` counts back)."""
    dim = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[dim]
    start, length = int(start), int(length)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    return Narrow.apply(input, dim=dim, start=start, length=length)


def _legacy(t) -> str:
    from ..tensor import legacy_type_name
    return legacy_type_name(t)


def _list(shape) -> str:
    return f"[{', '.join(map(str, shape))}]"
