"""Structural comparison of what ember.utils.data and torch.utils.data return."""

import numpy as np
import torch

import ember


def dtype_name(dt) -> str:
    return str(dt).rsplit(".", 1)[-1]


def assert_same(e, t, path="out"):
    """e (ember) equals t (torch): same container types and keys, tensors with the same
    dtype, shape and values, other leaves equal and of the same type."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{path}: {type(e).__name__} is not a Tensor"
        assert dtype_name(e.dtype) == dtype_name(t.dtype), f"{path}: {e.dtype} vs {t.dtype}"
        assert tuple(e.shape) == tuple(t.shape), f"{path}: {tuple(e.shape)} vs {tuple(t.shape)}"
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy(), err_msg=path)
    elif isinstance(t, dict):
        assert type(e).__name__ == type(t).__name__, f"{path}: {type(e)} vs {type(t)}"
        assert list(e.keys()) == list(t.keys()), path
        for k in t:
            assert_same(e[k], t[k], f"{path}[{k!r}]")
    elif isinstance(t, (list, tuple)):
        assert type(e).__name__ == type(t).__name__, f"{path}: {type(e)} vs {type(t)}"
        assert len(e) == len(t), f"{path}: length {len(e)} vs {len(t)}"
        for i, (a, b) in enumerate(zip(e, t)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(t, np.ndarray):
        assert isinstance(e, np.ndarray) and e.dtype == t.dtype, path
        np.testing.assert_array_equal(e, t)
    else:
        assert type(e) is type(t) and e == t, f"{path}: {e!r} vs {t!r}"


def both(fn):
    """fn(lib, data) with lib = ember / torch and data = its utils.data."""
    return fn(ember, ember.utils.data), fn(torch, torch.utils.data)


def check_same(fn):
    e, t = both(fn)
    assert_same(e, t)
    return e, t


def check_error_same(fn, normalize=lambda s: s):
    """Both raise the same exception type with the same message."""
    errors = []
    for lib, data in ((ember, ember.utils.data), (torch, torch.utils.data)):
        try:
            fn(lib, data)
        except Exception as exc:
            errors.append(exc)
        else:
            errors.append(None)
    e, t = errors
    assert t is not None, "torch raised nothing"
    assert e is not None, f"ember raised nothing; torch raised {type(t).__name__}: {t}"
    assert type(e) is type(t), f"{type(e).__name__} vs {type(t).__name__}"
    em = normalize(str(e)).replace("ember", "torch")
    assert em == normalize(str(t)), f"\nember: {e}\ntorch: {t}"
