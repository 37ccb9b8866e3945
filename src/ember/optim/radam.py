"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""

from __future__ import annotations

import numpy as np

from ._kernels import Scratch, addcmul_, as_real, bump, effective_grad, lerp_, zeros_state
from .adam import check_betas, check_lr_eps_wd
from .optimizer import Optimizer, _scalar_tensor, _to_scalar

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """torch.optim.RAdam.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate (default 1e-3).
        betas: decay rates of the first and second moments (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        decoupled_weight_decay: shrink the parameters directly, as AdamW does.
        maximize: ascend the objective (default False).
        foreach, capturable, differentiable: accepted for compatibility.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False) -> None:
        check_lr_eps_wd(lr, eps, None)
        check_betas(betas)
        check_lr_eps_wd(0.0, 0.0, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
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
            group.setdefault("decoupled_weight_decay", False)

    def step(self, closure=None):
        """Perform one optimization step; `closure` re-evaluates the model's loss."""
        loss = self._evaluate_closure(closure)
        scratch = self._scratch
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            beta1, beta2 = group["betas"]
            eps, weight_decay = group["eps"], group["weight_decay"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                x = as_real(p._data)
                tmp = scratch.get(x)
                step_t = state["step"]
                step_t._data += 1
                bump(step_t)
                step = step_t.item()
                if weight_decay != 0 and decoupled:
                    np.multiply(x, 1 - lr * weight_decay, out=x)
                    g = as_real(effective_grad(p, group["maximize"], 0, scratch))
                else:
                    g = as_real(effective_grad(p, group["maximize"], weight_decay, scratch))
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                lerp_(as_real(exp_avg._data), g, 1 - beta1, tmp)
                np.multiply(as_real(exp_avg_sq._data), beta2, out=as_real(exp_avg_sq._data))
                addcmul_(as_real(exp_avg_sq._data), g, g, 1 - beta2, tmp)
                bump(exp_avg, exp_avg_sq)

                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                update = scratch.get(x, 1)
                np.divide(as_real(exp_avg._data), bias_correction1, out=update)
                np.multiply(update, lr, out=update)
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
                if rho_t > 5.0:
                    # torch's `scalar / tensor` is `tensor.reciprocal() * scalar`.
                    adaptive_lr = scratch.get(x, 2)
                    np.sqrt(as_real(exp_avg_sq._data), out=adaptive_lr)
                    np.add(adaptive_lr, eps, out=adaptive_lr)
                    np.reciprocal(adaptive_lr, out=adaptive_lr)
                    np.multiply(adaptive_lr, bias_correction2**0.5, out=adaptive_lr)
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    np.multiply(update, adaptive_lr, out=update)
                    np.multiply(update, rect, out=update)
                np.subtract(x, update, out=x)
                bump(p)
        return loss
