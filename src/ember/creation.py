"""Factories: tensor, as_tensor, from_numpy, zeros/ones/full/empty (and *_like), arange,
linspace, eye, rand, randn, randint, randperm.

NumPy defaults to float64; torch to float32 (`get_default_dtype()`). Python floats
become the default dtype here, while NumPy arrays keep their own dtype, as in torch.
"""

from __future__ import annotations

import math

import numpy as np

from . import dtypes
from . import random as _random
from .tensor import Tensor


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    out = tuple(int(s) for s in size)
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"[{', '.join(map(str, out))}]")
    return out


def _finish(array, requires_grad: bool, device=None) -> Tensor:
    if device is not None and str(device).startswith("cuda"):
        from .ops.conversion import _move
        array = _move(array, "cuda")
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_array(data):
    """NumPy array for nested Python data, with torch's dtype inference."""
    if isinstance(data, Tensor):
        return data._data.copy()
    if isinstance(data, np.ndarray):
        dtypes.from_numpy_dtype(data.dtype)
        return data.copy()
    if isinstance(data, (list, tuple)):
        _check_ragged(data)
        flat = _flatten_items(data)
        if any(isinstance(x, Tensor) for x in flat):
            data = _unwrap_tensors(data)
    arr = np.array(data)
    if arr.dtype == object:
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    if arr.dtype.kind == "f" and not isinstance(data, np.generic):
        arr = arr.astype(dtypes.get_default_dtype().np)
    elif arr.dtype.kind == "c" and not isinstance(data, np.generic):
        arr = arr.astype(dtypes.default_complex_dtype().np)
    elif arr.dtype.kind in "iu" and not isinstance(data, np.generic):
        arr = arr.astype(np.int64)
    elif arr.dtype.kind in "US":
        raise TypeError(f"new(): invalid data type '{arr.dtype.kind == 'U' and 'str'}'")
    return arr


def _unwrap_tensors(data):
    if isinstance(data, Tensor):
        if data.numel() != 1 and data.ndim != 0:
            return _unwrap_tensors(data.tolist())
        return data.item()
    if isinstance(data, (list, tuple)):
        return [_unwrap_tensors(x) for x in data]
    return data


def _flatten_items(data):
    out = []
    for x in data:
        if isinstance(x, (list, tuple)):
            out.extend(_flatten_items(x))
        else:
            out.append(x)
    return out


def _check_ragged(data, dim: int = 0) -> None:
    """torch's errors for nested lists whose lengths or depths disagree."""
    nested = [isinstance(x, (list, tuple)) for x in data]
    if not any(nested):
        return
    if not all(nested):
        raise TypeError("not a sequence")
    n = len(data[0])
    for x in data:
        if len(x) != n:
            raise ValueError(f"expected sequence of length {n} at dim {dim + 1} (got {len(x)})")
        _check_ragged(x, dim + 1)


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (nested lists, numbers or arrays)."""
    arr = _infer_array(data)
    if dtype is not None:
        arr = arr.astype(dtype.np)
    return _finish(arr, requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like `tensor`, but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor):
        return data if dtype is None or dtype is data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray):
        arr = data if dtype is None else data.astype(dtype.np, copy=False)
        dtypes.from_numpy_dtype(arr.dtype)
        return _finish(arr, False, device)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray) -> Tensor:
    """A tensor sharing memory with `ndarray` (changes show through both ways)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    dtypes.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def _dtype_or_default(dtype):
    return (dtype or dtypes.get_default_dtype()).np


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    return _finish(np.zeros(_size(size), _dtype_or_default(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    return _finish(np.ones(_size(size), _dtype_or_default(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return _finish(np.empty(_size(size), _dtype_or_default(dtype)), requires_grad, device)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of `size` filled with `fill_value` (its dtype follows the value)."""
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor)
                                    else fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _finish(np.full(_size((size,)), fill_value, dtype.np), requires_grad, device)


def _like_dtype(input, dtype):
    return (dtype or input.dtype).np


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.zeros(input.shape, _like_dtype(input, dtype)), requires_grad, device)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.ones(input.shape, _like_dtype(input, dtype)), requires_grad, device)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.empty(input.shape, _like_dtype(input, dtype)), requires_grad, device)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    return _finish(np.full(input.shape, fill_value, _like_dtype(input, dtype)), requires_grad,
                   device)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values start, start + step, ... below end (int64 unless a bound is a float)."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) or
                     isinstance(v, bool) for v in vals)
        dtype = dtypes.int64 if is_int else dtypes.get_default_dtype()
    n = max(math.ceil((end - start) / step), 0)
    # torch computes start + i * step in double (or int64) and then casts.
    work = np.int64 if dtype.np.kind in "iu" and all(isinstance(v, int) for v in vals) \
        else np.float64
    values = np.asarray(start, work) + np.arange(n, dtype=work) * np.asarray(step, work)
    return _finish(values.astype(dtype.np), requires_grad, device)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """`steps` evenly spaced values from start to end inclusive."""
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    dtype = dtype or dtypes.get_default_dtype()
    i = np.arange(steps, dtype=np.float64)
    if steps == 1:
        values = np.array([start], np.float64)
    else:
        step = (end - start) / (steps - 1)
        half = steps // 2
        # torch fills the first half from `start` and the second from `end`.
        values = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
    if dtype.np.kind in "iu":
        values = np.trunc(values)
    return _finish(values.astype(dtype.np), requires_grad, device)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    return _finish(np.eye(n, n if m is None else m, dtype=_dtype_or_default(dtype)),
                   requires_grad, device)


# ---- random ---------------------------------------------------------------------------


def _gen(generator):
    return generator if generator is not None else _random.default_generator


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform values in [0, 1)."""
    shape = _size(size)
    dt = _dtype_or_default(dtype)
    data = _gen(generator).uniform(math.prod(shape), dt).reshape(shape)
    return _finish(data, requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal values."""
    shape = _size(size)
    dt = _dtype_or_default(dtype)
    data = _gen(generator).normal(math.prod(shape), dt).reshape(shape)
    return _finish(data, requires_grad, device)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Integers in [low, high); `randint(high, size)` starts at 0."""
    if size is None:
        low, high, size = 0, low, high
    elif high is None:
        raise TypeError("randint() missing required argument 'size'")
    shape = _size((size,))
    data = _gen(generator).integers(int(low), int(high), math.prod(shape)).reshape(shape)
    return _finish(data.astype((dtype or dtypes.int64).np), requires_grad, device)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1."""
    data = _gen(generator).permutation(int(n))
    return _finish(data.astype((dtype or dtypes.int64).np), requires_grad, device)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad,
                generator=generator)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad,
                 generator=generator)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype)
