"""Reductions (sum, mean, max/min, amax/amin, argmax/argmin, all/any) behave like torch 2.13.

Each test runs the same function through ember and torch (`differential.check`) and
compares values, dtype, shape, grad_fn name and input gradients.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))
import ember  # noqa: E402
from differential import check, check_error, gradcheck, gradgradcheck, randn  # noqa: E402

FLOATS = [np.float32, np.float64]


def nc(a):
    """A non-contiguous array with the same values (a transposed layout)."""
    from differential import non_contiguous
    return non_contiguous(a)


# ---------------------------------------------------------------------------------------
# sum / mean


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (0,), (2, 0, 3)])
def test_sum_all_elements_matches_torch(dtype, shape):
    check(lambda m, x: m.sum(x), randn(*shape, dtype=dtype))
    check(lambda m, x: x.sum(), randn(*shape, dtype=dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim", [0, 1, -1, (0, 2), (-1, 0), (0, 1, 2), [1]])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_over_dims_matches_torch(dtype, dim, keepdim):
    check(lambda m, x: m.sum(x, dim, keepdim=keepdim), randn(2, 3, 4, dtype=dtype))


@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_of_non_contiguous_input_matches_torch(keepdim):
    check(lambda m, x: x.sum(1, keepdim=keepdim), nc(randn(3, 4, 5)))


@pytest.mark.parametrize("np_dtype,torch_name", [(np.int32, "int64"), (np.int64, "int64"),
                                                 (np.uint8, "int64"), (np.bool_, "int64"),
                                                 (np.int8, "int64")])
def test_sum_of_integers_and_bools_is_int64(np_dtype, torch_name):
    a = (np.arange(12).reshape(3, 4) % 3).astype(np_dtype)
    e, t = check(lambda m, x: m.sum(x), a)
    assert str(t.dtype) == f"torch.{torch_name}"
    check(lambda m, x: m.sum(x, 1), a)


@pytest.mark.parametrize("target", ["float64", "float32", "int32"])
def test_sum_dtype_argument_casts_before_summing(target):
    a = randn(3, 4)
    check(lambda m, x: m.sum(x, 1, dtype=getattr(m, target)), a, grad=target != "int32")


def test_sum_dtype_argument_gradient_flows_back_to_input_dtype():
    check(lambda m, x: m.sum(x, dtype=m.float64), randn(3, 4))


def test_sum_bad_dim_raises_like_torch():
    check_error(lambda m, x: m.sum(x, 3), randn(2, 3))
    check_error(lambda m, x: m.sum(x, (0, 0)), randn(2, 3))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 1), (1, -1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_mean_matches_torch(dtype, dim, keepdim):
    if dim is None:
        check(lambda m, x: m.mean(x), randn(2, 3, 4, dtype=dtype))
    else:
        check(lambda m, x: x.mean(dim, keepdim=keepdim), randn(2, 3, 4, dtype=dtype))


def test_mean_of_non_contiguous_and_empty_matches_torch():
    check(lambda m, x: x.mean(0), nc(randn(4, 3)))
    check(lambda m, x: x.mean(), randn(0, 3))
    check(lambda m, x: x.mean(0), randn(0, 3))


def test_mean_dtype_argument_accepts_integer_input():
    check(lambda m, x: x.mean(dtype=m.float64), np.arange(6).reshape(2, 3))


@pytest.mark.parametrize("np_dtype", [np.int64, np.int32, np.bool_, np.uint8])
def test_mean_of_integers_raises_torchs_error(np_dtype):
    check_error(lambda m, x: m.mean(x), np.ones((2, 3), dtype=np_dtype))


def test_sum_and_mean_gradcheck_and_gradgradcheck():
    a = randn(3, 4, dtype=np.float64)
    assert gradcheck(lambda m, x: m.sum(x * x, 1), a)
    assert gradcheck(lambda m, x: m.mean(x, (0, 1), keepdim=True), a)
    assert gradgradcheck(lambda m, x: (x * x).sum(0), a)
    assert gradgradcheck(lambda m, x: (x * x).mean(), a)


# ---------------------------------------------------------------------------------------
# max / min


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("fn", ["max", "min"])
@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 3, 4)])
def test_max_min_whole_tensor_matches_torch(dtype, fn, shape):
    check(lambda m, x: getattr(m, fn)(x), randn(*shape, dtype=dtype))


@pytest.mark.parametrize("fn", ["max", "min"])
def test_max_min_whole_tensor_ties_share_gradient_evenly(fn):
    a = np.array([[1.0, 3.0, 3.0], [-2.0, 3.0, -2.0]], dtype=np.float32)
    check(lambda m, x: getattr(m, fn)(x), a)


@pytest.mark.parametrize("fn", ["max", "min"])
def test_max_min_of_empty_tensor_raises_like_torch(fn):
    check_error(lambda m, x: getattr(m, fn)(x), randn(0, 3))
    check_error(lambda m, x: getattr(m, fn)(x, 0), randn(0, 3))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("fn", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_along_dim_returns_values_and_indices(dtype, fn, dim, keepdim):
    check(lambda m, x: getattr(m, fn)(x, dim, keepdim), randn(3, 4, 5, dtype=dtype))
    check(lambda m, x: getattr(x, fn)(dim=dim, keepdim=keepdim), nc(randn(3, 4, 5, dtype=dtype)))


@pytest.mark.parametrize("fn", ["max", "min"])
def test_max_along_dim_result_is_a_named_tuple(fn):
    a = randn(3, 4)
    out = getattr(ember, fn)(ember.from_numpy(a), 1)
    ref = getattr(torch, fn)(torch.from_numpy(a), 1)
    np.testing.assert_array_equal(out.values.numpy(), ref.values.numpy())
    np.testing.assert_array_equal(out.indices.numpy(), ref.indices.numpy())
    values, indices = out
    assert values is out.values and indices is out.indices
    assert out[0] is out.values
    assert type(out).__name__ == fn


def test_max_along_dim_ties_pick_first_index_and_gradient_goes_there():
    a = np.array([[2.0, 5.0, 5.0], [1.0, 1.0, 0.0]], dtype=np.float32)
    check(lambda m, x: m.max(x, 1), a)
    check(lambda m, x: m.min(x, 1), a)


def test_max_min_along_dim_of_0d_tensor_matches_torch():
    check(lambda m, x: m.max(x, 0), randn())
    check(lambda m, x: m.min(x, -1, keepdim=True), randn())


@pytest.mark.parametrize("fn", ["max", "min"])
def test_max_min_with_tensor_is_elementwise_and_broadcasts(fn):
    check(lambda m, x, y: getattr(m, fn)(x, y), randn(3, 4), randn(4))
    check(lambda m, x, y: getattr(x, fn)(y), randn(2, 1, 3), randn(4, 1))


def test_max_min_of_int_tensor_keep_dtype():
    a = np.array([[3, -1, 7], [2, 9, 0]], dtype=np.int64)
    check(lambda m, x: m.max(x), a)
    check(lambda m, x: m.min(x, 0), a)


def test_max_and_argmax_propagate_nan_like_torch():
    a = np.array([[1.0, np.nan, 3.0], [4.0, 2.0, np.nan], [0.0, 1.0, 2.0]], np.float32)
    check(lambda m, x: m.max(x), a, grad=False)
    check(lambda m, x: m.min(x), a, grad=False)
    check(lambda m, x: m.max(x, 1), a, grad=False)
    check(lambda m, x: m.min(x, 0), a, grad=False)
    check(lambda m, x: m.argmax(x), a)
    check(lambda m, x: m.argmin(x, 1), a)
    check(lambda m, x: m.amax(x, 1), a, grad=False)


def test_max_min_gradcheck():
    a = randn(3, 4, dtype=np.float64)
    assert gradcheck(lambda m, x: m.max(x, 1).values, a)
    assert gradcheck(lambda m, x: m.min(x, 0, keepdim=True)[0], a)
    assert gradcheck(lambda m, x: m.max(x), a)
    assert gradgradcheck(lambda m, x: (x * x).max(1).values, a)


# ---------------------------------------------------------------------------------------
# amax / amin


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("fn", ["amax", "amin"])
@pytest.mark.parametrize("dim", [(), 0, -1, (0, 2), [1, 2]])
@pytest.mark.parametrize("keepdim", [False, True])
def test_amax_amin_match_torch(dtype, fn, dim, keepdim):
    check(lambda m, x: getattr(m, fn)(x, dim, keepdim), randn(2, 3, 4, dtype=dtype))


@pytest.mark.parametrize("fn", ["amax", "amin"])
def test_amax_amin_ties_share_gradient_evenly(fn):
    a = np.array([[1.0, 1.0, 1.0], [2.0, 0.0, 2.0]], dtype=np.float32)
    check(lambda m, x: getattr(m, fn)(x, 1), a)
    check(lambda m, x: getattr(m, fn)(x), a)
    check(lambda m, x: getattr(x, fn)(0, keepdim=True), a)


def test_amax_gradcheck_and_gradgradcheck():
    a = randn(3, 4, dtype=np.float64)
    assert gradcheck(lambda m, x: m.amax(x, 1), a)
    assert gradgradcheck(lambda m, x: m.amin(x * x, 0), a)


# ---------------------------------------------------------------------------------------
# argmax / argmin


@pytest.mark.parametrize("fn", ["argmax", "argmin"])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_argmin_match_torch(fn, dim, keepdim):
    check(lambda m, x: getattr(m, fn)(x, dim, keepdim), randn(3, 4, 5))
    check(lambda m, x: getattr(x, fn)(dim=dim, keepdim=keepdim), nc(randn(3, 4, 5)))


@pytest.mark.parametrize("fn", ["argmax", "argmin"])
def test_argmax_argmin_ties_pick_first_and_handle_0d_and_ints(fn):
    check(lambda m, x: getattr(m, fn)(x), np.array([1, 3, 3, 0, 3], np.int64))
    check(lambda m, x: getattr(m, fn)(x, 0), np.array([[1, 1], [1, 0]], np.int32))
    check(lambda m, x: getattr(m, fn)(x), randn())
    check(lambda m, x: getattr(m, fn)(x, 0, True), randn())


@pytest.mark.parametrize("fn", ["argmax", "argmin"])
def test_argmax_of_empty_raises_like_torch(fn):
    check_error(lambda m, x: getattr(m, fn)(x), randn(0))


# ---------------------------------------------------------------------------------------
# all / any


@pytest.mark.parametrize("fn", ["all", "any"])
@pytest.mark.parametrize("np_dtype", [np.bool_, np.float32, np.int64, np.uint8])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_all_any_match_torch(fn, np_dtype, dim, keepdim):
    a = np.array([[0, 1, 2], [3, 4, 5], [0, 0, 0]]).astype(np_dtype)
    if dim is None:
        check(lambda m, x: getattr(m, fn)(x), a, grad=False)
    else:
        check(lambda m, x: getattr(m, fn)(x, dim, keepdim), a, grad=False)


@pytest.mark.parametrize("fn", ["all", "any"])
def test_all_any_over_tuple_of_dims_and_empty(fn):
    a = (randn(2, 3, 4) > 0)
    check(lambda m, x: getattr(m, fn)(x, (0, 2)), a, grad=False)
    check(lambda m, x: getattr(m, fn)(x), np.zeros((0, 2), bool), grad=False)


# ---------------------------------------------------------------------------------------
# properties over random shapes


@st.composite
def shapes_and_dims(draw):
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=4)))
    ndim = len(shape)
    if ndim == 0:
        return shape, None
    dims = draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim,
                         unique_by=lambda d: d % ndim))
    return shape, tuple(dims)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes_and_dims(), st.booleans())
def test_sum_over_random_shapes_and_dims_matches_torch(shape_dims, keepdim):
    shape, dims = shape_dims
    a = randn(*shape)
    if dims is None:
        check(lambda m, x: x.sum(), a)
    else:
        check(lambda m, x: x.sum(dims, keepdim=keepdim), a)


@pytest.mark.parametrize("fn", ["max", "min", "argmax", "argmin", "amax", "amin"])
@pytest.mark.parametrize("dim", [0, -2])
def test_reducing_a_zero_size_dim_raises_like_torch(fn, dim):
    check_error(lambda m, x: getattr(m, fn)(x, dim), randn(0, 3))


@pytest.mark.parametrize("fn", ["amax", "amin"])
def test_amax_of_empty_without_dim_raises_and_over_nonempty_dim_is_empty(fn):
    check_error(lambda m, x: getattr(m, fn)(x), randn(3, 0))
    check(lambda m, x: getattr(m, fn)(x, 1), randn(0, 3))


def test_mean_with_integer_dtype_argument_raises_like_torch():
    check_error(lambda m, x: m.mean(x, dtype=m.int32), randn(3))


def test_mean_of_empty_is_nan_like_torch():
    check(lambda m, x: m.mean(x), randn(0))
    check(lambda m, x: m.mean(x, 1, keepdim=True), randn(2, 0))


@pytest.mark.parametrize("fn", ["sum", "mean"])
def test_sum_mean_grad_fn_depends_on_whether_dim_was_given(fn):
    # torch: x.sum() -> SumBackward0, x.sum(None) / x.sum(()) -> SumBackward1
    check(lambda m, x: getattr(x, fn)(), randn(2, 3))
    check(lambda m, x: getattr(x, fn)(None), randn(2, 3))
    check(lambda m, x: getattr(m, fn)(x, None, True), randn(2, 3))
    check(lambda m, x: getattr(x, fn)(dtype=m.float64), randn(2, 3))


@pytest.mark.parametrize("fn", ["sum", "mean"])
@pytest.mark.parametrize("dim", [(), []])
def test_sum_mean_over_empty_dim_list_reduce_everything(fn, dim):
    check(lambda m, x: getattr(x, fn)(dim), randn(2, 3))
    check(lambda m, x: getattr(x, fn)(dim, keepdim=True), randn(2, 3))


# ---------------------------------------------------------------------------------------
# prod, aminmax, var_mean/std_mean, var/std corrections, logsumexp, norm, nansum/nanmean,
# count_nonzero


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), (-1, False)])
def test_prod_matches_torch(dtype, dim, keepdim):
    a = randn(3, 4, dtype=dtype)
    if dim is None:
        check(lambda m, x: m.prod(x), a)
        check(lambda m, x: x.prod(), a)
    else:
        check(lambda m, x: m.prod(x, dim, keepdim=keepdim), a)


@pytest.mark.parametrize("zeros", [[(0, 1)], [(0, 1), (0, 3)], [(1, 2), (2, 0), (2, 2)]])
def test_prod_gradient_with_zeros_matches_torch(zeros):
    a = randn(3, 4, dtype=np.float64)
    for i, j in zeros:
        a[i, j] = 0
    check(lambda m, x: m.prod(x, 1), a)
    check(lambda m, x: m.prod(x, 0, keepdim=True), a)
    check(lambda m, x: m.prod(x), a)


def test_prod_gradcheck_and_gradgradcheck():
    a = randn(3, 4, dtype=np.float64)
    assert gradcheck(lambda m, x: m.prod(x, 1), a)
    assert gradgradcheck(lambda m, x: m.prod(x, 0), a)
    a[1, 2] = 0
    assert gradcheck(lambda m, x: m.prod(x, 1), a)
    assert gradcheck(lambda m, x: m.prod(x), a)


@pytest.mark.parametrize("np_dtype", [np.int32, np.uint8, np.bool_, np.int64])
def test_prod_of_integers_and_bools_is_int64(np_dtype):
    a = (np.arange(1, 7).reshape(2, 3) % 4).astype(np_dtype)
    check(lambda m, x: m.prod(x), a)
    check(lambda m, x: m.prod(x, 1), a)


def test_prod_dtype_argument_and_empty_input():
    check(lambda m, x: m.prod(x, 0, dtype=m.float64), randn(3, 4))
    check(lambda m, x: m.prod(x, dtype=m.float32), np.array([1, 2, 3]))
    check(lambda m, x: m.prod(x), randn(0, 3))
    check(lambda m, x: m.prod(x, 0), randn(0, 3))


def test_prod_bad_dim_raises_like_torch():
    check_error(lambda m, x: m.prod(x, 5), randn(3, 4))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kwargs", [{}, {"dim": 0}, {"dim": -1, "keepdim": True}])
def test_aminmax_matches_torch(dtype, kwargs):
    check(lambda m, x: m.aminmax(x, **kwargs), randn(3, 4, dtype=dtype))
    e, t = check(lambda m, x: x.aminmax(**kwargs), randn(3, 4, dtype=dtype))
    assert e.min is e[0] and e.max is e[1]


def test_aminmax_ties_share_the_gradient_like_torch():
    check(lambda m, x: m.aminmax(x), np.array([1., 3., 3., 2., 3., 1.]))
    check(lambda m, x: m.aminmax(x, dim=1), np.array([[1., 1., 0.], [2., 2., 2.]]))


def test_aminmax_empty_raises_like_torch():
    check_error(lambda m, x: m.aminmax(x), randn(0))


@pytest.mark.parametrize("fn", ["var", "std"])
@pytest.mark.parametrize("kwargs", [{"correction": 0}, {"correction": 2}, {"unbiased": False},
                                    {"unbiased": True}, {"dim": 1, "correction": 0},
                                    {"dim": (0, 2), "keepdim": True, "correction": 1},
                                    {"dim": 1, "unbiased": False, "keepdim": True}])
def test_var_std_correction_and_unbiased_match_torch(fn, kwargs):
    check(lambda m, x: getattr(m, fn)(x, **kwargs), randn(3, 4, 5, dtype=np.float64))


@pytest.mark.parametrize("fn", ["var_mean", "std_mean"])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kwargs", [{}, {"dim": 0}, {"dim": (0, 1), "keepdim": True},
                                    {"dim": 1, "correction": 0}, {"unbiased": False}])
def test_var_mean_std_mean_match_torch(fn, dtype, kwargs):
    check(lambda m, x: getattr(m, fn)(x, **kwargs), randn(3, 4, dtype=dtype))


def test_var_mean_std_mean_gradcheck():
    a = randn(3, 4, dtype=np.float64)
    assert gradcheck(lambda m, x: m.var_mean(x, 1), a)
    assert gradcheck(lambda m, x: m.std_mean(x, 0, correction=0), a)
    assert gradgradcheck(lambda m, x: m.var_mean(x, 1)[0], a)


def test_var_mean_of_integers_raises_like_torch():
    check_error(lambda m, x: m.std_mean(x, 0), np.array([1, 2]))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), ((0, 1), False), (-1, False)])
def test_logsumexp_matches_torch(dtype, dim, keepdim):
    check(lambda m, x: m.logsumexp(x, dim, keepdim), randn(3, 4, dtype=dtype))
    check(lambda m, x: x.logsumexp(dim, keepdim=keepdim), randn(3, 4, dtype=dtype))


def test_logsumexp_is_stable_for_large_and_infinite_inputs():
    a = np.array([[1000., 1000.5, -1000.], [-np.inf, -np.inf, -np.inf]], np.float32)
    check(lambda m, x: m.logsumexp(x, 1), a, grad=False)
    check(lambda m, x: m.logsumexp(x, 1), np.array([[1000., 999.]]))
    check(lambda m, x: m.logsumexp(x, 0), np.array([1, 2, 3]))
    check(lambda m, x: m.logsumexp(x, 0), randn(0))


def test_logsumexp_gradcheck_and_missing_dim_error():
    assert gradgradcheck(lambda m, x: m.logsumexp(x, 1), randn(2, 3, dtype=np.float64))
    check_error(lambda m, x: m.logsumexp(x), randn(3))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", ["fro", 2, 1, 3, 0.5, 1.5, float("inf"), -float("inf"), 0])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), ((0, 1), True)])
def test_norm_matches_torch(dtype, p, dim, keepdim):
    check(lambda m, x: m.norm(x, p, dim, keepdim), randn(3, 4, dtype=dtype))


def test_norm_method_default_and_zero_vector_gradient():
    check(lambda m, x: x.norm(), randn(2, 3))
    check(lambda m, x: m.norm(x, dim=1), np.array([[0., 0.], [3., 4.]]))
    check(lambda m, x: m.norm(x, 3, dim=1), np.array([[0., 0.], [3., 4.]]))
    check(lambda m, x: m.norm(x, float("inf")), np.array([1., -3., 3., 2.]))


@pytest.mark.parametrize("p", [2, 3, 1.5, float("inf")])
def test_norm_gradcheck(p):
    a = randn(3, 4, dtype=np.float64)
    assert gradcheck(lambda m, x: m.norm(x, p, 1), a)
    if p != float("inf"):
        assert gradgradcheck(lambda m, x: m.norm(x, p), a)


def test_norm_bad_inputs_raise_like_torch():
    check_error(lambda m, x: m.norm(x), np.array([1, 2]))
    check_error(lambda m, x: m.norm(x, "abc"), randn(2, 3))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), ((0, 1), False)])
def test_nansum_nanmean_match_torch(dtype, dim, keepdim):
    a = randn(3, 4, dtype=dtype)
    a[0, 1] = a[2, 2] = np.nan
    a[1, :] = np.nan
    check(lambda m, x: m.nansum(x, dim, keepdim), a)
    check(lambda m, x: m.nanmean(x, dim, keepdim), a)
    check(lambda m, x: x.nansum(), a)
    check(lambda m, x: x.nanmean(), a)


def test_nansum_of_integers_and_nanmean_error_like_torch():
    check(lambda m, x: m.nansum(x), np.array([1, 2, 3], np.int32))
    check_error(lambda m, x: m.nanmean(x), np.array([1, 2]))


def test_count_nonzero_matches_torch():
    a = np.array([[0., 1., 2.], [0., 0., 3.]])
    check(lambda m, x: m.count_nonzero(x), a, grad=False)
    check(lambda m, x: m.count_nonzero(x, 0), a, grad=False)
    check(lambda m, x: x.count_nonzero((0, 1)), a, grad=False)
    check(lambda m, x: m.count_nonzero(x, 1), np.array([[True, False]]))
    check_error(lambda m, x: m.count_nonzero(x, 2), a)


def test_norm_and_aminmax_edge_cases_match_torch():
    check(lambda m, x: m.norm(x), randn(0))
    check_error(lambda m, x: m.norm(x, float("inf")), randn(0))
    check(lambda m, x: m.norm(x, dtype=m.float64), randn(3, 4))
    check_error(lambda m, x: m.norm(x, dtype=m.float32), randn(3, 4, dtype=np.float64))
    check(lambda m, x: m.aminmax(x, dim=0), np.array([[3, 1], [2, 5]]))
    check(lambda m, x: m.aminmax(x), randn())
    check(lambda m, x: m.var(x, correction=1.5), randn(3, 4))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dim,keepdim", [((3, 4), None, False), ((2, 3, 4), (0, 2), False),
                                               ((2, 3, 4), (2, 1), True), ((4, 3), None, True)])
def test_nuclear_norm_matches_torch(dtype, shape, dim, keepdim):
    check(lambda m, x: m.norm(x, "nuc", dim, keepdim), randn(*shape, dtype=dtype),
          rtol=1e-4 if dtype == np.float32 else None)


def test_nuclear_norm_gradcheck_and_errors():
    assert gradcheck(lambda m, x: m.norm(x, "nuc"), randn(3, 4, dtype=np.float64))
    check_error(lambda m, x: m.norm(x, "nuc"), randn(2, 3, 4))
    check_error(lambda m, x: m.norm(x, "nuc"), randn(3))


def test_gradients_at_degenerate_points_match_torch():
    check(lambda m, x: m.std(x, 1), np.ones((2, 3)))  # std 0: gradient 0, not NaN
    check(lambda m, x: m.std_mean(x, 0), np.ones((2, 3)))
    check(lambda m, x: m.aminmax(x), np.array([1., np.nan, 2.]))
    check(lambda m, x: m.prod(x, 0), np.array([1., np.nan, 0.]))
    check(lambda m, x: m.prod(x), np.array([[2., 0.], [np.inf, 3.]]))
    check(lambda m, x: m.prod(x), np.array(0.))
