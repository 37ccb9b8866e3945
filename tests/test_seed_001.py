"""Seed notebook 001 ("Foundations"), from "Modeling a Neuron" through "Refactoring the
Model" and the custom Function of "Going to PyTorch", run on ember.

Cells whose output is deterministic must print exactly what the notebook printed
(torch's text, with `ember.` where torch says `torch.`); cells that draw random
numbers are checked for the behaviour the notebook demonstrates, and the notebook's
hand-written gradients must equal ember's autograd (and torch's, on the same data).
"""

from __future__ import annotations

from math import sqrt

import numpy as np
import pytest
import torch

import ember
from ember import tensor


def nb(text: str) -> str:
    """The notebook's printed text, as ember prints it."""
    return text.replace("torch.", "ember.")


# --- Modeling a Neuron (plain NumPy) ----------------------------------------------------

def test_neuron_in_numpy_sums_like_a_dot_product():
    rng = np.random.default_rng(0)
    weight = rng.standard_normal(100)
    inp = rng.standard_normal(100) * 100
    bias = np.array([.2])
    output = sum([x * w for x, w in zip(inp, weight)]) + bias

    def relu(x):
        return x if x >= 0 else 0

    assert relu(-343) == 0
    np.testing.assert_allclose(output, inp @ weight.T + bias)


# --- Matrix Multiplication from Scratch ------------------------------------------------

def test_triple_loop_matmul_with_setitem_accumulation():
    def matmul(a, b):
        ar, ac = a.shape
        br, bc = b.shape
        assert ac == br
        c = ember.zeros(ar, bc)
        for i in range(ar):
            for j in range(bc):
                for k in range(ac):
                    c[i, j] += a[i, k] * b[k, j]
        return c

    m1, m2 = ember.randn(5, 12), ember.randn(12, 10)  # the notebook's 784 is just slower
    np.testing.assert_allclose(matmul(m1, m2).numpy(), (m1 @ m2).numpy(), rtol=1e-5,
                               atol=1e-5)


def test_elementwise_arithmetic_prints_like_the_notebook():
    a = tensor([10., 6, -4])
    b = tensor([2., 8, 7])
    assert repr(a + b) == "tensor([12., 14.,  3.])"
    assert repr(a < b) == "tensor([False,  True,  True])"
    assert repr(((a < b).all(), (a == b).all())) == "(tensor(False), tensor(False))"
    assert repr((a == a).all()) == "tensor(True)"
    assert repr(((a + b).mean(), (a + b).mean().item())) == "(tensor(9.6667), 9.666666984558105)"
    m = tensor([[1., 2, 3], [4, 5, 6], [7, 8, 9]])
    assert repr(m * m) == ("tensor([[ 1.,  4.,  9.],\n"
                           "        [16., 25., 36.],\n"
                           "        [49., 64., 81.]])")


def test_row_times_column_matmul_matches_at():
    def matmul(a, b):
        ar, ac = a.shape
        br, bc = b.shape
        assert ac == br
        c = ember.zeros(ar, bc)
        for i in range(ar):
            for j in range(bc):
                c[i, j] = (a[i] * b[:, j]).sum()
        return c

    m1, m2 = ember.randn(5, 784), ember.randn(784, 10)
    np.testing.assert_allclose(matmul(m1, m2).numpy(), (m1 @ m2).numpy(), rtol=1e-4,
                               atol=1e-4)


# --- Broadcasting ------------------------------------------------------------------------

def test_broadcasting_with_a_scalar_prints_like_the_notebook():
    a = tensor([10., 4, -4])
    assert repr(a > 0) == "tensor([ True,  True, False])"
    m = tensor([[1., 2, 3], [4, 5, 6], [7, 8, 9]])
    assert repr((m - 5) / 2.73) == ("tensor([[-1.4652, -1.0989, -0.7326],\n"
                                    "        [-0.3663,  0.0000,  0.3663],\n"
                                    "        [ 0.7326,  1.0989,  1.4652]])")


def test_broadcasting_a_vector_to_a_matrix():
    c = tensor([10., 20, 40])
    m = tensor([[1., 2, 3], [4, 5, 6], [7, 8, 9]])
    assert repr((m.shape, c.shape)) == nb("(torch.Size([3, 3]), torch.Size([3]))")
    expected = ("tensor([[11., 22., 43.],\n"
                "        [14., 25., 46.],\n"
                "        [17., 28., 49.]])")
    assert repr(m + c) == expected
    assert repr(c + m) == expected
    assert repr(c.expand_as(m)) == ("tensor([[10., 20., 40.],\n"
                                    "        [10., 20., 40.],\n"
                                    "        [10., 20., 40.]])")
    t = c.expand_as(m)
    assert repr(t.storage()) == nb(" 10.0\n 20.0\n 40.0\n[torch.FloatStorage of size 3]")
    assert repr((t.stride(), t.shape)) == nb("((0, 1), torch.Size([3, 3]))")


def test_broadcast_mismatch_raises_torchs_error():
    with pytest.raises(RuntimeError) as ours:
        tensor([10., 20]) + tensor([[1., 2, 3], [4, 5, 6]])
    with pytest.raises(RuntimeError) as theirs:
        torch.tensor([10., 20]) + torch.tensor([[1., 2, 3], [4, 5, 6]])
    assert str(ours.value) == str(theirs.value)


def test_unsqueeze_and_none_indexing_shapes():
    c = tensor([10., 20, 30])
    m = tensor([[1., 2, 3], [4, 5, 6], [7, 8, 9]])
    assert repr(c + m) == ("tensor([[11., 22., 33.],\n"
                           "        [14., 25., 36.],\n"
                           "        [17., 28., 39.]])")
    c = c.unsqueeze(1)
    assert repr(c.shape) == nb("torch.Size([3, 1])")
    assert repr(c + m) == ("tensor([[11., 12., 13.],\n"
                           "        [24., 25., 26.],\n"
                           "        [37., 38., 39.]])")
    assert repr((c.shape, c[None, :].shape, c[:, None].shape)) == nb(
        "(torch.Size([3, 1]), torch.Size([1, 3, 1]), torch.Size([3, 1, 1]))")
    ci = tensor([10, 20, 30])
    assert repr((ci.shape, ci.unsqueeze(0).shape, ci.unsqueeze(1).shape)) == nb(
        "(torch.Size([3]), torch.Size([1, 3]), torch.Size([3, 1]))")


def test_broadcast_row_matmul_and_einsum():
    def matmul(a, b):
        ar, ac = a.shape
        br, bc = b.shape
        assert ac == br
        c = ember.zeros(ar, bc)
        for i in range(ar):
            c[i] = (a[i].unsqueeze(-1) * b).sum(dim=0)
        return c

    m1, m2 = ember.randn(5, 784), ember.randn(784, 10)
    np.testing.assert_allclose(matmul(m1, m2).numpy(), (m1 @ m2).numpy(), rtol=1e-4,
                               atol=1e-4)
    c = tensor([10., 20, 30]).unsqueeze(1)
    m = tensor([[1., 2, 3], [4, 5, 6], [7, 8, 9]])
    assert repr(ember.einsum("ik,kj->ij", c, m)) == ("tensor([[120., 150., 180.],\n"
                                                     "        [240., 300., 360.],\n"
                                                     "        [360., 450., 540.]])")


# --- The Forward and Backward Passes -----------------------------------------------------

def lin(x, w, b):
    return x @ w + b


def relu(x):
    return x.clamp_min(0.)


def mse(output, targ):
    return (output.squeeze(-1) - targ).pow(2).mean()


def test_initialisation_lessons():
    ember.manual_seed(0)
    x = ember.randn(200, 100)
    w1, b1 = ember.randn(100, 50), ember.zeros(50)
    li = lin(x, w1, b1)
    assert repr(li.shape) == nb("torch.Size([200, 50])")
    assert 8 < li.std().item() < 12  # sqrt(100) = 10: unscaled weights blow activations up

    x = ember.randn(200, 100)
    for _ in range(50):
        x = x @ ember.randn(100, 100)
    assert repr(x[0:5, 0:5]) == "\n".join(
        ["tensor([[nan, nan, nan, nan, nan],"] + ["        [nan, nan, nan, nan, nan],"] * 3 +
        ["        [nan, nan, nan, nan, nan]])"])

    x = ember.randn(200, 100)
    for _ in range(50):
        x = x @ (ember.randn(100, 100) * 0.01)
    assert repr(x[0:5, 0:5]) == "\n".join(
        ["tensor([[0., 0., 0., 0., 0.],"] + ["        [0., 0., 0., 0., 0.],"] * 3 +
        ["        [0., 0., 0., 0., 0.]])"])

    x = ember.randn(200, 100)
    for _ in range(50):
        x = relu(x @ (ember.randn(100, 100) * sqrt(2 / 100)))  # Kaiming keeps the scale
    assert 0.05 < x.std().item() < 20


class Grads:
    """The notebook's weights, as ember tensors and as torch tensors with equal values."""

    def __init__(self):
        rng = np.random.default_rng(7)
        f = np.float32
        self.arrays = {
            "x": rng.standard_normal((200, 100)).astype(f),
            "y": rng.standard_normal(200).astype(f),
            "w1": (rng.standard_normal((100, 50)) * sqrt(2 / 100)).astype(f),
            "b1": np.zeros(50, f),
            "w2": (rng.standard_normal((50, 1)) * sqrt(2 / 50)).astype(f),
            "b2": np.zeros(1, f),
        }

    def tensors(self, lib, requires_grad=False):
        out = {k: lib.tensor(v.copy()) for k, v in self.arrays.items()}
        if requires_grad:
            for k in ("x", "w1", "b1", "w2", "b2"):
                out[k].requires_grad_(True)
        return out


def mse_grad(inp, targ):
    inp.g = 2. * (inp.squeeze() - targ).unsqueeze(-1) / inp.shape[0]


def relu_grad(inp, out):
    inp.g = (inp > 0).float() * out.g


def lin_grad(inp, out, w, b):
    inp.g = out.g @ w.t()
    w.g = inp.t() @ out.g
    b.g = out.g.sum(0)


def forward_and_backward(inp, targ, w1, b1, w2, b2):
    l1 = inp @ w1 + b1
    l2 = relu(l1)
    out = l2 @ w2 + b2
    loss = mse(out, targ)
    mse_grad(out, targ)
    lin_grad(l2, out, w2, b2)
    relu_grad(l1, l2)
    lin_grad(inp, l1, w1, b1)
    return loss


def _autograd_reference(lib):
    t = Grads().tensors(lib, requires_grad=True)
    loss = mse(lin(relu(lin(t["x"], t["w1"], t["b1"])), t["w2"], t["b2"]), t["y"])
    loss.backward()
    return {k: t[k].grad.detach().numpy() for k in ("x", "w1", "b1", "w2", "b2")}, loss


def test_hand_written_gradients_equal_autograd_and_torch():
    t = Grads().tensors(ember)
    loss = forward_and_backward(t["x"], t["y"], t["w1"], t["b1"], t["w2"], t["b2"])
    ours, our_loss = _autograd_reference(ember)
    theirs, their_loss = _autograd_reference(torch)
    assert our_loss.item() == pytest.approx(their_loss.item(), rel=1e-5)
    assert loss.item() == pytest.approx(our_loss.item(), rel=1e-6)
    for k in ("x", "w1", "b1", "w2", "b2"):
        np.testing.assert_allclose(t[k].g.numpy(), ours[k], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-4, atol=1e-6)


class Relu:
    def __call__(self, inp):
        self.inp = inp
        self.out = inp.clamp_min(0.)
        return self.out

    def backward(self):
        self.inp.g = (self.inp > 0).float() * self.out.g


class Lin:
    def __init__(self, w, b):
        self.w, self.b = w, b

    def __call__(self, inp):
        self.inp = inp
        self.out = inp @ self.w + self.b
        return self.out

    def backward(self):
        self.inp.g = self.out.g @ self.w.t()
        self.w.g = self.inp.t() @ self.out.g
        self.b.g = self.out.g.sum(0)


class Mse:
    def __call__(self, inp, targ):
        self.inp = inp
        self.targ = targ
        self.out = (inp.squeeze() - targ).pow(2).mean()
        return self.out

    def backward(self):
        x = (self.inp.squeeze() - self.targ).unsqueeze(-1)
        self.inp.g = 2. * x / self.targ.shape[0]


class Model:
    def __init__(self, w1, b1, w2, b2):
        self.layers = [Lin(w1, b1), Relu(), Lin(w2, b2)]
        self.loss = Mse()

    def __call__(self, x, targ):
        for layer in self.layers:
            x = layer(x)
        return self.loss(x, targ)

    def backward(self):
        self.loss.backward()
        for layer in reversed(self.layers):
            layer.backward()


def test_refactored_model_classes_give_autograds_gradients():
    t = Grads().tensors(ember)
    model = Model(t["w1"], t["b1"], t["w2"], t["b2"])
    model(t["x"], t["y"])
    model.backward()
    ours, _ = _autograd_reference(ember)
    for k in ("x", "w1", "b1", "w2", "b2"):
        np.testing.assert_allclose(t[k].g.numpy(), ours[k], rtol=1e-4, atol=1e-6)


class MyRelu(ember.autograd.Function):
    @staticmethod
    def forward(ctx, i):
        result = i.clamp_min(0.)
        ctx.save_for_backward(i)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        i, = ctx.saved_tensors
        return grad_output * (i > 0).float()


def test_custom_relu_function_matches_builtin_relu():
    x = ember.randn(20, 30, requires_grad=True)
    y = MyRelu.apply(x)
    assert y.grad_fn.name() == "MyReluBackward"
    (y * y).sum().backward()
    ours = x.grad.numpy().copy()
    x.grad = None
    (x.relu() * x.relu()).sum().backward()
    np.testing.assert_allclose(ours, x.grad.numpy())
