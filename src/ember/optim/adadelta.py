"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._kernels import Scratch, add_, addcmul_, as_real, bump, effective_grad, zeros_state
from .optimizer import Optimizer, _scalar_tensor, _to_scalar

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """torch.optim.Adadelta.

    Args:
        params: tensors or parameter groups to optimize.
        lr: scales the delta before it is applied (default 1.0).
        rho: decay rate of the running averages (default 0.9).
        eps: added inside the square roots (default 1e-6).
        weight_decay: L2 penalty (default 0).
        maximize: ascend the objective (default False).
        foreach, capturable, differentiable: accepted for compatibility.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        self._scratch = Scratch()

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self.__dict__.setdefault("_scratch", Scratch())
        for group in self.param_groups:
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
            rho, eps = group["rho"], group["eps"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["square_avg"] = zeros_state(p)
                    state["acc_delta"] = zeros_state(p)
                x = as_real(p._data)
                tmp = scratch.get(x)
                state["step"]._data += 1
                bump(state["step"])
                g = as_real(effective_grad(p, group["maximize"], group["weight_decay"], scratch))
                square_avg, acc_delta = state["square_avg"], state["acc_delta"]
                sq, acc = as_real(square_avg._data), as_real(acc_delta._data)
                np.multiply(sq, rho, out=sq)
                addcmul_(sq, g, g, 1 - rho, tmp)
                std = scratch.get(x, 1)
                np.add(sq, eps, out=std)
                np.sqrt(std, out=std)
                delta = scratch.get(x, 2)
                np.add(acc, eps, out=delta)
                np.sqrt(delta, out=delta)
                np.divide(delta, std, out=delta)
                np.multiply(delta, g, out=delta)
                np.multiply(acc, rho, out=acc)
                addcmul_(acc, delta, delta, 1 - rho, tmp)
                bump(square_avg, acc_delta)
                add_(x, delta, -lr, tmp)
                bump(p)
        return loss
