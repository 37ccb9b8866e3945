"""One helper to compare ember with torch: same inputs, same op, same results.

    check(lambda t, x, y: t.add(x, y), a, b)

runs the function once with `t = ember` and once with `t = torch`, on tensors built
from the same NumPy arrays, then compares values, dtype and shape of every output
and, for differentiable outputs, the gradients of every input that requires grad
(backpropagating the same random upstream gradient). `check_error` checks that both
raise the same exception type with the same message (modulo `torch` -> `ember`).
"""

from __future__ import annotations

import re

import numpy as np
import torch

import ember

RNG = np.random.default_rng(1234)

TOL = {  # (rtol, atol) per dtype for values and gradients
    "float16": (1e-2, 1e-2), "float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12),
    "complex64": (1e-5, 1e-6), "complex128": (1e-10, 1e-12),
}


def randn(*shape, dtype=np.float32, low=None):
    """Random array; `low` shifts values to be >= low (for log/sqrt domains)."""
    a = RNG.standard_normal(shape)
    if low is not None:
        a = np.abs(a) + low
    return np.asarray(a, dtype=dtype)


def non_contiguous(a: np.ndarray) -> np.ndarray:
    """The same values, laid out so the array is not C-contiguous (a transposed copy)."""
    if a.ndim < 2:
        big = np.empty(a.shape + (2,), a.dtype)
        big[..., 0] = a
        out = big[..., 0]
    else:
        out = np.ascontiguousarray(np.swapaxes(a, -1, -2)).swapaxes(-1, -2)
    assert np.array_equal(out, a)
    return out


def _is_diff(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind in "fc"


def make_inputs(arrays, requires_grad: bool):
    """Matching (ember, torch) argument lists; float arrays require grad if asked."""
    e_args, t_args = [], []
    for a in arrays:
        if isinstance(a, np.ndarray):
            rg = requires_grad and _is_diff(a)
            e = ember.from_numpy(a.copy() if a.flags.c_contiguous else non_contiguous(a.copy()))
            t = torch.from_numpy(a.copy() if a.flags.c_contiguous else
                                 non_contiguous(a.copy()))
            if rg:
                e.requires_grad_(True)
                t.requires_grad_(True)
            e_args.append(e)
            t_args.append(t)
        else:
            e_args.append(a)
            t_args.append(a)
    return e_args, t_args


def _flat(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [out]


def assert_same_tensor(e, t, rtol=None, atol=None, what="output") -> None:
    """ember tensor `e` equals torch tensor `t` in dtype, shape and values."""
    if not isinstance(t, torch.Tensor):
        assert not isinstance(e, ember.Tensor), f"{what}: ember gave a tensor, torch {type(t)}"
        if isinstance(t, float) and np.isnan(t):
            assert np.isnan(e)
        else:
            assert e == t, f"{what}: {e!r} != {t!r}"
        return
    assert isinstance(e, ember.Tensor), f"{what}: expected a Tensor, got {type(e)}"
    assert str(e.dtype).replace("ember.", "") == str(t.dtype).replace("torch.", ""), \
        f"{what}: dtype {e.dtype} != {t.dtype}"
    assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {tuple(e.shape)} != {tuple(t.shape)}"
    ev = e.detach().numpy()
    tv = t.detach().numpy()
    name = str(t.dtype).replace("torch.", "")
    r, a = TOL.get(name, (0, 0))
    r = r if rtol is None else rtol
    a = a if atol is None else atol
    if tv.dtype.kind in "fc":
        np.testing.assert_allclose(ev, tv, rtol=r, atol=a, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(ev, tv, err_msg=what)


def check(fn, *arrays, grad: bool = True, rtol=None, atol=None, grad_rtol=None,
          grad_atol=None, check_grad_fn: bool = True):
    """Run fn(ember, *inputs) and fn(torch, *inputs); compare outputs and gradients."""
    e_args, t_args = make_inputs(arrays, grad)
    e_out = fn(ember, *e_args)
    t_out = fn(torch, *t_args)
    e_flat, t_flat = _flat(e_out), _flat(t_out)
    assert len(e_flat) == len(t_flat), f"{len(e_flat)} outputs vs torch's {len(t_flat)}"
    for i, (e, t) in enumerate(zip(e_flat, t_flat)):
        assert_same_tensor(e, t, rtol, atol, what=f"output {i}")
        if check_grad_fn and isinstance(t, torch.Tensor):
            assert e.requires_grad == t.requires_grad, f"output {i}: requires_grad differs"
            if t.grad_fn is not None:
                assert e.grad_fn is not None and e.grad_fn.name() == t.grad_fn.name(), \
                    f"output {i}: grad_fn {e.grad_fn and e.grad_fn.name()} != {t.grad_fn.name()}"
    if not grad:
        return e_out, t_out
    pairs = [(e, t) for e, t in zip(e_flat, t_flat)
             if isinstance(t, torch.Tensor) and t.requires_grad]
    if not pairs:
        return e_out, t_out
    e_loss, t_loss = 0, 0
    for e, t in pairs:
        up = RNG.standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype)
        e_loss = e_loss + (e * ember.from_numpy(up.copy())).sum()
        t_loss = t_loss + (t * torch.from_numpy(up.copy())).sum()
    e_loss.backward()
    t_loss.backward()
    for i, (e, t) in enumerate(zip(e_args, t_args)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            if t.grad is None:
                assert e.grad is None or not e.grad.detach().numpy().any(), \
                    f"grad of input {i}: torch has None"
                continue
            assert e.grad is not None, f"grad of input {i}: ember has None"
            assert_same_tensor(e.grad, t.grad, grad_rtol if grad_rtol is not None else rtol,
                               grad_atol if grad_atol is not None else atol,
                               what=f"grad of input {i}")
    return e_out, t_out


def normalize_message(msg: str) -> str:
    msg = msg.replace("torch.", "ember.").replace("torch", "ember")
    return re.sub(r"0x[0-9a-f]+", "0x?", msg)


def check_error(fn, *arrays, match: str = "full"):
    """Both libraries raise the same exception type; messages equal (or first lines)."""
    e_args, t_args = make_inputs(arrays, False)
    e_exc = t_exc = None
    try:
        fn(torch, *t_args)
    except Exception as exc:  # noqa: BLE001 - we compare whatever torch raises
        t_exc = exc
    try:
        fn(ember, *e_args)
    except Exception as exc:  # noqa: BLE001
        e_exc = exc
    assert t_exc is not None, "torch did not raise"
    assert e_exc is not None, f"ember did not raise (torch raised {t_exc!r})"
    assert type(e_exc).__name__ == type(t_exc).__name__ or isinstance(e_exc, type(t_exc)), \
        f"{type(e_exc).__name__}: {e_exc} vs torch's {type(t_exc).__name__}: {t_exc}"
    e_msg, t_msg = normalize_message(str(e_exc)), normalize_message(str(t_exc))
    if match == "full":
        assert e_msg.split("\n")[0] == t_msg.split("\n")[0], f"{e_msg!r} vs torch {t_msg!r}"
    elif match == "type":
        pass
    else:
        assert match in e_msg and match in t_msg, (e_msg, t_msg)
    return e_exc, t_exc


def gradcheck(fn, *arrays, **kwargs) -> bool:
    """ember.autograd.gradcheck of fn(ember, *inputs) in float64."""
    args = []
    for a in arrays:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            args.append(ember.from_numpy(a.astype(np.float64)).requires_grad_(True))
        elif isinstance(a, np.ndarray):
            args.append(ember.from_numpy(a))
        else:
            args.append(a)
    tensor_idx = [i for i, a in enumerate(args) if isinstance(a, ember.Tensor)]

    def f(*tensors):
        full = list(args)
        for i, t in zip(tensor_idx, tensors):
            full[i] = t
        return fn(ember, *full)

    return ember.autograd.gradcheck(f, tuple(args[i] for i in tensor_idx), **kwargs)


def gradgradcheck(fn, *arrays, **kwargs) -> bool:
    args = [ember.from_numpy(a.astype(np.float64)).requires_grad_(True) for a in arrays]
    return ember.autograd.gradgradcheck(lambda *t: fn(ember, *t), tuple(args), **kwargs)
