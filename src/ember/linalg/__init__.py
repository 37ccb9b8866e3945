"""ember.linalg: torch.linalg's functions.

The decompositions (det, inv, solve, cholesky, qr, svd, eigh, pinv, lstsq) live in
`ember/ops/decompositions.py` next to their backward formulas; the norms are here, in
`norms.py`; the rest are compositions of ember ops, so their gradients come from the
ops they are made of.
"""

from __future__ import annotations

import numpy as np

from ..ops import decompositions as _dec
from ..ops import lu_decomposition as _lu
from ..ops import products as _products
from ..ops.decompositions import _LinAlgError as LinAlgError
from ..ops.linalg import matmul
from ..tensor import Tensor
from .norms import matrix_norm, norm, vector_norm
from .tensor_ops import cond, tensorinv, tensorsolve, vander

__all__ = [
    "LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh",
    "eigvals", "eigvalsh", "inv", "inv_ex", "lstsq", "lu", "lu_factor", "lu_factor_ex",
    "lu_solve", "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank",
    "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_ex", "solve_triangular", "svd",
    "svdvals", "tensorinv", "tensorsolve", "vander", "vecdot", "vector_norm",
]


def det(A) -> Tensor:  # noqa: N803 - torch's argument names
    """Determinant of (*, n, n) -> (*)."""
    return _dec.det(A)


def slogdet(A) -> tuple:  # noqa: N803
    """Named tuple (sign, logabsdet) of the determinant."""
    return _dec._slogdet(A)


def inv(A) -> Tensor:  # noqa: N803
    """Inverse of each square matrix; raises LinAlgError for a singular one."""
    return _dec._inverse(A)


def inv_ex(A, *, check_errors=False) -> tuple:  # noqa: N803
    """Named tuple (inverse, info) with LAPACK's info instead of an error."""
    return _dec._inv_ex(A, check_errors=check_errors)


def solve(A, B, *, left=True) -> Tensor:  # noqa: N803
    """X with A X = B (left=True) or X A = B; B may be a (batch of) vector(s)."""
    return _dec._solve(A, B, left=left)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False) -> Tensor:  # noqa: N803
    """X with A X = B (or X A = B) for triangular A: only its upper/lower triangle is read."""
    if B.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 "
                           "dimensions.")
    return _dec._solve_triangular(A, B, upper=upper, left=left, unitriangular=unitriangular)


def cholesky(A, *, upper=False) -> Tensor:  # noqa: N803
    """Lower (or upper) Cholesky factor of symmetric positive-definite matrices."""
    return _dec._cholesky(A, upper=upper)


def cholesky_ex(A, *, upper=False, check_errors=False) -> tuple:  # noqa: N803
    """(L, info): info is the order of the first non-positive-definite leading minor."""
    try:
        return _dec.cholesky_ex_result(_dec._cholesky(A, upper=upper),
                                       Tensor._make(np.zeros(A.shape[:-2], np.int32)))
    except _dec._LinAlgError as err:
        if check_errors:
            raise LinAlgError(str(err).replace("linalg.cholesky:", "linalg.cholesky_ex:")
                              ) from None
    shape = tuple(A.shape)
    flat = A._data.reshape((-1,) + shape[-2:])
    factors, info = np.empty_like(flat), np.zeros(len(flat), np.int32)
    for i, m in enumerate(flat):
        factors[i], info[i] = _partial_cholesky(m)
    factors = factors.reshape(shape)
    if upper:
        factors = np.ascontiguousarray(np.swapaxes(factors, -1, -2))
    return _dec.cholesky_ex_result(Tensor._make(factors),
                                   Tensor._make(info.reshape(shape[:-2])))


def _partial_cholesky(a: np.ndarray):
    """LAPACK potf2 (lower) on one matrix: columns are factored until a pivot is not
    positive, which is stored unrooted; the columns after it keep A's values."""
    low = np.tril(a)
    for j in range(a.shape[0]):
        ajj = low[j, j] - low[j, :j] @ low[j, :j]
        if not ajj > 0:
            low[j, j] = ajj
            return low, j + 1
        low[j, j] = np.sqrt(ajj)
        low[j + 1:, j] = (low[j + 1:, j] - low[j + 1:, :j] @ low[j, :j]) / low[j, j]
    return low, 0


def lu_factor(A, *, pivot=True) -> tuple:  # noqa: N803
    """Named tuple (LU, pivots): L's strict lower triangle and U packed, 1-based pivots."""
    return _lu._lu_factor(A, pivot=pivot)


def lu_factor_ex(A, *, pivot=True, check_errors=False) -> tuple:  # noqa: N803
    """Named tuple (LU, pivots, info): info is the first zero pivot (1-based), or 0."""
    return _lu._lu_factor_ex(A, pivot=pivot, check_errors=check_errors)


def lu(A, *, pivot=True) -> tuple:  # noqa: N803
    """Named tuple (P, L, U) with A = P L U."""
    return _lu._lu(A, pivot=pivot)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False) -> Tensor:  # noqa: N803
    """X with A X = B (A^H X = B if adjoint; X A = B if not left) from lu_factor's output."""
    return _lu._lu_solve(LU, pivots, B, left=left, adjoint=adjoint)


def qr(A, mode="reduced") -> tuple:  # noqa: N803
    """Named tuple (Q, R); mode 'reduced', 'complete' or 'r' (Q empty)."""
    return _dec._qr(A, mode)


def svd(A, full_matrices=True, *, driver=None) -> tuple:  # noqa: N803
    """Named tuple (U, S, Vh) with S descending."""
    return _dec._svd(A, full_matrices=full_matrices)


def svdvals(A, *, driver=None) -> Tensor:  # noqa: N803
    """Singular values, descending."""
    return _dec._svdvals(A)


def eig(A) -> tuple:  # noqa: N803
    """Named tuple (eigenvalues, eigenvectors) of general square matrices, complex-valued;
    eigenvectors have unit norm (LAPACK geev)."""
    return _dec._eig(A, compute_v=True)


def eigvals(A) -> Tensor:  # noqa: N803
    """Eigenvalues of general square matrices, complex-valued."""
    return _dec._eig(A, compute_v=False)


def eigh(A, UPLO="L") -> tuple:  # noqa: N803
    """Named tuple (eigenvalues ascending, eigenvectors) of symmetric matrices."""
    return _dec._eigh(A, UPLO, compute_v=True)


def eigvalsh(A, UPLO="L") -> Tensor:  # noqa: N803
    """Eigenvalues (ascending) of symmetric matrices."""
    return _dec._eigh(A, UPLO, compute_v=False)


def pinv(A, *, atol=None, rtol=None, hermitian=False) -> Tensor:  # noqa: N803
    """Moore-Penrose pseudoinverse; singular values <= max(atol, rtol * s_max) are dropped."""
    return _dec._pinv(A, atol=atol, rtol=rtol, hermitian=hermitian)


def lstsq(A, B, rcond=None, *, driver=None) -> tuple:  # noqa: N803
    """Named tuple (solution, residuals, rank, singular_values), as the CPU default driver
    'gelsd' fills them: residuals only when m > n and every matrix has full rank."""
    return _dec._lstsq(A, B, rcond, driver=driver)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None) -> Tensor:  # noqa: N803
    """Number of singular values above max(atol, rtol * s_max), as int64."""
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least"
                           " 2 dimensions.")
    _dec._check_float_or_double(A)
    if tol is not None:
        atol, rtol = tol, 0.0
    atol, rtol = _dec._tolerances(A, atol, rtol)
    a = A._data
    if hermitian:
        s = np.abs(np.linalg.eigvalsh(a))
    else:
        s = np.linalg.svd(a, compute_uv=False)
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
    tol_ = np.maximum(np.squeeze(np.asarray(atol)), 0) if np.ndim(atol) == 0 else atol
    keep = s > np.maximum(tol_, rtol * smax)
    return Tensor._make(np.asarray(keep.sum(-1), dtype=np.int64))


def matrix_exp(A) -> Tensor:  # noqa: N803
    """exp(A) = sum_k A^k / k! of each square matrix."""
    return _dec.matrix_exp(A)


def matrix_power(A, n: int) -> Tensor:  # noqa: N803
    """A^n by repeated squaring; n < 0 inverts first, n = 0 gives identities."""
    return _dec.matrix_power(A, n)


def solve_ex(A, B, *, left=True, check_errors=False) -> tuple:  # noqa: N803
    """Named tuple (result, info): info > 0 (the zero pivot) instead of an error for a
    singular A, unless check_errors."""
    return _dec._solve_ex(A, B, left=left, check_errors=check_errors)


def cross(input, other, *, dim=-1) -> Tensor:  # noqa: A002 - torch's name
    """Cross product of 3-vectors along `dim` (broadcasting the others)."""
    return _products._cross(input, other, dim, "linalg.cross")


def vecdot(x, y, *, dim=-1) -> Tensor:
    """sum(x * y, dim) (conj(x) for complex)."""
    _dec._check_float(x, "linalg.vecdot")
    if x.dtype is not y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found "
                           f"x of type {_dec._legacy(x)} and y of type {_dec._legacy(y)} "
                           "instead")
    if x.shape[dim] != y.shape[dim]:
        n, m = x.shape[dim], y.shape[dim]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to "
                           f"have the same number of elements, but got {n} and {m} elements "
                           "respectively")
    if x._data.dtype.kind == "c":
        x = x.conj()
    return (x * y).sum(dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1) -> Tensor:  # noqa: N803
    """A view of the diagonals of the matrices over (dim1, dim2), `offset` above the main."""
    from .views import diagonal as _diagonal
    return _diagonal(A, offset, dim1, dim2)


def multi_dot(tensors) -> Tensor:
    """Product of matrices in the cheapest order; the first (last) may be a vector."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0].ndim == 1, tensors[-1].ndim == 1
    if tensors[0].ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got "
                           f"{tensors[0].ndim}D")
    if tensors[-1].ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got "
                           f"{tensors[-1].ndim}D")
    for i, t in enumerate(tensors[1:-1], start=1):
        if t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    if first:
        tensors[0] = tensors[0].unsqueeze(0)
    if last:
        tensors[-1] = tensors[-1].unsqueeze(-1)
    out = _products.multi_dot_chain(tensors)
    shape = tuple(out.shape)
    if first:
        shape = shape[1:]
    if last:
        shape = shape[:-1]
    return out.view(shape) if shape != tuple(out.shape) else out
