"""Compare an ember nn.Module with the same torch.nn module, holding the same weights.

    check_module(lambda nn: nn.Linear(3, 2), randn(4, 3))

builds the module in both libraries (`build(nn)`), copies torch's state_dict into the
ember module (as NumPy arrays), runs both on the same inputs in train and/or eval
mode, and compares outputs, the gradients of every parameter and input (through the
same random upstream gradient), buffers after the forward (running stats), the
state_dict keys, and the repr text.
"""

from __future__ import annotations

import numpy as np
import torch

import ember
from differential import RNG, assert_same_tensor, make_inputs


def _flat(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [out]


def copy_state(ember_module, torch_module) -> None:
    """Load torch's state_dict into the ember module, as NumPy arrays (copied)."""
    state = {k: v.detach().numpy().copy() for k, v in torch_module.state_dict().items()}
    ember_module.load_state_dict({k: ember.from_numpy(v) for k, v in state.items()})


def check_module(build, *arrays, modes=("train", "eval"), rtol=None, atol=None,
                 grad_rtol=None, grad_atol=None, check_repr=True, forward=None,
                 input_grad=True):
    """build(nn) -> module, for nn in (ember.nn, torch.nn); compare everything."""
    results = []
    for mode in modes:
        torch.manual_seed(0)
        t_mod = build(torch.nn)
        e_mod = build(ember.nn)
        if check_repr:
            assert repr(e_mod) == repr(t_mod), f"{repr(e_mod)}\n!=\n{repr(t_mod)}"
        assert list(e_mod.state_dict().keys()) == list(t_mod.state_dict().keys())
        copy_state(e_mod, t_mod)
        getattr(t_mod, mode)()
        getattr(e_mod, mode)()
        e_args, t_args = make_inputs(arrays, input_grad)
        run = forward or (lambda m, *a: m(*a))
        e_out, t_out = run(e_mod, *e_args), run(t_mod, *t_args)
        e_flat, t_flat = _flat(e_out), _flat(t_out)
        assert len(e_flat) == len(t_flat)
        for i, (e, t) in enumerate(zip(e_flat, t_flat)):
            if isinstance(t, torch.Tensor):
                assert_same_tensor(e, t, rtol, atol, what=f"{mode} output {i}")
        for (name, eb), (_, tb) in zip(e_mod.named_buffers(), t_mod.named_buffers()):
            assert_same_tensor(eb, tb, rtol, atol, what=f"{mode} buffer {name}")
        pairs = [(e, t) for e, t in zip(e_flat, t_flat)
                 if isinstance(t, torch.Tensor) and t.requires_grad]
        if pairs:
            e_loss = t_loss = 0
            for e, t in pairs:
                up = RNG.standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype)
                e_loss = e_loss + (e * ember.from_numpy(up.copy())).sum()
                t_loss = t_loss + (t * torch.from_numpy(up.copy())).sum()
            e_loss.backward()
            t_loss.backward()
            e_params = dict(e_mod.named_parameters())
            for name, tp in t_mod.named_parameters():
                ep = e_params[name]
                if tp.grad is None:
                    assert ep.grad is None or not np.any(ep.grad.numpy()), name
                else:
                    assert ep.grad is not None, f"{mode}: no grad for {name}"
                    assert_same_tensor(ep.grad, tp.grad, grad_rtol or rtol, grad_atol or atol,
                                       what=f"{mode} grad of {name}")
            for i, (e, t) in enumerate(zip(e_args, t_args)):
                if isinstance(t, torch.Tensor) and t.grad is not None:
                    assert_same_tensor(e.grad, t.grad, grad_rtol or rtol, grad_atol or atol,
                                       what=f"{mode} grad of input {i}")
        results.append((e_out, t_out))
    return results
