"""Graph nodes: what autograd records for each op.

A tensor made by a differentiable op points to its `grad_fn`, a Node. The node keeps
`next_functions` (one `(node, output_nr)` edge per input, `(None, 0)` for inputs that
need no gradient, as torch prints them), the values its backward needs, and the
shape/dtype of each input so the engine can reduce a broadcast gradient (`sum_to`)
and cast it back. Leaves that
require grad are reached through an `AccumulateGrad` node, as in torch.
"""

from __future__ import annotations

import itertools
import re
import weakref

from ..tensor import Tensor
from . import grad_mode

_sequence = itertools.count()
NO_EDGE = (None, 0)  # the edge of an input that needs no gradient (torch's `(None, 0)`)


class Node:
    """One recorded op. Subclasses implement `backward(self, *grads) -> grads per input`."""

    __slots__ = ("next_functions", "_input_meta", "_sequence_nr", "__dict__", "__weakref__")
    grad_fn_name = "Node"
    num_outputs = 1
    # Rarely set, so class-level defaults keep creating a node cheap:
    _saved = ()
    _saved_versions = ()
    _pre_hooks = None         # {id: hook(grad_outputs)}
    _hooks = None             # {id: hook(grad_inputs, grad_outputs)}
    _tensor_pre_hooks = None  # {output_nr: {id: hook(grad)}} from Tensor.register_hook
    _retained = None          # {output_nr: weakref to a tensor that called retain_grad()}
    _hooked = False           # set once any of the four above is: the engine checks only this

    def __init__(self):
        self.next_functions = ()
        self._input_meta = ()
        self._sequence_nr = next(_sequence)

    def name(self) -> str:
        return self.grad_fn_name

    def __repr__(self) -> str:
        return f"<{self.grad_fn_name} object at {hex(id(self))}>"

    def backward(self, *grads):
        raise RuntimeError(f"{self.grad_fn_name} has no backward")

    # ---- recording -------------------------------------------------------------------
    def connect(self, inputs) -> bool:
        """Record edges to `inputs` (tensors or plain values); True if any needs grad."""
        edges, meta, any_grad = [], [], False
        for x in inputs:
            if getattr(x, "_requires_grad", False):
                any_grad = True
                edges.append(gradient_edge(x))
                data = x._data
                meta.append((data.shape, data.dtype))
            else:
                edges.append(NO_EDGE)
                meta.append(None)
        self.next_functions = tuple(edges)
        self._input_meta = tuple(meta)
        self._sequence_nr = next(_sequence)
        return any_grad

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors for backward; an in-place change to one makes backward raise.

        Each tensor's version is kept beside it (None for a plain value saved by an op,
        such as the 2.0 of `x * 2.0`, which has no version to check).
        """
        saved, versions = [], []
        for t in tensors:
            if isinstance(t, Tensor):
                versions.append(t._vc[0])
                if t.grad_fn is self:
                    t = SavedOutput(t)
            else:
                versions.append(None)
            saved.append(t)
        self._saved = tuple(saved)
        self._saved_versions = tuple(versions)

    @property
    def saved_tensors(self) -> tuple:
        """The saved tensors, checked against in-place changes since they were saved."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access "
                "saved tensors after they have already been freed). Saved intermediate values "
                "of the graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        out = []
        for t, version in zip(saved, self._saved_versions):
            if version is not None:
                if t.__class__ is SavedOutput:
                    t = t.unpack(self)
                if t._vc[0] != version:
                    raise RuntimeError(_modified_message(t, version))
            out.append(t)
        return tuple(out)

    def release(self) -> None:
        """Free saved values after a backward without retain_graph."""
        if self._saved:
            self._saved = None

    # ---- hooks ------------------------------------------------------------------------
    def register_hook(self, hook):
        """hook(grad_inputs, grad_outputs) -> new grad_inputs or None, after backward."""
        if self._hooks is None:
            self._hooks = {}
        self._hooked = True
        return _add_hook(self._hooks, hook)

    def register_prehook(self, hook):
        """hook(grad_outputs) -> new grad_outputs or None, before backward."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        self._hooked = True
        return _add_hook(self._pre_hooks, hook)


class SavedOutput:
    """An op's own output saved for its backward, stored without its grad_fn.

    Saving the output tensor itself would make a cycle (tensor -> grad_fn -> tensor)
    that only the garbage collector could free; instead keep its array and version
    counter and rebuild the tensor, pointing at the node, when backward needs it.
    """

    __slots__ = ("data", "vc", "output_nr", "requires_grad")

    def __init__(self, t):
        self.data, self.vc, self.output_nr = t._data, t._vc, t._output_nr
        self.requires_grad = t._requires_grad

    def unpack(self, node):
        t = Tensor._make(self.data, self.requires_grad)
        t._vc = self.vc
        if self.requires_grad:
            t.grad_fn, t._output_nr = node, self.output_nr
        return t


def _modified_message(t, version: int) -> str:
    from ..tensor import legacy_type_name
    # torch 2.13 names the op without its "Backward0" suffix ("output 0 of Exp").
    where = (f", which is output {t._output_nr} of {_op_name(t.grad_fn)},"
             if t.grad_fn is not None else "")
    return ("one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{legacy_type_name(t)} [{', '.join(map(str, t.shape))}]]"
            f"{where} is at version {t._vc[0]}; expected version {version} instead. Hint: "
            "enable anomaly detection to find the operation that failed to compute its "
            "gradient, with ember.autograd.set_detect_anomaly(True, check_nan=False).")


def _op_name(node) -> str:
    """`ExpBackward0` -> `Exp`, `MyReluBackward` -> `MyRelu`; other names unchanged."""
    return re.sub(r"Backward\d*$", "", node.name())


class RemovableHandle:
    """Returned by register_hook: `handle.remove()` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self.id = next(RemovableHandle._ids)
        self._hooks = hooks

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _add_hook(hooks: dict, hook) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


class AccumulateGrad(Node):
    """The sink for a leaf tensor: adds the incoming gradient into `leaf.grad`."""

    __slots__ = ("variable",)
    grad_fn_name = "torch::autograd::AccumulateGrad"

    def __init__(self, variable):
        # Node.__init__ inlined: a leaf's accumulator is made anew in every forward
        # once the previous graph (its only owner) is gone.
        self.next_functions = self._input_meta = ()
        self._sequence_nr = next(_sequence)
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


def gradient_edge(t) -> tuple:
    """The (node, output_nr) edge through which gradient flows into tensor `t`."""
    fn = t.grad_fn
    if fn is not None:
        if t._base is not None and t._view_version != t._vc[0]:
            _refresh_view_history(t)
            fn = t.grad_fn
        return (fn, t._output_nr)
    ref = t._accumulator
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._accumulator = weakref.ref(acc)
    return (acc, 0)


def _refresh_view_history(view) -> None:
    """An in-place op changed the view's base after the view's history was recorded:
    the view's values now come from the base's new history, so rebuild it as an
    as_strided view of the base (torch's AsStridedBackward0)."""
    from ..ops.reshaping import as_strided
    base = view._base
    with grad_mode.enable_grad():
        fresh = as_strided(base, view.shape, view.stride(), view.storage_offset())
    view._view_version = view._vc[0]
    if fresh.grad_fn is not None:
        view.grad_fn, view._output_nr, view._requires_grad = fresh.grad_fn, 0, True


def recording() -> bool:
    return grad_mode._enabled
