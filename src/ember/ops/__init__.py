"""Every primitive and composite op, by family. `ember.add`, `Tensor.add` and `x + y` are
the functions defined here; `TENSOR_METHODS` lists the ones bound onto Tensor."""

from .activation import log_softmax, softmax
from .conversion import to_copy
from .elementwise import (
    abs,
    absolute,
    add,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    broadcast_shapes,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    div,
    divide,
    eq,
    exp,
    ge,
    greater,
    greater_equal,
    gt,
    le,
    less,
    less_equal,
    log,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    maximum,
    minimum,
    mul,
    multiply,
    ne,
    neg,
    negative,
    not_equal,
    pow,
    reciprocal,
    relu,
    rsub,
    sigmoid,
    sign,
    sqrt,
    sub,
    subtract,
    tanh,
    true_divide,
    where,
)
from .indexing import getitem, nonzero, setitem
from .inplace import (
    abs_,
    add_,
    clamp_,
    clamp_max_,
    clamp_min_,
    copy_,
    div_,
    exp_,
    fill_,
    log_,
    mul_,
    neg_,
    pow_,
    relu_,
    sigmoid_,
    sqrt_,
    sub_,
    tanh_,
    zero_,
)
from .linalg import addmm, bmm, dot, einsum, inner, linear, matmul, mm, mv
from .reduction import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    isnan,
    max,
    mean,
    min,
    std,
    sum,
    sum_to_shape,
    var,
)
from .shape import (
    broadcast_to,
    cat,
    clone,
    concat,
    concatenate,
    contiguous,
    expand,
    expand_as,
    flatten,
    narrow,
    permute,
    reshape,
    reshape_as,
    squeeze,
    stack,
    swapaxes,
    swapdims,
    t,
    transpose,
    unbind,
    unsqueeze,
    view,
    view_as,
)

TENSOR_METHODS = (
    "abs", "absolute", "add", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor",
    "clamp", "clamp_max", "clamp_min", "clip", "div", "divide", "eq", "exp", "ge", "greater",
    "greater_equal", "gt", "le", "less", "less_equal", "log", "logical_and", "logical_not",
    "logical_or", "logical_xor", "lt", "maximum", "minimum", "mul", "multiply", "ne", "neg",
    "negative", "not_equal", "pow", "reciprocal", "relu", "sigmoid", "sign", "sqrt", "sub",
    "subtract", "tanh", "true_divide", "nonzero",
    "abs_", "add_", "clamp_", "clamp_max_", "clamp_min_", "copy_", "div_", "exp_", "fill_",
    "log_", "mul_", "neg_", "pow_", "relu_", "sigmoid_", "sqrt_", "sub_", "tanh_", "zero_",
    "addmm", "bmm", "dot", "inner", "matmul", "mm", "mv",
    "all", "amax", "amin", "any", "argmax", "argmin", "isnan", "max", "mean", "min", "sum",
    "std", "var",
    "broadcast_to", "clone", "contiguous", "expand", "expand_as", "flatten", "narrow",
    "permute", "reshape", "reshape_as", "squeeze", "swapaxes", "swapdims", "t", "transpose",
    "unbind", "unsqueeze", "view", "view_as", "softmax", "log_softmax",
)


def _where_method(self, condition, other):
    return where(condition, self, other)


def _flip(fn):
    def reflected(self, other):
        return fn(other, self)
    reflected.__name__ = f"r{fn.__name__}"
    return reflected


def _rmatmul(self, other):
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
    "__add__": add, "__radd__": add, "__iadd__": _add_,
    "__sub__": sub, "__rsub__": rsub, "__isub__": sub_,
    "__mul__": mul, "__rmul__": mul, "__imul__": mul_,
    "__truediv__": div, "__rtruediv__": _flip(div), "__itruediv__": div_,
    "__pow__": pow, "__rpow__": _flip(pow), "__ipow__": pow_,
    "__matmul__": matmul, "__rmatmul__": _rmatmul,
    "__neg__": neg, "__abs__": abs, "__pos__": lambda self: self,
    "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "__and__": bitwise_and, "__rand__": bitwise_and, "__or__": bitwise_or,
    "__ror__": bitwise_or, "__xor__": bitwise_xor, "__rxor__": bitwise_xor,
    "__invert__": _invert,
    "__getitem__": getitem, "__setitem__": setitem,
    "where": _where_method,
}
