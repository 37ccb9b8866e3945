"""Elementwise ops: arithmetic, the unary math functions and activations.

Binary ops broadcast like NumPy (and torch); the engine reduces each gradient back
to its input's shape, so backward formulas here are written for equal shapes.
Operands are first cast to torch's result dtype (`_operands`), which is where torch
and NumPy differ: int64 tensor * 2.5 is float32 in torch and float64 in NumPy.

_QUIET: the forwards compute 1/0, log(0), sqrt(-1) and overflows without
`np.errstate`: ember sets `np.seterr(all="ignore")` at import (torch computes
silently in IEEE arithmetic), and an errstate block costs ~1 us, more than the
op itself on a small tensor.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import grad_mode
from ..tensor import Size, Tensor
from .primitive import Primitive

__all__ = [
    'abs',
    'absolute',
    'add',
    'bitwise_and',
    'bitwise_not',
    'bitwise_or',
    'bitwise_xor',
    'broadcast_shapes',
    'clamp',
    'clamp_max',
    'clamp_min',
    'clip',
    'div',
    'divide',
    'eq',
    'exp',
    'ge',
    'greater',
    'greater_equal',
    'gt',
    'le',
    'less',
    'less_equal',
    'log',
    'logical_and',
    'logical_not',
    'logical_or',
    'logical_xor',
    'lt',
    'maximum',
    'minimum',
    'mul',
    'multiply',
    'ne',
    'neg',
    'negative',
    'not_equal',
    'pow',
    'reciprocal',
    'relu',
    'rsub',
    'sigmoid',
    'sign',
    'sqrt',
    'sub',
    'subtract',
    'tanh',
    'true_divide',
    'where',
]

# the ones torch also offers as Tensor methods (x.name(...))
_NOT_METHODS = {
    'broadcast_shapes',
    'rsub',
    'where',
}
TENSOR_METHODS = tuple(name for name in __all__ if name not in _NOT_METHODS)

# the ones torch also puts in torch.nn.functional
FUNCTIONAL = (
    'relu',
    'sigmoid',
    'tanh',
)


# ---------------------------------------------------------------------------------------
# operands and broadcasting


def _operands(a, b):
    """Backend operands for `a op b` with torch's type promotion applied.

    `a` is a Tensor; `b` a Tensor or a Python number. Both come back in the result
    dtype (a number as a NumPy scalar of that dtype, so NumPy cannot widen it).
    """
    if isinstance(b, Tensor):
        if isinstance(a, Tensor):
            da, db = a._data, b._data
            if da.dtype == db.dtype:
                return da, db
            target = dtypes.result_type(a, b).np
            return da.astype(target, copy=False), db.astype(target, copy=False)
        db, da = _operands(b, a)  # number op tensor: promote with the roles swapped
        return da, db
    da = a._data
    if _keeps_dtype(da, b):
        return da, _scalar_as(b, da.dtype)
    if not isinstance(b, (int, float, complex, bool, np.generic)):
        raise TypeError(f"unsupported operand type: '{type(b).__name__}'")
    target = dtypes.result_type(a, b).np
    if da.dtype != target:
        da = da.astype(target)
    return da, _scalar_as(b, target)


def _keeps_dtype(array, number) -> bool:
    """Whether `tensor op number` stays in the tensor's dtype, known without the
    promotion table for the commonest mixes (`x * 0.5`, `n + 1`, `x ** 2`): a Python
    float with a floating tensor, or a Python int with a numeric one."""
    kind = array.dtype.kind
    cls = number.__class__
    return (cls is float and kind in "fc") or (cls is int and kind in "fciu")


def _scalar_as(value, np_dtype):
    """A Python number as a NumPy scalar of `np_dtype`.

    Integers wrap around like torch's (uint8 tensor + 300 adds 44), where NumPy 2
    would raise OverflowError for an out-of-range Python int.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int) and not isinstance(value, bool) and np_dtype.kind in "iu":
        return np.array(value, np.int64).astype(np_dtype)[()]
    return np_dtype.type(value)


def _cast(x, np_dtype):
    """An array or NumPy scalar in `np_dtype`."""
    if x.dtype == np_dtype:
        return x
    return x.astype(np_dtype) if isinstance(x, np.ndarray) else np_dtype.type(x)


def infer_broadcast_shape(*shapes) -> tuple:
    """The broadcast shape of operands, or the RuntimeError a binary op gives."""
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        for i, size in enumerate(s, start=ndim - len(s)):
            if size != 1:
                if out[i] != 1 and out[i] != size:
                    raise RuntimeError(
                        f"The size of tensor a ({out[i]}) must match the size of tensor b "
                        f"({size}) at non-singleton dimension {i}")
                out[i] = size
    return tuple(out)


def broadcast_shapes(*shapes) -> Size:
    """torch.broadcast_shapes: the shape tensors of these shapes broadcast to.

    Each shape is a sequence of ints or a single int (a 1-d shape).
    """
    shapes = [(s,) if isinstance(s, (int, np.integer)) else tuple(s) for s in shapes]
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for k, s in enumerate(shapes):
        for i, size in enumerate(s, start=ndim - len(s)):
            if size < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {size}: "
                                   f"{list(s)}")
            if size != 1 and out[i] != 1 and out[i] != size:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {size} at {i - ndim}! "
                    f"Mismatching argument at index {k} had {s}; but expected shape should be "
                    f"broadcastable to [{', '.join(map(str, out))}]")
            if size != 1:
                out[i] = size
    return Size(out)


def _check_broadcast(a, b) -> None:
    """Raise torch's message for shapes that do not broadcast (NumPy's is different)."""
    sa = a.shape if hasattr(a, "shape") else ()
    sb = b.shape if hasattr(b, "shape") else ()
    na, nb = len(sa), len(sb)
    for i in range(1, min(na, nb) + 1):
        x, y = sa[-i], sb[-i]
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {max(na, nb) - i}")


class BinaryPrimitive(Primitive):
    """A broadcasting binary op; `forward(a, b)` gets promoted backend operands."""

    # inputs saved only for the *other* input's gradient (a of a * b): like torch, save
    # them only when that other input requires grad, so that changing them in place
    # afterwards is not an error when nobody needs them
    saved_for_other_only: tuple = ()

    @classmethod
    def apply(cls, a, b, **params):
        da, db = _operands(a, b)
        node = cls.__new__(cls)
        try:
            out = node.forward(da, db, **params)
        except ValueError:
            _check_broadcast(da, db)  # NumPy's broadcast error -> torch's message
            raise
        return node.finish(out, (a, b))

    def inputs_to_save(self, inputs) -> list:
        saved = super().inputs_to_save(inputs)
        for i in self.saved_for_other_only:
            if not getattr(inputs[1 - i], "_requires_grad", False):
                saved[self.save_inputs.index(i)] = None
        return saved


def _is_bool(x) -> bool:
    return isinstance(x, bool) or (isinstance(x, Tensor) and x._data.dtype == np.bool_)


def _check_sub(a, b) -> None:
    """torch refuses `-` when either side is a bool (tensor or Python bool)."""
    a_bool, b_bool = _is_bool(a), _is_bool(b)
    if a_bool and b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if a_bool or b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                           "supported. If you are trying to invert a mask, use the `~` or "
                           "`logical_not()` operator instead.")


def _check_alpha(a, b, alpha) -> None:
    """torch's checks on `alpha` against the result dtype of add/sub."""
    if alpha == 1 and not isinstance(alpha, bool):
        return
    result = dtypes.result_type(a, b)
    if isinstance(alpha, bool) and result is not dtypes.bool_:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, float) and not (result.is_floating_point or result.is_complex):
        raise RuntimeError("For integral input tensors, argument alpha must not be a "
                           "floating point number.")


# ---------------------------------------------------------------------------------------
# arithmetic


class Add(BinaryPrimitive):
    """out = a + alpha * b."""

    grad_fn_name = "AddBackward0"

    def forward(self, a, b, alpha=1):
        self.alpha = alpha
        return a + b if alpha == 1 else a + _scalar_as(alpha, a.dtype) * b

    def backward(self, grad):
        return grad, (grad if self.alpha == 1 else grad * self.alpha)


class Sub(BinaryPrimitive):
    """out = a - alpha * b."""

    grad_fn_name = "SubBackward0"

    def forward(self, a, b, alpha=1):
        self.alpha = alpha
        return a - b if alpha == 1 else a - _scalar_as(alpha, a.dtype) * b

    def backward(self, grad):
        return grad, (-grad if self.alpha == 1 else grad * -self.alpha)


class RsubTensor(Sub):
    """out = a - alpha * b, recorded as torch records `rsub(b, a)`."""

    grad_fn_name = "RsubBackward0"


class Rsub(Primitive):
    """out = other - alpha * input, for `number - tensor`."""

    grad_fn_name = "RsubBackward1"

    def forward(self, x, other, alpha=1):
        self.alpha = alpha
        return other - x if alpha == 1 else other - _scalar_as(alpha, x.dtype) * x

    def backward(self, grad):
        return -grad if self.alpha == 1 else grad * -self.alpha


class Mul(BinaryPrimitive):
    """out = a * b."""

    grad_fn_name = "MulBackward0"
    save_inputs = (0, 1)
    saved_for_other_only = (0, 1)

    def forward(self, a, b):
        return a * b

    def backward(self, grad):
        a, b = self.saved_tensors  # None when not needed
        return (None if b is None else grad * _conj(b)), (None if a is None else grad * _conj(a))


class Div(BinaryPrimitive):
    """out = a / b: true division (integers divide to the default float dtype).

    With `rounding_mode` 'trunc' or 'floor' the quotient is rounded and keeps the
    operands' dtype; its gradient is zero (torch records it as DivBackward2).
    """

    grad_fn_name = "DivBackward0"
    save_inputs = (0, 1)
    saved_for_other_only = (0,)

    def forward(self, a, b, rounding_mode=None):
        self.rounding_mode = rounding_mode
        if rounding_mode is None:
            if a.dtype.kind in "iub":  # both operands share the promoted dtype
                f = dtypes.get_default_dtype().np
                a, b = _cast(a, f), _cast(b, f)
            return np.true_divide(a, b)  # x/0 = inf, 0/0 = nan, silently (see _QUIET)
        if rounding_mode not in ("trunc", "floor"):
            raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or "
                               f"'floor' but found '{rounding_mode}'")
        self.grad_fn_name = "DivBackward2"
        if a.dtype.kind in "iub":
            if np.any(b == 0):
                raise RuntimeError("ZeroDivisionError")
            return np.floor_divide(a, b) if rounding_mode == "floor" else _int_trunc_div(a, b)
        if rounding_mode == "floor":
            return np.floor_divide(a, b)  # NumPy and torch share the fmod-based rule
        return np.trunc(np.true_divide(a, b))

    def backward(self, grad):
        a, b = self.saved_tensors
        if self.rounding_mode is not None:
            zero = grad.new_zeros(grad.shape)
            return zero, (zero if isinstance(b, Tensor) else None)
        grad_a = grad / _conj(b)
        if not isinstance(b, Tensor) or a is None:
            return grad_a, None
        return grad_a, -grad * _conj(a) / _conj(b * b)


class Neg(Primitive):
    """out = -x."""

    grad_fn_name = "NegBackward0"

    def forward(self, x):
        if x.dtype == np.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        return -x

    def backward(self, grad):
        return -grad


def _power(base, exponent):
    """base ** exponent elementwise, with torch's rules where NumPy's differ.

    Integer bases to negative integer powers give 0 (or +-1 for a base of +-1), the
    truncated value, where NumPy raises; bools compute as integers and come back bool.
    """
    dt = np.result_type(base, exponent)
    if dt == np.bool_:
        return np.power(np.asarray(base, np.uint8), np.asarray(exponent, np.uint8)).astype(
            np.bool_)
    if dt.kind in "iu" and np.any(np.asarray(exponent) < 0):
        negative = np.asarray(exponent) < 0
        positive_part = np.power(base, np.where(negative, 0, exponent))
        odd = np.asarray(exponent) % 2 != 0
        inverse = np.where(base == 1, 1, np.where(base == -1, np.where(odd, -1, 1), 0))
        return np.where(negative, inverse, positive_part).astype(dt)
    return np.power(base, exponent)


def _check_pow_bool(d) -> None:
    if d == np.bool_:
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")


class Pow(Primitive):
    """out = x ** exponent, exponent a Python number."""

    grad_fn_name = "PowBackward0"
    save_inputs = (0,)

    def forward(self, x, exponent):
        self.exponent = exponent
        if x.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if exponent == 2 and x.dtype != np.bool_:
            return x * x  # what torch computes for a square: exact and fast
        return _power(x, _scalar_as(exponent, x.dtype))

    def backward(self, grad):
        (x,) = self.saved_tensors
        e = self.exponent
        if e == 0:
            return grad.new_zeros(grad.shape)
        return grad * _conj(e * (x if e == 2 else x ** (e - 1)))


class PowTensor(BinaryPrimitive):
    """out = a ** b, both tensors."""

    grad_fn_name = "PowBackward1"
    save_inputs = (0, 1)
    save_output = True

    def forward(self, a, b):
        _check_pow_bool(a.dtype)
        return _power(a, b)

    def backward(self, grad):
        a, b, out = self.saved_tensors
        # torch: d/da is 0 where b == 0 (even at a == 0), d/db is 0 where a == 0 and b >= 0.
        grad_a = where(b == 0, 0.0, grad * _conj(b) * _conj(a ** (b - 1)))
        grad_b = grad * _conj(where(logical_and(a == 0, b >= 0), 0.0, out * log(a)))
        return grad_a, grad_b


class PowScalarBase(Primitive):
    """out = base ** x, base a Python number."""

    grad_fn_name = "PowBackward2"
    save_inputs = (0,)
    save_output = True

    def forward(self, x, base):
        self.base = base
        target = dtypes.result_type(Tensor._make(x), base).np
        _check_pow_bool(target)
        return _power(_scalar_as(base, target), _cast(x, target))

    def backward(self, grad):
        x, out = self.saved_tensors
        if self.base == 0:
            # torch: the gradient is 0 where the exponent is >= 0 (0 ** x is flat there).
            with np.errstate(divide="ignore"):
                log_base = float(np.log(0.0))
            return where(x >= 0, 0.0, grad * _conj(out) * log_base)
        return grad * _conj(out) * float(np.log(self.base))


def add(input, other, *, alpha=1, out=None):
    """input + alpha * other, broadcasting."""
    if not isinstance(input, Tensor):
        input = _scalar_tensor(input, other)
    _check_alpha(input, other, alpha)
    return _out(Add.apply(input, other, alpha=alpha), out)


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other, broadcasting."""
    _check_sub(input, other)
    if not isinstance(input, Tensor):
        return rsub(other, input, alpha=alpha)
    _check_alpha(input, other, alpha)
    return _out(Sub.apply(input, other, alpha=alpha), out)


subtract = sub


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    _check_sub(input, other)
    _check_alpha(input, other, alpha)
    if isinstance(other, Tensor):
        return RsubTensor.apply(other, input, alpha=alpha)
    x, scalar = _operands(input, other)
    node = Rsub.__new__(Rsub)
    return node.finish(node.forward(x, scalar, alpha=alpha), (input,))


def mul(input, other, *, out=None):
    """input * other, broadcasting."""
    if not isinstance(input, Tensor):
        input, other = other, input
    return _out(Mul.apply(input, other), out)


multiply = mul


class _Unset:
    """Marks an argument left out: torch records `div(a, b, rounding_mode=None)`, the
    rounding overload, as DivBackward2 but plain `div(a, b)` as DivBackward0."""

    def __repr__(self) -> str:
        return "None"


_UNSET = _Unset()


def div(input, other, *, rounding_mode=_UNSET, out=None):
    """input / other; `rounding_mode` 'trunc' or 'floor' rounds the quotient."""
    explicit = rounding_mode is not _UNSET
    if not explicit:
        rounding_mode = None
    if not isinstance(input, Tensor):
        if rounding_mode is None:
            # torch computes `number / tensor` as reciprocal(tensor) * number
            return mul(reciprocal(other), input)
        input = _scalar_tensor(input, other)
    if (rounding_mode is None and isinstance(other, (int, np.integer))
            and not isinstance(other, bool) and input._data.dtype.kind in "iub"):
        # true division is done in floating point: the number must not first wrap
        # around in the tensor's integer dtype (uint8 / -3 is -0.33, as in torch)
        other = float(other)
    result = Div.apply(input, other, rounding_mode=rounding_mode)
    if explicit and result.grad_fn is not None:
        result.grad_fn.grad_fn_name = "DivBackward2"
    return _out(result, out)


divide = true_divide = div


def neg(input, *, out=None):
    return _out(Neg.apply(input), out)


negative = neg


def pow(input, exponent, *, out=None):  # noqa: A001 - torch's name
    """input ** exponent; either may be a tensor, or input a number."""
    if out is not None:
        return _out(pow(input, exponent), out)
    if not isinstance(input, Tensor):
        return PowScalarBase.apply(exponent, base=input)
    if isinstance(exponent, Tensor):
        return PowTensor.apply(input, exponent)
    if isinstance(exponent, np.generic):
        exponent = exponent.item()
    if not _keeps_dtype(input._data, exponent):
        target = dtypes.result_type(input, exponent)
        if target is not input.dtype:
            input = input.to(target)
    return Pow.apply(input, exponent=exponent)


# ---------------------------------------------------------------------------------------
# unary math


class Exp(Primitive):
    """out = e ** x."""

    grad_fn_name = "ExpBackward0"
    save_output = True

    def forward(self, x):
        return np.exp(_float(x))

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad * _conj(out)


class Log(Primitive):
    """out = ln(x) (nan below 0, -inf at 0)."""

    grad_fn_name = "LogBackward0"
    save_inputs = (0,)

    def forward(self, x):
        return np.log(_float(x))

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / _conj(x)


class Sqrt(Primitive):
    """out = sqrt(x)."""

    grad_fn_name = "SqrtBackward0"
    save_output = True

    def forward(self, x):
        return np.sqrt(_float(x))

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad / (2 * _conj(out))


class Tanh(Primitive):
    """out = tanh(x)."""

    grad_fn_name = "TanhBackward0"
    save_output = True

    def forward(self, x):
        return np.tanh(_float(x))

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad * (1 - _conj(out) * _conj(out))


class Sigmoid(Primitive):
    """out = 1 / (1 + e ** -x), computed without overflow for large |x|."""

    grad_fn_name = "SigmoidBackward0"
    save_output = True

    def forward(self, x):
        x = _float(x)
        if x.dtype.kind == "c":
            return 1 / (1 + np.exp(-x))
        # exp(-|x|) never overflows; pick the algebraically equal form per sign.
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad * _conj(out * (1 - out))


class Abs(Primitive):
    """out = |x|; the gradient at 0 is 0, as in torch."""

    grad_fn_name = "AbsBackward0"
    save_inputs = (0,)

    def forward(self, x):
        if x.dtype == np.bool_:
            raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
        return np.abs(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        if x._data.dtype.kind == "c":
            from .pointwise import sgn  # x / |x|: the complex gradient of |x|
            return grad * sgn(x)
        return grad * sign(x)


class Sign(Primitive):
    """out = -1, 0 or 1 (0 for NaN and for bools' False, as in torch); zero gradient."""

    grad_fn_name = "SignBackward0"

    def forward(self, x):
        if x.dtype == np.bool_:
            return x.copy()
        # (x > 0) - (x < 0) rather than np.sign: torch maps NaN to 0, NumPy keeps NaN.
        return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)

    def backward(self, grad):
        return grad.new_zeros(grad.shape)


class Reciprocal(Primitive):
    """out = 1 / x."""

    grad_fn_name = "ReciprocalBackward0"
    save_output = True

    def forward(self, x):
        return np.reciprocal(_float(x))

    def backward(self, grad):
        (out,) = self.saved_tensors
        return -grad * _conj(out * out)


def _float_function(primitive, ufunc, input, out):
    """`primitive` applied to `input` - with the operators' inference shortcut: on a
    plain floating tensor with no graph to record (and no `out=`), the op is its
    NumPy ufunc on the array and nothing else. `primitive` records the graph, casts
    integers to the default float dtype, and takes everything else."""
    if (out is None and input.__class__ is Tensor
            and not (grad_mode._enabled and input._requires_grad)):
        x = input._data
        if x.dtype.kind in "fc":
            return Tensor._make(ufunc(x))
    return _out(primitive.apply(input), out)


def exp(input, *, out=None):
    return _float_function(Exp, np.exp, input, out)


def log(input, *, out=None):
    return _float_function(Log, np.log, input, out)


def sqrt(input, *, out=None):
    return _float_function(Sqrt, np.sqrt, input, out)


def tanh(input, *, out=None):
    return _float_function(Tanh, np.tanh, input, out)


def sigmoid(input, *, out=None):
    return _out(Sigmoid.apply(input), out)


def abs(input, *, out=None):  # noqa: A001 - torch's name
    return _out(Abs.apply(input), out)


absolute = abs


def sign(input, *, out=None):
    return _out(Sign.apply(input), out)


def reciprocal(input, *, out=None):
    return _float_function(Reciprocal, np.reciprocal, input, out)


# ---------------------------------------------------------------------------------------
# clamping and relu


class Relu(Primitive):
    """out = max(x, 0)."""

    grad_fn_name = "ReluBackward0"
    save_output = True

    def forward(self, x):
        if x.dtype.kind == "b":
            raise RuntimeError("Boolean inputs not supported for relu")
        if x.dtype.kind == "c":
            raise NotImplementedError("clamp is not supported for complex types")
        return np.maximum(x, 0)  # NumPy takes the Python 0 in x's dtype

    def backward(self, grad):
        (out,) = self.saved_tensors
        if not grad_mode._enabled and grad.__class__ is Tensor and out.__class__ is Tensor:
            # No graph to build (and no tangent or batch to carry): the same product
            # on the arrays, without two ops' dispatch and promotion.
            return Tensor._make(np.multiply(grad._data, out._data > 0))
        return grad * (out > 0)


class Clamp(Primitive):
    """out = min(max(x, min), max) for number bounds (either may be None).

    The gradient flows where min <= x <= max. torch names the node ClampBackward1
    for `clamp`, ClampMinBackward0 / ClampMaxBackward0 for `clamp_min` / `clamp_max`.
    """

    grad_fn_name = "ClampBackward1"
    save_inputs = (0,)

    def forward(self, x, min, max, name="ClampBackward1"):  # noqa: A002
        self.min, self.max = min, max
        self.grad_fn_name = name
        target = dtypes.result_type(*(v for v in (Tensor._make(x), min, max) if v is not None))
        out = _cast(x, target.np)
        # maximum then minimum: NaN in x stays NaN, and min > max gives max everywhere.
        if min is not None:
            out = np.maximum(out, _scalar_as(min, target.np))
        if max is not None:
            out = np.minimum(out, _scalar_as(max, target.np))
        return out if out is not x else out.copy()

    def backward(self, grad):
        (x,) = self.saved_tensors
        if self.max is None:
            inside = x >= self.min
        elif self.min is None:
            inside = x <= self.max
        else:
            inside = logical_and(x >= self.min, x <= self.max)
        return where(inside, grad, 0.0)


class ClampTensor(Primitive):
    """out = min(max(x, min), max) with tensor bounds (broadcasting; either may be None).

    Gradients as torch's `clamp_backward_min_max`: x gets the gradient where it lies
    within the bounds, `min` where x is below it (and min < max), `max` where x is
    above it (or max < min, where max wins).
    """

    grad_fn_name = "ClampBackward0"
    save_inputs = (0, 1, 2)

    def forward(self, x, min, max, name="ClampBackward0"):  # noqa: A002
        self.grad_fn_name = name
        present = [a for a in (x, min, max) if a is not None]
        target = dtypes.result_type(*(Tensor._make(a) for a in present)).np
        shape = infer_broadcast_shape(*(a.shape for a in present))
        out = _cast(x, target)
        if min is not None:
            out = np.maximum(out, _cast(min, target))
        if max is not None:
            out = np.minimum(out, _cast(max, target))
        return np.broadcast_to(out, shape).copy()

    def backward(self, grad):
        x, lo, hi = self.saved_tensors
        if lo is not None and hi is not None:
            grad_x = where(logical_and(x >= lo, x <= hi), grad, 0.0)
            grad_lo = where(logical_and(x < lo, lo < hi), grad, 0.0)
            grad_hi = where(logical_or(x > hi, hi < lo), grad, 0.0)
        elif lo is not None:
            grad_x, grad_lo, grad_hi = where(x >= lo, grad, 0.0), where(x < lo, grad, 0.0), None
        else:
            grad_x, grad_lo, grad_hi = where(x <= hi, grad, 0.0), None, where(x > hi, grad, 0.0)
        return grad_x, grad_lo, grad_hi


def relu(input, inplace=False):
    if inplace:
        from .inplace import relu_
        return relu_(input)
    # Inference shortcut, as for the operators and F.linear: on a plain real tensor
    # with no graph to record, relu is NumPy's maximum and nothing else.
    if input.__class__ is Tensor and not (grad_mode._enabled and input._requires_grad):
        x = input._data
        if x.dtype.kind in "iuf":
            return Tensor._make(np.maximum(x, 0))
    return Relu.apply(input)


def clamp_min(input, min):  # noqa: A002
    """max(input, min); `min` a number or a (broadcasting) tensor."""
    if isinstance(min, Tensor):
        return ClampTensor.apply(input, min, None, name="ClampMinBackward1")
    return Clamp.apply(input, min=min, max=None, name="ClampMinBackward0")


def clamp_max(input, max):  # noqa: A002
    """min(input, max); `max` a number or a (broadcasting) tensor."""
    if isinstance(max, Tensor):
        return ClampTensor.apply(input, None, max, name="ClampMaxBackward1")
    return Clamp.apply(input, min=None, max=max, name="ClampMaxBackward0")


def clamp(input, min=None, max=None):  # noqa: A002
    """Limit values to [min, max]; bounds are numbers or tensors, either may be None."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    tensor_bounds = [isinstance(b, Tensor) for b in (min, max) if b is not None]
    if any(tensor_bounds):
        if not all(tensor_bounds):
            raise TypeError("clamp() received an invalid combination of arguments - got "
                            f"(Tensor, {type(min).__name__}, {type(max).__name__}), but "
                            "expected one of:")
        return ClampTensor.apply(input, min, max)
    return Clamp.apply(input, min=min, max=max)


clip = clamp


class Maximum(BinaryPrimitive):
    """out = elementwise max(a, b); ties split the gradient evenly, as in torch."""

    grad_fn_name = "MaximumBackward0"
    save_inputs = (0, 1)

    def forward(self, a, b):
        return np.maximum(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        return _split_by_mask(grad, a > b, a == b)


class Minimum(BinaryPrimitive):
    """out = elementwise min(a, b)."""

    grad_fn_name = "MinimumBackward0"
    save_inputs = (0, 1)

    def forward(self, a, b):
        return np.minimum(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        return _split_by_mask(grad, a < b, a == b)


def _split_by_mask(grad, wins, ties):
    share = where(wins, 1.0, where(ties, 0.5, 0.0)).to(grad.dtype)
    return grad * share, grad * (1 - share)


def maximum(input, other, *, out=None):
    return _out(Maximum.apply(input, other), out)


def minimum(input, other, *, out=None):
    return _out(Minimum.apply(input, other), out)


# ---------------------------------------------------------------------------------------
# selection


class Where(Primitive):
    """out = a where cond else b (broadcasting all three)."""

    grad_fn_name = "WhereBackward0"

    def forward(self, cond, a, b):
        self.cond = cond
        return np.where(cond, a, b)

    def backward(self, grad):
        keep = Tensor._make(self.cond)
        zero = grad.new_zeros(())
        return None, where(keep, grad, zero), where(keep, zero, grad)


def where(condition, input=None, other=None):
    """Pick from `input` where `condition` else from `other`; one argument: nonzero."""
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if condition.dtype is not dtypes.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                           f"tensor with dtype {_legacy_scalar(condition.dtype)}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor._make(np.asarray(input, dtype=dtypes.result_type(input, other).np))
    if isinstance(input, Tensor):
        da, db = _operands(input, other)
    else:
        db, da = _operands(other, input)
    _check_broadcast(condition._data, da)
    _check_broadcast(condition._data, db)
    node = Where.__new__(Where)
    return node.finish(node.forward(condition._data, da, db), (condition, input, other))


# ---------------------------------------------------------------------------------------
# comparisons and logic (never differentiable)


def _compare(ufunc):
    def compare(input, other):
        if not isinstance(input, Tensor):
            input, other = other, input
            return Tensor._make(_REFLECT[ufunc](*_operands(input, other)))
        a, b = _operands(input, other)
        try:
            return Tensor._make(ufunc(a, b))
        except ValueError:
            _check_broadcast(a, b)
            raise
    compare.__name__ = ufunc.__name__
    return compare


_REFLECT = {np.less: np.greater, np.greater: np.less, np.less_equal: np.greater_equal,
            np.greater_equal: np.less_equal, np.equal: np.equal, np.not_equal: np.not_equal}

eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)
less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne


def logical_and(input, other):
    return Tensor._make(np.logical_and(input._data, _data_of(other)))


def logical_or(input, other):
    return Tensor._make(np.logical_or(input._data, _data_of(other)))


def logical_not(input):
    return Tensor._make(np.logical_not(input._data))


def logical_xor(input, other):
    return Tensor._make(np.logical_xor(input._data, _data_of(other)))


# ---------------------------------------------------------------------------------------
# helpers


def _data_of(x):
    return x._data if isinstance(x, Tensor) else x


def _float(x):
    """Integer and bool inputs of float functions compute in the default dtype."""
    if x.dtype.kind in "iub":
        return x.astype(dtypes.get_default_dtype().np)
    return x


def _is_inexact(x) -> bool:
    if isinstance(x, (float, complex)):
        return True
    return hasattr(x, "dtype") and x.dtype.kind in "fc"


def _int_trunc_div(a, b):
    q = np.floor_divide(a, b)
    fix = (np.remainder(a, b) != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0))
    return q + fix.astype(q.dtype)


def _conj(t):
    """The complex conjugate of a complex tensor (differentiable when recorded); reals as is.

    torch's gradients of holomorphic functions are grad * conj(f'(z))."""
    if isinstance(t, Tensor) and t._data.dtype.kind == "c":
        if t._requires_grad:
            from .pointwise import conj_physical
            return conj_physical(t)
        return Tensor._make(np.conj(t._data))
    return t


def _scalar_tensor(value, like) -> Tensor:
    return Tensor._make(np.asarray(value, dtype=dtypes.result_type(like, value).np))


def _as_tensor_like(value, like) -> Tensor:
    return value if isinstance(value, Tensor) else _scalar_tensor(value, like)


def _legacy_scalar(d) -> str:
    """torch's C++ name for a dtype (an ember dtype or a NumPy dtype), as errors print it."""
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(d.name, d.name)


def _out(result, out):
    """Support `out=`: copy the result into `out` and return it."""
    if out is None:
        return result
    from .inplace import copy_
    if out.shape != result.shape:
        out._data = np.empty_like(result._data, dtype=out._data.dtype)
    copy_(out, result)
    return out


# ---------------------------------------------------------------------------------------
# bitwise (integers and bools; `&`, `|`, `^`, `~` on masks)


def _bitwise(ufunc, name):
    def op(input, other):
        if not isinstance(input, Tensor):
            input, other = other, input
        a, b = _operands(input, other)
        if a.dtype.kind in "fc":
            raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                      f"'{_legacy_scalar(a.dtype)}'")
        _check_broadcast(a, b)
        return Tensor._make(ufunc(a, b))
    op.__name__ = name
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input):
    if input._data.dtype.kind in "fc":
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for "
                                  f"'{_legacy_scalar(input.dtype)}'")
    return Tensor._make(np.invert(input._data))
