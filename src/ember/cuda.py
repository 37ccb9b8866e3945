"""ember.cuda: what torch.cuda answers about GPUs, through CuPy (optional).

On a machine without CuPy or without a visible GPU everything here says "no GPU",
as torch.cuda does on a CPU-only build.
"""

from __future__ import annotations

from .backend import cupy_or_none


def is_available() -> bool:
    """True when CuPy is installed and sees a CUDA device."""
    return cupy_or_none() is not None


def device_count() -> int:
    cp = cupy_or_none()
    return int(cp.cuda.runtime.getDeviceCount()) if cp is not None else 0


def current_device() -> int:
    cp = cupy_or_none()
    if cp is None:
        raise RuntimeError("Torch not compiled with CUDA enabled")
    return int(cp.cuda.runtime.getDevice())


def synchronize(device=None) -> None:
    """Wait for all queued GPU work (nothing to wait for without a GPU)."""
    cp = cupy_or_none()
    if cp is not None:
        cp.cuda.runtime.deviceSynchronize()
