"""Pointwise math (trig, exp/log variants, rounding, special functions, remainders,
interpolation, predicates, shifts, complex parts): ember against torch 2.13.

`check` compares values, dtype, shape, grad_fn name and input gradients with torch;
`gradcheck`/`gradgradcheck` check float64 first and second derivatives numerically.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember
from differential import check, check_error, gradcheck, gradgradcheck, randn

FLOATS = [np.float32, np.float64]


def _uniform(*shape, low, high, dtype=np.float64):
    rng = np.random.default_rng(7)
    return rng.uniform(low, high, shape).astype(dtype)


# name -> (function, domain (low, high)) for the unary float functions
UNARY = {
    "rsqrt": (lambda t, x: t.rsqrt(x), (0.2, 3.0)),
    "exp2": (lambda t, x: t.exp2(x), (-3.0, 3.0)),
    "expm1": (lambda t, x: t.expm1(x), (-3.0, 3.0)),
    "log2": (lambda t, x: t.log2(x), (0.2, 5.0)),
    "log10": (lambda t, x: t.log10(x), (0.2, 5.0)),
    "log1p": (lambda t, x: t.log1p(x), (-0.8, 5.0)),
    "sin": (lambda t, x: t.sin(x), (-4.0, 4.0)),
    "cos": (lambda t, x: t.cos(x), (-4.0, 4.0)),
    "tan": (lambda t, x: t.tan(x), (-1.2, 1.2)),
    "asin": (lambda t, x: t.asin(x), (-0.9, 0.9)),
    "acos": (lambda t, x: t.acos(x), (-0.9, 0.9)),
    "atan": (lambda t, x: t.atan(x), (-4.0, 4.0)),
    "arcsin": (lambda t, x: t.arcsin(x), (-0.9, 0.9)),
    "sinh": (lambda t, x: t.sinh(x), (-3.0, 3.0)),
    "cosh": (lambda t, x: t.cosh(x), (-3.0, 3.0)),
    "asinh": (lambda t, x: t.asinh(x), (-3.0, 3.0)),
    "acosh": (lambda t, x: t.acosh(x), (1.2, 4.0)),
    "atanh": (lambda t, x: t.atanh(x), (-0.9, 0.9)),
    "erf": (lambda t, x: t.erf(x), (-3.0, 3.0)),
    "erfc": (lambda t, x: t.erfc(x), (-3.0, 5.0)),
    "erfinv": (lambda t, x: t.erfinv(x), (-0.95, 0.95)),
    "deg2rad": (lambda t, x: t.deg2rad(x), (-360.0, 360.0)),
    "rad2deg": (lambda t, x: t.rad2deg(x), (-4.0, 4.0)),
    "logit": (lambda t, x: t.logit(x), (0.05, 0.95)),
    "logit_eps": (lambda t, x: t.logit(x, eps=0.2), (0.05, 0.95)),
    "square": (lambda t, x: t.square(x), (-3.0, 3.0)),
    "frac": (lambda t, x: t.frac(x), (-3.0, 3.0)),
    "sgn": (lambda t, x: t.sgn(x), (-3.0, 3.0)),
    "nan_to_num": (lambda t, x: t.nan_to_num(x), (-3.0, 3.0)),
    "method_sin": (lambda t, x: x.sin(), (-3.0, 3.0)),
    "method_expm1": (lambda t, x: x.expm1(), (-3.0, 3.0)),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_function_matches_torch_with_gradient(name, dtype):
    fn, (low, high) = UNARY[name]
    # torch's sgn gradient is a ZeroTensor, which cannot be read: see the test below
    check(fn, _uniform(3, 4, low=low, high=high, dtype=dtype), grad=name != "sgn")


def test_sgn_of_real_input_has_zero_gradient():
    x = ember.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    ember.sgn(x).sum().backward()
    xt = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    torch.sgn(xt).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy(force=True))


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_function_on_0d_empty_and_non_contiguous_inputs(name):
    fn, (low, high) = UNARY[name]
    grad = name != "sgn"
    check(fn, np.asarray(_uniform(1, low=low, high=high)[0], np.float32), grad=grad)
    check(fn, np.zeros((0, 3), np.float32), grad=grad)
    a = _uniform(4, 3, low=low, high=high, dtype=np.float32)
    check(fn, np.asfortranarray(a), grad=grad)


@pytest.mark.parametrize("name", [n for n in UNARY if n not in ("frac", "sgn")])
def test_unary_function_gradcheck_and_gradgradcheck(name):
    fn, (low, high) = UNARY[name]
    x = _uniform(2, 3, low=low, high=high)
    assert gradcheck(fn, x)
    assert gradgradcheck(fn, x)


@pytest.mark.parametrize("name", ["rsqrt", "exp2", "sin", "log1p", "erf", "erfc", "erfinv",
                                  "deg2rad", "logit", "atanh", "square", "sgn", "nan_to_num"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_unary_function_promotes_integers_and_bools_like_torch(name, dtype):
    fn, _ = UNARY[name]
    check(fn, np.array([0, 1, 0, 1], dtype=dtype))


def test_special_values_of_the_float_functions_match_torch():
    specials = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-30, 50.0, -50.0],
                        np.float32)
    for fn, _ in UNARY.values():
        check(fn, specials, grad=False)
        check(fn, specials.astype(np.float64), grad=False)


def test_erf_family_is_accurate_across_the_range_in_float64():
    x = np.linspace(-6, 27, 2001)
    check(lambda t, a: t.erfc(a), x, grad=False, rtol=1e-13)
    check(lambda t, a: t.erf(a), x, grad=False, rtol=1e-14)
    y = np.linspace(-0.999999, 0.999999, 2001)
    check(lambda t, a: t.erfinv(a), y, grad=False, rtol=1e-12)


def test_logit_gradient_outside_the_unit_interval_is_nan_or_zero_like_torch():
    x = np.array([-0.5, 0.1, 0.5, 1.5], np.float64)
    check(lambda t, a: t.logit(a), x)
    check(lambda t, a: t.logit(a, 0.25), x)


def test_nan_to_num_replaces_nan_and_infinities_with_defaults_or_given_values():
    x = np.array([np.nan, np.inf, -np.inf, 1.5], np.float32)
    check(lambda t, a: t.nan_to_num(a), x)
    check(lambda t, a: t.nan_to_num(a, nan=2.0, posinf=9.0, neginf=-9.0), x.astype(np.float64))
    check(lambda t, a: a.nan_to_num(posinf=1.0), x)
    check(lambda t, a: t.nan_to_num(a), np.array([1, 2], np.int64))


# ---------------------------------------------------------------------------------------
# rounding


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "fix"])
def test_rounding_matches_torch_with_zero_gradient(name, dtype):
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -3.7, np.inf, np.nan], dtype)
    check(lambda t, a: getattr(t, name)(a), x)
    check(lambda t, a: getattr(t, name)(a), np.array([-3, 0, 7], np.int64))


@pytest.mark.parametrize("decimals", [0, 1, 2, -1, -2])
@pytest.mark.parametrize("dtype", FLOATS)
def test_round_with_decimals_matches_torch(decimals, dtype):
    x = _uniform(20, low=-500, high=500, dtype=dtype)
    check(lambda t, a: t.round(a, decimals=decimals), x)


@pytest.mark.parametrize("name", ["floor", "round", "trunc", "frac"])
def test_rounding_refuses_bools_like_torch(name):
    check_error(lambda t, a: getattr(t, name)(a), np.array([True, False]))


def test_frac_refuses_integers_like_torch():
    check_error(lambda t, a: t.frac(a), np.array([1, 2]))


def test_positive_returns_the_input_and_refuses_bools():
    x = ember.tensor([1.0, -2.0])
    assert ember.positive(x) is x
    check_error(lambda t, a: t.positive(a), np.array([True]))


# ---------------------------------------------------------------------------------------
# binary functions

# (shape of a, shape of b) pairs that broadcast, incl. 0-d and empty
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((0, 3), (3,))]

BINARY = {
    "remainder": lambda t, a, b: t.remainder(a, b),
    "fmod": lambda t, a, b: t.fmod(a, b),
    "mod_op": lambda t, a, b: a % b,
    "atan2": lambda t, a, b: t.atan2(a, b),
    "arctan2": lambda t, a, b: t.arctan2(a, b),
    "hypot": lambda t, a, b: t.hypot(a, b),
    "fmax": lambda t, a, b: t.fmax(a, b),
    "fmin": lambda t, a, b: t.fmin(a, b),
    "xlogy": lambda t, a, b: t.xlogy(a, b),
    "copysign": lambda t, a, b: t.copysign(a, b),
    "float_power": lambda t, a, b: t.float_power(a, b),
    "lerp_tensor": lambda t, a, b: t.lerp(a, b, b * 0.3),
    "lerp_scalar": lambda t, a, b: t.lerp(a, b, 0.7),
}
POSITIVE_B = {"remainder", "fmod", "mod_op", "xlogy", "float_power"}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_function_broadcasts_with_gradients_like_torch(name, shapes, dtype):
    a = randn(*shapes[0], dtype=dtype, low=0.5 if name == "float_power" else None)
    b = randn(*shapes[1], dtype=dtype, low=0.5 if name in POSITIVE_B else None)
    check(BINARY[name], a, b)


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_function_gradcheck_and_gradgradcheck(name):
    a = _uniform(2, 3, low=0.6, high=2.0)
    b = _uniform(3, low=0.3, high=0.5) if name in POSITIVE_B else _uniform(3, low=-2, high=-1)
    assert gradcheck(BINARY[name], a, b)
    assert gradgradcheck(BINARY[name], a, b)


@settings(max_examples=25, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       name=st.sampled_from(["remainder", "atan2", "hypot", "fmax", "xlogy", "copysign",
                             "lerp_tensor"]))
def test_binary_functions_broadcast_over_random_shapes(shapes, name):
    a, b = shapes.input_shapes
    check(BINARY[name], randn(*a), randn(*b, low=0.5 if name in POSITIVE_B else None))


@pytest.mark.parametrize("name", ["remainder", "fmod", "floor_divide", "float_power",
                                  "xlogy", "copysign"])
@pytest.mark.parametrize("scalar", [2, -1.5])
def test_binary_function_with_a_scalar_other_matches_torch(name, scalar):
    grad = name != "floor_divide"  # torch has no derivative for it
    check(lambda t, a: getattr(t, name)(a, scalar), randn(3, 4, low=0.5), grad=grad)
    check(lambda t, a: getattr(t, name)(a, scalar), randn(3, 4, dtype=np.float64, low=0.5),
          grad=grad)


def test_remainder_and_fmod_of_integers_follow_the_sign_rules_of_torch():
    a = np.array([7, -7, 7, -7, 0], np.int64)
    b = np.array([3, 3, -3, -3, 5], np.int64)
    for fn in (lambda t, x, y: t.remainder(x, y), lambda t, x, y: t.fmod(x, y),
               lambda t, x, y: x % y, lambda t, x, y: x // y, lambda t, x, y: t.floor_divide(x, y),
               lambda t, x, y: 7 % y, lambda t, x, y: -7 // y):
        check(fn, a, b)


def test_remainder_and_floor_divide_of_floats_match_torch_including_signs_and_zero():
    a = np.array([5.5, -5.5, 5.5, -5.5, 1.0, 0.0, np.inf], np.float32)
    b = np.array([2.0, 2.0, -2.0, -2.0, 0.0, 3.0, 2.0], np.float32)
    check(lambda t, x, y: x % y, a, b, grad=False)
    check(lambda t, x, y: t.fmod(x, y), a, b, grad=False)
    check(lambda t, x, y: x // y, a, b, grad=False, check_grad_fn=False)
    check(lambda t, x, y: 3.0 % y, a, b, grad=False, check_grad_fn=False)


def test_floor_divide_has_no_derivative_like_torch():
    for lib in (torch, ember):
        x = lib.tensor([3.0, 4.0], requires_grad=True)
        y = x // 2
        assert y.requires_grad
        assert y.grad_fn.name() == "torch::autograd::NotImplemented"


def test_integer_remainder_by_zero_raises_like_torch():
    check_error(lambda t, a, b: t.remainder(a, b), np.array([1, 2]), np.array([0, 1]))
    check_error(lambda t, a, b: a // b, np.array([1, 2]), np.array([0, 1]))


@pytest.mark.parametrize("name", ["atan2", "hypot", "fmax", "fmin"])
def test_tensor_only_binary_functions_refuse_a_number(name):
    check_error(lambda t, a: getattr(t, name)(a, 2.0), randn(3))


def test_binary_functions_promote_integer_inputs_like_torch():
    a, b = np.array([1, -2, 3], np.int64), np.array([2, 2, -5], np.int32)
    for name in ["remainder", "fmod", "atan2", "fmax", "fmin", "xlogy", "copysign",
                 "float_power", "floor_divide"]:
        check(lambda t, x, y, name=name: getattr(t, name)(x, y), a, b, grad=False)
    check(lambda t, x, y: t.atan2(x, y), a, randn(3))
    check(lambda t, x, y: t.float_power(x, y), a, randn(3))


def test_fmax_and_fmin_ignore_nan_and_route_gradients_like_torch():
    a = np.array([1.0, np.nan, 3.0, np.nan, 2.0], np.float64)
    b = np.array([np.nan, 2.0, 1.0, np.nan, 2.0], np.float64)
    check(lambda t, x, y: t.fmax(x, y), a, b)
    check(lambda t, x, y: t.fmin(x, y), a, b)


def test_xlogy_is_zero_where_x_is_zero_unless_y_is_nan():
    x = np.array([0.0, 0.0, 2.0, 1.0], np.float64)
    y = np.array([0.0, np.nan, 3.0, 0.5], np.float64)
    check(lambda t, a, b: t.xlogy(a, b), x, y)
    check(lambda t, b: t.xlogy(2.0, b), y)


def test_copysign_gradient_is_zero_where_input_is_zero():
    check(lambda t, a, b: t.copysign(a, b), np.array([0.0, 1.0, -2.0]),
          np.array([-1.0, -1.0, 1.0]))


def test_float_power_computes_in_double_precision():
    check(lambda t, a, b: t.float_power(a, b), randn(4, low=0.5), randn(4))
    check(lambda t, a: t.float_power(a, 3), np.array([1, 2, 3], np.int64))
    check(lambda t, a: t.float_power(2, a), randn(3))


def test_lerp_refuses_mismatched_dtypes_like_torch():
    check_error(lambda t, a, b: t.lerp(a, b, 0.5), randn(3), randn(3, dtype=np.float64))


def test_lerp_with_large_weights_matches_torch_exactly():
    a, b = randn(50), randn(50)
    for w in (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, -0.5):
        check(lambda t, x, y, w=w: t.lerp(x, y, w), a, b, rtol=0, atol=0, grad=False)


# ---------------------------------------------------------------------------------------
# addcmul / addcdiv


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("value", [1, 0.5, -2])
def test_addcmul_and_addcdiv_broadcast_with_gradients(value, dtype):
    x, t1, t2 = randn(3, 1, dtype=dtype), randn(4, dtype=dtype), randn(3, 4, dtype=dtype, low=0.5)
    check(lambda t, a, b, c: t.addcmul(a, b, c, value=value), x, t1, t2)
    check(lambda t, a, b, c: t.addcdiv(a, b, c, value=value), x, t1, t2)
    check(lambda t, a, b, c: a.addcdiv(b, c, value=value), x, t1, t2)


def test_addcmul_and_addcdiv_gradcheck_and_gradgradcheck():
    x, t1, t2 = randn(2, 3), randn(3), randn(2, 3, low=0.5)
    for fn in (lambda t, a, b, c: t.addcmul(a, b, c, value=0.5),
               lambda t, a, b, c: t.addcdiv(a, b, c, value=-2)):
        assert gradcheck(fn, x, t1, t2)
        assert gradgradcheck(fn, x, t1, t2)


def test_addcmul_of_integers_and_addcdiv_refusing_integers():
    ints = [np.array([1, 2, 3]), np.array([4, 5, 6]), np.array([2, 2, 2])]
    check(lambda t, a, b, c: t.addcmul(a, b, c, value=2), *ints)
    check_error(lambda t, a, b, c: t.addcdiv(a, b, c), *ints)


# ---------------------------------------------------------------------------------------
# predicates and comparisons

SPECIALS = np.array([0.0, -1.5, np.inf, -np.inf, np.nan, 3.0], np.float32)


@pytest.mark.parametrize("name", ["isinf", "isposinf", "isneginf", "isfinite", "isreal",
                                  "isnan"])
def test_predicates_match_torch_for_floats_and_integers(name):
    check(lambda t, a: getattr(t, name)(a), SPECIALS)
    check(lambda t, a: getattr(t, name)(a), SPECIALS.astype(np.float64))
    check(lambda t, a: getattr(t, name)(a), np.array([1, -2], np.int64))
    check(lambda t, a: getattr(a, name)(), np.array([True, False]))


def test_isposinf_refuses_complex_like_torch():
    check_error(lambda t, a: t.isposinf(a), np.array([1 + 1j]))


@pytest.mark.parametrize("kwargs", [{}, {"rtol": 0.1}, {"atol": 1.0}, {"equal_nan": True},
                                    {"rtol": 0, "atol": 0}])
def test_isclose_and_allclose_match_torch(kwargs):
    a = np.array([1.0, 1.05, np.nan, np.inf, -np.inf, 0.0, 1e-9, 2.0], np.float32)
    b = np.array([1.0, 1.0, np.nan, np.inf, np.inf, 1e-9, 0.0, 2.5], np.float32)
    check(lambda t, x, y: t.isclose(x, y, **kwargs), a, b)
    check(lambda t, x, y: x.isclose(y, **kwargs), a.astype(np.float64), b.astype(np.float64))
    for lhs, rhs in ((a, b), (a[:2], a[:2]), (a[5:], b[5:])):
        assert ember.allclose(ember.tensor(lhs), ember.tensor(rhs), **kwargs) == \
            torch.allclose(torch.tensor(lhs), torch.tensor(rhs), **kwargs)


def test_isclose_of_integers_and_mismatched_dtypes():
    check(lambda t, x, y: t.isclose(x, y, atol=1), np.array([1, 5, 9]), np.array([2, 5, 7]))
    check_error(lambda t, x, y: t.isclose(x, y), randn(2), randn(2, dtype=np.float64))


def test_equal_compares_shape_and_values():
    cases = [(np.array([1.0, 2.0]), np.array([1.0, 2.0])), (np.array([1.0]), np.array([2.0])),
             (np.array([1.0, 2.0]), np.array([1.0])), (np.array([np.nan]), np.array([np.nan])),
             (np.zeros((2, 0)), np.zeros((2, 0)))]
    for a, b in cases:
        assert ember.equal(ember.tensor(a), ember.tensor(b)) == torch.equal(torch.tensor(a),
                                                                            torch.tensor(b))
    assert ember.tensor([1, 2]).equal(ember.tensor([1, 2]))


# ---------------------------------------------------------------------------------------
# shifts


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.uint8])
def test_shifts_match_torch_including_wide_and_negative_shifts(dtype):
    a = np.array([1, 5, 100, 3, 7, 1], dtype)
    b = np.array([0, 1, 3, 7, 2, 1], dtype)
    for fn in (lambda t, x, y: x << y, lambda t, x, y: x >> y,
               lambda t, x, y: t.bitwise_left_shift(x, y),
               lambda t, x, y: t.bitwise_right_shift(x, y), lambda t, x, y: x << 2,
               lambda t, x, y: x >> 1, lambda t, x, y: 3 << y):
        check(fn, a, b)
    signed = np.array([-8, -1, 64, 5], np.int64)
    shift = np.array([1, 70, 63, 64], np.int64)
    check(lambda t, x, y: x >> y, signed, shift)
    check(lambda t, x, y: x << y, signed, shift)


def test_shifts_refuse_floats_like_torch():
    check_error(lambda t, a: a << 1, randn(3))
    check_error(lambda t, a: t.bitwise_right_shift(a, 1), randn(3))


# ---------------------------------------------------------------------------------------
# in-place forms and operators


INPLACE = {
    "sin_": lambda x: x.sin_(), "rsqrt_": lambda x: x.rsqrt_(), "square_": lambda x: x.square_(),
    "floor_": lambda x: x.floor_(), "round_": lambda x: x.round_(decimals=1),
    "erfinv_": lambda x: x.mul_(0.3).erfinv_(), "logit_": lambda x: x.mul_(0.3).logit_(0.1),
    "nan_to_num_": lambda x: x.nan_to_num_(), "frac_": lambda x: x.frac_(),
    "lerp_": lambda x: x.lerp_(x * 2, 0.3), "addcmul_": lambda x: x.addcmul_(x * 1, x + 1, value=2),
    "addcdiv_": lambda x: x.addcdiv_(x * 1, x + 3, value=2), "fmod_": lambda x: x.fmod_(0.7),
    "remainder_": lambda x: x.remainder_(0.7), "imod": lambda x: x.__imod__(0.7),
    "hypot_": lambda x: x.hypot_(x + 1), "atan2_": lambda x: x.atan2_(x + 2),
    "copysign_": lambda x: x.copysign_(-1.0), "xlogy_": lambda x: x.xlogy_(x + 2),
    "deg2rad_": lambda x: x.deg2rad_(), "expm1_": lambda x: x.expm1_(),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_form_matches_torch_values_and_gradients(name):
    def fn(t, a):
        y = a * 1  # a non-leaf, so it may change in place while recording
        out = INPLACE[name](y)
        assert out is y
        return y
    check(fn, randn(3, 4, low=0.2))


def test_inplace_float_function_on_integer_tensor_is_refused_like_torch():
    check_error(lambda t, a: a.sin_(), np.array([1, 2]))
    check_error(lambda t, a: a.float_power_(2), randn(2))


def test_float_power_in_place_on_double_matches_torch():
    check(lambda t, a: (a * 1).float_power_(2.5), randn(3, dtype=np.float64, low=0.1))


def test_floor_divide_and_shift_operators_in_place_on_integers():
    a = np.array([7, -7, 9], np.int64)

    def fn(t, x):
        x //= 2
        x <<= 2
        x >>= 1
        x %= 5
        x &= 6
        x |= 1
        x ^= 3
        return x
    check(fn, a)


def test_out_argument_writes_into_the_given_tensor():
    for name in ["exp", "log", "sqrt", "sin", "tanh", "sigmoid", "abs", "neg", "rsqrt",
                 "log1p", "floor", "erf"]:
        x = randn(3, low=0.5)
        e_out, t_out = ember.empty(3), torch.empty(3)
        r = getattr(ember, name)(ember.tensor(x), out=e_out)
        getattr(torch, name)(torch.tensor(x), out=t_out)
        assert r is e_out
        np.testing.assert_allclose(e_out.numpy(), t_out.numpy(), rtol=1e-6)
    for name in ["add", "sub", "mul", "div", "remainder", "atan2", "maximum", "pow"]:
        x, y = randn(3, low=0.5), randn(3, low=0.5)
        e_out, t_out = ember.empty(0), torch.empty(0)
        getattr(ember, name)(ember.tensor(x), ember.tensor(y), out=e_out)
        getattr(torch, name)(torch.tensor(x), torch.tensor(y), out=t_out)
        np.testing.assert_allclose(e_out.numpy(), t_out.numpy(), rtol=1e-6)


# ---------------------------------------------------------------------------------------
# complex numbers


def _complex(*shape, dtype=np.complex128):
    return (randn(*shape, dtype=np.float64) + 1j * randn(*shape, dtype=np.float64)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_arithmetic_matches_torch(dtype):
    a, b = _complex(3, 4, dtype=dtype), _complex(4, dtype=dtype)
    for fn in (lambda t, x, y: x + y, lambda t, x, y: x - y, lambda t, x, y: x * y,
               lambda t, x, y: x / y, lambda t, x, y: x * 2.5, lambda t, x, y: x + 1j,
               lambda t, x, y: t.abs(x), lambda t, x, y: t.angle(x), lambda t, x, y: t.sgn(x),
               lambda t, x, y: t.conj_physical(x), lambda t, x, y: t.conj(x) * y):
        check(fn, a, b, grad=False)


def test_complex_mixed_with_real_tensors_promotes_like_torch():
    check(lambda t, x, y: x * y, _complex(3, dtype=np.complex64), randn(3, dtype=np.float64),
          grad=False)
    check(lambda t, x, y: x + y, randn(3), _complex(3), grad=False)


def test_real_and_imag_are_views_of_complex_tensors():
    for lib in (ember, torch):
        z = lib.tensor([1 + 2j, 3 - 4j])
        z.real[0] = 10.0
        z.imag[1] = 7.0
        assert z.tolist() == [10 + 2j, 3 + 7j]
    x = ember.tensor([1.0, 2.0])
    assert x.real is x
    check_error(lambda t, a: a.imag, randn(2))


def test_complex_and_polar_build_complex_tensors_with_gradients():
    re, im = randn(3, 2), randn(3, 2)
    r = ember.complex(ember.tensor(re), ember.tensor(im))
    np.testing.assert_array_equal(r.numpy(), torch.complex(torch.tensor(re),
                                                           torch.tensor(im)).numpy())
    assert str(r.dtype) == "ember.complex64"
    check(lambda t, a, b: t.abs(t.complex(a, b)), re, im)
    check(lambda t, a, b: t.angle(t.complex(a, b)), re.astype(np.float64), im.astype(np.float64))
    check(lambda t, a, b: t.polar(a, b).real * 2 + t.polar(a, b).imag, randn(3, low=0.1),
          randn(3))
    check_error(lambda t, a, b: t.complex(a, b), np.array([1, 2]), np.array([1, 2]))


def test_abs_of_complex_has_torchs_gradient_and_gradcheck():
    check(lambda t, a, b: t.abs(t.complex(a, b) * 2), randn(4, dtype=np.float64),
          randn(4, dtype=np.float64))
    assert gradcheck(lambda t, a, b: t.abs(t.complex(a, b)), randn(3), randn(3))
    assert gradgradcheck(lambda t, a, b: t.abs(t.complex(a, b)), randn(3), randn(3))


def test_angle_of_real_tensors_is_zero_or_pi():
    check(lambda t, a: t.angle(a), np.array([-1.0, 0.0, 2.0, np.nan], np.float32))
    check(lambda t, a: t.angle(a), np.array([-1, 0, 2], np.int64))


def test_view_as_real_and_view_as_complex_round_trip():
    z = _complex(3, 2)
    check(lambda t, a: t.view_as_real(a), z, grad=False)
    pairs = randn(3, 2)
    check(lambda t, a: t.view_as_complex(a), pairs, grad=False)
    check(lambda t, a: t.view_as_real(t.view_as_complex(a)) * 3, pairs)
    check_error(lambda t, a: t.view_as_complex(a), randn(3, 3))
    check_error(lambda t, a: t.view_as_real(a), randn(3))


def test_deg2rad_matches_math():
    assert math.isclose(ember.deg2rad(ember.tensor(180.0, dtype=ember.float64)).item(), math.pi)


# ---------------------------------------------------------------------------------------
# bad inputs: the same exception type and message as torch

Z = np.array([1 + 1j], np.complex64)
I64 = np.array([1, 2], np.int64)
B = np.array([True, False])

BAD_INPUTS = {
    "sin_of_number": (lambda t: t.sin(1.0),),
    "rsqrt_of_int": (lambda t: t.rsqrt(1),),
    "log2_of_str": (lambda t: t.log2("a"),),
    "square_of_number": (lambda t: t.square(1.0),),
    "sgn_of_number": (lambda t: t.sgn(1.0),),
    "isinf_of_number": (lambda t: t.isinf(1.0),),
    "isfinite_of_number": (lambda t: t.isfinite(1.0),),
    "isreal_of_number": (lambda t: t.isreal(1.0),),
    "nan_to_num_of_number": (lambda t: t.nan_to_num(1.0),),
    "angle_of_number": (lambda t: t.angle(1.0),),
    "conj_of_number": (lambda t: t.conj(1.0),),
    "erf_complex": (lambda t, z: t.erf(z), Z),
    "erfc_complex": (lambda t, z: t.erfc(z), Z),
    "erfinv_complex": (lambda t, z: t.erfinv(z), Z),
    "floor_complex": (lambda t, z: t.floor(z), Z),
    "ceil_bool": (lambda t, b: t.ceil(b), B),
    "fmod_complex": (lambda t, z: t.fmod(z, 2), Z),
    "remainder_complex": (lambda t, z: t.remainder(z, 2), Z),
    "fmod_bool": (lambda t, b: t.fmod(b, b), B),
    "remainder_bool": (lambda t, b: t.remainder(b, b), B),
    "fmod_by_zero": (lambda t, i: t.fmod(i, 0), I64),
    "logit_complex": (lambda t, z: t.logit(z), Z),
    "copysign_complex": (lambda t, z: t.copysign(z, 1.0), Z),
    "xlogy_complex": (lambda t, z: t.xlogy(z, 2.0), Z),
    "atan2_complex": (lambda t, z: t.atan2(z, z), Z),
    "fmax_complex": (lambda t, z: t.fmax(z, z), Z),
    "fmin_complex": (lambda t, z: t.fmin(z, z), Z),
    "deg2rad_complex": (lambda t, z: t.deg2rad(z), Z),
    "rad2deg_complex": (lambda t, z: t.rad2deg(z), Z),
    "lerp_of_ints": (lambda t, i: t.lerp(i, i, 0.5), I64),
    "hypot_of_ints": (lambda t, i: t.hypot(i, i), I64),
    "round_decimals_of_ints": (lambda t, i: t.round(i, decimals=1), I64),
    "polar_of_ints": (lambda t, i: t.polar(i, i), I64),
    "addcmul_bool": (lambda t, b: t.addcmul(b, b, b), B),
    "addcmul_shapes": (lambda t: t.addcmul(t.ones(2), t.ones(3), t.ones(2)),),
    "allclose_shapes": (lambda t: t.allclose(t.ones(2), t.ones(3)),),
    "isclose_negative_rtol": (lambda t: t.isclose(t.ones(2), t.ones(2), rtol=-1.0),),
    "shift_bool": (lambda t, b: t.bitwise_left_shift(b, b), B),
    "copysign_int_inplace": (lambda t, i: i.copysign_(-1.0), I64),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_raises_like_torch(name):
    fn, *arrays = BAD_INPUTS[name]
    check_error(fn, *arrays)


COMPLEX_GRAD = {
    "mul": lambda t, a, b: a * b, "div": lambda t, a, b: a / b, "pow": lambda t, a, b: a ** b,
    "square": lambda t, a, b: t.square(a), "rpow": lambda t, a, b: 2 ** b,
    "sin": lambda t, a, b: t.sin(a), "cos": lambda t, a, b: t.cos(a),
    "tan": lambda t, a, b: t.tan(a), "asin": lambda t, a, b: t.asin(a),
    "acos": lambda t, a, b: t.acos(a), "atan": lambda t, a, b: t.atan(a),
    "sinh": lambda t, a, b: t.sinh(a), "cosh": lambda t, a, b: t.cosh(a),
    "asinh": lambda t, a, b: t.asinh(a), "acosh": lambda t, a, b: t.acosh(a),
    "atanh": lambda t, a, b: t.atanh(a), "rsqrt": lambda t, a, b: t.rsqrt(a),
    "exp2": lambda t, a, b: t.exp2(a), "expm1": lambda t, a, b: t.expm1(a),
    "log2": lambda t, a, b: t.log2(a), "log10": lambda t, a, b: t.log10(a),
    "log1p": lambda t, a, b: t.log1p(a), "sigmoid": lambda t, a, b: t.sigmoid(a),
    "sgn": lambda t, a, b: t.sgn(a), "conj_physical": lambda t, a, b: t.conj_physical(a) * b,
    "addcmul": lambda t, a, b: t.addcmul(a, b, a, value=0.5),
    "addcdiv": lambda t, a, b: t.addcdiv(a, b, a, value=2),
    "lerp": lambda t, a, b: t.lerp(a, b, 0.3), "float_power": lambda t, a, b: t.float_power(a, 2),
    "polar": lambda t, a, b: t.polar(a.abs(), b.abs()),
    "complex": lambda t, a, b: t.complex(a.real, b.imag),
    "nested": lambda t, a, b: t.sin(t.sin(a) * b),
}


@pytest.mark.parametrize("name", list(COMPLEX_GRAD))
def test_complex_gradients_match_torch(name):
    # the output is viewed as real pairs so that the upstream gradient is real-valued
    check(lambda t, a, b: t.view_as_real(COMPLEX_GRAD[name](t, a, b)), _complex(3), _complex(3))


def test_unary_plus_operator_is_positive():
    x = ember.tensor([1.0, -2.0])
    assert +x is x
    check_error(lambda t, a: +a, np.array([True]))


@settings(max_examples=20, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3),
       name=st.sampled_from(["addcmul", "addcdiv", "lerp"]))
def test_three_operand_functions_broadcast_over_random_shapes(shapes, name):
    fns = {"addcmul": lambda t, a, b, c: t.addcmul(a, b, c, value=0.5),
           "addcdiv": lambda t, a, b, c: t.addcdiv(a, b, c, value=2),
           "lerp": lambda t, a, b, c: t.lerp(a, b, c)}
    a, b, c = shapes.input_shapes
    check(fns[name], randn(*a), randn(*b), randn(*c, low=0.5))
