"""Dropout: zero random elements (or whole channels) while training and rescale the rest.

Written as torch's CPU kernel computes it (`_dropout_impl`): a noise tensor filled by
`bernoulli_(1 - p)` (one value per element, or per (sample, channel) for the feature
forms), divided by 1 - p, multiplied into the input. With the same seed the masks are
torch's. Alpha dropout keeps a SELU network's mean and variance instead.

(This family lives in `dropouts.py`, not `dropout.py`: a submodule named like one of
its own functions would shadow that function in `ember.ops`.)
"""

from __future__ import annotations

import warnings

import numpy as np

from ..tensor import Tensor

__all__ = [
    'alpha_dropout',
    'alpha_dropout_',
    'dropout',
    'dropout_',
    'feature_alpha_dropout',
    'feature_alpha_dropout_',
    'feature_dropout',
    'feature_dropout_',
]

# the ones torch also puts in torch.nn.functional
FUNCTIONAL = (
    'alpha_dropout',
    'dropout',
    'dropout1d',
    'dropout2d',
    'dropout3d',
    'feature_alpha_dropout',
)

_SELU_ALPHA = 1.7580993408473766  # -scale * alpha of selu: the value dropped units take


def _noise(shape, like: Tensor, keep: float) -> Tensor:
    """A tensor of `shape` (like's dtype) with ones with probability `keep`, else zeros,
    drawn by bernoulli_ exactly as torch draws them."""
    from .random_ops import bernoulli_
    return bernoulli_(Tensor._make(np.empty(shape, like._data.dtype)), keep)


def _dropout_impl(input, p, train, feature, alpha, inplace):
    if p == 0 or not train or input.numel() == 0:
        return input
    mul = (lambda a, b: a.mul_(b)) if inplace else (lambda a, b: a * b)
    if p == 1:
        return mul(input, Tensor._make(np.zeros((), input._data.dtype)))
    if feature:
        if input.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    else:
        shape = tuple(input.shape)
    noise = _noise(shape, input, 1 - p)
    if alpha:
        a = 1.0 / np.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
        b = noise.add(-1).mul_(_SELU_ALPHA * a).add_(_SELU_ALPHA * a * p)
        noise.mul_(a)
        return mul(input, noise).add_(b) if inplace else input * noise + b
    noise.div_(1 - p)
    return mul(input, noise)


def _check_p(p) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the others by 1 / (1 - p)."""
    _check_p(p)
    return _dropout_impl(input, p, training, False, False, inplace)


def dropout_(input, p=0.5, train=True):
    return _dropout_impl(input, p, train, False, False, True)


def feature_dropout(input, p, train):
    """Dropout of whole channels: one draw per (sample, channel)."""
    return _dropout_impl(input, p, train, True, False, False)


def feature_dropout_(input, p, train):
    return _dropout_impl(input, p, train, True, False, True)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps zero mean and unit variance (for selu networks)."""
    _check_p(p)
    return _dropout_impl(input, p, training, False, True, inplace)


def alpha_dropout_(input, p, train):
    return _dropout_impl(input, p, train, False, True, True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels."""
    _check_p(p)
    return _dropout_impl(input, p, training, True, True, inplace)


def feature_alpha_dropout_(input, p, train):
    return _dropout_impl(input, p, train, True, True, True)


def _channel_dropout(input, p, training, inplace, batched):
    if not batched:
        input = input.unsqueeze(0)  # a view: an in-place result reaches the caller's tensor
    result = _dropout_impl(input, p, training, True, False, inplace)
    return result if batched else result.squeeze(0)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) inputs."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note "
            "that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    return _channel_dropout(input, p, training, inplace, input.ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) inputs (3-D inputs are taken as (N, C, L))."""
    _check_p(p)
    ndim = input.ndim
    if ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and "
            "silence this warning, please use dropout instead. Note that dropout2d exists to "
            "provide channel-wise dropout on inputs with 2 spatial dimensions, a channel "
            "dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2)
    if ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret "
            "the input as one without a batch dimension, i.e. shape (C, H, W). To maintain "
            "the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _dropout_impl(input, p, training, True, False, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs."""
    _check_p(p)
    ndim = input.ndim
    if ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {ndim}-D input to dropout3d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and "
            "silence this warning, please use dropout instead. Note that dropout3d exists to "
            "provide channel-wise dropout on inputs with 3 spatial dimensions, a channel "
            "dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2)
    return _channel_dropout(input, p, training, inplace, ndim == 5)
