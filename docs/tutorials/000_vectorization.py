"""Tutorial 000 -- neurons, `nn.Linear` conventions and vectorization with `ember.vmap`.

The story of seed notebook 000 ("Introduction to Neural Networks"), told on ember.
Run it: `python docs/tutorials/000_vectorization.py` (a second or two).

Every step names the ember source file that implements it, so you can open the file
and read how it works: ember is PyTorch in readable Python on NumPy.
"""

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember import Tensor

# ## 1. The `nn.Linear` convention
#
# A layer from d0 inputs to d1 neurons stores its weight as [out, in] = [d1, d0]:
# row i holds neuron i's incoming weights.  The layer is src/ember/nn/modules/linear.py;
# its init (kaiming_uniform_ with a=sqrt(5)) is src/ember/nn/init.py, drawing from
# ember's generator (src/ember/random.py), which is bit-exact with torch's: after
# `manual_seed(0)` you get the very weights torch would give.
ember.manual_seed(0)
d0, d1 = 3, 2
activation = nn.ReLU()  # src/ember/nn/modules/activation.py
model = nn.Linear(d0, d1)
print(model)
# named_parameters walks the module tree: src/ember/nn/modules/module.py
for name, p in model.named_parameters():
    print(name, p.shape)
# Indexing a parameter is a differentiable op, so the scalar remembers where it came
# from (grad_fn); indexing lives in src/ember/ops/indexing.py.
print(model.weight[0, 0].grad_fn.name())

# ## 2. Shape annotations: jaxtyping + beartype
#
# `Float[Tensor, "d0"]` is a type that checks dtype and shape; jaxtyping recognises
# ember tensors through `.shape` and `.dtype` (src/ember/typing.py).
from beartype import beartype  # noqa: E402
from jaxtyping import Float  # noqa: E402

print("scalar is Float[Tensor, '']:", isinstance(ember.tensor(1.0), Float[Tensor, ""]))
print("[1.0] is Float[Tensor, '']:", isinstance(ember.tensor([1.0]), Float[Tensor, ""]))
print("[[1., 2.]] is Float[Tensor, 'n m']:",
      isinstance(ember.tensor([[1.0, 2.0]]), Float[Tensor, "n m"]))


# ## 3. One neuron, then vectorize it
#
# Write the computation for ONE neuron and ONE example, with the shapes checked at
# call time ...
@beartype
def forward(a: Float[Tensor, "d0"], w: Float[Tensor, "d0"],
            b: Float[Tensor, ""]) -> Float[Tensor, ""]:  # noqa: F722
    z = (a * w).sum() + b  # () + () -> ()
    return activation(z)


n = 50
a = ember.rand(n, d0)
print("one neuron, one example:", forward(a[0], model.weight[0], model.bias[0]).shape)

# ... then let `ember.vmap` add the batch dimensions (src/ember/func/vmap.py; the
# batching rules are in src/ember/func/batching.py). First over the neurons (w and b
# get a leading d1 dimension, a does not) ...
v1_forward = ember.vmap(forward, in_dims=(None, 0, 0), out_dims=0)
print("vmap over neurons:", v1_forward(a[0], model.weight, model.bias).shape)
# ... then over the examples (a gets a leading n dimension).
v2_forward = ember.vmap(v1_forward, in_dims=(0, None, None), out_dims=0)
final_out = v2_forward(a, model.weight, model.bias)
print("vmap over examples:", final_out.shape)
# The nested vmap computes exactly the layer: relu(a @ W^T + b).
# (F.relu and the linear op: src/ember/ops/elementwise.py, src/ember/ops/linalg.py)
print("same as F.relu(model(a)):", ember.allclose(final_out, F.relu(model(a))))

# ## 4. XOR with hand-set weights
#
# Two ReLU neurons and one output neuron compute XOR; the same vectorized forward runs
# the whole truth table at once.
xor_x = ember.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
W_1, b_1 = ember.tensor([[1.0, 1.0], [1.0, 1.0]]), ember.tensor([0.0, -1.0])
W_2, b_2 = ember.tensor([[1.0, -2.0]]), ember.tensor([0.0])
a1 = v2_forward(xor_x, W_1, b_1)
a2 = v2_forward(a1, W_2, b_2)
print("XOR:", a2.flatten().tolist())
