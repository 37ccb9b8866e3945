"""Activation functions and layers against torch: values, dtypes, grad_fn names,
gradients (float64 gradcheck and gradgradcheck), in-place forms, reprs and errors."""

import math

import numpy as np
import pytest
import torch

import ember
from differential import check, check_error, gradcheck, gradgradcheck, non_contiguous, randn
from module_check import check_module

F = "nn.functional"


def _f(name):
    """t -> t.nn.functional.<name>"""
    def get(t):
        return getattr(t.nn.functional, name)
    return get


# name -> fn(t, x); every one is elementwise-differentiable on random inputs
ACTIVATIONS = {
    "relu6": lambda t, x: t.nn.functional.relu6(x),
    "leaky_relu": lambda t, x: t.nn.functional.leaky_relu(x, 0.2),
    "elu": lambda t, x: t.nn.functional.elu(x, 0.7),
    "selu": lambda t, x: t.selu(x),
    "celu": lambda t, x: t.celu(x, 0.5),
    "gelu": lambda t, x: t.nn.functional.gelu(x),
    "gelu_tanh": lambda t, x: t.nn.functional.gelu(x, approximate="tanh"),
    "silu": lambda t, x: t.nn.functional.silu(x),
    "mish": lambda t, x: t.nn.functional.mish(x),
    "softplus": lambda t, x: t.nn.functional.softplus(x),
    "softplus_beta": lambda t, x: t.nn.functional.softplus(x, 2, 3),
    "softsign": lambda t, x: t.nn.functional.softsign(x),
    "hardtanh": lambda t, x: t.nn.functional.hardtanh(x, -2, 1.5),
    "hardsigmoid": lambda t, x: t.nn.functional.hardsigmoid(x),
    "hardswish": lambda t, x: t.nn.functional.hardswish(x),
    "threshold": lambda t, x: t.threshold(x, 0.5, -1.0),
    "glu": lambda t, x: t.nn.functional.glu(x, 1),
    "logsigmoid": lambda t, x: t.nn.functional.logsigmoid(x),
    "softmin": lambda t, x: t.nn.functional.softmin(x, 1),
    "tanhshrink": lambda t, x: t.nn.functional.tanhshrink(x),
    "softshrink": lambda t, x: t.nn.functional.softshrink(x, 1.0),
    "hardshrink": lambda t, x: t.hardshrink(x, 1.0),
    "rrelu_eval": lambda t, x: t.rrelu(x, 0.1, 0.4),
    "prelu_scalar": lambda t, x: t.prelu(x, t.tensor([0.3], dtype=x.dtype)),
    "prelu_channels": lambda t, x: t.nn.functional.prelu(
        x, t.tensor([0.3, -0.1, 0.2, 0.5, 0.0, 1.5], dtype=x.dtype)[:x.shape[1]]),
    "sigmoid": lambda t, x: t.nn.functional.sigmoid(x),
    "tanh": lambda t, x: t.nn.functional.tanh(x),
    "softmax": lambda t, x: t.nn.functional.softmax(x, 0),
    "log_softmax": lambda t, x: t.nn.functional.log_softmax(x, -1),
}


# gelu's tanh form: for x << 0 the gradient is 1 + tanh(...) with tanh near -1, so in
# float32 it is a few ulp of 1 whichever tanh is used (torch's and NumPy's differ by one)
# float32 tanh-approximation gradients differ from torch by up to ~3e-6 (rounding order)
TOLERANCE = {"gelu_tanh": {"atol": 5e-6}}


def _inputs(dtype):
    x = randn(4, 6, dtype=dtype) * 3
    x[0, :3] = [0.0, 3.0, -3.0]  # the kinks of relu/hardsigmoid/hardswish
    return x


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_matches_torch(name, dtype):
    check(ACTIVATIONS[name], _inputs(dtype),
          **(TOLERANCE.get(name, {}) if dtype == np.float32 else {}))


def test_activations_in_float16():
    x = _inputs(np.float32).astype(np.float16)
    for fn in ACTIVATIONS.values():
        check(fn, x)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_non_contiguous_input(name):
    check(ACTIVATIONS[name], non_contiguous(_inputs(np.float32)), **TOLERANCE.get(name, {}))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_gradcheck_and_gradgradcheck(name):
    x = randn(2, 4, dtype=np.float64) * 2
    # keep away from kinks, where finite differences are meaningless
    x = np.where(np.abs(np.abs(x) - 1.0) < 0.05, x + 0.2, x)
    x = np.where(np.abs(x) < 0.05, x + 0.2, x)
    x = np.where(np.abs(np.abs(x) - 1.5) < 0.05, x + 0.2, x)
    x = np.where(np.abs(np.abs(x) - 0.5) < 0.05, x + 0.2, x)
    assert gradcheck(ACTIVATIONS[name], x)
    assert gradgradcheck(ACTIVATIONS[name], x)


@pytest.mark.parametrize("name", ["relu6", "elu", "gelu", "silu", "softplus", "hardswish"])
def test_activation_zero_dim_and_empty(name):
    check(lambda t, x: t.prelu(x, t.tensor([0.1, 0.2, 0.3], dtype=x.dtype)[:1]),
          np.array(-0.5, np.float32))
    check(ACTIVATIONS[name], np.array(-0.7, np.float32))
    check(ACTIVATIONS[name], np.zeros((0, 3), np.float32))


def test_gelu_is_x_times_normal_cdf_to_float64_rounding():
    # erf to within 2 ulp: gelu within a few ulp of x/2 * (1 + erf(x / sqrt 2))
    xs = np.concatenate([np.linspace(-9, 9, 20001), [0.0, -1e-300, 1e-300, 40.0, -40.0]])
    got = ember.nn.functional.gelu(ember.from_numpy(xs)).numpy()
    want = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in xs])
    np.testing.assert_allclose(got, want, rtol=5e-16, atol=1e-15)
    positive = xs > 0
    np.testing.assert_allclose(got[positive], want[positive], rtol=5e-16)


def test_float32_gelu_is_within_an_ulp_or_two_of_the_exact_value():
    # (further left, 1 + erf cancels in float32: torch's formula gives 0 there too)
    xs = np.linspace(-3, 9, 40001).astype(np.float32)
    got = ember.nn.functional.gelu(ember.from_numpy(xs)).numpy()
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in xs.astype(float)])
    ulps = np.abs(got - exact) / np.spacing(np.abs(exact).astype(np.float32))
    assert ulps.max() <= 2


def test_gelu_extremes_and_nan():
    check(lambda t, x: t.nn.functional.gelu(x),
          np.array([np.inf, -np.inf, np.nan, 1e30, -1e30, 6.5, -6.5], np.float64), grad=False)


def test_softplus_logsigmoid_large_inputs_stay_finite():
    x = np.array([-100.0, -30.0, 0.0, 30.0, 100.0], np.float32)
    check(lambda t, x: t.nn.functional.softplus(x, 1, 200), x)
    check(lambda t, x: t.nn.functional.logsigmoid(x), x)
    check(lambda t, x: t.nn.functional.mish(x), x)


@pytest.mark.parametrize("fn", [
    lambda t, x: t.nn.functional.relu6(x),
    lambda t, x: t.nn.functional.hardtanh(x, -2, 3),
    lambda t, x: t.threshold(x, 1, 20),
])
def test_integer_inputs_keep_their_dtype(fn):
    check(fn, np.array([-5, -1, 0, 2, 4, 9], np.int64))


@pytest.mark.parametrize("fn", [
    lambda t, x: t.nn.functional.elu(x), lambda t, x: t.selu(x),
    lambda t, x: t.nn.functional.leaky_relu(x), lambda t, x: t.nn.functional.gelu(x),
    lambda t, x: t.nn.functional.silu(x), lambda t, x: t.nn.functional.mish(x),
    lambda t, x: t.nn.functional.softplus(x), lambda t, x: t.nn.functional.hardsigmoid(x),
    lambda t, x: t.nn.functional.hardswish(x), lambda t, x: t.nn.functional.logsigmoid(x),
    lambda t, x: t.nn.functional.glu(x), lambda t, x: t.hardshrink(x),
    lambda t, x: t.nn.functional.softshrink(x), lambda t, x: t.rrelu(x),
    lambda t, x: t.nn.functional.softmin(x, 0),
])
def test_float_only_kernels_refuse_integers_like_torch(fn):
    check_error(fn, np.array([1, -2], np.int64))


@pytest.mark.parametrize("fn", [
    lambda t, x: t.nn.functional.glu(x, 1),
    lambda t, x: t.nn.functional.glu(x[0, 0]),
    lambda t, x: t.nn.functional.softshrink(x, -1.0),
    lambda t, x: t.nn.functional.softshrink(x.double(), -0.5),
    lambda t, x: t.nn.functional.gelu(x, approximate="tan"),
    lambda t, x: t.prelu(x, t.ones(2)),
    lambda t, x: t.prelu(x, t.ones(5, 1)),
    lambda t, x: t.prelu(x, t.ones(5, dtype=t.float64)),
    lambda t, x: t.rrelu(x, 0.5, 0.1, training=True),
    lambda t, x: t.nn.functional.hardtanh(x, 2.0, 1.0),
    lambda t, x: t.nn.functional.leaky_relu(x.bool()),
    lambda t, x: t.nn.functional.relu6(x > 0),
    lambda t, x: t.nn.functional.hardtanh(x.to(t.uint8)),
    lambda t, x: t.nn.functional.celu(x, 0.0),
    lambda t, x: t.prelu(x[0], t.ones(5)),
])
def test_bad_arguments_raise_like_torch(fn):
    check_error(fn, randn(3, 5))


# ---- in-place forms -------------------------------------------------------------------

INPLACE = {
    "relu_": lambda t, x: t.nn.functional.relu_(x),
    "relu_inplace": lambda t, x: t.nn.functional.relu(x, inplace=True),
    "relu6_inplace": lambda t, x: t.nn.functional.relu6(x, inplace=True),
    "elu_": lambda t, x: t.nn.functional.elu_(x, 0.5),
    "elu_inplace": lambda t, x: t.nn.functional.elu(x, inplace=True),
    "selu_": lambda t, x: t.selu_(x),
    "celu_": lambda t, x: t.celu_(x, 2.0),
    "leaky_relu_": lambda t, x: t.nn.functional.leaky_relu_(x, 0.3),
    "leaky_relu_inplace": lambda t, x: t.nn.functional.leaky_relu(x, 0.3, inplace=True),
    "hardtanh_": lambda t, x: t.nn.functional.hardtanh_(x, -0.5, 0.5),
    "threshold_": lambda t, x: t.threshold_(x, 0.1, 5.0),
    "rrelu_": lambda t, x: t.rrelu_(x),
    "silu_inplace": lambda t, x: t.nn.functional.silu(x, inplace=True),
    "mish_inplace": lambda t, x: t.nn.functional.mish(x, inplace=True),
    "hardswish_inplace": lambda t, x: t.nn.functional.hardswish(x, inplace=True),
    "hardsigmoid_inplace": lambda t, x: t.nn.functional.hardsigmoid(x, inplace=True),
}


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_forms_write_into_the_input_and_record_torch_nodes(name):
    fn = INPLACE[name]

    def run(t, x):
        y = x * 1  # a non-leaf to modify
        out = fn(t, y)
        assert out is y
        return out

    check(run, _inputs(np.float32))


def test_inplace_on_a_leaf_that_requires_grad_raises_like_torch():
    check_error(lambda t, x: t.nn.functional.elu_(x.requires_grad_()), randn(3))


# ---- modules --------------------------------------------------------------------------

MODULES = [
    lambda nn: nn.ReLU(), lambda nn: nn.ReLU(inplace=True), lambda nn: nn.ReLU6(),
    lambda nn: nn.ReLU6(True), lambda nn: nn.LeakyReLU(), lambda nn: nn.LeakyReLU(0.2, True),
    lambda nn: nn.PReLU(), lambda nn: nn.PReLU(3, 0.1), lambda nn: nn.ELU(),
    lambda nn: nn.ELU(0.5, True), lambda nn: nn.SELU(), lambda nn: nn.SELU(True),
    lambda nn: nn.CELU(0.7), lambda nn: nn.GELU(), lambda nn: nn.GELU("tanh"),
    lambda nn: nn.SiLU(), lambda nn: nn.SiLU(True), lambda nn: nn.Mish(),
    lambda nn: nn.Mish(True), lambda nn: nn.Sigmoid(), lambda nn: nn.Tanh(),
    lambda nn: nn.Softplus(), lambda nn: nn.Softplus(2, 5), lambda nn: nn.Softsign(),
    lambda nn: nn.Softmax(1), lambda nn: nn.LogSoftmax(0), lambda nn: nn.Softmin(-1),
    lambda nn: nn.Softmax2d(), lambda nn: nn.Hardtanh(), lambda nn: nn.Hardtanh(-2, 2, True),
    lambda nn: nn.Hardsigmoid(), lambda nn: nn.Hardsigmoid(True), lambda nn: nn.Hardswish(),
    lambda nn: nn.Hardshrink(), lambda nn: nn.Softshrink(0.3), lambda nn: nn.Tanhshrink(),
    lambda nn: nn.Threshold(0.1, 20), lambda nn: nn.Threshold(0.1, 20, True),
    lambda nn: nn.GLU(), lambda nn: nn.GLU(2), lambda nn: nn.LogSigmoid(),
    lambda nn: nn.RReLU(0.1, 0.3), lambda nn: nn.RReLU(inplace=True),
]


@pytest.mark.parametrize("build", MODULES)
def test_activation_module_matches_torch(build):
    x = randn(2, 3, 4, 6)
    inplace = getattr(build(torch.nn), "inplace", False)
    is_rrelu = isinstance(build(torch.nn), torch.nn.RReLU)
    modes = ("eval",) if is_rrelu else ("train", "eval")

    def forward(m, x):
        return m(x * 1) if inplace else m(x)

    check_module(build, x, modes=modes, forward=forward)


def test_module_reprs_default_arguments():
    assert repr(ember.nn.Softmax()) == "Softmax(dim=None)"
    assert repr(ember.nn.RReLU()) == "RReLU(lower=0.125, upper=0.3333333333333333)"
    assert repr(ember.nn.Hardshrink()) == "Hardshrink(0.5)"


def test_prelu_parameter_defaults():
    m = ember.nn.PReLU(4)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert tuple(m.weight.shape) == (4,)
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.full(4, 0.25, np.float32))


def test_softmax2d_refuses_2d_input_like_torch():
    check_error(lambda t, x: t.nn.Softmax2d()(x), randn(3, 4))


def test_rrelu_training_noise_equals_torch_with_the_same_seed():
    x = _inputs(np.float32)

    def run(t, x):
        t.manual_seed(7)
        return t.nn.functional.rrelu(x, 0.1, 0.3, training=True)

    check(run, x)
    check(run, x.astype(np.float64))


def test_rrelu_module_training_matches_torch_with_the_same_seed():
    def build(nn):
        return nn.RReLU()

    def forward(m, x):
        (torch if isinstance(m, torch.nn.Module) else ember).manual_seed(3)
        return m(x)

    check_module(build, randn(3, 5), modes=("train",), forward=forward)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_implicit_softmax_dim_warns_like_torch_and_uses_the_legacy_dim(name):
    message = f"Implicit dimension choice for {name} has been deprecated"
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match=message):
            getattr(lib.nn.functional, name)(lib.randn(2, 3))
    with pytest.warns(UserWarning):
        check(lambda t, x: getattr(t.nn.functional, name)(x), randn(2, 3, 4))
