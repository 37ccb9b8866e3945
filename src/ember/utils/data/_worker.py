"""What runs inside a DataLoader worker process, and `get_worker_info`.

Each worker gets its own copy of the dataset (fork), seeds Python's `random`, ember's
default generator (`base_seed + worker_id`) and NumPy's legacy global RNG (torch's
SeedSequence-style hash of base_seed and worker_id), then loops: read `(task_idx,
indices)` from its index queue, fetch and collate, put `(task_idx, batch)` on the
shared result queue. Exceptions travel back wrapped with the worker id and are
re-raised in the main process.
"""

from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

from ... import random as _random

MP_STATUS_CHECK_INTERVAL = 5.0  # seconds the main process waits for a worker to stop
_WORKER_POLL_INTERVAL = 0.5     # seconds between a worker's checks of its parent

_worker_info = None


@dataclass(frozen=True)
class WorkerInfo:
    """Information about the current worker: `id`, `num_workers`, `seed`, `dataset`."""

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """In a DataLoader worker: its WorkerInfo (id, num_workers, seed, its dataset copy).
    In the main process: None."""
    return _worker_info


class KeyErrorMessage(str):
    """A str whose repr is itself, so a re-raised KeyError shows its message plainly."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception and its formatted traceback, sent from a worker to the main process."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        try:
            raise exception
        finally:
            # no exception <-> frame cycle: the iterator that raised it is then freed
            # (and its workers stopped) as soon as the caller drops the exception
            del exception


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    pass


def _generate_state(base_seed, worker_id):
    """torch's 4-word NumPy seed for a worker (a port of NumPy's SeedSequence hashing)."""
    init_a, init_b = 0x43B0D7E5, 0x8B51F9DD
    mult_a, mult_b = 0x931E8875, 0x58F38DED
    mix_mult_l, mix_mult_r = 0xCA01F9DD, 0x4973F715
    xshift = 4 * 8 // 2
    mask32 = 0xFFFFFFFF
    entropy = [worker_id, base_seed & mask32, base_seed >> 32, 0]
    pool = [0] * 4
    hash_const_a = init_a

    def hash_(value):
        nonlocal hash_const_a
        value = (value ^ hash_const_a) & mask32
        hash_const_a = (hash_const_a * mult_a) & mask32
        value = (value * hash_const_a) & mask32
        return (value ^ (value >> xshift)) & mask32

    def mix(x, y):
        result = ((mix_mult_l * x) & mask32) - ((mix_mult_r * y) & mask32)
        result &= mask32
        return (result ^ (result >> xshift)) & mask32

    for i in range(len(pool)):
        pool[i] = hash_(entropy[i])
    for i_src in range(len(pool)):
        for i_dst in range(len(pool)):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hash_(pool[i_src]))
    hash_const_b = init_b
    state = []
    for i_dst in range(4):
        data_val = (pool[i_dst] ^ hash_const_b) & mask32
        hash_const_b = (hash_const_b * mult_b) & mask32
        data_val = (data_val * hash_const_b) & mask32
        state.append((data_val ^ (data_val >> xshift)) & mask32)
    return state


def _worker_loop(fetcher_factory, dataset, index_queue, data_queue, done_event, base_seed,
                 init_fn, worker_id, num_workers):
    """The body of worker process `worker_id` (see the module docstring)."""
    global _worker_info
    try:
        seed = base_seed + worker_id
        random.seed(seed)
        _random.manual_seed(seed)
        np.random.seed(_generate_state(base_seed, worker_id))
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        init_exception = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = fetcher_factory(dataset)
        except Exception:
            init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        iteration_end = False
        parent = os.getppid()
        while True:
            try:
                r = index_queue.get(timeout=_WORKER_POLL_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent or done_event.is_set():  # main process gone/done
                    break
                continue
            if isinstance(r, _ResumeIteration):
                data_queue.put((r, None))
                iteration_end = False
                if init_exception is None:
                    fetcher = fetcher_factory(dataset)
                continue
            if r is None:  # shutdown
                break
            if done_event.is_set() or iteration_end:
                continue
            idx, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and fetcher.iterable:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(
                            where=f"in DataLoader worker process {worker_id}")
            data_queue.put((idx, data))
            del data, idx, index, r
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()
