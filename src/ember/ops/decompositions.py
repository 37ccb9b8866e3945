"""Matrix decompositions and the functions built on them: det, slogdet, inv, solve,
cholesky, qr, svd, eigh, pinv, lstsq (the forwards of `ember.linalg`).

Every forward is one batched numpy.linalg call on arrays of shape (*, m, n). Every
backward is written with ember ops (matmul, the inverse and solve defined here), so
double backward works. The public names here are the ones torch has at top level
(`ember.det`, `ember.inverse`, `ember.logdet`, `ember.cholesky`, `ember.svd`,
`ember.qr`); `ember.linalg` reaches the rest through the underscore functions.

Notation in the backward formulas: A is the input, G the upstream gradient of the
output, X^T the transpose of the last two dims; for complex inputs read X^H (the code's
`_mH` conjugates them), as torch writes its formulas.
"""

from __future__ import annotations

import warnings
from collections import namedtuple

import numpy as np

from ..autograd import grad_mode
from ..tensor import Tensor
from .primitive import Primitive

__all__ = ["cholesky", "cholesky_inverse", "cholesky_solve", "det", "inverse", "logdet",
           "matrix_exp", "matrix_power", "pinverse", "qr", "slogdet", "svd"]

TENSOR_METHODS = tuple(__all__)


class _LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a decomposition failed on its input's values."""


def _return_type(name: str, fields):
    base = namedtuple(name, fields)

    def __repr__(self):  # noqa: N807
        inner = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"ember.return_types.{name}(\n{inner})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__})


slogdet_result = _return_type("linalg_slogdet", ("sign", "logabsdet"))
inv_ex_result = _return_type("linalg_inv_ex", ("inverse", "info"))
qr_result = _return_type("linalg_qr", ("Q", "R"))
svd_result = _return_type("linalg_svd", ("U", "S", "Vh"))
eigh_result = _return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
eig_result = _return_type("linalg_eig", ("eigenvalues", "eigenvectors"))
lstsq_result = _return_type("linalg_lstsq", ("solution", "residuals", "rank",
                                             "singular_values"))
torch_svd_result = _return_type("svd", ("U", "S", "V"))
torch_qr_result = _return_type("qr", ("Q", "R"))
torch_slogdet_result = _return_type("slogdet", ("sign", "logabsdet"))
solve_ex_result = _return_type("linalg_solve_ex", ("result", "info"))
cholesky_ex_result = _return_type("linalg_cholesky_ex", ("L", "info"))


# ---------------------------------------------------------------------------------------
# argument checks and small helpers

_LEGACY = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
           "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool", "float16": "Half",
           "bfloat16": "BFloat16"}


def _legacy(a: Tensor) -> str:
    return _LEGACY.get(a.dtype.name, a.dtype.name)


def _check_float(a: Tensor, fname: str) -> None:
    if a._data.dtype.kind not in "fc" or a.dtype.name == "float16":
        raise RuntimeError(f"{fname}: Expected a floating point or complex tensor as input. "
                           f"Got {_LEGACY.get(a.dtype.name, a.dtype.name)}")


def _check_float_or_double(a: Tensor) -> None:
    if a._data.dtype.kind not in "fc" or a.dtype.name == "float16":
        raise RuntimeError("This function doesn't handle types other than float and double")


def _check_square(a: Tensor, fname: str, arg: str = "A") -> None:
    if a.ndim < 2:
        raise RuntimeError(f"{fname}: The input tensor {arg} must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{fname}: {arg} must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")


def _check_matrix(a: Tensor, fname: str) -> None:
    if a.ndim < 2:
        raise RuntimeError(f"{fname}: The input tensor A must have at least 2 dimensions.")


def _batch_prefix(a, index) -> str:
    return "" if a.ndim == 2 else f"(Batch element {index}): "


def _first_zero_pivot(m: np.ndarray) -> int:
    """LAPACK getrf's `info`: 1-based index of the first exactly-zero pivot of LU with
    partial pivoting (0 if none). Only run once numpy has said the matrix is singular."""
    u = np.array(m, dtype=np.float64 if m.dtype.kind == "f" else np.complex128)
    n = u.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(u[k:, k])))
        if u[p, k] == 0:
            return k + 1
        u[[k, p]] = u[[p, k]]
        u[k + 1:, k:] -= np.outer(u[k + 1:, k] / u[k, k], u[k, k:])
    return 0


def _singular_batch(a: np.ndarray):
    """(batch index, info) of the first matrix of `a` with an exactly-zero LU pivot."""
    flat = a.reshape((-1,) + a.shape[-2:])
    for i, m in enumerate(flat):
        info = _first_zero_pivot(m)
        if info:
            return i, info
    return 0, a.shape[-1]


def _real(dtype) -> np.dtype:
    return np.empty(0, dtype).real.dtype


def _eye_like(a: Tensor, n: int | None = None) -> Tensor:
    n = a.shape[-1] if n is None else n
    return Tensor._make(np.eye(n, dtype=a._data.dtype))


def _diag_embed(v: Tensor) -> Tensor:
    """(*, n) -> (*, n, n) with v on the diagonal (differentiable)."""
    return v.unsqueeze(-1) * _eye_like(v, v.shape[-1])


def _diagonal(x: Tensor) -> Tensor:
    """The main diagonal of the last two dims (differentiable)."""
    from .linalg import einsum
    return einsum("...ii->...i", x)


def _mask(x: Tensor, lower: bool, k: int = 0) -> Tensor:
    """tril (lower) or triu of the last two dims, as a product with a constant mask."""
    m, n = x.shape[-2], x.shape[-1]
    ones = np.ones((m, n), dtype=x._data.dtype)
    return x * Tensor._make(np.tril(ones, k) if lower else np.triu(ones, k))


def _mH(x: Tensor) -> Tensor:  # noqa: N802
    """The conjugate transpose of the last two dims (the transpose for real tensors)."""
    x = x.transpose(-2, -1)
    return x.conj() if x._data.dtype.kind == "c" else x


def _mm(a: Tensor, b: Tensor) -> Tensor:
    from .linalg import matmul
    return matmul(a, b)


# ---------------------------------------------------------------------------------------
# det, slogdet, logdet


class Det(Primitive):
    """det(A): (*, n, n) -> (*). Gradient G * conj(det(A)) * A^-H (A^-T for real A)."""

    grad_fn_name = "LinalgDetBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(self, a):
        return np.asarray(np.linalg.det(a), dtype=a.dtype)

    def backward(self, grad):
        a, d = self.saved_tensors
        singular = d._data == 0
        if singular.any():
            # torch solves A^T X = diag(G det) and gets 0 where det is exactly 0; invert
            # identities there instead so the rest of the batch keeps its graph
            from .elementwise import where
            mask = Tensor._make(np.asarray(singular)[..., None, None])
            a = where(mask, _eye_like(a), a)
        if d._data.dtype.kind == "c":
            d = d.conj()
        return (grad * d).unsqueeze(-1).unsqueeze(-1) * _mH(_inverse(a))


def det(input) -> Tensor:
    """Determinant of each square matrix of `input` (*, n, n) -> (*)."""
    _check_square(input, "linalg.det")
    _check_float(input, "linalg.det")
    return Det.apply(input)


class Slogdet(Primitive):
    """(sign, log|det|) of (*, n, n). Gradient of logabsdet: G * A^-T; sign has none."""

    grad_fn_name = "LinalgSlogdetBackward0"
    save_inputs = (0,)
    save_output = True  # sign
    num_outputs = 2

    def forward(self, a):
        sign, logabs = np.linalg.slogdet(a)
        return np.asarray(sign, a.dtype), np.asarray(logabs, _real(a.dtype))

    def backward(self, grad_sign, grad_logabs):
        a, sign = self.saved_tensors
        g = grad_logabs
        if a._data.dtype.kind == "c" and grad_sign is not None:
            # only the phase of sign moves: its gradient enters as an imaginary part
            phase = (grad_sign.conj() * sign).imag * Tensor._make(np.array(-1j, a._data.dtype))
            g = phase if g is None else g + phase
        if g is None:
            return (None,)
        return g.unsqueeze(-1).unsqueeze(-1) * _mH(_inverse(a))


def _slogdet(A) -> tuple:
    _check_square(A, "linalg.slogdet")
    _check_float(A, "linalg.slogdet")
    return slogdet_result(*Slogdet.apply(A))


def slogdet(input) -> tuple:
    """torch.slogdet: (sign, logabsdet), as linalg.slogdet."""
    return torch_slogdet_result(*_slogdet(input))


def logdet(input) -> Tensor:
    """log(det(A)): nan for a negative determinant, -inf for a singular matrix."""
    _check_square(input, "logdet")
    _check_float(input, "logdet")
    from .elementwise import where
    sign, logabs = Slogdet.apply(input)
    nan = Tensor._make(np.array(np.nan, dtype=input._data.dtype))
    return where(sign == -1, nan, logabs)  # WhereBackward0, as torch


# ---------------------------------------------------------------------------------------
# inverse and solve


class Inverse(Primitive):
    """A^-1 of (*, n, n). Gradient -A^-T G A^-T."""

    grad_fn_name = "LinalgInvExBackward0"
    save_output = True

    def forward(self, a, fname="linalg.inv"):
        try:
            return np.linalg.inv(a)
        except np.linalg.LinAlgError:
            index, info = _singular_batch(a)
            raise _LinAlgError(
                f"{fname}: {_batch_prefix(a, index)}The diagonal element {info} is zero, "
                "the inversion could not be completed because the input matrix is "
                "singular.") from None

    def backward(self, grad):
        (inv,) = self.saved_tensors
        inv_t = _mH(inv)
        return -_mm(_mm(inv_t, grad), inv_t)


def _inverse(a: Tensor) -> Tensor:
    _check_square(a, "linalg.inv")
    _check_float(a, "linalg.inv")
    return Inverse.apply(a)


def inverse(input) -> Tensor:
    """Inverse of each square matrix of `input` (torch.inverse = linalg.inv)."""
    return _inverse(input)


def _inv_ex(A, *, check_errors=False) -> tuple:
    """(inverse, info): info is 0, or the LAPACK index of a zero pivot (int32)."""
    _check_square(A, "linalg.inv")
    _check_float(A, "linalg.inv")
    info = np.zeros(A.shape[:-2], dtype=np.int32)
    flat = A._data.reshape((-1,) + tuple(A.shape[-2:]))
    singular = False
    for i, m in enumerate(flat):
        if m.size and np.linalg.matrix_rank(m) < m.shape[0]:
            info.reshape(-1)[i] = _first_zero_pivot(m)
            singular = singular or bool(info.reshape(-1)[i])
    if singular:
        if check_errors:
            return Inverse.apply(A, fname="linalg.inv_ex")  # raises torch's error
        # what LAPACK leaves: the LU solve against the identity, with IEEE infinities
        eye = np.eye(A.shape[-1], dtype=A._data.dtype)
        out = np.stack([_lu_solve_ieee(m, eye, transpose=False)[0] for m in flat])
        return inv_ex_result(Tensor._make(out.reshape(A.shape)), Tensor._make(info))
    return inv_ex_result(Inverse.apply(A), Tensor._make(info))


class Solve(Primitive):
    """X with A X = B (left) or X A = B; A (*, n, n), B (*, n, k) or (*, n) (left) and
    B (*, k, n) (right).

    Gradients (left): gB = A^-T G (one more solve), gA = -gB X^T.
    (right): gB = G A^-T, gA = -X^T gB.
    """

    grad_fn_name = "LinalgSolveExBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(self, a, b, vector, left=True):
        self.vector, self.left = vector, left
        try:
            if vector:
                return np.linalg.solve(a, b[..., None])[..., 0]
            if not left:
                return np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)
                                       ).swapaxes(-1, -2)
            return np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise _LinAlgError("torch.linalg.solve: The solver failed because the input "
                               "matrix is singular.") from None

    def backward(self, grad):
        a, x = self.saved_tensors
        gb = Solve.apply(_mH(a), grad, vector=self.vector, left=self.left)
        if not a._requires_grad:
            return None, gb
        if self.vector:
            ga = -gb.unsqueeze(-1) * x.unsqueeze(-2)
        elif self.left:
            ga = -_mm(gb, _mH(x))
        else:
            ga = -_mm(_mH(x), gb)
        return ga, gb


def _solve(A, B, *, left=True) -> Tensor:  # noqa: N803
    _check_square(A, "linalg.solve")
    _check_float(A, "linalg.solve")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {_legacy(A)} and B of type {_legacy(B)} instead")
    # torch treats B as a batch of vectors when it has one dim fewer than A (left only)
    vector = left and (B.ndim == 1 or (B.ndim == A.ndim - 1
                                       and tuple(B.shape) == tuple(A.shape[:-1])))
    n = A.shape[-1]
    k_dim = -1 if vector or not left else -2
    if B.shape[k_dim] != n:
        b_dims = (B.shape[-1], 1) if vector else B.shape[-2:]
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({A.shape[-2]}x{n} and "
                           f"{'x'.join(map(str, b_dims))})")
    batch = np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-1 if vector else -2]))
    A = A.expand(batch + tuple(A.shape[-2:]))
    B = B.expand(batch + tuple(B.shape[-1 if vector else -2:]))
    return Solve.apply(A, B, vector=vector, left=left)


def _solve_ex(A, B, *, left=True, check_errors=False) -> tuple:  # noqa: N803
    try:
        return solve_ex_result(_solve(A, B, left=left),
                               Tensor._make(np.zeros(A.shape[:-2], np.int32)))
    except _LinAlgError as err:
        if check_errors:
            raise _LinAlgError(str(err).replace("linalg.solve:", "linalg.solve_ex:")) from None
    vector = left and (B.ndim == 1 or (B.ndim == A.ndim - 1
                                       and tuple(B.shape) == tuple(A.shape[:-1])))
    # X A = B is solved as A^T X^T = B^T with A's own LU (LAPACK getrs, trans='T')
    b = B._data[..., None] if vector else (B._data if left else np.swapaxes(B._data, -1, -2))
    a = A._data
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:]).reshape((-1,) + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
    info = np.zeros(batch, np.int32)
    out = np.empty_like(b)
    for i in range(a.shape[0]):
        out[i], info.reshape(-1)[i] = _lu_solve_ieee(a[i], b[i], transpose=not left)
    out = out.reshape(batch + b.shape[-2:])
    out = out[..., 0] if vector else (out if left else np.swapaxes(out, -1, -2))
    return solve_ex_result(Tensor._make(np.ascontiguousarray(out)), Tensor._make(info))


def _lu_solve_ieee(a: np.ndarray, b: np.ndarray, transpose: bool):
    """LAPACK's getrf + getrs on one (possibly singular) system, as IEEE arithmetic
    makes them: a zero pivot is recorded in info and later divisions give inf / nan.
    Solves A x = b, or A^T x = b when `transpose`."""
    u, y = np.array(a), np.array(b)
    n, info, swaps = u.shape[0], 0, []
    for k in range(n):  # getf2: A = P L U, L unit lower, both stored in u
        p = k + int(np.argmax(np.abs(u[k:, k])))
        swaps.append(p)
        if u[p, k] != 0:
            u[[k, p]] = u[[p, k]]
            u[k + 1:, k] /= u[k, k]
        elif not info:
            info = k + 1
        u[k + 1:, k + 1:] -= np.outer(u[k + 1:, k], u[k, k + 1:])
    if not transpose:
        for k, p in enumerate(swaps):
            y[[k, p]] = y[[p, k]]
        for k in range(n):  # L y = P^T b
            y[k + 1:] -= np.outer(u[k + 1:, k], y[k])
        for j in range(n - 1, -1, -1):  # U x = y, column by column like trsm
            y[j] /= u[j, j]
            y[:j] -= np.outer(u[:j, j], y[j])
        return y, info
    for j in range(n):  # U^T z = b
        y[j] /= u[j, j]
        y[j + 1:] -= np.outer(u[j, j + 1:], y[j])
    for j in range(n - 1, -1, -1):  # L^T w = z
        y[:j] -= np.outer(u[j, :j], y[j])
    for k in range(n - 1, -1, -1):  # x = P w
        p = swaps[k]
        y[[k, p]] = y[[p, k]]
    return y, info


class Identity(Primitive):
    """Identity matrices shaped like A (matrix_power(A, 0)): a copy of `eye` into a new
    tensor in torch, so the gradient with respect to A is zero."""

    grad_fn_name = "torch::autograd::CopyBackwards"

    def forward(self, a):
        return np.array(np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape))

    def backward(self, grad):
        return grad * 0


def matrix_power(input, n: int) -> Tensor:
    """input^n for square matrices (*, k, k): repeated squaring; n < 0 inverts first."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not "
                        f"{type(n).__name__}")
    _check_square(input, "linalg.matrix_power")
    if n == 0:
        return Identity.apply(input)
    a = input
    if n < 0:
        a = _inverse(input)
        if n == -1:
            return a
        n = -n
    if n == 1:
        return a.clone()
    result = None
    while n:
        if n & 1:
            result = a if result is None else _mm(result, a)
        n >>= 1
        if n:
            a = _mm(a, a)
    return result


# ---------------------------------------------------------------------------------------
# matrix exponential

# Higham (2005), "The scaling and squaring method for the matrix exponential revisited":
# the degree-13 Pade approximant is accurate to double precision for ||A||_1 <= theta_13.
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _expm(a: np.ndarray) -> np.ndarray:
    """exp of each matrix of a (*, n, n): scaling, Pade 13, squaring, in double precision."""
    work = a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)
    norm = np.abs(work).sum(-2).max(-1) if work.shape[-1] else np.zeros(work.shape[:-2])
    squarings = np.maximum(0, np.ceil(np.log2(np.maximum(norm, 1e-300) / _THETA13)))
    squarings = squarings.astype(np.int64)
    work = work / (2.0 ** squarings)[..., None, None]
    b = _PADE13
    eye = np.eye(work.shape[-1], dtype=work.dtype)
    a2 = work @ work
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = work @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4
                + b[3] * a2 + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
        + b[0] * eye
    r = np.linalg.solve(v - u, v + u)
    for step in range(int(squarings.max()) if squarings.size else 0):
        r = np.where((squarings > step)[..., None, None], r @ r, r)
    return r.astype(a.dtype)


class MatrixExp(Primitive):
    """exp(A) = sum A^k / k! of square matrices (*, n, n).

    Gradient: the upper-right block of exp([[A^H, G], [0, A^H]]) (the Frechet derivative
    of exp at A^H applied to G), itself a matrix_exp, so double backward works.
    """

    grad_fn_name = "LinalgMatrixExpBackward0"
    save_inputs = (0,)

    def forward(self, a):
        return _expm(a)

    def backward(self, grad):
        (a,) = self.saved_tensors
        from .shape import cat
        n = a.shape[-1]
        a_h = _mH(a)
        zeros = a_h * 0
        block = cat([cat([a_h, grad], dim=-1), cat([zeros, a_h], dim=-1)], dim=-2)
        return MatrixExp.apply(block)[..., :n, n:]


def matrix_exp(input) -> Tensor:
    """The matrix exponential of each square matrix of `input`."""
    _check_square(input, "linalg.matrix_exp")
    _check_float(input, "linalg.matrix_exp")
    return MatrixExp.apply(input)


# ---------------------------------------------------------------------------------------
# cholesky


class Cholesky(Primitive):
    """L with A = L L^T (lower) for symmetric positive-definite A (*, n, n).

    Gradient (torch's cholesky_backward): P = tril(L^T G) with its diagonal halved,
    symmetrized, then gA = L^-T P L^-1.
    """

    save_output = True

    def forward(self, a, upper, name, fname):
        self.grad_fn_name, self.upper = name, upper
        try:
            low = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            index, order = _not_pd(a)
            raise _LinAlgError(
                f"{fname}: {_batch_prefix(a, index)}The factorization could not be completed "
                "because the input is not positive-definite (the leading minor of order "
                f"{order} is not positive-definite).") from None
        return np.ascontiguousarray(np.swapaxes(low, -1, -2).conj()) if upper else low

    def backward(self, grad):
        (out,) = self.saved_tensors
        low, g = (_mH(out), _mH(grad)) if self.upper else (out, grad)
        phi = _mask(_mm(_mH(low), g), lower=True)
        phi = 0.5 * (phi + _mH(_mask(phi, lower=True, k=-1)))
        inv_low = _inverse(low)
        return _mm(_mm(_mH(inv_low), phi), inv_low)


def _not_pd(a: np.ndarray):
    """(batch index, order of the first leading minor that is not positive-definite)."""
    flat = a.reshape((-1,) + a.shape[-2:])
    for i, m in enumerate(flat):
        for k in range(1, m.shape[0] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                return i, k
    return 0, a.shape[-1]


def _cholesky(A, *, upper=False) -> Tensor:
    _check_square(A, "linalg.cholesky")
    _check_float(A, "linalg.cholesky")
    return Cholesky.apply(A, upper=upper, name="LinalgCholeskyExBackward0",
                          fname="linalg.cholesky")


def cholesky(input, upper=False) -> Tensor:
    """torch.cholesky (deprecated in torch, same factor as linalg.cholesky)."""
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be "
                  "removed in a future PyTorch release.", UserWarning, stacklevel=2)
    _check_square(input, "cholesky")
    _check_float(input, "cholesky")
    return Cholesky.apply(input, upper=upper, name="CholeskyBackward0", fname="cholesky")


# ---------------------------------------------------------------------------------------
# triangular solves and solves with a Cholesky factor


class SolveTriangular(Primitive):
    """X with A X = B (left) or X A = B, reading only A's upper or lower triangle (and
    taking its diagonal as ones when unitriangular).

    Gradients: gB = A^-H G (left) or G A^-H (right), a triangular solve with the other
    triangle; gA = -gB X^H (left) or -X^H gB (right), kept on A's triangle.
    """

    grad_fn_name = "LinalgSolveTriangularBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(self, a, b, upper, left, unitriangular):
        self.upper, self.left, self.unitriangular = upper, left, unitriangular
        tri = np.triu(a) if upper else np.tril(a)
        if unitriangular:
            np.einsum("...ii->...i", tri)[...] = 1
        if left:
            return np.linalg.solve(tri, b)
        return np.swapaxes(np.linalg.solve(np.swapaxes(tri, -1, -2), np.swapaxes(b, -1, -2)),
                           -1, -2)

    def backward(self, grad):
        a, x = self.saved_tensors
        gb = SolveTriangular.apply(_mH(a), grad, upper=not self.upper, left=self.left,
                                   unitriangular=self.unitriangular)
        if not a._requires_grad:
            return None, gb
        ga = -_mm(gb, _mH(x)) if self.left else -_mm(_mH(x), gb)
        k = 1 if self.unitriangular else 0
        ga = _mask(ga, lower=False, k=k) if self.upper else _mask(ga, lower=True, k=-k)
        return ga, gb


def _solve_triangular(A, B, *, upper, left=True, unitriangular=False) -> Tensor:  # noqa: N803
    _check_float(A, "linalg.solve_triangular")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve_triangular: Expected A and B to have the same dtype, "
                           f"but found A of type {_legacy(A)} and B of type {_legacy(B)} "
                           "instead")
    _check_square(A, "linalg.solve_triangular")
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation {'AX = B' if left else 'XA = B'} ({A.shape[-2]}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    batch = np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    A = A.expand(batch + tuple(A.shape[-2:]))
    B = B.expand(batch + tuple(B.shape[-2:]))
    return SolveTriangular.apply(A, B, upper=upper, left=left, unitriangular=unitriangular)


class CholeskySolve(Primitive):
    """X with (L L^H) X = B for a Cholesky factor L (U^H U with upper=True).

    Gradients (torch's cholesky_solve_backward): gB = cholesky_solve(G, L);
    with C = gB X^H + X gB^H, gL = -C L (lower) or -L C (upper).
    """

    grad_fn_name = "CholeskySolveBackward0"
    save_inputs = (1,)
    save_output = True

    def forward(self, b, factor, upper):
        self.upper = upper
        # LAPACK's potrs reads only the factor's triangle (torch's backward, though,
        # uses the whole matrix as given, which `backward` below follows)
        factor = np.triu(factor) if upper else np.tril(factor)
        full = (np.swapaxes(factor, -1, -2).conj() @ factor if upper
                else factor @ np.swapaxes(factor, -1, -2).conj())
        return np.linalg.solve(full, b)

    def backward(self, grad):
        factor, x = self.saved_tensors
        gb = CholeskySolve.apply(grad, factor, upper=self.upper)
        if not factor._requires_grad:
            return gb, None
        common = _mm(gb, _mH(x))
        common = common + _mH(common)
        return gb, (-_mm(factor, common) if self.upper else -_mm(common, factor))


def cholesky_solve(input, input2, upper=False) -> Tensor:
    """Solve A X = input given A's Cholesky factor `input2` (lower, or upper if asked)."""
    if input.ndim < 2 or input2.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {input.ndim} "
                           "dimensions instead" if input.ndim < 2 else
                           f"u should have at least 2 dimensions, but has {input2.ndim} "
                           "dimensions instead")
    if input.dtype is not input2.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_legacy(input)} and A of type {_legacy(input2)} instead.")
    batch = np.broadcast_shapes(tuple(input.shape[:-2]), tuple(input2.shape[:-2]))
    b = input.expand(batch + tuple(input.shape[-2:]))
    factor = input2.expand(batch + tuple(input2.shape[-2:]))
    return CholeskySolve.apply(b, factor, upper=upper)


class CholeskyInverse(Primitive):
    """(L L^H)^-1 from a Cholesky factor. Gradient: with C = A^-1 (G + G^H) A^-1,
    gL = -C L (lower) or -L C (upper)."""

    grad_fn_name = "CholeskyInverseBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(self, factor, upper):
        self.upper = upper
        full = (np.swapaxes(factor, -1, -2).conj() @ factor if upper
                else factor @ np.swapaxes(factor, -1, -2).conj())
        return np.linalg.inv(full)

    def backward(self, grad):
        factor, inv = self.saved_tensors
        common = _mm(inv, _mm(grad + _mH(grad), inv))
        return -_mm(factor, common) if self.upper else -_mm(common, factor)


def cholesky_inverse(input, upper=False) -> Tensor:
    """The inverse of A from its Cholesky factor `input`."""
    _check_square(input, "cholesky_inverse")
    return CholeskyInverse.apply(input, upper=upper)


# ---------------------------------------------------------------------------------------
# qr


class QR(Primitive):
    """A = QR, A (*, m, n), numpy's Householder QR (LAPACK geqrf, like torch's).

    Gradient for m >= n (reduced): M = R G_R^T - G_Q^T Q,
    gA = (G_Q + Q copyltu(M)) R^-T with copyltu(M) = tril(M) + tril(M, -1)^T.
    For m < n, A = [X | Y] with X square: gY = Q G_R[:, m:], and X gets the square
    case with G_Q + Y G_R[:, m:]^T.
    """

    grad_fn_name = "LinalgQrBackward0"
    save_output = True

    def forward(self, a, mode):
        self.mode = mode
        self.num_outputs = 1 if mode == "r" else 2
        q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        self.r = None
        if mode == "r":
            return np.ascontiguousarray(r)
        return q, r

    def _record(self, out, inputs):
        result = super()._record(out, inputs)
        if type(result) is tuple:
            self.save_for_backward(*result)  # both Q and R
        return result

    def backward(self, grad_q, grad_r=None):
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not "
                               "computed when mode='r'. Please use linalg.qr(A, mode='reduced')"
                               " if you are going to differentiate through linalg.qr.")
        q, r = self.saved_tensors
        m, n = q.shape[-2], r.shape[-1]
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete'"
                               " and nrows > ncols.")
        if grad_q is None:
            grad_q = q * 0
        if grad_r is None:
            grad_r = r * 0
        if m >= n:
            return _qr_backward_tall(q, r, grad_q, grad_r)
        x_r, y = r[..., :, :m], r[..., :, m:]
        gy = grad_r[..., :, m:]
        y_a = _mm(q, y)
        gq = grad_q + _mm(y_a, _mH(gy))
        gx = _qr_backward_tall(q, x_r, gq, grad_r[..., :, :m])
        from .shape import cat
        return cat([gx, _mm(q, gy)], dim=-1)


def _qr_backward_tall(q, r, gq, gr):
    m_ = _mm(r, _mH(gr)) - _mm(_mH(gq), q)
    below = _mask(m_, lower=True, k=-1)
    diag = _diagonal(m_)
    if diag._data.dtype.kind == "c":
        diag = diag.real.to(m_.dtype)  # M's imaginary diagonal is not determined by A
    copyltu = below + _mH(below) + _diag_embed(diag)
    rhs = gq + _mm(q, copyltu)
    # rhs R^-H: solve R X^H = rhs^H
    return _mH(_solve(r, _mH(rhs)))


def _qr(A, mode="reduced") -> tuple:
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    _check_matrix(A, "linalg.qr")
    _check_float(A, "linalg.qr")
    m, n = A.shape[-2], A.shape[-1]
    if mode == "r":
        r = QR.apply(A, mode="r")
        return qr_result(Tensor._make(np.empty((0,), A._data.dtype)), r)
    if A._data.size == 0:
        k = m if mode == "complete" else min(m, n)
        q = np.zeros(A.shape[:-2] + (m, k), A._data.dtype)
        if mode == "complete":
            q[...] = np.eye(m, dtype=q.dtype)
        r = np.zeros(A.shape[:-2] + (k, n), A._data.dtype)
        return qr_result(Tensor._make(q), Tensor._make(r))
    return qr_result(*QR.apply(A, mode=mode))


def qr(input, some=True) -> tuple:
    """torch.qr: `some=True` is linalg.qr's 'reduced', False its 'complete'."""
    if input.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    return torch_qr_result(*_qr(input, "reduced" if some else "complete"))


# ---------------------------------------------------------------------------------------
# svd


class SVD(Primitive):
    """A = U diag(S) Vh, A (*, m, n), k = min(m, n).

    Gradient (torch's svd_backward, reduced SVD), with E_ij = S_j^2 - S_i^2 (i != j)
    and skew(X) = X - X^T:
    gA = U [(skew(U^T G_U) / E) S + S (skew(V^T G_V) / E) + diag(G_S)] Vh
         + (I - U U^T) G_U S^-1 Vh + U S^-1 G_V^T (I - V V^T).
    It depends only on the subspaces for a gauge-invariant loss. With full_matrices, the
    columns of U (rows of Vh) past k are arbitrary and, as in torch, get no gradient.
    """

    grad_fn_name = "LinalgSvdBackward0"

    def forward(self, a, full_matrices, compute_uv):
        self.full_matrices, self.compute_uv = full_matrices, compute_uv
        self.num_outputs = 3 if compute_uv else 1
        if not compute_uv:
            return np.asarray(np.linalg.svd(a, compute_uv=False), _real(a.dtype))
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        return u, np.asarray(s, _real(a.dtype)), vh

    def _record(self, out, inputs):
        result = super()._record(out, inputs)
        self.save_for_backward(*result)
        return result

    def backward(self, *grads):
        u, s, vh = self.saved_tensors
        gu, gs, gvh = grads
        return (_svd_backward(u, s, vh, gu, gs, gvh),)


def _svd_backward(u, s, vh, gu, gs, gvh):
    k = s.shape[-1]
    u, vh = u[..., :, :k], vh[..., :k, :]
    if gu is not None:
        gu = gu[..., :, :k]
    if gvh is not None:
        gvh = gvh[..., :k, :]
    if gu is None and gvh is None:
        return _mm(u * gs.unsqueeze(-2).to(u.dtype), vh) if gs is not None else None
    v = _mH(vh)
    s2 = s * s
    e = s2.unsqueeze(-2) - s2.unsqueeze(-1)  # E_ij = S_j^2 - S_i^2
    e = e + _eye_like(s, k)
    inner = _diag_embed(gs).to(u.dtype) if gs is not None else 0
    if gu is not None:
        utgu = _mm(_mH(u), gu)
        inner = inner + ((utgu - _mH(utgu)) / e) * s.unsqueeze(-2)
    if gvh is not None:
        gv = _mH(gvh)
        vtgv = _mm(vh, gv)
        inner = inner + s.unsqueeze(-1) * ((vtgv - _mH(vtgv)) / e)
    if u._data.dtype.kind == "c":
        # skew(X) has an imaginary diagonal for complex X, and E's diagonal is a
        # placeholder: drop those entries; the phase of each singular pair instead
        # contributes i Im(diag(U^H G_U)) / S (Wan & Zhang, complex SVD backward)
        off = 1 - _eye_like(u, k)
        inner = inner * off + (_diag_embed(gs).to(u.dtype) if gs is not None else 0) * 0
        if gu is not None:
            phase = _diagonal(utgu).imag / s
            inner = inner + _diag_embed(phase).to(u.dtype) * Tensor._make(
                np.array(1j, u._data.dtype))
        if gs is not None:
            inner = inner + _diag_embed(gs).to(u.dtype)
    ga = _mm(_mm(u, inner), vh)
    m, n = u.shape[-2], v.shape[-2]
    if gu is not None and m > k:
        proj = gu - _mm(u, _mm(_mH(u), gu))
        ga = ga + _mm(proj / s.unsqueeze(-2), vh)
    if gvh is not None and n > k:
        gv = _mH(gvh)
        proj = gv - _mm(v, _mm(vh, gv))
        ga = ga + _mm(u, _mH(proj / s.unsqueeze(-2)))
    return ga


def _svd(A, full_matrices=True) -> tuple:
    if A.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    _check_float(A, "linalg.svd")
    if A._data.size == 0:
        m, n = A.shape[-2], A.shape[-1]
        k = min(m, n)
        um, vn = (m, n) if full_matrices else (k, k)
        b = tuple(A.shape[:-2])
        dt = A._data.dtype
        u = np.zeros(b + (m, um), dt)
        vh = np.zeros(b + (vn, n), dt)
        if full_matrices:
            u[...] = np.eye(m, dtype=dt)
            vh[...] = np.eye(n, dtype=dt)
        return svd_result(Tensor._make(u), Tensor._make(np.zeros(b + (k,), dt)),
                          Tensor._make(vh))
    return svd_result(*SVD.apply(A, full_matrices=full_matrices, compute_uv=True))


def _svdvals(A) -> Tensor:
    if A.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    _check_float(A, "linalg.svd")
    if A._requires_grad and grad_mode._enabled:
        # the gradient needs U and Vh as functions of A (for double backward too)
        return SVD.apply(A, full_matrices=False, compute_uv=True)[1]
    return SVD.apply(A, full_matrices=False, compute_uv=False)


def svd(input, some=True, compute_uv=True) -> tuple:
    """torch.svd: returns V (not Vh); `some=True` is the reduced SVD."""
    if input.ndim < 2:
        raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but has "
                           f"{input.ndim} dimensions instead")
    u, s, vh = _svd(input, full_matrices=not some)
    if not compute_uv:  # torch returns zero-filled full-size U and V
        dt, b = input._data.dtype, tuple(input.shape[:-2])
        m, n = input.shape[-2], input.shape[-1]
        return torch_svd_result(Tensor._make(np.zeros(b + (m, m), dt)), s,
                                Tensor._make(np.zeros(b + (n, n), dt)))
    return torch_svd_result(u, s, _mH(vh))


# ---------------------------------------------------------------------------------------
# eigh


class Eigh(Primitive):
    """Eigenvalues (ascending) and eigenvectors of symmetric A (*, n, n) read from one
    triangle (UPLO). Gradient: with W = skew-part of Q^T G_Q and E_ij = L_j - L_i,
    gA = Q (W / E + diag(G_L)) Q^T.
    """

    grad_fn_name = "LinalgEighBackward0"

    def forward(self, a, uplo, compute_v):
        self.compute_v = compute_v
        self.num_outputs = 2 if compute_v else 1
        if compute_v:
            w, v = np.linalg.eigh(a, UPLO=uplo)
            return np.asarray(w, _real(a.dtype)), v
        return np.asarray(np.linalg.eigvalsh(a, UPLO=uplo), _real(a.dtype))

    def _record(self, out, inputs):
        result = super()._record(out, inputs)
        self.save_for_backward(*result)
        return result

    def backward(self, *grads):
        w, v = self.saved_tensors
        gw, gv = grads
        inner = _diag_embed(gw).to(v.dtype) if gw is not None else 0
        if gv is not None:
            vtgv = _mm(_mH(v), gv)
            e = w.unsqueeze(-2) - w.unsqueeze(-1) + _eye_like(w, w.shape[-1])
            inner = inner + 0.5 * (vtgv - _mH(vtgv)) / e
        return _mm(_mm(v, inner), _mH(v))


def _eigh(A, UPLO="L", compute_v=True):  # noqa: N803
    _check_square(A, "linalg.eigh")
    _check_float(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    if not compute_v and A._requires_grad and grad_mode._enabled:
        return Eigh.apply(A, uplo=UPLO, compute_v=True)[0]  # the gradient needs Q(A)
    out = Eigh.apply(A, uplo=UPLO, compute_v=compute_v)
    return eigh_result(*out) if compute_v else out


# ---------------------------------------------------------------------------------------
# eig (general, complex results)


def _complex(dtype) -> np.dtype:
    return np.result_type(dtype, np.complex64)


class Eig(Primitive):
    """Eigenvalues L and unit eigenvectors V of a general square A (*, n, n), complex
    (LAPACK geev, as torch). Gradient (torch's linalg_eig_backward), with
    E_ij = conj(L_j - L_i) and W = V^H G_V - V^H V diag(Re(diag(V^H G_V))):
    gA = V^-H (W / E + diag(G_L)) V^H, real part for a real A.
    """

    grad_fn_name = "LinalgEigBackward0"

    def forward(self, a, compute_v):
        self.compute_v = compute_v
        self.num_outputs = 2 if compute_v else 1
        self.real_input = a.dtype.kind != "c"
        cdt = _complex(a.dtype)
        w, v = np.linalg.eig(a)
        if compute_v:
            return w.astype(cdt), v.astype(cdt)
        return w.astype(cdt)

    def _record(self, out, inputs):
        result = super()._record(out, inputs)
        self.save_for_backward(*result)
        return result

    def backward(self, *grads):
        w, v = self.saved_tensors
        gw, gv = grads
        n = w.shape[-1]
        eye = _eye_like(v, n)
        inner = _diag_embed(gw) if gw is not None else v * 0
        if gv is not None:
            vhgv = _mm(_mH(v), gv)
            re_diag = _diagonal(vhgv).real.to(v.dtype)
            vhgv = vhgv - _mm(_mH(v), v * re_diag.unsqueeze(-2))
            e = (w.unsqueeze(-2) - w.unsqueeze(-1)).conj() + eye
            inner = inner + (vhgv / e) * (1 - eye)
        ga = _solve(_mH(v), _mm(inner, _mH(v)))
        return ga.real if self.real_input else ga


def _eig(A, compute_v=True):  # noqa: N803
    _check_square(A, "linalg.eig")
    if A._data.dtype.kind not in "fc":
        raise RuntimeError(f"Unknown Complex ScalarType for {_legacy(A)}")
    if A._data.size == 0:
        cdt = _complex(A._data.dtype)
        w = Tensor._make(np.zeros(A.shape[:-1], cdt))
        return eig_result(w, Tensor._make(np.zeros(A.shape, cdt))) if compute_v else w
    if not compute_v and A._requires_grad and grad_mode._enabled:
        return Eig.apply(A, compute_v=True)[0]  # the gradient needs V(A)
    out = Eig.apply(A, compute_v=compute_v)
    return eig_result(*out) if compute_v else out


# ---------------------------------------------------------------------------------------
# pinv and lstsq


def _pinv_array(a: np.ndarray, atol, rtol, hermitian: bool) -> np.ndarray:
    """Pseudoinverse with torch's cut-off: singular values <= max(atol, rtol * s_max)
    are treated as zero."""
    if hermitian:
        w, v = np.linalg.eigh(a)
        s = np.abs(w)
    else:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
    tol = np.maximum(atol, rtol * smax)
    keep = s > tol
    if hermitian:
        winv = np.where(keep, 1 / np.where(keep, w, 1), 0).astype(a.dtype)
        return (v * winv[..., None, :]) @ np.swapaxes(v, -1, -2).conj()
    sinv = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(a.dtype)
    return (np.swapaxes(vh, -1, -2).conj() * sinv[..., None, :]) @ np.swapaxes(u, -1, -2).conj()


def _pinv_backward(a: Tensor, p: Tensor, g: Tensor) -> Tensor:
    """torch's pinv_backward: the gradient of P = pinv(A) for a rank-preserving change."""
    m, n = a.shape[-2], a.shape[-1]
    p_t, g_t = _mH(p), _mH(g)
    if m <= n:
        k = _mm(g_t, p)
        kp_t = _mm(k, p_t)
        return (-_mH(_mm(p, k)) + kp_t - _mm(_mm(a, p), kp_t)
                + _mm(_mm(p_t, p), g_t - _mm(k, a)))
    k = _mm(p, g_t)
    p_tk = _mm(p_t, k)
    return (-_mH(_mm(k, p)) + _mm(_mm(g_t - _mm(a, k), p), p_t) + p_tk
            - _mm(_mm(p_tk, p), a))


class Pinv(Primitive):
    """Moore-Penrose pseudoinverse (*, m, n) -> (*, n, m)."""

    grad_fn_name = "LinalgPinvBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(self, a, atol, rtol, hermitian):
        return _pinv_array(a, atol, rtol, hermitian)

    def backward(self, grad):
        a, p = self.saved_tensors
        return _pinv_backward(a, p, grad)


def _tolerances(a: Tensor, atol, rtol, rcond=None):
    """torch's defaults: rtol = eps * max(m, n) unless atol > 0 is given."""
    if rcond is not None:
        return 0.0, float(rcond)
    eps = float(np.finfo(a._data.dtype).eps)
    default_rtol = eps * max(a.shape[-2], a.shape[-1])
    if atol is None and rtol is None:
        return 0.0, default_rtol
    if isinstance(atol, Tensor):
        atol = atol._data[..., None]
    if isinstance(rtol, Tensor):
        rtol = rtol._data[..., None]
    if rtol is None:
        rtol = default_rtol if np.all(np.asarray(atol) <= 0) else 0.0
    return (0.0 if atol is None else atol), rtol


def _pinv(A, *, atol=None, rtol=None, hermitian=False, rcond=None) -> Tensor:
    if A.ndim < 2 or A._data.dtype.kind not in "fc":
        shape = ", ".join(map(str, A.shape))
        name = _legacy(A)
        raise RuntimeError(f"linalg.pinv({name}{{[{shape}]}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")
    atol, rtol = _tolerances(A, atol, rtol, rcond)
    return Pinv.apply(A, atol=atol, rtol=rtol, hermitian=hermitian)


def pinverse(input, rcond=1e-15) -> Tensor:
    """torch.pinverse: linalg.pinv with `rcond` as the relative tolerance."""
    return _pinv(input, rtol=rcond)


class Lstsq(Primitive):
    """Least-squares solution X of min ||A X - B|| (minimum norm, via the pseudoinverse)
    and, when the driver reports them, the squared residuals ||A X - B||^2 per column.

    Gradients through X = pinv(A) B: gB = pinv(A)^T G, gA = pinv_backward(G B^T). The
    residuals are a minimum over X, so (envelope theorem) with r = A X - B their
    gradients are 2 r X^T for A and -2 r for B.
    """

    grad_fn_name = "LinalgLstsqBackward0"
    num_outputs = 2

    def forward(self, a, b, rcond, vector, with_residuals):
        self.vector = vector
        self.p = _pinv_array(a, 0.0, rcond, False)
        bm = b[..., None] if vector else b
        x = self.p @ bm
        self.r = a @ x - bm
        res = ((self.r.conj() * self.r).real.sum(-2) if with_residuals
               else np.empty((0,), _real(a.dtype)))
        return (x[..., 0] if vector else x), res

    def _record(self, out, inputs):
        result = super()._record(out, inputs)
        self.save_for_backward(inputs[0], inputs[1], result[0], Tensor._make(self.p),
                               Tensor._make(self.r))
        return result

    def backward(self, grad, grad_res):
        a, b, x, p, r = self.saved_tensors
        if self.vector:
            b, x = b.unsqueeze(-1), x.unsqueeze(-1)
            grad = grad.unsqueeze(-1) if grad is not None else None
        ga = gb = None
        if grad is not None:
            gb = _mm(_mH(p), grad)
            ga = _pinv_backward(a, p, _mm(grad, _mH(b))) if a._requires_grad else None
        if grad_res is not None and grad_res.numel():
            rg = 2 * r * grad_res.unsqueeze(-2).to(r.dtype)
            ga = _mm(rg, _mH(x)) if ga is None else ga + _mm(rg, _mH(x))
            gb = -rg if gb is None else gb - rg
        if gb is not None and self.vector:
            gb = gb.squeeze(-1)
        return ga, gb


def _lstsq(A, B, rcond=None, *, driver=None) -> tuple:
    _check_matrix(A, "torch.linalg.lstsq")
    _check_float_or_double(A)
    vector = B.ndim == A.ndim - 1
    if (B.shape[-1] if vector else B.shape[-2]) != A.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    m, n = A.shape[-2], A.shape[-1]
    eps = float(np.finfo(A._data.dtype).eps)
    rcond = eps * max(m, n) if rcond is None else rcond
    driver = "gelsy" if driver is None else driver
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of "
                           "(gels, gelsy, gelsd, gelss)")
    dt = A._data.dtype
    s = np.asarray(np.linalg.svd(A._data, compute_uv=False), _real(dt))
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
    rank = (s > rcond * smax).sum(-1).astype(np.int64)
    # what each LAPACK driver fills in: gelsy (the CPU default) no residuals and no
    # singular values; gels no rank; residuals only for tall full-rank systems
    with_residuals = driver != "gelsy" and m > n and (driver == "gels" or np.all(rank == n))
    x, residuals = Lstsq.apply(A, B, rcond=rcond, vector=vector,
                               with_residuals=bool(with_residuals))
    empty = Tensor._make(np.empty((0,), _real(dt)))
    rank_t = Tensor._make(np.empty((0,), np.int64)) if driver == "gels" else Tensor._make(rank)
    s_t = Tensor._make(s) if driver in ("gelsd", "gelss") else empty
    return lstsq_result(x, residuals, rank_t, s_t)
