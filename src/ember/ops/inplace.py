"""In-place ops (`x.add_(y)`, `x.zero_()`, ...): the out-of-place op, written back.

An in-place op computes its result with the ordinary primitive, then writes the
values into the tensor's own memory (so its views see them) and bumps the version
counter it shares with those views. When the op was recorded, the tensor takes
over the result's `grad_fn`: its history is rebased onto the new node. torch's rules
apply: a leaf that requires grad cannot be changed in place while grad is on, and
the result must be castable to the tensor's dtype.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import grad_mode
from ..tensor import Tensor
from . import elementwise as ew


def check_inplace(t: Tensor) -> None:
    """Refuse an in-place change to a leaf that requires grad (while grad is on)."""
    if grad_mode._enabled and t._requires_grad and t.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")


def commit_inplace(t: Tensor, result: Tensor) -> Tensor:
    """Write `result` into `t`'s memory, bump its version and take over the history."""
    res_dtype, own = dtypes.from_numpy_dtype(result._data.dtype), t.dtype
    if not dtypes.can_cast(res_dtype, own):
        raise RuntimeError(f"result type {_short(res_dtype)} can't be cast to the desired "
                           f"output type {_short(own)}")
    if result._data.shape != t._data.shape:
        try:
            np.broadcast_to(result._data, t._data.shape)
        except ValueError:
            raise RuntimeError(
                f"output with shape [{', '.join(map(str, t.shape))}] doesn't match the "
                f"broadcast shape [{', '.join(map(str, result.shape))}]") from None
    node = result.grad_fn
    if node is not None:
        _keep_old_value(node, t)
    np.copyto(t._data, result._data, casting="unsafe")
    t._vc[0] += 1
    if node is not None:
        t.grad_fn, t._output_nr, t._requires_grad = node, 0, True
    return t


def _keep_old_value(node, t: Tensor) -> None:
    """If the node saved `t` itself, save a copy of its current value instead."""
    saved = node._saved
    if not saved or not any(s is t for s in saved):
        return
    old = Tensor._make(t._data.copy(), t._requires_grad)
    old.grad_fn, old._output_nr = t.grad_fn, t._output_nr
    node._saved = tuple(old if s is t else s for s in saved)
    node._saved_versions = tuple(0 if s is t else v for s, v in zip(saved, node._saved_versions))


def _short(d) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble"}[d.name]


def _inplace(t: Tensor, compute) -> Tensor:
    check_inplace(t)
    return commit_inplace(t, compute())


def add_(input, other, *, alpha=1):
    return _inplace(input, lambda: ew.add(input, other, alpha=alpha))


def sub_(input, other, *, alpha=1):
    return _inplace(input, lambda: ew.sub(input, other, alpha=alpha))


def mul_(input, other):
    return _inplace(input, lambda: ew.mul(input, other))


def div_(input, other, *, rounding_mode=ew._UNSET):
    return _inplace(input, lambda: ew.div(input, other, rounding_mode=rounding_mode))


def pow_(input, exponent):
    return _inplace(input, lambda: ew.pow(input, exponent))


def clamp_(input, min=None, max=None):  # noqa: A002
    return _inplace(input, lambda: ew.clamp(input, min, max))


def clamp_min_(input, min):  # noqa: A002
    return _inplace(input, lambda: ew.clamp_min(input, min))


def clamp_max_(input, max):  # noqa: A002
    return _inplace(input, lambda: ew.clamp_max(input, max))


def relu_(input):
    return _inplace(input, lambda: ew.relu(input))


def neg_(input):
    return _inplace(input, lambda: ew.neg(input))


def exp_(input):
    return _inplace(input, lambda: ew.exp(input))


def sqrt_(input):
    return _inplace(input, lambda: ew.sqrt(input))


def abs_(input):
    return _inplace(input, lambda: ew.abs(input))


def sigmoid_(input):
    return _inplace(input, lambda: ew.sigmoid(input))


def tanh_(input):
    return _inplace(input, lambda: ew.tanh(input))


def log_(input):
    return _inplace(input, lambda: ew.log(input))


def zero_(input):
    """Fill with zeros."""
    return fill_(input, 0)


def fill_(input, value):
    """Fill with one value (a number or a 0-dim tensor)."""
    check_inplace(input)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions.")
        if grad_mode._enabled and (input._requires_grad or value._requires_grad):
            return commit_inplace(input, ew.add(ew.mul(input, 0), value))
        value = value.item()
    if grad_mode._enabled and input._requires_grad:
        return commit_inplace(input, ew.add(ew.mul(input, 0), value))
    input._data.fill(value)
    input._vc[0] += 1
    return input


def copy_(input, src, non_blocking=False):
    """Copy `src`'s values (broadcast, cast) into `input`."""
    check_inplace(input)
    if not isinstance(src, Tensor):
        src = Tensor._make(np.asarray(src))
    if grad_mode._enabled and (input._requires_grad or src._requires_grad):
        from .conversion import to_copy
        from .shape import expand
        moved = to_copy(expand(src, input.shape), input.dtype, None)
        result = ew.add(ew.mul(input, 0), moved) if input._requires_grad else moved
        result.grad_fn.grad_fn_name = "CopyBackwards"
        return commit_inplace(input, result)
    try:
        np.copyto(input._data, src._data, casting="unsafe")
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({input.shape[-1] if input.ndim else 1}) must "
                           f"match the size of tensor b ({src.shape[-1] if src.ndim else 1}) at "
                           "non-singleton dimension "
                           f"{max(input.ndim - 1, 0)}") from None
    input._vc[0] += 1
    return input
