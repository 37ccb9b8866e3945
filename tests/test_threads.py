"""ember.set_num_threads / get_num_threads and the interop pair, against torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info

import ember
from differential import check_error


@pytest.fixture
def restore_threads():
    """Tests change process-wide pools: put both libraries back afterwards."""
    e_before, t_before = ember.get_num_threads(), torch.get_num_threads()
    yield
    ember.set_num_threads(e_before)
    torch.set_num_threads(t_before)


BAD_COUNTS = [0, -1, -7, 2.5, "a", True, False, None, np.float64(2.0), 2 ** 70, -2 ** 70]


@pytest.mark.parametrize("value", BAD_COUNTS, ids=repr)
def test_set_num_threads_rejects(value):
    check_error(lambda t: t.set_num_threads(value))


@pytest.mark.parametrize("value", BAD_COUNTS, ids=repr)
def test_set_num_interop_threads_rejects(value):
    check_error(lambda t: t.set_num_interop_threads(value))


def test_set_num_threads_rejects_a_tensor():
    check_error(lambda t: t.set_num_threads(t.tensor(2)))


@pytest.mark.parametrize("value", [1, 2, np.int64(1), np.int32(2)], ids=repr)
def test_set_then_get(value, restore_threads):
    ember.set_num_threads(value)
    torch.set_num_threads(value)
    assert ember.get_num_threads() == torch.get_num_threads() == int(value)
    assert type(ember.get_num_threads()) is int
    # the setting is NumPy's BLAS pool itself
    pools = [p for p in threadpool_info() if p["user_api"] == "blas"]
    assert pools and all(p["num_threads"] == int(value) for p in pools)


def test_blas_follows_the_setting(restore_threads):
    ember.set_num_threads(1)
    a = ember.randn(64, 64)
    assert np.allclose((a @ a).numpy(), a.numpy() @ a.numpy(), rtol=1e-5, atol=1e-5)
    assert ember.get_num_threads() == 1


def test_no_argument_errors():
    for fn in ("set_num_threads", "set_num_interop_threads"):
        for lib in (ember, torch):
            with pytest.raises(TypeError):
                getattr(lib, fn)()
            with pytest.raises(TypeError):
                getattr(lib, fn)(n=2)
    for fn in ("get_num_threads", "get_num_interop_threads"):
        for lib in (ember, torch):
            with pytest.raises(TypeError):
                getattr(lib, fn)(1)


_INTEROP_SCRIPT = """
import sys
lib = __import__(sys.argv[1])
def attempt(fn, *args):
    try:
        return repr(fn(*args))
    except Exception as e:
        return type(e).__name__ + ": " + str(e)
print(attempt(lib.set_num_interop_threads, 0))
print(attempt(lib.set_num_interop_threads, 3))
print(attempt(lib.get_num_interop_threads))
print(attempt(lib.set_num_interop_threads, 2))
print(attempt(lib.set_num_interop_threads, -1))
print(attempt(lib.get_num_interop_threads))
print(attempt(lib.set_num_threads, 1))
print(attempt(lib.get_num_threads))
print(type(lib.get_num_interop_threads()).__name__)
"""


def test_interop_threads_set_once_like_torch():
    """set_num_interop_threads works once per process: compared in fresh processes."""
    def transcript(name):
        return subprocess.run([sys.executable, "-c", _INTEROP_SCRIPT, name], check=True,
                              capture_output=True, text=True).stdout
    assert transcript("ember") == transcript("torch")


def test_default_interop_threads_is_a_positive_int():
    out = subprocess.run([sys.executable, "-c",
                          "import ember; print(ember.get_num_interop_threads())"],
                         check=True, capture_output=True, text=True).stdout
    assert int(out) >= 1


def test_import_does_not_load_threadpoolctl():
    code = ("import sys, ember; print('threadpoolctl' in sys.modules); "
            "ember.get_num_threads(); print('threadpoolctl' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.split()
    assert out == ["False", "True"]
