"""Parameter: a tensor that a Module registers as one of its weights."""

from __future__ import annotations

from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and that Modules register when it is
    assigned as an attribute (`self.weight = nn.Parameter(...)`).

    Args:
        data: the initial values (shares memory with it, like torch).
        requires_grad: default True.
    """

    def __new__(cls, data=None, requires_grad: bool = True):
        if data is None:
            import numpy as np

            from ..dtypes import get_default_dtype
            array = np.empty((0,), get_default_dtype().np)
        elif not isinstance(data, Tensor):
            raise AttributeError(f"'{type(data).__name__}' object has no attribute 'detach'")
        else:
            array = data._data
        if requires_grad and array.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        p = Tensor._make.__func__(cls, array)
        if data is not None:
            p._vc = data._vc
        p.requires_grad_(requires_grad)
        return p

    def __init__(self, data=None, requires_grad: bool = True):
        pass  # everything happens in __new__ (Tensor.__init__ would rebuild the data)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(Tensor._make(self._data.copy()), self.requires_grad)
        memo[id(self)] = result
        return result


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute."""

    def __new__(cls, data=None, *, persistent: bool = True):
        if data is None:
            from ..creation import empty
            data = empty(0)
        # Like torch: a detached alias of data (same memory and version counter) that
        # keeps data's requires_grad.
        t = Tensor._make.__func__(cls, data._data, data.requires_grad)
        t._vc = data._vc
        t.persistent = persistent
        return t

    def __init__(self, data=None, *, persistent: bool = True):
        pass


class UninitializedTensorMixin:
    """A parameter or buffer of a lazy module whose shape is not known yet.

    It holds an empty array until `materialize(shape)` gives it storage and turns it
    into its `cls_to_become` (Parameter or Tensor). Its shape cannot be read before.
    """

    cls_to_become: type = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Allocate (uninitialised) storage of `shape` and become a regular tensor."""
        from .. import creation
        dtype = dtype if dtype is not None else self.dtype
        device = device if device is not None else self.device
        self.data = creation.empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error "
            "usually happens in `load_state_dict` when trying to load an uninitialized "
            "parameter into an initialized one. Call `forward` to initialize the parameters "
            "before accessing their attributes.")

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`.")

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (self.__class__, (self.requires_grad,))


def is_lazy(param) -> bool:
    """Whether `param` is an uninitialised parameter or buffer of a lazy module."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape a lazy module infers from its first input."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        from .. import creation
        data = creation.empty(0, device=device, dtype=dtype)
        p = Tensor._make.__func__(cls, data._data)
        p.requires_grad_(requires_grad)
        return p

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        pass

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = result
        return result


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape a lazy module infers from its first input."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None,
                persistent: bool = True):
        from .. import creation
        data = creation.empty(0, device=device, dtype=dtype)
        t = Tensor._make.__func__(cls, data._data)
        t.requires_grad_(requires_grad)
        t.persistent = persistent
        return t

    def __init__(self, requires_grad: bool = False, device=None, dtype=None,
                 persistent: bool = True):
        pass

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = result
        return result
