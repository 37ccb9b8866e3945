"""The backward engine: walk the graph from the outputs and apply each node's backward.

1. Seed the roots' gradient buffers and discover every node reachable from them.
2. Run the nodes latest-created first (torch's sequence numbers). An op is always
   recorded after the ops that made its inputs, so every edge leads to an older node:
   by the time a node runs, every node that feeds it a gradient has run (micrograd's
   topological sort, for free).
3. Each gradient a node returns is made to fit its input: reduced to the input's
   shape when the op broadcast (`sum_to_shape`, the one broadcasting rule) and cast
   to the input's dtype; then it is added into the next node's buffer.
4. `AccumulateGrad` nodes add into `leaf.grad`. `autograd.grad` instead captures the
   gradients reaching the requested inputs and leaves every `.grad` untouched.
"""

from __future__ import annotations

from operator import attrgetter
from sys import getrefcount

import numpy as np

from ..backend import namespace
from ..tensor import Tensor
from . import grad_mode
from .hooks import run_hooks, run_post_accumulate_hooks
from .node import AccumulateGrad, gradient_edge


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None) -> None:
    """Accumulate the gradients of `tensors` w.r.t. graph leaves into their `.grad`.

    `grad_tensors` holds one upstream gradient per tensor (None for a scalar, meaning
    1); with `inputs`, only those tensors (leaves or not) receive `.grad`.
    """
    if grad_variables is not None:
        if grad_tensors is not None:
            raise RuntimeError("`grad_tensors` and `grad_variables` (deprecated) arguments "
                               "both passed to `backward()`. Please only use `grad_tensors`.")
        grad_tensors = grad_variables
    tensors = _as_tuple(tensors)
    grads = _root_grads(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    targets = None
    if inputs is not None:
        inputs = _inputs_tuple(inputs, "backward")
        targets = [gradient_edge(t) for t in inputs]
    handed_out: set = set()
    captured = _run(tensors, grads, retain_graph, create_graph, targets, handed_out)
    if inputs is not None:
        # backward(inputs=...) accumulates into exactly those tensors, leaves or not.
        for t, g in zip(inputs, captured):
            if g is not None:
                _accumulate_into(t, g, create_graph, handed_out)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False,
         materialize_grads=False):
    """The gradients of `outputs` w.r.t. `inputs`, returned instead of accumulated.

    No `.grad` is touched. With `is_grads_batched`, the first dim of every
    `grad_outputs` entry is a batch of upstream gradients and each result gets the
    same leading batch dim (computed here one backward per batch entry).
    """
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _as_tuple(outputs)
    as_dict = inputs if type(inputs) is dict else None
    inputs = _inputs_tuple(inputs, "grad")
    if is_grads_batched:
        result = _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                               allow_unused, materialize_grads)
        return dict(zip(as_dict, result)) if as_dict is not None else result
    grads = _root_grads(outputs, grad_outputs)
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    targets = [gradient_edge(t) for t in inputs]
    captured = _run(outputs, grads, retain_graph, create_graph, targets, set())
    result = []
    for i, (t, g) in enumerate(zip(inputs, captured)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                from ..creation import zeros_like
                g = zeros_like(t, requires_grad=bool(create_graph))
        result.append(g)
    result = tuple(result)
    return dict(zip(as_dict, result)) if as_dict is not None else result


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads):
    from ..ops.shape import stack
    batches = _as_tuple(grad_outputs)
    n = batches[0].shape[0]
    for i, (out, g) in enumerate(zip(outputs, batches)):
        if tuple(g.shape[1:]) != tuple(out.shape):
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions "
                f"are expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{i}] has a shape of {g.shape[1:]} and output[{i}] has "
                f"a shape of {out.shape}. If you only want some tensors in `grad_output` to be "
                "considered batched, consider using vmap.")
    per_entry = [grad(outputs, inputs, [g[b] for g in batches],
                      retain_graph=True if b < n - 1 else retain_graph,
                      create_graph=create_graph, allow_unused=allow_unused,
                      materialize_grads=materialize_grads) for b in range(n)]
    return tuple(None if per_entry[0][k] is None else stack([r[k] for r in per_entry])
                 for k in range(len(inputs)))


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    if isinstance(x, (tuple, list)):
        return tuple(x)
    return (x,)


def _inputs_tuple(inputs, where: str) -> tuple:
    """`inputs` of backward()/grad(): a tensor, a sequence, or a dict of tensors."""
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    elif type(inputs) is dict:
        inputs = tuple(inputs.values())
    else:
        inputs = tuple(inputs)
    if len(inputs) == 0:
        raise RuntimeError(f"`inputs` argument to `{where}()` cannot be empty.")
    return inputs


def _root_grads(tensors, grad_tensors) -> list:
    """One upstream gradient per root (torch's `_make_grads`), cast to its dtype.

    Like torch, extra gradients are ignored (zip), missing ones are an error.
    """
    if grad_tensors is None and len(tensors) == 1:
        t = tensors[0]  # the common `loss.backward()`: implicit 1 for a float scalar
        data = t._data
        if t._requires_grad and data.size == 1 and data.dtype.kind == "f":
            # not ones(): NumPy's is Python-level and costs 4x this
            one = namespace(data).array(1, data.dtype)
            return [Tensor._make(one.reshape(data.shape) if data.ndim else one)]
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,)
    else:
        grad_tensors = tuple(grad_tensors)
    out = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if isinstance(g, Tensor):
            if g._data.shape != t._data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{g.shape} and output[{i}] has a shape of {t.shape}.")
            if g.dtype.is_complex != t.dtype.is_complex:
                raise RuntimeError(
                    "For complex Tensors, both grad_output and output are required to have "
                    f"the same dtype. Mismatch in dtype: grad_output[{i}] has a dtype of "
                    f"{g.dtype} and output[{i}] has a dtype of {t.dtype}.")
            if g._data.dtype != t._data.dtype:
                g = Tensor._make(g._data.astype(t._data.dtype))
        elif g is None:
            if t._requires_grad:
                if t._data.size != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if not t.dtype.is_floating_point:
                    raise RuntimeError("grad can be implicitly created only for real scalar "
                                       f"outputs but got {t.dtype}")
                g = Tensor._make(namespace(t._data).ones_like(t._data))
        else:
            raise TypeError("gradients can be either Tensors or None, but got "
                            f"{type(g).__name__}")
        out.append(g)
    if len(out) != len(tensors):
        raise RuntimeError(f"got {len(tensors)} tensors and {len(out)} gradients")
    for i, t in enumerate(tensors):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
    return out


def _discover(root_nodes) -> set:
    """Every node reachable from the roots."""
    seen = set(root_nodes)
    stack = list(seen)
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _needed(nodes, target_nodes) -> set:
    """Nodes from which some target can be reached (the only ones worth running).

    `nodes` is in execution order (parents before children), so one sweep in reverse
    sees every child's answer before its parents'.
    """
    needed = set(target_nodes)
    for node in reversed(nodes):
        if node not in needed and any(child in needed for child, _ in node.next_functions):
            needed.add(node)
    return needed


_by_sequence = attrgetter("_sequence_nr")


def _run(roots, root_grads, retain_graph, create_graph, targets, handed_out: set):
    """Execute the graph; return the gradients captured at `targets` (edges) if any.

    `handed_out` collects the ids of arrays stored as some `.grad`, so that no two
    `.grad`s ever share one array.
    """
    # Seed the roots' gradient buffers; their keys are the root nodes.
    buffers: dict = {}
    for t, g in zip(roots, root_grads):
        node, nr = gradient_edge(t)
        _add_to_buffer(buffers, node, nr, g, create_graph)
        handed_out.add(id(g._data))
    # Run latest-created first, as torch does. An op is always recorded after the ops
    # that made its inputs, so every edge leads to an older node: this order is also a
    # topological one (a node runs only after every node feeding it a gradient), and
    # no dependency counting or ready queue is needed.
    nodes = sorted(_discover(buffers), key=_by_sequence, reverse=True)
    needed = capture = None
    if targets is not None:
        needed = _needed(nodes, {node for node, _ in targets})
        # Roots still run (and free their saved values); other unneeded nodes are skipped.
        nodes = [n for n in nodes if n in needed or n in buffers]
        capture = {(id(node), nr): None for node, nr in targets}

    check_nan = grad_mode._anomaly and grad_mode._anomaly_check_nan
    prev = grad_mode._enabled
    grad_mode._enabled = bool(create_graph)
    try:
        for node in nodes:
            grads = buffers.pop(node, None)
            if grads is None:
                grads = [None] * node.num_outputs
            hooked = node._hooked  # one flag, so that nodes without hooks pay one lookup
            if hooked:
                grads = _apply_tensor_hooks(node, grads, handed_out)
            if node.__class__ is AccumulateGrad:
                g, leaf = grads[0], node.variable
                if g is not None:
                    if leaf._hooks:
                        g = run_hooks(leaf._hooks, g)
                    if capture is not None:
                        capture[(id(node), 0)] = g
                    elif leaf._requires_grad:  # it may have been switched off since
                        _accumulate_into(leaf, g, create_graph, handed_out)
                        if leaf._post_accumulate_hooks:
                            run_post_accumulate_hooks(leaf)
                continue
            if capture is not None:
                for nr, g in enumerate(grads):
                    key = (id(node), nr)
                    if key in capture and g is not None:
                        capture[key] = g
            if (needed is None or node in needed) and (
                    grads[0] is not None or any(g is not None for g in grads)):
                results = node.backward(*grads)
                if results.__class__ is not tuple:
                    results = (results,)
                if hooked and node._hooks:
                    results = _run_post_hooks(node, grads, results)
                if check_nan:
                    _check_nan(node, results)
            else:
                results = ()
            if not retain_graph and node._saved:
                node._saved = None  # free saved values (a second backward then raises)

            # Pass each input's gradient down its edge (the hottest loop: kept inline).
            # zip stops at the shorter: a backward may return fewer gradients than edges.
            for i, (g, (child, nr), meta) in enumerate(
                    zip(results, node.next_functions, node._input_meta)):
                if g is None or child is None or (needed is not None and child not in needed):
                    continue
                data = g._data
                if data.shape != meta[0] or data.dtype != meta[1]:
                    g = _fit_to_input(node, i, g)
                buf = buffers.get(child)
                if buf is None:
                    buffers[child] = [g] if child.num_outputs == 1 else _slots(child, nr, g)
                elif buf[nr] is None:
                    buf[nr] = g
                else:
                    buf[nr] = _sum(buf[nr], g, create_graph)
    finally:
        grad_mode._enabled = prev
    if targets is None:
        return None
    return [capture[(id(node), nr)] for node, nr in targets]


def _check_nan(node, results) -> None:
    """Anomaly mode: name the first node whose backward produced a NaN."""
    for i, g in enumerate(results):
        if g is not None and np.isnan(g._data).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               "output.")


def _apply_tensor_hooks(node, grads: list, handed_out: set) -> list:
    """Hooks registered on the node's output tensors, retain_grad, then node pre-hooks."""
    if node._tensor_pre_hooks:
        for nr, hooks in node._tensor_pre_hooks.items():
            if grads[nr] is not None:
                grads[nr] = run_hooks(hooks, grads[nr])
    if node._retained:
        for nr, ref in node._retained.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                g = grads[nr]
                t._grad = g if t._grad is None else t._grad + g
                handed_out.add(id(t._grad._data))  # never also a leaf's .grad
    if node._pre_hooks:
        for hook in list(node._pre_hooks.values()):
            new = hook(tuple(grads))
            if new is not None:
                grads = list(new)
    return grads


def _run_post_hooks(node, grads, results) -> tuple:
    """Node post-hooks: hook(grad_inputs, grad_outputs) may replace the gradients.

    Hooks see gradients already fitted to their inputs (reduced over broadcast dims,
    cast), and None for inputs that need no gradient, as in torch.
    """
    results = tuple(None if e[0] is None or r is None else _fit_to_input(node, i, r)
                    for i, (r, e) in enumerate(zip(results, node.next_functions)))
    for hook in list(node._hooks.values()):
        new = hook(results, tuple(grads))
        if new is not None:
            results = tuple(new)
    return results


def _fit_to_input(node, i: int, g):
    """Reduce a broadcast gradient to the input's shape and cast it to its dtype."""
    shape, np_dtype = node._input_meta[i]
    if g._data.shape != shape:
        from ..ops.reduction import sum_to_shape
        try:
            if not grad_mode._enabled and g.__class__ is Tensor and \
                    g._data.__class__ is np.ndarray:
                # No graph to build (and no tangent or batch to carry): reduce the array.
                g = Tensor._make(_sum_array_to_shape(g._data, shape))
            else:
                g = sum_to_shape(g, shape)
        except ValueError:
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got "
                f"[{', '.join(map(str, g.shape))}] but expected shape compatible with "
                f"[{', '.join(map(str, shape))}]") from None
    if g._data.dtype != np_dtype:
        from ..dtypes import from_numpy_dtype
        g = g.to(from_numpy_dtype(np_dtype))
    return g


def _sum_array_to_shape(data, shape: tuple):
    """`sum_to_shape` on an array: the same sums (half accumulated in float32, as
    torch and ember's sum do), without the ops; ValueError when `shape` does not fit."""
    gshape = data.shape
    lead = len(gshape) - len(shape)
    if lead < 0:
        raise ValueError
    axes = list(range(lead))
    kept = False  # some dim of `shape` is 1 where the gradient's is not
    for i, size in enumerate(shape):
        n = gshape[lead + i]
        if size == 1 and n != 1:
            axes.append(lead + i)
            kept = True
        elif size != n:
            raise ValueError
    if not axes:  # only leading 1s to drop
        return data.reshape(shape)
    acc = np.float32 if data.dtype == np.float16 else None
    if kept:
        out = np.add.reduce(data, axis=tuple(axes), dtype=acc, keepdims=True).reshape(shape)
    else:
        out = np.add.reduce(data, axis=tuple(axes), dtype=acc)
    return out if acc is None else out.astype(np.float16)


def _add_to_buffer(buffers: dict, node, nr: int, g, create_graph: bool) -> None:
    buf = buffers.get(node)
    if buf is None:
        buffers[node] = _slots(node, nr, g)
    else:
        buf[nr] = g if buf[nr] is None else _sum(buf[nr], g, create_graph)


def _slots(node, nr: int, g) -> list:
    """A node's gradient buffer: one slot per output, `g` in slot `nr`."""
    buf = [None] * node.num_outputs
    buf[nr] = g
    return buf


def _sum(a, b, create_graph: bool):
    """Two gradients for one tensor (same shape and dtype by now) added up.

    Without create_graph nothing records, so add the arrays and skip the op machinery.
    """
    if create_graph:
        return a + b
    return Tensor._make(a._data + b._data)


def _sole_view(data) -> bool:
    """Whether `data` views all of an array that nothing but `data` refers to.

    A backward that computes a fresh product and returns it transposed (addmm's weight
    gradient, moved back through F.linear's W.t()) hands the leaf such a view: the
    array behind it is fresh and unseen, so the leaf may keep it instead of copying.
    Any tensor, view or `.grad` that also used the array would hold a reference to it.
    """
    base = data.base
    # references: data's base pointer, `base` here and getrefcount's argument
    return (base.__class__ is np.ndarray and base.base is None
            and base.nbytes == data.nbytes and getrefcount(base) == 3)


def _accumulate_into(t, g, create_graph: bool, handed_out: set) -> None:
    """leaf.grad += g, stealing g's array when nothing else can see it."""
    if t._grad is None:
        if create_graph:
            t._grad = g
            return
        data = g._data
        if not (data.flags.c_contiguous and id(data) not in handed_out and (
                data.base is None or _sole_view(data))):
            data = data.copy()
        handed_out.add(id(data))
        t._grad = Tensor._make(data)
    elif create_graph or t._grad._requires_grad:
        t._grad = t._grad + g
    else:
        t._grad._data += g._data  # in place, so views of .grad (flat buffers) see it
        t._grad._vc[0] += 1
