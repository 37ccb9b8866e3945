"""In-place ops (`x.add_(y)`, `x += y`, `x.zero_()`, ...): ember against torch 2.13.

Values and dtypes, version counters, the errors for leaves that require grad and for
results that do not fit the tensor's dtype, history rebased onto the in-place node,
and the error at backward when a saved tensor was modified.
"""

import os
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))
import ember  # noqa: E402
from differential import check, check_error, gradcheck, non_contiguous, randn  # noqa: E402

FLOATS = [np.float32, np.float64]

# (name, fn(t, x, y)): `x` is first copied by `x * 1` so the op runs on a non-leaf.
INPLACE_BINARY = {
    "add_": lambda x, y: x.add_(y),
    "add_alpha": lambda x, y: x.add_(y, alpha=2),
    "sub_": lambda x, y: x.sub_(y),
    "sub_alpha": lambda x, y: x.sub_(y, alpha=0.5),
    "mul_": lambda x, y: x.mul_(y),
    "div_": lambda x, y: x.div_(y),
    "iadd": lambda x, y: x.__iadd__(y),
    "isub": lambda x, y: x.__isub__(y),
    "imul": lambda x, y: x.__imul__(y),
    "itruediv": lambda x, y: x.__itruediv__(y),
    "copy_": lambda x, y: x.copy_(y),
    "clamp_min_t": lambda x, y: x.clamp_min_(y),
}


def _on_copy(op):
    def fn(t, x, y):
        z = x * 1
        out = op(z, y)
        assert out is z  # in-place ops return the tensor itself
        return out
    return fn


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape_y", [(3, 4), (4,), (), (1, 4)], ids=str)
@pytest.mark.parametrize("op", list(INPLACE_BINARY))
def test_inplace_binary_op_on_non_leaf_matches_torch(op, shape_y, dtype):
    check(_on_copy(INPLACE_BINARY[op]), randn(3, 4, dtype=dtype),
          randn(*shape_y, dtype=dtype, low=0.5))


@pytest.mark.parametrize("op", list(INPLACE_BINARY))
def test_inplace_binary_op_on_non_contiguous_tensor_matches_torch(op):
    check(_on_copy(INPLACE_BINARY[op]), non_contiguous(randn(3, 4)),
          non_contiguous(randn(3, 4, low=0.5)))


@pytest.mark.parametrize("scalar", [2, 0.5, -3], ids=repr)
@pytest.mark.parametrize("op", ["add_", "sub_", "mul_", "div_", "iadd", "isub", "imul",
                                "itruediv", "add_alpha"])
def test_inplace_op_with_python_scalar_matches_torch(op, scalar):
    check(lambda t, x: INPLACE_BINARY[op](x * 1, scalar), randn(2, 3))


INPLACE_UNARY = {
    "zero_": lambda x: x.zero_(),
    "fill_": lambda x: x.fill_(1.5),
    "fill_int": lambda x: x.fill_(2),
    "relu_": lambda x: x.relu_(),
    "clamp_": lambda x: x.clamp_(-0.5, 0.5),
    "clamp_min_": lambda x: x.clamp_min_(0.1),
    "clamp_max_": lambda x: x.clamp_max_(0.1),
    "clamp_only_max": lambda x: x.clamp_(max=0.2),
    "neg_": lambda x: x.neg_(),
    "exp_": lambda x: x.exp_(),
    "sigmoid_": lambda x: x.sigmoid_(),
    "tanh_": lambda x: x.tanh_(),
    "pow_": lambda x: x.pow_(2),
    "abs_": lambda x: x.abs_(),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", list(INPLACE_UNARY))
def test_inplace_unary_op_on_non_leaf_matches_torch(op, dtype):
    check(lambda t, x: INPLACE_UNARY[op](x * 1), randn(3, 4, dtype=dtype))


@pytest.mark.parametrize("op", list(INPLACE_UNARY))
def test_inplace_unary_op_without_grad_matches_torch(op):
    check(lambda t, x: INPLACE_UNARY[op](x.clone()), randn(2, 5), grad=False)


def test_fill_with_zero_dim_tensor_matches_torch():
    check(lambda t, x, v: (x * 1).fill_(v), randn(2, 3), randn())
    check(lambda t, x, v: x.clone().fill_(v), randn(2, 3), randn(), grad=False)


def test_fill_with_non_scalar_tensor_raises_like_torch():
    check_error(lambda t, x, v: x.fill_(v), randn(2, 3), randn(3))


def test_inplace_on_integer_tensor_matches_torch():
    x = np.array([1, -2, 3, 4])
    check(lambda t, a: a.clone().add_(2), x)
    check(lambda t, a: a.clone().mul_(3), x)
    check(lambda t, a: a.clone().div_(2, rounding_mode="floor"), x)
    check(lambda t, a: a.clone().clamp_(0, 2), x)
    check(lambda t, a: a.clone().relu_(), x)
    check(lambda t, a: a.clone().fill_(7), x)
    check(lambda t, a: a.clone().zero_(), x)


def test_integer_tensor_plus_equals_float_raises_like_torch():
    check_error(lambda t, a: a.add_(1.5), np.array([1, 2]))
    check_error(lambda t, a: a.__iadd__(1.5), np.array([1, 2]))
    check_error(lambda t, a: a.div_(2), np.array([1, 2]))
    check_error(lambda t, a, b: a.mul_(b), np.array([1, 2]), randn(2))
    check_error(lambda t, a: a.clamp_(0.5, 1.5), np.array([1, 2]))


def test_error_message_for_uncastable_result_names_dtypes_like_torch():
    _, t_exc = check_error(lambda t, a: a.add_(1.5), np.array([1, 2]))
    assert "result type Float can't be cast to the desired output type Long" in str(t_exc)


def test_float_tensor_accepts_integer_and_double_operands_like_torch():
    check(lambda t, a, b: a.clone().add_(b), randn(3), np.array([1, 2, 3]), grad=False)
    check(lambda t, a, b: a.clone().mul_(b), randn(3), randn(3, dtype=np.float64), grad=False)
    check(lambda t, a, b: a.clone().copy_(b), randn(3), np.array([1, 2, 3]), grad=False)
    check(lambda t, a, b: a.clone().copy_(b), np.array([1, 2, 3]), randn(3) * 3, grad=False)


def test_inplace_result_that_would_broadcast_beyond_self_raises_like_torch():
    check_error(lambda t, a, b: a.add_(b), randn(3), randn(2, 3))
    check_error(lambda t, a, b: a.mul_(b), randn(1, 3), randn(2, 3))


def test_inplace_broadcast_mismatch_raises_like_torch():
    check_error(lambda t, a, b: a.add_(b), randn(2, 3), randn(2))


def test_copy_broadcasts_and_casts_like_torch():
    check(lambda t, a, b: (a * 1).copy_(b), randn(2, 3), randn(3))
    check(lambda t, a, b: (a * 1).copy_(b), randn(2, 3), randn(1, 1, dtype=np.float64))
    check(lambda t, a, b: a.clone().copy_(b), np.zeros((2, 3), np.int32), np.ones(3, bool))


def test_copy_shape_mismatch_raises_like_torch():
    check_error(lambda t, a, b: a.copy_(b), randn(2, 3), randn(4))


# ---------------------------------------------------------------------------------------
# version counter


@pytest.mark.parametrize("op", list(INPLACE_UNARY))
def test_inplace_unary_op_bumps_version_like_torch(op):
    a = randn(2, 3)
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    INPLACE_UNARY[op](e)
    INPLACE_UNARY[op](t)
    assert e._version == t._version
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)


@pytest.mark.parametrize("op", list(INPLACE_BINARY))
def test_inplace_binary_op_bumps_version_like_torch(op):
    a, b = randn(2, 3), randn(2, 3, low=0.5)
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    for _ in range(2):
        INPLACE_BINARY[op](e, ember.from_numpy(b))
        INPLACE_BINARY[op](t, torch.from_numpy(b))
    assert e._version == t._version
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)


def test_inplace_on_a_view_bumps_the_base_version_and_changes_the_base():
    a = randn(3, 4)
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    ev, tv = e[1], t[1]
    ev.mul_(2)
    tv.mul_(2)
    assert (e._version, ev._version) == (t._version, tv._version)
    np.testing.assert_allclose(e.numpy(), t.numpy())


def test_plus_equals_keeps_the_same_tensor_object():
    e = ember.zeros(3)
    before = id(e)
    e += 1
    e *= 3
    assert id(e) == before
    assert e.tolist() == [3.0, 3.0, 3.0]
    assert e._version == torch.zeros(3).add_(1).mul_(3)._version


# ---------------------------------------------------------------------------------------
# autograd rules


@pytest.mark.parametrize("op", ["add_", "mul_", "zero_", "fill_", "relu_", "clamp_", "copy_",
                                "sub_", "div_", "clamp_min_", "iadd"])
def test_inplace_on_leaf_requiring_grad_raises_like_torch(op):
    fns = {**{k: (lambda f: lambda t, x, y: f(x, y))(v) for k, v in INPLACE_BINARY.items()},
           **{k: (lambda f: lambda t, x, y: f(x))(v) for k, v in INPLACE_UNARY.items()}}
    a, b = randn(3), randn(3, low=0.5)

    def fn(t, x, y):
        x.requires_grad_(True)
        return fns[op](t, x, y)
    e_exc, _ = check_error(fn, a, b)
    assert "a leaf Variable that requires grad is being used in an in-place operation." in \
        str(e_exc)


def test_inplace_on_leaf_requiring_grad_is_allowed_under_no_grad():
    a = randn(3)
    e = ember.from_numpy(a.copy()).requires_grad_()
    t = torch.from_numpy(a.copy()).requires_grad_()
    with ember.no_grad():
        e.add_(1).mul_(2)
    with torch.no_grad():
        t.add_(1).mul_(2)
    assert e.is_leaf and e.requires_grad and e.grad_fn is None
    assert e._version == t._version
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy())


def test_failed_leaf_inplace_leaves_values_and_version_unchanged():
    e = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        e.add_(1)
    assert e._version == 0
    assert e.tolist() == [1.0, 1.0, 1.0]


def test_failed_dtype_inplace_leaves_values_and_version_unchanged():
    e = ember.tensor([1, 2])
    with pytest.raises(RuntimeError):
        e.add_(1.5)
    assert e._version == 0
    assert e.tolist() == [1, 2]


def test_chain_of_inplace_ops_rebases_history_like_torch():
    def fn(t, x, x2):
        y = x * 2
        y.add_(1)
        y.mul_(x2)
        y.sub_(x, alpha=0.5)
        y.div_(x2 + 3)
        y.clamp_(-1.0, 1.0)
        y.relu_()
        return y
    check(fn, randn(3, 4), randn(3, 4))


def test_rebased_tensor_has_the_inplace_grad_fn_like_torch():
    def fn(t, x):
        y = x + 1
        y.mul_(2)
        return y
    e, t = check(fn, randn(3))
    assert e.grad_fn.name() == t.grad_fn.name() == "MulBackward0"
    assert not e.is_leaf


def test_inplace_with_a_tensor_requiring_grad_on_a_plain_tensor_joins_the_graph():
    def fn(t, x, w):
        y = x.detach().clone()
        y.mul_(w)
        y.add_(w)
        return y
    check(fn, randn(2, 3), randn(2, 3))


def test_inplace_op_using_itself_as_operand_matches_torch():
    check(lambda t, x: (x * 1).mul_(x * 1), randn(4))

    def self_add(t, x):
        y = x * 2
        return y.add_(y)
    check(self_add, randn(4))


def test_mul_by_itself_in_place_fails_at_backward_like_torch():
    # mul_ saves its `other` operand, which is y itself: modified by the op.
    def fn(t, x):
        x.requires_grad_()
        y = x * 1
        y.mul_(y)
        y.sum().backward()
    check_error(fn, randn(4))


def test_modifying_the_result_of_an_inplace_op_that_saved_it_raises_like_torch():
    def fn(t, x):
        x.requires_grad_()
        y = x * 1
        y.sigmoid_()  # saves its output, which lives in y
        y.add_(1)
        y.sum().backward()
    check_error(fn, randn(4))


def test_inplace_on_view_of_leaf_requiring_grad_raises_like_torch():
    def fn(t, x):
        x.requires_grad_()
        x[0].mul_(2)
    check_error(fn, randn(3))


def test_modifying_a_tensor_saved_for_backward_raises_at_backward_like_torch():
    def fn(t, x):
        x.requires_grad_()
        y = x * 1
        z = y * y  # saves y
        y.add_(1)
        z.sum().backward()
    e_exc, _ = check_error(fn, randn(3), match="modified by an inplace operation")
    assert "is at version 1; expected version 0 instead" in str(e_exc)


def test_modifying_an_output_saved_for_backward_raises_like_torch():
    def fn(t, x):
        x.requires_grad_()
        y = x.exp()  # saves its output
        y.add_(1)
        y.sum().backward()
    check_error(fn, randn(3), match="modified by an inplace operation")


def test_modifying_a_view_of_a_saved_tensor_raises_at_backward_like_torch():
    def fn(t, x):
        x.requires_grad_()
        y = x * 1
        z = y.sigmoid()  # saves its output
        z[0].mul_(2)
        z.sum().backward()
    check_error(fn, randn(3), match="modified by an inplace operation")


def test_inplace_on_unsaved_input_still_backpropagates_like_torch():
    def fn(t, x):
        y = x * 1
        z = y + 2  # add saves nothing
        y.mul_(3)
        return z + y
    check(fn, randn(3))


def test_inplace_chain_passes_float64_gradcheck():
    def fn(t, x, w):
        y = x * 1.5
        y.mul_(w)
        y.add_(x)
        return y.sigmoid_()
    assert gradcheck(fn, randn(2, 3), randn(2, 3))


# ---------------------------------------------------------------------------------------
# in-place on views of tensors with history: the base is rebased (CopySlices)


VIEW_INPLACE = {
    "row_mul_": lambda y, w: y[0].mul_(2),
    "column_add_tensor": lambda y, w: y[:, 1].add_(w[:, 0]),
    "transposed_slice": lambda y, w: y[:, 1:].t().add_(w[0, 1:].unsqueeze(1) * 3),
    "strided_relu_": lambda y, w: y[:, ::2].relu_(),
    "reshape_view_mul_": lambda y, w: y.view(-1)[1:4].mul_(w.reshape(-1)[:3]),
    "whole_view_zero_": lambda y, w: y.view(3, 2).zero_(),
    "nested_view_fill_": lambda y, w: y[1][1:].fill_(5.0),
    "copy_into_row": lambda y, w: y[1].copy_(w[0] * 2),
}


@pytest.mark.parametrize("op", list(VIEW_INPLACE))
def test_inplace_on_a_view_rebases_the_base_like_torch(op):
    def fn(t, x, w):
        y = x * 1.5
        VIEW_INPLACE[op](y, w)
        return y * y
    check(fn, randn(2, 3), randn(2, 3))


def test_base_of_a_modified_view_has_copy_slices_grad_fn():
    def fn(t, x):
        y = x * 2
        y[0].mul_(2)
        return y
    e, t = check(fn, randn(2, 3))
    assert e.grad_fn.name() == t.grad_fn.name() == "torch::autograd::CopySlices"


def test_inplace_on_a_view_passes_gradcheck():
    def fn(t, x, w):
        y = x * 1
        y[:, 1:].mul_(w[:, :2])
        y[0].sigmoid_()
        return y
    assert gradcheck(fn, randn(2, 3), randn(2, 3))


def test_inplace_with_grad_operand_on_a_view_of_a_plain_tensor_rebases_it_like_torch():
    def fn(t, x, w):
        y = t.zeros(2, 3, dtype=t.float32)
        y[1:].mul_(w[1:]).add_(x[0])
        return y
    check(fn, randn(2, 3), randn(2, 3))


def test_inplace_on_a_view_of_a_detached_tensor_leaves_the_source_alone():
    def fn(t, x, w):
        d = (x * 1).detach()
        d[0].mul_(w[0])
        return d
    check(fn, randn(2, 3), randn(2, 3))


def test_scalar_operand_saved_by_mul_is_not_checked_like_torch():
    # y * 3 saves nothing torch needs, so changing y in place afterwards is fine
    def fn(t, x):
        y = x * 1
        z = y * 3
        y.add_(1)
        return z + y
    check(fn, randn(3))
