"""skip_init: build a module whose parameter values are left unspecified."""

from __future__ import annotations

import inspect

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """module_cls(*args, **kwargs) without initialising its parameters to anything in
    particular.

    torch builds the module on the meta device and then allocates empty storage; here
    the module is built normally and the global random state is put back afterwards,
    so, as in torch, building it draws no random numbers and the values mean nothing.
    """
    from ... import random as _random
    from ..modules.module import Module
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    state = _random.get_rng_state()
    try:
        return module_cls(*args, **kwargs)
    finally:
        _random.set_rng_state(state)
