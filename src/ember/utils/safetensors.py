"""Read and write `.safetensors` weight files (via the optional `safetensors` package).

The format is a JSON header (names, dtypes, shapes, byte ranges, optional string
metadata) followed by raw little-endian tensor bytes, and holds no code, so loading
one is safe. `safetensors` is imported only when these functions are called
(`pip install ember[io]`).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor

__all__ = ["load", "load_file", "save", "save_file"]


def _numpy_backend():
    try:
        import safetensors.numpy as st
    except ImportError as e:
        raise ImportError("ember.utils.safetensors needs the 'safetensors' package: "
                          "pip install safetensors (or ember[io])") from e
    return st


def _arrays(tensors: dict) -> dict:
    if not isinstance(tensors, dict):
        raise TypeError(f"expected a dict of name -> Tensor, got {type(tensors).__name__}")
    out = {}
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be str, got {type(name).__name__}")
        if not isinstance(t, Tensor):
            raise TypeError(f"{name!r} is a {type(t).__name__}, not an ember Tensor")
        a = t.detach().numpy(force=True)
        out[name] = a if a.flags.c_contiguous else a.copy(order="C")  # keeps 0-d as 0-d
    return out


def _tensors(arrays: dict) -> dict:
    return {k: Tensor._make(np.array(v, copy=True)) for k, v in arrays.items()}


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Write `{name: tensor}` to `filename`; `metadata` is an optional {str: str}."""
    _numpy_backend().save_file(_arrays(tensors), str(filename), metadata=metadata)


def load_file(filename, device="cpu") -> dict:
    """Read a .safetensors file (ember's or torch's) as `{name: ember tensor}`."""
    return _tensors(_numpy_backend().load_file(str(filename)))


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """The .safetensors bytes of `{name: tensor}`."""
    return _numpy_backend().save(_arrays(tensors), metadata=metadata)


def load(data: bytes) -> dict:
    """`{name: ember tensor}` from .safetensors bytes."""
    return _tensors(_numpy_backend().load(data))
