"""Vector and matrix norms: linalg.vector_norm, matrix_norm and norm.

vector_norm is one primitive; the matrix norms are compositions torch also uses
('fro' is a vector norm over two dims, 'nuc' / 2 / -2 reduce the singular values,
1 / -1 / inf / -inf reduce column or row sums of |A|).
"""

from __future__ import annotations

import math

import numpy as np

from ..ops import decompositions as _dec
from ..ops.primitive import Primitive
from ..tensor import Tensor

_LEGACY = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
           "bool": "Bool"}


class VectorNorm(Primitive):
    """||x||_ord over `dims`.

    Gradients: ord 2: G x / ||x||; ord 1: G sign(x); ord +-inf: G sign(x) shared evenly by
    the entries that reach the max (min); ord 0: none; other p:
    G sign(x) |x|^(p-1) / ||x||^(p-1). Where the norm is 0 the gradient is 0.
    """

    grad_fn_name = "LinalgVectorNormBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(self, x, ord, dims, keepdim):  # noqa: A002
        self.ord, self.dims, self.keepdim = ord, dims, keepdim
        a = np.abs(x)
        if ord == math.inf:
            out = a.max(axis=dims, keepdims=keepdim, initial=0) if a.size else \
                np.zeros(np.sum(a, axis=dims, keepdims=keepdim).shape, a.dtype)
        elif ord == -math.inf:
            out = a.min(axis=dims, keepdims=keepdim)
        elif ord == 0:
            out = (a != 0).sum(axis=dims, keepdims=keepdim)
        elif ord == 1:
            out = a.sum(axis=dims, keepdims=keepdim)
        elif ord == 2:
            out = np.sqrt((a * a).sum(axis=dims, keepdims=keepdim))
        else:
            out = (a ** ord).sum(axis=dims, keepdims=keepdim) ** (1.0 / ord)
        return np.asarray(out, dtype=x.dtype.type(0).real.dtype)

    def backward(self, grad):
        x, norm = self.saved_tensors
        p = self.ord
        if not self.keepdim:
            for d in sorted(self.dims):
                grad = grad.unsqueeze(d)
                norm = norm.unsqueeze(d)
        from ..ops.elementwise import where
        zero = Tensor._make(np.zeros((), norm._data.dtype))
        if p == 0:
            return x * zero
        sgn = _sgn(x, zero)
        if p == 1:
            return grad * sgn
        if p == 2:
            return x * where(norm == 0, zero, grad / norm)
        if p in (math.inf, -math.inf):
            hits = (x.abs() == norm).to(x.dtype)
            count = hits.sum(self.dims, keepdim=True)
            return grad * sgn * hits / count
        scale = where(norm == 0, zero, grad / norm ** (p - 1))
        return sgn * x.abs() ** (p - 1) * scale


def _sgn(x: Tensor, zero: Tensor) -> Tensor:
    """x / |x| (0 at 0): the sign for real x, the phase for complex x."""
    if x._data.dtype.kind != "c":
        return x.sign()
    from ..ops.elementwise import where
    mag = x.abs()
    return where(mag == 0, zero.to(x.dtype), x / where(mag == 0, zero + 1, mag).to(x.dtype))


def _dims(x: Tensor, dim):
    if dim is None:
        return tuple(range(x.ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    n = max(x.ndim, 1)
    for d in dims:
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, "
                             f"{n - 1}], but got {d})")
    return tuple(d % n for d in dims) if x.ndim else ()


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None) -> Tensor:  # noqa: A002
    """(sum |x|^ord)^(1/ord) over `dim` (all dims by default); ord may be +-inf or 0."""
    if x._data.dtype.kind not in "fc":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_LEGACY.get(x.dtype.name, x.dtype.name)}")
    if dtype is not None:
        x = x.to(dtype)
    dims = _dims(x, dim)
    empty = x._data.size == 0 if dim is None else any(x.shape[d] == 0 for d in dims)
    if empty and (ord < 0 or ord == math.inf):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                           "tensor because the operation does not have an identity")
    return VectorNorm.apply(x, ord=float(ord), dims=dims, keepdim=keepdim)


def _to_end(a: Tensor, dims):
    d0, d1 = (d % a.ndim for d in dims)
    rest = [d for d in range(a.ndim) if d not in (d0, d1)]
    return a.permute(rest + [d0, d1]), d0, d1


def _restore(out: Tensor, d0: int, d1: int) -> Tensor:
    """keepdim: put size-1 dims back where (d0, d1) were (a permute, as torch)."""
    n = out.ndim + 2
    order = [d for d in range(n) if d not in (d0, d1)] + [d0, d1]
    inverse = [order.index(d) for d in range(n)]
    return out.unsqueeze(-1).unsqueeze(-1).permute(inverse)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None) -> Tensor:  # noqa: A002, N803
    """Matrix norm of the matrices over `dim`: 'fro', 'nuc', +-1, +-2, +-inf."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    _dec._check_float(A, "linalg.matrix_norm")
    if dtype is not None:
        A = A.to(dtype)
    dims = tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {list(dims)}")
    if dims[0] % A.ndim == dims[1] % A.ndim:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got "
                           f"({dims[0]}, {dims[1]})")
    if ord == "fro":
        return vector_norm(A, 2, dims, keepdim)
    if ord == "nuc" or ord in (2, -2):
        _dec._check_float(A, "linalg.matrix_norm")
        moved, d0, d1 = _to_end(A, dims)
        s = _dec._svdvals(moved)
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        return _restore(out, d0, d1) if keepdim else out
    if ord in (1, -1, math.inf, -math.inf):
        d0, d1 = (d % A.ndim for d in dims)
        if ord in (math.inf, -math.inf):
            d0, d1 = d1, d0
        sums = vector_norm(A, 1, d0, keepdim=keepdim)
        if not keepdim and d0 < d1:
            d1 -= 1
        return sums.amax(d1, keepdim=keepdim) if ord > 0 else sums.amin(d1, keepdim=keepdim)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None) -> Tensor:  # noqa: A002, N803
    """linalg.norm: a vector norm for 1-D `dim`, a matrix norm for 2-D `dim`; with
    ord=None the 2-norm of the flattened input."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2."
                               f" Got {list(dims)}")
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D "
                       f"or 2D. Got {A.ndim}D.")
