"""Pooling behaves like torch 2.13: max (with indices, ceil_mode, dilation), average
(count_include_pad, divisor_override), adaptive average/max, lp pooling, functional and
as layers; values, indices, gradients, grad_fn names and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from differential import check, check_error, gradcheck, gradgradcheck, non_contiguous, randn
from module_check import check_module

FLOATS = [np.float32, np.float64]


def F(m):
    return m.nn.functional


# ---------------------------------------------------------------------------------------
# max pooling


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0), "dilation": (2, 3),
     "ceil_mode": True},
    {"kernel_size": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 1},
])
def test_max_pool2d_values_indices_and_gradients_match_torch(dtype, kwargs):
    x = randn(2, 3, 9, 8, dtype=dtype)
    check(lambda m, x: F(m).max_pool2d(x, **kwargs), x)
    check(lambda m, x: F(m).max_pool2d(x, return_indices=True, **kwargs), x)


def test_max_pool2d_grad_fn_and_unbatched_and_non_contiguous():
    e, t = check(lambda m, x: F(m).max_pool2d(x, 2), randn(3, 6, 4))
    assert e.grad_fn.name() == t.grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    check(lambda m, x: F(m).max_pool2d(x, 2), non_contiguous(randn(2, 3, 6, 4)))


def test_max_pool_ties_pick_the_first_maximum_like_torch():
    x = np.zeros((1, 1, 4, 4), np.float32)
    x[0, 0, 1, 1] = x[0, 0, 0, 1] = 1
    check(lambda m, x: F(m).max_pool2d(x, 2, return_indices=True), x)
    check(lambda m, x: F(m).max_pool2d(x, 3, stride=1, padding=1, return_indices=True), x)


def test_max_pool_with_nan_and_infinities():
    x = randn(1, 2, 4, 4)
    x[0, 0, 0, 0] = np.nan
    x[0, 1, 2, 3] = -np.inf
    check(lambda m, x: F(m).max_pool2d(x, 2, return_indices=True), x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_max_pool1d_and_3d_match_torch(dtype):
    check(lambda m, x: F(m).max_pool1d(x, 3, stride=2, padding=1, return_indices=True),
          randn(2, 3, 9, dtype=dtype))
    check(lambda m, x: F(m).max_pool1d(x, 2, ceil_mode=True), randn(3, 7, dtype=dtype))
    check(lambda m, x: F(m).max_pool3d(x, 2, return_indices=True), randn(2, 3, 5, 4, 4,
                                                                         dtype=dtype))


def test_pooling_of_empty_batches_and_empty_planes():
    for f in (lambda m, x: F(m).max_pool2d(x, 3, 2, 1, return_indices=True),
              lambda m, x: F(m).avg_pool2d(x, 2), lambda m, x: F(m).adaptive_avg_pool2d(x, 4),
              lambda m, x: F(m).adaptive_max_pool2d(x, 4, return_indices=True)):
        check(f, randn(0, 3, 6, 6))
    check_error(lambda m, x: F(m).max_pool2d(x, 2), randn(2, 0, 6, 6))


def test_max_pool_of_integers_matches_torch():
    check(lambda m, x: F(m).max_pool2d(x, 2), np.arange(32).reshape(1, 2, 4, 4) % 7)


def test_max_pool_gradcheck_and_double_backward():
    assert gradcheck(lambda m, x: F(m).max_pool2d(x, 3, stride=2, padding=1, dilation=1),
                     randn(2, 2, 6, 5))
    assert gradgradcheck(lambda m, x: F(m).max_pool2d(x, (2, 3), stride=1), randn(1, 2, 4, 5))


def test_max_pool_errors_match_torch():
    check_error(lambda m, x: F(m).max_pool2d(x, 3, padding=2), randn(1, 3, 5, 5))
    check_error(lambda m, x: F(m).max_pool2d(x, 2), randn(1, 3, 1, 1))
    check_error(lambda m, x: F(m).max_pool2d(x, 3, padding=2, dilation=2), randn(1, 3, 8, 8))
    check_error(lambda m, x: F(m).max_pool2d(x, 3, stride=0), randn(1, 3, 8, 8))
    check_error(lambda m, x: F(m).max_pool2d(x, 2), randn(3, 1))
    check_error(lambda m, x: F(m).max_pool1d(x, 3, padding=2), randn(1, 3, 8))
    check_error(lambda m, x: F(m).max_pool1d(x, 3), randn(1, 3, 2))
    check_error(lambda m, x: F(m).max_pool1d(x, 2), randn(3))


# ---------------------------------------------------------------------------------------
# average pooling


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False,
     "ceil_mode": True},
    {"kernel_size": (3, 2), "stride": 2, "padding": (1, 1), "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "divisor_override": 4, "ceil_mode": True},
])
def test_avg_pool2d_matches_torch(dtype, kwargs):
    e, t = check(lambda m, x: F(m).avg_pool2d(x, **kwargs), randn(2, 3, 9, 8, dtype=dtype))
    assert e.grad_fn.name() == "AvgPool2DBackward0"


@pytest.mark.parametrize("dtype", FLOATS)
def test_avg_pool1d_and_3d_match_torch(dtype):
    check(lambda m, x: F(m).avg_pool1d(x, 3, stride=2, padding=1, count_include_pad=False),
          randn(2, 3, 9, dtype=dtype))
    check(lambda m, x: F(m).avg_pool3d(x, 2, stride=(1, 2, 2)), randn(2, 3, 5, 4, 4,
                                                                      dtype=dtype))


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False,
     "ceil_mode": True},
    {"kernel_size": 2, "divisor_override": 3},
])
def test_avg_pool_of_integers_truncates_like_torch(kwargs):
    a = (np.arange(2 * 3 * 5 * 5).reshape(2, 3, 5, 5) * 7 % 23 - 11).astype(np.int64)
    check(lambda m, x: F(m).avg_pool2d(x, **kwargs), a)


def test_avg_pool_gradcheck_and_double_backward():
    assert gradgradcheck(lambda m, x: F(m).avg_pool2d(x, 3, stride=2, padding=1,
                                                      count_include_pad=False),
                         randn(2, 2, 6, 5))


def test_avg_pool_nan_stays_in_its_windows():
    x = randn(1, 1, 4, 4)
    x[0, 0, 0, 0] = np.nan
    check(lambda m, x: F(m).avg_pool2d(x, 2), x)


def test_avg_pool_errors_match_torch():
    check_error(lambda m, x: F(m).avg_pool2d(x, 2), randn(1, 3, 1, 1))
    check_error(lambda m, x: F(m).avg_pool2d(x, 3, padding=2), randn(1, 3, 5, 5))
    check_error(lambda m, x: F(m).avg_pool2d(x, 2, divisor_override=0), randn(1, 3, 4, 4))
    check_error(lambda m, x: F(m).avg_pool1d(x, 2), randn(3))


# ---------------------------------------------------------------------------------------
# adaptive and lp pooling


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("size", [(4, 3), 1, (None, 5), (9, 8), (2, 1), 5])
def test_adaptive_avg_pool2d_matches_torch(dtype, size):
    check(lambda m, x: F(m).adaptive_avg_pool2d(x, size), randn(2, 3, 9, 8, dtype=dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("size", [(4, 3), 1, (5, None), 6])
def test_adaptive_max_pool2d_matches_torch(dtype, size):
    check(lambda m, x: F(m).adaptive_max_pool2d(x, size, return_indices=True),
          randn(2, 3, 9, 8, dtype=dtype))


@pytest.mark.parametrize("dtype", FLOATS)
def test_adaptive_pool1d_matches_torch(dtype):
    x = randn(2, 3, 9, dtype=dtype)
    for size in (4, 1, 9):
        check(lambda m, x, s=size: F(m).adaptive_avg_pool1d(x, s), x)
        check(lambda m, x, s=size: F(m).adaptive_max_pool1d(x, s, return_indices=True), x)


@pytest.mark.parametrize("size", [2, (3, None, 4), 1])
def test_adaptive_pool3d_matches_torch(size):
    x = randn(2, 2, 5, 4, 6)
    check(lambda m, x: F(m).adaptive_avg_pool3d(x, size), x)
    check(lambda m, x: F(m).adaptive_max_pool3d(x, size, return_indices=True), x)


def test_adaptive_pool_gradients():
    assert gradgradcheck(lambda m, x: F(m).adaptive_avg_pool2d(x, (4, 3)), randn(1, 2, 6, 5))
    assert gradgradcheck(lambda m, x: F(m).adaptive_max_pool2d(x, (4, 3)), randn(1, 2, 6, 5))


def test_adaptive_pool_errors_match_torch():
    check_error(lambda m, x: F(m).adaptive_avg_pool2d(x, 2), randn(3))
    check_error(lambda m, x: F(m).adaptive_max_pool2d(x, 2), randn(3))
    check_error(lambda m, x: F(m).adaptive_avg_pool2d(x, (2, 3, 4)), randn(1, 3, 8, 8))
    check_error(lambda m, x: F(m).adaptive_avg_pool2d(x, 2), randn(1, 3, 0, 4))
    check_error(lambda m, x: F(m).adaptive_avg_pool1d(x, 2), randn(3))
    check_error(lambda m, x: F(m).adaptive_avg_pool3d(x, 2), randn(3, 4))
    check_error(lambda m, x: F(m).adaptive_max_pool3d(x, 2), randn(3, 4))
    check_error(lambda m, x: F(m).adaptive_avg_pool3d(x, (1, 2)), randn(1, 2, 5, 4, 6))


def test_lp_pool_matches_torch():
    check(lambda m, x: F(m).lp_pool2d(x, 2, 3, stride=2), randn(2, 3, 9, 8))
    check(lambda m, x: F(m).lp_pool1d(x, 3, 3), randn(2, 3, 9, low=0.1))


# ---------------------------------------------------------------------------------------
# max unpooling


def _pool_unpool(m, x):
    values, indices = F(m).max_pool2d(x, 2, return_indices=True)
    return F(m).max_unpool2d(values, indices, 2)


@pytest.mark.parametrize("dtype", FLOATS)
def test_max_unpool_puts_values_back_at_their_indices(dtype):
    e, _ = check(_pool_unpool, randn(2, 3, 4, 6, dtype=dtype))
    assert e.grad_fn.name() == "MaxUnpool2DBackward0"

    def pool_unpool_1d(m, x):
        values, indices = F(m).max_pool1d(x, 3, stride=2, return_indices=True)
        return F(m).max_unpool1d(values, indices, 3, stride=2, output_size=[9])

    check(pool_unpool_1d, randn(2, 3, 9, dtype=dtype))
    assert gradgradcheck(_pool_unpool, randn(1, 2, 4, 4))


def test_max_unpool_errors_match_torch():
    check_error(_pool_unpool, randn(2, 3, 5, 5), match="Found an invalid max index")
    check_error(lambda m, x: F(m).max_unpool2d(x, m.zeros(1, 2, 2, 2).long(), 2,
                                               output_size=(7, 7)), randn(1, 2, 2, 2))


def test_max_unpool_modules_match_torch():
    for build in (lambda nn: nn.MaxUnpool2d(2), lambda nn: nn.MaxUnpool1d(3, stride=2),
                  lambda nn: nn.MaxUnpool2d((2, 3), padding=1)):
        assert repr(build(ember.nn)) == repr(build(torch.nn))
    check(lambda m, x: m.nn.MaxUnpool2d(2)(*m.nn.MaxPool2d(2, return_indices=True)(x)),
          randn(2, 3, 4, 6))


# ---------------------------------------------------------------------------------------
# modules


@pytest.mark.parametrize("build,shape", [
    (lambda nn: nn.MaxPool2d(2), (2, 3, 8, 8)),
    (lambda nn: nn.MaxPool2d((3, 2), stride=1, padding=1, dilation=(1, 2), ceil_mode=True),
     (2, 3, 7, 8)),
    (lambda nn: nn.MaxPool2d(2, return_indices=True), (2, 3, 8, 8)),
    (lambda nn: nn.MaxPool1d(3, stride=2), (2, 3, 9)),
    (lambda nn: nn.MaxPool3d(2), (1, 2, 4, 4, 4)),
    (lambda nn: nn.AvgPool1d(3, padding=1), (2, 3, 9)),
    (lambda nn: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 9, 8)),
    (lambda nn: nn.AvgPool2d(2, divisor_override=3), (2, 3, 8, 8)),
    (lambda nn: nn.AvgPool3d(2), (1, 2, 4, 4, 4)),
    (lambda nn: nn.AdaptiveAvgPool1d(4), (2, 3, 9)),
    (lambda nn: nn.AdaptiveAvgPool2d((3, None)), (2, 3, 9, 8)),
    (lambda nn: nn.AdaptiveAvgPool2d(1), (2, 3, 9, 8)),
    (lambda nn: nn.AdaptiveMaxPool1d(4), (2, 3, 9)),
    (lambda nn: nn.AdaptiveMaxPool2d(3, return_indices=True), (2, 3, 9, 8)),
    (lambda nn: nn.AdaptiveAvgPool3d((2, None, 3)), (1, 2, 5, 4, 6)),
    (lambda nn: nn.AdaptiveMaxPool3d(2), (1, 2, 5, 4, 6)),
    (lambda nn: nn.LPPool2d(2, 3, stride=2), (2, 3, 9, 8)),
    (lambda nn: nn.LPPool1d(2, 3), (2, 3, 9)),
])
def test_pooling_modules_match_torch(build, shape):
    check_module(build, randn(*shape))


def test_pooling_module_reprs_match_torch():
    for build in (lambda nn: nn.MaxPool2d(2), lambda nn: nn.MaxPool1d(2),
                  lambda nn: nn.AvgPool1d(2), lambda nn: nn.AvgPool2d(2, divisor_override=3),
                  lambda nn: nn.AdaptiveAvgPool2d((3, None)),
                  lambda nn: nn.AdaptiveMaxPool2d(3, True), lambda nn: nn.LPPool2d(2, 3)):
        assert repr(build(ember.nn)) == repr(build(torch.nn))
    assert repr(ember.nn.MaxPool2d(2)) == \
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
