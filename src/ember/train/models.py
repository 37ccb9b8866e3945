"""The MNIST-1D paper's models (greydanus/mnist1d, notebooks/models.py: same layers, same
forward, so the same parameter count and initialisation) and small image models for
the 8x8 digits and 28x28 MNIST, for the `ember train` command."""

from __future__ import annotations

from .. import nn
from ..nn import functional as F


class LinearBase(nn.Module):
    """Logistic regression: Linear(40, 10)."""

    def __init__(self, input_size: int = 40, output_size: int = 10) -> None:
        super().__init__()
        self.linear = nn.Linear(input_size, output_size)

    def forward(self, x):
        return self.linear(x.reshape(x.shape[0], -1))


class MLPBase(nn.Module):
    """h = relu(Linear(40, 100)(x)); h = h + relu(Linear(100, 100)(h)); Linear(100, 10)(h)
    (the paper's MLP, a residual connection around its second layer)."""

    def __init__(self, input_size: int = 40, output_size: int = 10,
                 hidden_size: int = 100) -> None:
        super().__init__()
        self.linear1 = nn.Linear(input_size, hidden_size)
        self.linear2 = nn.Linear(hidden_size, hidden_size)
        self.linear3 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        x = x.reshape(x.shape[0], -1)
        h = F.relu(self.linear1(x))
        h = h + F.relu(self.linear2(h))
        return self.linear3(h)


class ConvBase(nn.Module):
    """Conv1d(1, 25, 5, stride 2, padding 1) - ReLU - Conv1d(25, 25, 3, 2, 1) - ReLU -
    Conv1d(25, 25, 3, 2, 1) - ReLU - flatten - Linear(125, 10); length 40 -> 19 -> 10 -> 5."""

    def __init__(self, output_size: int = 10, channels: int = 25, linear_in: int = 125) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(1, channels, 5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.linear = nn.Linear(linear_in, output_size)

    def forward(self, x):
        x = x.reshape(-1, 1, x.shape[-1])
        h1 = F.relu(self.conv1(x))
        h2 = F.relu(self.conv2(h1))
        h3 = F.relu(self.conv3(h2))
        return self.linear(h3.reshape(h3.shape[0], -1))


class GRUBase(nn.Module):
    """A bidirectional GRU (hidden size 6) reading the signal one value per time step; all
    40 x 2 x 6 outputs flattened into Linear(480, 10)."""

    def __init__(self, input_size: int = 1, output_size: int = 10, hidden_size: int = 6,
                 time_steps: int = 40, bidirectional: bool = True) -> None:
        super().__init__()
        self.input_size = input_size
        self.gru = nn.GRU(input_size, hidden_size, batch_first=True,
                          bidirectional=bidirectional)
        flat = (2 if bidirectional else 1) * hidden_size * time_steps
        self.linear = nn.Linear(flat, output_size)

    def forward(self, x, h0=None):
        x = x.reshape(x.shape[0], -1, self.input_size)
        output, _ = self.gru(x, h0)
        return self.linear(output.reshape(output.shape[0], -1))


class ImageMLP(nn.Sequential):
    """Flatten - Linear(pixels, hidden) - ReLU - Linear(hidden, hidden) - ReLU -
    Linear(hidden, 10)."""

    def __init__(self, pixels: int, hidden: int = 100, classes: int = 10) -> None:
        super().__init__(nn.Flatten(), nn.Linear(pixels, hidden), nn.ReLU(),
                         nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, classes))


class ImageCNN(nn.Sequential):
    """Conv2d(1, 16, 3, padding 1) - ReLU - Conv2d(16, 32, 3, stride 2, padding 1) - ReLU -
    Conv2d(32, 32, 3, stride 2, padding 1) - ReLU - flatten - Linear(32 * (side/4)^2, 10)."""

    def __init__(self, side: int, classes: int = 10) -> None:
        s = (side + 1) // 2
        s = (s + 1) // 2
        super().__init__(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
                         nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.ReLU(),
                         nn.Flatten(), nn.Linear(32 * s * s, classes))


class ImageLogReg(nn.Sequential):
    def __init__(self, pixels: int, classes: int = 10) -> None:
        super().__init__(nn.Flatten(), nn.Linear(pixels, classes))


MNIST1D_MODELS = {"logreg": LinearBase, "mlp": MLPBase, "cnn": ConvBase, "gru": GRUBase}


def make_model(data: str, name: str) -> nn.Module:
    """The model `name` for dataset `data` (mnist1d: logreg/mlp/cnn/gru; digits, mnist,
    fashion-mnist: logreg/mlp/cnn)."""
    if data == "mnist1d":
        if name not in MNIST1D_MODELS:
            raise ValueError(f"model {name!r} is not one of {sorted(MNIST1D_MODELS)} for mnist1d")
        return MNIST1D_MODELS[name]()
    side = 8 if data == "digits" else 28
    image = {"logreg": lambda: ImageLogReg(side * side), "mlp": lambda: ImageMLP(side * side),
             "cnn": lambda: ImageCNN(side)}
    if name not in image:
        raise ValueError(f"model {name!r} is not one of {sorted(image)} for {data}")
    return image[name]()
