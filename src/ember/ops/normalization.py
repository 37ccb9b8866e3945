"""Normalization: batch_norm, layer_norm, group_norm, instance_norm, local_response_norm
and F.normalize.

batch_norm, layer_norm and group_norm are each one fused primitive (torch's
NativeBatchNorm / NativeLayerNorm / NativeGroupNorm nodes): the forward computes the
statistics once on arrays, the backward is the closed-form gradient written with
ember ops. The statistics are recomputed from the saved input inside the backward, so
gradients of gradients see how they depend on the input.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Size, Tensor
from .primitive import Primitive

# ember.batch_norm etc. take torch's torch-namespace argument order: see native_forms.py
__all__ = [
    'rms_norm',
]

# the ones torch also puts in torch.nn.functional
FUNCTIONAL = (
    'batch_norm',
    'group_norm',
    'instance_norm',
    'layer_norm',
    'local_response_norm',
    'normalize',
    'rms_norm',
)


# ---------------------------------------------------------------------------------------
# the shared gradient rule


def _normalized(x, axes, eps):
    """xhat and 1/std of `x` over `axes`, with ember ops (kept differentiable)."""
    mean = x.mean(axes, keepdim=True)
    centred = x - mean
    var = (centred * centred).mean(axes, keepdim=True)
    invstd = 1 / (var + eps).sqrt()
    return centred * invstd, invstd


def _grad_through_stats(grad_xhat, xhat, invstd, axes):
    """Gradient w.r.t. x of xhat = (x - mean(x)) / std(x), given the gradient w.r.t. xhat:
    invstd * (g - mean(g) - xhat * mean(g * xhat)) over the normalized axes."""
    return invstd * (grad_xhat - grad_xhat.mean(axes, keepdim=True)
                     - xhat * (grad_xhat * xhat).mean(axes, keepdim=True))


def _stats(x, axes, eps):
    """Mean and 1/sqrt(var + eps) over `axes`, accumulated in float64."""
    mean = np.mean(x, axis=axes, dtype=np.float64, keepdims=True)
    var = np.mean(np.square(x - mean), axis=axes, keepdims=True)
    return mean, var, 1 / np.sqrt(var + eps)


def _affine_out(x, mean, invstd, weight, bias, view):
    """(x - mean) * invstd * weight + bias, in x's dtype (weight/bias reshaped to `view`)."""
    scale = invstd if weight is None else invstd * weight.reshape(view)
    shift = -mean * scale
    if bias is not None:
        shift = shift + bias.reshape(view)
    return (x * scale.astype(x.dtype) + shift.astype(x.dtype)).astype(x.dtype, copy=False)


# ---------------------------------------------------------------------------------------
# batch_norm


class NativeBatchNorm(Primitive):
    """out = (x - mean) / sqrt(var + eps) * weight + bias per channel (dim 1).

    Training: batch statistics (biased variance), and the running statistics move by
    `momentum` towards them (unbiased variance, as torch). Eval: the running statistics.
    Shapes: x (N, C, *); weight, bias, running_mean, running_var (C,).
    """

    grad_fn_name = "NativeBatchNormBackward0"
    save_inputs = (0, 1)

    def forward(self, x, weight, bias, running_mean, running_var, training, momentum, eps):
        axes = tuple(d for d in range(x.ndim) if d != 1)
        view = tuple(-1 if d == 1 else 1 for d in range(x.ndim))
        self.axes, self.view, self.eps, self.training = axes, view, eps, training
        if training:
            mean, var, invstd = _stats(x, axes, eps)
            if running_mean is not None:
                n = x.size // max(x.shape[1], 1)
                _blend(running_mean, mean.reshape(-1), momentum)
                _blend(running_var, var.reshape(-1) * (n / max(n - 1, 1)), momentum)
        else:
            mean = running_mean._data.astype(np.float64).reshape(view)
            invstd = 1 / np.sqrt(running_var._data.astype(np.float64).reshape(view) + eps)
            self.mean = Tensor._make(mean.astype(x.dtype))
            self.invstd = Tensor._make(invstd.astype(x.dtype))
        return _affine_out(x, mean, invstd, weight, bias, view)

    def backward(self, grad):
        x, weight = self.saved_tensors
        need_x, need_w, need_b = _needs_grad(self)[:3]
        if self.training:
            xhat, invstd = _normalized(x, self.axes, self.eps)
        else:  # the running statistics are constants
            invstd = self.invstd
            xhat = (x - self.mean) * invstd if need_w else None
        grad_xhat = grad if weight is None else grad * weight.reshape(self.view)
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_x = (_grad_through_stats(grad_xhat, xhat, invstd, self.axes) if self.training
                      else grad_xhat * invstd)
        if need_w:
            grad_w = (grad * xhat).sum(self.axes)
        if need_b:
            grad_b = grad.sum(self.axes)
        return grad_x, grad_w, grad_b


def _blend(running: Tensor, batch_value, momentum) -> None:
    """running = (1 - momentum) * running + momentum * batch_value, in place."""
    data = running._data
    data[...] = ((1 - momentum) * data.astype(np.float64) + momentum * batch_value
                 ).astype(data.dtype)
    running._vc[0] += 1


def _verify_batch_size(size) -> None:
    values = size[0]
    for s in size[2:]:
        values *= s
    if values == 1:
        raise ValueError("Expected more than 1 value per channel when training, got input "
                         f"size {_size_repr(size)}")


def _size_repr(size) -> str:
    return "torch" + repr(Size(size)).removeprefix("ember")


def _check_channels(name, t, channels) -> None:
    if t is not None and t.numel() != channels:
        raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Normalize each channel (dim 1) by batch statistics (training) or running ones."""
    if training:
        _verify_batch_size(input.shape)
    if momentum is None:
        raise TypeError("batch_norm(): argument 'momentum' (position 7) must be float, not "
                        "NoneType")
    channels = input.shape[1] if input.ndim > 1 else 0
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        _check_channels(name, t, channels)
    if not training and (running_mean is None or running_var is None):
        which = "running_mean" if running_mean is None else "running_var"
        raise RuntimeError(f"{which} must be defined in evaluation mode")
    return NativeBatchNorm.apply(input, weight, bias, running_mean=running_mean,
                                 running_var=running_var, training=training,
                                 momentum=momentum, eps=eps)


# ---------------------------------------------------------------------------------------
# layer_norm


class NativeLayerNorm(Primitive):
    """out = (x - mean) / sqrt(var + eps) * weight + bias over the trailing dims.

    Shapes: x (*, *normalized_shape); weight, bias normalized_shape.
    """

    grad_fn_name = "NativeLayerNormBackward0"
    save_inputs = (0, 1)

    def forward(self, x, weight, bias, ndims, eps):
        self.axes = tuple(range(x.ndim - ndims, x.ndim))
        self.eps = eps
        view = x.shape[x.ndim - ndims:]
        self.view = view
        if x.size == 0:
            return x.copy()
        mean, _, invstd = _stats(x, self.axes, eps)
        return _affine_out(x, mean, invstd, weight, bias, view)

    def backward(self, grad):
        x, weight = self.saved_tensors
        xhat, invstd = _normalized(x, self.axes, self.eps)
        lead = tuple(range(x.ndim - len(self.axes)))
        grad_x = grad_w = grad_b = None
        if _needs_grad(self)[0]:
            grad_xhat = grad if weight is None else grad * weight
            grad_x = _grad_through_stats(grad_xhat, xhat, invstd, self.axes)
        if _needs_grad(self)[1]:
            grad_w = (grad * xhat).sum(lead) if lead else grad * xhat
        if _needs_grad(self)[2]:
            grad_b = grad.sum(lead) if lead else grad
        return grad_x, grad_w, grad_b


def _shape_list(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Normalize over the trailing `normalized_shape` dims of each sample."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {_shape_list(t.shape)} and "
                               f"normalized_shape = {_shape_list(normalized_shape)}")
    k = len(normalized_shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={_shape_list(normalized_shape)}, expected "
                           f"input with shape [*, {', '.join(map(str, normalized_shape))}], "
                           f"but got input of size{_shape_list(input.shape)}")
    return NativeLayerNorm.apply(input, weight, bias, ndims=k, eps=eps)


# ---------------------------------------------------------------------------------------
# rms_norm: composite, as torch computes it on the CPU


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the trailing dims, times weight.

    eps defaults to the machine epsilon of the computation dtype (float32 for float16).
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    if weight is not None and tuple(weight.shape) != normalized_shape:
        raise RuntimeError("Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {_shape_list(weight.shape)} and normalized_shape"
                           f" = {_shape_list(normalized_shape)}")
    k = len(normalized_shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={_shape_list(normalized_shape)}, expected "
                           f"input with shape [*{', '.join(map(str, normalized_shape))}], but "
                           f"got input of size{_shape_list(input.shape)}")
    compute = input.float() if input.dtype.itemsize < 4 else input
    if eps is None:
        eps = float(np.finfo(compute._data.dtype).eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    inv_rms = 1 / ((compute * compute).mean(dims, keepdim=True) + eps).sqrt()
    result = compute * inv_rms
    if weight is not None:
        result = result * weight
    return result.to(input.dtype)


# ---------------------------------------------------------------------------------------
# group_norm


class NativeGroupNorm(Primitive):
    """Channels split into `groups`; each (sample, group) normalized over its channels and
    positions; then a per-channel weight and bias. Shapes: x (N, C, *); weight, bias (C,)."""

    grad_fn_name = "NativeGroupNormBackward0"
    save_inputs = (0, 1)

    def forward(self, x, weight, bias, groups, eps):
        self.groups, self.eps = groups, eps
        n, c = x.shape[0], x.shape[1]
        self.view = (1, c) + (1,) * (x.ndim - 2)
        if x.size == 0:
            return x.copy()
        xg = x.reshape(n, groups, -1)
        mean, _, invstd = _stats(xg, (2,), eps)
        xhat = ((xg - mean) * invstd).reshape(x.shape)
        if weight is not None:
            xhat = xhat * weight.reshape(self.view)
        if bias is not None:
            xhat = xhat + bias.reshape(self.view)
        return xhat.astype(x.dtype, copy=False)

    def backward(self, grad):
        x, weight = self.saved_tensors
        n = x.shape[0]
        xg = x.reshape(n, self.groups, -1)
        xhat_g, invstd = _normalized(xg, (2,), self.eps)
        xhat = xhat_g.reshape(x.shape)
        not_channel = tuple(d for d in range(x.ndim) if d != 1)
        grad_x = grad_w = grad_b = None
        if _needs_grad(self)[0]:
            grad_xhat = grad if weight is None else grad * weight.reshape(self.view)
            grad_x = _grad_through_stats(grad_xhat.reshape(n, self.groups, -1), xhat_g,
                                         invstd, (2,)).reshape(x.shape)
        if _needs_grad(self)[1]:
            grad_w = (grad * xhat).sum(not_channel)
        if _needs_grad(self)[2]:
            grad_b = grad.sum(not_channel)
        return grad_x, grad_w, grad_b


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Normalize each group of channels of each sample."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    channels = input.shape[1]
    if channels % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {_shape_list(input.shape)} "
                           f"and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.numel() != channels):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number "
                               f"of channels in input, but got {name} of shape "
                               f"{_shape_list(t.shape)} and input of shape "
                               f"{_shape_list(input.shape)}")
    return NativeGroupNorm.apply(input, weight, bias, groups=num_groups, eps=eps)


# ---------------------------------------------------------------------------------------
# instance_norm: batch_norm of the (1, N*C, *) view, as torch computes it


def _verify_spatial_size(size) -> None:
    values = 1
    for s in size[2:]:
        values *= s
    if values == 1:
        raise ValueError("Expected more than 1 spatial element when training, got input "
                         f"size {_size_repr(size)}")


def _repeat(t, times):
    return None if t is None else t.unsqueeze(0).expand(times, t.shape[0]).reshape(-1)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-05):
    """Normalize each channel of each sample over its positions."""
    if use_input_stats:
        _verify_spatial_size(input.shape)
    b, c = input.shape[0], input.shape[1]
    reshaped = input.contiguous().view(1, b * c, *input.shape[2:])
    mean_, var_ = _repeat(running_mean, b), _repeat(running_var, b)
    if mean_ is not None:
        mean_, var_ = mean_.detach().clone(), var_.detach().clone()
    out = batch_norm(reshaped, mean_, var_, _repeat(weight, b), _repeat(bias, b),
                     use_input_stats, momentum, eps)
    for running, repeated in ((running_mean, mean_), (running_var, var_)):
        if running is not None:
            running._data[...] = repeated._data.reshape(b, c).mean(0).astype(
                running._data.dtype)
            running._vc[0] += 1
    return out.view(input.shape)


# ---------------------------------------------------------------------------------------
# composites


class VectorNorm(Primitive):
    """||x||_p along `dim` (kept). grad_x = grad * x |x|^(p-2) / norm^(p-1), taken as 0
    where the norm is 0, as torch's linalg_vector_norm backward does."""

    grad_fn_name = "LinalgVectorNormBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(self, x, p, dim):
        self.p, self.dim = p, dim
        a = np.abs(x)
        if p == 2:
            return np.sqrt(np.sum(a * a, axis=dim, keepdims=True))
        if p == 1:
            return np.sum(a, axis=dim, keepdims=True)
        if p == float("inf"):
            return np.max(a, axis=dim, keepdims=True)
        return np.sum(a ** p, axis=dim, keepdims=True) ** (1.0 / p)

    def backward(self, grad):
        from .elementwise import where
        x, norm = self.saved_tensors
        safe = where(norm == 0, 1.0, norm)  # x is all zeros there: the gradient is 0
        p = self.p
        if p == 2:
            return grad * x / safe
        if p == 1:
            return grad * x.sign()
        if p == float("inf"):
            hits = (x.abs() == norm).to(x.dtype)
            return grad * x.sign() * hits / hits.sum(self.dim, keepdim=True)
        return grad * x * x.abs() ** (p - 2) / safe ** (p - 1)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(||x||_p along dim, eps)."""
    from ..tensor import _wrap_dim
    norm = VectorNorm.apply(input, p=float(p), dim=_wrap_dim(dim, input.ndim))
    result = input / norm.clamp_min(eps).expand_as(input)
    if out is not None:
        from .inplace import copy_
        return copy_(out, result)
    return result


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x^2 over `size` neighbouring channels) ** beta."""
    if input.ndim < 3:
        raise ValueError("Expected 3D or higher dimensionality input (got "
                         f"{input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    from .shape import cat
    sq = input * input
    c = input.shape[1]
    lead_pad, tail_pad = size // 2, (size - 1) // 2
    pad_shape = list(sq.shape)
    parts = []
    if lead_pad:
        pad_shape[1] = lead_pad
        parts.append(sq.new_zeros(tuple(pad_shape)))
    parts.append(sq)
    if tail_pad:
        pad_shape[1] = tail_pad
        parts.append(sq.new_zeros(tuple(pad_shape)))
    padded = cat(parts, 1) if len(parts) > 1 else sq
    window = padded.narrow(1, 0, c)
    for i in range(1, size):
        window = window + padded.narrow(1, i, c)
    div = (window * (alpha / size) + k) ** beta
    return input / div



def _needs_grad(node) -> tuple:
    """For each input of a recorded node, whether it wants a gradient."""
    return tuple(edge[0] is not None for edge in node.next_functions)
