"""ember.viz: the autograd graph as DOT text (the same nodes and edges as torch's graph) and
the backward trace (torch's node order, gradient shapes and norms)."""

import re
import shutil
from collections import Counter

import numpy as np
import pytest
import torch

import ember
from ember import viz


def model_and_loss(lib):
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = lib.tensor(np.linspace(-1, 1, 15, dtype=np.float32).reshape(5, 3))
    loss = (model(x).softmax(-1) * 3).pow(2).mean()
    return model, loss


def torch_graph(root):
    """Node names and (input name -> output name) edges of torch's graph."""
    seen, names, edges, stack = set(), [], [], [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        names.append(node.name().replace("torch::autograd::", ""))
        for nxt, _ in node.next_functions:
            if nxt is not None:
                edges.append((nxt.name().replace("torch::autograd::", ""), names[-1]))
                stack.append(nxt)
    return Counter(names), Counter(edges)


def dot_graph(text):
    labels = dict(re.findall(r'^\s+(n\d+) \[label="([^"\\]*(?:\\.[^"\\]*)*)"', text, re.M))
    first = {k: v.split("\\n")[0] for k, v in labels.items()}
    kinds = {k: ("AccumulateGrad" if 'shape=ellipse' in line else first[k])
             for k, line in re.findall(r"^\s+(n\d+) (\[.*)$", text, re.M)}
    edges = [(kinds[a], kinds[b]) for a, b in re.findall(r"^\s+(n\d+) -> (n\d+);", text, re.M)]
    return Counter(kinds.values()), Counter(edges), labels


def test_dot_has_torchs_nodes_and_edges():
    model, loss = model_and_loss(ember)
    tmodel, tloss = model_and_loss(torch)
    text = viz.to_dot(loss, params=dict(model.named_parameters()))
    assert text.startswith("digraph autograd {") and text.rstrip().endswith("}")
    names, edges, labels = dot_graph(text)
    want_names, want_edges = torch_graph(tloss.grad_fn)
    assert names == want_names
    assert edges == want_edges
    leaf_labels = sorted(v.split("\\n")[0] for v in labels.values() if "(" in v
                         and v.split("\\n")[0] in dict(model.named_parameters()))
    assert leaf_labels == sorted(dict(tmodel.named_parameters()))
    assert "saved (5, 2)" in text          # softmax saves its (5, 2) output
    assert 'output [label="output\\n()"' in text


def test_dot_of_a_leaf_and_escaping():
    x = ember.ones(2, 3, requires_grad=True)
    text = viz.to_dot(x)
    assert "output" in text and "->" not in text
    y = (x * 2).sum()
    text = viz.to_dot(y, params={'a"b\\c': x})
    assert 'label="a\\"b\\\\c\\n(2, 3)"' in text


def test_draw_writes_dot_and_needs_graphviz_for_images(tmp_path, monkeypatch):
    x = ember.ones(2, requires_grad=True)
    y = (x.exp() * x).sum()
    path = viz.draw(y, tmp_path / "g.dot")
    assert path.read_text() == viz.to_dot(y)
    if shutil.which("dot"):
        svg = viz.draw(y, tmp_path / "g.svg")
        assert "<svg" in svg.read_text()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="needs graphviz's `dot` program on PATH"):
        viz.draw(y, tmp_path / "g.png")


def test_backward_trace_follows_torchs_order_shapes_and_norms():
    model, loss = model_and_loss(ember)
    tmodel, tloss = model_and_loss(torch)
    rows = viz.backward_trace(loss)
    want = []

    def hook_for(node):
        def hook(grad_inputs, grad_outputs):
            want.append((node.name(), [tuple(g.shape) if g is not None else None
                                       for g in grad_outputs],
                         [float(g.norm()) if g is not None else None for g in grad_inputs]))
        return hook
    seen, stack = set(), [tloss.grad_fn]
    while stack:
        node = stack.pop()
        if node in seen or node.name().endswith("AccumulateGrad"):
            continue
        seen.add(node)
        node.register_hook(hook_for(node))
        stack.extend(n for n, _ in node.next_functions if n is not None)
    tloss.backward()
    assert [r.op for r in rows] == [w[0] for w in want]
    for row, (_, out_shapes, in_norms) in zip(rows, want):
        assert row.grad_out_shapes == [str(s).replace(",)", ")") if s is not None else None
                                       for s in out_shapes]
        np.testing.assert_allclose([n if n is not None else np.nan for n in row.grad_in_norms],
                                   [n if n is not None else np.nan for n in in_norms],
                                   rtol=1e-5, atol=1e-7)
    # the leaves got their gradients as from a plain backward
    for p, tp in zip(model.parameters(), tmodel.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-7)
    assert str(rows[0]).lstrip().startswith("0  MeanBackward0")
    assert viz.format_trace(rows).count("\n") == len(rows) - 1


def test_backward_trace_needs_a_graph():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        viz.backward_trace(ember.ones(2).sum())
