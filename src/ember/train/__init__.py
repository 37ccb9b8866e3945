"""ember.train: a small Learner with callbacks, metrics, checkpoints and plots.

matplotlib and tqdm are imported only when a plot is drawn or a progress bar shown.
"""

from .callbacks import (
    ActivationStats,
    Callback,
    Checkpoint,
    EarlyStopping,
    GradientClipping,
    LRFinder,
    MetricsLogger,
    PlotLosses,
    ProgressBar,
)
from .learner import CancelEpoch, CancelFit, CheckpointError, Learner
from .metrics import accuracy
from .plots import plot_activation_stats, plot_losses, plot_lr_find

__all__ = [
    "ActivationStats", "Callback", "CancelEpoch", "CancelFit", "Checkpoint", "CheckpointError",
    "EarlyStopping", "GradientClipping", "LRFinder", "Learner", "MetricsLogger", "PlotLosses",
    "ProgressBar", "accuracy", "plot_activation_stats", "plot_losses", "plot_lr_find",
]
