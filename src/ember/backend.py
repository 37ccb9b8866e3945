"""Devices are array namespaces: `cpu` is NumPy, `cuda` is CuPy.

Op code asks `namespace(array)` for its `xp` instead of naming numpy, so one op file
serves both devices. CuPy is optional and imported only when a CUDA tensor is made.
"""

from __future__ import annotations

import numpy as np


class device:  # noqa: N801 - torch spells it in lower case
    """Where a tensor lives: `ember.device('cpu')`, `ember.device('cuda', 0)`."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device, index: int | None = None):  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        if ":" in type:
            type, idx = type.split(":", 1)
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {type}")
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


def cupy_or_none():
    """CuPy when it is installed and a GPU is visible, else None."""
    try:
        import cupy
    except ImportError:
        return None
    try:
        return cupy if cupy.cuda.is_available() else None
    except Exception:  # noqa: BLE001 - a broken driver means no GPU, not a crash
        return None


def namespace(array):
    """The array module (`numpy` or `cupy`) that owns `array`."""
    if isinstance(array, np.ndarray) or isinstance(array, np.generic):
        return np
    return type(array).__module__.startswith("cupy") and cupy_or_none() or np


def device_of(array) -> device:
    if isinstance(array, np.ndarray):
        return CPU
    return device("cuda", int(array.device.id))


def tune_allocator() -> bool:
    """Keep freed large blocks in the heap instead of returning them to the OS.

    glibc serves blocks over 128 KiB with fresh mmap()s and unmaps them on free(), so a
    training loop that allocates the same activations and gradients every step pays
    page faults for all of them, every step (about half of a LeNet step here). Raising
    the mmap threshold to 32 MiB and the trim threshold to 256 MiB lets glibc reuse them.
    Process-wide, Linux/glibc only; set EMBER_KEEP_MALLOC=1 to leave malloc untouched.
    """
    import os
    import sys
    if os.environ.get("EMBER_KEEP_MALLOC") or not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        ok = libc.mallopt(m_mmap_threshold, 32 << 20) and libc.mallopt(m_trim_threshold,
                                                                         256 << 20)
        return bool(ok)
    except (OSError, AttributeError):
        return False  # not glibc (musl, ...): nothing to tune
