"""ember.train callbacks: activation statistics via forward hooks (checked against the
same layers run by torch), plots written as PNGs, the metrics file, the progress bar."""

import io
import json

import numpy as np
import pytest
import torch

import ember
from ember import train as T

pytest.importorskip("matplotlib")
PNG = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == PNG
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def setup(lib, n=48):
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, 5)).astype(np.float32)
    y = rng.integers(0, 3, n)
    return model, x, y


def learner(callbacks, n=48, batch=16):
    model, x, y = setup(ember, n)
    ds = ember.utils.data.TensorDataset(ember.tensor(x), ember.tensor(y))
    dl = ember.utils.data.DataLoader(ds, batch_size=batch)
    return T.Learner(model, dl, dl, lr=1e-2, opt_func=ember.optim.SGD, callbacks=callbacks)


def test_activation_stats_match_torchs_activations(tmp_path):
    stats = T.ActivationStats(bins=10, hist_range=(-2, 2))
    learn = learner([stats])
    learn.fit(1)
    assert stats.names == ["0", "1", "2"] and stats.handles == []   # hooks removed
    # the same three batches through torch's copy of the same SGD training
    model, x, y = setup(torch)
    opt = torch.optim.SGD(model.parameters(), lr=1e-2)
    want = {"0": [], "1": [], "2": []}
    for i in range(3):
        xb, yb = torch.tensor(x[16 * i:16 * i + 16]), torch.tensor(y[16 * i:16 * i + 16])
        h = xb
        for j, layer in enumerate(model):
            h = layer(h)
            want[str(j)].append(h.detach().double().numpy())
        loss = torch.nn.functional.cross_entropy(h, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    for name in want:
        assert len(stats.means[name]) == 3      # validation batches are not recorded
        np.testing.assert_allclose(stats.means[name], [a.mean() for a in want[name]],
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(stats.stds[name], [a.std() for a in want[name]], rtol=1e-5)
        for got, a in zip(stats.hists[name], want[name]):
            np.testing.assert_array_equal(got, np.histogram(a, 10, (-2, 2))[0])
    w, h = png_size(stats.plot(tmp_path / "act.png"))
    assert w > 500 and h > 400


def test_activation_stats_on_chosen_modules():
    model, _, _ = setup(ember)
    stats = T.ActivationStats(modules=[model[1]], every=2)
    learn = learner([stats])
    learn.model = model
    learn.opt = ember.optim.SGD(model.parameters(), lr=1e-2)
    learn.fit(1)
    assert stats.names == ["1"] and len(stats.means["1"]) == 2   # iterations 0 and 2
    assert min(stats.means["1"]) >= 0                            # after a ReLU


def test_loss_plot_and_metrics_file(tmp_path):
    learn = learner([T.MetricsLogger(tmp_path / "m.json", extra={"run": "x"}),
                     T.PlotLosses(tmp_path / "loss.png", title="t")])
    learn.fit(3)
    data = json.loads((tmp_path / "m.json").read_text())
    assert data["run"] == "x" and data["history"] == learn.history
    assert png_size(tmp_path / "loss.png")[0] >= 1000       # two panels
    T.plot_losses([], [], tmp_path / "empty.png")            # nothing to draw still works
    assert png_size(tmp_path / "empty.png")[0] > 0


def test_progress_bar_writes_loss_and_metrics():
    buf = io.StringIO()
    learn = learner([T.ProgressBar(file=buf, mininterval=0)])
    learn.fit(2)
    text = buf.getvalue()
    assert "epoch 1/2" in text and "epoch 2/2" in text and "3/3" in text
    assert "loss=" in text and "valid_loss" in text and "accuracy" in text


def test_progress_bar_without_tqdm(monkeypatch, capsys):
    import builtins
    real = builtins.__import__

    def no_tqdm(name, *a, **k):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real(name, *a, **k)
    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    learner([T.ProgressBar()]).fit(1)
    out = capsys.readouterr().out
    assert out.startswith("epoch 1  train_loss ") and "accuracy" in out


def test_checkpoint_every_and_at_end(tmp_path):
    learn = learner([T.Checkpoint(tmp_path / "c.pt", every=2)])
    learn.fit(3)
    assert ember.load(tmp_path / "c.pt")["epoch"] == 3
