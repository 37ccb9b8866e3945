"""Adam (and, with decoupled weight decay, AdamW): adaptive moment estimation."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._kernels import Scratch, addcdiv_, addcmul_, as_real, effective_grad, lerp_, zeros_state
from .optimizer import Optimizer, _scalar_tensor, _to_scalar

__all__ = ["Adam"]


def check_betas(betas) -> None:
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def check_lr_eps_wd(lr, eps, weight_decay) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if weight_decay is not None:
        check_weight_decay(weight_decay)


def check_weight_decay(weight_decay) -> None:
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    """torch.optim.Adam.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate (default 1e-3).
        betas: decay rates of the first and second moment estimates (default (0.9, 0.999)).
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: L2 penalty (default 0), decoupled (AdamW) when
            `decoupled_weight_decay=True`.
        amsgrad: use the running maximum of the second moment (default False).
        maximize: ascend the objective (default False).
        foreach, capturable, differentiable, fused: accepted for compatibility.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False) -> None:
        check_lr_eps_wd(lr, eps, None)
        check_betas(betas)
        check_weight_decay(weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(map(_to_scalar, betas))
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable,
                    "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        self._scratch = Scratch()
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self.__dict__.setdefault("_scratch", Scratch())
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("fused", None)

    def step(self, closure=None):
        """Perform one optimization step; `closure` re-evaluates the model's loss."""
        loss = self._evaluate_closure(closure)
        scratch = self._scratch
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            decoupled = group["decoupled_weight_decay"]
            amsgrad = group["amsgrad"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = zeros_state(p)
                x = as_real(p._data)
                tmp = scratch.get(x)
                step_t = state["step"]
                step_t._data += 1
                step_t._vc[0] += 1
                if weight_decay != 0 and decoupled:
                    np.multiply(x, 1 - lr * weight_decay, out=x)
                    g = as_real(effective_grad(p, group["maximize"], 0, scratch))
                else:
                    g = as_real(effective_grad(p, group["maximize"], weight_decay, scratch))
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                m, v = as_real(exp_avg._data), as_real(exp_avg_sq._data)
                lerp_(m, g, 1 - beta1, tmp)
                np.multiply(v, beta2, out=v)
                addcmul_(v, g, g, 1 - beta2, tmp)
                exp_avg._vc[0] += 1
                exp_avg_sq._vc[0] += 1

                step = step_t.item()
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2**0.5
                if amsgrad:
                    max_sq = state["max_exp_avg_sq"]
                    v_max = as_real(max_sq._data)
                    np.maximum(v_max, v, out=v_max)
                    max_sq._vc[0] += 1
                    v = v_max
                denom = scratch.get(x, 1)
                np.sqrt(v, out=denom)
                np.divide(denom, bias_correction2_sqrt, out=denom)
                np.add(denom, eps, out=denom)
                addcdiv_(x, m, denom, -step_size, tmp)
                p._vc[0] += 1  # an in-place update, as torch's add_ bumps the version
        return loss

