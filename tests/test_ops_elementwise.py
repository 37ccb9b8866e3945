"""Elementwise ops, activations and softmax: ember against torch 2.13.

Each test names the behaviour it pins; `check` compares values, dtype, shape,
grad_fn name and input gradients with torch on the same inputs.
"""

import os
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))
import ember  # noqa: E402
from differential import check, check_error, gradcheck, non_contiguous, randn  # noqa: E402

FLOATS = [np.float32, np.float64]

# (shape of a, shape of b) pairs that broadcast, incl. 0-d and empty
BROADCAST_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((2, 1, 4), (3, 1)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((0, 3), (3,)),
    ((1,), (5,)),
]

BINARY = {
    "add": lambda t, a, b: t.add(a, b),
    "sub": lambda t, a, b: t.sub(a, b),
    "mul": lambda t, a, b: t.mul(a, b),
    "div": lambda t, a, b: t.div(a, b),
    "add_op": lambda t, a, b: a + b,
    "sub_op": lambda t, a, b: a - b,
    "mul_op": lambda t, a, b: a * b,
    "div_op": lambda t, a, b: a / b,
    "maximum": lambda t, a, b: t.maximum(a, b),
    "minimum": lambda t, a, b: t.minimum(a, b),
    "add_alpha": lambda t, a, b: t.add(a, b, alpha=2.5),
    "sub_alpha": lambda t, a, b: t.sub(a, b, alpha=-3),
}


# ---------------------------------------------------------------------------------------
# arithmetic between tensors


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("op", list(BINARY), ids=str)
def test_binary_op_broadcasts_with_gradients_like_torch(op, shapes, dtype):
    check(BINARY[op], randn(*shapes[0], dtype=dtype), randn(*shapes[1], dtype=dtype, low=0.5))


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "minimum"])
def test_binary_op_on_non_contiguous_inputs_matches_torch(op):
    a = non_contiguous(randn(3, 4))
    b = non_contiguous(randn(3, 4, low=0.5))
    check(BINARY[op], a, b)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "add_alpha", "sub_alpha"])
def test_binary_op_passes_float64_gradcheck(op):
    assert gradcheck(BINARY[op], randn(2, 3), randn(3, low=0.5))


def test_pow_tensor_tensor_passes_gradcheck():
    assert gradcheck(lambda t, a, b: a ** b, randn(2, 3, low=0.5), randn(2, 3))


@pytest.mark.parametrize("op", ["add", "mul", "sub", "div"])
def test_broadcast_error_has_torch_message(op):
    check_error(BINARY[op], randn(2, 2), randn(2, 3))
    check_error(BINARY[op], randn(4, 2, 3), randn(2, 2, 1))


def test_maximum_with_ties_splits_gradient_like_torch():
    a = np.array([1.0, 2.0, 3.0], np.float32)
    b = np.array([1.0, 5.0, 3.0], np.float32)
    check(lambda t, x, y: t.maximum(x, y), a, b)
    check(lambda t, x, y: t.minimum(x, y), a, b)


# ---------------------------------------------------------------------------------------
# Python scalars on either side


SCALAR_OPS = {
    "x+s": lambda t, x, s: x + s,
    "s+x": lambda t, x, s: s + x,
    "x-s": lambda t, x, s: x - s,
    "s-x": lambda t, x, s: s - x,
    "x*s": lambda t, x, s: x * s,
    "s*x": lambda t, x, s: s * x,
    "x/s": lambda t, x, s: x / s,
    "s/x": lambda t, x, s: s / x,
    "x**s": lambda t, x, s: x ** s,
    "s**x": lambda t, x, s: s ** x,
    "add(s)": lambda t, x, s: t.add(x, s),
    "sub(s,alpha)": lambda t, x, s: t.sub(x, s, alpha=2),
    "rsub": lambda t, x, s: t.rsub(x, s),
    "mul(s)": lambda t, x, s: t.mul(x, s),
    "div(s)": lambda t, x, s: t.div(x, s),
    "pow(s)": lambda t, x, s: t.pow(x, s),
    "pow(s,x)": lambda t, x, s: t.pow(s, x),
}


@pytest.mark.parametrize("scalar", [2, 2.5, -3, 0.5], ids=repr)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", list(SCALAR_OPS), ids=str)
def test_float_tensor_with_python_scalar_matches_torch(op, dtype, scalar):
    check(lambda t, x: SCALAR_OPS[op](t, x, scalar), randn(3, 4, dtype=dtype, low=0.5))


@pytest.mark.parametrize("scalar", [2, 2.5, True, 0], ids=repr)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
@pytest.mark.parametrize("op", list(SCALAR_OPS), ids=str)
def test_int_and_bool_tensor_with_python_scalar_promote_like_torch(op, dtype, scalar):
    x = np.array([[1, 2, 3], [4, 5, 1]]).astype(dtype)
    try:
        torch_fn = SCALAR_OPS[op](torch, torch.from_numpy(x.copy()), scalar)
    except Exception:  # noqa: BLE001 - torch refuses: ember must refuse the same way
        check_error(lambda t, a: SCALAR_OPS[op](t, a, scalar), x)
        return
    del torch_fn
    check(lambda t, a: SCALAR_OPS[op](t, a, scalar), x)


@pytest.mark.parametrize("da, db", [
    (np.int64, np.float32), (np.int32, np.int64), (np.bool_, np.int64), (np.uint8, np.int8),
    (np.bool_, np.float64), (np.float32, np.float64), (np.uint8, np.bool_),
    (np.int64, np.float64),
])
@pytest.mark.parametrize("op", ["add", "mul", "div", "maximum", "sub"])
def test_mixed_dtype_tensors_promote_like_torch(op, da, db):
    a = (np.arange(6).reshape(2, 3) % 3 + 1).astype(da)
    b = (np.arange(3) + 1).astype(db)
    try:
        BINARY[op](torch, torch.from_numpy(a.copy()), torch.from_numpy(b.copy()))
    except Exception:  # noqa: BLE001
        check_error(BINARY[op], a, b)
        return
    check(BINARY[op], a, b)


@pytest.mark.parametrize("da, db", [
    (np.float32, np.float64), (np.int64, np.float64), (np.float32, np.int64),
    (np.int32, np.int64), (np.int64, np.bool_), (np.uint8, np.int64),
])
@pytest.mark.parametrize("op", ["add", "mul", "div", "sub"])
def test_zero_dim_tensor_does_not_raise_precision_like_torch(op, da, db):
    a = (np.arange(6).reshape(2, 3) + 1).astype(da)
    b = np.array(3).astype(db)
    try:
        BINARY[op](torch, torch.from_numpy(a.copy()), torch.from_numpy(b.copy()))
    except Exception:  # noqa: BLE001
        check_error(BINARY[op], a, b)
        return
    # The float64 0-d input's gradient is summed in float32 (the op's dtype) by both
    # libraries, in different orders: compare it at float32 precision.
    check(BINARY[op], a, b, grad_rtol=1e-5, grad_atol=1e-6)
    check(BINARY[op], b, a, grad_rtol=1e-5, grad_atol=1e-6)


def test_int_divided_by_int_is_float32():
    check(lambda t, a, b: a / b, np.array([1, 2, 7]), np.array([2, 2, 2]))
    check(lambda t, a: a / 2, np.array([1, 2, 7]))
    check(lambda t, a: 7 / a, np.array([1, 2, 7]))


def test_unary_minus_matches_torch():
    check(lambda t, x: -x, randn(3, 2))
    check(lambda t, x: -x, np.array([1, -2, 3]))
    check(lambda t, x: t.neg(x), randn())


def test_unary_minus_of_bool_raises_like_torch():
    check_error(lambda t, x: -x, np.array([True, False]))


def test_bool_minus_bool_raises_like_torch():
    check_error(lambda t, a, b: a - b, np.array([True]), np.array([False]))


@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32])
def test_div_rounding_mode_matches_torch(mode, dtype):
    a = np.array([7, -7, 7, -7, 0, 5, -9], dtype)
    b = np.array([2, 2, -2, -2, 3, 5, 4], dtype)
    check(lambda t, x, y: t.div(x, y, rounding_mode=mode), a, b)
    check(lambda t, x: t.div(x, 3, rounding_mode=mode), a)
    check(lambda t, x: t.div(x, 2.5, rounding_mode=mode), a)


def test_div_rounding_mode_gradient_is_zero_like_torch():
    check(lambda t, x, y: t.div(x, y, rounding_mode="floor"), randn(3), randn(3, low=0.5))
    check(lambda t, x, y: t.div(x, y, rounding_mode="trunc"), randn(3), randn(3, low=0.5))


def test_div_bad_rounding_mode_raises_like_torch():
    check_error(lambda t, x: t.div(x, 2, rounding_mode="round"), randn(3))


def test_integer_division_by_zero_raises_like_torch():
    check_error(lambda t, x, y: t.div(x, y, rounding_mode="floor"), np.array([1, 2]),
                np.array([1, 0]))


# ---------------------------------------------------------------------------------------
# pow


@pytest.mark.parametrize("exponent", [0, 1, 2, 3, -1, 0.5, -2.5, 2.0], ids=repr)
@pytest.mark.parametrize("dtype", FLOATS)
def test_pow_tensor_scalar_matches_torch(exponent, dtype):
    check(lambda t, x: x ** exponent, randn(3, 4, dtype=dtype, low=0.3))


@pytest.mark.parametrize("exponent", [3, 0.5, -1.5, 2])
def test_pow_tensor_scalar_passes_gradcheck(exponent):
    assert gradcheck(lambda t, x: x ** exponent, randn(2, 3, low=0.5))


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("dtype", FLOATS)
def test_pow_tensor_tensor_broadcasts_like_torch(shapes, dtype):
    check(lambda t, a, b: a ** b, randn(*shapes[0], dtype=dtype, low=0.3),
          randn(*shapes[1], dtype=dtype))


def test_pow_zero_base_gradient_of_exponent_like_torch():
    a = np.array([0.0, 0.0, 2.0], np.float64)
    b = np.array([2.0, 0.0, 3.0], np.float64)
    check(lambda t, x, y: x ** y, a, b)


@pytest.mark.parametrize("base", [2, 2.5, 0.5, 0], ids=repr)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_pow_scalar_base_matches_torch(base, dtype):
    x = np.array([0, 1, 2, 3], dtype)
    check(lambda t, e: base ** e, x)
    check(lambda t, e: t.pow(base, e), x)


def test_pow_scalar_base_passes_gradcheck():
    assert gradcheck(lambda t, x: 2.5 ** x, randn(3))


def test_integer_pow_matches_torch():
    x = np.array([1, 2, 3, -4])
    check(lambda t, a: a ** 2, x)
    check(lambda t, a: a ** 3, x)
    check(lambda t, a: a ** 0.5, np.array([1, 4, 9]))
    check(lambda t, a, b: a ** b, x, np.array([0, 1, 2, 3]))


def test_integer_to_negative_integer_power_raises_like_torch():
    check_error(lambda t, a: a ** -1, np.array([1, 2]))


def test_pow_mixed_dtypes_promote_like_torch():
    check(lambda t, a, b: a ** b, np.array([1, 2, 3]), np.array([0.5, 1.5, 2.0], np.float32))
    check(lambda t, a, b: a ** b, randn(3, low=0.5), np.array([1, 2, 3]))
    # b's gradient is computed in float32 and cast to float64: float32 tolerance
    check(lambda t, a, b: a ** b, randn(3, low=0.5), np.array(2.0), grad_rtol=1e-5,
          grad_atol=1e-6)


# ---------------------------------------------------------------------------------------
# unary math


UNARY = {
    "exp": lambda t, x: t.exp(x),
    "log": lambda t, x: t.log(x),
    "sqrt": lambda t, x: t.sqrt(x),
    "tanh": lambda t, x: t.tanh(x),
    "sigmoid": lambda t, x: t.sigmoid(x),
    "relu": lambda t, x: t.relu(x),
    "abs": lambda t, x: t.abs(x),
    "sign": lambda t, x: t.sign(x),
    "reciprocal": lambda t, x: t.reciprocal(x),
    "neg": lambda t, x: t.neg(x),
    "method_exp": lambda t, x: x.exp(),
    "method_relu": lambda t, x: x.relu(),
}
POSITIVE_ONLY = {"log", "sqrt", "reciprocal"}


@pytest.mark.parametrize("shape", [(3, 4), (), (0,), (2, 1, 3)], ids=str)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", list(UNARY), ids=str)
def test_unary_op_matches_torch(op, dtype, shape):
    low = 0.2 if op in POSITIVE_ONLY else None
    check(UNARY[op], randn(*shape, dtype=dtype, low=low))


@pytest.mark.parametrize("op", list(UNARY), ids=str)
def test_unary_op_on_non_contiguous_input_matches_torch(op):
    low = 0.2 if op in POSITIVE_ONLY else None
    check(UNARY[op], non_contiguous(randn(4, 3, low=low)))


@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "tanh", "sigmoid", "abs", "reciprocal",
                                "relu", "neg"])
def test_unary_op_passes_float64_gradcheck(op):
    assert gradcheck(UNARY[op], randn(3, 4, low=0.2 if op in POSITIVE_ONLY else None))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.uint8])
@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "tanh", "sigmoid", "abs", "sign",
                                "reciprocal", "relu", "neg"])
def test_unary_op_on_integer_input_matches_torch(op, dtype):
    x = np.array([0, 1, 2, 3]).astype(dtype)
    try:
        UNARY[op](torch, torch.from_numpy(x.copy()))
    except Exception:  # noqa: BLE001
        check_error(UNARY[op], x)
        return
    check(UNARY[op], x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_is_stable_at_extremes(dtype):
    x = np.array([-100.0, -50.0, -10.0, 0.0, 10.0, 50.0, 100.0], dtype)
    check(lambda t, a: t.sigmoid(a), x)
    check(lambda t, a: t.tanh(a), x)
    check(lambda t, a: t.exp(a), x)


def test_special_values_match_torch():
    x = np.array([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan], np.float32)
    for op in ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "sign", "reciprocal"):
        check(UNARY[op], x, grad=False)


def test_abs_and_relu_gradient_at_zero_is_zero_like_torch():
    x = np.array([-1.0, 0.0, 1.0], np.float32)
    check(lambda t, a: t.abs(a), x)
    check(lambda t, a: t.relu(a), x)


# ---------------------------------------------------------------------------------------
# clamp


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("bounds", [(-0.5, 0.5), (None, 0.3), (-0.2, None), (1, 2), (0.5, -0.5)],
                         ids=str)
def test_clamp_with_number_bounds_matches_torch(bounds, dtype):
    lo, hi = bounds
    check(lambda t, x: t.clamp(x, lo, hi), randn(4, 5, dtype=dtype))
    check(lambda t, x: x.clamp(min=lo, max=hi), randn(4, 5, dtype=dtype))


def test_clamp_min_and_max_match_torch():
    x = randn(3, 4)
    check(lambda t, a: t.clamp_min(a, 0.1), x)
    check(lambda t, a: t.clamp_max(a, 0.1), x)
    check(lambda t, a: a.clamp_min(-0.1), x)
    check(lambda t, a: t.clip(a, -0.1, 0.2), x)


def test_clamp_gradient_at_boundary_matches_torch():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0], np.float32)
    check(lambda t, a: t.clamp(a, 0.0, 1.0), x)
    check(lambda t, a: t.clamp_min(a, 0.0), x)
    check(lambda t, a: t.clamp_max(a, 1.0), x)


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 4), ())], ids=str)
def test_clamp_with_tensor_bounds_matches_torch(shapes):
    x = randn(*shapes[0])
    lo = randn(*shapes[1]) - 0.5
    hi = randn(*shapes[1]) ** 2 + 0.5
    check(lambda t, a, b, c: t.clamp(a, b, c), x, lo, hi)
    check(lambda t, a, b: t.clamp(a, min=b), x, lo)
    check(lambda t, a, c: t.clamp(a, max=c), x, hi)
    check(lambda t, a, b: t.clamp_min(a, b), x, lo)
    check(lambda t, a, c: t.clamp_max(a, c), x, hi)


def test_clamp_on_int_tensor_with_float_bounds_matches_torch():
    x = np.array([-3, -1, 0, 2, 5])
    check(lambda t, a: t.clamp(a, -1.5, 2.5), x)
    check(lambda t, a: t.clamp(a, 0, 3), x)
    check(lambda t, a: t.clamp(a, min=0.5), x)
    check(lambda t, a: t.clamp(a, max=1.5), x)
    check(lambda t, a: t.clamp_min(a, 0.5), x)


def test_clamp_nan_propagates_like_torch():
    check(lambda t, a: t.clamp(a, -1, 1), np.array([np.nan, 2.0, -2.0], np.float32), grad=False)


def test_clamp_without_bounds_raises_like_torch():
    check_error(lambda t, a: t.clamp(a), randn(3))


def test_clamp_passes_gradcheck():
    assert gradcheck(lambda t, x: t.clamp(x, -0.5, 0.5), randn(3, 4))
    assert gradcheck(lambda t, x, lo: t.clamp(x, min=lo), randn(3, 4), randn(4))


# ---------------------------------------------------------------------------------------
# where


@pytest.mark.parametrize("shapes", [((3, 4),) * 3, ((3, 1), (1, 4), (4,)), ((), (2,), (3, 1))],
                         ids=str)
def test_where_broadcasts_with_gradients_like_torch(shapes):
    cond = np.asarray(randn(*shapes[0]) > 0)
    check(lambda t, c, a, b: t.where(c, a, b), cond, randn(*shapes[1]), randn(*shapes[2]))


@pytest.mark.parametrize("a, b", [(1.0, 0.0), (1, 0), (2, 0.5), (True, False)], ids=repr)
def test_where_with_scalar_branches_matches_torch(a, b):
    cond = np.array([True, False, True])
    check(lambda t, c: t.where(c, a, b), cond)


def test_where_with_one_scalar_branch_matches_torch():
    cond = np.array([[True, False, True]])
    check(lambda t, c, x: t.where(c, x, 0.0), cond, randn(2, 3))
    check(lambda t, c, x: t.where(c, 1.5, x), cond, randn(2, 3, dtype=np.float64))
    check(lambda t, c, x: t.where(c, x, 2), cond, np.array([1, 2, 3]))
    check(lambda t, c, x: t.where(c, x, 2.5), cond, np.array([1, 2, 3]))
    check(lambda t, c, x: x.where(c, 0.0), cond, randn(2, 3))


def test_where_mixed_dtypes_promote_like_torch():
    cond = np.array([True, False, True])
    check(lambda t, c, x, y: t.where(c, x, y), cond, randn(3), np.array([1, 2, 3]))
    check(lambda t, c, x, y: t.where(c, x, y), cond, randn(3),
          randn(3, dtype=np.float64))


def test_where_non_bool_condition_raises_like_torch():
    check_error(lambda t, c, x: t.where(c, x, x), np.array([1, 0]), randn(2))


def test_where_broadcast_error_matches_torch():
    check_error(lambda t, c, x, y: t.where(c, x, y), np.array([True, False]), randn(3),
                randn(3), match="type")


def test_where_passes_gradcheck():
    cond = np.array([True, False, True])
    assert gradcheck(lambda t, x, y: t.where(t.from_numpy(cond), x, y), randn(3), randn(3))


# ---------------------------------------------------------------------------------------
# comparisons, logic, bitwise


COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"]
COMPARE_OPS = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
}


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("op", COMPARE)
def test_comparison_gives_bool_like_torch(op, shapes):
    a = np.asarray(np.round(randn(*shapes[0])))
    b = np.asarray(np.round(randn(*shapes[1])))
    check(lambda t, x, y: getattr(t, op)(x, y), a, b)
    check(lambda t, x, y: COMPARE_OPS[op](x, y), a, b)


@pytest.mark.parametrize("scalar", [0, 0.5, True, -1], ids=repr)
@pytest.mark.parametrize("op", COMPARE)
def test_comparison_with_scalar_on_either_side_matches_torch(op, scalar):
    x = np.array([-1, 0, 1, 2])
    check(lambda t, a: COMPARE_OPS[op](a, scalar), x)
    check(lambda t, a: COMPARE_OPS[op](scalar, a), x)
    check(lambda t, a: getattr(t, op)(a, scalar), x.astype(np.float32) / 2)


@pytest.mark.parametrize("op", COMPARE)
def test_comparison_between_mixed_dtypes_matches_torch(op):
    check(lambda t, a, b: getattr(t, op)(a, b), np.array([1, 2, 3]),
          np.array([1.0, 2.5, 2.0], np.float32))
    check(lambda t, a, b: getattr(t, op)(a, b), np.array([True, False]), np.array([1, 0]))


def test_comparison_broadcast_error_matches_torch():
    check_error(lambda t, a, b: a < b, randn(2, 3), randn(4))


@pytest.mark.parametrize("op", ["logical_and", "logical_or", "logical_xor"])
@pytest.mark.parametrize("dtype", [np.bool_, np.int64, np.float32])
def test_logical_binary_ops_match_torch(op, dtype):
    a = np.array([[0, 1, 2, 0]]).astype(dtype)
    b = np.array([[0], [1], [0]]).astype(np.bool_)
    check(lambda t, x, y: getattr(t, op)(x, y), a, b)
    check(lambda t, x, y: getattr(x, op)(y), a, b)


@pytest.mark.parametrize("dtype", [np.bool_, np.int64, np.float32])
def test_logical_not_matches_torch(dtype):
    check(lambda t, x: t.logical_not(x), np.array([0, 1, 2]).astype(dtype))


@pytest.mark.parametrize("dtype", [np.bool_, np.int64, np.int32, np.uint8])
def test_bitwise_operators_match_torch(dtype):
    a = np.array([0, 1, 5, 3]).astype(dtype)
    b = np.array([1, 1, 3, 0]).astype(dtype)
    check(lambda t, x, y: x & y, a, b)
    check(lambda t, x, y: x | y, a, b)
    check(lambda t, x, y: x ^ y, a, b)
    check(lambda t, x: ~x, a)
    check(lambda t, x, y: t.bitwise_and(x, y), a, b)


def test_bitwise_with_python_scalars_matches_torch():
    check(lambda t, x: x & 1, np.array([1, 2, 3]))
    check(lambda t, x: 6 | x, np.array([1, 2, 3]))
    check(lambda t, x: x ^ True, np.array([True, False]))
    check(lambda t, x: x & True, np.array([True, False]))


def test_bitwise_on_float_raises_like_torch():
    check_error(lambda t, x: x & x, randn(3))
    check_error(lambda t, x: x | 1, randn(3))
    check_error(lambda t, x: t.bitwise_not(x), randn(3))
    check_error(lambda t, x: x & 2.5, np.array([1, 2]))


def test_invert_operator_on_float_raises_type_error_like_torch():
    check_error(lambda t, x: ~x, randn(3))


def test_bitwise_between_bool_and_int_promotes_like_torch():
    check(lambda t, x, y: x & y, np.array([True, False]), np.array([3, 1]))


# ---------------------------------------------------------------------------------------
# softmax and log_softmax


@pytest.mark.parametrize("dim", [0, 1, -1, 2])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_along_any_dim_matches_torch(fn, dtype, dim):
    check(lambda t, x: getattr(t, fn)(x, dim), randn(2, 3, 4, dtype=dtype))
    check(lambda t, x: getattr(x, fn)(dim), randn(2, 3, 4, dtype=dtype))


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_is_stable_for_large_values(fn):
    x = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1e4, 0.0]], np.float32)
    check(lambda t, a: getattr(t, fn)(a, 1), x)
    check(lambda t, a: getattr(t, fn)(a, 0), x)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_dtype_argument_casts_first_like_torch(fn):
    check(lambda t, x: getattr(t, fn)(x, -1, dtype=t.float64), randn(2, 3))
    check(lambda t, x: getattr(t, fn)(x, 0, dtype=t.float32), np.array([1, 2, 3]))


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_on_0d_and_empty_matches_torch(fn):
    check(lambda t, x: getattr(t, fn)(x, 0), randn())
    check(lambda t, x: getattr(t, fn)(x, 1), randn(0, 3))
    check(lambda t, x: getattr(t, fn)(x, 0), randn(0, 3))


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_on_integer_input_raises_like_torch(fn):
    check_error(lambda t, x: getattr(t, fn)(x, 0), np.array([1, 2, 3]))


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_dim_out_of_range_raises_like_torch(fn):
    check_error(lambda t, x: getattr(t, fn)(x, 2), randn(2, 3))


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_passes_gradcheck(fn):
    assert gradcheck(lambda t, x: getattr(t, fn)(x, 1), randn(3, 4))


def test_softmax_via_nn_functional_matches_torch():
    import torch.nn.functional as F  # noqa: N812

    x = randn(2, 5)
    e = ember.softmax(ember.from_numpy(x), dim=-1).numpy()
    np.testing.assert_allclose(e, F.softmax(torch.from_numpy(x), dim=-1).numpy(), rtol=1e-6)


# ---------------------------------------------------------------------------------------
# property tests: broadcasting binary ops over random shapes


@st.composite
def broadcastable_shapes(draw):
    ndim = draw(st.integers(0, 4))
    base = draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim))
    def variant():
        dims = [draw(st.sampled_from([d, 1])) for d in base]
        drop = draw(st.integers(0, len(dims)))
        return tuple(dims[drop:])
    return variant(), variant()


@settings(max_examples=40, deadline=None)
@given(shapes=broadcastable_shapes(),
       op=st.sampled_from(["add", "sub", "mul", "div", "maximum", "minimum"]),
       dtype=st.sampled_from(FLOATS))
def test_property_broadcasting_binary_ops_match_torch(shapes, op, dtype):
    check(BINARY[op], randn(*shapes[0], dtype=dtype), randn(*shapes[1], dtype=dtype, low=0.5))


@settings(max_examples=30, deadline=None)
@given(shapes=broadcastable_shapes(), op=st.sampled_from(COMPARE))
def test_property_broadcasting_comparisons_match_torch(shapes, op):
    check(lambda t, x, y: getattr(t, op)(x, y), np.asarray(np.round(randn(*shapes[0]))),
          np.asarray(np.round(randn(*shapes[1]))))


@settings(max_examples=30, deadline=None)
@given(a=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       b=st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_property_broadcast_errors_match_torch(a, b):
    try:
        torch.broadcast_shapes(tuple(a), tuple(b))
    except RuntimeError:
        check_error(BINARY["add"], randn(*a), randn(*b))
        return
    check(BINARY["mul"], randn(*a), randn(*b))


@pytest.mark.parametrize("dtype,number", [("uint8", -3), ("int8", 300), ("int16", -70000),
                                          ("bool", 2), ("int64", 2 ** 40)])
def test_true_division_of_an_integer_tensor_by_a_number_does_not_wrap_it(dtype, number):
    out = [lib.tensor([1, 2, 0], dtype=getattr(lib, dtype)) / number for lib in (ember, torch)]
    assert str(out[0].dtype).replace("ember", "torch") == str(out[1].dtype)
    np.testing.assert_allclose(out[0].numpy(), out[1].numpy(), rtol=1e-6)
