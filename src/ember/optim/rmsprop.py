"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._kernels import (
    Scratch,
    add_,
    addcdiv_,
    addcmul_,
    as_real,
    bump,
    effective_grad,
    lerp_,
    zeros_state,
)
from .optimizer import Optimizer, _scalar_tensor, _to_scalar

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """torch.optim.RMSprop.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant of the squared-gradient average (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalise by an estimate of the gradient's variance (default False).
        maximize: ascend the objective (default False).
        capturable, foreach, differentiable: accepted for compatibility.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        self._scratch = Scratch()

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self.__dict__.setdefault("_scratch", Scratch())
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)

    def step(self, closure=None):
        """Perform one optimization step; `closure` re-evaluates the model's loss."""
        loss = self._evaluate_closure(closure)
        scratch = self._scratch
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            alpha, eps, momentum = group["alpha"], group["eps"], group["momentum"]
            centered = group["centered"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["square_avg"] = zeros_state(p)
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_state(p)
                    if centered:
                        state["grad_avg"] = zeros_state(p)
                x = as_real(p._data)
                tmp = scratch.get(x)
                state["step"]._data += 1
                bump(state["step"])
                g = as_real(effective_grad(p, group["maximize"], group["weight_decay"], scratch))
                square_avg = state["square_avg"]
                sq = as_real(square_avg._data)
                np.multiply(sq, alpha, out=sq)
                addcmul_(sq, g, g, 1 - alpha, tmp)
                bump(square_avg)
                avg = scratch.get(x, 1)
                if centered:
                    grad_avg = state["grad_avg"]
                    lerp_(as_real(grad_avg._data), g, 1 - alpha, tmp)
                    bump(grad_avg)
                    np.copyto(avg, sq)
                    addcmul_(avg, as_real(grad_avg._data), as_real(grad_avg._data), -1, tmp)
                    np.sqrt(avg, out=avg)
                else:
                    np.sqrt(sq, out=avg)
                np.add(avg, eps, out=avg)
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    b = as_real(buf._data)
                    np.multiply(b, momentum, out=b)
                    addcdiv_(b, g, avg, 1, tmp)
                    bump(buf)
                    add_(x, b, -lr, tmp)
                else:
                    addcdiv_(x, g, avg, -lr, tmp)
                bump(p)
        return loss
