"""argwhere, searchsorted, bucketize, bincount and histc match torch 2.13: values, dtypes,
shapes and the errors for bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from differential import check, check_error, non_contiguous, randn

I64 = np.int64


def sorted_rows(*shape, dtype=np.float32, seed=0):
    a = np.random.default_rng(seed).integers(-4, 5, shape).astype(dtype)  # with ties
    return np.sort(a, axis=-1)


# ---------------------------------------------------------------------------------------
# argwhere, nonzero, where(condition)


def test_argwhere_nonzero_and_one_argument_where_match_torch():
    a = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]], np.float32)
    check(lambda m, x: m.argwhere(x), a, grad=False)
    check(lambda m, x: x.argwhere(), a > 0, grad=False)
    check(lambda m, x: m.argwhere(x), np.array(3.0), grad=False)
    check(lambda m, x: m.argwhere(x), np.zeros((2, 0)), grad=False)
    check(lambda m, x: m.nonzero(x, as_tuple=True), a, grad=False)
    check(lambda m, x: x.nonzero(), np.arange(-2, 3), grad=False)
    check(lambda m, x: m.where(x), a, grad=False)
    for scalar in [np.array(0.0), np.array(2.0)]:
        check(lambda m, x: m.nonzero(x, as_tuple=True), scalar, grad=False)
        check(lambda m, x: m.where(x), scalar, grad=False)
        check(lambda m, x: m.nonzero(x), scalar, grad=False)


# ---------------------------------------------------------------------------------------
# searchsorted, bucketize


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_1d_matches_torch(dtype, right):
    seq = sorted_rows(9, dtype=dtype)
    values = np.random.default_rng(1).integers(-5, 6, (3, 4)).astype(dtype)
    check(lambda m, s, v: m.searchsorted(s, v, right=right), seq, values, grad=False)
    side = "right" if right else "left"
    check(lambda m, s, v: m.searchsorted(s, v, side=side, out_int32=True), seq, values,
          grad=False)
    check(lambda m, s: m.searchsorted(s, 2, right=right), seq, grad=False)


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_nd_matches_torch_row_by_row(right):
    seq = sorted_rows(2, 3, 6, seed=4)
    values = np.random.default_rng(2).integers(-5, 6, (2, 3, 5)).astype(np.float32)
    check(lambda m, s, v: m.searchsorted(s, v, right=right), seq, values, grad=False)
    check(lambda m, s, v: m.searchsorted(s, v, right=right), seq, values[..., :0], grad=False)
    check(lambda m, s, v: m.searchsorted(s, v, right=right), seq[0], values[0].astype(I64),
          grad=False)
    check(lambda m, s, v: m.searchsorted(s, v, right=right), non_contiguous(seq[0]),
          non_contiguous(values[0]), grad=False)


def test_searchsorted_with_a_sorter_matches_torch():
    seq = np.array([3.0, 1.0, 2.0, 2.0, 0.0], np.float32)
    sorter = np.argsort(seq, kind="stable").astype(I64)
    values = np.array([2.0, -1.0, 3.5, 0.0], np.float32)
    check(lambda m, s, v, o: m.searchsorted(s, v, sorter=o), seq, values, sorter, grad=False)
    rows = np.stack([seq, seq[::-1]])
    check(lambda m, s, v, o: m.searchsorted(s, v, sorter=o, side="right"), rows,
          np.stack([values, values]), np.argsort(rows, axis=-1, kind="stable").astype(I64),
          grad=False)


def test_bucketize_matches_torch():
    bounds = np.array([-1.0, 0.0, 0.0, 2.0], np.float32)
    x = np.array([[-2.0, -1.0, 0.0], [0.5, 2.0, 9.0]], np.float32)
    for right in [False, True]:
        check(lambda m, x, b, r=right: m.bucketize(x, b, right=r), x, bounds, grad=False)
    check(lambda m, x, b: m.bucketize(x, b, out_int32=True), x, bounds, grad=False)
    check(lambda m, b: m.bucketize(0.0, b), bounds, grad=False)
    check(lambda m, x, b: m.bucketize(x, b), np.array([1, 2]), bounds, grad=False)


def test_searchsorted_and_bucketize_errors_match_torch():
    seq, v = np.array([1.0, 2.0, 3.0], np.float32), randn(2, 2)
    check_error(lambda m, s, v: m.searchsorted(s, v), seq[None], v)
    check_error(lambda m, s: m.searchsorted(s, 2.0), seq[None])
    check_error(lambda m, s, v: m.searchsorted(s, v, side="left", right=True), seq, v)
    check_error(lambda m, s, v: m.searchsorted(s, v, side="up"), seq, v)
    check_error(lambda m, s, v, o: m.searchsorted(s, v, sorter=o), seq, v, np.array([0, 1]))
    check_error(lambda m, s, v, o: m.searchsorted(s, v, sorter=o), seq, v, np.array([0, 1, 5]))
    check_error(lambda m, s, v, o: m.searchsorted(s, v, sorter=o.int()), seq, v,
                np.array([0, 1, 2]))
    check_error(lambda m, s, v: m.searchsorted(s, v), np.array(1.0), v)
    check_error(lambda m, x, b: m.bucketize(x, b), v, np.ones((2, 2)))


# ---------------------------------------------------------------------------------------
# bincount, histc


def test_bincount_matches_torch():
    x = np.array([1, 4, 4, 0, 7, 1, 1])
    check(lambda m, x: m.bincount(x), x, grad=False)
    check(lambda m, x: x.bincount(minlength=10), x, grad=False)
    check(lambda m, x: m.bincount(x, minlength=3), np.zeros(0, I64), grad=False)
    check(lambda m, x: m.bincount(x), x.astype(np.uint8), grad=False)
    for w in [randn(7), randn(7, dtype=np.float64), np.arange(7)]:
        check(lambda m, x, w: m.bincount(x, w), x, w, grad=False)


def test_bincount_with_weights_that_require_grad_is_not_differentiable_like_torch():
    check(lambda m, x, w: m.bincount(x, w), np.array([0, 2, 2]), randn(3), grad=False)
    w = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for aten::bincount is not implemented"):
        ember.bincount(ember.tensor([0, 2, 2]), w).sum().backward()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_histc_matches_torch(dtype):
    x = randn(200, dtype=dtype)
    check(lambda m, x: m.histc(x), x, grad=False)
    check(lambda m, x: x.histc(bins=7, min=-1, max=1), x, grad=False)
    edges = np.linspace(-1, 1, 5).astype(dtype)  # values on the bin edges
    check(lambda m, x: m.histc(x, 4, -1, 1), edges, grad=False)
    check(lambda m, x: m.histc(x, 3), np.array([[2.0, 2.0]], dtype), grad=False)
    check(lambda m, x: m.histc(x, 4), np.zeros(0, dtype), grad=False)
    check(lambda m, x: m.histc(x, 4, 0, 2), np.array([1.0, np.nan, 5.0], dtype), grad=False)
    check(lambda m, x: m.histc(x, 10), np.arange(0, 1, 0.01).astype(dtype), grad=False)


def test_histc_of_float16_matches_torch():
    check(lambda m, x: m.histc(x, 4), np.array([1.0, 2.0, 2.5], np.float16), grad=False)
    check(lambda m, x: m.histc(x, 9, -1, 1), randn(50).astype(np.float16), grad=False)


def test_histc_of_a_tensor_that_requires_grad_has_no_history_like_torch():
    check(lambda m, x: m.histc(x, 5), randn(10))


def test_bincount_and_histc_errors_match_torch():
    check_error(lambda m, x: m.bincount(x), np.array([-1, 2]))
    check_error(lambda m, x: m.bincount(x), np.array([[1, 2]]))
    check_error(lambda m, x: m.bincount(x), np.array([1.0, 2.0]))
    check_error(lambda m, x: m.bincount(x), np.array([True, False]))
    check_error(lambda m, x, w: m.bincount(x, w), np.array([1, 2]), randn(3))
    check_error(lambda m, x: m.bincount(x, minlength=-1), np.array([1, 2]))
    check_error(lambda m, x: m.histc(x, 0), randn(3))
    check_error(lambda m, x: m.histc(x, 4, 3, 1), randn(3))
    check_error(lambda m, x: m.histc(x, 4), np.array([1.0, np.inf], np.float32))
    check_error(lambda m, x: m.histc(x, 4), np.array([1, 2]))


def test_one_hot_is_only_in_nn_functional_like_torch():
    assert hasattr(torch.nn.functional, "one_hot") and not hasattr(torch, "one_hot")
    assert hasattr(ember.nn.functional, "one_hot") and not hasattr(ember, "one_hot")
    assert not hasattr(ember.Tensor, "one_hot") and not hasattr(torch.Tensor, "one_hot")
    check(lambda m, x: m.nn.functional.one_hot(x, 5), np.array([[0, 3], [4, 4]]), grad=False)
    check_error(lambda m, x: m.nn.functional.one_hot(x, 3), np.array([0, 3]))
