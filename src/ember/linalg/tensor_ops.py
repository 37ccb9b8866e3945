"""linalg.cond, tensorinv, tensorsolve and vander: compositions of other ops, so their
gradients come from the ops they are made of."""

from __future__ import annotations

import math

import numpy as np

from ..ops import decompositions as _dec
from ..tensor import Tensor
from .norms import matrix_norm


def cond(A, p=None) -> Tensor:  # noqa: N803
    """Condition number: s_max / s_min for p in (None, 2), s_min / s_max for -2, otherwise
    norm(A, p) * norm(A^-1, p) (inf for a singular matrix)."""
    if p in (None, 2, -2):
        if A.ndim < 2:
            raise RuntimeError("linalg.cond: The input tensor A must have at least 2 "
                               "dimensions.")
        s = _dec._svdvals(A)
        big, small = s.narrow(-1, 0, 1), s.narrow(-1, s.shape[-1] - 1, 1)
        return (small / big if p == -2 else big / small).squeeze(-1)
    if p not in ("fro", "nuc", math.inf, -math.inf, 1, -1):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    _dec._check_square(A, f"linalg.cond(ord={p})")
    from .. import ops
    singular = np.linalg.matrix_rank(A._data) < A.shape[-1] if A._data.size else False
    inverse = _dec._inv_ex(A).inverse
    out = matrix_norm(A, p) * matrix_norm(inverse, p)
    if np.any(singular):
        inf = Tensor._make(np.array(np.inf, out._data.dtype))
        out = ops.where(Tensor._make(np.asarray(singular)), inf, out)
    # torch: a singular matrix has condition inf
    return ops.nan_to_num(out, nan=math.inf, posinf=math.inf)


def tensorinv(A, ind=2) -> Tensor:  # noqa: N803
    """The tensor X with tensordot(X, A, ind) = identity: A's first `ind` dims as rows."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    n = int(np.prod(rows))
    if n != int(np.prod(cols)):
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) "
                           f"== prod(self.shape[:ind]), but got {int(np.prod(cols))} != {n}")
    inv = _dec.Inverse.apply(A.reshape(n, n), fname="inv")
    return inv.reshape(cols + rows)


def tensorsolve(A, B, dims=None) -> Tensor:  # noqa: N803
    """X with tensordot(A, X, X.ndim) = B; `dims` are A's dims moved to the end first."""
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        rest = [d for d in range(A.ndim) if d not in dims]
        A = A.permute(rest + dims)
    result_shape = tuple(A.shape[B.ndim:])
    n = int(np.prod(result_shape))
    m = int(B.numel())
    if n != m:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:"
                           f"]) == prod(self.shape[:other.ndim]), but got {n} != {m}")
    x = _dec._solve(A.reshape(m, n), B.reshape(m))
    return x.view(result_shape)


def vander(x, N=None) -> Tensor:  # noqa: N803
    """Columns x^0, x^1, ..., x^(N-1) (increasing powers) along a new last dim."""
    if x.ndim < 1:
        raise RuntimeError("x must be at least 1-dimensional.")
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    from .. import ops
    powers = x.unsqueeze(-1).expand(tuple(x.shape) + (n - 1,)).cumprod(-1)
    ones = Tensor._make(np.ones(tuple(x.shape) + (1,), powers._data.dtype))
    return ops.cat([ones, powers], dim=-1)
