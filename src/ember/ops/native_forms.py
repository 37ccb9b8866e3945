"""The `ember.<name>` (torch namespace) forms of ops whose torch-namespace signature
differs from their torch.nn.functional one: `torch.batch_norm(input, weight, bias,
running_mean, running_var, ...)` against `F.batch_norm(input, running_mean, running_var,
weight, bias, ...)`, `torch.embedding(weight, indices)` against `F.embedding(input,
weight)`, and so on. Each one reorders its arguments and calls the functional op."""

from __future__ import annotations

from . import embeddings as _emb
from . import normalization as _norm

__all__ = [
    'batch_norm',
    'embedding',
    'group_norm',
    'instance_norm',
    'layer_norm',
]


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    """torch.batch_norm: F.batch_norm with the affine parameters first."""
    return _norm.batch_norm(input, running_mean, running_var, weight, bias, training,
                            momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                  eps, cudnn_enabled):
    """torch.instance_norm: F.instance_norm with the affine parameters first."""
    return _norm.instance_norm(input, running_mean, running_var, weight, bias,
                               use_input_stats, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    """torch.layer_norm: F.layer_norm plus an ignored cudnn flag."""
    return _norm.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    """torch.group_norm: F.group_norm plus an ignored cudnn flag."""
    return _norm.group_norm(input, num_groups, weight, bias, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """torch.embedding: the weight first; padding_idx -1 means none."""
    return _emb.embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                          scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)
