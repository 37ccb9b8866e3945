"""Casting between dtypes and devices: `to`, `float()`, `cuda()`, ... (ToCopyBackward0)."""

from __future__ import annotations

import numpy as np

from ..dtypes import from_numpy_dtype
from .primitive import Primitive

__all__ = [
    'to_copy',
]

# the ones torch also offers as Tensor methods (x.name(...))
TENSOR_METHODS = (
)



class ToCopy(Primitive):
    """A copy in another dtype and/or on another device."""

    grad_fn_name = "ToCopyBackward0"

    def forward(self, x, dtype, device):
        self.src_dtype = from_numpy_dtype(x.dtype)
        self.src_device = "cpu" if isinstance(x, np.ndarray) else "cuda"
        if device is not None and device.type != self.src_device:
            x = _move(x, device.type)
        if dtype.is_complex or x.dtype.kind != "c":
            return x.astype(dtype.np, copy=True)
        return x.real.astype(dtype.np, copy=True)  # complex -> real drops the imaginary part

    def backward(self, grad):
        from ..backend import device as device_cls
        dev = device_cls(self.src_device) if self.src_device != "cpu" else None
        if grad.dtype.is_complex and not self.src_dtype.is_complex:
            grad = grad.real
        return to_copy(grad, self.src_dtype, dev if dev != grad.device else None)


def _move(x, kind: str):
    from ..backend import cupy_or_none
    if kind == "cpu":
        return x.get()
    cp = cupy_or_none()
    if cp is None:
        raise RuntimeError("Torch not compiled with CUDA enabled")
    return cp.asarray(x)


def to_copy(input, dtype, device):
    return ToCopy.apply(input, dtype=dtype, device=device)
