"""More elementwise math: trigonometry, exp/log variants, rounding, special functions,
remainders, interpolation, predicates (isinf, isclose, ...) and complex parts.

Like `elementwise.py`: each primitive's forward works on arrays, its backward is
written with ember ops (so double backward works). Integer and bool inputs of the
float functions (sin, log2, ...) compute in the default dtype, as torch's do.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from .. import dtypes
from ..tensor import Tensor
from . import elementwise as ew
from .activation import Erf, _erf_array, _exp_neg_square
from .elementwise import (
    BinaryPrimitive,
    _conj,
    _float,
    _legacy_scalar,
    _operands,
    _out,
    _scalar_as,
)
from .primitive import Primitive
from .reduction import isnan

__all__ = [
    'acos', 'acosh', 'addcdiv', 'addcmul', 'allclose', 'angle', 'arccos', 'arccosh',
    'arcsin', 'arcsinh', 'arctan', 'arctan2', 'arctanh', 'asin', 'asinh', 'atan', 'atan2',
    'atanh', 'bitwise_left_shift', 'bitwise_right_shift', 'ceil', 'complex', 'conj',
    'conj_physical', 'copysign', 'cos', 'cosh', 'deg2rad', 'equal', 'erf', 'erfc', 'erfinv',
    'exp2', 'expm1', 'fix', 'float_power', 'floor', 'floor_divide', 'fmax', 'fmin', 'fmod',
    'frac', 'hypot', 'imag', 'isclose', 'isfinite', 'isinf', 'isneginf',
    'isposinf', 'isreal', 'lerp', 'log10', 'log1p', 'log2', 'logit', 'nan_to_num', 'polar',
    'positive', 'rad2deg', 'real', 'remainder', 'round', 'rsqrt', 'sgn', 'sin', 'sinh',
    'square', 'tan', 'trunc', 'view_as_complex', 'view_as_real', 'xlogy',
]

TENSOR_METHODS = tuple(n for n in __all__ if n not in (
    'complex', 'polar', 'view_as_real', 'view_as_complex', 'real', 'imag'))

_SQRT_PI = math.sqrt(math.pi)
_LN2, _LN10 = math.log(2.0), math.log(10.0)


def _tensor(x) -> Tensor:
    return Tensor._make(x)


def _require(x, kinds: str, name: str) -> None:
    """torch's 'not implemented for' error for an input dtype the kernel lacks."""
    if x.dtype.kind not in kinds:
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{_legacy_scalar(x.dtype)}'")


def _takes_tensor(fn):
    """torch's TypeError for a first argument that is not a tensor (`sin(1.0)`)."""
    name = fn.__name__

    def op(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")
        return fn(input, *args, **kwargs)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = fn.__doc__
    return op


def _no_complex_kernel(x, name: str) -> None:
    """torch's error for a kernel without complex support."""
    if x.dtype.kind == "c":
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{_legacy_scalar(x.dtype)}'")


def _zeros_like(grad):
    return grad.new_zeros(grad.shape)


# ---------------------------------------------------------------------------------------
# unary float functions (int/bool -> default float dtype)


class _Unary(Primitive):
    """A unary float function: `fn` on the (float) input array."""

    fn = None

    def forward(self, x):
        return type(self).fn(_float(x))


class Rsqrt(_Unary):
    """out = 1 / sqrt(x); grad_x = -grad * out^3 / 2."""

    grad_fn_name = "RsqrtBackward0"
    save_output = True

    def forward(self, x):
        x = _float(x)
        return (1 / np.sqrt(x)).astype(x.dtype, copy=False)

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad * _conj(out * out * out) * -0.5


class Exp2(_Unary):
    grad_fn_name = "Exp2Backward0"
    save_output = True
    fn = np.exp2

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad * _conj(out) * _LN2


class Expm1(_Unary):
    grad_fn_name = "Expm1Backward0"
    save_output = True
    fn = np.expm1

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad * _conj(out + 1)


class Log2(_Unary):
    grad_fn_name = "Log2Backward0"
    save_inputs = (0,)
    fn = np.log2

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / _conj(x * _LN2)


class Log10(_Unary):
    grad_fn_name = "Log10Backward0"
    save_inputs = (0,)
    fn = np.log10

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / _conj(x * _LN10)


class Log1p(_Unary):
    grad_fn_name = "Log1PBackward0"
    save_inputs = (0,)
    fn = np.log1p

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / _conj(x + 1)


class Sin(_Unary):
    grad_fn_name = "SinBackward0"
    save_inputs = (0,)
    fn = np.sin

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * _conj(cos(x))


class Cos(_Unary):
    grad_fn_name = "CosBackward0"
    save_inputs = (0,)
    fn = np.cos

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * -_conj(sin(x))


class Tan(_Unary):
    grad_fn_name = "TanBackward0"
    save_output = True
    fn = np.tan

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad * _conj(out * out + 1)


class Asin(_Unary):
    grad_fn_name = "AsinBackward0"
    save_inputs = (0,)
    fn = np.arcsin

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * _conj(rsqrt(1 - x * x))


class Acos(_Unary):
    grad_fn_name = "AcosBackward0"
    save_inputs = (0,)
    fn = np.arccos

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * -_conj(rsqrt(1 - x * x))


class Atan(_Unary):
    grad_fn_name = "AtanBackward0"
    save_inputs = (0,)
    fn = np.arctan

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / _conj(x * x + 1)


class Sinh(_Unary):
    grad_fn_name = "SinhBackward0"
    save_inputs = (0,)
    fn = np.sinh

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * _conj(cosh(x))


class Cosh(_Unary):
    grad_fn_name = "CoshBackward0"
    save_inputs = (0,)
    fn = np.cosh

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * _conj(sinh(x))


class Asinh(_Unary):
    grad_fn_name = "AsinhBackward0"
    save_inputs = (0,)
    fn = np.arcsinh

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * _conj(rsqrt(x * x + 1))


class Acosh(_Unary):
    grad_fn_name = "AcoshBackward0"
    save_inputs = (0,)
    fn = np.arccosh

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * _conj(rsqrt(x - 1) * rsqrt(x + 1))


class Atanh(_Unary):
    grad_fn_name = "AtanhBackward0"
    save_inputs = (0,)
    fn = np.arctanh

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / _conj(1 - x * x)


def _erfc_array(x):
    """erfc of a float64 array without the cancellation of 1 - erf(x) for large x:
    for x >= 1 the continued fraction exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + ...)))."""
    shape = x.shape
    x = x.reshape(-1)
    out = 1 - _erf_array(x)
    far = (x >= 1.0) & np.isfinite(x)
    m = x[far]
    if m.size:
        f = m.copy()
        depth = np.where(m < 1.5, 250, np.where(m < 2.0, 120, 60)).max()
        for k in range(int(depth), 0, -1):
            f = m + (k / 2) / f
        out[far] = _exp_neg_square(m) / (_SQRT_PI * f)
    return out.reshape(shape)


class Erfc(Primitive):
    grad_fn_name = "ErfcBackward0"
    save_inputs = (0,)

    def forward(self, x):
        x = _float(x)
        return _erfc_array(x.astype(np.float64)).astype(x.dtype)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * (-2 / _SQRT_PI) * ew.exp(-(x * x))


def _erfinv_array(y):
    """erfinv of a float64 array: Giles' single-precision approximation, then Newton
    steps on erf (near +-1 on erfc(|x|) - (1 - |y|), which 1 - |y| keeps exact)."""
    a = np.abs(y)
    w = -np.log((1.0 - a) * (1.0 + a))
    small = w < 5.0
    ws = np.where(small, w - 2.5, np.sqrt(np.maximum(w, 5.0)) - 3.0)
    p_small = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
               0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
    p_big = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
             0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)
    ps = np.zeros_like(a)
    pb = np.zeros_like(a)
    for c in p_small:
        ps = ps * ws + c
    for c in p_big:
        pb = pb * ws + c
    x = np.where(small, ps, pb) * a
    for _ in range(3):
        slope = (2 / _SQRT_PI) * _exp_neg_square(x)
        resid = np.where(a < 0.5, _erf_array(x) - a, _erfc_array(x) - (1.0 - a))
        step = resid / slope
        x = np.where(a < 0.5, x - step, x + step)
        x = np.where(np.isfinite(x), x, 0.0)
    x = np.where(a == 1.0, np.inf, x)
    x = np.where(a > 1.0, np.nan, x)
    x = np.where(np.isnan(y), np.nan, x)
    return np.copysign(x, y)


class Erfinv(Primitive):
    grad_fn_name = "ErfinvBackward0"
    save_output = True

    def forward(self, x):
        x = _float(x)
        return _erfinv_array(x.astype(np.float64)).astype(x.dtype)

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad * (_SQRT_PI / 2) * ew.exp(out * out)


class Deg2Rad(Primitive):
    grad_fn_name = "Deg2RadBackward0"

    def forward(self, x):
        x = _float(x)
        return x * x.dtype.type(math.pi / 180)

    def backward(self, grad):
        return grad * (math.pi / 180)


class Rad2Deg(Primitive):
    grad_fn_name = "Rad2DegBackward0"

    def forward(self, x):
        x = _float(x)
        return x * x.dtype.type(180 / math.pi)

    def backward(self, grad):
        return grad * (180 / math.pi)


class Logit(Primitive):
    """out = log(z / (1 - z)), z = x clamped to [eps, 1 - eps] when eps is given.

    grad_x = grad / (x (1 - x)) inside; 0 outside [eps, 1 - eps], or NaN outside [0, 1]
    when there is no eps (torch's logit_backward)."""

    grad_fn_name = "LogitBackward0"
    save_inputs = (0,)

    def forward(self, x, eps):
        x = _float(x)
        self.eps = eps
        if eps is not None:
            x = np.clip(x, x.dtype.type(eps), x.dtype.type(1 - eps))
        return np.log(x / (1 - x))

    def backward(self, grad):
        (x,) = self.saved_tensors
        inner = grad / (x * (1 - x))
        if self.eps is None or self.eps < 0:
            outside = ew.logical_or(x < 0, x > 1)
            return ew.where(outside, float("nan"), inner)
        outside = ew.logical_or(x < self.eps, x > 1 - self.eps)
        return ew.where(outside, 0.0, inner)


@_takes_tensor
def rsqrt(input, *, out=None):
    return _out(Rsqrt.apply(input), out)


@_takes_tensor
def exp2(input, *, out=None):
    return _out(Exp2.apply(input), out)


@_takes_tensor
def expm1(input, *, out=None):
    return _out(Expm1.apply(input), out)


@_takes_tensor
def log2(input, *, out=None):
    return _out(Log2.apply(input), out)


@_takes_tensor
def log10(input, *, out=None):
    return _out(Log10.apply(input), out)


@_takes_tensor
def log1p(input, *, out=None):
    return _out(Log1p.apply(input), out)


@_takes_tensor
def sin(input, *, out=None):
    return _out(Sin.apply(input), out)


@_takes_tensor
def cos(input, *, out=None):
    return _out(Cos.apply(input), out)


@_takes_tensor
def tan(input, *, out=None):
    return _out(Tan.apply(input), out)


@_takes_tensor
def asin(input, *, out=None):
    return _out(Asin.apply(input), out)


@_takes_tensor
def acos(input, *, out=None):
    return _out(Acos.apply(input), out)


@_takes_tensor
def atan(input, *, out=None):
    return _out(Atan.apply(input), out)


@_takes_tensor
def sinh(input, *, out=None):
    return _out(Sinh.apply(input), out)


@_takes_tensor
def cosh(input, *, out=None):
    return _out(Cosh.apply(input), out)


@_takes_tensor
def asinh(input, *, out=None):
    return _out(Asinh.apply(input), out)


@_takes_tensor
def acosh(input, *, out=None):
    return _out(Acosh.apply(input), out)


@_takes_tensor
def atanh(input, *, out=None):
    return _out(Atanh.apply(input), out)


arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


@_takes_tensor
def erf(input, *, out=None):
    _no_complex_kernel(input._data, "erf_vml_cpu")
    if input._data.dtype.kind in "iub":
        input = input.to(dtypes.get_default_dtype())
    return _out(Erf.apply(input), out)


@_takes_tensor
def erfc(input, *, out=None):
    _no_complex_kernel(input._data, "erfc_vml_cpu")
    return _out(Erfc.apply(input), out)


@_takes_tensor
def erfinv(input, *, out=None):
    _no_complex_kernel(input._data, "erfinv_vml_cpu")
    return _out(Erfinv.apply(input), out)



@_takes_tensor
def deg2rad(input, *, out=None):
    if input.is_complex():
        raise RuntimeError("deg2rad is not supported for complex tensors.")
    return _out(Deg2Rad.apply(input), out)


@_takes_tensor
def rad2deg(input, *, out=None):
    if input.is_complex():
        raise RuntimeError("rad2deg is not supported for complex tensors.")
    return _out(Rad2Deg.apply(input), out)


@_takes_tensor
def logit(input, eps=None, *, out=None):
    _no_complex_kernel(input._data, "logit_cpu")
    return _out(Logit.apply(input, eps), out)


@_takes_tensor
def square(input, *, out=None):
    """input * input, recorded as torch records it: pow(input, 2). Bools give int64."""
    if input._data.dtype == np.bool_:
        input = input.to(dtypes.int64)
    return _out(ew.pow(input, 2), out)


@_takes_tensor
def positive(input):
    """The input itself (torch returns the same tensor); bools are refused."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


# ---------------------------------------------------------------------------------------
# rounding (integers pass through unchanged; gradient zero)


class _Rounding(Primitive):
    kernel = ""
    fn = None

    def forward(self, x):
        if x.dtype.kind == "c":
            raise NotImplementedError(f"{self.kernel.split('_')[0]} is not supported for "
                                      "complex inputs")
        _require(x, "iuf", self.kernel)
        if x.dtype.kind in "iu":
            return x.copy()
        return type(self).fn(x)

    def backward(self, grad):
        return _zeros_like(grad)


class Floor(_Rounding):
    grad_fn_name = "FloorBackward0"
    kernel = "floor_vml_cpu"
    fn = np.floor


class Ceil(_Rounding):
    grad_fn_name = "CeilBackward0"
    kernel = "ceil_vml_cpu"
    fn = np.ceil


class Trunc(_Rounding):
    grad_fn_name = "TruncBackward0"
    kernel = "trunc_vml_cpu"
    fn = np.trunc


class Round(_Rounding):
    """Round half to even; with `decimals`, scale by 10**decimals first (torch's way:
    divide by 10**-decimals for negative decimals)."""

    grad_fn_name = "RoundBackward0"
    kernel = "round_vml_cpu"
    fn = np.rint

    def forward(self, x, decimals=None):
        if decimals is None:
            return super().forward(x)
        self.grad_fn_name = "RoundBackward1"
        if x.dtype.kind in "iub":
            raise NotImplementedError(f'"round_cpu" not implemented for '
                                      f"'{_legacy_scalar(x.dtype)}'")
        if decimals >= 0:
            scale = x.dtype.type(10.0 ** decimals)
            return np.rint(x * scale) / scale
        scale = x.dtype.type(10.0 ** -decimals)
        return np.rint(x / scale) * scale


class Frac(Primitive):
    """out = x - trunc(x); grad_x = grad."""

    grad_fn_name = "FracBackward0"

    def forward(self, x):
        _require(x, "f", "frac_cpu")
        return x - np.trunc(x)

    def backward(self, grad):
        return grad


@_takes_tensor
def floor(input, *, out=None):
    return _out(Floor.apply(input), out)


@_takes_tensor
def ceil(input, *, out=None):
    return _out(Ceil.apply(input), out)


@_takes_tensor
def trunc(input, *, out=None):
    return _out(Trunc.apply(input), out)


fix = trunc


@_takes_tensor
def round(input, *, decimals=None, out=None):  # noqa: A001 - torch's name
    if decimals is None:
        return _out(Round.apply(input), out)
    return _out(Round.apply(input, decimals=decimals), out)


@_takes_tensor
def frac(input, *, out=None):
    return _out(Frac.apply(input), out)


class Sgn(Primitive):
    """sign for reals; x / |x| (0 at 0) for complex numbers."""

    grad_fn_name = "SgnBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(self, x):
        if x.dtype.kind == "c":
            mag = np.abs(x)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(mag == 0, 0, x / np.where(mag == 0, 1, mag)).astype(x.dtype)
        if x.dtype == np.bool_:
            return x.copy()
        return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)

    def backward(self, grad):
        x, out = self.saved_tensors
        if not x.is_complex():
            return _zeros_like(grad)
        # torch's sgn_backward: (grad - real(grad * conj(sgn)) * sgn) / |x|, 0 at 0
        mag = ew.abs(x)
        g = (grad - real(grad * conj(out)) * out) / mag
        return ew.where(mag == 0, 0.0, g)


@_takes_tensor
def sgn(input, *, out=None):
    return _out(Sgn.apply(input), out)


# ---------------------------------------------------------------------------------------
# remainders and floor division


def _fmod_arrays(a, b):
    _require(a, "iuf", "fmod_cpu")
    if a.dtype.kind in "iu":
        if np.any(b == 0):
            raise RuntimeError("ZeroDivisionError")
    return np.fmod(a, b)


def _remainder_arrays(a, b):
    """Python's modulo (the sign of the divisor), computed as torch does from fmod."""
    _require(a, "iuf", "remainder_cpu")
    if a.dtype.kind in "iu":
        if np.any(b == 0):
            raise RuntimeError("ZeroDivisionError")
        return np.remainder(a, b)
    mod = np.fmod(a, b)
    fix = (mod != 0) & ((b < 0) != (mod < 0))
    return np.where(fix, mod + b, mod)


class Remainder(BinaryPrimitive):
    """out = a - b * floor(a / b); grads: grad, -grad * floor(a / b)."""

    grad_fn_name = "RemainderBackward1"
    save_inputs = (0, 1)
    saved_for_other_only = (0,)

    def forward(self, a, b):
        if not isinstance(b, np.ndarray):
            self.grad_fn_name = "RemainderBackward0"
        return _remainder_arrays(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        if not isinstance(b, Tensor) or a is None:
            return grad, None
        return grad, -grad * ew.div(a, b, rounding_mode="floor")


class Fmod(BinaryPrimitive):
    """out = a - b * trunc(a / b) (the sign of the dividend)."""

    grad_fn_name = "FmodBackward1"
    save_inputs = (0, 1)
    saved_for_other_only = (0,)

    def forward(self, a, b):
        if not isinstance(b, np.ndarray):
            self.grad_fn_name = "FmodBackward0"
        return _fmod_arrays(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        if not isinstance(b, Tensor) or a is None:
            return grad, None
        return grad, -grad * ew.div(a, b, rounding_mode="trunc")


class _NotImplementedGrad(Primitive):
    """An output torch marks as differentiable but whose derivative it does not have."""

    grad_fn_name = "torch::autograd::NotImplemented"

    def forward(self, out, *others, op):
        self.op = op
        return out

    def backward(self, grad):
        raise RuntimeError(f"the derivative for '{self.op}' is not implemented.")


def _not_differentiable(result_array, inputs, op):
    node = _NotImplementedGrad.__new__(_NotImplementedGrad)
    return node.finish(node.forward(result_array, op=op),
                       tuple(x for x in inputs if isinstance(x, Tensor)))


def remainder(input, other, *, out=None):
    if not isinstance(input, Tensor):
        # number % tensor: torch has no derivative for this overload
        b, a = _operands(other, input)
        return _out(_not_differentiable(_remainder_arrays(a, b), (other,), "remainder"), out)
    return _out(Remainder.apply(input, other), out)


def fmod(input, other, *, out=None):
    return _out(Fmod.apply(input, other), out)


def floor_divide(input, other, *, out=None):
    """Division rounded towards -inf (like Python's //); no derivative in torch."""
    if isinstance(input, Tensor):
        a, b = _operands(input, other)
    else:
        b, a = _operands(other, input)
    if a.dtype == np.bool_:
        raise RuntimeError('"div_floor_cpu" not implemented for \'Bool\'')
    if a.dtype.kind in "iu":
        if np.any(b == 0):
            raise RuntimeError("ZeroDivisionError")
        res = np.floor_divide(a, b)
    else:
        res = np.floor_divide(a, b)
    if not isinstance(res, np.ndarray):
        res = np.asarray(res)
    return _out(_not_differentiable(res, (input, other), "floor_divide"), out)


# ---------------------------------------------------------------------------------------
# binary functions of two tensors


def _require_tensor(name, other):
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")


class Atan2(BinaryPrimitive):
    """out = atan2(a, b); grads: grad * b / (a^2 + b^2), -grad * a / (a^2 + b^2)."""

    grad_fn_name = "Atan2Backward0"
    save_inputs = (0, 1)

    def forward(self, a, b):
        _no_complex_kernel(a, "atan2_cpu")
        if a.dtype.kind in "iub":
            f = dtypes.get_default_dtype().np
            a, b = a.astype(f), b.astype(f)
        return np.arctan2(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        denom = a * a + b * b
        return grad * b / denom, grad * -a / denom


class Hypot(BinaryPrimitive):
    grad_fn_name = "HypotBackward0"
    save_inputs = (0, 1)
    save_output = True

    def forward(self, a, b):
        _require(a, "f", "hypot_cpu")
        return np.hypot(a, b)

    def backward(self, grad):
        a, b, out = self.saved_tensors
        return grad * a / out, grad * b / out


class Fmax(BinaryPrimitive):
    """Elementwise max ignoring NaN (NaN only where both are NaN)."""

    grad_fn_name = "FmaxBackward0"
    save_inputs = (0, 1)

    def forward(self, a, b):
        if a.dtype.kind == "c":
            raise RuntimeError("fmax not implemented for complex tensors.")
        return np.fmax(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        to_a = ew.logical_or(a >= b, isnan(b))
        return ew.where(to_a, grad, 0.0), ew.where(to_a, 0.0, grad)


class Fmin(BinaryPrimitive):
    grad_fn_name = "FminBackward0"
    save_inputs = (0, 1)

    def forward(self, a, b):
        if a.dtype.kind == "c":
            raise RuntimeError("fmin not implemented for complex tensors.")
        return np.fmin(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        to_a = ew.logical_or(a <= b, isnan(b))
        return ew.where(to_a, grad, 0.0), ew.where(to_a, 0.0, grad)


def atan2(input, other, *, out=None):
    _require_tensor("atan2", other)
    return _out(Atan2.apply(input, other), out)


def arctan2(input, other, *, out=None):
    _require_tensor("arctan2", other)
    return _out(Atan2.apply(input, other), out)


def hypot(input, other, *, out=None):
    _require_tensor("hypot", other)
    return _out(Hypot.apply(input, other), out)


def fmax(input, other, *, out=None):
    _require_tensor("fmax", other)
    return _out(Fmax.apply(input, other), out)


def fmin(input, other, *, out=None):
    _require_tensor("fmin", other)
    return _out(Fmin.apply(input, other), out)


class Xlogy(BinaryPrimitive):
    """out = x * log(y), 0 where x == 0 (unless y is NaN)."""

    grad_fn_name = "XlogyBackward0"
    save_inputs = (0, 1)

    def forward(self, x, y, name="XlogyBackward0", number=None):
        self.grad_fn_name = name
        self.number = number  # a Python number `other`, for torch's dtype in backward
        _no_complex_kernel(x, "xlogy_cpu")
        x, y = _float(x), _float(y)
        res = x * np.log(y)
        return np.where((x == 0) & ~np.isnan(y), x.dtype.type(0), res).astype(
            np.result_type(x, y), copy=False)

    def backward(self, grad):
        x, y = self.saved_tensors
        if self.number is not None:
            y = self.number
        grad_x = grad * xlogy((x != 0).to(grad.dtype), y) if isinstance(x, Tensor) else None
        grad_y = grad * x / y if isinstance(y, Tensor) else None
        return grad_x, grad_y


def xlogy(input, other, *, out=None):
    if not isinstance(input, Tensor):
        x, y = _operands(other, input)[::-1]
        node = Xlogy.__new__(Xlogy)
        node.save_inputs = (0, 1)
        res = node.forward(x, y, name="XlogyBackward1")
        return _out(node.finish(res, (input, other)), out)
    name = "XlogyBackward0" if isinstance(other, Tensor) else "XlogyBackward2"
    number = None if isinstance(other, Tensor) else other
    return _out(Xlogy.apply(input, other, name=name, number=number), out)


class Copysign(BinaryPrimitive):
    """out = |a| with b's sign; grad_a = grad * out / a (0 where a == 0); b gets 0."""

    grad_fn_name = "CopysignBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(self, a, b, name="CopysignBackward0"):
        self.grad_fn_name = name
        _no_complex_kernel(a, "copysign_cpu")
        a, b = _float(a), _float(b)
        return np.copysign(a, b)

    def backward(self, grad):
        a, out = self.saved_tensors
        ratio = ew.where(a == 0, 0.0, out / a)
        return grad * ratio, _zeros_like(grad)


def copysign(input, other, *, out=None):
    name = "CopysignBackward0" if isinstance(other, Tensor) else "CopysignBackward1"
    return _out(Copysign.apply(input, other, name=name), out)


def float_power(input, exponent, *, out=None):
    """pow computed in double precision (complex128 for complex operands)."""
    complex_ = any(isinstance(v, builtins.complex) or (isinstance(v, Tensor) and v.is_complex())
                   for v in (input, exponent))
    target = dtypes.complex128 if complex_ else dtypes.float64
    if isinstance(input, Tensor):
        input = input.to(target)
    else:
        input = builtins.complex(input) if complex_ else float(input)
    if isinstance(exponent, Tensor):
        exponent = exponent.to(target)
    else:
        exponent = builtins.complex(exponent) if complex_ else float(exponent)
    return _out(ew.pow(input, exponent), out)


# ---------------------------------------------------------------------------------------
# interpolation and fused multiply-add


class Lerp(Primitive):
    """out = start + weight * (end - start), as torch computes it (from `end` when
    |weight| >= 0.5, for accuracy). Tensor or number weight."""

    grad_fn_name = "LerpBackward0"
    save_inputs = (0, 1, 2)

    def forward(self, start, end, weight):
        w = weight if isinstance(weight, np.ndarray) else start.dtype.type(weight)
        diff = end - start
        if start.dtype == np.float32:
            # torch's vectorised kernel uses fused multiply-adds: one rounding, which
            # float64 arithmetic rounded once to float32 reproduces
            s64, e64, d64, w64 = (np.asarray(v, np.float64) for v in (start, end, diff, w))
            small = s64 + w64 * d64
            large = e64 - d64 * (1 - w64)
            return np.where(np.abs(w) < 0.5, small, large).astype(np.float32)
        return np.where(np.abs(w) < 0.5, start + w * diff, end - diff * (1 - w))

    def inputs_to_save(self, inputs) -> list:
        if isinstance(inputs[2], Tensor):
            self.grad_fn_name = "LerpBackward1"
            return list(inputs)
        self.weight = inputs[2]
        return [None, None, None]

    def backward(self, grad):
        start, end, weight = self.saved_tensors
        if weight is None:
            w = self.weight
            return grad * (1 - w), grad * w
        return grad * (1 - weight), grad * weight, grad * (end - start)


_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def lerp(input, end, weight, *, out=None):
    kernel = "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar"
    _require(input._data, "fc", kernel)
    for what, other in (("end", end), ("weight", weight)):
        if isinstance(other, Tensor) and other.dtype is not input.dtype:
            raise RuntimeError(f"expected dtype {_CPP_NAMES.get(input.dtype.name)} for `{what}`"
                               f" but got dtype {_CPP_NAMES.get(other.dtype.name)}")
    shapes = [input.shape, end.shape] + ([weight.shape] if isinstance(weight, Tensor) else [])
    shape = ew.infer_broadcast_shape(*shapes)
    node = Lerp.__new__(Lerp)
    data = node.forward(input._data, end._data,
                        weight._data if isinstance(weight, Tensor) else weight)
    data = np.broadcast_to(data, shape).astype(input._data.dtype, copy=False)
    inputs = (input, end, weight)
    return _out(node.finish(np.array(data, order="C"), inputs), out)


class Addcmul(Primitive):
    """out = input + value * t1 * t2."""

    grad_fn_name = "AddcmulBackward0"
    save_inputs = (1, 2)

    def forward(self, x, t1, t2, value):
        self.value = value
        _require(x, "iufc", "addcmul_cpu_out")
        target = np.result_type(x, t1, t2)
        return (x + _scalar_as(value, target) * t1 * t2).astype(target, copy=False)

    def backward(self, grad):
        t1, t2 = self.saved_tensors
        return grad, grad * _conj(t2) * self.value, grad * _conj(t1) * self.value


class Addcdiv(Primitive):
    """out = input + value * t1 / t2."""

    grad_fn_name = "AddcdivBackward0"
    save_inputs = (1, 2)

    def forward(self, x, t1, t2, value):
        self.value = value
        target = np.result_type(x, t1, t2)
        return (x + _scalar_as(value, target) * t1 / t2).astype(target, copy=False)

    def backward(self, grad):
        t1, t2 = self.saved_tensors
        return grad, grad * self.value / _conj(t2), -grad * self.value * _conj(t1 / (t2 * t2))


def _promote3(input, t1, t2):
    target = dtypes.result_type(input, t1, t2)
    return [t if t.dtype is target else t.to(target) for t in (input, t1, t2)]


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    ew.infer_broadcast_shape(input.shape, tensor1.shape, tensor2.shape)
    return _out(Addcmul.apply(*_promote3(input, tensor1, tensor2), value=value), out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    ew.infer_broadcast_shape(input.shape, tensor1.shape, tensor2.shape)
    if not (tensor1.is_floating_point() or tensor1.is_complex()) and not (
            tensor2.is_floating_point() or tensor2.is_complex()):
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future "
                           " release addcdiv will perform a true division of tensor1 "
                           "and tensor2. The historic addcdiv behavior can be implemented as "
                           "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) "
                           "for integer inputs and as (input + value * tensor1 / tensor2) for "
                           "float inputs. The future addcdiv behavior is just the latter "
                           "implementation: (input + value * tensor1 / tensor2), for all "
                           "dtypes.")
    return _out(Addcdiv.apply(*_promote3(input, tensor1, tensor2), value=value), out)


# ---------------------------------------------------------------------------------------
# NaN and infinity handling, predicates


class NanToNum(Primitive):
    """NaN -> nan, +inf -> posinf, -inf -> neginf (defaults: 0 and the dtype's extremes);
    the gradient flows where x was finite."""

    grad_fn_name = "NanToNumBackward0"
    save_inputs = (0,)

    def forward(self, x, nan, posinf, neginf):
        if x.dtype.kind not in "fc":
            return x.copy()
        info = np.finfo(x.dtype)
        if x.dtype.kind == "c":
            return np.nan_to_num(x, nan=nan or 0.0, posinf=posinf, neginf=neginf)
        out = np.where(np.isnan(x), x.dtype.type(0.0 if nan is None else nan), x)
        out = np.where(out == np.inf, x.dtype.type(info.max if posinf is None else posinf), out)
        return np.where(out == -np.inf, x.dtype.type(info.min if neginf is None else neginf),
                        out)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return ew.where(isfinite(x), grad, 0.0)


@_takes_tensor
def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    return _out(NanToNum.apply(input, nan, posinf, neginf), out)


@_takes_tensor
def isinf(input):
    return _tensor(np.isinf(input._data) if input._data.dtype.kind in "fc"
                   else np.zeros(input._data.shape, np.bool_))


@_takes_tensor
def isposinf(input):
    _no_complex(input, "isposinf")
    return _tensor(np.isposinf(input._data) if input._data.dtype.kind == "f"
                   else np.zeros(input._data.shape, np.bool_))


@_takes_tensor
def isneginf(input):
    _no_complex(input, "isneginf")
    return _tensor(np.isneginf(input._data) if input._data.dtype.kind == "f"
                   else np.zeros(input._data.shape, np.bool_))


def _no_complex(input, name):
    if input._data.dtype.kind == "c":
        raise RuntimeError(f"{name} does not support complex inputs.")


@_takes_tensor
def isfinite(input):
    return _tensor(np.isfinite(input._data) if input._data.dtype.kind in "fc"
                   else np.ones(input._data.shape, np.bool_))


@_takes_tensor
def isreal(input):
    if input._data.dtype.kind == "c":
        return _tensor(input._data.imag == 0)
    return _tensor(np.ones(input._data.shape, np.bool_))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other|, elementwise; infinities equal only to
    themselves; NaNs equal each other only with `equal_nan`."""
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{_legacy_scalar(input.dtype)} did not match "
                           f"{_legacy_scalar(other.dtype)}")
    if input.dtype is dtypes.bool_ and (rtol != 0 or atol != 0):
        pass
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol:g}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol:g}")
    a, b = input._data, other._data
    ew._check_broadcast(a, b)
    same = a == b
    if a.dtype.kind not in "fc":
        if a.dtype == np.bool_:
            return _tensor(np.broadcast_to(same, np.broadcast_shapes(a.shape, b.shape)).copy())
        a, b = a.astype(np.float64), b.astype(np.float64)
    if equal_nan:
        same = same | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(a - b)
        tol = a.real.dtype.type(atol) + a.real.dtype.type(rtol) * np.abs(b)
        close = np.isfinite(diff) & (diff <= tol)
    return _tensor(np.asarray(same | close))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other) -> bool:
    """True when both tensors have the same shape and the same values (NaN != NaN)."""
    if input.shape != other.shape:
        return False
    a, b = _operands(input, other)
    return bool(np.array_equal(a, b))


# ---------------------------------------------------------------------------------------
# shifts (integers only)


def _shift(input, other, name, left):
    if not isinstance(input, Tensor):
        b, a = _operands(other, input)
    else:
        a, b = _operands(input, other)
    if a.dtype.kind not in "iu":
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{_legacy_scalar(a.dtype)}'")
    ew._check_broadcast(a, b)
    bits = a.dtype.itemsize * 8
    # torch: a shift by >= the width (or a negative amount) gives 0, or -1 for negative
    # values shifted right; NumPy leaves that undefined.
    wide = (b < 0) | (b >= bits)
    safe = np.where(wide, 0, b).astype(a.dtype)
    if left:
        res = np.where(wide, 0, np.left_shift(a, safe))
    else:
        res = np.where(wide, np.where(a < 0, -1, 0), np.right_shift(a, safe))
    return _tensor(np.asarray(res, dtype=a.dtype))


def bitwise_left_shift(input, other, *, out=None):
    return _out(_shift(input, other, "lshift_cpu", True), out)


def bitwise_right_shift(input, other, *, out=None):
    return _out(_shift(input, other, "rshift_cpu", False), out)


# ---------------------------------------------------------------------------------------
# complex numbers


class Real(Primitive):
    """The real part of a complex tensor, a view of its memory."""

    grad_fn_name = "RealBackward0"
    is_view = True

    def forward(self, x):
        return x.real

    def backward(self, grad):
        return _as_complex(grad, None)


class Imag(Primitive):
    """The imaginary part of a complex tensor, a view of its memory."""

    grad_fn_name = "ImagBackward0"
    is_view = True

    def forward(self, x):
        return x.imag

    def backward(self, grad):
        return _as_complex(None, grad)


def _as_complex(re, im):
    """complex(re, im) as a differentiable tensor (either part None = 0)."""
    if re is None:
        re = _zeros_like(im)
    if im is None:
        im = _zeros_like(re)
    return Complex.apply(re, im)


def real(input):
    if input._data.dtype.kind != "c":
        return input
    return Real.apply(input)


def imag(input):
    if input._data.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return Imag.apply(input)


class Complex(Primitive):
    """out = real + i * imag."""

    grad_fn_name = "ComplexBackward0"

    def forward(self, re, im):
        return re + 1j * im if re.dtype == np.float64 else (re + 1j * im).astype(np.complex64)

    def backward(self, grad):
        return real(grad), imag(grad)


def _check_complex_parts(real, imag) -> None:
    for t in (real, imag):
        if t._data.dtype not in (np.float32, np.float64, np.float16):
            raise RuntimeError("Expected both inputs to be Half, Float or Double tensors but "
                               f"got {_legacy_scalar(real.dtype)} and "
                               f"{_legacy_scalar(imag.dtype)}")
    if real.dtype is not imag.dtype:
        raise RuntimeError(f"Expected object of scalar type {_legacy_scalar(real.dtype)} but "
                           f"got scalar type {_legacy_scalar(imag.dtype)} for second argument")


def complex(real, imag, *, out=None):  # noqa: A001 - torch's name
    _check_complex_parts(real, imag)
    ew._check_broadcast(real._data, imag._data)
    return _out(Complex.apply(real, imag), out)


def polar(abs, angle, *, out=None):  # noqa: A002 - torch's names
    """abs * (cos(angle) + i sin(angle))."""
    _check_complex_parts(abs, angle)
    result = complex(abs * cos(angle), abs * sin(angle))
    return _out(result, out)


class Angle(Primitive):
    """The argument of x (0 or pi for reals, NaN kept); the gradient of a real input is 0."""

    grad_fn_name = "AngleBackward0"
    save_inputs = (0,)

    def forward(self, x):
        if x.dtype.kind == "c":
            return np.angle(x)
        x = _float(x)
        return np.where(np.isnan(x), x, np.where(x < 0, x.dtype.type(math.pi), x.dtype.type(0)))

    def backward(self, grad):
        (x,) = self.saved_tensors
        if not x.is_complex():
            return _zeros_like(grad)
        # d angle: grad * i * x / |x|^2, conjugated as torch's angle_backward
        re, im = real(x), imag(x)
        denom = re * re + im * im
        return _as_complex(grad * -im / denom, grad * re / denom)


@_takes_tensor
def angle(input, *, out=None):
    return _out(Angle.apply(input), out)


class ConjPhysical(Primitive):
    grad_fn_name = "ConjPhysicalBackward0"

    def forward(self, x):
        return np.conj(x)

    def backward(self, grad):
        return conj_physical(grad)


@_takes_tensor
def conj_physical(input, *, out=None):
    if input._data.dtype.kind != "c":
        return _out(input, out) if out is not None else input
    return _out(ConjPhysical.apply(input), out)


@_takes_tensor
def conj(input):
    """The complex conjugate (torch's lazy conjugate view is materialised here)."""
    if input._data.dtype.kind != "c":
        return input
    result = ConjPhysical.apply(input)
    if result.grad_fn is not None:
        result.grad_fn.grad_fn_name = "ConjBackward0"
    return result


class ViewAsReal(Primitive):
    grad_fn_name = "ViewAsRealBackward0"
    is_view = True

    def forward(self, x):
        return x.view(x.real.dtype).reshape(x.shape + (2,))

    def backward(self, grad):
        return view_as_complex(grad.contiguous())


class ViewAsComplex(Primitive):
    grad_fn_name = "ViewAsComplexBackward0"
    is_view = True

    def forward(self, x):
        return x.view(np.complex128 if x.dtype == np.float64 else np.complex64)[..., 0]

    def backward(self, grad):
        return view_as_real(grad)


def view_as_real(input):
    if input._data.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return ViewAsReal.apply(input)


def view_as_complex(input):
    d = input._data
    if d.dtype not in (np.float32, np.float64):
        raise RuntimeError("view_as_complex is only supported for float and double tensors, "
                           f"but got a tensor of scalar type: {_legacy_scalar(input.dtype)}")
    if d.ndim == 0 or d.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if d.strides[-1] != d.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    return ViewAsComplex.apply(input)


# `x.real` and `x.imag` are attributes in torch, not methods
Tensor.real = property(real)
Tensor.imag = property(imag)
