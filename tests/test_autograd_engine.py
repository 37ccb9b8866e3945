"""The backward engine's order and gradient sums vs torch.

The engine runs nodes latest-created first without counting dependencies, relying on
every edge leading to an older node. These programs mix branches, views changed in
place, custom Functions and double backward, and compare with torch the order in which
nodes run and the gradients that several paths add up.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
import torch

import ember

sys.path.insert(0, os.path.dirname(__file__))
from differential import assert_same_tensor  # noqa: E402

LIBS = (ember, torch)


def _graph_nodes(root):
    seen, stack, out = set(), [root], []
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        out.append(node)
        stack.extend(child for child, _ in node.next_functions)
    return out


def run_order(lib, loss):
    """Backward of `loss`, returning the names of the op nodes in the order they ran.

    AccumulateGrad nodes are left out: torch gives them the top priority once ready.
    """
    order = []
    for node in _graph_nodes(loss.grad_fn):
        if "AccumulateGrad" not in node.name():
            node.register_prehook(lambda grads, node=node: order.append(node.name()))
    loss.backward()
    return order


def _branches(lib, x, w):
    a = x * w
    b = a.exp()
    c = a.sin()
    d = (b * c).sum() + a[1:].sum() * 2 + (x ** 2).sum()
    return d, (x, w)


def _view_changed_in_place(lib, x, w):
    y = x * w
    v = y[1:]            # a view recorded before its base changes
    s = v.sum()
    y.mul_(3)            # CopySlices-style history for y; v's history is rebuilt on use
    z = (v * 2).sum() + s + y.sum()
    return z, (x, w)


def _custom_function(lib, x, w):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * t

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return 2 * t * g

    h = Square.apply(x * w)
    return (h.sin() + h * w).sum(), (x, w)


def _shared_subexpression(lib, x, w):
    a = x.tanh()
    b = a * w
    c = a + b          # a reaches c twice, b once
    return (c * a).sum() + b.mean(), (x, w)


PROGRAMS = [_branches, _view_changed_in_place, _custom_function, _shared_subexpression]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__.strip("_"))
def test_nodes_run_in_torch_order_and_gradients_match(program):
    results = []
    for lib in LIBS:
        x = lib.tensor([0.3, -1.2, 0.7, 2.0], requires_grad=True)
        w = lib.tensor([1.5, 0.5, -0.25, 1.0], requires_grad=True)
        loss, leaves = program(lib, x, w)
        order = run_order(lib, loss)
        results.append((order, [t.grad for t in leaves]))
    (e_order, e_grads), (t_order, t_grads) = results
    assert e_order == t_order
    for e, t in zip(e_grads, t_grads):
        assert_same_tensor(e, t)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "complex64"])
def test_gradients_from_several_paths_add_up_like_torch(dtype):
    grads = []
    for lib in LIBS:
        x = lib.tensor(np.array([0.5, -1.5, 2.25], dtype=dtype), requires_grad=True)
        y = x * 1.5
        # y reaches the loss along three paths: the engine adds three gradients for it
        z = (y * y + y.exp() + y * 3).sum()
        if dtype.startswith("complex"):
            z = z.real
        z.backward()
        grads.append(x.grad)
    assert_same_tensor(*grads)


def test_summed_gradients_keep_their_graph_with_create_graph():
    out = []
    for lib in LIBS:
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = x.sin()
        z = (y * y + y * x).sum()        # y's gradient is a sum of two paths
        (g,) = lib.autograd.grad(z, x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        out.append((g, gg))
    for e, t in zip(*out):
        assert_same_tensor(e, t)


def test_backward_of_two_roots_sharing_a_node_like_torch():
    out = []
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0, -0.5], requires_grad=True)
        y = x.exp()
        lib.autograd.backward([y.sum(), (y * y).sum(), y[0]])
        out.append(x.grad)
    assert_same_tensor(*out)
