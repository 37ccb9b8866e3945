"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._kernels import Scratch, effective_grad
from .optimizer import Optimizer, _to_scalar

__all__ = ["SGD"]


class SGD(Optimizer):
    """torch.optim.SGD: `p -= lr * g`, with `g` optionally smoothed by momentum.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate (default 1e-3).
        momentum: momentum factor (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: L2 penalty added to the gradient (default 0).
        nesterov: use Nesterov momentum (default False).
        maximize: ascend the objective instead of descending it (default False).
        foreach, differentiable, fused: accepted for compatibility; ember has one
            implementation.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
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
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    def step(self, closure=None):
        """Perform one optimization step; `closure` re-evaluates the model's loss.

        Per parameter: `buf = buf * momentum + g` (two ufuncs, in place) and `p -= lr * buf`
        (two ufuncs through a scratch array), torch's `buf.mul_(momentum).add_(g)` and
        `p.add_(buf, alpha=-lr)`. The scalars go in as 0-d arrays of the parameter's dtype
        (what NumPy would cast a Python float to, without the per-call conversion)."""
        loss = self._evaluate_closure(closure)
        scratch = self._scratch
        states = self.state
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            nesterov = group["nesterov"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            plain = not maximize and weight_decay == 0
            consts = _Constants(momentum, 1 - dampening, -lr)
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                x = p._data
                c = consts.of(x.dtype)
                g = grad._data if plain else effective_grad(p, maximize, weight_decay, scratch)
                if momentum != 0:
                    state = states[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = Tensor._make(np.array(g))
                    else:
                        b = buf._data
                        np.multiply(b, c.momentum, out=b)
                        if dampening == 0:
                            np.add(b, g, out=b)
                        else:
                            tmp = scratch.get(b)
                            np.multiply(g, c.keep, out=tmp)
                            np.add(b, tmp, out=b)
                        buf._vc[0] += 1
                    if nesterov:
                        out = scratch.get(x, 8)
                        tmp = scratch.get(x)
                        np.multiply(buf._data, c.momentum, out=tmp)
                        np.add(g, tmp, out=out)
                        g = out
                    else:
                        g = buf._data
                if lr == 1:
                    np.subtract(x, g, out=x)
                else:
                    tmp = scratch.get(x)
                    np.multiply(g, c.neg_lr, out=tmp)
                    np.add(x, tmp, out=x)
                p._vc[0] += 1  # an in-place update, as torch's add_ bumps the version
        return loss


class _Constants:
    """One group's scalars as 0-d arrays of a parameter dtype, made once per dtype a step
    (ufuncs take a 0-d array of the right dtype faster than a Python float, and NumPy
    casts the float to that dtype anyway)."""

    __slots__ = ("values", "dtype", "momentum", "keep", "neg_lr")

    def __init__(self, momentum, keep, neg_lr) -> None:
        self.values = (momentum, keep, neg_lr)
        self.dtype = None

    def of(self, dtype) -> _Constants:
        if dtype is not self.dtype:
            self.dtype = dtype
            self.momentum, self.keep, self.neg_lr = (np.array(v, dtype) for v in self.values)
        return self
