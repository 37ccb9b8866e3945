"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._kernels import Scratch, addcdiv_, addcmul_, as_real, bump, effective_grad
from .optimizer import Optimizer, _scalar_tensor, _to_scalar

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """torch.optim.Adagrad.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate (default 1e-2).
        lr_decay: the learning rate at step t is `lr / (1 + (t - 1) * lr_decay)`.
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: starting value of the squared-gradient sums.
        eps: added to the denominator (default 1e-10).
        maximize: ascend the objective (default False).
        foreach, differentiable, fused: accepted for compatibility.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        self._scratch = Scratch()
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        # Unlike the other optimizers, Adagrad creates its state eagerly.
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p, initial_accumulator_value) -> None:
        state = self.state[p]
        state["step"] = _scalar_tensor(0.0)
        value = initial_accumulator_value
        if p._data.dtype.kind == "c":
            value = complex(value, value)  # torch fills real and imaginary parts alike
        state["sum"] = Tensor._make(np.full(p._data.shape, value, p._data.dtype))

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self.__dict__.setdefault("_scratch", Scratch())
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)

    def share_memory(self) -> None:
        """No-op: ember's arrays live in ordinary process memory."""

    def step(self, closure=None):
        """Perform one optimization step; `closure` re-evaluates the model's loss."""
        loss = self._evaluate_closure(closure)
        scratch = self._scratch
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            lr_decay, eps = group["lr_decay"], group["eps"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    self._init_state(p, self.defaults["initial_accumulator_value"])
                x = as_real(p._data)
                tmp = scratch.get(x)
                step_t = state["step"]
                step_t._data += 1
                bump(step_t)
                step = step_t.item()
                g = as_real(effective_grad(p, group["maximize"], group["weight_decay"], scratch))
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]
                addcmul_(as_real(state_sum._data), g, g, 1, tmp)
                bump(state_sum)
                std = scratch.get(x, 1)
                np.sqrt(as_real(state_sum._data), out=std)
                np.add(std, eps, out=std)
                addcdiv_(x, g, std, -clr, tmp)
                bump(p)
        return loss
