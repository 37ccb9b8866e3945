"""Elementwise ops: arithmetic, the unary math functions and activations.

Binary ops broadcast like NumPy (and torch); the engine reduces each gradient back
to its input's shape, so backward formulas here are written for equal shapes.
Operands are first cast to torch's result dtype (`_operands`), which is where torch
and NumPy differ: int64 tensor * 2.5 is float32 in torch and float64 in NumPy.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..tensor import Tensor
from .primitive import Primitive

# ---------------------------------------------------------------------------------------
# operands and broadcasting


def _operands(a, b):
    """Backend operands for `a op b` with torch's type promotion applied."""
    if isinstance(b, Tensor):
        if isinstance(a, Tensor):
            da, db = a._data, b._data
            if da.dtype == db.dtype:
                return da, db
            target = dtypes.result_type(a, b).np
            return da.astype(target, copy=False), db.astype(target, copy=False)
        a, b = b, a  # scalar op tensor: promote with the roles swapped
        db, da = _operands(a, b)
        return da, db
    if not isinstance(b, (int, float, complex, bool, np.generic)):
        raise TypeError(f"unsupported operand type: '{type(b).__name__}'")
    da = a._data
    target = dtypes.result_type(a, b).np
    if da.dtype != target:
        da = da.astype(target)
    if isinstance(b, np.generic):
        b = b.item()
    return da, b


def broadcast_shapes(*shapes) -> tuple:
    """The broadcast shape, or torch's RuntimeError naming the mismatching sizes."""
    ndim = max(len(s) for s in shapes)
    out = [1] * ndim
    for s in shapes:
        for i, size in enumerate(s, start=ndim - len(s)):
            if size != 1:
                if out[i] != 1 and out[i] != size:
                    raise RuntimeError(
                        f"The size of tensor a ({out[i]}) must match the size of tensor b "
                        f"({size}) at non-singleton dimension {i - ndim + len(s)}")
                out[i] = size
    return tuple(out)


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

    @classmethod
    def apply(cls, a, b, **params):
        da, db = _operands(a, b)
        node = cls.__new__(cls)
        try:
            out = node.forward(da, db, **params)
        except ValueError:
            _check_broadcast(da, db)
            raise
        return node.finish(out, (a, b))


# ---------------------------------------------------------------------------------------
# arithmetic


class Add(BinaryPrimitive):
    """out = a + alpha * b."""

    grad_fn_name = "AddBackward0"

    def forward(self, a, b, alpha=1):
        self.alpha = alpha
        return a + b if alpha == 1 else a + alpha * b

    def backward(self, grad):
        return grad, (grad if self.alpha == 1 else grad * self.alpha)


class Sub(BinaryPrimitive):
    """out = a - alpha * b."""

    grad_fn_name = "SubBackward0"

    def forward(self, a, b, alpha=1):
        if a.dtype == np.bool_ if hasattr(a, "dtype") else False:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        self.alpha = alpha
        return a - b if alpha == 1 else a - alpha * b

    def backward(self, grad):
        return grad, (-grad if self.alpha == 1 else grad * -self.alpha)


class Rsub(Primitive):
    """out = other - alpha * input, for `number - tensor`."""

    grad_fn_name = "RsubBackward1"

    def forward(self, x, other, alpha=1):
        self.alpha = alpha
        return other - x if alpha == 1 else other - alpha * x

    def backward(self, grad):
        return -grad if self.alpha == 1 else grad * -self.alpha


class Mul(BinaryPrimitive):
    """out = a * b."""

    grad_fn_name = "MulBackward0"
    save_inputs = (0, 1)

    def forward(self, a, b):
        return a * b

    def backward(self, grad):
        a, b = self.saved_tensors
        return grad * _conj(b), grad * _conj(a)


class Div(BinaryPrimitive):
    """out = a / b (true division: integers divide to the default float dtype)."""

    grad_fn_name = "DivBackward0"
    save_inputs = (0, 1)

    def forward(self, a, b, rounding_mode=None):
        self.rounding_mode = rounding_mode
        if rounding_mode is None:
            if not _is_inexact(a) and not _is_inexact(b):
                f = dtypes.get_default_dtype().np
                a = np.asarray(a).astype(f)
            return np.true_divide(a, b)
        if rounding_mode == "trunc":
            return _keep_dtype(np.trunc(np.true_divide(a, b)), a, b) if _is_inexact(a) or \
                _is_inexact(b) else _int_trunc_div(a, b)
        if rounding_mode == "floor":
            return np.floor_divide(a, b)
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or "
                           f"'floor' but found '{rounding_mode}'")

    def backward(self, grad):
        a, b = self.saved_tensors
        if self.rounding_mode is not None:
            return grad * 0, (grad * 0 if isinstance(b, Tensor) else None)
        grad_a = grad / _conj(b)
        if not isinstance(b, Tensor):
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


class Pow(Primitive):
    """out = x ** exponent, exponent a Python number."""

    grad_fn_name = "PowBackward0"
    save_inputs = (0,)

    def forward(self, x, exponent):
        self.exponent = exponent
        if exponent == 2:
            return x * x  # as fast as it gets, and exact
        if x.dtype.kind in "iub" and isinstance(exponent, int) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return np.power(x, exponent)

    def backward(self, grad):
        (x,) = self.saved_tensors
        e = self.exponent
        if e == 0:
            return grad * 0
        return grad * e * (x if e == 2 else x ** (e - 1))


class PowTensor(BinaryPrimitive):
    """out = a ** b, both tensors (or a number base)."""

    grad_fn_name = "PowBackward1"
    save_inputs = (0, 1)
    save_output = True

    def forward(self, a, b):
        return np.power(a, b)

    def backward(self, grad):
        a, b, out = self.saved_tensors
        grad_a = grad * b * a ** (b - 1) if isinstance(a, Tensor) else None
        grad_b = None
        if isinstance(b, Tensor):
            log_a = log(a) if isinstance(a, Tensor) else float(np.log(a))
            # torch defines the exponent's gradient as 0 where the base is 0 and b >= 0.
            grad_b = grad * where(_as_tensor_like(a, out) == 0, 0.0, out * log_a) \
                if isinstance(a, Tensor) else grad * out * log_a
        return grad_a, grad_b


class PowScalarBase(Primitive):
    """out = base ** x, base a Python number."""

    grad_fn_name = "PowBackward2"
    save_output = True

    def forward(self, x, base):
        self.base = base
        if x.dtype.kind in "iub" and isinstance(base, float):
            x = x.astype(dtypes.get_default_dtype().np)
        return np.power(x.dtype.type(base), x)

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad * out * float(np.log(self.base)) if self.base != 0 else grad * 0


def add(input, other, *, alpha=1, out=None):
    """input + alpha * other, broadcasting."""
    if not isinstance(input, Tensor):
        return Add.apply(other, input, alpha=1) if alpha == 1 else add(
            _scalar_tensor(input, other), other, alpha=alpha)
    return _out(Add.apply(input, other, alpha=alpha), out)


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other, broadcasting."""
    if not isinstance(input, Tensor):
        return rsub(other, input, alpha=alpha)
    return _out(Sub.apply(input, other, alpha=alpha), out)


subtract = sub


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    x, scalar = _operands(input, other)
    node = Rsub.__new__(Rsub)
    return node.finish(node.forward(x, scalar, alpha=alpha), (input,))


def mul(input, other, *, out=None):
    """input * other, broadcasting."""
    if not isinstance(input, Tensor):
        input, other = other, input
    return _out(Mul.apply(input, other), out)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """input / other; `rounding_mode` 'trunc' or 'floor' rounds the quotient."""
    if not isinstance(input, Tensor):
        if rounding_mode is None:
            return mul(reciprocal(other), input)
        input = _scalar_tensor(input, other)
    return _out(Div.apply(input, other, rounding_mode=rounding_mode), out)


divide = true_divide = div


def neg(input):
    return Neg.apply(input)


negative = neg


def pow(input, exponent):  # noqa: A001 - torch's name
    """input ** exponent; either may be a tensor, or input a number."""
    if not isinstance(input, Tensor):
        return PowScalarBase.apply(exponent, base=input)
    if isinstance(exponent, Tensor):
        return PowTensor.apply(input, exponent)
    if isinstance(exponent, np.generic):
        exponent = exponent.item()
    if input.dtype.is_floating_point or isinstance(exponent, int) or input.dtype.is_complex:
        if input.dtype.is_floating_point or input.dtype.is_complex or exponent >= 0:
            return Pow.apply(input, exponent=exponent)
        return Pow.apply(input, exponent=exponent)
    return Pow.apply(input.to(dtypes.result_type(input, exponent)), exponent=exponent)


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
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(_float(x))

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / _conj(x)


class Sqrt(Primitive):
    """out = sqrt(x)."""

    grad_fn_name = "SqrtBackward0"
    save_output = True

    def forward(self, x):
        with np.errstate(invalid="ignore"):
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
        # exp(-|x|) never overflows; pick the algebraically equal form per sign.
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad * out * (1 - out)


class Abs(Primitive):
    """out = |x|; the gradient at 0 is 0, as in torch."""

    grad_fn_name = "AbsBackward0"
    save_inputs = (0,)

    def forward(self, x):
        return np.abs(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * sign(x)


class Sign(Primitive):
    """out = -1, 0 or 1; its gradient is zero."""

    grad_fn_name = "SignBackward0"

    def forward(self, x):
        return np.sign(x)

    def backward(self, grad):
        return grad * 0


class Reciprocal(Primitive):
    """out = 1 / x."""

    grad_fn_name = "ReciprocalBackward0"
    save_output = True

    def forward(self, x):
        with np.errstate(divide="ignore"):
            return np.reciprocal(_float(x))

    def backward(self, grad):
        (out,) = self.saved_tensors
        return -grad * _conj(out * out)


def exp(input):
    return Exp.apply(input)


def log(input):
    return Log.apply(input)


def sqrt(input):
    return Sqrt.apply(input)


def tanh(input):
    return Tanh.apply(input)


def sigmoid(input):
    return Sigmoid.apply(input)


def abs(input):  # noqa: A001 - torch's name
    return Abs.apply(input)


absolute = abs


def sign(input):
    return Sign.apply(input)


def reciprocal(input):
    return Reciprocal.apply(input)


# ---------------------------------------------------------------------------------------
# clamping and relu


class Relu(Primitive):
    """out = max(x, 0)."""

    grad_fn_name = "ReluBackward0"
    save_output = True

    def forward(self, x):
        return np.maximum(x, 0, dtype=x.dtype) if x.dtype != np.bool_ else x.copy()

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad * (out > 0)


class ClampMin(Primitive):
    """out = max(x, min); gradient flows where x >= min."""

    grad_fn_name = "ClampMinBackward0"
    save_inputs = (0,)

    def forward(self, x, min):  # noqa: A002
        self.min = min
        return _clamp_array(x, min, None)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * (x >= self.min)


class ClampMax(Primitive):
    """out = min(x, max); gradient flows where x <= max."""

    grad_fn_name = "ClampMaxBackward0"
    save_inputs = (0,)

    def forward(self, x, max):  # noqa: A002
        self.max = max
        return _clamp_array(x, None, max)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * (x <= self.max)


class Clamp(Primitive):
    """out = min(max(x, min), max); gradient flows where min <= x <= max."""

    grad_fn_name = "ClampBackward1"
    save_inputs = (0,)

    def forward(self, x, min, max):  # noqa: A002
        self.min, self.max = min, max
        return _clamp_array(x, min, max)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * logical_and(x >= self.min, x <= self.max)


def _clamp_array(x, lo, hi):
    dt = x.dtype
    if isinstance(lo, float) or isinstance(hi, float):
        if dt.kind in "iub":
            dt = dtypes.get_default_dtype().np
    out = x.astype(dt, copy=True)
    if lo is not None:
        np.maximum(out, lo, out=out, casting="unsafe")
    if hi is not None:
        np.minimum(out, hi, out=out, casting="unsafe")
    if lo is not None and hi is not None and lo > hi:
        out[...] = hi  # torch: min > max sets everything to max
    # NaN stays NaN (np.maximum propagates it), as in torch.
    return out


def relu(input, inplace=False):
    if inplace:
        from .inplace import relu_
        return relu_(input)
    return Relu.apply(input)


def clamp_min(input, min):  # noqa: A002
    if isinstance(min, Tensor):
        return maximum(input, min)
    return ClampMin.apply(input, min=min)


def clamp_max(input, max):  # noqa: A002
    if isinstance(max, Tensor):
        return minimum(input, max)
    return ClampMax.apply(input, max=max)


def clamp(input, min=None, max=None):  # noqa: A002
    """Limit values to [min, max]; either bound may be None (not both)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = clamp_min(out, min)
        if max is not None:
            out = clamp_max(out, max)
        return out
    if max is None:
        return ClampMin.apply(input, min=min)
    if min is None:
        return ClampMax.apply(input, max=max)
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


def maximum(input, other):
    return Maximum.apply(input, other)


def minimum(input, other):
    return Minimum.apply(input, other)


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


def _keep_dtype(result, a, b):
    return result


def _int_trunc_div(a, b):
    q = np.floor_divide(a, b)
    fix = (np.remainder(a, b) != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0))
    return q + fix.astype(q.dtype)


def _conj(t):
    if isinstance(t, Tensor) and t._data.dtype.kind == "c":
        return Tensor._make(np.conj(t._data))
    return t


def _scalar_tensor(value, like) -> Tensor:
    return Tensor._make(np.asarray(value, dtype=dtypes.result_type(like, value).np))


def _as_tensor_like(value, like) -> Tensor:
    return value if isinstance(value, Tensor) else _scalar_tensor(value, like)


def _legacy_scalar(d) -> str:
    return {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
            "uint8": "Byte", "float16": "Half"}.get(d.name, d.name)


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
            raise RuntimeError(f'"{name}_cpu" not implemented for '
                               f"'{_legacy_scalar(input.dtype)}'")
        return Tensor._make(ufunc(a, b))
    op.__name__ = name
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input):
    if input._data.dtype.kind in "fc":
        raise RuntimeError(f"\"bitwise_not_cpu\" not implemented for "
                           f"'{_legacy_scalar(input.dtype)}'")
    return Tensor._make(np.invert(input._data))
