"""`ember train --optimizer adamw --weight-decay WD --schedule cosine` (the recipe that
reaches the MNIST-1D paper's accuracies, docs/mnist1d_results.md) trains exactly as the same
recipe written as a plain torch loop: AdamW, CosineAnnealingLR stepped every batch."""

import json
import os
import tempfile

import numpy as np
import pytest
import torch

import ember
from ember import cli

pytest.importorskip("mnist1d")
pytest.importorskip("matplotlib")

CACHE = os.path.join(tempfile.gettempdir(), f"ember-test-cache-{os.getuid()}")


@pytest.fixture(autouse=True)
def _cache(monkeypatch):
    monkeypatch.setenv("EMBER_HOME", CACHE)


def torch_run(x, y, x_test, epochs, seed, lr, wd, batch):
    """The recipe as a plain torch loop, with a pass over a test DataLoader after every
    epoch as the Learner does (starting a DataLoader's iterator draws a random base seed)."""
    torch.manual_seed(seed)
    model = torch.nn.Linear(40, 10)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
    steps_per_epoch = -(-len(x) // batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch)
    ds = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    sampler = torch.utils.data.BatchSampler(torch.utils.data.RandomSampler(ds), batch, False)
    dl = torch.utils.data.DataLoader(ds, sampler=sampler, batch_size=None)
    for _ in range(epochs):
        for xb, yb in dl:
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        with torch.no_grad():
            for (xb,) in torch.utils.data.DataLoader(
                    torch.utils.data.TensorDataset(torch.tensor(x_test)), batch_size=1000):
                model(xb)
    return model, sched


def test_adamw_cosine_recipe_matches_torch(tmp_path, capsys):
    argv = ["train", "--model", "logreg", "--epochs", "3", "--limit", "250", "--seed", "5",
            "--optimizer", "adamw", "--lr", "0.02", "--weight-decay", "0.1",
            "--schedule", "cosine", "--batch-size", "100", "--out", str(tmp_path),
            "--no-progress"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "AdamW lr 0.02 weight decay 0.1 cosine, batch 100, seed 5" in out
    train, test = cli.load_data("mnist1d")
    x, y = train.data.numpy()[:250], train.targets.numpy()[:250]
    want, sched = torch_run(x, y, test.data.numpy(), 3, 5, 0.02, 0.1, 100)
    state = ember.load(tmp_path / "checkpoint.pt")
    for key, value in want.state_dict().items():
        np.testing.assert_allclose(state["model"][f"linear.{key}"].numpy(), value.numpy(),
                                   rtol=1e-5, atol=1e-6)
    assert state["scheduler"]["last_epoch"] == sched.last_epoch == 9
    config = json.loads((tmp_path / "metrics.json").read_text())["config"]
    assert (config["optimizer"], config["weight_decay"], config["schedule"]) == \
        ("adamw", 0.1, "cosine")


def test_default_recipe_is_the_papers(tmp_path):
    assert cli.main(["train", "--model", "logreg", "--epochs", "1", "--limit", "100",
                     "--out", str(tmp_path), "--no-progress"]) == 0
    config = json.loads((tmp_path / "metrics.json").read_text())["config"]
    assert (config["optimizer"], config["lr"], config["weight_decay"], config["schedule"]) == \
        ("adam", 0.01, 0.0, "constant")
    assert ember.load(tmp_path / "checkpoint.pt")["scheduler"] is None


def test_bad_schedule_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["train", "--schedule", "step"])
    assert e.value.code == 2
    assert "argument --schedule: invalid choice: 'step'" in capsys.readouterr().err
