"""Custom differentiable functions: `class MyRelu(ember.autograd.Function)`.

    class MyRelu(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp_min(0.)

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return grad_output * (x > 0).float()

`MyRelu.apply(x)` runs `forward` without recording (its inside is opaque to
autograd), then records one node, `MyReluBackward`, whose backward calls yours. The
ctx *is* that node, as in torch, so it has `saved_tensors`, `needs_input_grad` and
anything you store on it.
"""

from __future__ import annotations

from . import grad_mode
from .node import Node


class FunctionCtx(Node):
    """The `ctx` of a custom Function (also its graph node)."""

    def __init__(self):
        super().__init__()
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._non_differentiable = set()
        self._dirty = set()
        self._to_save = None

    def save_for_backward(self, *tensors) -> None:
        from ..tensor import Tensor
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{i} is of type {type(t).__name__}")
        # Deferred until the outputs exist, so an output can be saved without a cycle.
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors) -> None:
        self._dirty.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


class BackwardCFunction(FunctionCtx):
    """The node recorded for one call of a custom Function."""

    _function = None  # the user's Function subclass, set per generated subclass

    def backward(self, *grads):
        if self.materialize_grads:
            grads = tuple(g if g is not None else _zeros_for(self, i) for i, g in
                          enumerate(grads))
        result = self._function.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        expected = len(self.next_functions)
        if len(result) > expected and all(r is None for r in result[expected:]):
            result = result[:expected]
        if len(result) != expected:
            raise RuntimeError(f"function {self.grad_fn_name} returned an incorrect number of "
                               f"gradients (expected {expected}, got {len(result)})")
        from ..tensor import Tensor
        for r in result:
            if r is not None and not isinstance(r, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(r).__name__})")
        return result


def _zeros_for(node, i: int):
    import numpy as np

    from ..tensor import Tensor
    shape, dtype = node._output_meta[i]
    return Tensor._make(np.zeros(shape, dtype))


class Function:
    """Base class for ops with a hand-written backward. Call them with `.apply`."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward "
                                  "mode AD.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        """Override to use the torch 2 style `forward(*args)` + `setup_context`."""

    vjp = backward

    @classmethod
    def _node_class(cls):
        node_cls = cls.__dict__.get("_backward_cls")
        if node_cls is None:
            node_cls = type(f"{cls.__name__}Backward", (BackwardCFunction,),
                            {"_function": cls, "grad_fn_name": f"{cls.__name__}Backward"})
            cls._backward_cls = node_cls
        return node_cls

    @classmethod
    def apply(cls, *args, **kwargs):
        from ..tensor import Tensor
        ctx = cls._node_class()()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        with grad_mode.no_grad():
            if _overrides_setup_context(cls):
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if not single:
            ctx.num_outputs = len(outs)  # backward receives one gradient per output
        record = grad_mode._enabled and ctx.connect(args)
        wrapped = []
        for nr, o in enumerate(outs):
            if isinstance(o, Tensor):
                non_differentiable = id(o) in ctx._non_differentiable  # before any alias
                if any(o is a for a in args) and id(o) not in ctx._dirty:
                    o = o.detach()  # an input passed through: return an alias, not the input
                if record and not non_differentiable and (
                        o.dtype.is_floating_point or o.dtype.is_complex):
                    o.grad_fn, o._output_nr, o._requires_grad = ctx, nr, True
                if id(o) in ctx._dirty:
                    o._vc[0] += 1  # it was modified in place by forward
            wrapped.append(o)
        ctx._output_meta = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else
                            ((), None) for o in wrapped]
        if ctx._to_save is not None:
            Node.save_for_backward(ctx, *ctx._to_save)
        return wrapped[0] if single else tuple(wrapped)


def _overrides_setup_context(cls) -> bool:
    return any("setup_context" in k.__dict__ for k in cls.__mro__ if k is not Function)


def once_differentiable(fn):
    """Mark a backward that cannot itself be differentiated (torch's decorator).

    The backward runs without recording. When the incoming gradients require grad
    (a double backward is being built), its results are routed through a node that
    raises if anyone later tries to differentiate them.
    """
    import functools

    from ..tensor import Tensor

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            outputs = fn(ctx, *args)
        if not grad_mode._enabled or not any(
                isinstance(a, Tensor) and a._requires_grad for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        # An alias that requires grad, so the error node is recorded.
        marked = tuple(_DelayedError.apply(o.detach().requires_grad_())
                       if isinstance(o, Tensor) and o._data.dtype.kind in "fc" else o
                       for o in outs)
        return marked[0] if single else marked
    return wrapper


class _DelayedError(Function):
    """Passes a value through; differentiating it raises (see once_differentiable)."""

    @staticmethod
    def forward(ctx, x):
        return x.detach()

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


# torch's node: repr `<Error object at 0x...>`, name() `torch::autograd::Error`.
_DelayedError._backward_cls = type("Error", (BackwardCFunction,), {
    "_function": _DelayedError, "grad_fn_name": "torch::autograd::Error",
    "__repr__": lambda self: f"<Error object at {hex(id(self))}>"})
