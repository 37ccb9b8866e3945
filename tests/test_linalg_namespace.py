"""ember.linalg (and ember.det / inverse / logdet / cholesky / svd / qr) compared with
torch: values, dtypes, shapes, grad_fn names, gradients and errors.

Where a decomposition's factors are only defined up to signs (svd, eigh), the tests
compare gauge-invariant quantities (reconstructions, projectors, |U|) instead.
"""

import math
import zlib

import numpy as np
import pytest

import ember
from differential import RNG, check, check_error, gradcheck, gradgradcheck, non_contiguous, randn

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(autouse=True)
def _data_fixed_per_test(request):
    """Each test draws the same arrays whatever ran before it (decompositions of random
    matrices are only compared where they are well separated, so the data must not drift
    with test order); the shared generator's state is restored afterwards."""
    saved = RNG.bit_generator.state
    RNG.bit_generator.state = np.random.default_rng(
        zlib.crc32(request.node.name.encode())).bit_generator.state
    yield
    RNG.bit_generator.state = saved


DTYPES = [np.float32, np.float64]


def spd(*shape, dtype=np.float64):
    """Symmetric positive-definite matrices (*, n, n)."""
    a = RNG.standard_normal(shape)
    n = shape[-1]
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


def sym(*shape, dtype=np.float64):
    a = RNG.standard_normal(shape)
    return (a + np.swapaxes(a, -1, -2)).astype(dtype)


def well_conditioned(*shape, dtype=np.float64):
    n = shape[-1]
    return (RNG.standard_normal(shape) + 3 * np.eye(n)).astype(dtype)


# ---- norms -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ord", [2, 1, 3, 0.5, math.inf, -math.inf, 0])
def test_vector_norm_orders(dtype, ord):
    check(lambda t, x: t.linalg.vector_norm(x, ord), randn(3, 4, dtype=dtype))
    check(lambda t, x: t.linalg.vector_norm(x, ord, dim=1, keepdim=True),
          non_contiguous(randn(3, 4, dtype=dtype)))


def test_vector_norm_gradients_and_zero_input():
    for ord in (2, 1, 3, math.inf):
        assert gradcheck(lambda t, x, p=ord: t.linalg.vector_norm(x, p, dim=(0, 2)),
                         randn(2, 3, 2))
    assert gradgradcheck(lambda t, x: t.linalg.vector_norm(x, 2, dim=-1), randn(2, 3))
    check(lambda t, x: t.linalg.vector_norm(x), np.zeros((2, 2), np.float32))
    check_error(lambda t, x: t.linalg.vector_norm(x), np.ones(3, np.int64))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ord", ["fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2])
def test_matrix_norm_orders(dtype, ord):
    check(lambda t, x: t.linalg.matrix_norm(x, ord), randn(2, 3, 4, dtype=dtype),
          rtol=1e-4 if dtype == np.float32 else None)
    check(lambda t, x: t.linalg.matrix_norm(x, ord, dim=(0, 2), keepdim=True),
          randn(3, 2, 4, dtype=dtype), rtol=1e-4 if dtype == np.float32 else None)


@pytest.mark.parametrize("ord", ["fro", "nuc", math.inf, 1, 2, -2])
def test_matrix_norm_gradcheck(ord):
    assert gradcheck(lambda t, x: t.linalg.matrix_norm(x, ord), randn(3, 4))


def test_norm_dispatches_on_ord_and_dim():
    x = randn(3, 4)
    check(lambda t, x: t.linalg.norm(x), x)
    check(lambda t, x: t.linalg.norm(x, 2), x)
    check(lambda t, x: t.linalg.norm(x, dim=1), x)
    check(lambda t, x: t.linalg.norm(x, 3, dim=0, keepdim=True), x)
    check(lambda t, x: t.linalg.norm(x[0], math.inf), x)
    check(lambda t, x: t.linalg.norm(x, "nuc", dim=(1, 0)), x)
    check_error(lambda t, x: t.linalg.matrix_norm(x, 3), x)
    check_error(lambda t, x: t.linalg.matrix_norm(x), randn(3))


# ---- det, slogdet, logdet, inv, solve ------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_det_slogdet_logdet(dtype):
    a = randn(2, 3, 3, dtype=dtype)
    check(lambda t, a: t.linalg.det(a), a, rtol=1e-4)
    check(lambda t, a: t.det(a), a[0], rtol=1e-4)
    check(lambda t, a: t.linalg.slogdet(a), a, rtol=1e-4)
    check(lambda t, a: t.logdet(a), spd(2, 3, 3, dtype=dtype), rtol=1e-4)
    check(lambda t, a: a.logdet(), -spd(3, 3, dtype=dtype), grad=False)  # nan


def test_slogdet_is_a_named_tuple():
    sign, logabsdet = ember.linalg.slogdet(ember.tensor([[2.0, 0.0], [0.0, -3.0]]))
    out = ember.linalg.slogdet(ember.tensor([[2.0, 0.0], [0.0, -3.0]]))
    assert out.sign.item() == sign.item() == -1.0
    assert abs(out.logabsdet.item() - math.log(6)) < 1e-6


def test_det_gradients_and_errors():
    assert gradcheck(lambda t, a: t.linalg.det(a), randn(2, 3, 3))
    assert gradgradcheck(lambda t, a: t.linalg.det(a), randn(3, 3))
    assert gradgradcheck(lambda t, a: t.linalg.slogdet(a)[1], well_conditioned(3, 3))
    check_error(lambda t, a: t.linalg.det(a), randn(2, 3))
    check_error(lambda t, a: t.linalg.slogdet(a), randn(2, 3))
    check_error(lambda t, a: t.logdet(a), randn(2, 3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_inv_and_inverse(dtype):
    a = well_conditioned(2, 3, 3, dtype=dtype)
    check(lambda t, a: t.linalg.inv(a), a, rtol=1e-4, atol=1e-5)
    check(lambda t, a: t.inverse(a), non_contiguous(a[0]), rtol=1e-4, atol=1e-5)
    check(lambda t, a: t.linalg.inv_ex(a), a, rtol=1e-4, atol=1e-5)
    check(lambda t, a: t.linalg.inv(a), np.zeros((0, 2, 2), dtype))


def test_inv_gradients_and_errors():
    assert gradgradcheck(lambda t, a: t.linalg.inv(a), well_conditioned(2, 3, 3))
    singular = np.array([[1.0, 2.0], [2.0, 4.0]], np.float32)
    check_error(lambda t, a: t.linalg.inv(a), singular)
    check_error(lambda t, a: t.linalg.inv(a), np.stack([np.eye(2, dtype=np.float32), singular]))
    check_error(lambda t, a: t.inverse(a), randn(2, 3))
    check_error(lambda t, a: t.linalg.inv(a), np.ones((2, 2), np.int64))


@pytest.mark.parametrize("dtype", DTYPES)
def test_solve_matrices_vectors_and_broadcast(dtype):
    a = well_conditioned(2, 3, 3, dtype=dtype)
    tol = dict(rtol=1e-4, atol=1e-5)
    check(lambda t, a, b: t.linalg.solve(a, b), a, randn(2, 3, 4, dtype=dtype), **tol)
    check(lambda t, a, b: t.linalg.solve(a, b), a, randn(2, 3, dtype=dtype), **tol)
    check(lambda t, a, b: t.linalg.solve(a, b), a, randn(3, dtype=dtype), **tol)
    check(lambda t, a, b: t.linalg.solve(a, b), a[0], randn(4, 3, 2, dtype=dtype), **tol)
    check(lambda t, a, b: t.linalg.solve(a, b, left=False), a, randn(2, 4, 3, dtype=dtype),
          **tol)


def test_solve_gradients_and_errors():
    assert gradgradcheck(lambda t, a, b: t.linalg.solve(a, b), well_conditioned(3, 3),
                         randn(3, 2))
    assert gradcheck(lambda t, a, b: t.linalg.solve(a, b), well_conditioned(2, 3, 3),
                     randn(3))
    check_error(lambda t, a, b: t.linalg.solve(a, b),
                np.array([[1.0, 2.0], [2.0, 4.0]], np.float32), np.ones(2, np.float32))
    check_error(lambda t, a, b: t.linalg.solve(a, b), randn(2, 3), randn(2))


# ---- cholesky, qr ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(dtype, upper):
    check(lambda t, a: t.linalg.cholesky(a, upper=upper), spd(2, 3, 3, dtype=dtype),
          rtol=1e-4, atol=1e-5)
    check(lambda t, a: t.cholesky(a, upper), spd(3, 3, dtype=dtype), rtol=1e-4, atol=1e-5)


def test_cholesky_gradients_and_errors():
    def f(t, x):  # a positive-definite function of an arbitrary matrix
        return t.linalg.cholesky(x @ x.mT + 3 * t.eye(3, dtype=x.dtype))
    assert gradcheck(f, randn(3, 3))
    assert gradgradcheck(f, randn(3, 3))
    not_pd = np.array([[1.0, 2.0], [2.0, 1.0]], np.float32)
    check_error(lambda t, a: t.linalg.cholesky(a), not_pd)
    check_error(lambda t, a: t.linalg.cholesky(a), np.stack([np.eye(2, dtype=np.float32),
                                                              not_pd]))
    check_error(lambda t, a: t.cholesky(a), not_pd)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 5, 3)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_modes(dtype, shape, mode):
    # numpy and torch both run LAPACK's Householder QR: the same signs
    grad = mode == "reduced" or shape[-1] == shape[-2]
    grad = grad and mode != "r"
    check(lambda t, a: t.linalg.qr(a, mode=mode), randn(*shape, dtype=dtype), grad=grad,
          rtol=1e-4, atol=1e-5)


def test_qr_wide_and_torch_qr():
    check(lambda t, a: t.linalg.qr(a), randn(3, 5), rtol=1e-4, atol=1e-5)
    check(lambda t, a: t.qr(a), randn(4, 3), rtol=1e-4, atol=1e-5)
    check(lambda t, a: t.qr(a, some=False), randn(4, 3), rtol=1e-4, atol=1e-5, grad=False)


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 5)])
def test_qr_gradcheck(shape):
    assert gradcheck(lambda t, a: t.linalg.qr(a), randn(*shape))
    assert gradgradcheck(lambda t, a: t.linalg.qr(a)[0], randn(*shape))


def test_qr_errors():
    check_error(lambda t, a: t.linalg.qr(a, mode="x"), randn(2, 3))
    check_error(lambda t, a: t.qr(a), randn(3))


@pytest.mark.parametrize("mode", ["r", "complete"])
def test_qr_backward_errors_where_torch_cannot_differentiate(mode):
    def f(t, a):
        a.requires_grad_(True)
        q, r = t.linalg.qr(a, mode=mode)
        (r.sum() + q.sum()).backward()
    check_error(f, randn(4, 3))


# ---- svd, eigh ----------------------------------------------------------------------


def _abs(t, out):
    return [o.abs() for o in out]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3)])
def test_svd_values_and_gauge_invariant_factors(dtype, shape):
    tol = dict(rtol=1e-4, atol=1e-5)
    check(lambda t, a: t.linalg.svdvals(a), randn(*shape, dtype=dtype), **tol)

    def reduced(t, a):
        u, s, vh = t.linalg.svd(a, full_matrices=False)
        # invariant under the sign of each singular pair
        return s, (u * s.unsqueeze(-2)) @ vh, u @ u.mT, vh.mT @ vh, u.abs(), vh.abs()
    check(reduced, randn(*shape, dtype=dtype), **tol)

    def full(t, a):
        # the completion of U or Vh beyond min(m, n) is any orthonormal basis
        u, s, vh = t.linalg.svd(a)
        k = s.shape[-1]
        return s, u[..., :k].abs(), vh[..., :k, :].abs(), u @ u.mT, vh @ vh.mT
    check(full, randn(*shape, dtype=dtype), grad=False, **tol)

    def full_narrowed(t, a):  # torch differentiates only the first k columns
        u, s, vh = t.linalg.svd(a)
        k = s.shape[-1]
        return s, (u[..., :k] * s.unsqueeze(-2)) @ vh[..., :k, :], u[..., :k].abs()
    check(full_narrowed, randn(*shape, dtype=dtype), **tol)


def test_torch_svd_returns_v():
    def f(t, a):
        u, s, v = t.svd(a)
        return s, (u * s) @ v.mT, u.abs(), v.abs()
    check(f, randn(4, 3), rtol=1e-4, atol=1e-5)
    check(lambda t, a: t.svd(a, some=False)[1], randn(4, 3), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (3, 3)])
def test_svd_gradcheck_on_gauge_invariant_losses(shape):
    def f(t, a):
        u, s, vh = t.linalg.svd(a, full_matrices=False)
        return s, u @ u.mT, vh.mT @ vh, (u[..., :1] * vh[..., :1, :])
    assert gradcheck(f, randn(*shape))
    assert gradgradcheck(lambda t, a: t.linalg.svdvals(a), randn(*shape))


def test_svd_errors():
    check_error(lambda t, a: t.linalg.svd(a), randn(3))
    check_error(lambda t, a: t.svd(a), randn(3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_reads_one_triangle(dtype, uplo):
    a = randn(2, 3, 3, dtype=dtype)  # not symmetric: only the UPLO triangle counts
    tol = dict(rtol=1e-4, atol=1e-5)
    check(lambda t, a: t.linalg.eigvalsh(a, UPLO=uplo), a, **tol)

    def f(t, a):
        w, v = t.linalg.eigh(a, UPLO=uplo)
        return w, v.abs(), (v * w.unsqueeze(-2)) @ v.mT
    check(f, sym(2, 3, 3, dtype=dtype), **tol)
    check(lambda t, a: t.linalg.eigh(a, uplo)[1].abs(), a, grad=False, **tol)


def test_eigh_gradcheck_and_errors():
    def f(t, a):
        w, v = t.linalg.eigh(a + a.mT)
        return w, v @ (w.unsqueeze(-1) * v.mT), v[..., :1] * v[..., :1].mT
    assert gradcheck(f, randn(3, 3))
    assert gradgradcheck(lambda t, a: t.linalg.eigvalsh(a + a.mT), randn(3, 3))
    check_error(lambda t, a: t.linalg.eigh(a), randn(2, 3))
    check_error(lambda t, a: t.linalg.eigh(a, UPLO="X"), randn(2, 2))


# ---- pinv, lstsq, matrix_rank, matrix_power -----------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_pinv(dtype):
    tol = dict(rtol=1e-3, atol=1e-4)
    check(lambda t, a: t.linalg.pinv(a), randn(2, 4, 3, dtype=dtype), **tol)
    check(lambda t, a: t.linalg.pinv(a), randn(3, 5, dtype=dtype), **tol)
    check(lambda t, a: t.linalg.pinv(a, hermitian=True), spd(3, 3, dtype=dtype), **tol)
    rank1 = np.outer([1.0, 2.0, 3.0], [1.0, -1.0]).astype(dtype)
    check(lambda t, a: t.linalg.pinv(a), rank1, grad=False, **tol)
    check(lambda t, a: t.linalg.pinv(a, atol=10.0), randn(3, 3, dtype=dtype), grad=False,
          **tol)


def test_pinv_gradients_and_errors():
    assert gradgradcheck(lambda t, a: t.linalg.pinv(a), randn(4, 3))
    assert gradcheck(lambda t, a: t.linalg.pinv(a), randn(2, 5))
    check_error(lambda t, a: t.linalg.pinv(a), randn(3))


@pytest.mark.parametrize("driver", [None, "gelsd", "gelss", "gels", "gelsy"])
@pytest.mark.parametrize("shapes", [((4, 3), (4, 2)), ((5, 4, 3), (5, 4)), ((4, 3), (4,))])
def test_lstsq_fields_per_driver(driver, shapes):
    a, b = randn(*shapes[0], dtype=np.float64), randn(*shapes[1], dtype=np.float64)
    check(lambda t, a, b: t.linalg.lstsq(a, b, driver=driver), a, b)


@pytest.mark.parametrize("driver", [None, "gelsd"])
def test_lstsq_underdetermined_gives_the_minimum_norm_solution(driver):
    # (gels solves underdetermined systems by QR, not minimum norm: not compared)
    check(lambda t, a, b: t.linalg.lstsq(a, b, driver=driver), randn(2, 3, dtype=np.float64),
          randn(2, 2, dtype=np.float64))


def test_lstsq_float32_gradcheck_and_error():
    check(lambda t, a, b: t.linalg.lstsq(a, b), randn(5, 3), randn(5, 2), rtol=1e-4,
          atol=1e-5)
    assert gradcheck(lambda t, a, b: t.linalg.lstsq(a, b).solution, randn(4, 3), randn(4, 2))
    check_error(lambda t, a, b: t.linalg.lstsq(a, b), randn(2, 3), randn(3, 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_matrix_rank(dtype):
    rank1 = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0]).astype(dtype)
    check(lambda t, a: t.linalg.matrix_rank(a), rank1)
    check(lambda t, a: t.linalg.matrix_rank(a), randn(2, 4, 3, dtype=dtype))
    check(lambda t, a: t.linalg.matrix_rank(a, hermitian=True), spd(3, 3, dtype=dtype))
    check(lambda t, a: t.linalg.matrix_rank(a, atol=1.0, rtol=0.0),
          np.diag([3.0, 0.5, 2.0]).astype(dtype))
    check_error(lambda t, a: t.linalg.matrix_rank(a), randn(3))


@pytest.mark.parametrize("n", [-3, -1, 0, 1, 2, 3, 5])
def test_matrix_power(n):
    a = well_conditioned(2, 3, 3, dtype=np.float64)
    check(lambda t, a: t.linalg.matrix_power(a, n), a)
    check(lambda t, a: t.linalg.matrix_power(a, n), a[0].astype(np.float32), rtol=1e-4)


def test_matrix_power_gradcheck_and_errors():
    assert gradgradcheck(lambda t, a: t.linalg.matrix_power(a, -2), well_conditioned(3, 3))
    check_error(lambda t, a: t.linalg.matrix_power(a, 2), randn(2, 3))
    check_error(lambda t, a: t.linalg.matrix_power(a, -1), np.ones((2, 2), np.int64))


# ---- vecdot, diagonal, matmul ---------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_vecdot_diagonal_and_matmul(dtype):
    check(lambda t, a, b: t.linalg.vecdot(a, b), randn(2, 3, dtype=dtype), randn(3, dtype=dtype))
    check(lambda t, a, b: t.linalg.vecdot(a, b, dim=0), randn(3, 2, dtype=dtype),
          randn(3, 2, dtype=dtype))
    check(lambda t, a: t.linalg.diagonal(a), randn(2, 3, 4, dtype=dtype))
    check(lambda t, a: t.linalg.diagonal(a, offset=1, dim1=0, dim2=2), randn(3, 2, 4,
                                                                            dtype=dtype))
    check(lambda t, a, b: t.linalg.matmul(a, b), randn(2, 3, dtype=dtype),
          randn(3, 4, dtype=dtype))


def test_vecdot_diagonal_gradients_and_errors():
    assert gradgradcheck(lambda t, a: t.linalg.diagonal(a, offset=-1), randn(3, 3))
    assert gradgradcheck(lambda t, a, b: t.linalg.vecdot(a, b), randn(2, 3), randn(2, 3))
    check_error(lambda t, a, b: t.linalg.vecdot(a, b), randn(3), randn(4))
    check_error(lambda t, a: t.linalg.diagonal(a), randn(3))


def test_diagonal_is_a_view():
    a = ember.zeros(3, 3)
    d = ember.linalg.diagonal(a)
    a.add_(1)
    assert d.tolist() == [1.0, 1.0, 1.0]


# ---- edge cases -----------------------------------------------------------------------


@pytest.mark.parametrize("fn", [
    lambda t, a: t.linalg.det(a),
    lambda t, a: t.linalg.slogdet(a),
    lambda t, a: t.linalg.inv(a),
    lambda t, a: t.linalg.cholesky(a),
    lambda t, a: t.linalg.eigh(a),
    lambda t, a: t.linalg.svd(a),
    lambda t, a: t.linalg.qr(a, mode="complete"),
    lambda t, a: t.linalg.pinv(a),
    lambda t, a: t.linalg.matrix_rank(a),
    lambda t, a: t.linalg.matrix_norm(a, "nuc"),
    lambda t, a: t.linalg.matrix_power(a, 0),
])
@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0), (0, 3, 3)])
def test_empty_matrices(fn, shape):
    check(fn, np.zeros(shape, np.float32), grad=False)


def test_empty_rectangular_decompositions():
    for shape in [(0, 3), (3, 0), (2, 0, 3)]:
        a = np.zeros(shape, np.float64)
        check(lambda t, a: t.linalg.svd(a, full_matrices=False), a, grad=False)
        check(lambda t, a: t.linalg.svdvals(a), a, grad=False)
        check(lambda t, a: t.linalg.qr(a), a, grad=False)


def test_inv_ex_reports_singular_matrices_in_info():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]], np.float32)
    check(lambda t, a: t.linalg.inv_ex(a).info, np.stack([np.eye(2, dtype=np.float32),
                                                          singular]))
    check_error(lambda t, a: t.linalg.inv_ex(a, check_errors=True), singular)


def test_det_gradient_where_det_is_exactly_zero_is_zero_like_torch():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    check(lambda t, a: t.linalg.det(a), np.stack([singular, np.eye(2) + 1]))
    check(lambda t, a: t.linalg.det(a), np.zeros((2, 2)))


def test_slogdet_of_singular_and_negative_matrices():
    check(lambda t, a: t.linalg.slogdet(a), np.array([[0.0, 1.0], [1.0, 0.0]], np.float32))
    check(lambda t, a: t.linalg.slogdet(a), np.ones((2, 2), np.float32), grad=False)


def test_torch_svd_without_uv_returns_zero_factors():
    check(lambda t, a: t.svd(a, compute_uv=False), randn(3, 2), grad=False)


def test_vector_norm_of_empty_inputs():
    check(lambda t, x: t.linalg.vector_norm(x), np.zeros(0, np.float32))
    check_error(lambda t, x: t.linalg.vector_norm(x, math.inf), np.zeros(0, np.float32))


def test_tolerances_of_pinv_and_matrix_rank():
    d = np.diag([3.0, 0.5, 2.0]).astype(np.float32)
    check(lambda t, a: t.linalg.pinv(a, rtol=0.2), d)
    check(lambda t, a: t.linalg.matrix_rank(a, atol=t.tensor(1.0)), d)
    check(lambda t, a: t.linalg.pinv(a.expand(2, 3, 3), atol=t.tensor([1.0, 2.5])), d)


def test_dtype_mismatch_errors():
    f32, f64 = randn(3), randn(3, dtype=np.float64)
    check_error(lambda t, a, b: t.linalg.solve(t.eye(3), b), f32, f64)
    check_error(lambda t, a, b: t.linalg.vecdot(a, b), f32, f64)
    check_error(lambda t, a: t.linalg.vecdot(a, a), np.ones(3, np.int64))


def test_top_level_aliases_and_methods():
    a = well_conditioned(3, 3, dtype=np.float32)
    tol = dict(rtol=1e-4, atol=1e-5)
    check(lambda t, a: t.slogdet(a), a, **tol)
    check(lambda t, a: a.slogdet(), a, **tol)
    check(lambda t, a: t.matrix_power(a, 3), a, **tol)
    check(lambda t, a: a.matrix_power(0), a)
    check(lambda t, a: t.pinverse(a), randn(4, 3), **tol)
    check(lambda t, a: a.pinverse(rcond=0.5), randn(4, 3), grad=False, **tol)
    check(lambda t, a: (a.det(), a.inverse(), a.logdet()), spd(3, 3, dtype=np.float32), **tol)
    check(lambda t, a: a.cholesky(), spd(3, 3, dtype=np.float32), **tol)


@pytest.mark.parametrize("left", [True, False])
def test_solve_ex_reports_singular_systems_like_lapack(left):
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    b = randn(2, 3, 2, dtype=np.float64) if left else randn(2, 2, 3, dtype=np.float64)
    a = np.stack([singular, well_conditioned(3, 3)])
    check(lambda t, a, b: t.linalg.solve_ex(a, b, left=left), a, b, grad=False)
    check(lambda t, a, b: t.linalg.solve_ex(a, b, left=left), a[1], b[1])
    check(lambda t, a, b: t.linalg.solve_ex(a, b), np.zeros((2, 2)), np.ones(2), grad=False)
    check_error(lambda t, a, b: t.linalg.solve_ex(a, b, check_errors=True), singular, b[0])


def test_cholesky_ex_reports_the_failing_minor():
    not_pd = np.array([[1.0, 2.0], [2.0, 1.0]], np.float32)
    check(lambda t, a: t.linalg.cholesky_ex(a), spd(2, 3, 3, dtype=np.float32), rtol=1e-4,
          atol=1e-5)
    batch = np.stack([np.eye(2, dtype=np.float32), not_pd])
    check(lambda t, a: t.linalg.cholesky_ex(a), batch, grad=False)
    check(lambda t, a: t.linalg.cholesky_ex(a, upper=True), batch, grad=False)
    # the partial factor LAPACK leaves behind: columns after the failing pivot untouched
    check(lambda t, a: t.linalg.cholesky_ex(a),
          np.array([[4.0, 2.0, 1.0], [2.0, 1.0, 3.0], [1.0, 3.0, 2.0]]), grad=False)
    check_error(lambda t, a: t.linalg.cholesky_ex(a, check_errors=True), not_pd)


@pytest.mark.parametrize("fn", [
    lambda t, a: t.linalg.matrix_norm(a.long()),
    lambda t, a: t.linalg.matrix_norm(a, dim=(0, 0)),
    lambda t, a: t.linalg.norm(a.expand(2, 2, 2), dim=(0, 1, 2)),
    lambda t, a: t.linalg.norm(a.expand(2, 2, 2), 2),
    lambda t, a: t.linalg.solve(a, a[0, :1]),
    lambda t, a: t.linalg.lstsq(a.long(), a.long()),
    lambda t, a: t.linalg.lstsq(a, a, driver="x"),
    lambda t, a: t.linalg.matrix_rank(a.long()),
    lambda t, a: t.linalg.matrix_power(a, 1.5),
    lambda t, a: t.linalg.multi_dot([a.expand(2, 2, 2), a]),
    lambda t, a: t.linalg.multi_dot([a, a.expand(2, 2, 2), a]),
    lambda t, a: t.linalg.multi_dot([a, a.expand(2, 2, 2)]),
    lambda t, a: t.linalg.inv_ex(a[:, :1]),
    lambda t, a: t.linalg.diagonal(a, dim1=0, dim2=0),
    lambda t, a: t.linalg.slogdet(a.long()),
    lambda t, a: t.linalg.eigvalsh(a[:1]),
])
def test_more_bad_inputs_raise_like_torch(fn):
    check_error(fn, randn(2, 2))


# ---- complex inputs -----------------------------------------------------------------


def crandn(*shape):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(np.complex128)


def _real_loss_check(fn, *arrays):
    """Complex outputs are reduced to a real loss in both libraries before comparing
    gradients (check backpropagates a real random cotangent)."""
    check(lambda t, *xs: tuple(o.real if o.is_complex() else o for o in _tuple(fn(t, *xs))),
          *arrays, check_grad_fn=False)  # (torch names .real SelectBackward0)


def _tuple(x):
    return tuple(x) if isinstance(x, tuple) else (x,)


@pytest.mark.parametrize("fn", [
    lambda t, a: t.linalg.det(a),
    lambda t, a: t.linalg.slogdet(a),
    lambda t, a: t.linalg.inv(a),
    lambda t, a: t.linalg.solve(a, a[..., :1, :].mH),
    lambda t, a: t.linalg.pinv(a),
    lambda t, a: t.linalg.svdvals(a),
    lambda t, a: t.linalg.matrix_norm(a, "nuc"),
    lambda t, a: t.linalg.vector_norm(a, 3),
    lambda t, a: t.linalg.vecdot(a, a.flip(-1)),
    lambda t, a: t.linalg.qr(a),
    lambda t, a: (lambda r: (r.S, (r.U * r.S.to(r.U.dtype)) @ r.Vh))(
        t.linalg.svd(a, full_matrices=False)),
    lambda t, a: a @ a.mH,
    lambda t, a: t.einsum("ij,kj->ik", a, a),
])
def test_complex_values_and_gradients(fn):
    a = crandn(3, 3) + 3 * np.eye(3)
    _real_loss_check(fn, a)


def test_complex_hermitian_decompositions():
    a = crandn(3, 3)
    h = a @ a.conj().T + 3 * np.eye(3)
    _real_loss_check(lambda t, a: t.linalg.cholesky(a, upper=True), h)
    _real_loss_check(lambda t, a: t.linalg.eigvalsh(a), h)
    _real_loss_check(lambda t, a: (lambda r: (r.eigenvalues, (r.eigenvectors * r.eigenvalues.to(
        a.dtype)) @ r.eigenvectors.mH))(t.linalg.eigh(a)), h)
    _real_loss_check(lambda t, a, b: t.linalg.lstsq(a, b, driver="gelsd")[:2], crandn(4, 3),
                     crandn(4, 2))


# ---- triangular and Cholesky solves, cond, tensorinv/tensorsolve, vander ------------------


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unitriangular", [True, False])
def test_solve_triangular_reads_one_triangle(upper, left, unitriangular):
    a = well_conditioned(2, 3, 3)  # full matrix: the other triangle must be ignored
    b = randn(2, 3, 4, dtype=np.float64) if left else randn(4, 3, dtype=np.float64)
    check(lambda t, a, b: t.linalg.solve_triangular(a, b, upper=upper, left=left,
                                                    unitriangular=unitriangular), a, b)


def test_solve_triangular_float32_gradgrad_and_errors():
    check(lambda t, a, b: t.linalg.solve_triangular(a, b, upper=False),
          well_conditioned(3, 3, dtype=np.float32), randn(3, 2), rtol=1e-4, atol=1e-5)
    assert gradgradcheck(lambda t, a, b: t.linalg.solve_triangular(a, b, upper=True),
                         well_conditioned(3, 3), randn(3, 2))
    check_error(lambda t, a, b: t.linalg.solve_triangular(a, b, upper=True), randn(2, 2),
                randn(2))


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_and_inverse(upper):
    factor = np.linalg.cholesky(spd(2, 3, 3))
    if upper:
        factor = np.ascontiguousarray(np.swapaxes(factor, -1, -2))
    check(lambda t, b, f: t.cholesky_solve(b, f, upper), randn(2, 3, 2, dtype=np.float64),
          factor)
    check(lambda t, f: t.cholesky_inverse(f, upper), factor[0])
    check(lambda t, f: f.cholesky_inverse(upper), factor[0].astype(np.float32), rtol=1e-4,
          atol=1e-5)
    assert gradgradcheck(lambda t, f: t.cholesky_inverse(f, upper), factor[0])


def test_cholesky_solve_errors():
    check_error(lambda t, b, f: t.cholesky_solve(b, f), randn(3), randn(3, 3))
    check_error(lambda t, b, f: t.cholesky_solve(b, f), randn(3, 1),
                randn(3, 3, dtype=np.float64))


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf])
def test_cond(p):
    a = well_conditioned(2, 3, 3)
    # (torch's own backward of the norm-based orders fails: values only for those)
    check(lambda t, a: t.linalg.cond(a, p), a, grad=p in (None, 2, -2))
    check(lambda t, a: t.linalg.cond(a, p), np.stack([np.ones((2, 2)), np.eye(2)]),
          grad=False)


def test_cond_errors():
    check_error(lambda t, a: t.linalg.cond(a, 3), randn(2, 2))
    check_error(lambda t, a: t.linalg.cond(a, "fro"), randn(2, 3))


def test_tensorinv_and_tensorsolve():
    a = well_conditioned(6, 6)
    check(lambda t, a: t.linalg.tensorinv(a.reshape(2, 3, 6), ind=2), a, check_grad_fn=False)
    check(lambda t, a, b: t.linalg.tensorsolve(a.reshape(6, 2, 3), b), a,
          randn(6, dtype=np.float64))
    check(lambda t, a, b: t.linalg.tensorsolve(a.reshape(3, 6, 2), b, dims=(1,)), a,
          randn(3, 2, dtype=np.float64))
    check_error(lambda t, a: t.linalg.tensorinv(a, ind=0), randn(2, 2))
    check_error(lambda t, a: t.linalg.tensorinv(a.reshape(2, 3, 6), ind=2),
                np.ones((6, 6), np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_vander_increasing_powers(dtype):
    x = (np.arange(4) - 1).astype(dtype)
    check(lambda t, x: t.linalg.vander(x), x)
    check(lambda t, x: t.linalg.vander(x, N=3), np.stack([x, x + 1]))
    check_error(lambda t, x: t.linalg.vander(x, N=1), x)


def test_inv_ex_leaves_lapacks_infinities_for_singular_matrices():
    check(lambda t, a: t.linalg.inv_ex(a), np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0],
                                                     [1.0, 0.0, 1.0]]), grad=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", [0.01, 1.0, 5.0])
def test_matrix_exp(dtype, scale):
    a = (randn(2, 4, 4, dtype=np.float64) * scale).astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-11)
    check(lambda t, a: t.linalg.matrix_exp(a), a, **tol)
    check(lambda t, a: a.matrix_exp(), a[0], **tol)


def test_matrix_exp_gradients_complex_and_errors():
    assert gradgradcheck(lambda t, a: t.matrix_exp(a), randn(3, 3))
    _real_loss_check(lambda t, a: t.linalg.matrix_exp(a), crandn(3, 3))
    check(lambda t, a: t.linalg.matrix_exp(a), np.zeros((0, 0), np.float32))
    check_error(lambda t, a: t.linalg.matrix_exp(a), randn(2, 3))
    check_error(lambda t, a: t.linalg.matrix_exp(a), np.ones((2, 2), np.int64))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_eig_is_complex_and_gauge_invariant_parts_match(dtype):
    a = randn(2, 3, 3, dtype=np.float64)
    if dtype == np.complex128:
        a = a + 1j * randn(2, 3, 3, dtype=np.float64)
    a = a.astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else {}

    def invariant(t, a):
        w, v = t.linalg.eig(a)
        rec = (v * w.unsqueeze(-2)) @ t.linalg.inv(v)
        return w.real, w.imag, v.abs(), rec.real
    check(invariant, a, check_grad_fn=False, **tol)
    # the phase of each eigenvector depends on the LAPACK build: compare |v|
    check(lambda t, a: (t.linalg.eig(a)[0], t.linalg.eig(a)[1].abs()), a, grad=False, **tol)
    check(lambda t, a: t.linalg.eigvals(a), a, grad=False, **tol)


def test_eig_errors_and_empty():
    check(lambda t, a: t.linalg.eig(a), np.zeros((0, 0), np.float32), grad=False)
    check_error(lambda t, a: t.linalg.eig(a), randn(2, 3))
    check_error(lambda t, a: t.linalg.eig(a), np.ones((2, 2), np.int64))


# ---- LU ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (3, 5), (5, 3)])
def test_lu_factor_lu_and_unpack(shape):
    a = randn(*shape, dtype=np.float64)
    check(lambda t, a: t.linalg.lu_factor(a), a)
    check(lambda t, a: t.linalg.lu_factor_ex(a), a)
    check(lambda t, a: t.linalg.lu(a), a)
    check(lambda t, a: t.lu_unpack(*t.linalg.lu_factor(a)), a)
    check(lambda t, a: t.lu(a), a.astype(np.float32), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [True, False])
def test_lu_solve(left, adjoint):
    a, b = well_conditioned(2, 3, 3), randn(2, 3, 2, dtype=np.float64)
    check(lambda t, a, b: t.linalg.lu_solve(*t.linalg.lu_factor(a), b if left else b.mT,
                                            left=left, adjoint=adjoint), a, b)


def test_lu_gradgrad_singular_and_errors():
    assert gradgradcheck(lambda t, a: t.linalg.lu(a)[1:], randn(3, 3))
    assert gradcheck(lambda t, a: t.linalg.lu_factor(a).LU, randn(3, 4))
    assert gradcheck(lambda t, a, b: t.lu_solve(b, *t.lu(a)), well_conditioned(3, 3),
                     randn(3, 2))
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    check(lambda t, a: t.linalg.lu_factor_ex(a), singular, grad=False)
    check_error(lambda t, a: t.linalg.lu_factor(a), np.zeros((2, 2), np.float32))
    check_error(lambda t, a: t.linalg.lu_factor(a), np.ones((2, 2), np.int64))
