"""Sorting and order statistics (sort, argsort, msort, topk, kthvalue, median,
nanmedian, mode, quantile, nanquantile, unique, unique_consecutive) behave like torch.

Which of several tied positions torch's selection algorithms report is an
implementation detail (its `stable=False` sort reorders ties in rows longer than 16),
so index checks on ties use stable sorts, short rows or cases torch specifies.
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


def ties(*shape, high=4, dtype=np.float32):
    return np.random.default_rng(7).integers(0, high, shape).astype(dtype)


# ---------------------------------------------------------------------------------------
# sort / argsort / msort


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_matches_torch(dtype, dim, descending):
    e, t = check(lambda m, x: m.sort(x, dim, descending), randn(3, 5, dtype=dtype))
    assert e.values is e[0] and e.indices is e[1]
    check(lambda m, x: x.sort(dim=dim, descending=descending), non_contiguous(randn(4, 3)))
    check(lambda m, x: m.argsort(x, dim, descending), randn(3, 5, dtype=dtype))


@pytest.mark.parametrize("descending", [False, True])
def test_stable_sort_keeps_tied_elements_in_order_like_torch(descending):
    a = ties(6, 40)
    check(lambda m, x: m.sort(x, dim=1, descending=descending, stable=True), a)
    check(lambda m, x: m.sort(x, dim=0, descending=descending, stable=True), a)
    check(lambda m, x: m.argsort(x, dim=1, descending=descending, stable=True), a)
    # torch's default sort is stable too for rows of at most 16 elements
    check(lambda m, x: m.sort(x, descending=descending), ties(5, 16))


def test_sort_nan_is_largest_and_integers_bools_sort_like_torch():
    check(lambda m, x: m.sort(x), np.array([3., NAN, 1., NAN, 2.]))
    check(lambda m, x: m.sort(x, descending=True), np.array([3., NAN, 1., NAN, 2.]))
    check(lambda m, x: m.sort(x, descending=True, stable=True), ties(3, 20, dtype=np.int64))
    check(lambda m, x: m.sort(x, stable=True), np.array([True, False, True, False]))
    check(lambda m, x: m.sort(x, stable=True), ties(30, high=200, dtype=np.uint8))


@pytest.mark.parametrize("shape", [(), (0,), (2, 0)])
def test_sort_of_0d_and_empty_matches_torch(shape):
    check(lambda m, x: m.sort(x), randn(*shape))
    check(lambda m, x: m.argsort(x), randn(*shape))
    check(lambda m, x: m.msort(x), randn(*shape))


def test_msort_matches_torch():
    check(lambda m, x: m.msort(x), randn(4, 3))
    check(lambda m, x: x.msort(), randn(5))


def test_sort_gradcheck():
    a = randn(3, 5, dtype=np.float64)
    assert gradcheck(lambda m, x: m.sort(x, 1, descending=True).values, a)
    assert gradgradcheck(lambda m, x: m.sort(x, 0).values, a)


def test_sort_bad_dim_raises_like_torch():
    check_error(lambda m, x: m.sort(x, 2), randn(3, 4))
    check_error(lambda m, x: m.argsort(x, dim=3), randn(3, 4))


# ---------------------------------------------------------------------------------------
# topk / kthvalue


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("k,dim,largest", [(1, -1, True), (3, 1, False), (2, 0, True),
                                           (5, 1, True), (0, 1, True)])
def test_topk_matches_torch(dtype, k, dim, largest):
    check(lambda m, x: m.topk(x, k, dim, largest), randn(3, 5, dtype=dtype))
    check(lambda m, x: x.topk(k, dim=dim, largest=largest, sorted=True),
          non_contiguous(randn(3, 5, dtype=dtype)))


def test_topk_of_0d_integers_and_ties_values_match_torch():
    check(lambda m, x: m.topk(x, 1), randn())
    check(lambda m, x: m.topk(x, 2), np.array([[5, 1, 7, 3], [2, 9, 4, 8]]))
    a = [1., 1., 1., 1., 2., 2.]
    for largest in (True, False):  # which tied index is reported is torch's own choice
        e, t = ember.tensor(a).topk(3, largest=largest), torch.tensor(a).topk(3, largest=largest)
        assert e.values.tolist() == t.values.tolist()


def test_topk_gradcheck_and_bad_k():
    assert gradcheck(lambda m, x: m.topk(x, 2, 1).values, randn(3, 5, dtype=np.float64))
    check_error(lambda m, x: m.topk(x, 6), randn(3, 5))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("k,dim,keepdim", [(1, -1, False), (3, 1, True), (2, 0, False),
                                           (5, 1, False)])
def test_kthvalue_matches_torch(dtype, k, dim, keepdim):
    check(lambda m, x: m.kthvalue(x, k, dim, keepdim), randn(3, 5, dtype=dtype))
    check(lambda m, x: x.kthvalue(k, dim), randn(3, 5, dtype=dtype))


def test_kthvalue_gradcheck_0d_and_bad_k():
    assert gradcheck(lambda m, x: m.kthvalue(x, 2, 0).values, randn(3, 5, dtype=np.float64))
    check(lambda m, x: m.kthvalue(x, 1), randn())
    check_error(lambda m, x: m.kthvalue(x, 0), randn(3, 4))
    check_error(lambda m, x: m.kthvalue(x, 5), randn(3, 4))


# ---------------------------------------------------------------------------------------
# median / nanmedian / mode


@pytest.mark.parametrize("fn", ["median", "nanmedian"])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(5,), (4,), (3, 4), ()])
def test_median_of_all_elements_is_the_lower_median_like_torch(fn, dtype, shape):
    check(lambda m, x: getattr(m, fn)(x), randn(*shape, dtype=dtype))


@pytest.mark.parametrize("fn", ["median", "nanmedian"])
def test_median_ties_share_the_gradient_like_torch(fn):
    check(lambda m, x: getattr(m, fn)(x), np.array([2., 1., 1., 2., 1., 3.]))
    check(lambda m, x: getattr(x, fn)(), ties(4, 5))


@pytest.mark.parametrize("fn", ["median", "nanmedian"])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), (-1, False)])
def test_median_along_dim_matches_torch(fn, dtype, dim, keepdim):
    e, t = check(lambda m, x: getattr(m, fn)(x, dim, keepdim), randn(4, 5, dtype=dtype))
    assert e.values is e[0] and e.indices is e[1]
    assert type(e).__name__ == type(t).__name__


def test_median_and_nanmedian_with_nans_match_torch():
    a = np.array([[1., NAN, 2., NAN], [3., 0., 5., 4.], [NAN, 7., 6., 1.]])
    check(lambda m, x: m.median(x, 1), a)
    check(lambda m, x: m.nanmedian(x, 1), a)
    # an all-NaN row: NaN (the index torch reports there is an artifact of its selection)
    all_nan = np.full((2, 4), NAN)
    check(lambda m, x: m.nanmedian(x, 1).values, all_nan, grad=False)
    check(lambda m, x: m.nanmedian(x, 0), all_nan)
    check(lambda m, x: m.median(x), a)
    check(lambda m, x: m.nanmedian(x), a)
    check(lambda m, x: m.nanmedian(x), np.array([NAN, NAN]))
    check(lambda m, x: m.median(x), randn(0))


def test_median_of_integers_and_gradcheck():
    check(lambda m, x: m.median(x, 1), np.array([[5, 1, 7, 3, 0], [2, 9, 4, 8, 6]]))
    check(lambda m, x: m.median(x), np.array([5, 1, 7, 3]))
    assert gradcheck(lambda m, x: m.median(x, 1).values, randn(3, 5, dtype=np.float64))
    assert gradcheck(lambda m, x: m.nanmedian(x), randn(3, 5, dtype=np.float64))


def test_median_bad_inputs_raise_like_torch():
    check_error(lambda m, x: m.median(x, 0), randn(0))
    check_error(lambda m, x: m.median(x), np.array([True, False]))
    check_error(lambda m, x: m.nanmedian(x, 2), randn(3, 4))


@pytest.mark.parametrize("dtype", FLOATS)
def test_mode_picks_the_smallest_most_frequent_value_and_its_last_index(dtype):
    check(lambda m, x: m.mode(x), np.array([1., 2., 2., 1., 3.], dtype))
    check(lambda m, x: m.mode(x), np.array([3., 3., 1., 2., 2., 5., 3., 2.], dtype))
    check(lambda m, x: m.mode(x, 0), ties(6, 4, dtype=dtype))
    check(lambda m, x: x.mode(1, keepdim=True), ties(3, 7, dtype=dtype))
    check(lambda m, x: m.mode(x, 1), ties(3, 7, dtype=np.int64))


def test_mode_of_distinct_values_0d_and_bad_dim():
    check(lambda m, x: m.mode(x), randn(3, 5))
    check(lambda m, x: m.mode(x), randn())
    check_error(lambda m, x: m.mode(x), randn(0))
    check_error(lambda m, x: m.mode(x, 2), randn(3, 4))


# ---------------------------------------------------------------------------------------
# quantile / nanquantile


INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]


@pytest.mark.parametrize("fn", ["quantile", "nanquantile"])
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("args", [(0.3,), (0.5, 1), (0.75, 0, True), (0.0, None, True),
                                  (1.0, -1)])
def test_quantile_matches_torch(fn, interpolation, args):
    check(lambda m, x: getattr(m, fn)(x, *args, interpolation=interpolation),
          randn(4, 5, dtype=np.float64))


@pytest.mark.parametrize("fn", ["quantile", "nanquantile"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), (None, True)])
def test_quantile_with_tensor_q_matches_torch(fn, dim, keepdim):
    q = [0.1, 0.5, 0.9]
    check(lambda m, x: getattr(m, fn)(x, m.tensor(q), dim, keepdim), randn(4, 5))


def test_quantile_and_nanquantile_with_nans_match_torch():
    a = np.array([[1., NAN, 2., 5.], [NAN, NAN, NAN, NAN], [3., 0., 5., 4.]])
    check(lambda m, x: m.quantile(x, 0.4, 1), a)
    check(lambda m, x: m.quantile(x, 0.4), a)
    check(lambda m, x: m.nanquantile(x, 0.4, 1), a)
    check(lambda m, x: m.nanquantile(x, 0.4), a)


def test_quantile_gradcheck():
    assert gradcheck(lambda m, x: m.quantile(x, 0.3, 1), randn(3, 5, dtype=np.float64))
    q = np.array([0.15, 0.6, 0.95])
    assert gradcheck(lambda m, x, q: m.quantile(x, q, 0), randn(4, 3, dtype=np.float64), q)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("dim", [None, 1])
def test_quantile_gradient_flows_to_a_tensor_q_like_torch(interpolation, dim):
    q = np.array([0.2, 0.7], np.float32)
    check(lambda m, x, q: m.nanquantile(x, q, dim, interpolation=interpolation), randn(3, 5),
          q)
    check(lambda m, x, q: m.quantile(x, q, dim, interpolation=interpolation),
          randn(3, 5, dtype=np.float64), q.astype(np.float64))


def test_quantile_bad_inputs_raise_like_torch():
    check_error(lambda m, x: m.quantile(x, 1.5), randn(3, 4))
    check_error(lambda m, x: m.quantile(x, 0.5), np.array([1, 2]))
    check_error(lambda m, x: m.quantile(x, 0.5, interpolation="foo"), randn(3, 4))


# ---------------------------------------------------------------------------------------
# unique / unique_consecutive


@pytest.mark.parametrize("sorted_", [True, False])
@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("counts", [False, True])
def test_unique_matches_torch(sorted_, inverse, counts):
    a = np.array([[3, 1, 2], [1, 3, 5]])
    check(lambda m, x: m.unique(x, sorted=sorted_, return_inverse=inverse,
                                return_counts=counts), a)
    check(lambda m, x: x.unique(return_inverse=inverse, return_counts=counts), ties(3, 4),
          grad=False)


def test_unique_along_dim_matches_torch():
    a = np.array([[1, 2], [1, 2], [0, 5], [1, 2]])
    check(lambda m, x: m.unique(x, dim=0, return_inverse=True, return_counts=True), a)
    check(lambda m, x: m.unique(x, dim=1, return_inverse=True, return_counts=True), a)


def test_unique_of_float_that_requires_grad_has_no_derivative_like_torch():
    e, t = check(lambda m, x: m.unique(x.requires_grad_()), np.array([2., 1., 2.]),
                 grad=False)
    assert t.requires_grad and e.requires_grad
    with pytest.raises(NotImplementedError) as te:
        t.sum().backward()
    with pytest.raises(NotImplementedError) as ee:
        e.sum().backward()
    assert str(ee.value) == str(te.value)
    check_error(lambda m, x: m.unique(x, dim=3), randn(3, 4))


@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("counts", [False, True])
def test_unique_consecutive_matches_torch(inverse, counts):
    a = np.array([1, 1, 2, 2, 3, 1, 1, 2])
    check(lambda m, x: m.unique_consecutive(x, return_inverse=inverse, return_counts=counts),
          a)
    check(lambda m, x: x.unique_consecutive(return_inverse=inverse, return_counts=counts),
          np.array([[1., 1.], [2., 2.]]), grad=False)
    b = np.array([[1, 1, 2], [1, 1, 2], [0, 1, 2], [1, 1, 2]])
    check(lambda m, x: m.unique_consecutive(x, return_inverse=inverse, return_counts=counts,
                                            dim=0), b)
    check(lambda m, x: m.unique_consecutive(x, return_inverse=inverse, return_counts=counts,
                                            dim=1), b)


def test_unique_consecutive_empty_and_bad_dim():
    check(lambda m, x: m.unique_consecutive(x, return_counts=True), np.zeros(0, np.int64))
    check_error(lambda m, x: m.unique_consecutive(x, dim=5), randn(3, 4))


def test_sorting_ops_are_tensor_methods():
    x = ember.tensor([3., 1., 2.])
    assert x.sort().values.tolist() == torch.tensor([3., 1., 2.]).sort().values.tolist()
    assert x.argsort(descending=True).tolist() == [0, 2, 1]


def test_edge_dtypes_and_shapes_match_torch():
    check(lambda m, x: m.mode(x), np.array([True, False, True]))
    check_error(lambda m, x: m.topk(x, 1), np.array([True, False, True]))
    check(lambda m, x: m.quantile(x, m.tensor(0.5)), randn(5))
    check(lambda m, x: m.quantile(x, 0.5, 0, True), randn())
    check(lambda m, x: m.kthvalue(x, 2), np.array([3, 1, 2]))
    check(lambda m, x: m.msort(x), np.array([[3, 1], [2, 5]]))


def test_unique_treats_each_nan_as_distinct_like_torch():
    a = np.array([np.nan, 1., np.nan, 1.])
    check(lambda m, x: m.unique(x, return_counts=True, return_inverse=True), a, grad=False)
    check(lambda m, x: m.unique_consecutive(x, return_counts=True), a, grad=False)
    check(lambda m, x: m.unique(x, return_inverse=True), np.array(3))
    check(lambda m, x: m.unique(x), np.array([True, False, True]))


@pytest.mark.parametrize("largest", [True, False])
def test_topk_kthvalue_median_on_long_rows_with_nans_match_torch(largest):
    a = randn(4, 50, dtype=np.float64)
    a[1, 7] = a[2, 3] = a[3, 40] = NAN  # one per row: the order of tied NaNs is torch's own
    check(lambda m, x: m.topk(x, 6, 1, largest), a)
    check(lambda m, x: m.topk(x, 3, 0, largest), a)
    check(lambda m, x: m.kthvalue(x, 49, 1), a)
    check(lambda m, x: m.kthvalue(x, 10, 1), a)
    check(lambda m, x: m.median(x, 1), a)
    check(lambda m, x: m.nanmedian(x, 1), a)


def test_named_tuple_results_print_like_torch():
    a = np.array([[3., 1., 2.], [0.5, 4., 1.]], np.float32)
    for fn in (lambda m, x: m.sort(x), lambda m, x: m.topk(x, 2), lambda m, x: m.median(x, 0),
               lambda m, x: m.nanmedian(x, 1), lambda m, x: m.mode(x),
               lambda m, x: m.kthvalue(x, 1), lambda m, x: m.aminmax(x),
               lambda m, x: m.cummin(x, 1)):
        e = fn(ember, ember.tensor(a, requires_grad=True))
        t = fn(torch, torch.tensor(a, requires_grad=True))
        assert repr(e) == repr(t).replace("torch", "ember")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 5), min_size=1, max_size=3), st.data())
def test_order_statistics_of_random_shapes_match_torch(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    k = data.draw(st.integers(1, n))
    # distinct values: which of several tied positions is reported is torch's own choice
    a = np.random.default_rng(sum(shape) + dim).permutation(int(np.prod(shape)))
    a = a.reshape(shape).astype(np.float64)
    check(lambda m, x: m.sort(x, dim, descending=k % 2 == 0), a)
    check(lambda m, x: m.topk(x, k, dim, largest=k % 2 == 1), a)
    check(lambda m, x: m.kthvalue(x, k, dim), a)
    check(lambda m, x: m.median(x, dim), a)
    check(lambda m, x: m.quantile(x, 0.25, dim), a)
