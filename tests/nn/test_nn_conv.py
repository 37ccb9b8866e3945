"""Convolutions behave like torch 2.13: F.conv1d/2d/3d, F.conv_transpose1d/2d/3d,
F.unfold/F.fold and the nn.Conv*/ConvTranspose*/Fold/Unfold layers (values, gradients of
input, weight and bias, grad_fn names, reprs, default init, errors)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from differential import check, check_error, gradcheck, gradgradcheck, non_contiguous, randn
from module_check import check_module

FLOATS = [np.float32, np.float64]
# float32 weight gradients sum N*H*W products: allow their rounding
GRAD_ATOL = {np.float32: 1e-4, np.float64: None}
# float32 outputs sum C*K products of N(0, 1) values (|out| ~ 5): a few ulps is 1e-6
OUT_ATOL = {np.float32: 1e-5, np.float64: None}


def F(m):
    return m.nn.functional


# ---------------------------------------------------------------------------------------
# F.conv*


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kwargs", [
    {},
    {"stride": 2, "padding": 1},
    {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1)},
    {"padding": "same"},
    {"padding": "valid", "dilation": 2},
])
def test_conv2d_matches_torch(dtype, kwargs):
    check(lambda m, x, w, b: F(m).conv2d(x, w, b, **kwargs),
          randn(2, 3, 9, 8, dtype=dtype), randn(4, 3, 3, 3, dtype=dtype), randn(4, dtype=dtype),
          atol=OUT_ATOL[dtype], grad_atol=GRAD_ATOL[dtype])


@pytest.mark.parametrize("dtype", FLOATS)
def test_grouped_and_depthwise_conv2d_match_torch(dtype):
    check(lambda m, x, w, b: F(m).conv2d(x, w, b, stride=(2, 1), padding=1, groups=2),
          randn(2, 4, 7, 6, dtype=dtype), randn(6, 2, 3, 2, dtype=dtype), randn(6, dtype=dtype),
          grad_atol=GRAD_ATOL[dtype])
    check(lambda m, x, w: F(m).conv2d(x, w, groups=4, padding=1),
          randn(2, 4, 5, 5, dtype=dtype), randn(8, 1, 3, 3, dtype=dtype),
          grad_atol=GRAD_ATOL[dtype])


def test_conv2d_same_padding_with_even_kernel_pads_right_like_torch():
    check(lambda m, x, w: F(m).conv2d(x, w, padding="same", dilation=(1, 3)),
          randn(2, 3, 6, 7), randn(4, 3, 2, 4), grad_atol=1e-4)


@pytest.mark.parametrize("dtype", FLOATS)
def test_conv1d_and_conv3d_match_torch(dtype):
    check(lambda m, x, w, b: F(m).conv1d(x, w, b, stride=2, padding=2, dilation=2),
          randn(3, 4, 11, dtype=dtype), randn(5, 4, 3, dtype=dtype), randn(5, dtype=dtype),
          grad_atol=GRAD_ATOL[dtype])
    check(lambda m, x, w, b: F(m).conv3d(x, w, b, stride=(1, 2, 1), padding=1),
          randn(2, 2, 4, 5, 3, dtype=dtype), randn(3, 2, 3, 2, 2, dtype=dtype),
          randn(3, dtype=dtype), grad_atol=GRAD_ATOL[dtype])


def test_unbatched_conv_input_is_squeezed_back():
    check(lambda m, x, w: F(m).conv2d(x, w, padding=1), randn(3, 5, 4), randn(2, 3, 3, 3))
    check(lambda m, x, w: F(m).conv1d(x, w), randn(3, 5), randn(2, 3, 2))


def test_conv_of_non_contiguous_input_and_empty_batch():
    check(lambda m, x, w: F(m).conv2d(x, w), non_contiguous(randn(2, 3, 5, 5)),
          randn(4, 3, 3, 3))
    check(lambda m, x, w: F(m).conv2d(x, w), randn(0, 3, 5, 5), randn(4, 3, 3, 3))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kwargs", [
    {},
    {"stride": 2, "padding": 1, "output_padding": 1},
    {"stride": (2, 3), "dilation": (1, 2), "groups": 2, "output_padding": (1, 0)},
])
def test_conv_transpose2d_matches_torch(dtype, kwargs):
    check(lambda m, x, w, b: F(m).conv_transpose2d(x, w, b, **kwargs),
          randn(2, 4, 5, 4, dtype=dtype), randn(4, 3, 3, 3, dtype=dtype),
          randn(3 * kwargs.get("groups", 1), dtype=dtype), grad_atol=GRAD_ATOL[dtype])


def test_conv_transpose1d_and_3d_match_torch():
    check(lambda m, x, w, b: F(m).conv_transpose1d(x, w, b, stride=3, padding=1),
          randn(2, 4, 6), randn(4, 2, 4), randn(2), grad_atol=1e-4)
    check(lambda m, x, w: F(m).conv_transpose3d(x, w, stride=2),
          randn(1, 2, 3, 2, 3), randn(2, 3, 2, 2, 2), grad_atol=1e-4)


def test_conv_grad_fn_is_convolution_backward():
    e, t = check(lambda m, x, w: F(m).conv2d(x, w), randn(1, 2, 4, 4), randn(3, 2, 2, 2))
    assert e.grad_fn.name() == t.grad_fn.name() == "ConvolutionBackward0"
    assert len(e.grad_fn.next_functions) == 3


def test_conv_gradcheck_float64():
    assert gradcheck(lambda m, x, w, b: F(m).conv2d(x, w, b, stride=(2, 1), padding=(1, 2),
                                                    dilation=(2, 1), groups=2),
                     randn(2, 4, 7, 6), randn(6, 2, 3, 2), randn(6))
    assert gradcheck(lambda m, x, w, b: F(m).conv_transpose2d(x, w, b, stride=2, padding=1,
                                                              output_padding=1, groups=2),
                     randn(1, 4, 3, 3), randn(4, 1, 3, 3), randn(2))
    assert gradcheck(lambda m, x, w: F(m).conv1d(x, w, padding="same", dilation=2),
                     randn(2, 2, 7), randn(3, 2, 4))


def test_conv_double_backward():
    assert gradgradcheck(lambda m, x, w, b: F(m).conv2d(x, w, b, stride=2, padding=1, groups=2),
                         randn(1, 4, 5, 4), randn(4, 2, 3, 2), randn(4))
    assert gradgradcheck(lambda m, x, w: F(m).conv_transpose1d(x, w, stride=2, output_padding=1),
                         randn(1, 4, 5), randn(4, 2, 3))
    # stride 1 takes the flat-offset path
    assert gradgradcheck(lambda m, x, w, b: F(m).conv2d(x, w, b, padding=(1, 2), dilation=(2, 1),
                                                        groups=2),
                         randn(2, 4, 5, 4), randn(4, 2, 2, 3), randn(4))
    assert gradgradcheck(lambda m, x, w: F(m).conv_transpose2d(x, w, padding=1, dilation=2),
                         randn(1, 2, 3, 4), randn(2, 3, 2, 2))


def test_conv_errors_match_torch():
    check_error(lambda m, x, w: F(m).conv2d(x, w), randn(1, 4, 32, 32), randn(8, 3, 3, 3))
    check_error(lambda m, x, w: F(m).conv2d(x, w), randn(1, 3, 2, 2), randn(8, 3, 3, 3))
    check_error(lambda m, x, w: F(m).conv2d(x, w), randn(2, 3), randn(8, 3, 3, 3))
    check_error(lambda m, x, w: F(m).conv2d(x, w, stride=2, padding="same"), randn(1, 3, 5, 5),
                randn(8, 3, 3, 3))
    check_error(lambda m, x, w: F(m).conv2d(x, w, padding="foo"), randn(1, 3, 5, 5),
                randn(8, 3, 3, 3))
    check_error(lambda m, x, w: F(m).conv2d(x, w), randn(1, 3, 5, 5, dtype=np.float64),
                randn(8, 3, 3, 3))
    check_error(lambda m, x, w, b: F(m).conv2d(x, w, b), randn(1, 3, 5, 5), randn(8, 3, 3, 3),
                randn(7))
    check_error(lambda m, x, w: F(m).conv2d(x, w, groups=2), randn(1, 6, 5, 5),
                randn(3, 3, 3, 3))
    check_error(lambda m, x, w: F(m).conv2d(x, w, stride=0), randn(1, 3, 5, 5),
                randn(8, 3, 3, 3))
    check_error(lambda m, x, w: F(m).conv2d(x, w, padding=-1), randn(1, 3, 5, 5),
                randn(8, 3, 3, 3))
    check_error(lambda m, x, w: F(m).conv2d(x, w, stride=(1, 1, 1)), randn(1, 3, 5, 5),
                randn(8, 3, 3, 3))
    check_error(lambda m, x, w: F(m).conv_transpose2d(x, w), randn(1, 4, 5, 5),
                randn(8, 3, 3, 3))
    check_error(lambda m, x, w: F(m).conv_transpose2d(x, w, stride=2, output_padding=2),
                randn(1, 8, 5, 5), randn(8, 3, 3, 3))


# ---------------------------------------------------------------------------------------
# unfold / fold


@pytest.mark.parametrize("dtype", FLOATS)
def test_unfold_and_fold_match_torch(dtype):
    check(lambda m, x: F(m).unfold(x, (2, 3), dilation=2, padding=1, stride=(1, 2)),
          randn(2, 3, 7, 6, dtype=dtype))
    check(lambda m, x: F(m).fold(x, (5, 6), 2, stride=1), randn(2, 12, 20, dtype=dtype))
    check(lambda m, x: F(m).fold(x, (4, 5), (2, 2), padding=1, stride=2),
          randn(8, 9, dtype=dtype))


def test_unfold_fold_gradients_and_errors():
    assert gradgradcheck(lambda m, x: F(m).unfold(x, 2, padding=1, stride=2), randn(1, 2, 4, 3))
    assert gradcheck(lambda m, x: F(m).fold(x, (3, 4), 2), randn(1, 8, 6))
    check_error(lambda m, x: F(m).unfold(x, 2), randn(3, 5))
    check_error(lambda m, x: F(m).fold(x, 5, 2), randn(1, 8, 15))


# ---------------------------------------------------------------------------------------
# modules


@pytest.mark.parametrize("build,shape", [
    (lambda nn: nn.Conv2d(3, 8, 3, padding=1), (2, 3, 8, 8)),
    (lambda nn: nn.Conv2d(4, 6, (3, 2), stride=2, padding=(1, 0), dilation=(1, 2), groups=2,
                          bias=False), (2, 4, 9, 8)),
    (lambda nn: nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"), (2, 3, 6, 5)),
    (lambda nn: nn.Conv2d(3, 4, 3, padding=(2, 1), padding_mode="replicate"), (2, 3, 6, 5)),
    (lambda nn: nn.Conv2d(3, 4, 3, padding=1, padding_mode="circular"), (2, 3, 6, 5)),
    (lambda nn: nn.Conv2d(3, 4, 4, padding="same", padding_mode="reflect"), (2, 3, 6, 5)),
    (lambda nn: nn.Conv1d(3, 4, 3, padding="valid"), (2, 3, 6)),
    (lambda nn: nn.Conv1d(3, 4, 3, stride=2), (3, 7)),
    (lambda nn: nn.Conv3d(2, 4, 3, padding=1), (1, 2, 4, 5, 3)),
    (lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
     (2, 4, 5, 4)),
    (lambda nn: nn.ConvTranspose1d(4, 6, 3, stride=2, bias=False), (2, 4, 5)),
    (lambda nn: nn.Fold((4, 5), 2), (2, 8, 12)),
    (lambda nn: nn.Unfold(2, padding=1), (2, 3, 4, 4)),
])
def test_conv_modules_match_torch(build, shape):
    check_module(build, randn(*shape), grad_atol=1e-4)


def test_conv_transpose_output_size_argument():
    check_module(lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2), randn(2, 4, 5, 4),
                 forward=lambda m, x: m(x, output_size=[12, 10]), grad_atol=1e-4)
    with pytest.raises(ValueError, match="requested an output size of"):
        ember.nn.ConvTranspose2d(4, 6, 3, stride=2)(ember.randn(1, 4, 5, 4),
                                                    output_size=[20, 10])


def test_conv_default_init_draws_torchs_numbers():
    torch.manual_seed(3)
    t = torch.nn.Conv2d(3, 8, 3)
    ember.manual_seed(3)
    e = ember.nn.Conv2d(3, 8, 3)
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(e.bias.detach().numpy(), t.bias.detach().numpy(), rtol=1e-6)
    assert [n for n, _ in e.named_parameters()] == ["weight", "bias"]
    assert tuple(e.weight.shape) == (8, 3, 3, 3)
    assert tuple(ember.nn.ConvTranspose2d(4, 6, 3, groups=2).weight.shape) == (4, 3, 3, 3)


def test_conv_reprs_match_torch():
    for build in (lambda nn: nn.Conv2d(3, 8, kernel_size=3, padding=1),
                  lambda nn: nn.Conv2d(3, 8, 3, padding="same", bias=False,
                                       padding_mode="reflect"),
                  lambda nn: nn.Conv1d(4, 8, 3, stride=2, dilation=2, groups=2),
                  lambda nn: nn.ConvTranspose2d(4, 8, 3, stride=2, output_padding=1),
                  lambda nn: nn.Conv3d(2, 2, 1)):
        assert repr(build(ember.nn)) == repr(build(torch.nn))
    assert repr(ember.nn.Conv2d(3, 8, 3, padding=1)) == \
        "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"


def test_conv_module_argument_errors_match_torch():
    def same_error(build):
        with pytest.raises(ValueError) as t:
            build(torch.nn)
        with pytest.raises(ValueError) as e:
            build(ember.nn)
        assert str(e.value) == str(t.value)

    same_error(lambda nn: nn.Conv2d(3, 8, 3, groups=2))
    same_error(lambda nn: nn.Conv2d(4, 6, 3, groups=4))
    same_error(lambda nn: nn.Conv2d(4, 8, 3, groups=0))
    same_error(lambda nn: nn.Conv2d(3, 8, 3, stride=2, padding="same"))
    same_error(lambda nn: nn.ConvTranspose2d(3, 8, 3, padding_mode="reflect"))
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        ember.nn.Conv2d(3, 8, 3, padding_mode="foo")
    check_error(lambda m, x: m.nn.Conv2d(3, 8, 3)(x), randn(1, 4, 32, 32))


@pytest.mark.parametrize("kwargs", [{"padding": 1}, {"stride": 2}, {}])
def test_results_survive_later_calls_of_the_same_shape(kwargs):
    """Convolutions reuse work arrays internally; what they return must be fresh."""
    x1, x2, w = randn(2, 3, 6, 6), randn(2, 3, 6, 6), randn(4, 3, 3, 3)
    e1 = F(ember).conv2d(ember.from_numpy(x1), ember.from_numpy(w), **kwargs)
    t1 = e1.numpy().copy()
    g1 = F(ember).conv_transpose2d(e1, ember.from_numpy(w), **kwargs)
    s1 = g1.numpy().copy()
    e2 = F(ember).conv2d(ember.from_numpy(x2), ember.from_numpy(w), **kwargs)
    F(ember).conv_transpose2d(e2, ember.from_numpy(w), **kwargs)
    np.testing.assert_array_equal(e1.numpy(), t1)
    np.testing.assert_array_equal(g1.numpy(), s1)
    expected = F(torch).conv2d(torch.from_numpy(x1), torch.from_numpy(w), **kwargs)
    np.testing.assert_allclose(t1, expected.numpy(), rtol=1e-5, atol=1e-6)
