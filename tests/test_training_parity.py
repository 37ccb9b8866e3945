"""A whole training run, number for number: same seed, same model, same data.

With ember's RNG bit-exact with torch's, `manual_seed` gives both libraries the same
initial weights (nn.Linear's default init), the same dropout masks and the same
DataLoader shuffling, so every loss of a short SGD run must agree to float32 rounding.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember


def _run(lib, optimizer: str, dropout: float):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((96, 20)).astype(np.float32)
    y = rng.integers(0, 4, 96).astype(np.int64)
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(20, 32), lib.nn.ReLU(), lib.nn.Dropout(dropout),
                              lib.nn.Linear(32, 4))
    data = lib.utils.data.TensorDataset(lib.from_numpy(x.copy()), lib.from_numpy(y.copy()))
    loader = lib.utils.data.DataLoader(data, batch_size=16, shuffle=True)
    if optimizer == "sgd":
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    else:
        opt = lib.optim.Adam(model.parameters(), lr=1e-2)
    losses, orders = [], []
    for _ in range(3):
        for xb, yb in loader:
            orders.append(yb.tolist())
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    weights = [p.detach().numpy().copy() for p in model.parameters()]
    return losses, orders, weights


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("dropout", [0.0, 0.25])
def test_training_run_gives_torchs_losses_step_by_step(optimizer, dropout):
    e_losses, e_orders, e_weights = _run(ember, optimizer, dropout)
    t_losses, t_orders, t_weights = _run(torch, optimizer, dropout)
    assert e_orders == t_orders  # DataLoader(shuffle=True) draws torch's permutation
    np.testing.assert_allclose(e_losses, t_losses, rtol=2e-5, atol=1e-6)
    for e, t in zip(e_weights, t_weights):
        np.testing.assert_allclose(e, t, rtol=1e-4, atol=1e-5)


def test_initial_weights_after_manual_seed_are_torchs_exactly():
    ember.manual_seed(0)
    torch.manual_seed(0)
    e, t = ember.nn.Linear(784, 256), torch.nn.Linear(784, 256)
    assert np.array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())
    assert np.array_equal(e.bias.detach().numpy(), t.bias.detach().numpy())
