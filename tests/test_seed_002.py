"""Seed notebook 002 (Linear and Conv2d layers, MLPs and a ConvNet classifier) run on
ember.

The notebook draws its weights and inputs without a seed, so every cell is run on
ember and on torch holding the SAME weights and inputs: printed text must be equal
(torch's text with `ember.` for `torch.`), shapes must be the notebook's, and errors
must carry the notebook's messages.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import ember
from module_check import copy_state


def nb(text: str) -> str:
    """torch's printed text, as ember prints it."""
    return text.replace("torch.", "ember.")


_NUMBER = re.compile(r"-?\d+\.\d*(?:e[+-]\d+)?|-?\d+(?:e[+-]\d+)")


def prints_like(ember_text: str, torch_text: str) -> bool:
    """The same printed text, allowing each printed number to differ in its last digit.

    Computed float32 values can differ from torch's in the last bit (another summation
    order), which sometimes flips the last printed digit; everything else must match.
    """
    torch_text = nb(torch_text)
    if ember_text == torch_text:
        return True
    if _NUMBER.split(ember_text) != _NUMBER.split(torch_text):
        return False
    for a, b in zip(_NUMBER.findall(ember_text), _NUMBER.findall(torch_text)):
        if len(a) != len(b):
            return False
        digits = len(a.split("e")[0].split(".")[1]) if "." in a else 0
        scale = 10.0 ** (int(a.split("e")[1]) if "e" in a else 0)
        if abs(float(a) - float(b)) > 1.01 * scale * 10.0 ** -digits:
            return False
    return True


def same(e_mod, t_mod):
    """Give the ember module torch's weights."""
    copy_state(e_mod, t_mod)
    return e_mod


def pair(array):
    return ember.from_numpy(array.copy()), torch.from_numpy(array.copy())


def test_cuda_is_not_available():
    assert ember.cuda.is_available() is False


# --- Linear layer ------------------------------------------------------------------------

def test_single_neuron_without_bias_prints_like_torch():
    t = torch.nn.Linear(10, 1, bias=False)
    e = same(ember.nn.Linear(10, 1, bias=False), t)
    assert str(e.weight) == nb(str(t.weight))
    assert str(e.weight).startswith("Parameter containing:\ntensor([[")
    assert e.bias is None and t.bias is None
    for make in (lambda m: m.zeros((1, 10)), lambda m: m.ones((1, 10)),
                 lambda m: 1000 * m.ones((1, 10))):
        out = e(make(ember))
        assert prints_like(str(out), str(t(make(torch))))
        assert out.grad_fn.name() == "MmBackward0"
    assert str(e(ember.zeros((1, 10)))) == "tensor([[0.]], grad_fn=<MmBackward0>)"
    # with all-one inputs the output is the sum of the weights
    np.testing.assert_allclose(e(ember.ones((1, 10))).item(), ember.sum(e.weight).item(),
                               rtol=1e-6)
    assert str(ember.sum(e.weight)) == nb(str(torch.sum(t.weight)))


def test_linear_layer_is_x_at_a_transposed_plus_b():
    t = torch.nn.Linear(10, 5, bias=True)
    e = same(ember.nn.Linear(10, 5, bias=True), t)
    ex, tx = pair(np.random.default_rng(0).random((1, 10), dtype=np.float32))
    out = e(ex)
    assert prints_like(str(out), str(t(tx)))
    assert out.grad_fn.name() == "AddmmBackward0"
    manual = ember.mm(ex, e.weight.T) + e.bias
    assert prints_like(str(manual), str(torch.mm(tx, t.weight.T) + t.bias))
    assert manual.grad_fn.name() == "AddBackward0"
    np.testing.assert_allclose(manual.detach().numpy(), out.detach().numpy(), rtol=1e-6)


def test_wrong_layouts_broadcast_or_fail_like_the_notebook():
    t = torch.nn.Linear(10, 5)
    e = same(ember.nn.Linear(10, 5), t)
    ex, tx = pair(np.random.default_rng(1).random((1, 10), dtype=np.float32))
    assert str(e.bias.shape) == nb(str(t.bias.shape)) == "ember.Size([5])"
    for f in (lambda m, W, x, b: m.mm(W, x.T) + b.T,
              lambda m, W, x, b: m.mm(W, x.T) + b,
              lambda m, W, x, b: m.mm(W, x.T) + b.reshape(5, 1)):
        got = f(ember, e.weight, ex, e.bias)
        assert prints_like(str(got), str(f(torch, t.weight, tx, t.bias)))
    assert tuple(ember.mm(e.weight, ex.T).add(e.bias).shape) == (5, 5)  # the broadcast trap
    with pytest.raises(RuntimeError) as err:
        ember.mm(e.weight, ex) + e.bias
    assert str(err.value) == "mat1 and mat2 shapes cannot be multiplied (5x10 and 1x10)"
    # the NumPy verification of the working line
    np.testing.assert_allclose(
        np.dot(e.weight.detach().numpy(), ex.T.detach().numpy())
        + e.bias.reshape(5, 1).detach().numpy(),
        (ember.mm(e.weight, ex.T) + e.bias.reshape(5, 1)).detach().numpy(), rtol=1e-6)


# --- MLPs as Modules ---------------------------------------------------------------------

def mlp_classes(nn):
    class ThreeLayerMLP(nn.Module):
        def __init__(self, input_features, hidden_features, output_features):
            super().__init__()
            self.layer_0 = nn.Linear(in_features=input_features, out_features=hidden_features)
            self.layer_1 = nn.Linear(in_features=hidden_features, out_features=hidden_features)
            self.layer_2 = nn.Linear(in_features=hidden_features, out_features=output_features)

        def forward(self, x):
            x = self.layer_0(x)
            x = self.layer_1(x)
            x = self.layer_2(x)
            return x

    class ThreeLayerMLPNew(ThreeLayerMLP):
        def __init__(self, input_features, hidden_features, output_features):
            super().__init__(input_features, hidden_features, output_features)
            self.relu = nn.ReLU()

        def forward(self, x):
            x = self.relu(self.layer_0(x))
            x = self.relu(self.layer_1(x))
            return self.relu(self.layer_2(x))

    return ThreeLayerMLP, ThreeLayerMLPNew


def test_three_layer_mlps_match_torch():
    (EMlp, EMlpNew), (TMlp, TMlpNew) = mlp_classes(ember.nn), mlp_classes(torch.nn)
    t = TMlp(10, 5, 1)
    e = same(EMlp(10, 5, 1), t)
    assert repr(e) == repr(t)
    ex, tx = pair(np.random.default_rng(2).random((1, 10), dtype=np.float32))
    out = e(ex)
    assert prints_like(str(out), str(t(tx)))
    assert out.grad_fn.name() == "AddmmBackward0"
    rng = np.random.default_rng(3)
    for _ in range(5):  # "execute multiple times to see that output never gets < 0"
        t = TMlpNew(3, 3, 1)
        e = same(EMlpNew(3, 3, 1), t)
        ex, tx = pair(rng.random((1, 3), dtype=np.float32))
        out = e(ex)
        assert prints_like(str(out), str(t(tx)))
        assert out.item() >= 0 and out.grad_fn.name() == "ReluBackward0"


# --- Conv2d ------------------------------------------------------------------------------

@pytest.mark.parametrize("stride,shape", [(1, (1, 1, 9, 9)), (2, (1, 1, 5, 5))])
def test_conv2d_stride_and_padding_shapes_and_values(stride, shape):
    t = torch.nn.Conv2d(3, 1, 3, stride=stride, padding=1)
    e = same(ember.nn.Conv2d(3, 1, 3, stride=stride, padding=1), t)
    ex, tx = pair(np.random.default_rng(4).standard_normal((1, 3, 9, 9)).astype(np.float32))
    out = e(ex)
    assert str(out.shape) == nb(str(torch.Size(shape)))
    assert out.grad_fn.name() == "ConvolutionBackward0"
    np.testing.assert_allclose(out.detach().numpy(), t(tx).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    assert prints_like(str(out), str(t(tx)))


def convnet_classes(nn, flatten):
    class ConvNet(nn.Module):
        def __init__(self, input_channels, hidden_channels, output_channels):
            super().__init__()
            self.layer_0 = nn.Conv2d(in_channels=input_channels, out_channels=hidden_channels,
                                     kernel_size=3, stride=1, padding=1)
            self.relu0 = nn.ReLU()
            self.layer_1 = nn.Conv2d(in_channels=hidden_channels, out_channels=hidden_channels,
                                     kernel_size=3, stride=1, padding=1)
            self.relu1 = nn.ReLU()
            self.layer_2 = nn.Conv2d(in_channels=hidden_channels, out_channels=output_channels,
                                     kernel_size=3, stride=1, padding=1)
            self.relu2 = nn.ReLU()

        def forward(self, x):
            x = self.relu0(self.layer_0(x))
            x = self.relu1(self.layer_1(x))
            return self.relu2(self.layer_2(x))

    class Classifier(nn.Module):
        def __init__(self, input_channels, hidden_channels, num_output_classes):
            super().__init__()
            self.conv_part = ConvNet(input_channels, hidden_channels, hidden_channels)
            self.fc_layer = nn.Linear(in_features=3 * 32 * 32, out_features=num_output_classes)

        def forward(self, x):
            x = self.conv_part(x)
            x = flatten(x, start_dim=1)
            return self.fc_layer(x)

    return ConvNet, Classifier


def test_a_1x1_conv_takes_any_image_size():
    conv_net = ember.nn.Conv2d(3, 3, 1)
    assert str(conv_net(ember.rand((1, 3, 16, 16))).shape) == "ember.Size([1, 3, 16, 16])"
    assert str(conv_net(ember.rand((1, 3, 32, 32))).shape) == "ember.Size([1, 3, 32, 32])"


def test_convnet_classifier_matches_torch_and_rejects_the_wrong_size():
    (_, EClassifier), (_, TClassifier) = (convnet_classes(ember.nn, ember.flatten),
                                          convnet_classes(torch.nn, torch.flatten))
    t = TClassifier(3, 3, 10)
    e = same(EClassifier(3, 3, 10), t)
    assert repr(e) == repr(t)
    ex, tx = pair(np.random.default_rng(5).random((1, 3, 32, 32), dtype=np.float32))
    out = e(ex)
    assert str(out.shape) == "ember.Size([1, 10])"
    np.testing.assert_allclose(out.detach().numpy(), t(tx).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    out.sum().backward()
    t(tx).sum().backward()
    for (name, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=name)
    bad, _ = pair(np.random.default_rng(6).random((1, 3, 16, 16), dtype=np.float32))
    with pytest.raises(RuntimeError) as err:
        e(bad)
    assert str(err.value) == "mat1 and mat2 shapes cannot be multiplied (1x768 and 3072x10)"
