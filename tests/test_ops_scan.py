"""Scans (cumsum, cumprod, cummax, cummin, logcumsumexp) behave like torch 2.13.

Each test runs the same function through ember and torch (`differential.check`) and
compares values, dtype, shape, grad_fn name and input gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ember
from differential import check, check_error, gradcheck, gradgradcheck, non_contiguous, randn

FLOATS = [np.float32, np.float64]
NAN = np.nan
DIMS = [0, 1, -1]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("fn", ["cumsum", "cumprod", "logcumsumexp"])
def test_scan_matches_torch(fn, dtype, dim):
    check(lambda m, x: getattr(m, fn)(x, dim), randn(3, 4, dtype=dtype))
    check(lambda m, x: getattr(x, fn)(dim), non_contiguous(randn(3, 4, dtype=dtype)))


@pytest.mark.parametrize("fn", ["cumsum", "cumprod", "logcumsumexp", "cummax", "cummin"])
@pytest.mark.parametrize("shape,dim", [((), 0), ((), -1), ((0,), 0), ((2, 0), 1), ((5,), 0)])
def test_scan_of_0d_and_empty_tensors_matches_torch(fn, shape, dim):
    check(lambda m, x: getattr(m, fn)(x, dim), randn(*shape))


@pytest.mark.parametrize("np_dtype", [np.int32, np.int64, np.uint8, np.bool_])
@pytest.mark.parametrize("fn", ["cumsum", "cumprod"])
def test_cumsum_cumprod_of_integers_and_bools_give_int64(fn, np_dtype):
    a = (np.arange(1, 13).reshape(3, 4) % 3).astype(np_dtype)
    e, t = check(lambda m, x: getattr(m, fn)(x, 1), a)
    assert t.dtype == torch.int64


@pytest.mark.parametrize("fn", ["cumsum", "cumprod"])
def test_scan_dtype_argument_matches_torch(fn):
    check(lambda m, x: getattr(m, fn)(x, 0, dtype=m.float64), randn(3, 4))
    check(lambda m, x: getattr(m, fn)(x, 0, dtype=m.float32), np.array([1, 2, 3]))


@pytest.mark.parametrize("zeros", [[(0, 0)], [(1, 2)], [(0, 1), (0, 3)], [(2, 3)],
                                   [(1, 0), (1, 1), (2, 2)]])
def test_cumprod_gradient_with_zeros_matches_torch(zeros):
    a = randn(3, 4, dtype=np.float64)
    for i, j in zeros:
        a[i, j] = 0
    check(lambda m, x: m.cumprod(x, 1), a)
    check(lambda m, x: m.cumprod(x, 0), a)
    assert gradcheck(lambda m, x: m.cumprod(x, 1), a)


@pytest.mark.parametrize("fn", ["cumsum", "cumprod", "logcumsumexp"])
def test_scan_gradcheck(fn):
    assert gradcheck(lambda m, x: getattr(m, fn)(x, 1), randn(3, 4, dtype=np.float64))


@pytest.mark.parametrize("fn", ["cumsum", "cumprod"])
def test_scan_gradgradcheck(fn):
    assert gradgradcheck(lambda m, x: getattr(m, fn)(x, 0), randn(3, 2, dtype=np.float64))


def test_logcumsumexp_is_stable_for_large_and_infinite_inputs():
    a = np.array([[1000., 1000.5, -1000., 3.], [-np.inf, -np.inf, 0., -np.inf]], np.float32)
    check(lambda m, x: m.logcumsumexp(x, 1), a, grad=False)
    check(lambda m, x: m.logcumsumexp(x, 1), np.array([[1000., 999., 1001.]]))


@pytest.mark.parametrize("fn", ["cummax", "cummin"])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim", DIMS)
def test_cummax_cummin_match_torch(fn, dtype, dim):
    e, t = check(lambda m, x: getattr(m, fn)(x, dim), randn(3, 4, dtype=dtype))
    assert e.values is e[0] and e.indices is e[1]
    assert repr(type(e).__name__) == repr(type(t).__name__)


@pytest.mark.parametrize("fn", ["cummax", "cummin"])
def test_cummax_cummin_ties_take_the_later_index_and_share_gradient_like_torch(fn):
    check(lambda m, x: getattr(m, fn)(x, 0), np.array([1., 3., 3., 2., 3., 1., 1.]))
    check(lambda m, x: getattr(x, fn)(1), np.array([[2., 2., 2.], [0., 1., 0.]]))


@pytest.mark.parametrize("fn", ["cummax", "cummin"])
def test_cummax_cummin_nan_and_integers_match_torch(fn):
    check(lambda m, x: getattr(m, fn)(x, 0), np.array([1., np.nan, 2., np.nan, 5.]))
    check(lambda m, x: getattr(m, fn)(x, 1), np.array([[3, 1, 4, 1, 5], [9, 2, 6, 5, 3]]))
    check(lambda m, x: getattr(m, fn)(x, 0), np.array([True, False, True]))


def test_cummax_gradcheck():
    assert gradcheck(lambda m, x: m.cummax(x, 1).values, randn(3, 4, dtype=np.float64))
    assert gradcheck(lambda m, x: m.cummin(x, 0)[0], randn(3, 4, dtype=np.float64))


def test_cumsum_inplace_matches_torch():
    check(lambda m, x: (x * 1).cumsum_(1), randn(3, 4))
    check(lambda m, x: (x * 1).cumprod_(0), randn(3, 4))
    check(lambda m, x: x.clone().cumsum_(0), np.array([1, 2, 3], np.int32))


def test_cumsum_inplace_on_leaf_that_requires_grad_raises_like_torch():
    e = ember.ones(3, requires_grad=True)
    t = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError) as te:
        t.cumsum_(0)
    with pytest.raises(RuntimeError) as ee:
        e.cumsum_(0)
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("fn", ["cumsum", "cumprod", "logcumsumexp", "cummax", "cummin"])
def test_scan_bad_dim_raises_like_torch(fn):
    check_error(lambda m, x: getattr(m, fn)(x, 2), randn(3, 4))
    check_error(lambda m, x: getattr(m, fn)(x, -3), randn(3, 4))


def test_logcumsumexp_of_integers_raises_like_torch():
    check_error(lambda m, x: m.logcumsumexp(x, 0), np.array([1, 2]))


def test_cummax_and_logcumsumexp_gradgradcheck():
    a = randn(2, 4, dtype=np.float64)
    assert gradgradcheck(lambda m, x: m.cummax(x, 1).values, a)
    assert gradgradcheck(lambda m, x: m.logcumsumexp(x, 1), a)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_scans_of_random_shapes_match_torch(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    a = np.random.default_rng(len(shape) * 7 + dim).integers(-3, 4, shape).astype(np.float64)
    for fn in ("cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"):
        check(lambda m, x: getattr(m, fn)(x, dim), a)  # noqa: B023 - used at once


@pytest.mark.parametrize("values", [[1., NAN, 0., 2.], [2., 0., np.inf, 3.], [0., 0., 2.],
                                    [3., 2., 0.], [np.inf, 0., 1.]])
def test_cumprod_gradient_with_zeros_and_non_finite_values_matches_torch(values):
    check(lambda m, x: m.cumprod(x, 0), np.array(values))
