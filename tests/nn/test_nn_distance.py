"""cosine_similarity, pairwise_distance, cdist, pdist and the distance modules, compared
with torch: values, dtypes, grad_fn names, gradients, float64 gradchecks, errors."""

import math

import numpy as np
import pytest

from differential import check, check_error, gradcheck, gradgradcheck, non_contiguous, randn
from module_check import check_module

DTYPES = [np.float32, np.float64]
P_VALUES = [2.0, 1.0, 3.0, 0.5, math.inf, 0.0]


def F(T):
    return T.nn.functional


@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_similarity_matches_torch(dtype):
    a, b = randn(4, 5, dtype=dtype), randn(4, 5, dtype=dtype)
    check(lambda T, x, y: F(T).cosine_similarity(x, y), a, b)
    check(lambda T, x, y: F(T).cosine_similarity(x, y, dim=0, eps=1e-3), a, b)
    check(lambda T, x, y: T.cosine_similarity(x, y, -1), a, b)
    # broadcasting, and a 3-d case along the middle dim
    check(lambda T, x, y: F(T).cosine_similarity(x, y, dim=-1), a, b[:1])
    check(lambda T, x, y: F(T).cosine_similarity(x, y), randn(2, 3, 4, dtype=dtype),
          randn(2, 3, 1, dtype=dtype))


def test_cosine_similarity_clamps_small_norms_but_not_their_gradient():
    a = randn(3, 4)
    a[1] = 0.0
    a[2] *= 1e-9
    check(lambda T, x, y: F(T).cosine_similarity(x, y), a, randn(3, 4))


def test_cosine_similarity_of_1d_and_non_contiguous_inputs_and_int_inputs():
    check(lambda T, x, y: F(T).cosine_similarity(x, y, dim=0), randn(5), randn(5))
    check(lambda T, x, y: F(T).cosine_similarity(x, y), non_contiguous(randn(3, 4)), randn(3, 4))
    ints = np.arange(12).reshape(3, 4)
    check(lambda T, x, y: F(T).cosine_similarity(x, y), ints, randn(3, 4))


def test_cosine_similarity_gradcheck():
    a, b = randn(3, 4, dtype=np.float64), randn(3, 4, dtype=np.float64)
    assert gradcheck(lambda T, x, y: F(T).cosine_similarity(x, y), a, b)
    assert gradgradcheck(lambda T, x, y: F(T).cosine_similarity(x, y, dim=0), a, b)


def test_cosine_similarity_errors_match_torch():
    a = randn(3, 4)
    check_error(lambda T, x, y: F(T).cosine_similarity(x, y), a, randn(3, 3))
    check_error(lambda T, x: F(T).cosine_similarity(x, x, dim=2), a)
    ints = np.arange(12).reshape(3, 4)
    check_error(lambda T, x: F(T).cosine_similarity(x, x), ints)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", P_VALUES + [-1.0])
def test_pairwise_distance_matches_torch(p, dtype):
    a, b = randn(4, 5, dtype=dtype), randn(4, 5, dtype=dtype)
    check(lambda T, x, y: F(T).pairwise_distance(x, y, p=p), a, b)
    check(lambda T, x, y: F(T).pairwise_distance(x, y, p=p, keepdim=True, eps=0.1), a, b)
    check(lambda T, x, y: T.pairwise_distance(x, y, p), a, b[0])


def test_pairwise_distance_of_1d_and_0d_inputs_and_equal_points():
    check(lambda T, x, y: F(T).pairwise_distance(x, y), randn(5), randn(5))
    check(lambda T, x, y: F(T).pairwise_distance(x, y), randn(), randn())
    a = randn(3, 4)
    check(lambda T, x, y: F(T).pairwise_distance(x, y, eps=0.0), a, a.copy())


def test_pairwise_distance_gradcheck_and_errors():
    a, b = randn(3, 4, dtype=np.float64), randn(3, 4, dtype=np.float64)
    for p in (2.0, 1.5, 3.0, math.inf):
        assert gradcheck(lambda T, x, y, p=p: F(T).pairwise_distance(x, y, p=p), a, b)
    assert gradgradcheck(lambda T, x, y: F(T).pairwise_distance(x, y), a, b)
    check_error(lambda T, x, y: F(T).pairwise_distance(x, y), randn(3, 4), randn(3, 3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", P_VALUES)
def test_cdist_matches_torch(p, dtype):
    a, b = randn(4, 3, dtype=dtype), randn(6, 3, dtype=dtype)
    # float32 with p < 1: (sum |d|^p)^(1/p) magnifies rounding (missed 1e-6 by 2.4e-6
    # on some random draws)
    tol = {"atol": 1e-5, "grad_atol": 1e-4} if dtype == np.float32 else {}
    check(lambda T, x, y: T.cdist(x, y, p=p), a, b, **tol)
    # batched, with broadcasting of the batch dims
    check(lambda T, x, y: T.cdist(x, y, p=p), randn(2, 1, 4, 3, dtype=dtype),
          randn(3, 5, 3, dtype=dtype), **tol)


@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                                  "donot_use_mm_for_euclid_dist"])
def test_cdist_compute_modes_including_the_matmul_path(mode):
    # more than 25 rows: the default mode switches to the matmul expansion (ViewBackward0)
    a, b = randn(30, 4), randn(7, 4)
    check(lambda T, x, y: T.cdist(x, y, compute_mode=mode), a, b, rtol=1e-4, atol=1e-5)
    check(lambda T, x, y: T.cdist(x, y, compute_mode=mode), randn(3, 4), randn(2, 4))
    check(lambda T, x, y: T.cdist(x, y, compute_mode=mode), randn(2, 30, 3, dtype=np.float64),
          randn(2, 4, 3, dtype=np.float64))


def test_cdist_of_empty_inputs_and_equal_rows():
    check(lambda T, x, y: T.cdist(x, y), randn(0, 4), randn(3, 4))
    a = randn(3, 4)
    check(lambda T, x, y: T.cdist(x, y), a, a.copy())
    check(lambda T, x, y: T.cdist(x, y, p=1.5), a, a.copy())


def test_cdist_gradcheck():
    a, b = randn(3, 4, dtype=np.float64), randn(5, 4, dtype=np.float64)
    for p in (2.0, 1.0, 1.5, 3.0, math.inf):
        assert gradcheck(lambda T, x, y, p=p: T.cdist(x, y, p=p), a, b)
    assert gradcheck(lambda T, x, y: T.cdist(x, y, compute_mode="use_mm_for_euclid_dist"), a, b)
    assert gradgradcheck(lambda T, x, y: T.cdist(x, y), a, b)


def test_cdist_errors_match_torch():
    a = randn(3, 4)
    check_error(lambda T, x: T.cdist(x[0], x), a)
    check_error(lambda T, x: T.cdist(x, x[:, :3]), a)
    check_error(lambda T, x: T.cdist(x, x, p=-1.0), a)
    check_error(lambda T, x: T.cdist(x.long(), x.long()), a)
    check_error(lambda T, x: T.cdist(x, x, compute_mode="foo"), a)
    check_error(lambda T, x: T.cdist(x, x.double()), a)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", P_VALUES)
def test_pdist_matches_torch(p, dtype):
    check(lambda T, x: T.pdist(x, p=p), randn(5, 3, dtype=dtype))
    check(lambda T, x: F(T).pdist(x, p), non_contiguous(randn(4, 2, dtype=dtype)))


def test_pdist_of_one_or_no_rows_and_repeated_rows():
    check(lambda T, x: T.pdist(x), randn(1, 3))
    # torch 2.13's pdist backward on a (0, M) input crashes the process: values only
    check(lambda T, x: T.pdist(x), randn(0, 3), grad=False)
    a = randn(3, 2)
    a[2] = a[0]
    check(lambda T, x: T.pdist(x), a)


def test_pdist_gradcheck_and_errors():
    a = randn(4, 3, dtype=np.float64)
    for p in (2.0, 1.0, 3.0, math.inf):
        assert gradcheck(lambda T, x, p=p: T.pdist(x, p=p), a)
    assert gradgradcheck(lambda T, x: T.pdist(x), a)
    check_error(lambda T, x: T.pdist(x[0]), a)
    check_error(lambda T, x: T.pdist(x.long()), a)
    check_error(lambda T, x: T.pdist(x, p=-1.0), a)


def test_distance_modules_match_torch():
    a, b = randn(4, 5), randn(4, 5)
    check_module(lambda nn: nn.PairwiseDistance(), a, b)
    check_module(lambda nn: nn.PairwiseDistance(p=1.0, eps=0.0, keepdim=True), a, b)
    check_module(lambda nn: nn.CosineSimilarity(), a, b)
    check_module(lambda nn: nn.CosineSimilarity(dim=0, eps=1e-4), a, b)
