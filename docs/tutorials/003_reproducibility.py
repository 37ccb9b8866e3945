"""Tutorial 003 -- reproducibility, batches as rows, and autograd on Q = 3a^3 - b^2.

The story of seed notebook 003 (Math 450, "Matrix-vector multiplication"), told on
ember.  Run it: `python docs/tutorials/003_reproducibility.py` (about a second).
Each step names the ember source file that implements it.
"""

import ember
import ember.nn as nn

# ## 1. Reproducibility
#
# ember's CPU generator (src/ember/random.py) is torch's Mersenne Twister and its
# sampling algorithms, bit for bit: after the same seed, the same numbers.  These are
# the very values the notebook printed with torch.
ember.manual_seed(2)
print(ember.randn((5,)))  # tensor([ 0.3923, -0.2236, -0.3195, -1.2050,  1.0445])

# ## 2. Samples are rows
#
# A batch X has shape [N, D_in]: X[0] is a sample, X[:, 0] a feature across samples
# (indexing: src/ember/ops/indexing.py).
N, D_in, N_H, D_out = 8, 10, 5, 3
ember.manual_seed(42)
X = ember.randn(N, D_in)
Y = ember.randn(N, D_out)
print("X:", X.shape, "first sample:", X[0].shape, "first feature:", X[:, 0].shape)

# ## 3. A two-layer network with matrix products
#
# The weights are stored [in, out] here, so a batch goes through as X @ W
# (mm: src/ember/ops/linalg.py); ReLU is clamp(min=0) (src/ember/ops/elementwise.py).
ember.manual_seed(42)
w1 = ember.randn(D_in, N_H, requires_grad=True)
w2 = ember.randn(N_H, D_out, requires_grad=True)
Z2 = X.mm(w1)
A2 = Z2.clamp(min=0)
Z3 = A2.mm(w2)
print("Z3:", Z3.shape, Z3.grad_fn.name())

# ## 4. The same with nn.Linear (src/ember/nn/modules/linear.py): Y = X W^T + b
layer1, layer2, activation = nn.Linear(10, 5), nn.Linear(5, 3), nn.ReLU()
out = layer2(activation(layer1(X)))
print("nn.Linear net:", out.shape, out.grad_fn.name())

# ## 5. Autograd
#
# Q = 3a^3 - b^2; L = sum(Q).  `L.backward()` walks the recorded graph
# (src/ember/autograd/engine.py; each op's backward is in its family file under
# src/ember/ops/, e.g. pow in src/ember/ops/elementwise.py) and fills `.grad`.
a = ember.tensor([2., 3.], requires_grad=True)
b = ember.tensor([6., 4.], requires_grad=True)
Q = 3 * a**3 - b**2
L = Q.sum()
print(Q)
print(L)
L.backward()
print("a.grad:", a.grad, "== 9a^2:", bool((a.grad == 9 * a.detach()**2).all()))
print("b.grad:", b.grad, "== -2b:", bool((b.grad == -2 * b.detach()).all()))

# ## 6. Where this goes: build nets from LEGO-like blocks (src/ember/nn/modules/),
# write torch-like code from scratch (this repository), write our own optimizer
# (see src/ember/optim/sgd.py for the shape an optimizer takes).
