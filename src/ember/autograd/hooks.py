"""Tensor hooks and retain_grad.

A hook on a leaf runs before its gradient is accumulated; a hook on a non-leaf runs
when the gradient for that tensor (output `_output_nr` of its `grad_fn`) is ready,
before `grad_fn` uses it. `retain_grad` is a hook that runs last and stores `.grad`.
"""

from __future__ import annotations

import weakref

from .node import _add_hook


def register_tensor_hook(t, hook):
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t.grad_fn is None:
        if t._hooks is None:
            t._hooks = {}
        return _add_hook(t._hooks, hook)
    node = t.grad_fn
    if node._tensor_pre_hooks is None:
        node._tensor_pre_hooks = {}
    node._hooked = True
    hooks = node._tensor_pre_hooks.setdefault(t._output_nr, {})
    return _add_hook(hooks, hook)


def register_post_accumulate_grad_hook(t, hook):
    """hook(leaf) runs after backward has accumulated into `leaf.grad`; returns None."""
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if t._post_accumulate_hooks is None:
        t._post_accumulate_hooks = {}
    return _add_hook(t._post_accumulate_hooks, hook)


def run_post_accumulate_hooks(t) -> None:
    for hook in list(t._post_accumulate_hooks.values()):
        result = hook(t)
        if result is not None:
            raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")


def retain_grad(t) -> None:
    if not t._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if t.grad_fn is None or t._retains_grad:
        return  # leaves keep their grad anyway
    t._retains_grad = True
    node = t.grad_fn
    if node._retained is None:
        node._retained = {}
    node._hooked = True
    node._retained[t._output_nr] = weakref.ref(t)


def run_hooks(hooks: dict | None, grad):
    """Apply hooks in registration order; a hook returning a tensor replaces the grad.

    As in torch, a hook may not change the gradient's type (dtype) or size.
    """
    if hooks:
        for hook in list(hooks.values()):
            new = hook(grad)
            if new is not None:
                _check_hook_result(hook, grad, new)
                grad = new
    return grad


def _check_hook_result(hook, grad, new) -> None:
    from ..tensor import Tensor, legacy_type_name
    if not isinstance(new, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(new).__name__}'")
    name = getattr(hook, "__name__", "<unknown>")
    if new._data.dtype != grad._data.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                           f"{legacy_type_name(grad)} got {legacy_type_name(new)})")
    if new._data.shape != grad._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")
