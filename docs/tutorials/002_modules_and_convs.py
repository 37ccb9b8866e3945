"""Tutorial 002 -- `nn.Linear`, MLPs, `nn.Conv2d`, conv nets and a classifier head.

The story of seed notebook 002, told on ember, ending with its TODO list done with
ember's own tools (numerical gradient check, gradient descent).
Run it: `python docs/tutorials/002_modules_and_convs.py` (a few seconds).
Each step names the ember source file that implements it.
"""

import ember
import ember.nn as nn

ember.manual_seed(0)

# ## 1. A linear layer is y = x A^T + b  (src/ember/nn/modules/linear.py, which calls
# the `linear` op in src/ember/ops/linalg.py; `mm` is there too)
print("cuda available:", ember.cuda.is_available())  # src/ember/cuda.py
single_neuron = nn.Linear(10, 1, bias=False)
print("no bias:", single_neuron.bias)
print("zero input, no bias ->", single_neuron(ember.zeros((1, 10))))
linear_layer = nn.Linear(10, 5)
x = ember.rand((1, 10))
by_hand = ember.mm(x, linear_layer.weight.T) + linear_layer.bias
print("layer == x A^T + b:", ember.allclose(linear_layer(x), by_hand))
# A wrong layout fails with torch's message:
try:
    ember.mm(linear_layer.weight, x)
except RuntimeError as e:
    print("RuntimeError:", e)


# ## 2. An MLP is an nn.Module whose attributes are layers (src/ember/nn/modules/module.py
# registers them, so parameters() finds them all)
class ThreeLayerMLP(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.layer_0 = nn.Linear(n_in, n_hidden)
        self.layer_1 = nn.Linear(n_hidden, n_hidden)
        self.layer_2 = nn.Linear(n_hidden, n_out)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.layer_2(self.relu(self.layer_1(self.relu(self.layer_0(x))))))


mlp = ThreeLayerMLP(3, 3, 1)
print("MLP parameters:", sum(p.numel() for p in mlp.parameters()),
      "output >= 0:", bool((mlp(ember.rand((100, 3))) >= 0).all()))

# ## 3. Conv2d (src/ember/nn/modules/conv.py over the convolution op in
# src/ember/ops/conv.py): padding 1 keeps 9x9, stride 2 halves it (rounded up).
conv_input = ember.randn(1, 3, 9, 9)
print("stride 1:", nn.Conv2d(3, 1, 3, stride=1, padding=1)(conv_input).shape)
print("stride 2:", nn.Conv2d(3, 1, 3, stride=2, padding=1)(conv_input).shape)
conv_net = nn.Conv2d(3, 3, 1)
print("any input size:", conv_net(ember.rand((1, 3, 16, 16))).shape,
      conv_net(ember.rand((1, 3, 32, 32))).shape)


# ## 4. A classifier: convolutions, then flatten (src/ember/ops/shape.py) and a
# linear head -- which fixes the input size.
class Classifier(nn.Module):
    def __init__(self, channels, n_classes):
        super().__init__()
        self.conv_part = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU())
        self.fc_layer = nn.Linear(3 * 32 * 32, n_classes)

    def forward(self, x):
        return self.fc_layer(ember.flatten(self.conv_part(x), start_dim=1))


classifier = Classifier(3, 10)
print("good input:", classifier(ember.rand((1, 3, 32, 32))).shape)
try:
    classifier(ember.rand((1, 3, 16, 16)))
except RuntimeError as e:
    print("RuntimeError:", e)

# ## 5. The notebook's TODO list, done
# - random init: nn.Linear/Conv2d draw their weights in reset_parameters
#   (src/ember/nn/init.py)
# - forward propagation: the modules above
# - backprop: loss.backward() (src/ember/autograd/engine.py)
# - numerical gradient check: ember.autograd.gradcheck (src/ember/autograd/gradcheck.py)
small = nn.Linear(4, 2).double()
xs = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
print("gradcheck:", ember.autograd.gradcheck(lambda t: small(t).tanh(), (xs,)))
# - gradient descent: ember.optim.SGD (src/ember/optim/sgd.py) on a toy regression
X = ember.randn(64, 3)
Y = X @ ember.tensor([[1.0], [-2.0], [0.5]]) + 0.3
model = nn.Linear(3, 1)
opt = ember.optim.SGD(model.parameters(), lr=0.1)
loss_fn = nn.MSELoss()  # src/ember/nn/modules/loss.py
first = loss_fn(model(X), Y).item()
for _ in range(200):
    opt.zero_grad()
    loss = loss_fn(model(X), Y)
    loss.backward()
    opt.step()
print(f"SGD: loss {first:.3f} -> {loss.item():.6f}; learned bias {model.bias.item():.3f}")
