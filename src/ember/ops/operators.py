"""Python's operators on Tensor (`x + y`, `x @ w`, `~mask`, `x[i]`, `x += 1`, ...),
mapped to the ops that implement them."""

import operator

import numpy as np

from ..autograd import grad_mode
from ..tensor import Tensor
from .elementwise import (
    abs,
    add,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    div,
    eq,
    ge,
    gt,
    le,
    lt,
    mul,
    ne,
    neg,
    pow,
    rsub,
    sub,
    where,
)
from .indexing import getitem, setitem
from .inplace import (
    add_,
    bitwise_and_,
    bitwise_left_shift_,
    bitwise_or_,
    bitwise_right_shift_,
    bitwise_xor_,
    div_,
    floor_divide_,
    mul_,
    pow_,
    remainder_,
    sub_,
)
from .linalg import matmul
from .pointwise import (
    bitwise_left_shift,
    bitwise_right_shift,
    floor_divide,
    positive,
    remainder,
)


def _fast(numpy_op, op, kinds=None):
    """`x <op> y` with a shortcut for the commonest case: two plain tensors of one
    dtype and no graph to record. Then torch's promotion, the op's checks and its
    graph node all have nothing to do, and NumPy's operator is the whole op - which
    on tiny tensors is most of the time an op takes. Anything else (numbers, mixed
    dtypes, recording, shapes that do not broadcast, vmap's and jvp's tensor
    subclasses) goes to `op`, which gives the same result, or torch's error. `kinds`,
    when given, are the dtype kinds where NumPy's operator is torch's: not bool for
    `-` (torch refuses it), only floating for `/` (integers divide to a float dtype).
    """
    _make = Tensor._make

    def operator_method(self, other):
        if (other.__class__ is Tensor and self.__class__ is Tensor
                and not (grad_mode._enabled and (self._requires_grad or other._requires_grad))):
            a, b = self._data, other._data
            if a.dtype is b.dtype and (kinds is None or a.dtype.kind in kinds):
                try:
                    return _make(numpy_op(a, b))
                except ValueError:
                    pass  # shapes that do not match: `op` raises torch's message
        return op(self, other)

    operator_method.__name__ = op.__name__
    return operator_method


def _matmul_arrays(a, b):
    """NumPy's `@`, through np.dot for two matrices: the same product, with less call
    overhead than np.matmul (a gufunc) - a third of the time of a 4x4 product."""
    if a.ndim == 2 and b.ndim == 2:
        return np.dot(a, b)
    return a @ b


_matmul_fast = _fast(_matmul_arrays, matmul)


def _where_method(self, condition, other):
    return where(condition, self, other)


def _flip(fn):
    def reflected(self, other):
        return fn(other, self)
    reflected.__name__ = f"r{fn.__name__}"
    return reflected


def _matmul_operator(self, other):
    """`x @ y`: Python's TypeError for a non-tensor operand, as torch gives."""
    if not isinstance(other, Tensor):
        return NotImplemented
    return _matmul_fast(self, other)


def _rmatmul(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)


def _invert(self):
    """`~x`: torch checks the dtype itself before calling bitwise_not."""
    if self.dtype.is_floating_point or self.dtype.is_complex:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(self)


def _add_(self, other):
    return add_(self, other)


TENSOR_OPERATORS = {
    "__add__": _fast(operator.add, add), "__radd__": add, "__iadd__": _add_,
    "__sub__": _fast(operator.sub, sub, kinds="iufc"), "__rsub__": rsub, "__isub__": sub_,
    "__mul__": _fast(operator.mul, mul), "__rmul__": mul, "__imul__": mul_,
    "__truediv__": _fast(operator.truediv, div, kinds="fc"), "__rtruediv__": _flip(div),
    "__itruediv__": div_,
    "__pow__": pow, "__rpow__": _flip(pow), "__ipow__": pow_,
    "__matmul__": _matmul_operator, "__rmatmul__": _rmatmul,
    "__neg__": neg, "__abs__": abs, "__pos__": positive,
    "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "__and__": bitwise_and, "__rand__": bitwise_and, "__or__": bitwise_or,
    "__ror__": bitwise_or, "__xor__": bitwise_xor, "__rxor__": bitwise_xor,
    "__iand__": bitwise_and_, "__ior__": bitwise_or_, "__ixor__": bitwise_xor_,
    "__mod__": remainder, "__rmod__": _flip(remainder), "__imod__": remainder_,
    "__floordiv__": floor_divide, "__rfloordiv__": _flip(floor_divide),
    "__ifloordiv__": floor_divide_,
    "__lshift__": bitwise_left_shift, "__rlshift__": _flip(bitwise_left_shift),
    "__ilshift__": bitwise_left_shift_,
    "__rshift__": bitwise_right_shift, "__rrshift__": _flip(bitwise_right_shift),
    "__irshift__": bitwise_right_shift_,
    "__invert__": _invert,
    "__getitem__": getitem, "__setitem__": setitem,
    "where": _where_method,
}
