"""Metrics: functions of a batch's model output and targets, returning a Python float."""

from __future__ import annotations


def accuracy(output, target) -> float:
    """The fraction of rows whose arg-max is the target class."""
    if len(target) == 0:
        return 0.0
    return float((output.argmax(dim=-1) == target).float().mean().item())
