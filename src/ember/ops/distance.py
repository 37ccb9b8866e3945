"""Distances and similarities: cosine_similarity, pairwise_distance, cdist, pdist.

`cdist` for p = 2 on more than 25 rows (torch's default compute_mode) uses the matmul
expansion |a - b|^2 = |a|^2 - 2 a.b + |b|^2, composed from ember ops as torch composes
it; otherwise it is one primitive on the explicit differences, like `pdist`.
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..tensor import Tensor
from . import elementwise as ew
from .loss import _ClampMinNoGrad, _scalar_name
from .primitive import Primitive

__all__ = [
    'cdist',
    'cosine_similarity',
    'pairwise_distance',
    'pdist',
]

FUNCTIONAL = (
    'cosine_similarity',
    'pairwise_distance',
    'pdist',
)


def _p_norm(a: np.ndarray, p: float, axis, keepdims: bool) -> np.ndarray:
    """The vector p-norm of `a` along `axis`, for p in [0, inf] (and -inf)."""
    if p == 2:
        return np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims))
    z = np.abs(a)
    if p == 1:
        return np.sum(z, axis=axis, keepdims=keepdims)
    if p == math.inf:
        return np.max(z, axis=axis, keepdims=keepdims, initial=0)
    if p == -math.inf:
        return np.min(z, axis=axis, keepdims=keepdims)
    if p == 0:
        return np.sum(z != 0, axis=axis, keepdims=keepdims).astype(a.dtype)
    return np.sum(z ** p, axis=axis, keepdims=keepdims) ** (1 / p)


def _norm_grad(x: Tensor, norm: Tensor, grad: Tensor, p: float, dim: int = -1) -> Tensor:
    """d |x|_p / d x times `grad`; `norm` and `grad` broadcast against x.
    Where the norm is 0 the gradient is 0 (torch's subgradient choice)."""
    if p == 0:
        return x * 0
    if p == 1:
        return x.sign() * grad
    zero = norm == 0
    safe = ew.where(zero, 1.0, norm)
    if p == 2:
        return ew.where(zero, 0.0, x / safe) * grad
    if math.isinf(p):
        mask = (x.abs() == norm).to(x.dtype)
        count = mask.sum(dim, keepdim=True)
        return x.sign() * mask * (grad / count)
    if p < 2:
        # |x|^(p-1) is infinite at 0 for p < 1: torch takes 0 there (sign(0) = 0)
        scaled = x.sign() * ew.where(x == 0, 1.0, x.abs()) ** (p - 1)
    else:
        scaled = x * x.abs() ** (p - 2)
    return scaled * ew.where(zero, 0.0, grad / safe ** (p - 1))


class _Norm(Primitive):
    """|x|_p along `dim` (torch.norm(x, p, dim, keepdim))."""

    grad_fn_name = "NormBackward1"
    save_inputs = (0,)
    save_output = True

    def forward(self, x, p, dim, keepdim):
        self.p, self.dim, self.keepdim = p, dim, keepdim
        if x.ndim == 0:  # a 0-d tensor is one element along dim 0 / -1
            return np.asarray(_p_norm(x.reshape(1), p, 0, False), dtype=x.dtype)
        return np.asarray(_p_norm(x, p, dim, keepdim), dtype=x.dtype)

    def backward(self, grad):
        x, out = self.saved_tensors
        if x.ndim == 0:  # |x|_p of one element is |x|
            return grad * x.sign() if self.p != 0 else grad * 0
        if not self.keepdim:
            grad, out = grad.unsqueeze(self.dim), out.unsqueeze(self.dim)
        return _norm_grad(x, out, grad, self.p, self.dim)


def _wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """|x1 - x2 + eps|_p over the last dimension (inputs broadcast)."""
    out_dim = max(x1.ndim, x2.ndim)
    diff = x1 - x2 + eps
    return _Norm.apply(diff, p=p, dim=max(out_dim - 1, 0), keepdim=keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """<x1, x2> / (max(|x1|, eps) max(|x2|, eps)) along `dim`, each input normalised
    first (as torch does, which keeps the result within [-1, 1])."""
    common = dtypes.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{_scalar_name(common)}")
    if not x1.dtype.is_floating_point:
        x1 = x1.to(common)
    if not x2.dtype.is_floating_point:
        x2 = x2.to(common)
    shape = ew.infer_broadcast_shape(x1.shape, x2.shape)
    if x1.shape != shape:
        x1 = x1.expand(shape)
    if x2.shape != shape:
        x2 = x2.expand(shape)
    d = _wrap_dim(dim, len(shape))
    if not shape:
        x1n = _ClampMinNoGrad.apply(x1.abs(), min=eps)
        x2n = _ClampMinNoGrad.apply(x2.abs(), min=eps)
        return (x1 / x1n) * (x2 / x2n)
    x1n = _ClampMinNoGrad.apply(_Norm.apply(x1, p=2, dim=d, keepdim=True), min=eps)
    x2n = _ClampMinNoGrad.apply(_Norm.apply(x2, p=2, dim=d, keepdim=True), min=eps)
    return ((x1 / x1n) * (x2 / x2n)).sum(d)


# ---------------------------------------------------------------------------------------
# cdist and pdist


def _distance_grad(diff: Tensor, dist: Tensor, grad: Tensor, p: float) -> Tensor:
    """d dist / d x1 * grad, elementwise over the last dim of diff = x1 - x2."""
    if math.isinf(p):
        mask = (diff.abs() == dist).to(diff.dtype)
        return diff.sign() * mask * grad
    return _norm_grad(diff, dist, grad, p)


class Cdist(Primitive):
    """All distances |x1[..., i, :] - x2[..., j, :]|_p. (.., P, M), (.., R, M) -> (.., P, R)."""

    grad_fn_name = "CdistBackward0"
    save_inputs = (0, 1)
    save_output = True

    def forward(self, x1, x2, p):
        self.p = p
        diff = x1[..., :, None, :] - x2[..., None, :, :]
        return np.asarray(_p_norm(diff, p, -1, False), dtype=x1.dtype)

    def backward(self, grad):
        x1, x2, out = self.saved_tensors
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        g = _distance_grad(diff, out.unsqueeze(-1), grad.unsqueeze(-1), self.p)
        g1 = g2 = None
        if self.next_functions[0][0] is not None:
            g1 = g.sum(-2)
        if self.next_functions[1][0] is not None:
            g2 = -g.sum(-3)
        return g1, g2


def _euclidean_dist(x1: Tensor, x2: Tensor) -> Tensor:
    """torch's matmul form of the euclidean distance (the result clamped at 1e-30)."""
    from ..creation import ones_like
    from .linalg import matmul
    from .shape import cat

    x1_norm = (x1 ** 2).sum(-1, keepdim=True)
    x2_norm = (x2 ** 2).sum(-1, keepdim=True)
    x1_ = cat([x1 * -2, x1_norm, ones_like(x1_norm)], -1)
    x2_ = cat([x2, ones_like(x2_norm), x2_norm], -1)
    return matmul(x1_, x2_.transpose(-1, -2)).clamp_min(1e-30).sqrt()


_MODES = {"use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1,
          "donot_use_mm_for_euclid_dist": 2}


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between each row of x1 and each row of x2 (batched)."""
    if compute_mode not in _MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    mode = _MODES[compute_mode]
    if x1.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    for name, x in (("X1", x1), ("X2", x2)):
        if not x.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_scalar_name(x.dtype)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1.dtype != x2.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(x1.dtype)} but found "
                           f"{_scalar_name(x2.dtype)}")
    r1, r2 = x1.shape[-2], x2.shape[-2]
    batch = ew.infer_broadcast_shape(x1.shape[:-2], x2.shape[:-2])
    e1, e2 = batch + tuple(x1.shape[-2:]), batch + tuple(x2.shape[-2:])
    x1e = x1 if x1.shape == e1 else x1.expand(e1)
    x2e = x2 if x2.shape == e2 else x2.expand(e2)
    empty = x1.numel() == 0 or x2.numel() == 0
    if not empty and p == 2 and (mode == 1 or (mode == 0 and (r1 > 25 or r2 > 25))):
        return _euclidean_dist(x1e, x2e).view(batch + (r1, r2))
    return Cdist.apply(x1e, x2e, p=p)


class _PairsToMatrix(Primitive):
    """The (P,) values of the pairs i < j as a symmetric (N, N) matrix, zero diagonal."""

    grad_fn_name = "PairsToMatrixBackward"

    def forward(self, v, n):
        self.n = n
        self.i, self.j = np.triu_indices(n, 1)
        out = np.zeros((n, n), v.dtype)
        out[self.i, self.j] = v
        out[self.j, self.i] = v
        return out

    def backward(self, grad):
        return grad[self.i, self.j] + grad[self.j, self.i]


class Pdist(Primitive):
    """|x[i] - x[j]|_p for the pairs i < j of rows of x (N, M), in row-major order."""

    grad_fn_name = "PdistBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(self, x, p):
        self.p, self.n = p, x.shape[0]
        i, j = np.triu_indices(self.n, 1)
        return np.asarray(_p_norm(x[i] - x[j], p, -1, False), dtype=x.dtype)

    def backward(self, grad):
        # Pair (i, j) pulls x_i along f(x_i - x_j) and x_j along f(x_j - x_i) (f is odd),
        # so with the symmetric matrices of gradients G and distances D:
        # grad x_k = sum_j G[k, j] f(x_k - x_j; D[k, j]).
        x, out = self.saved_tensors
        if self.n < 2:
            return x * 0
        G = _PairsToMatrix.apply(grad, n=self.n).unsqueeze(-1)
        D = _PairsToMatrix.apply(out, n=self.n).unsqueeze(-1)
        diff = x.unsqueeze(1) - x.unsqueeze(0)
        return _distance_grad(diff, D, G, self.p).sum(1)


def pdist(input, p=2):
    """The p-norm distances between all pairs of rows of a 2-D input (upper triangle)."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if not input.dtype.is_floating_point:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    if not isinstance(input, Tensor):
        raise TypeError("pdist(): argument 'input' must be Tensor")
    return Pdist.apply(input, p=p)
