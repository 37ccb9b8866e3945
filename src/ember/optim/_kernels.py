"""In-place array updates written the way torch's CPU kernels compute them.

Every function works on NumPy arrays and writes into `out` memory that already exists,
so an optimizer step allocates nothing after its first call. Python scalars are cast to
the array's dtype by NumPy (float32 arrays get float32 scalars), which is what torch's
kernels do for float32 and float64 tensors. Torch evaluates `a + alpha * b` (and lerp)
as one fused multiply-add where NumPy rounds twice: the results can differ in the last
bit, never in the order of operations.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


class Scratch:
    """Reusable temporary arrays, one per (shape, dtype, slot)."""

    def __init__(self) -> None:
        self._buffers: dict = {}

    def get(self, like: np.ndarray, slot: int = 0) -> np.ndarray:
        key = (like.shape, like.dtype.char, slot)
        buf = self._buffers.get(key)
        if buf is None:
            buf = self._buffers[key] = np.empty(like.shape, like.dtype)
        return buf


def add_(x: np.ndarray, other: np.ndarray, alpha: float, tmp: np.ndarray) -> None:
    """x += alpha * other (torch's `x.add_(other, alpha=alpha)`)."""
    if alpha == 1:
        np.add(x, other, out=x)
    else:
        np.multiply(other, alpha, out=tmp)
        np.add(x, tmp, out=x)


def lerp_(x: np.ndarray, end: np.ndarray, weight: float, tmp: np.ndarray) -> None:
    """x = lerp(x, end, weight), with torch's two formulas (small and large weight)."""
    np.subtract(end, x, out=tmp)
    if abs(weight) < 0.5:
        np.multiply(tmp, weight, out=tmp)
        np.add(x, tmp, out=x)
    else:
        coeff = x.dtype.type(weight) - x.dtype.type(1)
        np.multiply(tmp, coeff, out=tmp)
        np.add(end, tmp, out=x)


def addcmul_(x, t1, t2, value: float, tmp: np.ndarray) -> None:
    """x += value * t1 * t2, evaluated as (value * t1) * t2 like torch."""
    np.multiply(t1, value, out=tmp)
    np.multiply(tmp, t2, out=tmp)
    np.add(x, tmp, out=x)


def addcdiv_(x, t1, t2, value: float, tmp: np.ndarray) -> None:
    """x += value * t1 / t2, evaluated as (value * t1) / t2 like torch."""
    np.multiply(t1, value, out=tmp)
    np.divide(tmp, t2, out=tmp)
    np.add(x, tmp, out=x)


def effective_grad(p: Tensor, maximize: bool, weight_decay: float,
                   scratch: Scratch) -> np.ndarray:
    """The gradient an update uses: negated when maximizing, plus `weight_decay * p`
    (torch's `grad.add(param, alpha=weight_decay)`), never modifying `p.grad`."""
    g = p._grad._data
    if maximize:
        g = np.negative(g, out=scratch.get(g, 9))
    if weight_decay != 0:
        out = scratch.get(g, 9)
        tmp = scratch.get(g, 8)
        np.multiply(p._data, weight_decay, out=tmp)
        np.add(g, tmp, out=out)
        g = out
    return g


def as_real(a: np.ndarray) -> np.ndarray:
    """A complex array seen as real pairs in a trailing dimension of 2 (torch's
    `view_as_real`, which the adaptive optimizers apply to complex parameters); real
    arrays are returned unchanged."""
    if a.dtype.kind != "c":
        return a
    r = a.real
    return np.lib.stride_tricks.as_strided(r, shape=a.shape + (2,),
                                           strides=r.strides + (r.itemsize,))


def zeros_state(p: Tensor) -> Tensor:
    """A zero tensor like `p` (torch's `zeros_like(p, memory_format=preserve_format)`)."""
    return Tensor._make(np.zeros(p._data.shape, p._data.dtype))


def bump(*tensors: Tensor) -> None:
    """Record in-place changes: torch's in-place ops bump the version counter."""
    for t in tensors:
        t._vc[0] += 1
