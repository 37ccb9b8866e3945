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


def _size(size, name: str = "zeros") -> tuple:
    """A shape from varargs (`zeros(2, 3)`) or one sequence (`zeros((2, 3))`)."""
    if len(size) == 0:
        if name in ("rand", "randn"):
            raise TypeError(f"{name}() received an invalid combination of arguments - got (), "
                            "but expected one of:")
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    for s in size:
        if isinstance(s, float) or not hasattr(s, "__index__"):
            raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, "
                            f"not {type(s).__name__}")
    out = tuple(int(s) for s in size)
    if any(s < 0 for s in out):
        if name == "zeros":  # torch checks zeros' sizes with a message of its own
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        bad = next(s for s in out if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: "
                           f"[{', '.join(map(str, out))}]")
    return out


def _finish(array, requires_grad: bool, device=None) -> Tensor:
    if requires_grad and array.dtype.kind not in "fc":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    if device is not None and str(device).startswith("cuda"):
        from .ops.conversion import _move
        array = _move(array, "cuda")
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


# ---- tensor(): nested Python data --------------------------------------------------------

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _unwrap(data):
    """Nested lists with tensors and arrays inside replaced by Python values."""
    if isinstance(data, Tensor):
        return data.item() if data.ndim == 0 else _unwrap(data.tolist())
    if isinstance(data, np.ndarray):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_unwrap(x) for x in data]
    return data


def _leaves(data, out: list) -> list:
    if isinstance(data, (list, tuple)):
        for x in data:
            _leaves(x, out)
    else:
        out.append(data)
    return out


def _scalar_kind(leaves) -> str:
    """torch's inferred category for nested scalars: complex > float > int > bool."""
    kind = "bool" if leaves else "float"  # [] is a float tensor
    rank = {"bool": 0, "int": 1, "float": 2, "complex": 3}
    for x in leaves:
        if isinstance(x, (bool, np.bool_)):
            k = "bool"
        elif isinstance(x, (int, np.integer)):
            k = "int"
            if not _INT64_MIN <= int(x) <= _INT64_MAX:
                raise ValueError("Overflow when unpacking long long")
        elif isinstance(x, (float, np.floating)):
            k = "float"
        elif isinstance(x, (complex, np.complexfloating)):
            k = "complex"
        elif isinstance(x, str):
            raise ValueError("too many dimensions 'str'")
        else:
            raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
        if rank[k] > rank[kind]:
            kind = k
    return kind


def _check_nested(data, shape, kind: str, dim: int = 0) -> None:
    """torch's errors for nested lists whose lengths or depths disagree.

    The shape is read off the first element at each depth (as torch does); every
    other element must match it.
    """
    if dim == len(shape):
        if isinstance(data, (list, tuple)):
            if kind in ("float", "complex"):
                raise TypeError(f"must be real number, not {type(data).__name__}")
            raise TypeError(f"'{type(data).__name__}' object cannot be interpreted as an "
                            "integer")
        return
    if not isinstance(data, (list, tuple)):
        raise TypeError("not a sequence")
    if len(data) != shape[dim]:
        raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} "
                         f"(got {len(data)})")
    for x in data:
        _check_nested(x, shape, kind, dim + 1)


def _first_shape(data) -> list:
    shape = []
    while isinstance(data, (list, tuple)):
        shape.append(len(data))
        if not data:
            break
        data = data[0]
    return shape


_WIDE = {"bool": np.bool_, "int": np.int64, "float": np.float64, "complex": np.complex128}


def _infer_array(data, dtype=None):
    """A NumPy array for `tensor(data)`, with torch's dtype inference and errors.

    Python data is first read at full precision (int64, float64, complex128) and then
    cast once, so `tensor([0.1], dtype=float64)` is exactly 0.1, as in torch.
    """
    if isinstance(data, Tensor):
        arr = data._data.copy()
    elif isinstance(data, np.ndarray):
        dtypes.from_numpy_dtype(data.dtype)
        arr = data.copy()
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
        dtypes.from_numpy_dtype(arr.dtype)
    elif isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    else:
        data = _unwrap(data)
        kind = _scalar_kind(_leaves(data, []))
        shape = _first_shape(data)
        _check_nested(data, shape, kind)
        arr = np.array(data, dtype=_WIDE[kind]).reshape(shape)
        if dtype is None:
            default = {"float": dtypes.get_default_dtype(),
                       "complex": dtypes.default_complex_dtype()}.get(kind)
            if default is not None:
                arr = arr.astype(default.np)
    if dtype is not None and arr.dtype != dtype.np:
        arr = _cast_values(arr, dtype.np)
    return arr


def _cast_values(arr, np_dtype):
    """Cast the values of `tensor(data, dtype=...)`, refusing those that do not fit."""
    if arr.dtype.kind == "c" and np_dtype.kind != "c":
        raise TypeError("must be real number, not complex")
    if np_dtype.kind in "iu" and arr.size and arr.dtype.kind in "iuf":
        info = np.iinfo(np_dtype)
        if arr.min() < info.min or arr.max() > info.max:
            raise RuntimeError(f"value cannot be converted to type {np_dtype.name} without "
                               "overflow")
    return arr.astype(np_dtype)


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (nested lists, numbers or arrays)."""
    return _finish(_infer_array(data, dtype), requires_grad, device)


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


# ---- filled tensors -----------------------------------------------------------------------


def _dtype_or_default(dtype):
    return (dtype or dtypes.get_default_dtype()).np


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    return _finish(np.zeros(_size(size, "zeros"), _dtype_or_default(dtype)), requires_grad,
                   device)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    return _finish(np.ones(_size(size, "ones"), _dtype_or_default(dtype)), requires_grad,
                   device)


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return _finish(np.empty(_size(size, "empty"), _dtype_or_default(dtype)), requires_grad,
                   device)


# C++ names of the element types, as torch's "cannot be converted" errors print them
_CPP_TYPE = {"float64": "double", "float32": "float", "float16": "c10::Half",
             "int64": "int64_t", "int32": "int", "int16": "int16_t", "int8": "int8_t",
             "uint8": "uint8_t", "bool": "bool"}


def _check_fill_value(value, np_dtype) -> None:
    """torch refuses a fill value that the dtype cannot hold."""
    bad = False
    if isinstance(value, complex) and np_dtype.kind != "c":
        bad = value.imag != 0
    elif isinstance(value, int) and np_dtype.kind in "iu":
        info = np.iinfo(np_dtype)
        bad = not info.min <= value <= info.max
    if bad:
        raise RuntimeError(f"value cannot be converted to type {_CPP_TYPE[np_dtype.name]} "
                           "without overflow")


def _filled(shape, value, np_dtype):
    if isinstance(value, complex) and np_dtype.kind != "c":
        value = value.real
    out = np.empty(shape, np_dtype)
    out[...] = value
    return out


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of `size` filled with `fill_value` (its dtype follows the value)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value)
    _check_fill_value(fill_value, dtype.np)
    return _finish(_filled(_size((size,), "full"), fill_value, dtype.np), requires_grad, device)


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
    np_dtype = _like_dtype(input, dtype)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    _check_fill_value(fill_value, np_dtype)
    return _finish(_filled(input.shape, fill_value, np_dtype), requires_grad, device)


# ---- ranges: arange and linspace, value for value as torch's CPU kernels ----------------
#
# C++ compilers contract torch's `start + step * i` into one fused multiply-add (a
# single rounding), so the formulas below use `_fma`. arange fills with
# `cpu_serial_kernel_vec`: whole pairs of SIMD blocks, each block computed as
# `first + j * step` from its own first value, then a scalar tail; the blocks are 32
# bytes wide (measured against torch 2.13 on x86). Ranges longer than 2048 values are
# split across threads in torch, which can move block boundaries: there ember may
# differ from torch by an ulp. linspace is scalar throughout.

_BLOCK_BYTES = 32


def _two_sum(a, b):
    """s, e with s = fl(a + b) and a + b = s + e exactly."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_product(a, b):
    """p, e with p = fl(a * b) and a * b = p + e exactly (Veltkamp/Dekker)."""
    p = a * b
    split = 134217729.0  # 2**27 + 1
    ca, cb = split * a, split * b
    ah, bh = ca - (ca - a), cb - (cb - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _round_to_odd(hi, lo):
    """hi + lo rounded to float64 with ties and inexact results sent to an odd mantissa,
    which makes a later rounding to a narrower type (or a final sum) correctly rounded."""
    s, e = _two_sum(hi, lo)
    inexact_even = (e != 0) & ((s.view(np.int64) & 1) == 0)
    return np.where(inexact_even, np.nextafter(s, np.where(e > 0, np.inf, -np.inf)), s)


def _fma(a, b, c, np_dtype=np.float64):
    """a * b + c with a single rounding to `np_dtype` (float64 or float32), elementwise.

    Emulates the hardware FMA exactly (Boldo and Melquiond, "Emulation of FMA and
    correctly rounded sums", 2008): an error-free product and sum, a round-to-odd of
    the small parts, then one final rounding.
    """
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    with np.errstate(over="ignore", invalid="ignore"):
        p, p_err = _two_product(a, b)
        s, s_err = _two_sum(c, p)
        if np_dtype == np.float64:
            out = s + _round_to_odd(s_err, p_err)
        else:
            out = _round_to_odd(s, s_err + p_err).astype(np_dtype)
    exact = np.isfinite(out) & np.isfinite(p)
    return np.where(exact, out, (a * b + c).astype(np_dtype))


def _serial_kernel_vec(n: int, lanes: int, value_at, from_block_start):
    """Values 0..n-1 as torch's cpu_serial_kernel_vec produces them (one thread)."""
    idx = np.arange(n)
    out = value_at(idx)
    n_vec = n // (2 * lanes) * 2 * lanes
    if n_vec:
        firsts = value_at(idx[:n_vec:lanes])
        out[:n_vec] = from_block_start(firsts[:, None], np.arange(lanes)[None, :]).reshape(-1)
    return out


def _number(v):
    return v.item() if isinstance(v, Tensor) else v


def _cfmt(x) -> str:
    """A number as C++'s ostream prints it (torch's error messages)."""
    return f"{x:g}"


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values start, start + step, ... below end (int64 unless a bound is a float)."""
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = dtypes.int64 if is_int else dtypes.get_default_dtype()
    if dtype is dtypes.bool_:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    np_dtype = dtype.np
    integral = np_dtype.kind in "iu"
    if integral:
        # torch reads the bounds in the accumulate type (int64): truncated toward 0
        first, last, stride = int(start), int(end), int(step)
        if stride == 0 and step != 0 and np_dtype == np.int64:
            raise ValueError("step must be nonzero")
    else:
        first, last, stride = float(start), float(end), float(step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(first) and math.isfinite(last)):
        raise RuntimeError(f"unsupported range: {_cfmt(first)} -> {_cfmt(last)}")
    if not ((step > 0 and last >= first) or (step < 0 and last <= first)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if np_dtype == np.int64:
        sign = 1 if stride > 0 else -1
        n = (last - first + stride - sign) // stride
    else:
        n = math.ceil((float(end) - float(start)) / float(step))
    n = max(int(n), 0)
    if integral:
        values = (first + stride * np.arange(n, dtype=np.int64)).astype(np_dtype)
    else:
        # computed in double (torch's accumulate type), rounded once to the dtype
        def value_at(i):
            return _fma(stride, i, first).astype(np_dtype)

        def from_block_start(first_value, j):
            return _fma(j, stride, first_value).astype(np_dtype)

        lanes = _BLOCK_BYTES // np_dtype.itemsize
        values = _serial_kernel_vec(n, lanes, value_at, from_block_start)
    return _finish(values, requires_grad, device)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """`steps` evenly spaced values from start to end inclusive.

    As torch: step = (end - start) / (steps - 1) in the output's own precision; the
    first half counts up from `start`, the second half down from `end`, so both ends
    are exact. Integer dtypes truncate start and end first and step in double.
    """
    start, end = _number(start), _number(end)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError("linspace() received an invalid combination of arguments - got "
                        f"({type(start).__name__}, {type(end).__name__}, "
                        f"{type(steps).__name__}), but expected one of:")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if dtype is None:
        complex_bound = isinstance(start, complex) or isinstance(end, complex)
        dtype = dtypes.default_complex_dtype() if complex_bound else dtypes.get_default_dtype()
    if dtype is dtypes.bool_:
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    np_dtype = dtype.np
    if steps <= 1:
        return _finish(np.full(steps, start, np_dtype), requires_grad, device)
    half = steps // 2
    if np_dtype.kind in "iu":
        first, last = float(int(start)), float(int(end))
        step = (last - first) / (steps - 1)
        kind = np.float64
    elif np_dtype.kind == "c":
        first, last = np_dtype.type(start), np_dtype.type(end)
        step = (last - first) / np_dtype.type(steps - 1)
        i = np.arange(steps)
        values = np.where(i < half, first + step * i, last - step * (steps - i - 1))
        return _finish(values.astype(np_dtype), requires_grad, device)
    else:
        kind = np.float32 if np_dtype == np.float32 else np.float64
        first, last = kind(np_dtype.type(start)), kind(np_dtype.type(end))
        step = (last - first) / kind(steps - 1)

    # torch's linspace kernel is scalar (no SIMD blocks), one fused multiply-add each
    i = np.arange(steps)
    values = np.where(i < half, _fma(step, i, first, kind),
                      _fma(-step, steps - i - 1, last, kind))
    if np_dtype.kind in "iu":
        values = np.trunc(values).astype(np.int64)
    return _finish(values.astype(np_dtype), requires_grad, device)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The n x m identity (ones on the diagonal)."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _finish(np.eye(n, n if m is None else m, dtype=_dtype_or_default(dtype)),
                   requires_grad, device)


# ---- random ---------------------------------------------------------------------------


def _gen(generator):
    return generator if generator is not None else _random.default_generator


def _sampled(array, fill, requires_grad: bool, device) -> Tensor:
    """Wrap `array` and fill it in place with a sampler of ember.ops.random_ops (the
    factories draw exactly what `empty(...).uniform_()` etc. draw, as in torch)."""
    t = Tensor._make(array)
    fill(t)
    return _finish(t._data, requires_grad, device)


def _like_array(input, np_dtype) -> np.ndarray:
    """empty_like with torch's preserve_format: a dense tensor's strides are kept (a
    transposed input gives a transposed result), anything else becomes contiguous."""
    src = input._data
    shape = src.shape
    if src.ndim < 2 or src.flags.c_contiguous:
        return np.empty(shape, np_dtype)
    order = sorted(range(src.ndim), key=lambda d: -src.strides[d])
    dense = math.prod(shape) * src.itemsize == 0 or all(
        src.strides[order[i]] == src.itemsize * math.prod(shape[d] for d in order[i + 1:])
        for i in range(src.ndim) if shape[order[i]] > 1)
    if not dense:
        return np.empty(shape, np_dtype)
    arr = np.empty(tuple(shape[d] for d in order), np_dtype)
    return arr.transpose(np.argsort(order))


def rand(*sizes, size=None, generator=None, dtype=None, device=None,
          requires_grad=False) -> Tensor:
    """Uniform values in [0, 1): `empty(size).uniform_()`."""
    from .ops import random_ops
    shape = _size(sizes if size is None else (size,), "rand")
    arr = np.empty(shape, _dtype_or_default(dtype))
    return _sampled(arr, lambda t: random_ops.uniform_(t, generator=generator),
                    requires_grad, device)


def randn(*sizes, size=None, generator=None, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    """Standard normal values: `empty(size).normal_()`."""
    from .ops import random_ops
    shape = _size(sizes if size is None else (size,), "randn")
    arr = np.empty(shape, _dtype_or_default(dtype))
    return _sampled(arr, lambda t: random_ops.normal_(t, generator=generator),
                    requires_grad, device)


def randint(low=None, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Integers in [low, high) (`randint(high, size)` starts at 0):
    `empty(size, dtype=int64).random_(low, high)`."""
    from .ops import random_ops
    if size is None:
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    elif low is None:
        low = 0
    shape = _size((size,), "randint")
    arr = np.empty(shape, (dtype or dtypes.int64).np)
    return _sampled(arr, lambda t: random_ops.random_(t, int(low), int(high),
                                                      generator=generator),
                    requires_grad, device)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad=False,
             pin_memory=False):
    """A random permutation of 0..n-1 (torch's CPU swap chain)."""
    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    data = _gen(generator).permutation(n)
    return _finish(data.astype((dtype or dtypes.int64).np), requires_grad, device)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None,
              memory_format=None):
    """Uniform values shaped (and, for dense inputs, strided) like `input`."""
    from .ops import random_ops
    arr = _like_array(input, (dtype or input.dtype).np)
    return _sampled(arr, lambda t: random_ops.uniform_(t, generator=generator),
                    requires_grad, device)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None,
               memory_format=None):
    """Standard normal values shaped (and, for dense inputs, strided) like `input`."""
    from .ops import random_ops
    arr = _like_array(input, (dtype or input.dtype).np)
    return _sampled(arr, lambda t: random_ops.normal_(t, generator=generator),
                    requires_grad, device)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None,
                 requires_grad=False, memory_format=None):
    """Integers in [low, high) shaped like `input` (`randint_like(input, high)` from 0)."""
    from .ops import random_ops
    if high is None:
        low, high = 0, low
    arr = _like_array(input, (dtype or input.dtype).np)
    return _sampled(arr, lambda t: random_ops.random_(t, int(low), int(high),
                                                      generator=generator),
                    requires_grad, device)
