"""The backward engine, autograd.grad, hooks, grad modes and autograd's errors vs torch.

Each test runs the same small program with `lib = ember` and `lib = torch` and
compares the gradients, graph structure or raised errors.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
import torch

import ember

sys.path.insert(0, os.path.dirname(__file__))
from differential import assert_same_tensor, check, check_error, gradcheck, randn  # noqa: E402

LIBS = (ember, torch)


def leaf(lib, array, requires_grad=True):
    return lib.tensor(array, requires_grad=requires_grad)


def both(program, *arrays):
    """Run program(lib, *leaves) for ember and torch; return the two results."""
    return [program(lib, *[leaf(lib, a) for a in arrays]) for lib in LIBS]


def assert_same(e, t, what="value"):
    if isinstance(t, (tuple, list)):
        assert len(e) == len(t), what
        for i, (a, b) in enumerate(zip(e, t)):
            assert_same(a, b, f"{what}[{i}]")
    elif t is None:
        assert e is None, f"{what}: torch has None, ember {e!r}"
    else:
        assert_same_tensor(e, t, what=what)


# ---- backward: accumulation, shared subgraphs, broadcasting, dtypes ------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_accumulate_into_leaves_over_several_backwards(dtype):
    def program(lib, x):
        for k in range(3):
            (x * x * (k + 1)).sum().backward()
        return x.grad
    assert_same(*both(program, randn(3, dtype=dtype)))


def test_diamond_shared_subgraph_sums_both_paths():
    def program(lib, x):
        h = x.exp()
        y = (h * 2 + h.tanh() * h).sum()
        y.backward()
        return x.grad
    assert_same(*both(program, randn(2, 3)))


def test_same_tensor_used_twice_in_one_op_gets_both_contributions():
    def program(lib, x):
        (x * x).sum().backward()
        return x.grad
    assert_same(*both(program, randn(4)))


@pytest.mark.parametrize("shape_a,shape_b", [((3, 1), (1, 4)), ((2, 3, 4), (4,)),
                                             ((), (2, 2)), ((5, 1, 3), (1, 2, 1))])
def test_engine_reduces_broadcast_gradients_to_input_shape(shape_a, shape_b):
    check(lambda t, a, b: a * b + a, randn(*shape_a), randn(*shape_b))


def test_gradient_cast_back_to_input_dtype():
    def program(lib, x):
        y = leaf(lib, np.ones(3, dtype=np.float64))
        (x * y).sum().backward()
        return x.grad, y.grad
    e, t = both(program, randn(3, dtype=np.float32))
    assert_same(e, t)


def test_gradient_through_dtype_conversion_is_cast_back():
    def program(lib, x):
        (x.double() ** 2).sum().backward()
        return x.grad
    assert_same(*both(program, randn(3)))


def test_backward_with_explicit_gradient_for_non_scalar():
    g = randn(2, 3)

    def program(lib, x):
        (x * 3).backward(lib.tensor(g))
        return x.grad
    assert_same(*both(program, randn(2, 3)))


def test_backward_on_empty_tensor_gives_empty_grad():
    def program(lib, x):
        x.sum().backward()
        return x.grad
    assert_same(*both(program, randn(0, 3)))


def test_backward_inputs_accumulates_only_into_those_tensors():
    def program(lib, x, y):
        (x * y).sum().backward(inputs=[x])
        return x.grad, y.grad
    assert_same(*both(program, randn(3), randn(3)))


def test_backward_inputs_on_non_leaf_fills_its_grad():
    def program(lib, x):
        h = x * 2
        (h * h).sum().backward(inputs=[h])
        return h.grad, x.grad
    assert_same(*both(program, randn(3)))


def test_backward_of_scalar_through_retain_graph_twice():
    def program(lib, x):
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad
    assert_same(*both(program, randn(3)))


def test_non_leaf_grad_is_none_without_retain_grad():
    for lib in LIBS:
        x = leaf(lib, randn(3))
        h = x * 2
        h.sum().backward()
        assert h.grad is None
        assert h.is_leaf is False and x.is_leaf is True


def test_tensor_sum_of_list_through_autograd_backward_function():
    def program(lib, x):
        lib.autograd.backward([(x * 2).sum(), (x ** 2).sum()])
        return x.grad
    assert_same(*both(program, randn(3)))


def test_autograd_backward_with_grad_tensors():
    g1, g2 = randn(3), randn(3)

    def program(lib, x):
        lib.autograd.backward([x * 2, x.exp()], [lib.tensor(g1), lib.tensor(g2)])
        return x.grad
    assert_same(*both(program, randn(3)))


# ---- autograd.grad ---------------------------------------------------------------
def test_grad_returns_gradients_and_leaves_grad_untouched():
    def program(lib, x, y):
        out = lib.autograd.grad((x * y).sum(), [x, y])
        return out, x.grad, y.grad
    assert_same(*both(program, randn(3), randn(3)))


def test_grad_with_grad_outputs():
    g = randn(2, 2)

    def program(lib, x):
        return lib.autograd.grad(x.tanh(), x, grad_outputs=lib.tensor(g))
    assert_same(*both(program, randn(2, 2)))


def test_grad_allow_unused_returns_none_and_materialize_grads_zeros():
    def program(lib, x, y):
        a = lib.autograd.grad((x * 2).sum(), [x, y], allow_unused=True, retain_graph=True)
        b = lib.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True)
        return a, b
    assert_same(*both(program, randn(3), randn(3)))


def test_grad_unused_input_without_allow_unused_raises_like_torch():
    def program(lib, x, y):
        return lib.autograd.grad((x * 2).sum(), [x, y])
    check_error(lambda lib, x, y: program(lib, x.requires_grad_(), y.requires_grad_()),
                randn(3), randn(3))


def test_grad_of_non_leaf_intermediate():
    def program(lib, x):
        h = x.exp()
        return lib.autograd.grad((h * h).sum(), h)
    assert_same(*both(program, randn(3)))


def test_grad_input_that_does_not_require_grad_raises_like_torch():
    check_error(lambda lib, x, y: lib.autograd.grad((x.requires_grad_() * y).sum(), y),
                randn(3), randn(3))


def test_grad_create_graph_gives_second_derivative_of_cube():
    def program(lib, x):
        (g,) = lib.autograd.grad((x ** 3).sum(), x, create_graph=True)
        (g2,) = lib.autograd.grad(g.sum(), x)
        return g, g2
    e, t = both(program, randn(4, dtype=np.float64))
    assert_same(e, t)
    assert e[0].requires_grad and e[0].grad_fn is not None


def test_backward_create_graph_then_backward_of_grad():
    def program(lib, x):
        (x ** 3).sum().backward(create_graph=True)
        g = x.grad
        x.grad = None
        g.sum().backward()
        return g.detach(), x.grad
    assert_same(*both(program, randn(3, dtype=np.float64)))


def test_gradient_penalty_double_backward_reaches_weights():
    w0, b0 = randn(4, 3, dtype=np.float64), randn(4, dtype=np.float64)

    def program(lib, x):
        w, b = leaf(lib, w0), leaf(lib, b0)
        out = (x @ w.T + b).tanh().sum()
        (gx,) = lib.autograd.grad(out, x, create_graph=True)
        penalty = (((gx * gx).sum(1).sqrt() - 1) ** 2).mean()
        penalty.backward()
        return w.grad, b.grad, x.grad
    assert_same(*both(program, randn(5, 3, dtype=np.float64)))


def test_gradcheck_and_gradgradcheck_of_composite():
    assert gradcheck(lambda t, x, y: (x * y).exp().sum(1), randn(2, 3), randn(2, 3))
    x = ember.tensor(randn(3, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda x: (x ** 3).tanh(), (x,))
    assert ember.autograd.gradcheck(lambda x: x.exp(), x, eps=1e-6, atol=1e-5, rtol=1e-3,
                                    raise_exception=True, fast_mode=False)


# ---- next_functions and grad_fn names ------------------------------------------------
def _structure(fn, depth=3):
    if fn is None or depth == 0:
        return None
    return (fn.name(), tuple((_structure(f, depth - 1), nr) if f is not None else None
                             for f, nr in fn.next_functions))


@pytest.mark.parametrize("program", [
    lambda lib, x: x * 2,
    lambda lib, x: x * x,
    lambda lib, x: (x * 2).sum(),
    lambda lib, x: x.exp() + lib.ones(3),
    lambda lib, x: (x + 1).relu().mean(),
    lambda lib, x: x.unbind(0)[1] * x[0],
    lambda lib, x: x.view(3, 1).expand(3, 2),
])
def test_next_functions_structure_and_names_match_torch(program):
    e, t = both(program, randn(3))
    assert _structure(e.grad_fn) == _structure(t.grad_fn)


def test_accumulate_grad_node_exposes_variable():
    for lib in LIBS:
        x = leaf(lib, randn(3))
        acc = (x * 2).grad_fn.next_functions[0][0]
        assert acc.variable is x
        assert acc.name() == "torch::autograd::AccumulateGrad"
        assert type(acc).__name__ == "AccumulateGrad"
        assert acc is (x + 1).grad_fn.next_functions[0][0]


def test_grad_fn_repr_like_torch():
    e, t = both(lambda lib, x: x * 2, randn(3))
    norm = ember_repr = repr(e.grad_fn).split(" object")[0]
    del norm
    assert ember_repr == repr(t.grad_fn).split(" object")[0]


# ---- hooks and retain_grad ---------------------------------------------------------------
def test_retain_grad_on_non_leaf():
    def program(lib, x):
        h = x * 2
        h.retain_grad()
        (h * h).sum().backward()
        return h.grad, x.grad, h.retains_grad, x.retains_grad
    e, t = both(program, randn(3))
    assert_same(e[:2], t[:2])
    assert e[2:] == t[2:]


def test_retain_grad_accumulates_over_backwards():
    def program(lib, x):
        h = x * 2
        h.retain_grad()
        y = (h * h).sum()
        y.backward(retain_graph=True)
        y.backward()
        return h.grad, x.grad
    assert_same(*both(program, randn(3)))


def test_hook_on_leaf_modifies_gradient_before_accumulation():
    def program(lib, x):
        x.register_hook(lambda g: g * 10)
        (x * x).sum().backward()
        return x.grad
    assert_same(*both(program, randn(3)))


def test_hook_on_non_leaf_modifies_gradient_flowing_on():
    def program(lib, x):
        h = x.exp()
        h.register_hook(lambda g: g * 0 + 1)
        (h * 3).sum().backward()
        return x.grad
    assert_same(*both(program, randn(3)))


def test_hooks_run_in_registration_order_and_see_previous_result():
    def program(lib, x):
        seen = []
        h = x * 1
        h.register_hook(lambda g: seen.append(("a", g.tolist())) or g + 1)
        h.register_hook(lambda g: seen.append(("b", g.tolist())) or g * 2)
        h.sum().backward()
        return seen, x.grad
    e, t = both(program, randn(2))
    assert e[0] == t[0]
    assert_same(e[1], t[1])


def test_hook_handle_remove():
    def program(lib, x):
        handle = x.register_hook(lambda g: g * 100)
        handle.remove()
        x.sum().backward()
        return x.grad
    assert_same(*both(program, randn(3)))


def test_retain_grad_sees_hooked_gradient_like_torch():
    def program(lib, x):
        h = x * 2
        h.retain_grad()
        h.register_hook(lambda g: g * 3)
        h.sum().backward()
        return h.grad, x.grad
    assert_same(*both(program, randn(3)))


def test_hook_on_tensor_without_grad_raises_like_torch():
    check_error(lambda lib, x: x.register_hook(lambda g: g), randn(3))


def test_retain_grad_on_tensor_without_grad_raises_like_torch():
    check_error(lambda lib, x: x.retain_grad(), randn(3))


# ---- errors ----------------------------------------------------------------------------
def test_backward_on_tensor_without_grad_raises_like_torch():
    check_error(lambda lib, x: x.sum().backward(), randn(3))


def test_non_scalar_backward_without_gradient_raises_like_torch():
    check_error(lambda lib, x: (x.requires_grad_() * 2).backward(), randn(3))


def test_gradient_of_wrong_shape_raises_like_torch():
    check_error(lambda lib, x: (x.requires_grad_() * 2).backward(lib.ones(4)), randn(3))


def test_second_backward_through_freed_graph_raises_like_torch():
    def program(lib, x):
        y = x.requires_grad_().exp().sum()
        y.backward()
        y.backward()
    check_error(program, randn(3))


@pytest.mark.parametrize("program", [
    lambda lib, x, c: x + c,
    lambda lib, x, c: (x - c).mean(),
    lambda lib, x, c: x * 2,
    lambda lib, x, c: x * c,
    lambda lib, x, c: x / 2,
    lambda lib, x, c: x.exp(),
    lambda lib, x, c: x.relu(),
    lambda lib, x, c: x @ c,
])
def test_second_backward_raises_exactly_when_torch_does(program):
    outcome = []
    for lib in LIBS:
        x, c = leaf(lib, randn(3)), lib.tensor(randn(3))
        y = program(lib, x, c).sum()
        y.backward()
        try:
            y.backward()
            outcome.append(x.grad.tolist())
        except RuntimeError as exc:
            outcome.append(str(exc).replace("torch", "ember"))
    assert outcome[0] == pytest.approx(outcome[1]) if isinstance(outcome[1], list) else \
        outcome[0] == outcome[1]


def test_inplace_change_of_saved_tensor_raises_like_torch_at_backward():
    def program(lib, x):
        y = x.requires_grad_().exp()
        y.add_(1)
        y.sum().backward()
    check_error(program, randn(3))


def test_inplace_change_of_saved_input_raises_like_torch():
    def program(lib, x):
        h = x.requires_grad_() * 1
        y = h * h
        h.mul_(2)
        y.sum().backward()
    check_error(program, randn(3))


def test_inplace_on_leaf_requiring_grad_raises_like_torch():
    check_error(lambda lib, x: x.requires_grad_().add_(1), randn(3))


@pytest.mark.parametrize("np_dtype", [np.int64, np.bool_, np.uint8])
def test_requires_grad_on_non_float_tensor_raises_like_torch(np_dtype):
    check_error(lambda lib, x: x.requires_grad_(), np.zeros(3, np_dtype))


def test_factory_requires_grad_on_integer_dtype_raises_like_torch():
    check_error(lambda lib, x: lib.tensor([1, 2], requires_grad=True), randn(1))


def test_changing_requires_grad_of_non_leaf_raises_like_torch():
    check_error(lambda lib, x: setattr(x.requires_grad_() * 2, "requires_grad", False),
                randn(3))


# ---- grad modes ---------------------------------------------------------------------------
def test_no_grad_context_and_nesting_with_enable_grad():
    for lib in LIBS:
        x = leaf(lib, randn(3))
        with lib.no_grad():
            a = x * 2
            with lib.enable_grad():
                b = x * 2
            c = x * 2
        assert (a.requires_grad, b.requires_grad, c.requires_grad) == (False, True, False)
        assert lib.is_grad_enabled()


def test_grad_modes_as_decorators():
    for lib in LIBS:
        x = leaf(lib, randn(3))

        @lib.no_grad()
        def f(x):
            return x * 2

        @lib.enable_grad()
        def g(x):
            return x * 2

        @lib.set_grad_enabled(False)
        def h(x):
            return x * 2

        @lib.inference_mode()
        def k(x):
            return x * 2

        assert lib.is_grad_enabled()
        assert not f(x).requires_grad and not h(x).requires_grad and not k(x).requires_grad
        with lib.no_grad():
            assert g(x).requires_grad
        assert f.__name__ == "f"


def test_set_grad_enabled_as_call_and_context():
    for lib in LIBS:
        x = leaf(lib, randn(3))
        lib.set_grad_enabled(False)
        try:
            assert not lib.is_grad_enabled() and not (x * 2).requires_grad
        finally:
            lib.set_grad_enabled(True)
        assert lib.is_grad_enabled()
        with lib.set_grad_enabled(False):
            assert not (x * 2).requires_grad
            with lib.set_grad_enabled(True):
                assert (x * 2).requires_grad
            assert not lib.is_grad_enabled()
        assert lib.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    for lib in LIBS:
        with pytest.raises(ValueError):
            with lib.no_grad():
                raise ValueError
        assert lib.is_grad_enabled()


def test_inference_mode_context_and_nesting():
    for lib in LIBS:
        x = leaf(lib, randn(3))
        with lib.inference_mode():
            assert lib.is_inference_mode_enabled() and not lib.is_grad_enabled()
            assert not (x * 2).requires_grad
            with lib.inference_mode(False):
                assert not lib.is_inference_mode_enabled()
        assert not lib.is_inference_mode_enabled() and lib.is_grad_enabled()


def test_no_grad_used_bare_as_decorator():
    for lib in LIBS:
        @lib.no_grad
        def f(x):
            return x * 2
        assert not f(leaf(lib, randn(2))).requires_grad


def test_grad_mode_objects_expose_torch_attributes():
    assert ember.autograd.grad_mode.no_grad is ember.no_grad
    assert ember.autograd.no_grad is ember.no_grad
    assert not ember.set_grad_enabled(True).__exit__(None, None, None)


# ---- requires_grad_, detach, detach_ ----------------------------------------------------
def test_detach_shares_memory_and_version_counter():
    for lib in LIBS:
        x = leaf(lib, randn(3))
        d = x.detach()
        assert not d.requires_grad and d.is_leaf and d.grad_fn is None
        d.add_(1)
        assert x._version == 1 and d._version == 1
        np.testing.assert_array_equal(x.detach().numpy(), d.numpy())


def test_detach_in_place_on_non_leaf():
    for lib in LIBS:
        x = leaf(lib, randn(3))
        h = x * 2
        h.detach_()
        assert (h.requires_grad, h.grad_fn, h.is_leaf) == (False, None, True)


def test_requires_grad_flag_follows_torch_rules():
    for lib in LIBS:
        x = lib.ones(3)
        assert x.requires_grad_() is x and x.requires_grad
        x.requires_grad_(False)
        assert not x.requires_grad
        y = leaf(lib, randn(3)) * 2
        assert y.requires_grad_(True) is y


def test_no_grad_result_is_leaf_that_can_be_made_to_require_grad():
    for lib in LIBS:
        x = leaf(lib, randn(3))
        with lib.no_grad():
            y = x * 2
        assert y.is_leaf and y.grad_fn is None
        y.requires_grad_()
        (y * y).sum().backward()
        assert y.grad is not None and x.grad is None


# ---- more engine behaviour -----------------------------------------------------------------
def test_leaf_hook_runs_in_autograd_grad_too():
    def program(lib, x):
        x.register_hook(lambda g: g * 10)
        return lib.autograd.grad((x * x).sum(), x)
    assert_same(*both(program, randn(3)))


def test_backward_inputs_leaf_sees_its_hook_once():
    def program(lib, x):
        x.register_hook(lambda g: g * 10)
        (x * x).sum().backward(inputs=[x])
        return x.grad
    assert_same(*both(program, randn(3)))


def test_node_pre_and_post_hooks_see_torch_arguments():
    def program(lib, x):
        seen = []
        y = x * 3
        y.grad_fn.register_prehook(lambda go: seen.append(("pre", [g.tolist() for g in go])))
        y.grad_fn.register_hook(lambda gi, go: seen.append(
            ("post", [None if g is None else g.tolist() for g in gi], [g.tolist() for g in go])))
        y.sum().backward()
        return seen
    e, t = both(program, np.array([1.0, 2.0], np.float32))
    assert e == t


def test_leaf_that_stops_requiring_grad_after_the_graph_gets_no_grad():
    def program(lib, x):
        y = x * 2
        x.requires_grad_(False)
        y.sum().backward()
        return x.grad
    assert_same(*both(program, randn(3)))


@pytest.mark.parametrize("gradient", [[1.0, 1.0], 1.0])
def test_gradient_that_is_not_a_tensor_raises_like_torch(gradient):
    check_error(lambda lib, x: (x.requires_grad_() * 2).backward(gradient), randn(2))


def test_missing_gradients_for_several_outputs_raise_like_torch():
    check_error(lambda lib, x: lib.autograd.backward(
        [(x.requires_grad_() * 2).sum(), x.sum()], [lib.tensor(1.0)]), randn(2))


def test_gradient_of_another_dtype_is_cast_to_the_output_dtype():
    def program(lib, x):
        (x * 2).backward(lib.ones(3, dtype=lib.float64))
        return x.grad
    assert_same(*both(program, randn(3)))


@pytest.mark.parametrize("hook", [lambda g: g.sum(), lambda g: g.double(), lambda g: [1.0]],
                         ids=["size", "dtype", "list"])
@pytest.mark.parametrize("on_leaf", [True, False])
def test_hook_that_changes_size_or_type_raises_like_torch(hook, on_leaf):
    def program(lib, x):
        x.requires_grad_()
        h = x if on_leaf else x * 2
        h.register_hook(hook)
        (h * 1).sum().backward()
    check_error(program, randn(2))


@pytest.mark.parametrize("value", [np.ones(3, np.float32), np.ones(2, np.float64), [1.0, 2.0]],
                         ids=["size", "dtype", "list"])
def test_assigning_a_bad_grad_raises_like_torch(value):
    def program(lib, x):
        x.requires_grad_()
        x.grad = lib.from_numpy(value) if isinstance(value, np.ndarray) else value
    check_error(program, randn(2))


def test_assigning_and_deleting_grad():
    for lib in LIBS:
        x = leaf(lib, randn(2))
        g = lib.ones(2)
        x.grad = g
        (x * 2).sum().backward()
        assert x.grad is g  # accumulated in place, as torch does
        np.testing.assert_array_equal(g.numpy(), [3.0, 3.0])
        del x.grad
        assert x.grad is None


def test_reading_grad_of_a_non_leaf_warns_like_torch():
    for lib in LIBS:
        h = leaf(lib, randn(2)) * 2
        with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
            assert h.grad is None


def test_detect_anomaly_names_the_node_that_returned_nan():
    def program(lib, x):
        with lib.autograd.detect_anomaly():
            (x.requires_grad_().sqrt() * 0).sum().backward()
    with pytest.warns(UserWarning):  # torch warns that anomaly mode is slow
        check_error(program, np.array([0.0, 1.0], np.float32))
    assert not ember.autograd.is_anomaly_enabled()


def test_set_detect_anomaly_as_call_and_context():
    for enabled, check_nan in [(ember.autograd.is_anomaly_enabled,
                                ember.autograd.is_anomaly_check_nan_enabled),
                               (torch.is_anomaly_enabled, torch.is_anomaly_check_nan_enabled)]:
        lib = ember if enabled is ember.autograd.is_anomaly_enabled else torch
        with lib.autograd.set_detect_anomaly(True, check_nan=False):
            assert enabled() and not check_nan()
        assert not enabled() and check_nan()


def test_grad_is_grads_batched_gives_rows_of_the_jacobian():
    def program(lib, x):
        y = x.exp() * 2
        return lib.autograd.grad(y, x, lib.eye(3), is_grads_batched=True)
    assert_same(*both(program, randn(3)))


def test_grad_accepts_a_dict_of_inputs():
    for lib in LIBS:
        x, y = leaf(lib, randn(2)), leaf(lib, randn(2))
        out = lib.autograd.grad((x * y).sum(), {"x": x, "y": y})
        assert isinstance(out, dict) and list(out) == ["x", "y"]
        np.testing.assert_allclose(out["x"].numpy(), y.detach().numpy())


def test_grad_empty_inputs_and_materialize_without_allow_unused_raise_like_torch():
    check_error(lambda lib, x: lib.autograd.grad((x.requires_grad_() * 2).sum(), []),
                randn(2))
    check_error(lambda lib, x: lib.autograd.grad((x.requires_grad_() * 2).sum(), x,
                                                 allow_unused=False, materialize_grads=True),
                randn(2))
    check_error(lambda lib, x: (x.requires_grad_() * 2).sum().backward(inputs=[]), randn(2))


def test_retained_grad_is_not_shared_with_a_leaf_grad():
    def program(lib, x):
        h = x + 0
        h.retain_grad()
        y = h.sum()
        y.backward(retain_graph=True)
        y.backward()
        return h.grad, x.grad
    assert_same(*both(program, randn(3)))


def test_detach_is_not_a_view_and_can_be_modified_in_place():
    for lib in LIBS:
        x = leaf(lib, randn(3))
        d = x.detach()
        assert d._base is None
        d.zero_()
        assert not x.detach().numpy().any()


def test_inplace_on_view_of_non_leaf_changes_the_gradient_like_torch():
    def program(lib, x):
        h = x * 1
        h[1:].mul_(5)
        h.sum().backward()
        return x.grad, h.grad_fn.name()
    e, t = both(program, randn(3))
    assert_same(e[0], t[0])
    assert e[1] == t[1]


def test_detach_in_place_of_a_view_raises_like_torch():
    check_error(lambda lib, x: x.requires_grad_()[0:1].detach_(), randn(3))


def test_post_accumulate_grad_hook_runs_after_each_accumulation_like_torch():
    def program(lib, x):
        seen = []
        handle = x.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
        (x * 2).sum().backward()
        (x * 3).sum().backward()
        lib.autograd.grad((x * 2).sum(), x)  # autograd.grad accumulates nothing
        handle.remove()
        (x * 2).sum().backward()
        return seen
    e, t = both(program, np.array([1.0, 2.0], np.float32))
    assert e == t


@pytest.mark.parametrize("program", [
    lambda lib, x: (x.requires_grad_() * 2).register_post_accumulate_grad_hook(print),
    lambda lib, x: x.register_post_accumulate_grad_hook(print),
    lambda lib, x: (x.requires_grad_().register_post_accumulate_grad_hook(lambda p: 5),
                    (x * 2).sum().backward()),
], ids=["non-leaf", "no-grad", "returns-value"])
def test_post_accumulate_grad_hook_errors_like_torch(program):
    check_error(program, randn(2))
