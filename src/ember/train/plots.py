"""PNG plots with matplotlib's Agg backend (imported only here, only when plotting)."""

from __future__ import annotations

import pathlib

import numpy as np


def _pyplot():
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError("plots need matplotlib: pip install 'ember[data]'") from e
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> pathlib.Path:
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    _pyplot().close(fig)
    return path


def plot_losses(losses, history, path, title=None, batches_per_epoch=None) -> pathlib.Path:
    """Left: per-batch training loss and per-epoch train/valid loss against batches;
    right: the per-epoch metrics (e.g. accuracy)."""
    plt = _pyplot()
    metric_keys = [k for k in (history[0] if history else {})
                   if k not in ("epoch", "train_loss", "valid_loss", "lr", "seconds")]
    ncols = 2 if metric_keys else 1
    fig, axes = plt.subplots(1, ncols, figsize=(5.5 * ncols, 4), squeeze=False)
    ax = axes[0, 0]
    if len(losses):
        ax.plot(np.arange(1, len(losses) + 1), losses, lw=0.6, alpha=0.5, label="train (batch)")
    if history:
        per = batches_per_epoch or max(1, len(losses) // max(len(history), 1))
        x = [r["epoch"] * per for r in history]
        ax.plot(x, [r["train_loss"] for r in history], "o-", ms=3, label="train (epoch)")
        if "valid_loss" in history[0]:
            ax.plot(x, [r["valid_loss"] for r in history], "o-", ms=3, label="valid")
    ax.set_xlabel("batch")
    ax.set_ylabel("loss")
    ax.set_yscale("log" if len(losses) and min(losses) > 0 else "linear")
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    ax.grid(alpha=0.3)
    ax.set_title(title or "loss")
    if metric_keys:
        ax = axes[0, 1]
        epochs = [r["epoch"] for r in history]
        for k in metric_keys:
            ax.plot(epochs, [r[k] for r in history], "o-", ms=3, label=k)
        ax.set_xlabel("epoch")
        ax.set_title("validation metrics")
        ax.legend()
        ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_lr_find(lrs, losses, path, suggestion=None) -> pathlib.Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(lrs, losses)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("smoothed loss")
    if suggestion is not None:
        ax.axvline(suggestion, color="C3", ls="--", label=f"suggestion {suggestion:.2g}")
        ax.legend()
    ax.grid(alpha=0.3)
    ax.set_title("LR finder")
    return _save(fig, path)


def plot_activation_stats(stats, path) -> pathlib.Path:
    """Rows of per-layer mean and std over batches, and each layer's histogram over time
    (the "colorful dimension" plot: batches on x, value bins on y, log counts)."""
    plt = _pyplot()
    names = [n for n in stats.names if stats.means[n]]
    fig = plt.figure(figsize=(11, 3.2 + 1.6 * max(len(names), 1)))
    grid = fig.add_gridspec(1 + max(len(names), 1), 2)
    ax_mean, ax_std = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
    for n in names:
        ax_mean.plot(stats.means[n], label=n, lw=0.8)
        ax_std.plot(stats.stds[n], label=n, lw=0.8)
    ax_mean.set_title("activation mean")
    ax_std.set_title("activation std")
    for ax in (ax_mean, ax_std):
        ax.set_xlabel("batch")
        ax.grid(alpha=0.3)
    if names:
        ax_std.legend(fontsize=7, loc="upper right")
    lo, hi = stats.hist_range
    for i, n in enumerate(names):
        ax = fig.add_subplot(grid[1 + i, :])
        h = np.stack(stats.hists[n]).T.astype(np.float64)
        ax.imshow(np.log1p(h), origin="lower", aspect="auto", extent=(0, h.shape[1], lo, hi))
        ax.set_ylabel(n, fontsize=8)
    return _save(fig, path)
