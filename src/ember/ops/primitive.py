"""The pattern every op follows: a Primitive is the op *and* its graph node.

    class Exp(Primitive):
        grad_fn_name = "ExpBackward0"
        save_output = True

        def forward(self, x):             # backend arrays in, array out
            return np.exp(x)

        def backward(self, grad):         # ember Tensors in, one grad per input out
            result, = self.saved_tensors
            return grad * result

`Exp.apply(t)` unwraps the tensors, runs `forward`, wraps the result, and - only when
grad mode is on and some input requires grad - records the node in the graph and
saves what `save_inputs`/`save_output` name. Because `backward` is written with ember
ops, gradients of gradients (`create_graph=True`) come for free. Whatever `forward`
stores on `self` (shapes, dims, masks) is there for `backward` too.
"""

from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..autograd.node import NO_EDGE, Node, SavedOutput, _sequence, gradient_edge
from ..tensor import Tensor

_FLOATING_KINDS = ("f", "c")


class Primitive(Node):
    """One differentiable op: `forward` on arrays, `backward` with ember ops."""

    save_inputs: tuple = ()     # indices of inputs that backward reads from saved_tensors
    save_output: bool = False   # also save the (first) output, after the inputs
    is_view: bool = False       # output aliases input 0 (shares its version counter)

    def __init__(self):  # noqa: D107 - nodes are set up by `connect` when recorded
        pass

    def forward(self, *arrays, **params):
        raise TypeError(f"{type(self).__name__} defines no forward")

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on tensors (and plain Python values) and record it if needed."""
        node = cls.__new__(cls)
        if len(inputs) == 1:  # most ops take one tensor: no list to build
            x = inputs[0]
            out = node.forward(x._data if isinstance(x, Tensor) else x, **params)
        else:
            out = node.forward(*[x._data if isinstance(x, Tensor) else x for x in inputs],
                               **params)
        return node.finish(out, inputs)

    def finish(self, out, inputs):
        """Wrap forward's array(s) as tensors and connect them to the graph."""
        if grad_mode._enabled:
            for x in inputs:
                if getattr(x, "_requires_grad", False):
                    return self._record(out, inputs)
        # Not recorded: the common inference path, kept short.
        if out.__class__ is tuple:
            return tuple(self._wrap(o, inputs, i, False) for i, o in enumerate(out))
        if self.is_view:
            return self._wrap(out, inputs, 0, False)
        return _make(out)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # _record's inlined path holds for ops that keep the base wrapping and saving
        cls._custom_record = (cls._wrap is not Primitive._wrap or cls.connect is not Node.connect
                              or cls.save_for_backward is not Node.save_for_backward)

    _custom_record = False

    def _record(self, out, inputs):
        if out.__class__ is tuple or self.is_view or self._custom_record:
            return self._record_general(out, inputs)
        # One output, not a view (most ops): connect, _wrap and save_for_backward
        # inlined, the same steps without three calls and their generality.
        edges, meta = [], []
        for x in inputs:
            if getattr(x, "_requires_grad", False):
                edges.append(gradient_edge(x))
                data = x._data
                meta.append((data.shape, data.dtype))
            else:
                edges.append(NO_EDGE)
                meta.append(None)
        self.next_functions = tuple(edges)
        self._input_meta = tuple(meta)
        self._sequence_nr = next(_sequence)
        t = _make(out)
        if t._data.dtype.kind in _FLOATING_KINDS:
            t._requires_grad = True
            t.grad_fn = self
        if self.save_inputs or self.save_output:
            saved = self.inputs_to_save(inputs)
            versions = [x._vc[0] if isinstance(x, Tensor) else None for x in saved]
            if self.save_output:
                # the op's own output without its grad_fn (no tensor <-> node cycle)
                saved.append(SavedOutput(t) if t.grad_fn is self else t)
                versions.append(t._vc[0])
            self._saved = tuple(saved)
            self._saved_versions = tuple(versions)
        return t

    def _record_general(self, out, inputs):
        self.connect(inputs)
        if out.__class__ is tuple:
            outs = tuple(self._wrap(o, inputs, i, True) for i, o in enumerate(out))
            first = outs[0]
        else:
            outs = first = self._wrap(out, inputs, 0, True)
        if self.save_inputs or self.save_output:
            saved = self.inputs_to_save(inputs)
            if self.save_output:
                saved.append(first)
            self.save_for_backward(*saved)
        return outs

    def inputs_to_save(self, inputs) -> list:
        """The inputs backward will read (`save_inputs`); None where one is not needed."""
        return [inputs[i] for i in self.save_inputs]

    def _wrap(self, array, inputs, nr: int, record: bool) -> Tensor:
        t = _make(array)
        if self.is_view and nr == 0:
            src = inputs[0]
            # An empty result is still a view in torch (`x[:, 4:]` of a (3, 4) tensor),
            # though NumPy says it shares no memory. NumPy's `base` answers the usual
            # case (a view of the input, or of what the input views) without
            # may_share_memory's cost.
            data, base = src._data, array.base
            if (array is data or (base is not None and (base is data or base is data.base))
                    or array.size == 0 or np.may_share_memory(array, data)):
                mark_view(t, src)
        if record and t._data.dtype.kind in _FLOATING_KINDS:
            t._requires_grad = True
            t.grad_fn = self
            if nr:
                t._output_nr = nr
        return t


_make = Tensor._make


def mark_view(t: Tensor, src: Tensor) -> None:
    """Make `t` a view of `src`: same version counter, same base.

    `_view_version` remembers the version the view's history was made at; when an
    in-place op later changes the base (or a sibling view), the autograd engine sees
    the counter moved on and rebuilds the view's history from the base's
    (`autograd.node.gradient_edge`), as torch does.
    """
    t._vc = src._vc
    t._base = src if src._base is None else src._base
    t._view_version = src._vc[0]


def wrap_array(array) -> Tensor:
    """A plain (non-differentiable) tensor around an array."""
    return Tensor._make(array)
