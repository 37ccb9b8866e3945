"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

import numpy as np

from ._kernels import Scratch, addcdiv_, as_real, bump, effective_grad, lerp_, zeros_state
from .adam import check_betas, check_lr_eps_wd
from .optimizer import Optimizer, _scalar_tensor, _to_scalar

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """torch.optim.Adamax.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate (default 2e-3).
        betas: decay rates of the first moment and of the infinity norm.
        eps: added to |grad| (default 1e-8).
        weight_decay: L2 penalty (default 0).
        maximize: ascend the objective (default False).
        foreach, differentiable, capturable: accepted for compatibility.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False,
                 capturable=False) -> None:
        check_lr_eps_wd(lr, eps, None)
        check_betas(betas)
        check_lr_eps_wd(0.0, 0.0, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
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
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = zeros_state(p)
                    state["exp_inf"] = zeros_state(p)
                x = as_real(p._data)
                tmp = scratch.get(x)
                step_t = state["step"]
                step_t._data += 1
                bump(step_t)
                g = as_real(effective_grad(p, group["maximize"], group["weight_decay"], scratch))
                exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
                lerp_(as_real(exp_avg._data), g, 1 - beta1, tmp)
                inf = as_real(exp_inf._data)
                np.multiply(inf, beta2, out=inf)
                np.abs(g, out=tmp)
                np.add(tmp, eps, out=tmp)
                np.maximum(inf, tmp, out=inf)
                bump(exp_avg, exp_inf)
                clr = lr / (1 - beta1 ** step_t.item())
                addcdiv_(x, as_real(exp_avg._data), inf, -clr, tmp)
                bump(p)
        return loss
