"""Train a two-layer MLP on a synthetic two-spirals data set with ember's autograd.

Everything is plain tensors: the forward pass, `loss.backward()`, and a hand-written
SGD-with-momentum step under `no_grad` — the "write our own optimizer" exercise of
the course. Run:  python examples/train_mlp.py
"""

from __future__ import annotations

import math
import time

import numpy as np

import ember as torch


def two_spirals(n_per_class: int, noise: float, seed: int):
    """Points on two interleaved spirals. Shapes: x (2n, 2) float32, y (2n,) int64."""
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0.05, 1, n_per_class)) * 3 * math.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * math.pi)
    x = np.concatenate([arm, -arm]) + rng.normal(0, noise, (2 * n_per_class, 2))
    y = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)]).astype(np.int64)
    return torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y)


def cross_entropy(logits, target):
    """Mean negative log-likelihood of the target class. logits (n, c), target (n,)."""
    log_probs = logits.log_softmax(dim=1)
    picked = log_probs[torch.arange(len(target)), target]
    return -picked.mean()


def main(epochs: int = 300, hidden: int = 64, lr: float = 0.2, momentum: float = 0.9):
    torch.manual_seed(0)
    x, y = two_spirals(500, noise=0.02, seed=0)
    x_test, y_test = two_spirals(250, noise=0.02, seed=1)

    def init(n_in, n_out):  # Kaiming: keeps activations' scale through ReLU layers
        w = (torch.randn(n_in, n_out) * math.sqrt(2 / n_in)).requires_grad_()
        return w, torch.zeros(n_out, requires_grad=True)

    w1, b1 = init(2, hidden)
    w2, b2 = init(hidden, hidden)
    w3, b3 = init(hidden, 2)
    params = [w1, b1, w2, b2, w3, b3]
    velocity = [torch.zeros_like(p) for p in params]

    def model(inp):
        h = (inp @ w1 + b1).relu()
        h = (h @ w2 + b2).relu()
        return h @ w3 + b3

    print(f"two spirals: {len(x)} training points, {len(x_test)} test points; "
          f"MLP 2-{hidden}-{hidden}-2")
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        loss = cross_entropy(model(x), y)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p, v in zip(params, velocity):
                v.mul_(momentum).add_(p.grad)
                p.sub_(v * lr)
        if epoch == 1 or epoch % 25 == 0:
            bar = "#" * int(30 * epoch / epochs)
            print(f"epoch {epoch:4d} [{bar:<30}] loss {loss.item():.4f}")
    with torch.no_grad():
        accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
    elapsed = time.perf_counter() - start
    print(f"test accuracy {accuracy:.1%} after {epochs} epochs ({elapsed:.1f} s)")
    return accuracy


if __name__ == "__main__":
    main()
