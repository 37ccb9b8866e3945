"""Grad modes: whether ops record a graph.

`no_grad`, `enable_grad`, `set_grad_enabled` and `inference_mode` work both as
context managers and as decorators, like torch's. The flag is one module global so
that the hot path of every op can read it cheaply.
"""

from __future__ import annotations

import functools

_enabled = True
_inference = False


def is_grad_enabled() -> bool:
    return _enabled


def is_inference_mode_enabled() -> bool:
    return _inference


class _GradModeContext:
    """Base: set the mode on enter, restore on exit; decorating wraps the call."""

    def _new_mode(self) -> bool:
        raise TypeError("use a subclass")

    def __enter__(self):
        global _enabled
        self._prev = _enabled
        _enabled = self._new_mode()

    def __exit__(self, *exc):
        global _enabled
        _enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return type(self)()


class _NoParamGradModeContext(_GradModeContext):
    """A mode that takes no arguments, so `@no_grad` works without parentheses too."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return object.__new__(cls)  # the base classes define no __new__
        return cls()(orig_func)


class no_grad(_NoParamGradModeContext):  # noqa: N801
    """Ops inside do not record a graph; their results have requires_grad=False."""

    def _new_mode(self) -> bool:
        return False

    def __enter__(self):  # _GradModeContext's, with the mode inlined (the inference path)
        global _enabled
        self._prev = _enabled
        _enabled = False


class enable_grad(_NoParamGradModeContext):  # noqa: N801
    """Turn recording back on inside a `no_grad` block."""

    def _new_mode(self) -> bool:
        return True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """`set_grad_enabled(False)` as a call sets the mode now; as a context it restores."""

    def __init__(self, mode: bool):
        global _enabled
        self._prev = _enabled
        self.mode = bool(mode)
        _enabled = self.mode  # torch applies the mode at construction

    def _new_mode(self) -> bool:
        return self.mode

    def __enter__(self):
        global _enabled
        _enabled = self.mode

    def __call__(self, fn):
        global _enabled
        _enabled = self._prev  # used as a decorator: the mode applies only inside calls
        return super().__call__(fn)

    def clone(self):
        global _enabled
        prev = _enabled
        clone = set_grad_enabled(self.mode)
        _enabled = prev
        return clone

    def __repr__(self) -> str:
        return f"ember.autograd.grad_mode.set_grad_enabled(mode={self.mode})"


class inference_mode(_GradModeContext):  # noqa: N801
    """Like `no_grad` (ember has no separate inference tensors)."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # used bare as a decorator: `mode` is the function

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def _new_mode(self) -> bool:
        return not self.mode

    def __enter__(self):
        global _inference
        self._prev_inference = _inference
        _inference = self.mode
        super().__enter__()

    def __exit__(self, *exc):
        global _inference
        _inference = self._prev_inference
        return super().__exit__(*exc)

    def clone(self):
        return inference_mode(self.mode)


# ---- anomaly detection ------------------------------------------------------------------
_anomaly = False
_anomaly_check_nan = True


def is_anomaly_enabled() -> bool:
    return _anomaly


def is_anomaly_check_nan_enabled() -> bool:
    return _anomaly_check_nan


class set_detect_anomaly:  # noqa: N801
    """With `check_nan`, backward raises as soon as a node returns a NaN gradient.

    Like `set_grad_enabled`, the call applies the mode now; as a context manager it
    restores the previous mode on exit.
    """

    def __init__(self, mode: bool, check_nan: bool = True):
        global _anomaly, _anomaly_check_nan
        self._prev = (_anomaly, _anomaly_check_nan)
        _anomaly, _anomaly_check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        global _anomaly, _anomaly_check_nan
        _anomaly, _anomaly_check_nan = self._prev
        return False


class detect_anomaly:  # noqa: N801
    """Context manager and decorator that turns anomaly detection on inside it."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._mode = set_detect_anomaly(True, self.check_nan)

    def __exit__(self, *exc):
        return self._mode.__exit__(*exc)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper
