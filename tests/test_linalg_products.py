"""tensordot, outer/ger, cross, kron, baddbmm, addbmm, addmv, addr, chain_matmul and
linalg.multi_dot compared with torch: values, dtypes, grad_fn names, gradients, errors."""

import zlib

import numpy as np
import pytest

from differential import RNG, check, check_error, gradcheck, gradgradcheck, non_contiguous, randn

# chain_matmul and cross without dim are deprecated in torch (a UserWarning each)
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


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensordot_int_dims_contracts_trailing_with_leading(dtype):
    check(lambda t, a, b: t.tensordot(a, b, 2), randn(2, 3, 4, dtype=dtype),
          randn(3, 4, 5, dtype=dtype))
    check(lambda t, a, b: t.tensordot(a, b, 0), randn(2, dtype=dtype), randn(3, dtype=dtype))


def test_tensordot_dim_lists_pair_any_dims():
    check(lambda t, a, b: t.tensordot(a, b, dims=([0, 2], [2, 1])), randn(2, 3, 4),
          non_contiguous(randn(5, 4, 2)))
    check(lambda t, a, b: t.tensordot(a, b, dims=([1], [0])), randn(2, 3), randn(3, 4))


def test_tensordot_gradients_and_error():
    assert gradcheck(lambda t, a, b: t.tensordot(a, b, dims=([1], [0])), randn(2, 3),
                     randn(3, 2))
    check_error(lambda t, a, b: t.tensordot(a, b, 1), randn(2, 3), randn(2, 3))


@pytest.mark.parametrize("name", ["outer", "ger"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_outer_is_the_product_of_every_pair(name, dtype):
    check(lambda t, a, b: getattr(t, name)(a, b), randn(3, dtype=dtype), randn(4, dtype=dtype))
    check(lambda t, a, b: getattr(a, name)(b), randn(0, dtype=dtype), randn(2, dtype=dtype))


def test_outer_gradgrad_and_error():
    assert gradgradcheck(lambda t, a, b: t.outer(a, b), randn(3), randn(2))
    check_error(lambda t, a, b: t.outer(a, b), randn(2, 2), randn(2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_along_dim_broadcasts(dtype):
    check(lambda t, a, b: t.cross(a, b, dim=1), randn(2, 3, 4, dtype=dtype),
          randn(2, 3, 4, dtype=dtype))
    check(lambda t, a, b: t.linalg.cross(a, b), randn(4, 3, dtype=dtype),
          randn(1, 3, dtype=dtype))
    check(lambda t, a, b: a.cross(b, dim=-1), non_contiguous(randn(3, 3, dtype=dtype)),
          randn(3, 3, dtype=dtype))


def test_cross_without_dim_picks_first_dim_of_size_3():
    check(lambda t, a, b: t.cross(a, b), randn(3, 4), randn(3, 4))


def test_cross_gradients_and_errors():
    assert gradcheck(lambda t, a, b: t.linalg.cross(a, b), randn(2, 3), randn(2, 3))
    assert gradgradcheck(lambda t, a, b: t.linalg.cross(a, b), randn(2, 3), randn(2, 3))
    check_error(lambda t, a, b: t.cross(a, b, dim=1), randn(2, 2), randn(2, 2))
    check_error(lambda t, a, b: t.linalg.cross(a, b), randn(2, 2), randn(2, 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_kron_blocks_scale_the_second_operand(dtype):
    check(lambda t, a, b: t.kron(a, b), randn(2, 3, dtype=dtype), randn(4, 2, dtype=dtype))
    check(lambda t, a, b: t.kron(a, b), randn(2, dtype=dtype), randn(2, 3, 2, dtype=dtype))
    assert gradcheck(lambda t, a, b: t.kron(a, b), randn(2, 2), randn(3))


def test_kron_promotes_mixed_dtypes_like_torch():
    check(lambda t, a, b: t.kron(a, b), randn(2, dtype=np.float32), randn(2, dtype=np.float64))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1)])
def test_baddbmm_scales_input_and_batched_product(dtype, beta, alpha):
    check(lambda t, x, a, b: t.baddbmm(x, a, b, beta=beta, alpha=alpha),
          randn(2, 3, 4, dtype=dtype), randn(2, 3, 5, dtype=dtype), randn(2, 5, 4, dtype=dtype))
    check(lambda t, x, a, b: x.baddbmm(a, b, beta=beta, alpha=alpha), randn(4, dtype=dtype),
          randn(2, 3, 5, dtype=dtype), non_contiguous(randn(2, 5, 4, dtype=dtype)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_addbmm_sums_the_batch_of_products(dtype):
    check(lambda t, x, a, b: t.addbmm(x, a, b, beta=0.5, alpha=-1.5),
          randn(3, 4, dtype=dtype), randn(2, 3, 5, dtype=dtype), randn(2, 5, 4, dtype=dtype))
    check(lambda t, x, a, b: x.addbmm(a, b), randn(1, 4, dtype=dtype),
          randn(2, 3, 5, dtype=dtype), randn(2, 5, 4, dtype=dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_addmv_and_addr(dtype):
    check(lambda t, x, m, v: t.addmv(x, m, v, beta=2, alpha=0.5), randn(3, dtype=dtype),
          randn(3, 4, dtype=dtype), randn(4, dtype=dtype))
    check(lambda t, x, m, v: x.addmv(m, v), randn(1, dtype=dtype),
          non_contiguous(randn(3, 4, dtype=dtype)), randn(4, dtype=dtype))
    check(lambda t, x, a, b: t.addr(x, a, b, beta=0.5, alpha=3), randn(3, 4, dtype=dtype),
          randn(3, dtype=dtype), randn(4, dtype=dtype))
    check(lambda t, x, a, b: x.addr(a, b), randn(4, dtype=dtype), randn(3, dtype=dtype),
          randn(4, dtype=dtype))


@pytest.mark.parametrize("fn", [
    lambda t, x, a, b: t.baddbmm(x, a, b, beta=0.5, alpha=2),
    lambda t, x, a, b: t.addbmm(x[0], a, b, alpha=2),
])
def test_fused_batched_products_gradcheck(fn):
    args = randn(2, 2, 3), randn(2, 2, 4), randn(2, 4, 3)
    assert gradcheck(fn, *args)
    assert gradgradcheck(fn, *args)


def test_fused_vector_products_gradcheck():
    assert gradgradcheck(lambda t, x, m, v: t.addmv(x, m, v, beta=2, alpha=0.5), randn(3),
                         randn(3, 2), randn(2))
    assert gradgradcheck(lambda t, x, a, b: t.addr(x, a, b, alpha=2), randn(3, 2), randn(3),
                         randn(2))


def test_fused_product_errors():
    check_error(lambda t, x, a, b: t.baddbmm(x, a, b), randn(2, 2, 2), randn(2, 2, 3),
                randn(2, 2, 2))
    check_error(lambda t, x, a, b: t.addbmm(x, a, b), randn(2, 2), randn(2, 2),
                randn(2, 2, 2))
    check_error(lambda t, x, m, v: t.addmv(x, m, v), randn(2), randn(2, 3), randn(2))
    check_error(lambda t, x, a, b: t.addr(x, a, b), randn(2, 2), randn(2, 2), randn(2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_chain_matmul_and_multi_dot(dtype):
    a, b, c = randn(2, 5, dtype=dtype), randn(5, 3, dtype=dtype), randn(3, 4, dtype=dtype)
    check(lambda t, a, b, c: t.chain_matmul(a, b, c), a, b, c)
    check(lambda t, a, b, c: t.linalg.multi_dot([a, b, c]), a, b, c)
    check(lambda t, a, b: t.linalg.multi_dot([a, b]), a, b)


def test_multi_dot_vectors_at_the_ends():
    check(lambda t, v, m, w: t.linalg.multi_dot([v, m, w]), randn(3), randn(3, 4), randn(4))
    check(lambda t, v, m: t.linalg.multi_dot([v, m]), randn(3), randn(3, 4))
    assert gradgradcheck(lambda t, a, b, c: t.linalg.multi_dot([a, b, c]), randn(2, 3),
                         randn(3, 2), randn(2))


def test_chain_errors():
    check_error(lambda t, a: t.linalg.multi_dot([a]), randn(2, 2))
    check_error(lambda t, a: t.chain_matmul(a), randn(2))


def test_integer_products_stay_integer():
    i = np.arange(6, dtype=np.int64)
    check(lambda t, a, b: t.outer(a, b), i[:3], i[3:])
    check(lambda t, a, b: t.kron(a, b), i[:2], i.reshape(2, 3))
    check(lambda t, a, b: t.tensordot(a, b, 1), i[:3], i[3:])
    check(lambda t, a, b: t.linalg.cross(a, b), i[:3], i[3:])
    check(lambda t, x, a, b: t.addr(x, a, b), i.reshape(3, 2), i[:3], i[4:])


def test_addr_promotes_mixed_dtypes_and_the_others_refuse():
    f32, f64 = randn(2), randn(2, dtype=np.float64)
    # (torch's own backward fails on the mixed-dtype addr, so values only)
    check(lambda t, x, a, b: t.addr(x, a, b), randn(2, 2), f32, f64, grad=False)
    check_error(lambda t, x, m, v: t.addmv(x, m, v), f32, randn(2, 2), f64)
    check_error(lambda t, x, a, b: t.baddbmm(x, a, b), randn(2, 2, 2),
                randn(2, 2, 2, dtype=np.float64), randn(2, 2, 2, dtype=np.float64))
    check_error(lambda t, x, a, b: t.addbmm(x, a, b), randn(2, 2),
                randn(2, 2, 2, dtype=np.float64), randn(2, 2, 2, dtype=np.float64))
    check_error(lambda t, a, b: t.linalg.cross(a, b), randn(3), randn(3, dtype=np.float64))
    check_error(lambda t, a, b: t.tensordot(a, b, 1), f32, f64)


def test_empty_products():
    check(lambda t, a, b: t.tensordot(a, b, 1), randn(2, 0), randn(0, 3))
    check(lambda t, x, a, b: t.baddbmm(x, a, b), randn(0, 2, 3), randn(0, 2, 4),
          randn(0, 4, 3))
    check(lambda t, x, a, b: t.addbmm(x, a, b), randn(2, 3), randn(0, 2, 4), randn(0, 4, 3))
    check(lambda t, a, b: t.kron(a, b), randn(0, 2), randn(2, 2))


@pytest.mark.parametrize("fn", [
    lambda t, a: t.addr(t.ones(3, 3), a[0], a[0]),
    lambda t, a: t.baddbmm(t.ones(3, 3), a.expand(2, 2, 2), a.expand(2, 2, 2)),
    lambda t, a: t.addbmm(t.ones(3, 3), a.expand(2, 2, 2), a.expand(2, 2, 2)),
    lambda t, a: t.addmv(a[0].expand(3), a, a[0]),
    lambda t, a: t.addbmm(a, a.expand(2, 2, 2), a.expand(3, 2, 2)),
    lambda t, a: t.chain_matmul(a.expand(2, 3), a),
    lambda t, a: t.linalg.multi_dot([a.expand(2, 3), a]),
    lambda t, a: t.tensordot(a, a, -1),
    lambda t, a: t.tensordot(a, a, dims=([0], [0, 1])),
    lambda t, a: t.linalg.cross(a[0].expand(3), a[0].expand(2, 3)),
    lambda t, a: t.cross(a[0].expand(3), a[0].expand(3), dim=2),
    lambda t, a: t.outer(a[0, 0], a[0]),
])
def test_more_bad_product_inputs_raise_like_torch(fn):
    check_error(fn, randn(2, 2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_vdot_conjugates_the_first_vector(dtype):
    a, b = randn(4).astype(dtype), randn(4).astype(dtype)
    if dtype == np.complex128:
        a, b = a + 1j * randn(4), b - 2j * randn(4)
        check(lambda t, a, b: t.vdot(a, b).real, a, b, check_grad_fn=False)
    else:
        check(lambda t, a, b: t.vdot(a, b), a, b)
        check(lambda t, a, b: a.vdot(b), a, b)


def test_vdot_gradgrad_and_errors():
    assert gradgradcheck(lambda t, a, b: t.vdot(a, b), randn(3), randn(3))
    check_error(lambda t, a, b: t.vdot(a, b), randn(3), randn(4))
    check_error(lambda t, a, b: t.vdot(a, b), randn(2, 2), randn(4))
