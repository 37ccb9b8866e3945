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
        else:
            array = data._data
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
        t = Tensor._make.__func__(cls, data._data)
        t.persistent = persistent
        return t

    def __init__(self, data=None, *, persistent: bool = True):
        pass
