# ruff: noqa: F722, F821 - jaxtyping dimension strings are not forward references
"""Seed notebook 000 ("Introduction to Neural Networks"): a neuron vectorised with
vmap over the next layer's neurons, then over examples, with jaxtyping annotations
checked by beartype; run on ember (`import ember as torch` style).

Deterministic cells print exactly the notebook's text (`torch.` -> `ember.`). The
notebook's model weights came from an unseeded init, so the printed-weights cells load
the notebook's values into the layer first; cells on random data are compared with
torch on the same data.
"""


import re

import numpy as np
import pytest
import torch as real_torch

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from ember import Tensor

jaxtyping = pytest.importorskip("jaxtyping")
beartype_mod = pytest.importorskip("beartype")
from beartype import beartype  # noqa: E402
from beartype.roar import BeartypeCallHintParamViolation  # noqa: E402
from jaxtyping import Float  # noqa: E402


def nb(text: str) -> str:
    return text.replace("torch.", "ember.")


d0, d1 = 3, 2
activation = nn.ReLU()


def notebook_model():
    model = nn.Linear(d0, d1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.3177, 0.3732, 0.2700], [0.1860, -0.0274, 0.4721]]))
        model.bias.copy_(torch.tensor([0.0197, -0.5723]))
    return model


@beartype
def forward(a: Float[Tensor, "d0"], w: Float[Tensor, "d0"], b: Float[Tensor, ""]
            ) -> Float[Tensor, ""]:
    z = (a * w).sum() + b  # () + () -> ()
    a = activation(z)  # () -> ()
    return a  # ()


def test_convention_cells():
    model = notebook_model()
    assert repr(model) == "Linear(in_features=3, out_features=2, bias=True)"
    assert repr(dict(model.named_parameters())) == nb(
        "{'weight': Parameter containing:\n"
        "tensor([[ 0.3177,  0.3732,  0.2700],\n"
        "        [ 0.1860, -0.0274,  0.4721]], requires_grad=True), 'bias': Parameter "
        "containing:\ntensor([ 0.0197, -0.5723], requires_grad=True)}")
    assert repr(model.weight.shape) == nb("torch.Size([2, 3])")
    assert repr(model.bias.shape) == nb("torch.Size([2])")
    printed = [str(model.weight[0, i]) for i in range(d0)]
    assert printed == ["tensor(0.3177, grad_fn=<SelectBackward0>)",
                       "tensor(0.3732, grad_fn=<SelectBackward0>)",
                       "tensor(0.2700, grad_fn=<SelectBackward0>)"]


def test_jaxtyping_isinstance_cells():
    scalar_type = Float[Tensor, ""]
    scalar = torch.tensor(1.0)
    assert repr(scalar.shape) == nb("torch.Size([])")
    assert isinstance(scalar, scalar_type) is True
    non_scalar = torch.tensor([1.0])
    assert repr(non_scalar.shape) == nb("torch.Size([1])")
    assert isinstance(non_scalar, scalar_type) is False
    vector_type = Float[Tensor, "n"]
    assert isinstance(non_scalar, vector_type) is True
    vector = torch.tensor([1.0, 2.0])
    assert repr(vector.shape) == nb("torch.Size([2])")
    assert isinstance(vector, vector_type) is True
    matrix_type = Float[Tensor, "n m"]
    assert isinstance(vector, matrix_type) is False
    matrix = torch.tensor([[1.0, 2.0]])
    assert repr(matrix.shape) == nb("torch.Size([1, 2])")
    assert isinstance(matrix, matrix_type) is True
    another_matrix = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert repr(another_matrix.shape) == nb("torch.Size([2, 3])")
    assert isinstance(another_matrix, matrix_type) is True
    tensor_type = Float[Tensor, "b0 b1 b2"]
    tensor = torch.tensor([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]])
    assert repr(tensor.shape) == nb("torch.Size([2, 2, 2])")
    assert isinstance(tensor, tensor_type) is True
    # an integer tensor is not Float
    assert isinstance(torch.tensor([1, 2]), vector_type) is False


def test_beartype_cells():
    @beartype
    def secured_call_my_name(name: str) -> str:
        return f"Hello, {name}!"

    assert secured_call_my_name("John") == "Hello, John!"
    with pytest.raises(BeartypeCallHintParamViolation) as info:
        secured_call_my_name(123)
    assert re.search(r"secured_call_my_name\(\) parameter name=123 violates type hint "
                     r"<class 'str'>, as int 123 not instance of str\.", str(info.value))


def test_wrong_shape_raises_the_same_beartype_violation_as_torch():
    messages = []
    for lib in (torch, real_torch):
        @beartype
        def fwd(a: Float[lib.Tensor, "d0"], w: Float[lib.Tensor, "d0"],
                b: Float[lib.Tensor, ""]) -> Float[lib.Tensor, ""]:
            return (a * w).sum() + b

        with pytest.raises(BeartypeCallHintParamViolation) as info:
            fwd(lib.ones(2, 3), lib.ones(3), lib.tensor(0.0))
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert "this array has 2 dimensions, not the 1 expected by the type hint" in messages[0]


def test_forward_and_its_vmaps():
    model = notebook_model()
    n = 50
    a_np = np.random.default_rng(0).random((n, d0)).astype(np.float32)
    a = torch.tensor(a_np)
    assert repr(a.shape) == nb("torch.Size([50, 3])")
    dummy_a, dummy_w, dummy_b = torch.rand(d0), torch.rand(d0), torch.rand(())
    assert f"{dummy_a.shape} {dummy_w.shape} {dummy_b.shape}" == nb(
        "torch.Size([3]) torch.Size([3]) torch.Size([])")
    assert repr(forward(dummy_a, dummy_w, dummy_b).shape) == nb("torch.Size([])")

    out0 = forward(a[0], model.weight[0], model.bias[0])
    assert re.fullmatch(r"tensor\(\d+\.\d{4}, grad_fn=<ReluBackward0>\)", repr(out0))
    expected = max(float(a_np[0] @ model.weight.detach().numpy()[0]
                         + model.bias.detach().numpy()[0]), 0.0)
    assert abs(out0.item() - expected) < 1e-6

    v1_forward = torch.vmap(forward, in_dims=(None, 0, 0), out_dims=0)
    out = v1_forward(a[0], model.weight, model.bias)
    assert repr(out.shape) == nb("torch.Size([2])")

    v2_forward = torch.vmap(v1_forward, in_dims=(0, None, None), out_dims=0)
    final_out = v2_forward(a, model.weight, model.bias)
    assert repr(final_out.shape) == nb("torch.Size([50, 2])")
    model_out = F.relu(model(a))
    assert torch.allclose(final_out, model_out) is True

    # the same cells in torch on the same data
    t_w = real_torch.tensor(model.weight.detach().numpy())
    t_b = real_torch.tensor(model.bias.detach().numpy())

    def t_forward(a, w, b):
        return real_torch.relu((a * w).sum() + b)
    t_out = real_torch.vmap(real_torch.vmap(t_forward, in_dims=(None, 0, 0)),
                            in_dims=(0, None, None))(real_torch.tensor(a_np), t_w, t_b)
    np.testing.assert_allclose(final_out.detach().numpy(), t_out.numpy(), rtol=1e-6)


def test_xor_cells():
    v2_forward = torch.vmap(torch.vmap(forward, in_dims=(None, 0, 0)), in_dims=(0, None, None))
    xor_x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    assert f"{xor_x}\n{xor_x.shape}" == nb(
        "tensor([[0., 0.],\n        [0., 1.],\n        [1., 0.],\n        [1., 1.]])\n"
        "torch.Size([4, 2])")
    xor_y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
    assert f"{xor_y}\n{xor_y.shape}" == nb(
        "tensor([[0.],\n        [1.],\n        [1.],\n        [0.]])\ntorch.Size([4, 1])")
    W_1 = torch.tensor([[1.0, 1.0], [1.0, 1.0]])
    b_1 = torch.tensor([0.0, -1.0])
    assert f"{W_1}\n{b_1}\n{W_1.shape} {b_1.shape}" == nb(
        "tensor([[1., 1.],\n        [1., 1.]])\ntensor([ 0., -1.])\n"
        "torch.Size([2, 2]) torch.Size([2])")
    W_2 = torch.tensor([[1.0, -2.0]])
    b_2 = torch.tensor([0.0])
    assert f"{W_2}\n{b_2}\n{W_2.shape} {b_2.shape}" == nb(
        "tensor([[ 1., -2.]])\ntensor([0.])\ntorch.Size([1, 2]) torch.Size([1])")
    a1 = v2_forward(xor_x, W_1, b_1)
    assert repr(a1) == ("tensor([[0., 0.],\n        [1., 0.],\n        [1., 0.],\n"
                        "        [2., 1.]])")
    a2 = v2_forward(a1, W_2, b_2)
    assert repr(a2) == "tensor([[0.],\n        [1.],\n        [1.],\n        [0.]])"
