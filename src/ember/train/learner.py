"""The Learner: a model, its data, loss and optimizer, and a training loop with callbacks.

    learn = Learner(model, train_dl, valid_dl, lr=1e-2,
                    callbacks=[ProgressBar(), Checkpoint("run/ckpt.pt")])
    learn.fit(10)
    learn.validate()   # {"valid_loss": ..., "accuracy": ...}

The loop calls each callback's methods at these events, in order:
`before_fit, before_epoch, before_batch, after_loss, after_backward, after_step,
after_batch, after_epoch, after_fit`. A callback may raise `CancelFit` (stop after the
current batch) or `CancelEpoch`. `learn.history` holds one dict per finished epoch
(train_loss, valid_loss, metrics, lr, seconds); `learn.losses` every batch's loss.
"""

from __future__ import annotations

import time

from .. import autograd, optim
from .. import random as _random
from ..nn import functional as F
from ..serialization import load, save
from .metrics import accuracy


class CancelFit(Exception):
    """Raised by a callback to end `fit` after the current batch."""


class CancelEpoch(Exception):
    """Raised by a callback to end the current epoch."""


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read or does not fit the learner."""


EVENTS = ("before_fit", "before_epoch", "before_batch", "after_loss", "after_backward",
          "after_step", "after_batch", "after_epoch", "after_fit")


class Learner:
    """Train `model` on `train_dl`, evaluating on `valid_dl` after every epoch.

    Args:
        model: an `ember.nn.Module`.
        train_dl, valid_dl: DataLoaders of `(input, target)` batches (valid_dl optional).
        loss_func: `loss_func(output, target)` -> scalar tensor (default cross-entropy).
        opt: an optimizer; by default `opt_func(model.parameters(), lr=lr)` (Adam).
        scheduler: an optional LR scheduler, stepped after every batch
            (`scheduler_interval="batch"`) or every epoch (`"epoch"`, the default).
        metrics: `{name: fn(output, target) -> float}` (or a list of functions, named by
            `__name__`), averaged over the validation set, weighted by batch size.
        callbacks: objects with any of the event methods listed in the module docstring.
        grad_clip: clip the gradients' total 2-norm to this value before each step.
    """

    def __init__(self, model, train_dl, valid_dl=None, loss_func=None, opt=None, lr=1e-3,
                 opt_func=None, scheduler=None, scheduler_interval: str = "epoch",
                 metrics=None, callbacks=(), grad_clip: float | None = None) -> None:
        self.model, self.train_dl, self.valid_dl = model, train_dl, valid_dl
        self.loss_func = loss_func if loss_func is not None else F.cross_entropy
        opt_func = opt_func if opt_func is not None else optim.Adam
        self.opt = opt if opt is not None else opt_func(model.parameters(), lr=lr)
        self.scheduler = scheduler
        if scheduler_interval not in ("epoch", "batch"):
            raise ValueError(f"scheduler_interval must be 'epoch' or 'batch', "
                             f"got {scheduler_interval!r}")
        self.scheduler_interval = scheduler_interval
        if metrics is None:
            metrics = {"accuracy": accuracy}
        elif not isinstance(metrics, dict):
            metrics = {fn.__name__: fn for fn in metrics}
        self.metrics = dict(metrics)
        self.callbacks = list(callbacks)
        if grad_clip is not None:
            from .callbacks import GradientClipping
            self.callbacks.append(GradientClipping(grad_clip))
        self.epoch = 0          # epochs finished
        self.iteration = 0      # batches trained on
        self.history: list[dict] = []
        self.losses: list[float] = []
        self.training = False

    # ---- callbacks ---------------------------------------------------------------------
    def add_callback(self, cb):
        self.callbacks.append(cb)
        return cb

    def remove_callback(self, cb) -> None:
        self.callbacks.remove(cb)

    def _event(self, name: str) -> None:
        for cb in list(self.callbacks):
            fn = getattr(cb, name, None)
            if fn is not None:
                fn(self)

    # ---- training ----------------------------------------------------------------------
    @property
    def lr(self) -> float:
        return float(self.opt.param_groups[0]["lr"])

    def one_batch(self, xb, yb) -> None:
        self.xb, self.yb = xb, yb
        self._event("before_batch")
        self.pred = self.model(self.xb)
        self.loss = self.loss_func(self.pred, self.yb)
        self._event("after_loss")
        self.opt.zero_grad()
        self.loss.backward()
        self._event("after_backward")
        self.opt.step()
        self._event("after_step")
        if self.scheduler is not None and self.scheduler_interval == "batch":
            self.scheduler.step()
        self.loss_value = float(self.loss.item())
        self.losses.append(self.loss_value)
        self.iteration += 1
        self._event("after_batch")

    def one_epoch(self) -> None:
        self.model.train()
        self.training = True
        start, total, count = time.perf_counter(), 0.0, 0
        self.epoch_losses = []
        lr = self.lr
        self._event("before_epoch")
        try:
            for xb, yb in self.train_dl:
                self.one_batch(xb, yb)
                n = len(yb)
                total += self.loss_value * n
                count += n
                self.epoch_losses.append(self.loss_value)
        except CancelEpoch:
            pass
        finally:
            self.training = False
        if self.scheduler is not None and self.scheduler_interval == "epoch":
            self.scheduler.step()
        record = {"epoch": self.epoch + 1, "train_loss": total / max(count, 1), "lr": lr}
        if self.valid_dl is not None:
            record.update(self.validate())
        record["seconds"] = time.perf_counter() - start
        self.epoch += 1
        self.history.append(record)
        self.record = record
        self._event("after_epoch")

    def fit(self, epochs: int) -> list[dict]:
        """Train for `epochs` more epochs (a resumed learner continues where it stopped)."""
        self.epochs_target = self.epoch + epochs
        self._event("before_fit")
        try:
            while self.epoch < self.epochs_target:
                self.one_epoch()
        except CancelFit:
            pass
        finally:
            self._event("after_fit")
        return self.history

    # ---- evaluation --------------------------------------------------------------------
    def validate(self, dl=None) -> dict:
        """Mean loss and metrics over `dl` (default: the validation loader), in eval mode."""
        dl = dl if dl is not None else self.valid_dl
        if dl is None:
            raise ValueError("validate() needs a DataLoader: pass dl= or give the Learner "
                             "a valid_dl")
        was_training = self.model.training
        self.model.eval()
        sums = {"valid_loss": 0.0, **{k: 0.0 for k in self.metrics}}
        count = 0
        with autograd.no_grad():
            for xb, yb in dl:
                out = self.model(xb)
                n = len(yb)
                sums["valid_loss"] += float(self.loss_func(out, yb).item()) * n
                for name, fn in self.metrics.items():
                    sums[name] += float(fn(out, yb)) * n
                count += n
        self.model.train(was_training)
        return {k: v / max(count, 1) for k, v in sums.items()}

    def predict(self, dl=None, with_targets: bool = False):
        """The model's outputs over `dl` (default: the validation loader), concatenated;
        with `with_targets`, also the targets."""
        from ..ops.shape import cat

        dl = dl if dl is not None else self.valid_dl
        was_training = self.model.training
        self.model.eval()
        outs, targets = [], []
        with autograd.no_grad():
            for batch in dl:
                xb = batch[0] if isinstance(batch, (tuple, list)) else batch
                outs.append(self.model(xb))
                if with_targets:
                    targets.append(batch[1])
        self.model.train(was_training)
        preds = cat(outs)
        return (preds, cat(targets)) if with_targets else preds

    # ---- checkpoints -------------------------------------------------------------------
    def state(self) -> dict:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.opt.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "rng_state": _random.get_rng_state(),
            "epoch": self.epoch,
            "iteration": self.iteration,
            "history": self.history,
            "losses": self.losses,
        }

    def save_checkpoint(self, path) -> None:
        """Everything needed for an exact resume: model, optimizer, scheduler, RNG state,
        epoch and history. Written to a temporary file and renamed, so never half-written."""
        import os
        import pathlib

        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        save(self.state(), tmp)
        os.replace(tmp, path)

    def load_checkpoint(self, path) -> None:
        """Restore a `save_checkpoint` file; `fit` then continues exactly where it stopped
        (the same batches, dropout masks and losses as an uninterrupted run)."""
        try:
            state = load(path, weights_only=True)
            keys = {"model", "optimizer", "rng_state", "epoch"}
            if not isinstance(state, dict) or not keys <= state.keys():
                raise CheckpointError("not an ember.train checkpoint (missing model/optimizer/"
                                      "rng_state/epoch)")
            self.model.load_state_dict(state["model"])
            self.opt.load_state_dict(state["optimizer"])
            if self.scheduler is not None and state.get("scheduler") is not None:
                self.scheduler.load_state_dict(state["scheduler"])
            _random.set_rng_state(state["rng_state"])
        except FileNotFoundError:
            raise
        except CheckpointError as e:
            raise CheckpointError(f"cannot resume from {path}: {e}") from None
        except Exception as e:  # noqa: BLE001 - any unreadable file gets one clear message
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise CheckpointError(f"cannot resume from {path}: corrupt or incompatible "
                                  f"checkpoint ({msg})") from None
        self.epoch = int(state["epoch"])
        self.iteration = int(state.get("iteration", 0))
        self.history = list(state.get("history", []))
        self.losses = list(state.get("losses", []))

    # ---- conveniences ------------------------------------------------------------------
    def lr_find(self, start_lr: float = 1e-7, end_lr: float = 10.0, num_it: int = 100,
                plot: str | None = None):
        """Run an LR range test (model and optimizer restored afterwards); returns the
        `LRFinder` callback with `lrs`, `losses` and `suggestion()`."""
        from .callbacks import LRFinder

        finder = LRFinder(start_lr, end_lr, num_it)
        self.add_callback(finder)
        saved_epoch, saved_it = self.epoch, self.iteration
        saved_hist, saved_losses = list(self.history), list(self.losses)
        try:
            self.fit(max(1, -(-num_it // max(len(self.train_dl), 1))))
        finally:
            self.remove_callback(finder)
            self.epoch, self.iteration = saved_epoch, saved_it
            self.history, self.losses = saved_hist, saved_losses
        if plot is not None:
            finder.plot(plot)
        return finder
