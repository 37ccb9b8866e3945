"""Callbacks for `Learner`: progress bar, metrics file, checkpoints, early stopping,
LR finder, activation statistics, gradient clipping and plots."""

from __future__ import annotations

import json
import math
import pathlib
import sys

import numpy as np

from .learner import CancelFit


class Callback:
    """Base class: override any of the Learner's event methods (see `learner.EVENTS`)."""


class ProgressBar(Callback):
    """A tqdm bar per epoch with the running loss, then one line of the epoch's metrics.

    Falls back to plain lines when tqdm is not installed.
    """

    def __init__(self, file=None, leave: bool = True, print_metrics: bool = True,
                 **tqdm_kwargs) -> None:
        self.file, self.leave, self.print_metrics = file, leave, print_metrics
        self.tqdm_kwargs = tqdm_kwargs   # e.g. mininterval=0 to redraw on every batch
        self.bar = None

    def before_epoch(self, learn) -> None:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self.bar = None
            return
        total = len(learn.train_dl) if hasattr(learn.train_dl, "__len__") else None
        self.bar = tqdm(total=total, desc=f"epoch {learn.epoch + 1}/{learn.epochs_target}",
                        file=self.file or sys.stderr, leave=self.leave, dynamic_ncols=True,
                        unit="batch", **self.tqdm_kwargs)

    def after_batch(self, learn) -> None:
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{learn.loss_value:.4f}", refresh=False)
            self.bar.update(1)

    def after_epoch(self, learn) -> None:
        line = format_record(learn.record)
        if self.bar is not None:
            self.bar.set_postfix_str(line.split("  ", 1)[1], refresh=True)
            self.bar.close()
            self.bar = None
        elif self.print_metrics:
            print(line, file=self.file or sys.stdout, flush=True)

    def after_fit(self, learn) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def format_record(record: dict) -> str:
    parts = [f"epoch {record['epoch']}"]
    for k, v in record.items():
        if k == "epoch":
            continue
        if k == "seconds":
            parts.append(f"{v:.1f}s")
        elif k == "lr":
            parts.append(f"lr {v:.3g}")
        else:
            parts.append(f"{k} {v:.4f}")
    return "  ".join(parts)


class MetricsLogger(Callback):
    """Write `learn.history` (one dict per epoch) as JSON to `path` after every epoch."""

    def __init__(self, path, extra: dict | None = None) -> None:
        self.path, self.extra = pathlib.Path(path), dict(extra or {})

    def after_epoch(self, learn) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {**self.extra, "history": learn.history}
        self.path.write_text(json.dumps(data, indent=2) + "\n")


class Checkpoint(Callback):
    """Save `learn.save_checkpoint(path)` every `every` epochs and at the end of `fit`."""

    def __init__(self, path, every: int = 1) -> None:
        self.path, self.every = pathlib.Path(path), every

    def after_epoch(self, learn) -> None:
        if learn.epoch % self.every == 0:
            learn.save_checkpoint(self.path)

    def after_fit(self, learn) -> None:
        if learn.history:
            learn.save_checkpoint(self.path)


class EarlyStopping(Callback):
    """Stop when `monitor` (a key of the epoch record) has not improved by `min_delta` for
    `patience` epochs. `mode` is "min" (losses) or "max" (accuracies)."""

    def __init__(self, monitor: str = "valid_loss", patience: int = 3, min_delta: float = 0.0,
                 mode: str = "min") -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.monitor, self.patience, self.min_delta, self.mode = monitor, patience, min_delta, mode
        self.best, self.wait, self.stopped_epoch = None, 0, None

    def after_epoch(self, learn) -> None:
        if self.monitor not in learn.record:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, but the epoch record has "
                           f"only {sorted(learn.record)}")
        value = learn.record[self.monitor]
        sign = 1.0 if self.mode == "min" else -1.0
        if self.best is None or sign * (self.best - value) > self.min_delta:
            self.best, self.wait = value, 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = learn.epoch
                raise CancelFit()


class GradientClipping(Callback):
    """Clip the gradients' total norm to `max_norm` after backward, before the step."""

    def __init__(self, max_norm: float, norm_type: float = 2.0) -> None:
        self.max_norm, self.norm_type = max_norm, norm_type
        self.last_norm = None

    def after_backward(self, learn) -> None:
        from ..nn.utils import clip_grad_norm_

        self.last_norm = float(clip_grad_norm_(learn.model.parameters(), self.max_norm,
                                               self.norm_type))


class LRFinder(Callback):
    """The LR range test: the learning rate grows exponentially from `start_lr` to `end_lr`
    over `num_it` batches while the loss is recorded; stops when the smoothed loss exceeds
    4x its best. Model and optimizer state are restored at the end of `fit`."""

    def __init__(self, start_lr: float = 1e-7, end_lr: float = 10.0, num_it: int = 100,
                 stop_div: bool = True, beta: float = 0.98) -> None:
        self.start_lr, self.end_lr, self.num_it = start_lr, end_lr, num_it
        self.stop_div, self.beta = stop_div, beta
        self.lrs: list[float] = []
        self.losses: list[float] = []

    def before_fit(self, learn) -> None:
        import copy

        from .. import random as _random

        self._model = copy.deepcopy(learn.model.state_dict())
        self._opt = copy.deepcopy(learn.opt.state_dict())
        self._rng = _random.get_rng_state()
        self.i, self.avg, self.best = 0, 0.0, math.inf
        self.lrs, self.losses = [], []

    def _set_lr(self, learn) -> float:
        lr = self.start_lr * (self.end_lr / self.start_lr) ** (self.i / max(self.num_it - 1, 1))
        for g in learn.opt.param_groups:
            g["lr"] = lr
        return lr

    def before_batch(self, learn) -> None:
        self.lrs.append(self._set_lr(learn))

    def after_batch(self, learn) -> None:
        self.i += 1
        loss = learn.loss_value
        self.avg = self.beta * self.avg + (1 - self.beta) * loss
        smooth = self.avg / (1 - self.beta ** self.i)
        self.losses.append(smooth)
        self.best = min(self.best, smooth)
        if self.i >= self.num_it or (self.stop_div and (smooth > 4 * self.best
                                                        or not math.isfinite(smooth))):
            raise CancelFit()

    def after_fit(self, learn) -> None:
        from .. import random as _random

        learn.model.load_state_dict(self._model)
        learn.opt.load_state_dict(self._opt)
        _random.set_rng_state(self._rng)

    def suggestion(self) -> float:
        """The LR at the steepest descent of the smoothed loss curve."""
        if len(self.losses) < 3:
            return self.lrs[0] if self.lrs else self.start_lr
        loss = np.asarray(self.losses)
        slopes = np.gradient(loss, np.log10(np.asarray(self.lrs)))
        return float(self.lrs[int(np.argmin(slopes))])

    def plot(self, path) -> pathlib.Path:
        from .plots import plot_lr_find

        return plot_lr_find(self.lrs, self.losses, path, suggestion=self.suggestion())


class ActivationStats(Callback):
    """Per-layer mean, std and histogram of each module's output on every training batch,
    recorded with forward hooks (the "look at your activations" lesson on initialisation).

    Args:
        modules: the modules to watch; default every leaf module of the model whose
            output is a tensor (activations included).
        bins, hist_range: histogram of the outputs' values per batch.
        every: record every `every`-th batch.
    """

    def __init__(self, modules=None, bins: int = 40, hist_range=(-5.0, 5.0),
                 every: int = 1) -> None:
        self.modules, self.bins, self.hist_range, self.every = modules, bins, hist_range, every
        self.handles = []
        self.names: list[str] = []
        self.means: dict[str, list[float]] = {}
        self.stds: dict[str, list[float]] = {}
        self.hists: dict[str, list[np.ndarray]] = {}

    def before_fit(self, learn) -> None:
        if self.modules is None:
            named = [(n, m) for n, m in learn.model.named_modules()
                     if n and not list(m.children())]
        else:
            lookup = {id(m): n for n, m in learn.model.named_modules()}
            named = [(lookup.get(id(m), type(m).__name__), m) for m in self.modules]
        self.learn = learn
        for name, module in named:
            name = name or type(module).__name__
            if name not in self.means:
                self.names.append(name)
                self.means[name], self.stds[name], self.hists[name] = [], [], []
            self.handles.append(module.register_forward_hook(self._hook(name)))

    def _hook(self, name):
        def hook(module, inputs, output):
            learn = self.learn
            if not learn.training or learn.iteration % self.every:
                return
            data = getattr(output, "_data", None)
            if data is None:
                return
            a = np.asarray(data, dtype=np.float64)
            self.means[name].append(float(a.mean()) if a.size else 0.0)
            self.stds[name].append(float(a.std()) if a.size else 0.0)
            self.hists[name].append(np.histogram(a, self.bins, self.hist_range)[0])
        return hook

    def after_fit(self, learn) -> None:
        self.remove()

    def remove(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []

    def plot(self, path) -> pathlib.Path:
        from .plots import plot_activation_stats

        return plot_activation_stats(self, path)


class PlotLosses(Callback):
    """Save the loss curves (per-batch training loss, per-epoch train/valid loss and
    metrics) as a PNG at `path` at the end of `fit`."""

    def __init__(self, path, title: str | None = None) -> None:
        self.path, self.title = pathlib.Path(path), title

    def after_fit(self, learn) -> None:
        from .plots import plot_losses

        plot_losses(learn.losses, learn.history, self.path, title=self.title,
                    batches_per_epoch=len(learn.train_dl))
