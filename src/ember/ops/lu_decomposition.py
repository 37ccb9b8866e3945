"""LU with partial pivoting: A = P L U (LAPACK getrf's pivots, 1-based int32).

`linalg.lu_factor(_ex)` returns the packed LU (L's strict lower triangle with U on and
above the diagonal) and the pivots, `linalg.lu` the factors P, L, U, `lu_solve` solves
with them; torch's `lu`, `lu_unpack` and `lu_solve` are here too.

Gradients, for dA = P (dL U + L dU): from gA,
gL = tril(P^T gA U^H, -1) and gU = triu(L^H P^T gA); from gL, gU (square A):
gA = P L^-H (tril(L^H gL, -1) + triu(gU U^H)) U^-H. Wide and tall A treat the extra
columns of U (rows of L) as torch's linalg_lu_backward does.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .decompositions import _check_float, _mask, _mH, _mm, _return_type, _solve_triangular
from .primitive import Primitive

__all__ = ["lu", "lu_solve", "lu_unpack"]

TENSOR_METHODS = tuple(name for name in __all__ if name not in {'lu_unpack'})

lu_factor_result = _return_type("linalg_lu_factor", ("LU", "pivots"))
lu_factor_ex_result = _return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
lu_result = _return_type("linalg_lu", ("P", "L", "U"))
lu_unpack_result = _return_type("lu_unpack", ("P", "L", "U"))


def _getrf(a: np.ndarray):
    """Batched LAPACK getf2: (packed LU, 1-based pivots, info) for a (*, m, n)."""
    lu = np.array(a)
    m, n = lu.shape[-2], lu.shape[-1]
    k = min(m, n)
    batch = lu.shape[:-2]
    flat = lu.reshape((-1, m, n))
    pivots = np.zeros((flat.shape[0], k), np.int32)
    info = np.zeros(flat.shape[0], np.int32)
    rows = np.arange(flat.shape[0])
    for j in range(k):
        p = j + np.argmax(np.abs(flat[:, j:, j]), axis=-1)
        pivots[:, j] = p + 1
        top, pivot_rows = flat[rows, j].copy(), flat[rows, p].copy()
        flat[rows, j], flat[rows, p] = pivot_rows, top
        pivot = flat[:, j, j]
        nonzero = pivot != 0
        info[(~nonzero) & (info == 0)] = j + 1
        scale = np.where(nonzero, pivot, 1)
        flat[:, j + 1:, j] = np.where(nonzero[:, None], flat[:, j + 1:, j] / scale[:, None],
                                      flat[:, j + 1:, j])
        flat[:, j + 1:, j + 1:] -= flat[:, j + 1:, j:j + 1] * flat[:, j:j + 1, j + 1:]
    return (flat.reshape(lu.shape), pivots.reshape(batch + (k,)),
            info.reshape(batch))


def _permutation(pivots: np.ndarray, m: int, dtype) -> np.ndarray:
    """P (*, m, m) with A = P L U from 1-based pivots (*, k)."""
    batch = pivots.shape[:-1]
    perm = np.broadcast_to(np.arange(m), batch + (m,)).copy().reshape(-1, m)
    piv = pivots.reshape(-1, pivots.shape[-1]) - 1
    rows = np.arange(perm.shape[0])
    for j in range(piv.shape[1]):
        a, b = perm[rows, j].copy(), perm[rows, piv[:, j]].copy()
        perm[rows, j], perm[rows, piv[:, j]] = b, a
    eye = np.eye(m, dtype=dtype)
    # A[perm] = L U, so column i of P is e_{perm[i]}
    return np.swapaxes(eye[perm], -1, -2).reshape(batch + (m, m))


def _unpack(lu: Tensor, m: int, n: int):
    k = min(m, n)
    low = _mask(lu[..., :, :k], lower=True, k=-1) + Tensor._make(
        np.eye(m, k, dtype=lu._data.dtype))
    up = _mask(lu[..., :k, :], lower=False)
    return low, up


def _lu_backward(p: Tensor, low: Tensor, up: Tensor, g_low, g_up) -> Tensor:
    """gA from the gradients of L (m, k) and U (k, n); P is a constant permutation."""
    m, n = low.shape[-2], up.shape[-1]
    k = min(m, n)
    if m == n:
        inner = 0
        if g_low is not None:
            inner = _mask(_mm(_mH(low), g_low), lower=True, k=-1)
        if g_up is not None:
            inner = inner + _mask(_mm(g_up, _mH(up)), lower=False)
        ga = _solve_triangular(_mH(low), inner, upper=True, unitriangular=True)
        ga = _solve_triangular(_mH(up), ga, upper=False, left=False)
        return _mm(p, ga)
    from .shape import cat
    if m < n:  # wide: U = [U1 | U2]
        u1 = up[..., :, :k]
        ga = _mm(_mH(low), g_low) if g_low is not None else None
        if g_up is not None:
            term = _mm(_mask(g_up, lower=False), _mH(up))
            ga = -term if ga is None else ga - term
        ga = _solve_triangular(_mH(u1), _mask(ga, lower=True, k=-1), upper=False, left=False)
        if g_up is not None:
            ga = cat([ga + _mask(g_up[..., :, :k], lower=False), g_up[..., :, k:]], dim=-1)
        ga = _solve_triangular(_mH(low), ga, upper=True, unitriangular=True)
        if g_up is None:
            ga = cat([ga, up[..., :, k:] * 0], dim=-1)
        return _mm(p, ga)
    l1 = low[..., :k, :]  # tall: L = [L1; L2]
    ga = _mm(g_up, _mH(up)) if g_up is not None else None
    if g_low is not None:
        term = _mm(_mH(low), _mask(g_low, lower=True, k=-1))
        ga = -term if ga is None else ga - term
    ga = _solve_triangular(_mH(l1), _mask(ga, lower=False), upper=True, unitriangular=True)
    if g_low is not None:
        ga = cat([ga + _mask(g_low[..., :k, :], lower=True, k=-1), g_low[..., k:, :]], dim=-2)
    ga = _solve_triangular(_mH(up), ga, upper=False, left=False)
    if g_low is None:
        ga = cat([ga, low[..., k:, :] * 0], dim=-2)
    return _mm(p, ga)


class LuFactor(Primitive):
    """Packed LU of A (*, m, n) (plus pivots and info, not differentiable)."""

    grad_fn_name = "LinalgLuFactorExBackward0"
    num_outputs = 3

    def forward(self, a):
        lu, self.pivots, info = _getrf(a)
        return lu, self.pivots, info

    def _record(self, out, inputs):
        result = super()._record(out, inputs)
        self.save_for_backward(result[0])
        return result

    def backward(self, grad, *_):
        (lu,) = self.saved_tensors
        m, n = lu.shape[-2], lu.shape[-1]
        k = min(m, n)
        p = Tensor._make(_permutation(self.pivots, m, lu._data.dtype))
        low, up = _unpack(lu, m, n)
        g_low = _mask(grad[..., :, :k], lower=True, k=-1)
        g_up = _mask(grad[..., :k, :], lower=False)
        return _lu_backward(p, low, up, g_low, g_up)


class Lu(Primitive):
    """L (*, m, k) and U (*, k, n) of A = P L U (P is returned apart, as a constant)."""

    grad_fn_name = "LinalgLuBackward0"
    num_outputs = 2

    def forward(self, a, lu, pivots):
        self.pivots = pivots
        m, n = a.shape[-2], a.shape[-1]
        k = min(m, n)
        low = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=a.dtype)
        up = np.triu(lu[..., :k, :])
        return low, up

    def _record(self, out, inputs):
        result = super()._record(out, inputs)
        self.save_for_backward(*result)
        return result

    def backward(self, g_low, g_up):
        low, up = self.saved_tensors
        p = Tensor._make(_permutation(self.pivots, low.shape[-2], low._data.dtype))
        return _lu_backward(p, low, up, g_low, g_up)


def _check_lu_input(A, fname) -> None:  # noqa: N803
    if A.ndim < 2:
        raise RuntimeError(f"{fname}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(A.shape)} instead")
    if A._data.dtype.kind not in "fc":
        raise NotImplementedError(f'"lu_cpu" not implemented for \'{_legacy_name(A)}\'')


def _legacy_name(a) -> str:
    return {"int64": "Long", "int32": "Int", "bool": "Bool"}.get(a.dtype.name, a.dtype.name)


def _lu_factor_ex(A, *, pivot=True, check_errors=False) -> tuple:  # noqa: N803
    _check_lu_input(A, "linalg.lu_factor_ex")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu, pivots, info = LuFactor.apply(A)
    if check_errors and info._data.any():
        _raise_singular(info._data, "torch.linalg.lu_factor_ex")
    return lu_factor_ex_result(lu, pivots, info)


def _raise_singular(info: np.ndarray, fname: str) -> None:
    flat = info.reshape(-1)
    index = int(np.flatnonzero(flat)[0])
    prefix = "" if info.ndim == 0 else f"(Batch element {index}): "
    i = int(flat[index])  # torch prints the 1-based info as the index
    raise RuntimeError(f"{fname}: {prefix}U[{i},{i}] is zero and using it on lu_solve would "
                       "result in a division by zero. If you still want to perform the "
                       "factorization, consider calling linalg.lu(A, pivot) or "
                       "linalg.lu_factor_ex(A, pivot)")


def _lu_factor(A, *, pivot=True) -> tuple:  # noqa: N803
    _check_lu_input(A, "linalg.lu_factor")
    lu, pivots, info = _lu_factor_ex(A, pivot=pivot)
    if info._data.any():
        _raise_singular(info._data, "torch.linalg.lu_factor")
    return lu_factor_result(lu, pivots)


def _lu(A, *, pivot=True) -> tuple:  # noqa: N803
    _check_lu_input(A, "linalg.lu")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu_, pivots, _ = _getrf(A._data)
    low, up = Lu.apply(A, lu=lu_, pivots=pivots)
    p = Tensor._make(_permutation(pivots, A.shape[-2], A._data.dtype))
    return lu_result(p, low, up)


class LuSolve(Primitive):
    """X with A X = B (or A^H X = B, X A = B, X A^H = B) given A's packed LU and pivots.

    Gradients: gB is one more solve with the adjoint system; gA follows from X
    (-gB X^H and its variants) and is mapped onto the packed factors by
    gL = tril(P^T gA U^H, -1), gU = triu(L^H P^T gA).
    """

    grad_fn_name = "LinalgLuSolveBackward0"
    save_output = True

    def forward(self, lu, pivots, b, left, adjoint):
        self.left, self.adjoint, self.pivots = left, adjoint, pivots
        m = lu.shape[-1]
        p = _permutation(pivots, m, lu.dtype)
        low = np.tril(lu, -1) + np.eye(m, dtype=lu.dtype)
        up = np.triu(lu)
        a = p @ low @ up
        if adjoint:
            a = np.swapaxes(a, -1, -2).conj()
        if left:
            return np.linalg.solve(a, b)
        return np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)),
                           -1, -2)

    def _record(self, out, inputs):
        result = super()._record(out, inputs)
        self.save_for_backward(inputs[0], result)
        return result

    def backward(self, grad, *_):
        lu, x = self.saved_tensors
        pivots = Tensor._make(self.pivots)
        gb = LuSolve.apply(lu, pivots, grad, left=self.left, adjoint=not self.adjoint)
        if not lu._requires_grad:
            return None, None, gb
        if self.left:
            ga = -_mm(gb, _mH(x)) if not self.adjoint else -_mm(x, _mH(gb))
        else:
            ga = -_mm(_mH(x), gb) if not self.adjoint else -_mm(_mH(gb), x)
        m = lu.shape[-1]
        p = Tensor._make(_permutation(self.pivots, m, lu._data.dtype))
        low, up = _unpack(lu, m, m)
        pga = _mm(_mH(p), ga)
        g_lu = _mask(_mm(pga, _mH(up)), lower=True, k=-1) + _mask(_mm(_mH(low), pga),
                                                                  lower=False)
        return g_lu, None, gb


def _lu_solve(LU, pivots, B, *, left=True, adjoint=False) -> Tensor:  # noqa: N803
    _check_float(LU, "linalg.lu_solve")
    if LU.shape[-1] != LU.shape[-2]:
        raise RuntimeError(f"linalg.lu_solve: A must be batches of square matrices, but they "
                           f"are {LU.shape[-2]} by {LU.shape[-1]} matrices")
    batch = np.broadcast_shapes(tuple(LU.shape[:-2]), tuple(B.shape[:-2]))
    lu = LU.expand(batch + tuple(LU.shape[-2:]))
    piv = np.broadcast_to(pivots._data, batch + pivots._data.shape[-1:])
    b = B.expand(batch + tuple(B.shape[-2:]))
    return LuSolve.apply(lu, Tensor._make(np.ascontiguousarray(piv)), b, left=left,
                         adjoint=adjoint)


def lu(A, pivot=True, get_infos=False):  # noqa: N803
    """torch.lu: (LU, pivots) or (LU, pivots, infos), as linalg.lu_factor_ex."""
    lu_, pivots, info = _lu_factor_ex(A, pivot=pivot)
    return (lu_, pivots, info) if get_infos else (lu_, pivots)


class LuUnpack(Primitive):
    """L (*, m, k) and U (*, k, n) read out of a packed LU (*, m, n); the gradient puts
    gL's strict lower triangle and gU's upper triangle back in place."""

    grad_fn_name = "LuUnpackBackward0"
    num_outputs = 2

    def forward(self, lu):
        m, n = lu.shape[-2], lu.shape[-1]
        k = min(m, n)
        self.m, self.n = m, n
        low = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
        return low, np.triu(lu[..., :k, :])

    def backward(self, g_low, g_up):
        from .shape import cat
        m, n = self.m, self.n
        k = min(m, n)
        parts = []
        if g_low is not None:
            g = _mask(g_low, lower=True, k=-1)
            parts.append(cat([g, g[..., :, :1].expand(g.shape[:-1] + (n - k,)) * 0], dim=-1)
                         if n > k else g)
        if g_up is not None:
            g = _mask(g_up, lower=False)
            parts.append(cat([g, g[..., :1, :].expand(g.shape[:-2] + (m - k, n)) * 0], dim=-2)
                         if m > k else g)
        return parts[0] if len(parts) == 1 else parts[0] + parts[1]


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True) -> tuple:  # noqa: N803
    """(P, L, U) from a packed LU and its pivots (L and U differentiable in LU_data)."""
    m = LU_data.shape[-2]
    low, up = LuUnpack.apply(LU_data)
    p = Tensor._make(_permutation(LU_pivots._data, m, LU_data._data.dtype))
    empty = Tensor._make(np.empty((0,), LU_data._data.dtype))
    return lu_unpack_result(p if unpack_pivots else empty, low if unpack_data else empty,
                            up if unpack_data else empty)


def lu_solve(b, LU_data, LU_pivots) -> Tensor:  # noqa: N803
    """torch.lu_solve (deprecated): linalg.lu_solve(LU, pivots, b)."""
    return _lu_solve(LU_data, LU_pivots, b)

