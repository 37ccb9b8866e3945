"""F.pad: constant, reflect, replicate and circular padding of the last dims.

`pad` is a flat tuple read from the LAST dimension backwards, as in torch:
(left, right) pads the last dim, (left, right, top, bottom) the last two, ...

Constant padding may be negative (it crops); its gradient is the same op with the
widths negated. Reflect and replicate pad with np.pad; their gradients fold the padded
border back onto the input with a few slice-adds per padded dim (`_fold`), and the
gradient of that fold is the padding again, so double backward works.
Circular padding is built as torch builds it: copies of slices into an empty tensor
(its grad_fn is CopySlices, as torch's).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .primitive import Primitive

__all__: list = []

FUNCTIONAL = (
    'pad',
)

_NP_MODE = {"reflect": "reflect", "replicate": "edge"}


def _widths(pad, ndim):
    """torch's flat pad tuple -> per-dim (left, right) for the last len(pad)//2 dims."""
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]
    return [(0, 0)] * (ndim - len(pairs)) + pairs[::-1]


class ConstantPadNd(Primitive):
    """Pad with `value` (positive widths) or crop (negative widths)."""

    grad_fn_name = "ConstantPadNdBackward0"

    def forward(self, x, widths, value):
        self.widths = widths
        grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        out = np.pad(x, grow, constant_values=value) if any(map(any, grow)) else x.copy()
        crop = tuple(slice(-min(lo, 0), out.shape[i] + min(hi, 0))
                     for i, (lo, hi) in enumerate(widths))
        return np.ascontiguousarray(out[crop])

    def backward(self, grad):
        return ConstantPadNd.apply(grad, widths=[(-lo, -hi) for lo, hi in self.widths],
                                   value=0)


class BorderPad(Primitive):
    """Reflection or replication padding (np.pad's 'reflect' / 'edge')."""

    def forward(self, x, widths, mode, name):
        self.widths, self.mode, self.grad_fn_name = widths, mode, name
        self.size = x.shape
        return np.pad(x, widths, mode=_NP_MODE[mode])

    def backward(self, grad):
        return BorderPadBackward.apply(grad, widths=self.widths, mode=self.mode,
                                       size=self.size, name=self.grad_fn_name)


class BorderPadBackward(Primitive):
    """The adjoint of BorderPad: every padded value's gradient goes to its source."""

    def forward(self, g, widths, mode, size, name):
        self.widths, self.mode, self.name = widths, mode, name
        self.grad_fn_name = name.replace("Backward0", "BackwardBackward0")
        return _fold(g, widths, mode)

    def backward(self, gg):
        return BorderPad.apply(gg, widths=self.widths, mode=self.mode, name=self.name)


def _fold(g, widths, mode):
    """Sum the padded borders of `g` back onto the interior, one dim at a time."""
    for axis, (lo, hi) in enumerate(widths):
        if not lo and not hi:
            continue
        n = g.shape[axis] - lo - hi
        g = np.moveaxis(g, axis, 0)
        inner = g[lo:lo + n].copy()
        if mode == "reflect":
            # out[lo - j] = x[j] for j in 1..lo; out[lo + n - 1 + j] = x[n - 1 - j]
            if lo:
                inner[1:lo + 1] += g[:lo][::-1]
            if hi:
                inner[n - 1 - hi:n - 1] += g[lo + n:][::-1]
        else:
            if lo:
                inner[0] += g[:lo].sum(0)
            if hi:
                inner[n - 1] += g[lo + n:].sum(0)
        g = np.moveaxis(inner, 0, axis)
    return np.ascontiguousarray(g)


def _dims(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _circular(input, widths):
    """torch's _pad_circular: copy the centre, then wrap each dim from its far side."""
    from ..creation import empty
    ndim = input.ndim
    out_shape = [m + lo + hi for m, (lo, hi) in zip(input.shape, widths)]
    for i, (m, (lo, hi)) in enumerate(zip(input.shape, widths)):
        if lo > m or hi > m:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if out_shape[i] < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension.")
    out = empty(*out_shape, dtype=input.dtype)
    centre_out, centre_in = [], []
    for m, (lo, hi) in zip(input.shape, widths):
        centre_out.append(slice(max(lo, 0), max(lo, 0) + m + min(lo, 0) + min(hi, 0)))
        centre_in.append(slice(max(-lo, 0), m - max(-hi, 0)))
    out[tuple(centre_out)] = input[tuple(centre_in)]
    for i in range(ndim):
        lo, hi = widths[i]
        if not lo and not hi:
            continue
        size = out_shape[i]
        full = [slice(None)] * ndim
        if lo > 0:
            dst, src = list(full), list(full)
            dst[i] = slice(0, lo)
            src[i] = slice(size - max(hi, 0) - lo, size - max(hi, 0))
            out[tuple(dst)] = out[tuple(src)]
        if hi > 0:
            dst, src = list(full), list(full)
            dst[i] = slice(size - hi, size)
            src[i] = slice(max(lo, 0), max(lo, 0) + hi)
            out[tuple(dst)] = out[tuple(src)]
    return out


def pad(input, pad, mode="constant", value=None) -> Tensor:
    """Pad the last len(pad)//2 dims of `input`; see the module docstring for the order."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    widths = _widths(pad, input.ndim)
    if mode == "constant":
        for i, ((lo, hi), m) in enumerate(zip(widths, input.shape)):
            if m + lo + hi < 0:
                raise RuntimeError(f"The input size {m}, plus negative padding {lo} and {hi} "
                                   "resulted in a negative output size, which is invalid. Check "
                                   f"dimension {i} of your input.")
        return ConstantPadNd.apply(input, widths=widths, value=0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    k = len(pad) // 2
    if not (k in (1, 2, 3) and input.ndim in (k + 1, k + 2)):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.")
    if mode == "circular":
        return _circular(input, widths)
    name = f"{'Reflection' if mode == 'reflect' else 'Replication'}Pad{k}DBackward0"
    for axis in range(input.ndim - k, input.ndim):
        lo, hi = widths[axis]
        m = input.shape[axis]
        if mode == "reflect" and (lo >= m or hi >= m):
            arg = {1: 2, 2: 4, 3: 4}[k]
            raise RuntimeError(f"Argument #{arg}: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({lo}, {hi}) "
                               f"at dimension {axis} of input {_dims(input.shape)}")
        if min(lo, hi) < 0:
            return ConstantPadNd.apply(BorderPad.apply(
                input, widths=[(max(a, 0), max(b, 0)) for a, b in widths], mode=mode,
                name=name), widths=[(min(a, 0), min(b, 0)) for a, b in widths], value=0)
        if m == 0:
            raise RuntimeError(f"input tensor must be non-empty in the padded dims, but got "
                               f"{_dims(input.shape)}")
    return BorderPad.apply(input, widths=widths, mode=mode, name=name)
