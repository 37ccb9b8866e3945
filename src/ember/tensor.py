"""Tensor: an n-dimensional array, its autograd metadata, and thin methods.

A Tensor wraps one backend array (`numpy.ndarray` on the CPU, `cupy.ndarray` on a
GPU) in `_data`. It holds no math: `x + y`, `x.sum(1)` and `x @ w` call the same
functions as `ember.add`, `ember.sum` and `ember.matmul`, bound at the bottom of this
file from `ember.ops`, so each op is written exactly once.

Autograd fields: `requires_grad`, `grad`, `grad_fn` (the Node that made it, None for
leaves), `_output_nr` (which output of `grad_fn` it is) and `_vc`, a version counter
shared by a tensor and all its views and bumped by every in-place change, so that
backward can refuse to use a saved value that has since been overwritten.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import backend
from . import dtypes as dtypes_module
from .dtypes import ALL_DTYPES, dtype, from_numpy_dtype

dtype_cls = dtype

_LEGACY_NAMES = {
    "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
    "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
    "uint8": "ByteTensor", "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
    "complex128": "ComplexDoubleTensor",
}


_new_object = object.__new__
_ndarray = np.ndarray


def legacy_type_name(t) -> str:
    """`ember.FloatTensor`-style name, as torch's `Tensor.type()` and error messages use."""
    return f"ember.{_LEGACY_NAMES[t.dtype.name]}"


class Size(tuple):
    """A tensor's shape: a tuple of ints that prints as `ember.Size([2, 3])`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"ember.Size([{', '.join(map(str, self))}])"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):
        out = tuple.__getitem__(self, key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))


class Tensor:
    """A multi-dimensional array with autograd, behaving like `torch.Tensor`."""

    # Every op makes a Tensor, so only the fields every tensor needs are slots; the
    # rarely set ones are class-level defaults, overridden per instance when needed.
    __slots__ = ("_data", "_requires_grad", "_grad", "grad_fn", "_vc", "__dict__",
                 "__weakref__")
    _output_nr = 0         # which output of grad_fn this tensor is
    _base = None           # the tensor this one is a view of
    _view_version = 0      # the version a view's grad_fn was made at (see ops.primitive)
    _accumulator = None    # weakref to the AccumulateGrad node of a leaf
    _hooks = None          # {id: hook} registered on a leaf
    _post_accumulate_hooks = None  # {id: hook(leaf)} run after .grad is accumulated
    _retains_grad = False
    _fw = None             # {level: tangent} of a dual tensor in a jvp (func.forward_ad)
    __array_priority__ = 1000  # make `ndarray + Tensor` defer to Tensor.__radd__

    def __init__(self, data=None, *, requires_grad: bool = False):
        # `ember.Tensor(arr)` is accepted for convenience; ember.tensor() is the factory.
        arr = np.asarray([] if data is None else data)
        if arr.dtype == np.float64 and not isinstance(data, np.ndarray):
            arr = arr.astype(np.float32)
        self._data = arr
        self._requires_grad = requires_grad
        self._grad = None
        self.grad_fn = None
        self._vc = [0]

    @classmethod
    def _make(cls, data, requires_grad: bool = False):
        """Wrap a backend array without copying (the fast path every op uses)."""
        t = _new_object(cls)
        if data.__class__ is not _ndarray and isinstance(data, np.generic):
            data = np.asarray(data)  # NumPy reductions return scalars; keep arrays
        t._data = data
        t._requires_grad = requires_grad
        t._grad = None
        t.grad_fn = None
        t._vc = [0]  # version counter, shared with views
        return t

    # ---- metadata -----------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim_of_shape(dim, self._data.ndim)]

    @property
    def dtype(self) -> dtype:
        return from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> backend.device:
        return backend.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return not isinstance(self._data, np.ndarray)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    def type(self, dtype=None, non_blocking: bool = False):
        """With no argument, the legacy name (`'ember.FloatTensor'`); else a cast.

        The target is a dtype or a legacy name string such as `'ember.DoubleTensor'`.
        """
        if dtype is None:
            return legacy_type_name(self)
        if isinstance(dtype, str):
            by_name = {f"ember.{v}": k for k, v in _LEGACY_NAMES.items()}
            if dtype not in by_name:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = getattr(dtypes_module, by_name[dtype].replace("bool", "bool_"))
        return self.to(dtype)

    def stride(self, dim: int | None = None):
        """Steps in elements between neighbours along each dim (0 for an expanded dim)."""
        item = self._data.itemsize
        strides = tuple(s // item for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim_of_shape(dim, self._data.ndim)]

    def storage_offset(self) -> int:
        root = _root_array(self._data)
        return (_address(self._data) - _address(root)) // self._data.itemsize

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def data_ptr(self) -> int:
        return _address(self._data)

    def untyped_storage(self) -> TypedStorage:
        return self.storage()

    def storage(self) -> TypedStorage:
        """The flat memory this tensor views (an expanded vector shows 3 values, not 9)."""
        root = _root_array(self._data)
        return TypedStorage(root.reshape(-1) if root.flags.c_contiguous else root.ravel())

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward (leaves, and non-leaves that retain it)."""
        g = self._grad
        if g is None and self.grad_fn is not None and not self._retains_grad:
            warnings.warn(_NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            _check_grad_assignment(self, value)
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def output_nr(self) -> int:
        """Which output of `grad_fn` this tensor is (0 for leaves)."""
        return self._output_nr

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind not in "fc":
            # torch's wording here, unlike its factories', omits complex (which is allowed).
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's values but outside autograd."""
        return self.detach()

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def layout(self) -> str:
        return "torch.strided"

    # ---- Python protocol ------------------------------------------------------------
    def __repr__(self, *, tensor_contents=None) -> str:
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __hash__(self) -> int:
        return id(self)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        n = self._data.size
        if n == 1:
            return bool(self._data.reshape(-1)[0])
        what = "no values" if n == 0 else "more than one value"
        raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")

    def item(self):
        """The single value as a Python number."""
        n = self._data.size
        if n != 1:
            raise RuntimeError(f"a Tensor with {n} elements cannot be converted to Scalar")
        return self._data.reshape(-1)[0].item()

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def __complex__(self) -> complex:
        return complex(self._scalar())

    def _scalar(self):
        """The value for float()/int()/complex(): torch raises ValueError, unlike item()."""
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(-1)[0].item()

    def __index__(self) -> int:
        if self._data.size != 1 or self.dtype.is_floating_point or self.dtype.is_complex:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The NumPy array behind this tensor (shared memory, like torch)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if not isinstance(self._data, np.ndarray):
            if not force:
                raise TypeError(f"can't convert {self.device} device type tensor to numpy. "
                                "Use Tensor.cpu() to copy the tensor to host memory first.")
            return self._data.get()
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype)

    def __reduce_ex__(self, protocol):
        # Values, requires_grad and user attributes (`w.g = ...`) travel; autograd
        # history and .grad do not, as with torch's pickling.
        return (_rebuild, (type(self), np.asarray(self._data), self._requires_grad),
                self._user_attributes())

    def __setstate__(self, state) -> None:
        self.__dict__.update(state)

    def _user_attributes(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in _INTERNAL_ATTRIBUTES}

    def __deepcopy__(self, memo):
        """A leaf's copy with its own memory, its .grad and its user attributes."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment.  If you were attempting to deepcopy a "
                "module, this may be because of a ember.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001")
        import copy
        out = type(self)._make(self._data.copy(), self._requires_grad)
        memo[id(self)] = out  # before the attributes, which may refer back to self
        if self._grad is not None:
            out._grad = copy.deepcopy(self._grad, memo)
        for k, v in self._user_attributes().items():
            out.__dict__[k] = copy.deepcopy(v, memo)
        return out

    # ---- autograd ---------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (see autograd.backward)."""
        run = _engine_backward or _load_engine_backward()  # bound once, not imported per call
        run(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """hook(grad) -> new grad or None, called when this tensor's gradient is computed."""
        from .autograd.hooks import register_tensor_hook
        return register_tensor_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """hook(self) runs after backward has accumulated into this leaf's `.grad`."""
        from .autograd.hooks import register_post_accumulate_grad_hook
        return register_post_accumulate_grad_hook(self, hook)

    def retain_grad(self) -> None:
        """Keep `.grad` for a non-leaf tensor after backward."""
        from .autograd.hooks import retain_grad
        retain_grad(self)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def detach(self) -> Tensor:
        """Same values and version counter, no history, requires_grad=False."""
        out = Tensor._make(self._data)
        out._vc = self._vc  # but no `_base`: like torch's, it is not an autograd view
        return out

    def detach_(self) -> Tensor:
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is "
                "set as True, gradients are views of DDP buckets, and hence detach_() cannot "
                "be called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in ember/optim/optimizer.py as the solution.")
        self.grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    # ---- conversions --------------------------------------------------------------------
    def to(self, *args, **kwargs) -> Tensor:
        """`to(dtype)`, `to(device)`, `to(device, dtype)`, `to(other)`; self if unchanged."""
        dtype_, device_, copy = _parse_to(self, *args, **kwargs)
        from .ops.conversion import to_copy
        if dtype_ is None or dtype_ is self.dtype:
            if device_ is None or device_ == self.device:
                return to_copy(self, self.dtype, None) if copy else self
        return to_copy(self, dtype_ or self.dtype, device_)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device=None) -> Tensor:
        return self.to("cuda" if device is None else device)

    def float(self) -> Tensor:
        return self.to(ALL_DTYPES[7])

    def double(self) -> Tensor:
        return self.to(ALL_DTYPES[8])

    def half(self) -> Tensor:
        return self.to(ALL_DTYPES[6])

    def long(self) -> Tensor:
        return self.to(ALL_DTYPES[5])

    def int(self) -> Tensor:
        return self.to(ALL_DTYPES[4])

    def short(self) -> Tensor:
        return self.to(ALL_DTYPES[3])

    def char(self) -> Tensor:
        return self.to(ALL_DTYPES[2])

    def byte(self) -> Tensor:
        return self.to(ALL_DTYPES[1])

    def bool(self) -> Tensor:
        return self.to(ALL_DTYPES[0])

    def cfloat(self) -> Tensor:
        return self.to(ALL_DTYPES[9])

    def cdouble(self) -> Tensor:
        return self.to(ALL_DTYPES[10])

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> Tensor:
        from .creation import tensor
        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        from .creation import zeros
        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        from .creation import ones
        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        from .creation import full
        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        from .creation import empty
        return empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    @property
    def T(self) -> Tensor:  # noqa: N802 - torch's name
        return self.permute(*range(self._data.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:  # noqa: N802
        if self._data.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of "
                               f"matrices. Got {self._data.ndim}-D tensor.")
        return self.transpose(-2, -1)

    @property
    def H(self) -> Tensor:  # noqa: N802
        return self.T.conj() if self.dtype.is_complex else self.T

    @property
    def mH(self) -> Tensor:  # noqa: N802
        return self.mT.conj() if self.dtype.is_complex else self.mT


class TypedStorage:
    """The flat memory under a tensor, printed the way torch prints a storage."""

    def __init__(self, flat):
        self._flat = flat

    def __len__(self) -> int:
        return self._flat.size

    def size(self) -> int:
        return self._flat.size

    def tolist(self) -> list:
        return self._flat.tolist()

    def __getitem__(self, i):
        return self._flat[i].item()

    def data_ptr(self) -> int:
        return _address(self._flat)

    def __repr__(self) -> str:
        name = _LEGACY_NAMES[from_numpy_dtype(self._flat.dtype).name].replace("Tensor",
                                                                               "Storage")
        body = "\n ".join(str(v) for v in self._flat.tolist())
        return f" {body}\n[ember.{name} of size {self._flat.size}]"


_NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information.")

# How torch's C++ names each dtype in the grad-assignment error: typeid, then ScalarType.
_CPP_NAMES = {
    "bool": ("bool", "Bool"), "uint8": ("unsigned char", "Byte"),
    "int8": ("signed char", "Char"), "int16": ("short int", "Short"),
    "int32": ("int", "Int"), "int64": ("long int", "Long"), "float16": ("c10::Half", "Half"),
    "float32": ("float", "Float"), "float64": ("double", "Double"),
    "complex64": ("c10::complex<float>", "ComplexFloat"),
    "complex128": ("c10::complex<double>", "ComplexDouble"),
}


def _check_grad_assignment(t: Tensor, g) -> None:
    """`t.grad = g` must give a tensor of t's shape and dtype (torch's checks)."""
    if not isinstance(g, Tensor):
        raise TypeError("assigned grad expected to be a Tensor or None but got grad of type "
                        f"{type(g).__name__}")
    if g._data.dtype != t._data.dtype:
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{_CPP_NAMES[g.dtype.name][0]}' to a "
            f"tensor with grad_dtype '{_CPP_NAMES[t.dtype.name][1]}'. The gradient must match "
            "the tensor's grad_dtype (defaults to the tensor's dtype). You can set the "
            "tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. "
            "Set grad_dtype with caution. Diverging the dtypes of a tensor and its gradient "
            "may break downstream systems that assume they match.")
    if g._data.shape != t._data.shape:
        raise RuntimeError(
            f"attempting to assign a gradient of size '[{', '.join(map(str, g.shape))}]' to a "
            f"tensor of size '[{', '.join(map(str, t.shape))}]'. Please ensure that the "
            "gradient and the tensor are the same size")


# Per-instance autograd bookkeeping kept in __dict__, never copied or pickled.
_INTERNAL_ATTRIBUTES = frozenset(("_output_nr", "_base", "_accumulator", "_hooks",
                                  "_post_accumulate_hooks", "_retains_grad"))


def _rebuild(cls, array, requires_grad):
    return cls._make(array, requires_grad)


def _wrap_dim(dim: int, ndim: int) -> int:
    """A dim in [-ndim, ndim) made non-negative, with torch's IndexError otherwise."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim + n if dim < 0 else dim


def _wrap_dim_of_shape(dim: int, ndim: int) -> int:
    """Like `_wrap_dim`, with torch's message for size(dim)/stride(dim) of a 0-d tensor."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, ndim)


def _root_array(a):
    """The array that owns the memory `a` views (stops at non-array owners: bytes, mmap)."""
    while isinstance(a.base, type(a)):
        a = a.base
    return a


def _address(a) -> int:
    if isinstance(a, np.ndarray):
        return a.__array_interface__["data"][0]
    return int(a.data.ptr)


def _parse_to(t, *args, dtype=None, device=None, copy=False, non_blocking=False,
              memory_format=None):
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif a is None:
            continue
        elif isinstance(a, (str, backend.device)):
            device = backend.device(a)
        elif isinstance(a, dtype_cls):
            dtype = a
        elif isinstance(a, bool):
            continue  # non_blocking: meaningless on the CPU
        else:
            raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
    if isinstance(device, str):
        device = backend.device(device)
    return dtype, device, copy


_engine_backward = None  # autograd.engine.backward (the engine imports this module)


def _load_engine_backward():
    global _engine_backward
    from .autograd.engine import backward
    _engine_backward = backward
    return backward


def _bind_ops() -> None:
    """Bind every op that torch also offers as a method (`x.sum()` is `ember.sum(x)`)."""
    from . import ops
    for name in ops.TENSOR_METHODS:
        setattr(Tensor, name, getattr(ops, name))
    for name, fn in ops.TENSOR_OPERATORS.items():
        setattr(Tensor, name, fn)
