"""F.pad and the padding layers behave like torch 2.13: constant (negative widths crop),
reflect, replicate and circular padding of the last 1-3 dims; values, gradients,
grad_fn names, reprs and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from differential import check, check_error, gradcheck, gradgradcheck, non_contiguous, randn
from module_check import check_module

FLOATS = [np.float32, np.float64]
MODES = ["constant", "reflect", "replicate", "circular"]


def F(m):
    return m.nn.functional


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,pad", [
    ((2, 3, 5), (3, 2)),
    ((3, 5), (1, 0)),
    ((2, 3, 5, 4), (1, 2, 2, 1)),
    ((3, 5, 4), (0, 3, 1, 1)),
    ((1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2)),
])
def test_pad_matches_torch(dtype, mode, shape, pad):
    check(lambda m, x: F(m).pad(x, pad, mode=mode), randn(*shape, dtype=dtype))


def test_constant_pad_value_negative_widths_and_any_rank():
    check(lambda m, x: F(m).pad(x, (-1, 2, 2, -2), value=3.0), randn(2, 3, 5, 4))
    check(lambda m, x: F(m).pad(x, (1, 1, 0, 0, 2, 1), value=-1.5), randn(2, 3, 5, 4))
    check(lambda m, x: F(m).pad(x, (2, 1)), randn(4))
    check(lambda m, x: F(m).pad(x, (1, 1)), non_contiguous(randn(3, 4)))
    check(lambda m, x: F(m).pad(x, (1, 1)), np.arange(6).reshape(2, 3))


def test_circular_pad_with_negative_widths_crops():
    check(lambda m, x: F(m).pad(x, (-1, 2, 1, -1), mode="circular"), randn(2, 3, 5, 4))


def test_pad_grad_fn_names_match_torch():
    for mode, shape, pad in (("constant", (1, 2, 4), (1, 1)), ("reflect", (1, 2, 4), (1, 1)),
                             ("reflect", (1, 2, 4, 4), (1, 1, 1, 1)),
                             ("replicate", (1, 2, 4, 4, 4), (1, 1, 1, 1, 1, 1))):
        e, t = check(lambda m, x, mode=mode, pad=pad: F(m).pad(x, pad, mode=mode),
                     randn(*shape))
        assert e.grad_fn.name() == t.grad_fn.name()


@pytest.mark.parametrize("mode", MODES)
def test_pad_gradcheck_and_double_backward(mode):
    assert gradcheck(lambda m, x: F(m).pad(x, (2, 1, 1, 3), mode=mode), randn(1, 2, 4, 4))
    assert gradgradcheck(lambda m, x: F(m).pad(x, (2, 1), mode=mode), randn(2, 2, 4))


def test_pad_errors_match_torch():
    check_error(lambda m, x: F(m).pad(x, (1, 1), mode="foo"), randn(1, 3, 5, 5))
    check_error(lambda m, x: F(m).pad(x, (5, 5, 1, 1), mode="reflect"), randn(1, 3, 5, 5))
    check_error(lambda m, x: F(m).pad(x, (1, 1, 1)), randn(1, 3, 5, 5))
    check_error(lambda m, x: F(m).pad(x, (1,) * 8), randn(1, 3, 5))
    check_error(lambda m, x: F(m).pad(x, (6, 1, 1, 1), mode="circular"), randn(1, 3, 5, 5))
    check_error(lambda m, x: F(m).pad(x, (1, 1), mode="reflect"), randn(1, 2, 3, 5))


@pytest.mark.parametrize("build,shape", [
    (lambda nn: nn.ZeroPad1d(2), (2, 3, 5)),
    (lambda nn: nn.ZeroPad2d((1, 2, 3, 4)), (2, 3, 5, 4)),
    (lambda nn: nn.ZeroPad3d(1), (1, 2, 3, 4, 5)),
    (lambda nn: nn.ConstantPad1d(2, 3.5), (2, 3, 5)),
    (lambda nn: nn.ConstantPad2d((1, 0, 2, 1), -1.0), (2, 3, 5, 4)),
    (lambda nn: nn.ConstantPad3d(1, 2.0), (1, 2, 3, 4, 5)),
    (lambda nn: nn.ReflectionPad1d(2), (2, 3, 5)),
    (lambda nn: nn.ReflectionPad2d((1, 2, 3, 1)), (2, 3, 5, 4)),
    (lambda nn: nn.ReflectionPad3d(1), (1, 2, 3, 4, 5)),
    (lambda nn: nn.ReplicationPad1d((1, 3)), (2, 3, 5)),
    (lambda nn: nn.ReplicationPad2d(2), (2, 3, 5, 4)),
    (lambda nn: nn.ReplicationPad3d(1), (1, 2, 3, 4, 5)),
    (lambda nn: nn.CircularPad1d(2), (2, 3, 5)),
    (lambda nn: nn.CircularPad2d((1, 2, 0, 1)), (2, 3, 5, 4)),
    (lambda nn: nn.CircularPad3d(1), (1, 2, 3, 4, 5)),
])
def test_padding_modules_match_torch(build, shape):
    check_module(build, randn(*shape))


def test_padding_module_reprs_match_torch():
    assert repr(ember.nn.ZeroPad2d(1)) == repr(torch.nn.ZeroPad2d(1)) == "ZeroPad2d((1, 1, 1, 1))"
    assert repr(ember.nn.ConstantPad1d(2, 3.5)) == repr(torch.nn.ConstantPad1d(2, 3.5))
