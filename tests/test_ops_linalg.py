"""Matrix products (matmul/@, mm, bmm, mv, dot, addmm, linear, einsum) behave like
torch 2.13: values, dtypes, shapes, grad_fn names, gradients and error texts.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))
import ember  # noqa: E402
from differential import (  # noqa: E402
    check,
    check_error,
    gradcheck,
    gradgradcheck,
    non_contiguous,
    randn,
)

FLOATS = [np.float32, np.float64]
TOL = {"rtol": 1e-4, "atol": 1e-5}  # BLAS sums in a different order than torch's

MATMUL_SHAPES = [
    ((3,), (3,)),                # dot
    ((2, 3), (3,)),              # mv
    ((3,), (3, 4)),              # vector @ matrix
    ((2, 3), (3, 4)),            # mm
    ((5, 2, 3), (3, 4)),         # batch @ matrix
    ((3,), (5, 3, 4)),           # vector @ batch
    ((5, 2, 3), (3,)),           # batch @ vector
    ((2, 3), (5, 3, 4)),         # matrix @ batch
    ((5, 2, 3), (5, 3, 4)),      # bmm
    ((1, 2, 3), (5, 3, 4)),      # broadcast batch
    ((6, 1, 2, 3), (5, 3, 4)),   # broadcast batch dims of different rank
    ((2, 1, 2, 3), (1, 4, 3, 2)),
    ((0, 2, 3), (3, 4)),         # empty batch
    ((2, 0), (0, 4)),            # empty contraction
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=str)
def test_matmul_follows_torchs_rank_rules(dtype, sa, sb):
    check(lambda m, a, b: m.matmul(a, b), randn(*sa, dtype=dtype), randn(*sb, dtype=dtype),
          **TOL)
    check(lambda m, a, b: a @ b, randn(*sa, dtype=dtype), randn(*sb, dtype=dtype), **TOL)


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES[:9], ids=str)
def test_matmul_of_non_contiguous_inputs_matches_torch(sa, sb):
    check(lambda m, a, b: a @ b, non_contiguous(randn(*sa)), non_contiguous(randn(*sb)), **TOL)


def test_matmul_with_one_operand_not_requiring_grad_matches_torch():
    for m in (ember, torch):
        a = m.ones(2, 3, requires_grad=True)
        b = m.ones(3, 4)
        (a @ b).sum().backward()
        assert a.grad.tolist() == [[4.0] * 3] * 2 and b.grad is None


@pytest.mark.parametrize("sa,sb", [((4,), (3,)), ((2, 3), (4,)), ((3,), (4, 5)),
                                   ((2, 3), (4, 5)), ((1, 768), (3072, 10)),
                                   ((5, 2, 3), (4, 5)), ((5, 2, 3), (4,)), ((2, 3), (5, 4, 5)),
                                   ((5, 2, 3), (5, 4, 5)), ((2, 2, 3), (3, 3, 4)),
                                   ((3,), (5, 4, 2)), ((), (3,)), ((3,), ())], ids=str)
def test_matmul_shape_errors_match_torch(sa, sb):
    check_error(lambda m, a, b: a @ b, randn(*sa), randn(*sb))


def test_matmul_gradcheck_and_gradgradcheck_for_every_rank_combination():
    for sa, sb in MATMUL_SHAPES[:12]:
        a, b = randn(*sa, dtype=np.float64), randn(*sb, dtype=np.float64)
        assert gradcheck(lambda m, x, y: x @ y, a, b), (sa, sb)
        assert gradgradcheck(lambda m, x, y: x @ y, a, b), (sa, sb)


def test_matmul_of_integer_tensors_matches_torch():
    a = np.arange(6).reshape(2, 3)
    b = np.arange(12).reshape(3, 4)
    check(lambda m, x, y: x @ y, a, b)
    check(lambda m, x, y: m.mm(x, y), a, b)


def test_matmul_of_mixed_dtypes_raises_like_torch():
    check_error(lambda m, a, b: a @ b, randn(2, 3), randn(3, 4, dtype=np.float64))
    check_error(lambda m, a, b: m.mm(a, b), randn(2, 3), randn(3, 4, dtype=np.float64))


# ---------------------------------------------------------------------------------------
# mm, bmm, mv, dot


@pytest.mark.parametrize("dtype", FLOATS)
def test_mm_bmm_mv_dot_match_torch(dtype):
    check(lambda m, a, b: m.mm(a, b), randn(2, 3, dtype=dtype), randn(3, 4, dtype=dtype), **TOL)
    check(lambda m, a, b: a.bmm(b), randn(5, 2, 3, dtype=dtype), randn(5, 3, 4, dtype=dtype),
          **TOL)
    check(lambda m, a, b: m.mv(a, b), randn(2, 3, dtype=dtype), randn(3, dtype=dtype), **TOL)
    check(lambda m, a, b: a.dot(b), randn(3, dtype=dtype), randn(3, dtype=dtype), **TOL)
    check(lambda m, a, b: m.inner(a, b), randn(3, dtype=dtype), randn(3, dtype=dtype), **TOL)


def test_mm_bmm_mv_dot_errors_match_torch():
    check_error(lambda m, a, b: m.mm(a, b), randn(2, 3), randn(4, 5))
    check_error(lambda m, a, b: m.mm(a, b), randn(2, 3, 1), randn(3, 5))
    check_error(lambda m, a, b: m.mm(a, b), randn(2, 3), randn(3))
    check_error(lambda m, a, b: m.bmm(a, b), randn(2, 3), randn(2, 3, 4))
    check_error(lambda m, a, b: m.bmm(a, b), randn(2, 2, 3), randn(2, 3))
    check_error(lambda m, a, b: m.bmm(a, b), randn(2, 2, 3), randn(3, 3, 4))
    check_error(lambda m, a, b: m.bmm(a, b), randn(2, 2, 3), randn(2, 4, 4))
    check_error(lambda m, a, b: m.mv(a, b), randn(2, 3), randn(4))
    check_error(lambda m, a, b: m.mv(a, b), randn(2, 3), randn(3, 1))
    check_error(lambda m, a, b: m.dot(a, b), randn(3), randn(4))
    check_error(lambda m, a, b: m.dot(a, b), randn(3, 1), randn(3))
    check_error(lambda m, a, b: m.dot(a, b), randn(3), randn(3, dtype=np.float64))


# ---------------------------------------------------------------------------------------
# addmm and linear


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("bias_shape", [(2, 4), (4,), (1, 4), (2, 1), ()], ids=str)
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1), (2, 0)])
def test_addmm_matches_torch(dtype, bias_shape, beta, alpha):
    check(lambda m, c, a, b: m.addmm(c, a, b, beta=beta, alpha=alpha),
          randn(*bias_shape, dtype=dtype), randn(2, 3, dtype=dtype), randn(3, 4, dtype=dtype),
          **TOL)


def test_addmm_errors_match_torch():
    check_error(lambda m, c, a, b: m.addmm(c, a, b), randn(4), randn(2, 3), randn(4, 4))
    check_error(lambda m, c, a, b: m.addmm(c, a, b), randn(4), randn(3), randn(3, 4))
    check_error(lambda m, c, a, b: m.addmm(c, a, b), randn(3), randn(2, 3), randn(3, 4))


def test_addmm_gradcheck_and_gradgradcheck():
    c, a, b = (randn(4, dtype=np.float64), randn(2, 3, dtype=np.float64),
               randn(3, 4, dtype=np.float64))
    assert gradcheck(lambda m, x, y, z: m.addmm(x, y, z, beta=0.5, alpha=2), c, a, b)
    assert gradgradcheck(lambda m, x, y, z: m.addmm(x, y, z), c, a, b)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("in_shape", [(3,), (2, 3), (4, 2, 3), (0, 3)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch_functional_linear(dtype, in_shape, bias):
    import torch.nn.functional as F  # noqa: N812

    def fn(m, x, w, *b):
        f = F.linear if m.__name__ == "torch" else m.ops.linear
        return f(x, w, *b)
    arrays = [randn(*in_shape, dtype=dtype), randn(5, 3, dtype=dtype)]
    if bias:
        arrays.append(randn(5, dtype=dtype))
    check(fn, *arrays, **TOL)


def test_linear_gradgradcheck_and_error():
    import torch.nn.functional as F  # noqa: N812

    def fn(m, x, w, b):
        f = F.linear if m.__name__ == "torch" else m.ops.linear
        return f(x, w, b)
    args = randn(2, 3, dtype=np.float64), randn(4, 3, dtype=np.float64), randn(4, dtype=np.float64)
    assert gradgradcheck(fn, *args)
    check_error(fn, randn(2, 3), randn(4, 2), randn(4))


# ---------------------------------------------------------------------------------------
# einsum


EINSUM_CASES = [
    ("ik,kj->ij", [(2, 3), (3, 4)]),
    ("bik,bkj->bij", [(5, 2, 3), (5, 3, 4)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,i->", [(3,), (3,)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("ik,jk", [(2, 3), (4, 3)]),
    ("ba", [(2, 3)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (5, 3, 4)]),
    ("...ij,jk", [(2, 5, 2, 3), (3, 4)]),
    ("i...->...", [(2, 3, 4)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("b i j, b j -> b i", [(3, 2, 4), (3, 4)]),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("eq,shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_matches_torch(dtype, eq, shapes):
    arrays = [randn(*s, dtype=dtype) for s in shapes]
    check(lambda m, *xs: m.einsum(eq, *xs), *arrays, check_grad_fn=False, **TOL)


@pytest.mark.parametrize("eq,shapes", EINSUM_CASES[:6], ids=[c[0] for c in EINSUM_CASES[:6]])
def test_einsum_of_non_contiguous_inputs_and_operand_list_match_torch(eq, shapes):
    arrays = [non_contiguous(randn(*s)) for s in shapes]
    check(lambda m, *xs: m.einsum(eq, list(xs)), *arrays, check_grad_fn=False, **TOL)


@pytest.mark.parametrize("eq,shapes", [("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ii->", [(3, 3)]),
                                       ("iij->ij", [(3, 3, 2)]), ("ij,jj->i", [(2, 3), (3, 3)]),
                                       ("bii->b", [(2, 3, 3)]), ("iji->j", [(3, 2, 3)])],
                         ids=str)
def test_einsum_with_a_repeated_subscript_takes_the_diagonal(eq, shapes):
    arrays = [randn(*s) for s in shapes]
    check(lambda m, *xs: m.einsum(eq, *xs), *arrays, check_grad_fn=False, **TOL)
    assert gradcheck(lambda m, *xs: m.einsum(eq, *xs), *[a.astype(np.float64) for a in arrays])
    assert gradgradcheck(lambda m, *xs: m.einsum(eq, *xs),
                         *[a.astype(np.float64) for a in arrays])


@pytest.mark.parametrize("eq,shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_gradcheck_and_gradgradcheck(eq, shapes):
    arrays = [randn(*s, dtype=np.float64) for s in shapes]
    assert gradcheck(lambda m, *xs: m.einsum(eq, *xs), *arrays)
    assert gradgradcheck(lambda m, *xs: m.einsum(eq, *xs), *arrays)


def test_einsum_errors_match_torch():
    check_error(lambda m, a, b: m.einsum("ij,jk->ik", a, b), randn(2, 3), randn(4, 5))
    check_error(lambda m, a: m.einsum("ijk->ij", a), randn(2, 3))
    check_error(lambda m, a: m.einsum("ij,jk->ik", a), randn(2, 3))
    check_error(lambda m, a, b: m.einsum("ij->ij", a, b), randn(2, 3), randn(2, 3))


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (4, 3)), ((2, 3), (3,)),
                                   ((2, 1, 3), (4, 3)), ((), (3,))], ids=str)
def test_inner_sums_over_the_last_dims_like_torch(sa, sb):
    check(lambda m, a, b: m.inner(a, b), randn(*sa), randn(*sb), **TOL)


def test_inner_error_matches_torch():
    check_error(lambda m, a, b: m.inner(a, b), randn(2, 3), randn(4))


def test_matrix_at_batch_grad_fn_depends_on_which_operand_requires_grad_like_torch():
    for m in (ember, torch):
        a, b = m.ones(2, 3), m.ones(5, 3, 4, requires_grad=True)
        assert (a @ b).grad_fn.name() == "UnsafeViewBackward0"
        assert (a.requires_grad_() @ b).grad_fn.name() == "CloneBackward0"


def test_einsum_broadcasts_size_one_subscripts_like_torch():
    check(lambda m, a, b: m.einsum("ij,jk->ik", a, b), randn(2, 3), randn(1, 4),
          check_grad_fn=False, **TOL)
    check(lambda m, a, b: m.einsum("i,i->i", a, b), randn(3), randn(1), check_grad_fn=False)
    check(lambda m, a, b: m.einsum("...ij,...jk", a, b), randn(1, 2, 3), randn(5, 3, 4),
          check_grad_fn=False, **TOL)


def test_einsum_subscript_errors_match_torch():
    check_error(lambda m, a: m.einsum("ii->i", a), randn(2, 3))
    check_error(lambda m, a: m.einsum("i->j", a), randn(2))
    check_error(lambda m, a, b: m.einsum("ij,jkl->ik", a, b), randn(2, 3), randn(3, 3))
