"""NAdam: Adam with Nesterov momentum (and an optional decoupled weight decay)."""

from __future__ import annotations

import numpy as np

from ._kernels import Scratch, addcdiv_, addcmul_, as_real, bump, effective_grad, lerp_, zeros_state
from .adam import check_betas, check_lr_eps_wd
from .optimizer import Optimizer, _scalar_tensor, _to_scalar

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """torch.optim.NAdam.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate (default 2e-3).
        betas: decay rates of the first and second moments (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum_decay: the schedule of the momentum (default 4e-3).
        decoupled_weight_decay: shrink the parameters directly, as AdamW does.
        maximize: ascend the objective (default False).
        foreach, capturable, differentiable: accepted for compatibility.
    """

    _scalar_state_keys = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False) -> None:
        check_lr_eps_wd(lr, eps, None)
        check_betas(betas)
        check_lr_eps_wd(0.0, 0.0, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        self._scratch = Scratch()

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self.__dict__.setdefault("_scratch", Scratch())
        for group in self.param_groups:
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)

    def step(self, closure=None):
        """Perform one optimization step; `closure` re-evaluates the model's loss."""
        loss = self._evaluate_closure(closure)
        scratch = self._scratch
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            beta1, beta2 = group["betas"]
            eps, weight_decay = group["eps"], group["weight_decay"]
            momentum_decay = group["momentum_decay"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["mu_product"] = _scalar_tensor(1.0)
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                x = as_real(p._data)
                tmp = scratch.get(x)
                step_t, mu_product = state["step"], state["mu_product"]
                step_t._data += 1
                bump(step_t)
                step = step_t.item()
                bias_correction2 = 1 - beta2**step
                if weight_decay != 0 and decoupled:
                    np.multiply(x, 1 - lr * weight_decay, out=x)
                    g = as_real(effective_grad(p, group["maximize"], 0, scratch))
                else:
                    g = as_real(effective_grad(p, group["maximize"], weight_decay, scratch))
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                # mu_product is a 0-d float32 tensor in torch: the product rounds each step.
                mu_product._data *= mu
                bump(mu_product)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                lerp_(as_real(exp_avg._data), g, 1 - beta1, tmp)
                np.multiply(as_real(exp_avg_sq._data), beta2, out=as_real(exp_avg_sq._data))
                addcmul_(as_real(exp_avg_sq._data), g, g, 1 - beta2, tmp)
                bump(exp_avg, exp_avg_sq)
                denom = scratch.get(x, 1)
                np.divide(as_real(exp_avg_sq._data), bias_correction2, out=denom)
                np.sqrt(denom, out=denom)
                mu_product_value = mu_product.item()
                mu_product_next = mu_product_value * mu_next
                np.add(denom, eps, out=denom)
                addcdiv_(x, g, denom, -lr * (1.0 - mu) / (1.0 - mu_product_value), tmp)
                addcdiv_(x, as_real(exp_avg._data), denom,
                         (-lr * mu_next) / (1.0 - mu_product_next), tmp)
                bump(p)
        return loss
