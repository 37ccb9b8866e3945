"""Resampling behaves like torch 2.13: F.interpolate (nearest, nearest-exact, linear,
bilinear, bicubic, trilinear, area; size or scale_factor; align_corners;
recompute_scale_factor), pixel_shuffle/unshuffle and the Upsample/PixelShuffle layers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from differential import check, check_error, gradgradcheck, randn
from module_check import check_module

FLOATS = [np.float32, np.float64]
SIZES = [{"scale_factor": 2}, {"scale_factor": 1.7}, {"size": (7, 3)}, {"size": (13, 9)},
         {"scale_factor": (0.5, 2.3)}, {"size": (5, 4)}]


def F(m):
    return m.nn.functional


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kw", SIZES)
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "area"])
def test_interpolate_nearest_and_area_match_torch(dtype, kw, mode):
    e, t = check(lambda m, x: F(m).interpolate(x, mode=mode, **kw), randn(2, 3, 5, 4,
                                                                          dtype=dtype))
    assert e.grad_fn.name() == t.grad_fn.name()


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kw", SIZES)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_interpolate_bilinear_and_bicubic_match_torch(dtype, kw, align_corners, mode):
    # float32 bicubic sums four weighted taps per dim in another order than torch
    atol = 1e-5 if dtype == np.float32 else None
    e, t = check(lambda m, x: F(m).interpolate(x, mode=mode, align_corners=align_corners, **kw),
                 randn(2, 3, 5, 4, dtype=dtype), atol=atol)
    assert e.grad_fn.name() == t.grad_fn.name()


@pytest.mark.parametrize("dtype", FLOATS)
def test_interpolate_1d_and_3d_match_torch(dtype):
    x1, x3 = randn(2, 3, 7, dtype=dtype), randn(1, 2, 3, 4, 5, dtype=dtype)
    check(lambda m, x: F(m).interpolate(x, scale_factor=2.5, mode="linear"), x1)
    check(lambda m, x: F(m).interpolate(x, size=4, mode="linear", align_corners=True), x1)
    check(lambda m, x: F(m).interpolate(x, size=11), x1)
    check(lambda m, x: F(m).interpolate(x, size=3, mode="area"), x1)
    check(lambda m, x: F(m).interpolate(x, scale_factor=1.5, mode="trilinear"), x3)
    check(lambda m, x: F(m).interpolate(x, scale_factor=(1, 2, 0.6)), x3)


def test_recompute_scale_factor_uses_the_rounded_size():
    check(lambda m, x: F(m).interpolate(x, scale_factor=1.7, mode="bilinear",
                                        recompute_scale_factor=True), randn(1, 2, 5, 4))
    check(lambda m, x: F(m).interpolate(x, scale_factor=1.7, recompute_scale_factor=True),
          randn(1, 2, 5, 4))


def test_interpolate_double_backward():
    assert gradgradcheck(lambda m, x: F(m).interpolate(x, scale_factor=1.5, mode="bicubic"),
                         randn(1, 2, 3, 4))
    assert gradgradcheck(lambda m, x: F(m).interpolate(x, size=(5, 2), mode="bilinear",
                                                       align_corners=True), randn(1, 2, 3, 4))


def test_interpolate_errors_match_torch():
    check_error(lambda m, x: F(m).interpolate(x, scale_factor=2, mode="bilinear"),
                randn(1, 3, 5))
    check_error(lambda m, x: F(m).interpolate(x, mode="bilinear"), randn(1, 3, 5, 5))
    check_error(lambda m, x: F(m).interpolate(x, size=3, scale_factor=2), randn(1, 3, 5, 5))
    check_error(lambda m, x: F(m).interpolate(x, size=3, mode="foo"), randn(1, 3, 5, 5))
    check_error(lambda m, x: F(m).interpolate(x, size=3, align_corners=True),
                randn(1, 3, 5, 5))
    check_error(lambda m, x: F(m).interpolate(x, size=(3, 4, 5)), randn(1, 3, 5, 5))


@pytest.mark.parametrize("dtype", FLOATS)
def test_pixel_shuffle_and_unshuffle_match_torch(dtype):
    e, t = check(lambda m, x: F(m).pixel_shuffle(x, 2), randn(2, 8, 3, 4, dtype=dtype))
    assert e.grad_fn.name() == "PixelShuffleBackward0"
    check(lambda m, x: F(m).pixel_shuffle(x, 3), randn(9, 2, 2, dtype=dtype))
    check(lambda m, x: F(m).pixel_unshuffle(x, 2), randn(2, 2, 4, 6, dtype=dtype))
    assert gradgradcheck(lambda m, x: F(m).pixel_shuffle(x, 2), randn(1, 4, 3, 2))


def test_pixel_shuffle_of_empty_tensors_keeps_torchs_shapes():
    # torch returns an empty input of pixel_unshuffle unchanged, shape included (and so
    # its own backward of an empty pixel_shuffle fails: values only)
    check(lambda m, x: F(m).pixel_unshuffle(x, 2), randn(0, 3, 6, 6), grad=False)
    check(lambda m, x: F(m).pixel_shuffle(x, 2), randn(0, 4, 6, 6), grad=False)


def test_pixel_shuffle_errors_match_torch():
    check_error(lambda m, x: F(m).pixel_shuffle(x, 2), randn(1, 3, 5, 5))
    check_error(lambda m, x: F(m).pixel_unshuffle(x, 2), randn(1, 3, 5, 5))
    check_error(lambda m, x: F(m).pixel_shuffle(x, 2), randn(4, 4))


@pytest.mark.parametrize("build,shape", [
    (lambda nn: nn.Upsample(scale_factor=2), (2, 3, 4, 5)),
    (lambda nn: nn.Upsample(size=(3, 7), mode="bilinear", align_corners=True), (2, 3, 4, 5)),
    (lambda nn: nn.Upsample(scale_factor=1.5, mode="bicubic"), (2, 3, 4, 5)),
    (lambda nn: nn.Upsample(scale_factor=3, mode="linear"), (2, 3, 4)),
    (lambda nn: nn.UpsamplingNearest2d(scale_factor=2), (2, 3, 4, 5)),
    (lambda nn: nn.UpsamplingBilinear2d(size=5), (2, 3, 4, 5)),
    (lambda nn: nn.PixelShuffle(2), (2, 8, 3, 4)),
    (lambda nn: nn.PixelUnshuffle(2), (2, 2, 4, 6)),
])
def test_resampling_modules_match_torch(build, shape):
    check_module(build, randn(*shape), atol=1e-5)


def test_upsample_reprs_match_torch():
    for build in (lambda nn: nn.Upsample(scale_factor=2),
                  lambda nn: nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True),
                  lambda nn: nn.UpsamplingBilinear2d(size=5), lambda nn: nn.PixelShuffle(3)):
        assert repr(build(ember.nn)) == repr(build(torch.nn))


# --- antialiased bilinear / bicubic -------------------------------------------------------

@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("resize", [dict(size=(5, 4)), dict(size=(20, 3)),
                                    dict(scale_factor=0.37), dict(scale_factor=1.7)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_antialiased_interpolate_matches_torch(mode, align_corners, resize, dtype):
    # torch names the node UpsampleBilinear2DAaBackward0; ember builds it from two matmuls.
    # float32: sums of mixed-sign taps round differently (seen up to 1.5e-6 absolute)
    tol = dict(atol=5e-6) if dtype == np.float32 else {}
    check(lambda m, x: m.nn.functional.interpolate(x, mode=mode, align_corners=align_corners,
                                                   antialias=True, **resize),
          randn(2, 3, 13, 9, dtype=dtype), check_grad_fn=False, **tol)


def test_antialiased_interpolate_gradgradcheck():
    assert gradgradcheck(lambda m, x: m.nn.functional.interpolate(
        x, size=(3, 4), mode="bicubic", antialias=True), randn(1, 2, 7, 6))


def test_antialias_needs_bilinear_or_bicubic_on_4d_input():
    check_error(lambda m, x: m.nn.functional.interpolate(x, size=4, mode="linear",
                                                         antialias=True), randn(1, 1, 8))
