"""Adam (and, with decoupled weight decay, AdamW): adaptive moment estimation."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._kernels import Scratch, as_real, effective_grad, lerp_, zeros_state
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
        """Perform one optimization step; `closure` re-evaluates the model's loss.

        Per parameter, torch's single-tensor Adam operation by operation, each a ufunc
        writing into existing memory: `m.lerp_(g, 1 - beta1)`,
        `v.mul_(beta2).addcmul_(g, g, value=1 - beta2)`,
        `denom = v.sqrt() / sqrt(bias_correction2) + eps`,
        `p.addcdiv_(m, denom, value=-lr / bias_correction1)`. The group's constant scalars
        go in as 0-d arrays of the parameter dtype (cast once, not on every call)."""
        loss = self._evaluate_closure(closure)
        scratch = self._scratch
        states = self.state
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            decoupled = group["decoupled_weight_decay"]
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            l2 = 0 if decoupled else weight_decay
            plain = not maximize and l2 == 0
            small_lerp = abs(1 - beta1) < 0.5
            consts = _Constants(1 - beta1, beta2, 1 - beta2, eps, 1 - lr * weight_decay)
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                state = states[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = zeros_state(p)
                step_t = state["step"]
                counter = step_t._data
                counter += 1  # torch's `step_t += 1`, in the counter's own dtype
                step_t._vc[0] += 1
                step = float(counter)
                g = grad._data if plain else effective_grad(p, maximize, l2, scratch)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                x, m, v = p._data, exp_avg._data, exp_avg_sq._data
                if x.dtype.kind == "c":  # complex parameters update as real pairs
                    x, g, m, v = as_real(x), as_real(g), as_real(m), as_real(v)
                c = consts.of(x.dtype)
                if weight_decay != 0 and decoupled:
                    np.multiply(x, c.decay, out=x)
                tmp = scratch.get(x)
                if small_lerp:  # m += (1 - beta1) * (g - m)
                    np.subtract(g, m, out=tmp)
                    np.multiply(tmp, c.w1, out=tmp)
                    np.add(m, tmp, out=m)
                else:
                    lerp_(m, g, 1 - beta1, tmp)
                np.multiply(v, c.beta2, out=v)
                np.multiply(g, c.w2, out=tmp)  # v += ((1 - beta2) * g) * g
                np.multiply(tmp, g, out=tmp)
                np.add(v, tmp, out=v)
                exp_avg._vc[0] += 1
                exp_avg_sq._vc[0] += 1

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
                np.add(denom, c.eps, out=denom)
                np.multiply(m, -step_size, out=tmp)  # x += (-step_size * m) / denom
                np.divide(tmp, denom, out=tmp)
                np.add(x, tmp, out=x)
                p._vc[0] += 1  # an in-place update, as torch's add_ bumps the version
        return loss


class _Constants:
    """One group's fixed scalars as 0-d arrays of a (real) parameter dtype, made once per
    dtype a step (NumPy casts a Python float to the array's dtype anyway; a 0-d array of that
    dtype skips the per-call conversion)."""

    __slots__ = ("values", "dtype", "w1", "beta2", "w2", "eps", "decay")

    def __init__(self, *values) -> None:
        self.values = values
        self.dtype = None

    def of(self, dtype) -> _Constants:
        if dtype is not self.dtype:
            self.dtype = dtype
            self.w1, self.beta2, self.w2, self.eps, self.decay = (np.array(v, dtype)
                                                                  for v in self.values)
        return self
