"""Look at autograd graphs: DOT text (SVG/PNG through graphviz's `dot` when installed) and
a backward trace listing each node's op, shapes and gradient norms in execution order.

    loss = model(x).pow(2).mean()
    print(ember.viz.to_dot(loss, params=dict(model.named_parameters())))
    ember.viz.draw(loss, "graph.svg")          # needs graphviz's `dot` on PATH
    for row in ember.viz.backward_trace(loss):  # runs loss.backward()
        print(row)
"""

from __future__ import annotations

import math
import pathlib
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np


def _shape(shape) -> str:
    return "(" + ", ".join(str(int(d)) for d in shape) + ")"


def _nodes(root) -> list:
    """Every node reachable from `root`, each once, parents before children."""
    seen, order, stack = set(), [], [root]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        for nxt, _ in getattr(node, "next_functions", ()):
            if nxt is not None:
                stack.append(nxt)
    return order


def _saved_shapes(node) -> list[str]:
    shapes = []
    for t in getattr(node, "_saved", None) or ():
        if t is None:
            continue
        data = getattr(t, "data", None) if not hasattr(t, "_data") else t._data
        if data is not None and hasattr(data, "shape"):
            shapes.append(_shape(data.shape))
    return shapes


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _label(lines: list[str]) -> str:
    """DOT label text: each line escaped, joined by DOT's `\\n` line break."""
    return "\\n".join(_escape(line) for line in lines)


def to_dot(tensor, params: dict | None = None, show_saved: bool = True) -> str:
    """The autograd graph that produced `tensor` as Graphviz DOT text.

    One box per backward node (its grad_fn name, the shapes of the inputs it sends
    gradients to and, with `show_saved`, of the values it saved), one blue ellipse per leaf
    tensor (named from `params`, {name: tensor}, when given), edges pointing from inputs to
    outputs, and the output tensor in green.
    """
    names = {id(p): n for n, p in (params or {}).items()}
    root = getattr(tensor, "grad_fn", None)
    lines = ["digraph autograd {",
             '  graph [rankdir=BT, fontname="Helvetica"];',
             '  node [shape=box, style=filled, fillcolor="#eeeeee", fontname="Helvetica", '
             'fontsize=10];']
    out_id = "output"
    lines.append(f'  {out_id} [label="output\\n{_shape(tensor.shape)}", '
                 'shape=ellipse, fillcolor="#c8f0c8"];')
    if root is None:
        lines.append("}")
        return "\n".join(lines) + "\n"
    ids = {}
    for i, node in enumerate(_nodes(root)):
        ids[id(node)] = f"n{i}"
        variable = getattr(node, "variable", None)
        if variable is not None:  # AccumulateGrad: show the leaf
            name = names.get(id(variable), "")
            label = ([name] if name else []) + [_shape(variable.shape)]
            lines.append(f'  n{i} [label="{_label(label)}", shape=ellipse, '
                         'fillcolor="#cce0ff"];')
            continue
        label = [node.name()]
        meta = [m for m in getattr(node, "_input_meta", ()) if m is not None]
        if meta:
            label.append("in " + " ".join(_shape(m[0]) for m in meta))
        saved = _saved_shapes(node) if show_saved else []
        if saved:
            label.append("saved " + " ".join(saved))
        lines.append(f'  n{i} [label="{_label(label)}"];')
    for node in _nodes(root):
        for nxt, _ in getattr(node, "next_functions", ()):
            if nxt is not None:
                lines.append(f"  {ids[id(nxt)]} -> {ids[id(node)]};")
    lines.append(f"  {ids[id(root)]} -> {out_id};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw(tensor, path, params: dict | None = None, show_saved: bool = True) -> pathlib.Path:
    """Write the graph of `tensor` to `path`: .dot as text, .svg/.png/.pdf through
    graphviz's `dot` (RuntimeError naming the missing program when it is not on PATH)."""
    path = pathlib.Path(path)
    text = to_dot(tensor, params, show_saved)
    fmt = path.suffix.lstrip(".").lower()
    if fmt in ("dot", "gv", ""):
        path.write_text(text)
        return path
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(f"drawing {path.name} needs graphviz's `dot` program on PATH "
                           "(e.g. apt-get install graphviz); to_dot() gives the DOT text")
    subprocess.run([dot, f"-T{fmt}", "-o", str(path)], input=text.encode(), check=True)
    return path


@dataclass
class TraceRow:
    """One backward node as it ran: its position, op, the shapes and norms of the gradient
    it received (per output) and of the gradients it produced (per input)."""

    step: int
    op: str
    grad_out_shapes: list
    grad_out_norms: list
    grad_in_shapes: list
    grad_in_norms: list

    def __str__(self) -> str:
        def fmt(shapes, norms):
            return ", ".join(f"{s} |{n:.4g}|" if n is not None else "-"
                             for s, n in zip(shapes, norms)) or "-"
        return (f"{self.step:3d}  {self.op:<24s} grad in: "
                f"{fmt(self.grad_out_shapes, self.grad_out_norms)}  ->  grads out: "
                f"{fmt(self.grad_in_shapes, self.grad_in_norms)}")


def _norm(g):
    if g is None:
        return None, None
    a = np.asarray(g._data, dtype=np.float64)
    return _shape(a.shape), float(math.sqrt(float((a * a).sum())))


def backward_trace(tensor, gradient=None, retain_graph: bool | None = None,
                   print_rows: bool = False) -> list[TraceRow]:
    """Run `tensor.backward(gradient)` and return one `TraceRow` per node, in the order
    the engine ran them (each row: op name, incoming gradient shapes and norms, outgoing
    gradient shapes and norms). Leaves' `.grad` are filled as by a plain backward; the
    AccumulateGrad steps that write them are not listed."""
    root = getattr(tensor, "grad_fn", None)
    if root is None:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                           "grad_fn")
    rows: list[TraceRow] = []
    handles = []

    def make_hook(node):
        def hook(grad_inputs, grad_outputs):
            outs = [_norm(g) for g in grad_outputs]
            ins = [_norm(g) for g in grad_inputs]
            rows.append(TraceRow(len(rows), node.name(), [s for s, _ in outs],
                                 [n for _, n in outs], [s for s, _ in ins],
                                 [n for _, n in ins]))
        return hook

    for node in _nodes(root):
        handles.append(node.register_hook(make_hook(node)))
    try:
        tensor.backward(gradient, retain_graph=retain_graph)
    finally:
        for h in handles:
            h.remove()
    if print_rows:
        for row in rows:
            print(row)
    return rows


def format_trace(rows) -> str:
    return "\n".join(str(r) for r in rows)


__all__ = ["TraceRow", "backward_trace", "draw", "format_trace", "to_dot"]
