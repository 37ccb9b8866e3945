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


_seed = None


def manual_seed(seed: int) -> None:
    """Seed the GPU generators. ember draws random numbers for CUDA tensors with its
    CPU generator (then copies them), so this only records the seed, like torch.cuda's
    lazy seeding on a machine without a GPU."""
    global _seed
    _seed = int(seed) & 0xFFFF_FFFF_FFFF_FFFF


manual_seed_all = manual_seed


def initial_seed() -> int:
    """The seed given to `manual_seed` (torch raises without a GPU, and so does ember)."""
    if not is_available():
        raise RuntimeError("Torch not compiled with CUDA enabled")
    return _seed if _seed is not None else 0
