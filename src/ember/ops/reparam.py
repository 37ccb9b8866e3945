"""Weight normalisation: w = g * v / ||v||, the norm taken over every dim but one
(torch._weight_norm, torch.norm_except_dim; used by nn.utils.weight_norm).

As in torch, normalising along the first or the last dim is one fused primitive
(`WeightNormInterfaceBackward0`); any other dim is the composite v * (g / norm).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .primitive import Primitive

__all__ = ["_weight_norm", "_weight_norm_interface", "norm_except_dim"]


def _other_axes(ndim: int, dim: int) -> tuple:
    return tuple(a for a in range(ndim) if a != dim)


class WeightNormInterface(Primitive):
    """w = v * (g / n), n = ||v|| over all dims but `dim` (kept as size 1).

    grad_v = (g / n) * (grad - v * sum(grad * v) / n^2), grad_g = sum(grad * v) / n,
    the sums over the same dims as the norm.
    """

    grad_fn_name = "WeightNormInterfaceBackward0"
    save_inputs = (0, 1)

    def forward(self, v, g, dim):
        self.axes = _other_axes(v.ndim, dim)
        norm = np.sqrt(np.sum(v * v, axis=self.axes, keepdims=True))
        self.norm_shape = norm.shape
        return v * (g.reshape(norm.shape) / norm), norm.astype(v.dtype)

    def backward(self, grad, grad_norm=None):
        v, g = self.saved_tensors
        if grad is None:
            return None, None
        def sum_over_axes(x):  # no axes (a 1-D v): nothing to sum, unlike sum(dim=())
            return x.sum(self.axes, keepdim=True) if self.axes else x

        norm = sum_over_axes(v * v).sqrt()
        g_ = g.reshape(self.norm_shape)
        dot = sum_over_axes(grad * v)
        grad_v = (g_ / norm) * (grad - v * (dot / (norm * norm)))
        grad_g = (dot / norm).reshape(g.shape)
        return grad_v, grad_g


def _weight_norm_interface(v: Tensor, g: Tensor, dim: int = 0):
    """(w, norms) for dim 0 or the last dim: the fused weight-norm op."""
    w, norms = WeightNormInterface.apply(v, g, dim=dim % max(v.dim(), 1))
    return w, norms.detach()


class Norm(Primitive):
    """The p-norm of all of x: (sum |x|^p)^(1/p). grad = grad * |x|^(p-1) sign(x) / n^(p-1),
    zero where n is 0 (torch's convention)."""

    grad_fn_name = "NormBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(self, x, p):
        self.p = p
        a = np.abs(x)
        if p == 2:
            return np.sqrt(np.sum(a * a, dtype=x.dtype)).astype(x.dtype)
        return (np.sum(a ** p, dtype=x.dtype) ** (1.0 / p)).astype(x.dtype)

    def backward(self, grad):
        from .elementwise import where
        x, out = self.saved_tensors
        p = self.p
        safe = where(out == 0, out.new_ones(()), out)  # a zero norm gives a zero gradient
        if p == 2:
            return grad * x / safe
        return grad * x.sign() * x.abs() ** (p - 1) / safe ** (p - 1)


def _row_norm(v: Tensor, pow: float, axis: int) -> Tensor:
    return (v.abs() ** pow).sum(axis) ** (1.0 / pow)


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """The pow-norm of v over every dim but `dim` (kept; the others become size 1);
    dim=-1 is the norm of all of v (a 0-d tensor). Built as torch builds it, so the
    result's grad_fn is torch's (View, Transpose or Norm)."""
    if not isinstance(pow, int):
        raise TypeError("norm_except_dim(): argument 'pow' (position 2) must be int, not "
                        f"{type(pow).__name__}")
    if dim == -1:
        return Norm.apply(v, p=pow)
    if dim == 0:
        shape = (v.size(0),) + (1,) * (v.dim() - 1)
        return _row_norm(v.contiguous().view(v.size(0), -1), pow, 1).view(shape)
    if dim == v.dim() - 1:
        shape = (1,) * (v.dim() - 1) + (v.size(-1),)
        return _row_norm(v.contiguous().view(-1, v.size(-1)), pow, 0).view(shape)
    return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """g * v / ||v||, the norm over every dim but `dim`."""
    if v.device != g.device:
        raise RuntimeError("weight_norm: expected v_in and g_in to be on the same device, but "
                           f"v_in is on {v.device} and g_in is on {g.device}")
    half = v.element_size() == 2 or g.element_size() == 2  # no fused kernel for 16-bit
    if not half and (dim == 0 or dim == v.dim() - 1):
        return _weight_norm_interface(v, g, dim)[0]
    return v * (g / norm_except_dim(v, 2, dim))
