"""Running independent slices of a batch on several threads, as torch's `parallel_for`.

ember's kernels are NumPy calls, and NumPy releases the GIL inside its loops (copies,
ufuncs, matrix products) on arrays of non-object dtypes, so Python threads running the
kernels of different slices of a batch do run at the same time; only the Python glue
between the calls is serialized. This is how a convolution or a max pooling uses the
second core: each thread convolves its own samples with single-threaded products.

Why not let BLAS do it? OpenBLAS splits only large products, and after one its worker
threads busy-wait for the next call: they kept a core spinning through the NumPy work
between a LeNet step's products, which made the step slower with two threads than with
one. Our pool's threads sleep on a queue when idle.

The thread count is the BLAS pool's (`ember.set_num_threads`, OPENBLAS_NUM_THREADS, ...),
read through threadpoolctl each call (under a microsecond once the libraries are found),
so it follows every way of changing it. With one thread, `run` is a plain loop.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, wait

_blas = None  # threadpoolctl's controllers of the loaded BLAS libraries, found once
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_lock = threading.Lock()
_local = threading.local()  # .worker: this thread is one of the pool's


def threads() -> int:
    """The intra-op thread count: the BLAS pool's size (1 without a BLAS library)."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController
        _blas = ThreadpoolController().select(user_api="blas").lib_controllers
    return max((lib.get_num_threads() for lib in _blas), default=1)


def _get_pool(size: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < size:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(size, thread_name_prefix="ember-intra-op",
                                       initializer=_mark_worker)
            _pool_size = size
        return _pool


def _mark_worker():
    _local.worker = True


def _run_all(fn, items):
    return [fn(item) for item in items]


def run(fn, items) -> list:
    """[fn(item) for item in items], in that order, with the items split into contiguous
    groups, one per thread; the calling thread runs the first group itself.

    `fn` must touch only its own item's data (and thread-local work arrays). Results
    come back in the order of `items` whatever the thread count, so a sum over them is
    the same bit for bit. Called from a pool thread (nested), it runs serially."""
    items = list(items)
    k = min(len(items), threads()) if len(items) > 1 else 1
    if k <= 1 or getattr(_local, "worker", False):
        return _run_all(fn, items)
    bounds = [len(items) * i // k for i in range(k + 1)]
    groups = [items[a:b] for a, b in zip(bounds, bounds[1:])]
    pool = _get_pool(k - 1)
    futures = [pool.submit(_run_all, fn, g) for g in groups[1:]]
    try:
        results = _run_all(fn, groups[0])
    finally:  # never return (or raise) while other threads still write into our arrays
        wait(futures)
    for f in futures:
        results += f.result()
    return results
