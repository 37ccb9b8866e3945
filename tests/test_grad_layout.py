"""Leaf gradients vs torch: values, strides, and `.grad` never aliasing what the user holds.

The engine keeps a gradient's array as `.grad` instead of copying it when the array is
fresh and nothing else refers to it (e.g. nn.Linear's weight gradient, computed as
(g^T x)^T so that it arrives in the weight's own layout); these tests pin down that the
result is still torch's gradient, laid out as torch's, and private to the leaf.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
import torch

import ember

sys.path.insert(0, os.path.dirname(__file__))
from differential import assert_same_tensor  # noqa: E402

LIBS = (ember, torch)


def _as(lib, a, requires_grad=False):
    t = lib.tensor(a)
    return t.requires_grad_() if requires_grad else t


def _linear_grads(lib, w, b, x, y, steps):
    W, B = _as(lib, w, True), _as(lib, b, True)
    X = _as(lib, x)
    for _ in range(steps):
        loss = lib.nn.functional.cross_entropy(lib.nn.functional.linear(X, W, B).relu(),
                                               _as(lib, y))
        loss.backward()
    return W.grad, B.grad


@pytest.mark.parametrize("out_features", [1, 7])
@pytest.mark.parametrize("steps", [1, 2])
def test_linear_weight_and_bias_grads_match_torch_with_its_strides(out_features, steps):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((out_features, 5)).astype(np.float32)
    b = rng.standard_normal(out_features).astype(np.float32)
    x = rng.standard_normal((6, 5)).astype(np.float32)
    y = rng.integers(0, out_features, 6)
    (ew, eb), (tw, tb) = (_linear_grads(lib, w, b, x, y, steps) for lib in LIBS)
    for e, t in ((ew, tw), (eb, tb)):
        assert_same_tensor(e, t, rtol=1e-5, atol=1e-6)
        assert e.stride() == t.stride()
        assert e.is_contiguous()


@pytest.mark.parametrize("column_major", ["mat1", "mat2", "both", "neither"])
def test_addmm_gradients_of_transposed_operands_match_torch(column_major):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 3))
    m = rng.standard_normal((5, 4))
    bias = rng.standard_normal(5)
    out = []
    for lib in LIBS:
        A = _as(lib, a, True)     # (4, 3): A.t() is a column-major (3, 4)
        M = _as(lib, m, True)     # (5, 4): M.t() is a column-major (4, 5)
        Bias = _as(lib, bias, True)
        m1 = A.t() if column_major in ("mat1", "both") else A.t().contiguous()
        m2 = M.t() if column_major in ("mat2", "both") else M.t().contiguous()
        r = lib.addmm(Bias, m1, m2, beta=0.5, alpha=2.0)
        (r * r).sum().backward()
        out.append((A.grad, M.grad, Bias.grad))
    for e, t in zip(*out):
        assert_same_tensor(e, t)
        assert e.stride() == t.stride()


def test_linear_double_backward_matches_torch():
    rng = np.random.default_rng(2)
    w = rng.standard_normal((3, 4))
    x = rng.standard_normal((2, 4))
    b = rng.standard_normal(3)
    out = []
    for lib in LIBS:
        W, X, B = _as(lib, w, True), _as(lib, x, True), _as(lib, b, True)
        y = lib.nn.functional.linear(X, W, B).tanh().sum()
        gw, gx = lib.autograd.grad(y, (W, X), create_graph=True)
        (gw.square().sum() + gx.sum()).backward()
        out.append((gw, W.grad, X.grad, B.grad))
    for e, t in zip(*out):
        assert_same_tensor(e, t)


def test_grad_does_not_alias_a_user_gradient_moved_through_a_transpose():
    w = ember.randn(3, 4, requires_grad=True)
    h = ember.randn(3, 4)
    w.t().backward(h.t())        # the gradient reaching w is h's own array
    assert np.shares_memory(w.grad.numpy(), h.numpy()) is False
    np.testing.assert_array_equal(w.grad.numpy(), h.numpy())


def test_grad_does_not_alias_a_gradient_a_hook_kept():
    kept = []
    w = ember.randn(3, 4, requires_grad=True)
    x = ember.randn(2, 4)

    def hook(g):
        kept.append(g)           # its array's transpose would become w.grad
    t = w.t()
    t.register_hook(hook)
    ember.addmm(ember.zeros(3), x, t).sum().backward()
    assert not np.shares_memory(w.grad.numpy(), kept[0].numpy())


def test_grads_of_two_leaves_never_share_memory():
    w = ember.randn(3, 4, requires_grad=True)
    v = ember.randn(4, 3, requires_grad=True)
    x = ember.randn(2, 4)
    (ember.nn.functional.linear(x, w) + ember.nn.functional.linear(x, v.t())).sum().backward()
    assert not np.shares_memory(w.grad.numpy(), v.grad.numpy())
    tw = torch.tensor(w.detach().numpy(), requires_grad=True)
    tv = torch.tensor(v.detach().numpy(), requires_grad=True)
    tx = torch.tensor(x.numpy())
    (torch.nn.functional.linear(tx, tw) + torch.nn.functional.linear(tx, tv.t())).sum().backward()
    for e, t in ((w.grad, tw.grad), (v.grad, tv.grad)):
        assert_same_tensor(e, t)
        assert e.stride() == t.stride()
