"""softmax and log_softmax along a dim, numerically stable (max subtracted first)."""

from __future__ import annotations

import numpy as np

from ..tensor import _wrap_dim
from .elementwise import _legacy_scalar
from .primitive import Primitive

__all__ = [
    'log_softmax',
    'softmax',
]

# the ones torch also offers as Tensor methods (x.name(...))
TENSOR_METHODS = (
    'softmax',
    'log_softmax',
)

# the ones torch also puts in torch.nn.functional
FUNCTIONAL = (
    'log_softmax',
    'softmax',
)



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
        return grad - out.exp() * grad.sum(self.dim, keepdim=True)


def _softmax_args(input, dim, dtype, kernel: str):
    """Cast to `dtype` first (as torch does), wrap `dim`, and refuse non-float inputs."""
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
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
    input, dim = _softmax_args(input, dim, dtype, "softmax")
    return Softmax.apply(input, dim=dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) computed directly, so it never takes the log of an underflowed 0."""
    input, dim = _softmax_args(input, dim, dtype, "log_softmax")
    return LogSoftmax.apply(input, dim=dim)
