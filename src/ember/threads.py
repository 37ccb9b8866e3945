"""CPU thread settings, as torch's `set_num_threads` / `get_num_threads` and the interop
pair.

ember's only thread pool is the BLAS library under NumPy (OpenBLAS, MKL, BLIS), which
runs matrix products; every other op is a single-threaded NumPy loop. So the intra-op
setting is the BLAS pool's size, read and changed through threadpoolctl. threadpoolctl
is imported inside the functions, not at `import ember`: scanning the loaded libraries
costs milliseconds that a plain import should not pay.

ember has no inter-op pool (no JIT, no async ops); `set_num_interop_threads` keeps the
value and enforces torch's rules (a positive int, settable once) so that code written for
torch runs unchanged.
"""

from __future__ import annotations

import os

__all__ = ["get_num_interop_threads", "get_num_threads", "set_num_interop_threads",
           "set_num_threads"]

_LONG_LONG_MAX = 2 ** 63 - 1
_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE

_interop_threads: int | None = None  # set once by set_num_interop_threads


def _typename(obj) -> str:
    """Python's `tp_name` of obj's type, as torch prints it: `float`, `numpy.float64`,
    `Tensor` (classes written in Python carry no module in their tp_name)."""
    cls = type(obj)
    if cls.__flags__ & _HEAPTYPE or cls.__module__ == "builtins":
        return cls.__name__
    return f"{cls.__module__}.{cls.__name__}"


def _check_count(fn: str, n) -> int:
    """torch's argument parsing of a thread count: an int (bool excluded), in long long
    range, positive."""
    if isinstance(n, bool) or not hasattr(type(n), "__index__") or _is_tensor(n):
        raise RuntimeError(f"{fn} expects an int, but got {_typename(n)}")
    n = int(n.__index__())
    if not -_LONG_LONG_MAX - 1 <= n <= _LONG_LONG_MAX:
        raise ValueError("Overflow when unpacking long long")
    if n <= 0:
        raise RuntimeError(f"{fn} expects a positive integer")
    return n


def _is_tensor(obj) -> bool:
    from .tensor import Tensor
    return isinstance(obj, Tensor)


def set_num_threads(n, /) -> None:
    """Set the number of threads used for intra-op parallelism on CPU: the size of the
    BLAS thread pool NumPy's matrix products run on (every BLAS library loaded in the
    process, through threadpoolctl)."""
    n = _check_count("set_num_threads", n)
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=n, user_api="blas")


def get_num_threads() -> int:
    """The number of threads used for intra-op parallelism on CPU: the BLAS pool's size
    (the largest, if several BLAS libraries are loaded; 1 when NumPy runs without one)."""
    from threadpoolctl import threadpool_info
    counts = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    return max(counts) if counts else 1


def set_num_interop_threads(n, /) -> None:
    """Set the number of threads used for inter-op parallelism on CPU. ember runs no
    inter-op work, so the value is only recorded; as in torch it can be set once."""
    global _interop_threads
    n = _check_count("set_num_interop_threads", n)
    if _interop_threads is not None:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work "
                           "has started or set_num_interop_threads called")
    _interop_threads = n


def get_num_interop_threads() -> int:
    """The number of threads used for inter-op parallelism on CPU: the value given to
    `set_num_interop_threads`, else the CPU count (torch's default)."""
    if _interop_threads is not None:
        return _interop_threads
    return _default_interop()


def _default_interop() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
