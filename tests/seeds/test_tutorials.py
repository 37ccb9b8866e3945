"""Each tutorial in docs/tutorials/ runs as a script, exits 0, and prints the results
its notebook teaches (the expected lines below are the notebooks' own printed values or
what torch prints for the same code, with `ember.` for `torch.`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parents[2] / "docs" / "tutorials"

EXPECTED = {
    "000_vectorization.py": [
        "Linear(in_features=3, out_features=2, bias=True)",
        "weight ember.Size([2, 3])",
        "bias ember.Size([2])",
        "SelectBackward0",
        "scalar is Float[Tensor, '']: True",
        "[1.0] is Float[Tensor, '']: False",
        "[[1., 2.]] is Float[Tensor, 'n m']: True",
        "one neuron, one example: ember.Size([])",
        "vmap over neurons: ember.Size([2])",
        "vmap over examples: ember.Size([50, 2])",
        "same as F.relu(model(a)): True",
        "XOR: [0.0, 1.0, 1.0, 0.0]",
    ],
    "001_foundations.py": [
        "loop == dot product: True",
        "three matmuls agree with @",
        "tensor([12., 14.,  3.])",
        "tensor(9.6667) 9.666666984558105",
        "stride of the expanded vector: (0, 1) ember.Size([3, 3])",
        "[ember.FloatStorage of size 3]",
        "RuntimeError: The size of tensor a (2) must match the size of tensor b (3) at "
        "non-singleton dimension 1",
        "unsqueeze: ember.Size([1, 3]) ember.Size([3, 1]) ember.Size([3, 1])",
        "50 relu layers, scale 1: std = nan",
        "50 relu layers, scale 0.01: std = 0",
        "hand-written gradients == autograd: True",
        "MyRelu backward == (z > 0): True",
        "LinearLayer parameters: ember.Size([2, 10]) ember.Size([2])",
        "Sequential: ember.Size([50, 100]) loss MeanBackward0",
    ],
    "002_modules_and_convs.py": [
        "cuda available: False",
        "no bias: None",
        "zero input, no bias -> tensor([[0.]], grad_fn=<MmBackward0>)",
        "layer == x A^T + b: True",
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (5x10 and 1x10)",
        "stride 1: ember.Size([1, 1, 9, 9])",
        "stride 2: ember.Size([1, 1, 5, 5])",
        "any input size: ember.Size([1, 3, 16, 16]) ember.Size([1, 3, 32, 32])",
        "good input: ember.Size([1, 10])",
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x768 and 3072x10)",
        "gradcheck: True",
    ],
    "003_reproducibility.py": [
        "tensor([ 0.3923, -0.2236, -0.3195, -1.2050,  1.0445])",
        "Z3: ember.Size([8, 3]) MmBackward0",
        "nn.Linear net: ember.Size([8, 3]) AddmmBackward0",
        "tensor([-12.,  65.], grad_fn=<SubBackward0>)",
        "tensor(53., grad_fn=<SumBackward0>)",
        "a.grad: tensor([36., 81.]) == 9a^2: True",
        "b.grad: tensor([-12.,  -8.]) == -2b: True",
    ],
}


def test_every_tutorial_is_listed():
    assert sorted(p.name for p in TUTORIALS.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_tutorial_runs_and_prints_its_key_lines(script):
    proc = subprocess.run([sys.executable, str(TUTORIALS / script)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    for want in EXPECTED[script]:
        assert want in lines, f"{script}: missing line {want!r}\n{proc.stdout}"


def test_sgd_in_tutorial_002_fits_the_toy_regression():
    proc = subprocess.run([sys.executable, str(TUTORIALS / "002_modules_and_convs.py")],
                          capture_output=True, text=True, timeout=120)
    line = next(s for s in proc.stdout.splitlines() if s.startswith("SGD:"))
    # the data are y = x . (1, -2, 0.5) + 0.3 exactly: SGD must find the bias 0.3
    assert line.endswith("learned bias 0.300"), line
