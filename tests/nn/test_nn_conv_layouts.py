"""Convolutions take one of two column layouts (ops/conv.py `_plan`): a short output per
sample folds the batch into the flat buffer, a long one keeps per-sample rows. Both are
compared with torch 2.13 here for strides, dilation, padding, groups and transposes, in
1-D, 2-D and 3-D, with values and gradients (input, weight, bias), and where a
non-finite input or weight meets the junk columns the layouts add."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
import ember.ops.conv as conv_ops
from differential import check, gradgradcheck, randn


def F(m):
    return m.nn.functional


# spatial sizes giving outputs above and below the folding threshold
LONG, SHORT = (11, 13), (4, 5)


@pytest.mark.parametrize("size", [LONG, SHORT])
@pytest.mark.parametrize("kwargs", [
    {"padding": 1},
    {"stride": 2, "padding": 1},
    {"stride": (2, 3), "padding": (0, 2), "dilation": (1, 2)},
    {"stride": 3, "dilation": 2, "padding": 2},
    {"padding": (2, 1), "groups": 2},
])
def test_conv2d_in_both_layouts_matches_torch(size, kwargs):
    assert (np.prod(size) >= conv_ops.FOLD) == (size == LONG)
    check(lambda m, x, w, b: F(m).conv2d(x, w, b, **kwargs),
          randn(3, 4, *size), randn(6, 4 // kwargs.get("groups", 1), 3, 3), randn(6),
          atol=1e-5, grad_atol=1e-4)


@pytest.mark.parametrize("length", [70, 9])
@pytest.mark.parametrize("kwargs", [
    {"stride": 2, "padding": 1},
    {"stride": 3, "dilation": 2},
    {"padding": 2, "dilation": 3, "groups": 3},
])
def test_conv1d_in_both_layouts_matches_torch(length, kwargs):
    check(lambda m, x, w, b: F(m).conv1d(x, w, b, **kwargs),
          randn(5, 3, length), randn(6, 3 // kwargs.get("groups", 1), 3), randn(6),
          atol=1e-5, grad_atol=1e-4)


@pytest.mark.parametrize("size", [(5, 6, 7), (2, 3, 3)])
def test_conv3d_in_both_layouts_matches_torch(size):
    check(lambda m, x, w, b: F(m).conv3d(x, w, b, stride=(1, 2, 1), padding=1),
          randn(2, 2, *size), randn(3, 2, 2, 3, 2), randn(3), atol=1e-5, grad_atol=1e-4)


@pytest.mark.parametrize("size", [LONG, SHORT])
@pytest.mark.parametrize("kwargs", [
    {"stride": 2, "padding": 1, "output_padding": 1},
    {"stride": (1, 2), "dilation": (2, 1), "groups": 2},
    {"stride": 1, "dilation": 2, "padding": 1, "output_padding": 1},
])
def test_conv_transpose2d_in_both_layouts_matches_torch(size, kwargs):
    check(lambda m, x, w, b: F(m).conv_transpose2d(x, w, b, **kwargs),
          randn(2, 4, *size), randn(4, 3, 3, 2), randn(3 * kwargs.get("groups", 1)),
          atol=1e-5, grad_atol=1e-4)


def test_double_backward_in_the_per_sample_layout():
    assert gradgradcheck(lambda m, x, w, b: F(m).conv2d(x, w, b, stride=(2, 1), padding=1,
                                                        groups=2),
                         randn(2, 4, 9, 16), randn(4, 2, 3, 2), randn(4))


def _nonfinite_pattern(lib, x, w, **kwargs):
    xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
    F(lib).conv2d(xt, wt, **kwargs).sum().backward()
    return [(np.isnan(a), np.isinf(a)) for a in (xt.grad.numpy(), wt.grad.numpy())]


@pytest.mark.parametrize("size", [LONG, SHORT])
@pytest.mark.parametrize("stride", [1, 2])
def test_an_infinite_input_reaches_the_weight_gradient_as_in_torch(size, stride):
    """The junk columns read input values; an inf there must not turn into 0 * inf."""
    x, w = randn(2, 2, *size), randn(3, 2, 3, 3)
    x[0, 0, 0, 0] = np.inf
    got = _nonfinite_pattern(ember, x, w, padding=1, stride=stride)
    want = _nonfinite_pattern(torch, x, w, padding=1, stride=stride)
    for (gn, gi), (wn, wi) in zip(got, want):
        np.testing.assert_array_equal(gn, wn)
        np.testing.assert_array_equal(gi, wi)


@pytest.mark.parametrize("size", [LONG, SHORT])
def test_an_infinite_weight_reaches_the_input_gradient_as_in_torch(size):
    x, w = randn(2, 2, *size), randn(3, 2, 3, 3)
    w[0, 0, 0, 0] = np.inf
    got = _nonfinite_pattern(ember, x, w, padding=1)[0]
    want = _nonfinite_pattern(torch, x, w, padding=1)[0]
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


@pytest.mark.parametrize("chunk", [1, 3000])
def test_batches_convolved_in_slices_match_torch(monkeypatch, chunk):
    """Columns over CHUNK bytes are built a slice of samples at a time (one sample per
    slice with chunk=1; a few, with a shorter last slice, with chunk=3000)."""
    monkeypatch.setattr(conv_ops, "CHUNK", chunk)
    check(lambda m, x, w, b: F(m).conv2d(x, w, b, stride=(2, 1), padding=1, groups=2),
          randn(7, 4, *LONG), randn(6, 2, 3, 3), randn(6), atol=1e-5, grad_atol=1e-4)
    check(lambda m, x, w, b: F(m).conv1d(x, w, b, stride=2, padding=1),
          randn(7, 3, 9), randn(5, 3, 3), randn(5), atol=1e-5, grad_atol=1e-4)
    check(lambda m, x, w, b: F(m).conv_transpose2d(x, w, b, stride=2, output_padding=1),
          randn(7, 4, *LONG), randn(4, 3, 3, 2), randn(3), atol=1e-5, grad_atol=1e-4)
    assert gradgradcheck(lambda m, x, w: F(m).conv2d(x, w, padding=1),
                         randn(3, 2, 5, 13), randn(2, 2, 3, 3))
