"""Activation functions: softmax and log_softmax along a dim, and the elementwise
nonlinearities of torch.nn.functional (relu6, leaky_relu, elu, gelu, silu, ...).

Each is a Primitive whose forward is numerically stable on arrays and whose backward
is written with ember ops (so gradients of gradients work). The `name_` variants and
`inplace=True` arguments write the result back through `ops.inplace`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import dtypes
from ..autograd import grad_mode
from ..tensor import Tensor, _wrap_dim
from .elementwise import _legacy_scalar, exp, logical_and, sigmoid, tanh, where
from .primitive import Primitive

__all__ = [
    'celu',
    'celu_',
    'hardshrink',
    'log_softmax',
    'prelu',
    'rrelu',
    'rrelu_',
    'selu',
    'selu_',
    'softmax',
    'threshold',
    'threshold_',
]

# the ones torch also offers as Tensor methods (x.name(...))
_NOT_METHODS = {
    'celu',
    'celu_',
    'rrelu',
    'rrelu_',
    'selu',
    'selu_',
    'threshold',
    'threshold_',
}
TENSOR_METHODS = tuple(name for name in __all__ if name not in _NOT_METHODS)

# the ones torch also puts in torch.nn.functional
FUNCTIONAL = (
    'celu',
    'celu_',
    'elu',
    'elu_',
    'gelu',
    'glu',
    'hardshrink',
    'hardsigmoid',
    'hardswish',
    'hardtanh',
    'hardtanh_',
    'leaky_relu',
    'leaky_relu_',
    'log_softmax',
    'logsigmoid',
    'mish',
    'prelu',
    'relu6',
    'relu_',
    'rrelu',
    'rrelu_',
    'selu',
    'selu_',
    'silu',
    'softmax',
    'softmin',
    'softplus',
    'softshrink',
    'softsign',
    'tanhshrink',
    'threshold',
    'threshold_',
)


# ---------------------------------------------------------------------------------------
# softmax family


def _stable_exp(x, axis):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted, np.exp(shifted)


class Softmax(Primitive):
    """out = exp(x) / sum(exp(x)) along dim. grad_x = out * (grad - sum(grad * out))."""

    grad_fn_name = "SoftmaxBackward0"
    save_output = True

    def forward(self, x, dim):
        self.dim = dim
        if x.size == 0:
            return x.copy()
        _, e = _stable_exp(x, dim)
        e /= np.sum(e, axis=dim, keepdims=True)
        return e

    def backward(self, grad):
        (out,) = self.saved_tensors
        return out * (grad - (grad * out).sum(self.dim, keepdim=True))


class LogSoftmax(Primitive):
    """out = x - logsumexp(x) along dim. grad_x = grad - exp(out) * sum(grad)."""

    grad_fn_name = "LogSoftmaxBackward0"
    save_output = True

    def forward(self, x, dim):
        self.dim = dim
        if x.size == 0:
            return x.copy()
        shifted, e = _stable_exp(x, dim)
        return shifted - np.log(np.sum(e, axis=dim, keepdims=True))

    def backward(self, grad):
        (out,) = self.saved_tensors
        if not grad_mode._enabled and grad.__class__ is Tensor and out.__class__ is Tensor:
            g, o = grad._data, out._data
            if (g.__class__ is np.ndarray and o.__class__ is np.ndarray and g.dtype == o.dtype
                    and g.dtype.kind == "f" and g.dtype.itemsize >= 4):
                # No graph to build (and no tangent or batch to carry): the same formula
                # on the arrays, without four ops' dispatch and promotion.
                return Tensor._make(g - np.exp(o) * np.add.reduce(g, self.dim, keepdims=True))
        return grad - out.exp() * grad.sum(self.dim, keepdim=True)


def _softmax_args(input, dim, dtype, kernel: str, stacklevel: int = 4):
    """Cast to `dtype` first (as torch does), wrap `dim`, and refuse non-float inputs."""
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {kernel} has been deprecated. Change "
                      "the call to include dim=X as an argument.", stacklevel=stacklevel)
        # torch's legacy rule when dim is omitted
        dim = 0 if input.ndim in (0, 1, 3) else 1
    dim = _wrap_dim(dim, input.ndim)
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        # torch names the CPU kernel it would have run: a separate one for the last dim.
        lastdim = "_lastdim" if dim == max(input.ndim - 1, 0) else ""
        raise NotImplementedError(f'"{kernel}{lastdim}_kernel_impl" not implemented for '
                                  f"'{_legacy_scalar(input.dtype)}'")
    return input, dim


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Normalised exponentials along `dim`; rows sum to 1."""
    input, dim = _softmax_args(input, dim, dtype, "softmax", _stacklevel)
    return Softmax.apply(input, dim=dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) computed directly, so it never takes the log of an underflowed 0."""
    input, dim = _softmax_args(input, dim, dtype, "log_softmax", _stacklevel)
    return LogSoftmax.apply(input, dim=dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along `dim`: small values get the large weights."""
    if dim is None:
        warnings.warn("Implicit dimension choice for softmin has been deprecated. Change the "
                      "call to include dim=X as an argument.", stacklevel=_stacklevel - 1)
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return softmax(-input, dim, dtype=dtype)


# ---------------------------------------------------------------------------------------
# helpers


def _require_float(x, kernel: str) -> None:
    """torch's kernels for these activations exist only for floating dtypes."""
    if x.dtype.kind not in "fc":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_legacy_scalar(x.dtype)}'")


def _result_variant(cls, name: str):
    """The same op recorded under torch's name for its in-place form (`...Backward1`)."""
    return type(cls.__name__ + "Inplace", (cls,), {"grad_fn_name": name})


def _inplace(input, compute):
    from .inplace import _inplace as run_inplace
    return run_inplace(input, compute)


def _c_double(value: float) -> str:
    """A double printed as C++ streams print it (6 significant digits)."""
    text = f"{value:g}"
    return text.replace("e+0", "e+").replace("e-0", "e-")


# ---------------------------------------------------------------------------------------
# erf (for the exact gelu), accurate to ~2 ulp in float64 without scipy

_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp splitting of a double into two 26-bit halves
_ERF_TAYLOR = tuple((-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(26))[::-1]
# (low, high, depth): the continued fraction for erfc converges faster for larger |x|
_ERFC_CF = ((1.0, 1.5, 250), (1.5, 2.0, 120), (2.0, 6.5, 60))
# Enough for float32 (and float16) results, within 1 ulp after rounding: fewer terms.
_ERF_TAYLOR_SINGLE = _ERF_TAYLOR[-16:]
_ERFC_CF_SINGLE = ((1.5, 2.5, 24), (2.5, 4.0, 12))


def _exp_neg_square(a):
    """exp(-a*a) with a*a split into an exact high part and a small rest, so the rounding
    of a*a (which exp magnifies by a*a) does not cost accuracy."""
    hi = (a * _SPLIT) - ((a * _SPLIT) - a)
    lo = a - hi
    return np.exp(-hi * hi) * np.exp(-(lo * (a + hi)))


def _erf_array(x, single: bool = False):
    """erf of a float64 array (to ~2 ulp; to float32 accuracy only, faster, if `single`).

    |x| < 1 (1.5 if single): the Taylor series 2/sqrt(pi) * sum (-1)^n x^(2n+1) /
    (n! (2n+1)), by Horner;
    1 <= |x| < 6.5: 1 - erfc(x) with erfc from its continued fraction
    exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))); beyond: +-1.
    """
    a = np.abs(x)
    out = np.ones_like(a)
    near = a < (1.5 if single else 1.0)
    t = a[near]
    if t.size:
        t2 = t * t
        total = np.zeros_like(t)
        for c in (_ERF_TAYLOR_SINGLE if single else _ERF_TAYLOR):
            total = total * t2 + c
        out[near] = (2 / math.sqrt(math.pi)) * t * total
    for low, high, depth in (_ERFC_CF_SINGLE if single else _ERFC_CF):
        band = (a >= low) & (a < high)
        m = a[band]
        if m.size:
            f = m.copy()
            for k in range(depth, 0, -1):
                f = m + (k / 2) / f
            out[band] = 1 - _exp_neg_square(m) / (math.sqrt(math.pi) * f)
    out = np.where(np.isnan(x), x, out)
    return np.copysign(out, x)


class Erf(Primitive):
    """out = erf(x); grad_x = grad * 2/sqrt(pi) * exp(-x^2). Used by gelu's backward."""

    grad_fn_name = "ErfBackward0"
    save_inputs = (0,)

    def forward(self, x):
        return _erf_array(x.astype(np.float64), x.dtype != np.float64).astype(x.dtype)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * (2 / math.sqrt(math.pi)) * exp(-(x * x))


# ---------------------------------------------------------------------------------------
# piecewise-linear units


class LeakyRelu(Primitive):
    """out = x if x > 0 else slope * x; grad_x = grad or slope * grad."""

    grad_fn_name = "LeakyReluBackward0"
    save_inputs = (0,)

    def forward(self, x, negative_slope):
        _require_float(x, "leaky_relu_cpu")
        self.slope = negative_slope
        return np.where(x > 0, x, x * x.dtype.type(negative_slope))

    def backward(self, grad):
        (x,) = self.saved_tensors
        return where(x > 0, grad, grad * self.slope)


class Hardtanh(Primitive):
    """out = clamp(x, min_val, max_val); the gradient flows strictly inside the bounds."""

    grad_fn_name = "HardtanhBackward0"
    save_inputs = (0,)

    def forward(self, x, min_val, max_val):
        if x.dtype == np.bool_:
            raise RuntimeError("Bool inputs not supported for hardtanh")
        if x.dtype.kind == "u" and (min_val < 0 or max_val < 0):
            raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
        self.min_val, self.max_val = min_val, max_val
        lo, hi = np.array(min_val).astype(x.dtype), np.array(max_val).astype(x.dtype)
        return np.minimum(np.maximum(x, lo), hi)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return where(logical_and(x > self.min_val, x < self.max_val), grad, 0.0)


class Threshold(Primitive):
    """out = x if x > threshold else value; grad_x = grad where x > threshold."""

    grad_fn_name = "ThresholdBackward0"
    save_inputs = (0,)

    def forward(self, x, threshold, value):
        self.threshold = threshold
        return np.where(x > np.array(threshold).astype(x.dtype), x,
                        np.array(value).astype(x.dtype))

    def backward(self, grad):
        (x,) = self.saved_tensors
        return where(x <= self.threshold, 0.0, grad)


class Hardshrink(Primitive):
    """out = x where |x| > lambd, else 0."""

    grad_fn_name = "HardshrinkBackward0"
    save_inputs = (0,)

    def forward(self, x, lambd):
        _require_float(x, "hardshrink_cpu")
        self.lambd = lambd
        return np.where((x >= -lambd) & (x <= lambd), x.dtype.type(0), x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return where(logical_and(x >= -self.lambd, x <= self.lambd), 0.0, grad)


class Softshrink(Hardshrink):
    """out = x - lambd above lambd, x + lambd below -lambd, 0 between."""

    grad_fn_name = "SoftshrinkBackward0"

    def forward(self, x, lambd):
        _require_float(x, "softshrink_check")
        self.lambd = lambd
        lam = x.dtype.type(lambd)
        return np.where(x > lam, x - lam, np.where(x < -lam, x + lam, x.dtype.type(0)))


class Hardsigmoid(Primitive):
    """out = clamp(x + 3, 0, 6) / 6; grad_x = grad / 6 strictly inside (-3, 3)."""

    grad_fn_name = "HardsigmoidBackward0"
    save_inputs = (0,)

    def forward(self, x):
        _require_float(x, "hardsigmoid_cpu")
        t = x.dtype.type
        return np.minimum(np.maximum(x + t(3), t(0)), t(6)) / t(6)

    def backward(self, grad):
        (x,) = self.saved_tensors
        # torch multiplies by the float literal 1.0f / 6.0f, in every dtype
        return where(logical_and(x > -3.0, x < 3.0), grad * _ONE_SIXTH_F, 0.0)


_ONE_SIXTH_F = float(np.float32(1.0) / np.float32(6.0))


class Hardswish(Primitive):
    """out = x * clamp(x + 3, 0, 6) / 6; grad_x = 0 up to -3, grad * (x/3 + 1/2) inside
    (-3, 3), grad from 3 on."""

    grad_fn_name = "HardswishBackward0"
    save_inputs = (0,)

    def forward(self, x):
        _require_float(x, "hardswish_cpu")
        t = x.dtype.type
        return x * np.minimum(np.maximum(x + t(3), t(0)), t(6)) / t(6)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return where(x <= -3.0, 0.0, where(x < 3.0, grad * (x / 3.0 + 0.5), grad))


class Prelu(Primitive):
    """out = x if x > 0 else w * x, with one weight per channel (dim 1) or one in all.

    Shapes: x (N, C, *) or (C,) etc.; weight (C,) or (1,). grad_w sums over all but
    the channel dim.
    """

    grad_fn_name = "PreluKernelBackward0"
    save_inputs = (0, 1)

    def forward(self, x, weight):
        self.weight_shape = weight.shape
        self.channel_dim = 1 if x.ndim >= 2 else 0
        if weight.size == 1:
            self.view = ()
            w = weight.reshape(())
        else:
            self.view = tuple(weight.size if d == self.channel_dim else 1
                              for d in range(x.ndim))
            w = weight.reshape(self.view)
        return np.where(x > 0, x, w * x)

    def backward(self, grad):
        x, weight = self.saved_tensors
        w = weight.reshape(self.view)
        positive = x > 0
        grad_x = where(positive, grad, w * grad) if _needs_grad(self)[0] else None
        grad_w = None
        if _needs_grad(self)[1]:
            per_elem = where(positive, 0.0, x * grad)
            dims = [d for d in range(x.ndim) if not (self.view and d == self.channel_dim)]
            grad_w = (per_elem.sum(dims) if dims else per_elem).reshape(self.weight_shape)
        return grad_x, grad_w


class RreluWithNoise(Primitive):
    """Randomized leaky relu. Training: each x <= 0 is scaled by its own slope drawn
    uniformly from [lower, upper] (the noise); eval: leaky relu with the mean slope."""

    grad_fn_name = "RreluWithNoiseBackward0"
    save_inputs = (0,)

    def forward(self, x, lower, upper, training, generator=None):
        _require_float(x, "leaky_relu_cpu")
        self.training = training
        if not training:
            self.slope = (lower + upper) / 2
            return np.where(x > 0, x, x * x.dtype.type(self.slope))
        # torch draws, in memory order, one 53-bit uniform per element <= 0
        from .. import random as _random
        gen = generator or _random.default_generator
        negative = np.ascontiguousarray(x) <= 0
        u = gen.uniform(int(negative.sum()), np.float64) * (upper - lower) + lower
        noise = np.ones(x.shape, x.dtype)
        noise[negative] = u.astype(x.dtype)
        self.noise = noise
        return x * noise

    def backward(self, grad):
        (x,) = self.saved_tensors
        if self.training:
            return grad * Tensor._make(self.noise)
        return where(x > 0, grad, grad * self.slope)


# ---------------------------------------------------------------------------------------
# smooth units


class Elu(Primitive):
    """out = scale * x for x > 0, else scale * alpha * (exp(input_scale * x) - 1).

    elu, selu (fixed alpha and scale) and celu (input_scale = 1 / alpha) share it.
    """

    grad_fn_name = "EluBackward0"
    save_inputs = (0,)

    def forward(self, x, alpha, scale, input_scale):
        _require_float(x, "elu_cpu")
        self.alpha, self.scale, self.input_scale = alpha, scale, input_scale
        t = x.dtype.type
        negative = np.expm1(x * t(input_scale)) * t(alpha * scale)
        return np.where(x > 0, x * t(scale), negative)

    def backward(self, grad):
        (x,) = self.saved_tensors
        neg = grad * (self.input_scale * self.alpha * self.scale) * exp(x * self.input_scale)
        return where(x > 0, grad * self.scale, neg)


class Celu(Elu):
    grad_fn_name = "CeluBackward0"


class Gelu(Primitive):
    """out = x * Phi(x) (Phi the standard normal CDF, through erf), or its tanh
    approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    grad_fn_name = "GeluBackward0"
    save_inputs = (0,)

    def forward(self, x, approximate):
        _require_float(x, "GeluKernelImpl")
        self.approximate = approximate
        x64 = x.astype(np.float64)
        if approximate == "tanh":
            inner = _K_BETA * (x64 + _K_KAPPA * x64 ** 3)
            out = 0.5 * x64 * (1 + np.tanh(inner))
        else:
            out = 0.5 * x64 * (1 + _erf_array(x64 * math.sqrt(0.5), x.dtype != np.float64))
        return out.astype(x.dtype)

    def backward(self, grad):
        (x,) = self.saved_tensors
        if self.approximate == "tanh":
            t = tanh(_K_BETA * (x + _K_KAPPA * x * x * x))
            right = 0.5 * x * (1 - t * t) * (_K_BETA * (1 + 3 * _K_KAPPA * x * x))
            return grad * (0.5 * (1 + t) + right)
        cdf = 0.5 * (1 + Erf.apply(x * math.sqrt(0.5)))
        pdf = exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return grad * (cdf + x * pdf)


_K_BETA = math.sqrt(2 / math.pi)
_K_KAPPA = 0.044715


class Silu(Primitive):
    """out = x * sigmoid(x); grad_x = grad * s * (1 + x * (1 - s))."""

    grad_fn_name = "SiluBackward0"
    save_inputs = (0,)

    def forward(self, x):
        _require_float(x, "silu_cpu")
        return x * _sigmoid_array(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        s = sigmoid(x)
        return grad * s * (1 + x * (1 - s))


class Mish(Primitive):
    """out = x * tanh(softplus(x)); grad_x = grad * (t + x * sigmoid(x) * (1 - t^2))."""

    grad_fn_name = "MishBackward0"
    save_inputs = (0,)

    def forward(self, x):
        _require_float(x, "mish_cpu")
        return x * np.tanh(np.logaddexp(x.dtype.type(0), x))

    def backward(self, grad):
        (x,) = self.saved_tensors
        t = tanh(Softplus.apply(x, beta=1.0, threshold=20.0))
        return grad * (t + x * sigmoid(x) * (1 - t * t))


class Softplus(Primitive):
    """out = log(1 + exp(beta x)) / beta, or x where beta x > threshold;
    grad_x = grad * sigmoid(beta x) (grad above the threshold)."""

    grad_fn_name = "SoftplusBackward0"
    save_inputs = (0,)

    def forward(self, x, beta, threshold):
        _require_float(x, "softplus_cpu")
        self.beta, self.threshold = beta, threshold
        t = x.dtype.type
        bx = x * t(beta)
        # log1p(exp(.)) as torch computes it: it overflows to inf in float32 above ~88
        # when the threshold is set that high
        return np.where(bx > t(threshold), x, np.log1p(np.exp(bx)) / t(beta))

    def backward(self, grad):
        (x,) = self.saved_tensors
        bx = x * self.beta
        z = exp(bx)  # z / (z + 1) as torch writes it (nan where z overflows)
        return where(bx > self.threshold, grad, grad * z / (z + 1))


class LogSigmoid(Primitive):
    """out = log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)); grad_x = grad * sigmoid(-x)."""

    grad_fn_name = "LogSigmoidBackward0"
    save_inputs = (0,)

    def forward(self, x):
        _require_float(x, "log_sigmoid_cpu")
        return np.minimum(x, x.dtype.type(0)) - np.log1p(np.exp(-np.abs(x)))

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * sigmoid(-x)


class Glu(Primitive):
    """Gated linear unit: x split in halves a, b along dim; out = a * sigmoid(b)."""

    grad_fn_name = "GluBackward0"
    save_inputs = (0,)

    def forward(self, x, dim):
        _require_float(x, "glu_cpu")
        self.dim = dim
        half = x.shape[dim] // 2
        self.half = half
        a = np.take(x, np.arange(half), axis=dim)
        b = np.take(x, np.arange(half, 2 * half), axis=dim)
        return a * _sigmoid_array(b)

    def backward(self, grad):
        from .shape import cat
        (x,) = self.saved_tensors
        a, b = x.narrow(self.dim, 0, self.half), x.narrow(self.dim, self.half, self.half)
        s = sigmoid(b)
        return cat([grad * s, grad * a * s * (1 - s)], self.dim)


def _sigmoid_array(x):
    e = np.exp(-np.abs(x))
    one = x.dtype.type(1)
    return np.where(x >= 0, one / (one + e), e / (one + e))


# ---------------------------------------------------------------------------------------
# the functions


def _maybe_inplace(input, inplace: bool, compute, compute_inplace=None):
    if inplace:
        return _inplace(input, compute_inplace or compute)
    return compute()


_LeakyReluResult = _result_variant(LeakyRelu, "LeakyReluBackward1")
_EluResult = _result_variant(Elu, "EluBackward1")
_CeluResult = _result_variant(Celu, "CeluBackward1")
_ThresholdResult = _result_variant(Threshold, "ThresholdBackward1")
_RreluResult = _result_variant(RreluWithNoise, "RreluWithNoiseBackward1")

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def relu6(input, inplace=False):
    """min(max(x, 0), 6) (a hardtanh, as torch records it)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise."""
    if inplace:
        return leaky_relu_(input, negative_slope)
    return LeakyRelu.apply(input, negative_slope=negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return _inplace(input, lambda: _LeakyReluResult.apply(input, negative_slope=negative_slope))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val), with the gradient only strictly inside."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return hardtanh_(input, min_val, max_val)
    return Hardtanh.apply(input, min_val=min_val, max_val=max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return _inplace(input, lambda: Hardtanh.apply(input, min_val=min_val, max_val=max_val))


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else value."""
    if inplace:
        return threshold_(input, threshold, value)
    return Threshold.apply(input, threshold=threshold, value=value)


def threshold_(input, threshold, value):
    return _inplace(input, lambda: _ThresholdResult.apply(input, threshold=threshold,
                                                          value=value))


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    if inplace:
        return elu_(input, alpha)
    return Elu.apply(input, alpha=alpha, scale=1.0, input_scale=1.0)


def elu_(input, alpha=1.0):
    return _inplace(input, lambda: _EluResult.apply(input, alpha=alpha, scale=1.0,
                                                    input_scale=1.0))


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants."""
    if inplace:
        return selu_(input)
    return Elu.apply(input, alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0)


def selu_(input):
    return _inplace(input, lambda: _EluResult.apply(input, alpha=_SELU_ALPHA,
                                                    scale=_SELU_SCALE, input_scale=1.0))


def _check_celu_alpha(alpha) -> None:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    _check_celu_alpha(alpha)
    if inplace:
        return celu_(input, alpha)
    return Celu.apply(input, alpha=alpha, scale=1.0, input_scale=1.0 / alpha)


def celu_(input, alpha=1.0):
    _check_celu_alpha(alpha)
    return _inplace(input, lambda: _CeluResult.apply(input, alpha=alpha, scale=1.0,
                                                     input_scale=1.0 / alpha))


def gelu(input, approximate="none"):
    """x * Phi(x); approximate='tanh' uses the tanh formula."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return Gelu.apply(input, approximate=approximate)


def silu(input, inplace=False):
    """x * sigmoid(x) (swish)."""
    return _maybe_inplace(input, inplace, lambda: Silu.apply(input))


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _maybe_inplace(input, inplace, lambda: Mish.apply(input))


def hardsigmoid(input, inplace=False):
    """Piecewise-linear sigmoid: clamp(x / 6 + 1/2, 0, 1)."""
    return _maybe_inplace(input, inplace, lambda: Hardsigmoid.apply(input))


def hardswish(input, inplace=False):
    """x * hardsigmoid(x)."""
    return _maybe_inplace(input, inplace, lambda: Hardswish.apply(input))


def softplus(input, beta=1.0, threshold=20.0):
    """Smooth relu log(1 + exp(beta x)) / beta, linear above the threshold."""
    return Softplus.apply(input, beta=beta, threshold=threshold)


def softsign(input):
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


def logsigmoid(input):
    """log(sigmoid(x)), stable for large |x|."""
    return LogSigmoid.apply(input)


def tanhshrink(input):
    """x - tanh(x)."""
    return input - input.tanh()


def _check_lambd(input, lambd) -> None:
    if lambd < 0 and input.dtype.is_floating_point:
        info = dtypes.finfo(input.dtype)
        raise RuntimeError(f"lambda must be in range [0, {_c_double(info.max)}] for input "
                           f"dtype {_legacy_scalar(input.dtype)}, but found "
                           f"{_c_double(lambd)}")


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    _check_lambd(input, lambd)
    return Softshrink.apply(input, lambd=lambd)


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, 0 elsewhere."""
    return Hardshrink.apply(input, lambd=lambd)


def glu(input, dim=-1):
    """a * sigmoid(b) for the two halves a, b of x along `dim`."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = _wrap_dim(dim, input.ndim)
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size "
                           f"{input.shape[dim]}")
    return Glu.apply(input, dim=dim)


def prelu(input, weight):
    """x for x > 0, weight * x otherwise; weight has one value or one per channel."""
    if weight.ndim > 1:
        raise RuntimeError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    if input.dtype != weight.dtype:
        raise RuntimeError("prelu: Type promoting not supported. Got "
                           f"{_legacy_scalar(input.dtype)} and {_legacy_scalar(weight.dtype)}")
    if weight.numel() != 1:
        if input.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.ndim >= 2 else 1
        if weight.numel() != channels:
            raise RuntimeError("Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {weight.numel()} and channel size = "
                               f"{channels}.")
    return Prelu.apply(input, weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky relu whose negative slope is random in [lower, upper] when training and
    their mean otherwise."""
    if inplace:
        return rrelu_(input, lower, upper, training)
    _check_rrelu_bounds(lower, upper)
    return RreluWithNoise.apply(input, lower=lower, upper=upper, training=training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    _check_rrelu_bounds(lower, upper)
    return _inplace(input, lambda: _RreluResult.apply(input, lower=lower, upper=upper,
                                                      training=training))


def _check_rrelu_bounds(lower, upper) -> None:
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")


def relu_(input):
    from .inplace import relu_ as relu_inplace
    return relu_inplace(input)


def _needs_grad(node) -> tuple:
    """For each input of a recorded node, whether it wants a gradient."""
    return tuple(edge[0] is not None for edge in node.next_functions)
