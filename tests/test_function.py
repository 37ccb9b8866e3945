"""Custom autograd Functions (`class MyRelu(ember.autograd.Function)`) vs torch 2.13.

Each Function is written once against a `lib` (ember or torch) so both libraries run
exactly the same user code.
"""

from __future__ import annotations

import inspect
import os
import sys

import numpy as np
import pytest
import torch

import ember

sys.path.insert(0, os.path.dirname(__file__))
from differential import assert_same_tensor, check_error, non_contiguous, randn  # noqa: E402

TorchGradcheckError = sys.modules["torch.autograd.gradcheck"].GradcheckError

LIBS = (ember, torch)


def make_functions(lib):
    """The same custom Functions, built on `lib.autograd.Function`."""

    class MyRelu(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * (x > 0).to(grad_output.dtype)

    class MyExp(lib.autograd.Function):
        """Saves its output; backward written with differentiable ops."""

        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, grad_output):
            (out,) = ctx.saved_tensors
            return grad_output * out

    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    class ScaleBy(lib.autograd.Function):
        """A non-tensor argument (factor) gets None as its gradient."""

        @staticmethod
        def forward(ctx, x, factor, y):
            ctx.factor = factor
            ctx.needs = ctx.needs_input_grad
            return x * factor + y

        @staticmethod
        def backward(ctx, g):
            return g * ctx.factor, None, g

    class SplitTwo(lib.autograd.Function):
        """Two outputs; backward receives one gradient per output."""

        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    class SortWithIndex(lib.autograd.Function):
        """A non-differentiable integer output."""

        @staticmethod
        def forward(ctx, x):
            idx = x.argmax(0, keepdim=True)
            ctx.mark_non_differentiable(idx)
            return x * 1, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            return g

    class NoMaterialize(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            ctx.seen = (g1 is None, g2 is None)
            out = lib.zeros_like(g1 if g1 is not None else g2)
            if g1 is not None:
                out = out + g1
            if g2 is not None:
                out = out + g2 * 2
            return out

    class TooMany(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g, g

    class WrongGrad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3  # should be 2

    class Modern(lib.autograd.Function):
        """torch 2 style: forward without ctx, setup_context saves."""

        @staticmethod
        def forward(x, y):
            return x * y

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, y = inputs
            ctx.save_for_backward(x, y)

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, g * x

    return {k: v for k, v in locals().items() if k != "lib"}


FUNCS = {lib: make_functions(lib) for lib in LIBS}


def leaf(lib, a):
    return lib.tensor(a, requires_grad=True)


def both(program, *arrays):
    return [program(lib, FUNCS[lib], *[leaf(lib, a) for a in arrays]) for lib in LIBS]


def assert_same(e, t, what="value"):
    if isinstance(t, (tuple, list)):
        assert len(e) == len(t), what
        for i, (a, b) in enumerate(zip(e, t)):
            assert_same(a, b, f"{what}[{i}]")
    elif isinstance(t, torch.Tensor):
        assert_same_tensor(e, t, what=what)
    else:
        assert e == t, f"{what}: {e!r} vs torch {t!r}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_relu_forward_backward_and_grad_fn_name(dtype, shape):
    def program(lib, f, x):
        y = f["MyRelu"].apply(x)
        y.sum().backward()
        return y, x.grad, y.grad_fn.name(), type(y.grad_fn).__name__
    assert_same(*both(program, randn(*shape, dtype=dtype)))


def test_relu_grad_fn_next_functions_point_at_the_leaf():
    for lib in LIBS:
        x = leaf(lib, randn(3))
        y = FUNCS[lib]["MyRelu"].apply(x * 2)
        (node, nr), = y.grad_fn.next_functions
        assert node.name() == "MulBackward0" and nr == 0


def test_saving_an_output_and_double_backward():
    def program(lib, f, x):
        y = f["MyExp"].apply(x)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (g2,) = lib.autograd.grad(g.sum(), x)
        return y, g, g2
    assert_same(*both(program, randn(3, dtype=np.float64)))


def test_double_backward_of_custom_cube():
    def program(lib, f, x):
        y = f["Cube"].apply(x).sum()
        y.backward(create_graph=True)
        g = x.grad
        (g2,) = lib.autograd.grad(g.sum(), x)
        return g.detach(), g2
    assert_same(*both(program, randn(4, dtype=np.float64)))


def test_non_tensor_arguments_and_needs_input_grad():
    def program(lib, f, x):
        y = lib.tensor(randn_fixed)  # does not require grad
        out = f["ScaleBy"].apply(x, 2.5, y)
        out.sum().backward()
        return out, x.grad, out.grad_fn.needs, out.grad_fn.needs_input_grad
    randn_fixed = randn(3)
    assert_same(*both(program, randn(3)))


def test_multiple_outputs_each_get_their_gradient():
    def program(lib, f, x):
        a, b = f["SplitTwo"].apply(x)
        (a.sum() + (b * b).sum()).backward()
        return a, b, x.grad, a.grad_fn is b.grad_fn, (a.output_nr, b.output_nr) \
            if hasattr(a, "output_nr") else None
    e, t = both(program, randn(3))
    assert_same(e[:4], t[:4])


def test_unused_output_gets_zero_gradient_when_materialized():
    def program(lib, f, x):
        a, b = f["SplitTwo"].apply(x)
        a.sum().backward()
        return x.grad
    assert_same(*both(program, randn(3)))


def test_set_materialize_grads_false_passes_none():
    def program(lib, f, x):
        a, b = f["NoMaterialize"].apply(x)
        a.sum().backward()
        return x.grad, a.grad_fn.seen
    assert_same(*both(program, randn(3)))


def test_mark_non_differentiable_output():
    def program(lib, f, x):
        y, idx = f["SortWithIndex"].apply(x)
        y.sum().backward()
        return y, idx, idx.requires_grad, x.grad
    assert_same(*both(program, randn(3)))


def test_setup_context_style():
    def program(lib, f, x, y):
        out = f["Modern"].apply(x, y)
        out.sum().backward()
        return out, x.grad, y.grad, out.grad_fn.name()
    assert_same(*both(program, randn(3), randn(3)))


def test_too_many_gradients_raises_like_torch():
    check_error(lambda lib, x: FUNCS[lib]["TooMany"].apply(x.requires_grad_()).sum().backward(),
                randn(3))


def test_apply_under_no_grad_records_nothing():
    for lib in LIBS:
        x = leaf(lib, randn(3))
        with lib.no_grad():
            y = FUNCS[lib]["MyRelu"].apply(x)
        assert not y.requires_grad and y.grad_fn is None


def test_apply_on_inputs_without_grad_records_nothing():
    for lib in LIBS:
        y = FUNCS[lib]["MyRelu"].apply(lib.tensor(randn(3)))
        assert not y.requires_grad and y.grad_fn is None


def test_forward_runs_without_recording():
    def program(lib, f, x):
        class Probe(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.inner = ((x * 2).requires_grad, lib.is_grad_enabled())
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2
        return Probe.apply(x).grad_fn.inner
    e, t = both(program, randn(2))
    assert e == t == (False, False)


def test_saved_tensors_after_backward_raise_like_torch():
    def program(lib, x):
        y = FUNCS[lib]["MyRelu"].apply(x.requires_grad_())
        y.sum().backward()
        return y.grad_fn.saved_tensors
    check_error(program, randn(3))


def test_in_place_change_of_saved_input_raises_like_torch():
    def program(lib, x):
        h = x.requires_grad_() * 1
        y = FUNCS[lib]["MyRelu"].apply(h)
        h.add_(1)
        y.sum().backward()
    check_error(program, randn(3))


def test_in_place_change_of_saved_output_raises_like_torch():
    def program(lib, x):
        y = FUNCS[lib]["MyExp"].apply(x.requires_grad_())
        y.add_(1)
        y.sum().backward()
    check_error(program, randn(3))


def test_gradcheck_passes_for_correct_custom_function():
    x = ember.tensor(randn(4, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(FUNCS[ember]["Cube"].apply, (x,))
    assert ember.autograd.gradgradcheck(FUNCS[ember]["Cube"].apply, (x,))


def test_gradcheck_raises_gradcheck_error_for_wrong_backward():
    x = ember.tensor(randn(3, dtype=np.float64), requires_grad=True)
    with pytest.raises(ember.autograd.GradcheckError, match="Jacobian mismatch"):
        ember.autograd.gradcheck(FUNCS[ember]["WrongGrad"].apply, (x,))
    assert ember.autograd.gradcheck(FUNCS[ember]["WrongGrad"].apply, (x,),
                                    raise_exception=False) is False
    tx = torch.tensor(randn(3, dtype=np.float64), requires_grad=True)
    with pytest.raises(TorchGradcheckError, match="Jacobian mismatch"):
        torch.autograd.gradcheck(FUNCS[torch]["WrongGrad"].apply, (tx,))


def test_gradcheck_error_is_a_runtime_error_like_torch():
    assert issubclass(ember.autograd.GradcheckError, RuntimeError)
    assert issubclass(TorchGradcheckError, RuntimeError)


@pytest.mark.parametrize("name", ["gradcheck", "gradgradcheck"])
def test_gradcheck_signatures_match_torch(name):
    def params(fn):
        return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]
    assert params(getattr(ember.autograd, name)) == params(getattr(torch.autograd, name))


def test_function_returning_its_input_unchanged():
    def program(lib, f, x):
        class Identity(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 2
        y = Identity.apply(x)
        y.sum().backward()
        return y is x, y.grad_fn.name(), x.grad
    assert_same(*both(program, randn(3)))


def test_mark_dirty_in_place_function():
    def program(lib, f, x):
        class AddOne(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g
        h = x * 1
        y = AddOne.apply(h)
        (y * 2).sum().backward()
        return y is h, y.grad_fn.name(), h._version, x.grad
    assert_same(*both(program, randn(3)))


def _custom(lib, backward, forward=lambda ctx, x, y: x * y):
    return type("F", (lib.autograd.Function,), {"forward": staticmethod(forward),
                                                "backward": staticmethod(backward)})


def test_too_few_gradients_raise_like_torch():
    check_error(lambda lib, x, y: _custom(lib, lambda ctx, g: g).apply(
        x.requires_grad_(), y).sum().backward(), randn(2), randn(2))


def test_gradient_of_wrong_shape_raises_like_torch():
    check_error(lambda lib, x, y: _custom(lib, lambda ctx, g: (lib.ones(3), None)).apply(
        x.requires_grad_(), y).sum().backward(), randn(2), randn(2))


def test_broadcastable_gradient_is_summed_to_the_input_shape_like_torch():
    def program(lib, f, x):
        _custom(lib, lambda ctx, g: (lib.ones(3, 2), None)).apply(x, lib.ones(2)) \
            .sum().backward()
        return x.grad
    assert_same(*both(program, randn(2)))


def test_non_tensor_gradient_raises_like_torch():
    check_error(lambda lib, x, y: _custom(lib, lambda ctx, g: (1.0, None)).apply(
        x.requires_grad_(), y).sum().backward(), randn(2), randn(2))


def test_saving_a_non_tensor_raises_like_torch():
    def forward(ctx, x, y):
        ctx.save_for_backward(x, 3)
        return x * y
    check_error(lambda lib, x, y: _custom(lib, lambda ctx, g: (g, g), forward).apply(
        x.requires_grad_(), y), randn(2), randn(2))


def test_missing_forward_or_backward_raise_like_torch():
    check_error(lambda lib, x: type("F", (lib.autograd.Function,), {}).apply(x), randn(2))
    check_error(lambda lib, x: type("F", (lib.autograd.Function,), {
        "forward": staticmethod(lambda ctx, x: x * 2)}).apply(x.requires_grad_())
        .sum().backward(), randn(2))


def test_saved_none_and_output_nr():
    def forward(ctx, x, y):
        ctx.save_for_backward(x, None)
        return x * y, x + y

    def program(lib, f, x):
        a, b = _custom(lib, lambda ctx, ga, gb: (ga, None), forward).apply(x, lib.ones(2))
        return len(a.grad_fn.saved_tensors), a.grad_fn.saved_tensors[1], a.output_nr, \
            b.output_nr, a.is_leaf
    assert_same(*both(program, randn(2)))


def _once_differentiable(lib):
    if lib is torch:
        from torch.autograd.function import once_differentiable
        return once_differentiable
    return ember.autograd.once_differentiable


def test_once_differentiable_backward_records_nothing_then_refuses_double_backward():
    def program(lib, f, x):
        class Square(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 2

            @staticmethod
            @_once_differentiable(lib)
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 2 * x

        (g1,) = lib.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
        seed = lib.tensor(1.0, requires_grad=True)
        (g2,) = lib.autograd.grad(Square.apply(x).sum(), x, seed, create_graph=True)
        try:
            g2.sum().backward()
            error = None
        except RuntimeError as exc:
            error = str(exc)
        return g1, g1.requires_grad, g2.grad_fn.name(), error
    assert_same(*both(program, randn(3)))


def test_gradcheck_messages_match_torch():
    def wrong(lib):
        return FUNCS[lib]["WrongGrad"].apply

    def program(lib, x):
        lib.autograd.gradcheck(wrong(lib), (x.requires_grad_(),))
    check_error(program, np.array([1.0, 2.0]))
    check_error(lambda lib, x: lib.autograd.gradcheck(lambda x: x * 2, (x,)), randn(2))


def test_gradcheck_of_float32_input_warns_and_reports_in_float32_like_torch():
    def program(lib, x):
        with pytest.warns(UserWarning, match="not a double precision"):
            lib.autograd.gradcheck(lambda x: x * 2, (x.requires_grad_(),))
    e, t = check_error(program, np.array([1.0, 2.0], np.float32), match="type")
    assert "dtype" not in str(e) and "dtype" not in str(t)


def test_gradcheck_skips_outputs_that_do_not_require_grad_like_torch():
    for lib in LIBS:
        x = lib.tensor(randn(3, dtype=np.float64), requires_grad=True)
        assert lib.autograd.gradcheck(lambda x: (x * 2, x.detach()), (x,))


def test_gradcheck_accepts_non_contiguous_inputs():
    from differential import gradcheck
    assert gradcheck(lambda lib, x: (x * x).exp(), non_contiguous(randn(3, 4)))
