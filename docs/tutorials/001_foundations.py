"""Tutorial 001 -- foundations: from a NumPy neuron to autograd and `nn.Module`.

The story of seed notebook 001 ("Foundations"), told on ember.
Run it: `python docs/tutorials/001_foundations.py` (a few seconds).
Each step names the ember source file that implements it.
"""

from math import sqrt

import numpy as np

import ember
import ember.nn as nn
from ember import tensor
from ember.autograd import Function

ember.manual_seed(0)
np.random.seed(0)

# ## 1. A neuron in NumPy
#
# A neuron is a weighted sum plus a bias, then an activation: a dot product.
weight, inp, bias = np.random.randn(100), np.random.randn(100) * 100, np.array([.2])
output = sum([x * w for x, w in zip(inp, weight)]) + bias
print("loop == dot product:", bool(np.allclose(output, inp @ weight.T + bias)))


# ## 2. Matrix multiplication from scratch
#
# Three loops, then one loop fewer with elementwise ops, then broadcasting, then
# einsum.  Each version runs on ember tensors: indexing (`a[i, k]`, `c[i, j] += ...`)
# is src/ember/ops/indexing.py, elementwise `*` and broadcasting are
# src/ember/ops/elementwise.py, `.sum` is src/ember/ops/reduction.py, `@` and einsum
# are src/ember/ops/linalg.py.  (Small inputs here: Python loops are slow.)
def matmul_loops(a, b):
    (ar, ac), (br, bc) = a.shape, b.shape
    assert ac == br
    c = ember.zeros(ar, bc)
    for i in range(ar):
        for j in range(bc):
            for k in range(ac):
                c[i, j] += a[i, k] * b[k, j]
    return c


def matmul_rows(a, b):
    c = ember.zeros(a.shape[0], b.shape[1])
    for i in range(a.shape[0]):
        c[i] = (a[i].unsqueeze(-1) * b).sum(dim=0)
    return c


m1, m2 = ember.randn(5, 20), ember.randn(20, 10)
ref = m1 @ m2
for f in (matmul_loops, matmul_rows, lambda a, b: ember.einsum("ik,kj->ij", a, b)):
    assert ember.allclose(f(m1, m2), ref, atol=1e-5)
print("three matmuls agree with @")

# ## 3. Elementwise arithmetic and broadcasting
a, b = tensor([10., 6, -4]), tensor([2., 8, 7])
print(a + b)
print((a + b).mean(), (a + b).mean().item())
m = tensor([[1., 2, 3], [4, 5, 6], [7, 8, 9]])
c = tensor([10., 20, 40])
print(m + c)
# Broadcasting copies nothing: expand_as makes a view whose stride along the new
# dimension is 0 (views: src/ember/ops/shape.py; strides and storage: src/ember/tensor.py).
t = c.expand_as(m)
print("stride of the expanded vector:", t.stride(), t.shape)
print(t.storage())
# Shapes that do not line up fail with torch's message (src/ember/ops/elementwise.py).
try:
    tensor([10., 20]) + tensor([[1., 2, 3], [4, 5, 6]])
except RuntimeError as e:
    print("RuntimeError:", e)
print("unsqueeze:", c.unsqueeze(0).shape, c.unsqueeze(1).shape, c[:, None].shape)


# ## 4. Why initialization matters
#
# Fifty layers of random 100x100 matrices blow activations up (to inf, then nan) or
# shrink them to 0 unless the scale is right: Xavier 1/sqrt(n) for linear layers,
# Kaiming sqrt(2/n) for ReLU (as in src/ember/nn/init.py).
def relu(x):
    return x.clamp_min(0.)  # src/ember/ops/elementwise.py


for name, scale in (("scale 1", 1.0), ("scale 0.01", 0.01), ("kaiming sqrt(2/100)",
                                                             sqrt(2 / 100))):
    x = ember.randn(200, 100)
    for _ in range(50):
        x = relu(x @ (ember.randn(100, 100) * scale))
    print(f"50 relu layers, {name}: std = {x.std().item():.3g}")

# ## 5. Forward and backward by hand, checked against autograd
x, y = ember.randn(200, 100), ember.randn(200)
w1, b1 = ember.randn(100, 50) * sqrt(2 / 100), ember.zeros(50)
w2, b2 = ember.randn(50, 1) * sqrt(2 / 50), ember.zeros(1)


def lin(x, w, b):
    return x @ w + b


def mse(output, targ):
    return (output.squeeze(-1) - targ).pow(2).mean()


def mse_grad(inp, targ):
    inp.g = 2. * (inp.squeeze() - targ).unsqueeze(-1) / inp.shape[0]


def relu_grad(inp, out):
    inp.g = (inp > 0).float() * out.g


def lin_grad(inp, out, w, b):
    inp.g = out.g @ w.t()
    w.g = inp.t() @ out.g
    b.g = out.g.sum(0)


l1 = lin(x, w1, b1)
l2 = relu(l1)
out = lin(l2, w2, b2)
loss = mse(out, y)
mse_grad(out, y)
lin_grad(l2, out, w2, b2)
relu_grad(l1, l2)
lin_grad(x, l1, w1, b1)

# The same gradients from ember's autograd: every op records a graph node
# (src/ember/autograd/node.py) and `backward` walks the graph in reverse
# (src/ember/autograd/engine.py), calling each op's `backward`
# (the Primitive pattern: src/ember/ops/primitive.py).
params = [p.clone().requires_grad_() for p in (w1, b1, w2, b2)]
mse(lin(relu(lin(x, params[0], params[1])), params[2], params[3]), y).backward()
for p, hand in zip(params, (w1, b1, w2, b2)):
    assert ember.allclose(p.grad, hand.g, atol=1e-5)
print("hand-written gradients == autograd: True")


# ## 6. Your own autograd Function (src/ember/autograd/function.py)
class MyRelu(Function):
    @staticmethod
    def forward(ctx, i):
        ctx.save_for_backward(i)
        return i.clamp_min(0.)

    @staticmethod
    def backward(ctx, grad_output):
        i, = ctx.saved_tensors
        return grad_output * (i > 0).float()


z = ember.randn(8, requires_grad=True)
MyRelu.apply(z).sum().backward()
print("MyRelu backward == (z > 0):", bool((z.grad == (z > 0).float()).all()))


# ## 7. Layers as nn.Module (src/ember/nn/modules/module.py), Parameter
# (src/ember/nn/parameter.py) and nn.Sequential (src/ember/nn/modules/container.py)
class LinearLayer(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(ember.randn(n_out, n_in) * sqrt(2 / n_in))
        self.bias = nn.Parameter(ember.zeros(n_out))

    def forward(self, x):
        return x @ self.weight.t() + self.bias


p1, p2 = LinearLayer(10, 2).parameters()
print("LinearLayer parameters:", p1.shape, p2.shape)
model = nn.Sequential(nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 1))
loss = mse(model(x), y)
loss.backward()
print("Sequential:", model[0].weight.grad.shape, "loss", loss.grad_fn.name())
