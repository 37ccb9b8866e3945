"""ember.train.Learner: the loop matches a hand-written torch loop (same seed: same init,
shuffling, dropout and losses), checkpoints resume exactly, callbacks do their jobs."""

import math

import numpy as np
import pytest
import torch

import ember
from ember import train as T
from ember.utils.data import DataLoader, TensorDataset


def data(n=64, d=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5).astype(np.int64)
    return x, y % classes


def net(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))


def loaders(lib, x, y, batch=16):
    ds = lib.utils.data.TensorDataset(lib.tensor(x), lib.tensor(y))
    return (lib.utils.data.DataLoader(ds, batch_size=batch, shuffle=True),
            lib.utils.data.DataLoader(ds, batch_size=batch))


def make_learner(x, y, callbacks=(), scheduler=True, **kw):
    ember.manual_seed(0)
    model = net(ember)
    opt = ember.optim.Adam(model.parameters(), lr=1e-2)
    sched = ember.optim.lr_scheduler.StepLR(opt, 2, gamma=0.5) if scheduler else None
    train_dl, valid_dl = loaders(ember, x, y)
    return T.Learner(model, train_dl, valid_dl, opt=opt, scheduler=sched,
                     callbacks=list(callbacks), **kw)


def torch_losses(x, y, epochs, clip=None):
    """The same training written as a plain torch loop."""
    torch.manual_seed(0)
    model = net(torch)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, 2, gamma=0.5)
    train_dl, valid_dl = loaders(torch, x, y)
    losses, valid = [], []
    for _ in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            losses.append(loss.item())
        sched.step()
        model.eval()
        with torch.no_grad():
            total = sum(torch.nn.functional.cross_entropy(model(xb), yb).item() * len(yb)
                        for xb, yb in valid_dl)
        valid.append(total / len(x))
    return losses, valid


@pytest.mark.parametrize("clip", [None, 0.05])
def test_fit_matches_a_plain_torch_loop(clip):
    x, y = data()
    learn = make_learner(x, y, grad_clip=clip)
    learn.fit(3)
    want, want_valid = torch_losses(x, y, 3, clip)
    np.testing.assert_allclose(learn.losses, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose([r["valid_loss"] for r in learn.history], want_valid, rtol=1e-5)
    assert [r["epoch"] for r in learn.history] == [1, 2, 3]
    assert [r["lr"] for r in learn.history] == [1e-2, 1e-2, 5e-3]
    assert learn.iteration == 12 and learn.epoch == 3


def test_resume_from_checkpoint_gives_identical_losses(tmp_path):
    x, y = data()
    full = make_learner(x, y)
    full.fit(4)

    first = make_learner(x, y, callbacks=[T.Checkpoint(tmp_path / "ckpt.pt")])
    first.fit(2)
    ember.manual_seed(1234)                  # the global RNG moves on in between
    ember.rand(100)
    resumed = make_learner(x, y)             # fresh model/optimizer/scheduler
    resumed.load_checkpoint(tmp_path / "ckpt.pt")
    assert resumed.epoch == 2 and resumed.losses == first.losses
    resumed.fit(2)
    assert resumed.losses == full.losses     # bit for bit, dropout and shuffling included
    assert [r["valid_loss"] for r in resumed.history] == \
        [r["valid_loss"] for r in full.history]
    assert resumed.scheduler.last_epoch == full.scheduler.last_epoch == 4


def test_corrupt_or_foreign_checkpoint_gives_one_clear_error(tmp_path):
    x, y = data()
    learn = make_learner(x, y)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00garbage")
    with pytest.raises(T.CheckpointError, match=r"cannot resume from .*bad.pt: corrupt") as e:
        learn.load_checkpoint(bad)
    assert "\n" not in str(e.value)
    other = tmp_path / "other.pt"
    ember.save({"weights": ember.ones(2)}, other)
    with pytest.raises(T.CheckpointError, match="not an ember.train checkpoint"):
        learn.load_checkpoint(other)
    wrong = tmp_path / "wrong.pt"
    ember.save({"model": {"x": ember.ones(1)}, "optimizer": {}, "rng_state":
                ember.get_rng_state(), "epoch": 1}, wrong)
    with pytest.raises(T.CheckpointError, match="corrupt or incompatible"):
        learn.load_checkpoint(wrong)
    with pytest.raises(FileNotFoundError):
        learn.load_checkpoint(tmp_path / "missing.pt")


def test_validate_and_predict_against_torch():
    x, y = data()
    learn = make_learner(x, y, scheduler=False)
    torch.manual_seed(0)
    model = net(torch).eval()
    with torch.no_grad():
        out = model(torch.tensor(x))
    preds, targets = learn.predict(with_targets=True)
    np.testing.assert_allclose(preds.numpy(), out.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(targets.numpy(), y)
    res = learn.validate()
    want_acc = (out.argmax(-1).numpy() == y).mean()
    assert res["accuracy"] == pytest.approx(want_acc)
    assert res["valid_loss"] == pytest.approx(
        torch.nn.functional.cross_entropy(out, torch.tensor(y)).item(), rel=1e-5)
    assert learn.model.training  # restored
    with pytest.raises(ValueError, match="validate\\(\\) needs a DataLoader"):
        T.Learner(learn.model, learn.train_dl).validate()


def test_metrics_as_functions_and_accuracy():
    out = ember.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert T.accuracy(out, ember.tensor([1, 0, 0])) == pytest.approx(2 / 3)

    def error_rate(o, t):
        return 1 - T.accuracy(o, t)
    x, y = data()
    learn = make_learner(x, y, metrics=[error_rate])
    learn.fit(1)
    assert set(learn.history[0]) == {"epoch", "train_loss", "lr", "valid_loss", "error_rate",
                                     "seconds"}


def test_early_stopping_stops_after_patience():
    x, y = data()
    stop = T.EarlyStopping(monitor="accuracy", mode="max", patience=1, min_delta=10.0)
    learn = make_learner(x, y, callbacks=[stop])
    learn.fit(10)   # nothing improves by 10: epoch 1 sets the best, epoch 2 stops
    assert learn.epoch == 2 and stop.stopped_epoch == 2
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        T.EarlyStopping(mode="up")


def test_gradient_clipping_bounds_the_norm():
    x, y = data()
    clip = T.GradientClipping(1e-3)

    class Check(T.Callback):
        norms = []

        def after_step(self, learn):
            g = np.concatenate([p.grad.numpy().ravel() for p in learn.model.parameters()])
            self.norms.append(float(np.linalg.norm(g)))
    check = Check()
    learn = make_learner(x, y, callbacks=[clip, check])
    learn.fit(1)
    assert clip.last_norm > 1e-3
    assert max(check.norms) <= 1e-3 * (1 + 1e-4)


def test_cancel_fit_from_a_callback():
    class StopAt(T.Callback):
        def after_batch(self, learn):
            if learn.iteration == 3:
                raise T.CancelFit()
    x, y = data()
    learn = make_learner(x, y, callbacks=[StopAt()])
    learn.fit(5)
    assert learn.iteration == 3 and learn.epoch == 0


def test_scheduler_interval_checked():
    x, y = data()
    with pytest.raises(ValueError, match="scheduler_interval must be"):
        make_learner(x, y, scheduler_interval="step")


def test_batch_scheduler_steps_every_batch():
    x, y = data()
    learn = make_learner(x, y, scheduler_interval="batch")
    learn.fit(1)
    assert learn.scheduler.last_epoch == 4
    assert learn.lr == pytest.approx(1e-2 * 0.5 ** 2)


def test_lr_finder_restores_the_model_and_plots(tmp_path):
    x, y = data(n=256)
    learn = make_learner(x, y, scheduler=False)
    before = {k: v.clone() for k, v in learn.model.state_dict().items()}
    rng = ember.get_rng_state()
    finder = learn.lr_find(start_lr=1e-5, end_lr=10, num_it=30, plot=tmp_path / "lr.png")
    assert 5 <= len(finder.lrs) <= 30
    assert finder.lrs[0] == pytest.approx(1e-5)
    ratios = np.diff(np.log(finder.lrs))
    np.testing.assert_allclose(ratios, math.log(1e6) / 29, rtol=1e-9)
    assert 1e-5 <= finder.suggestion() <= 10
    for k, v in learn.model.state_dict().items():
        assert ember.equal(v, before[k])
    assert ember.equal(ember.get_rng_state(), rng)
    assert learn.epoch == 0 and learn.losses == [] and learn.lr == 1e-2
    assert (tmp_path / "lr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fit_continues_with_a_dataloader_of_plain_batches():
    ember.manual_seed(0)
    x, y = data()
    model = ember.nn.Linear(6, 3)
    dl = DataLoader(TensorDataset(ember.tensor(x), ember.tensor(y)), batch_size=32)
    learn = T.Learner(model, dl, lr=0.1, opt_func=ember.optim.SGD)
    learn.fit(2)
    assert len(learn.losses) == 4 and "valid_loss" not in learn.history[0]
    assert learn.losses[-1] < learn.losses[0]
