"""The forward shortcuts for tiny tensors (operators on two same-dtype tensors, linear
under no_grad) give torch's values, dtypes, shapes, errors and graph flags, also in the
corner cases the shortcut hands back to the general path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from tests.differential import assert_same_tensor, check, check_error, randn

OPERATORS = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "@": lambda x, y: x @ y,
    "/": lambda x, y: x / y,
}

SHAPES = {  # elementwise: broadcasting pairs, 0-d included
    "+": [((16,), (16,)), ((3, 1), (4,)), ((), ()), ((), (5,)), ((2, 0), (0,))],
    "@": [((4, 4), (4, 4)), ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((2, 3, 4), (4, 5)),
          ((2, 1, 3, 4), (5, 4, 2)), ((0, 3), (3, 2))],
}


def _arrays(shapes, dtype):
    out = []
    for s in shapes:
        a = np.asarray(randn(*s) * 3)
        out.append(np.asarray(a.astype(dtype) if np.dtype(dtype).kind != "b" else a > 0))
    return out


@pytest.mark.parametrize("op", list(OPERATORS))
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8",
                                   "bool", "complex64"])
def test_operator_same_dtype_without_grad(op, dtype):
    fn = OPERATORS[op]
    for shapes in SHAPES["@" if op == "@" else "+"]:
        arrays = _arrays(shapes, dtype)
        if op == "@" and dtype in ("float16", "bool", "uint8", "int32"):
            continue  # torch's CPU matmul lacks some of these; not the shortcut's business
        if op == "-" and dtype == "bool":
            check_error(lambda t, x, y: fn(x, y), *arrays)
            continue
        check(lambda t, x, y: fn(x, y), *arrays, grad=False, rtol=1e-2 if dtype == "float16"
              else None)


@pytest.mark.parametrize("op", list(OPERATORS))
def test_operator_errors_and_mixed_operands(op):
    fn = OPERATORS[op]
    if op == "@":
        check_error(lambda t, x, y: fn(x, y), randn(3, 4), randn(3, 4))
        check_error(lambda t, x, y: fn(x, y), randn(4), randn(3))
        check_error(lambda t, x, y: fn(x, y), randn(4, 4), randn(4, 4).astype(np.float64))
        check_error(lambda t, x, y: fn(x, y), np.ones((), np.float32), randn(4))
    else:
        check_error(lambda t, x, y: fn(x, y), randn(3), randn(4))
        check(lambda t, x, y: fn(x, y), randn(3), randn(3).astype(np.float64), grad=False)
        check(lambda t, x, y: fn(x, y), randn(3).astype(np.int64), randn(3), grad=False)
        check(lambda t, x, y: fn(x, y), randn(3).astype(np.int64), np.ones((), np.float64),
              grad=False)
        check(lambda t, x: fn(x, 2.5), randn(3).astype(np.int32), grad=False)
        check(lambda t, x: fn(3, x), randn(3).astype(np.int32), grad=False)


@pytest.mark.parametrize("op", list(OPERATORS))
def test_operator_records_when_needed(op):
    """Inputs that require grad still get a graph; under no_grad they get none."""
    fn = OPERATORS[op]
    check(lambda t, x, y: fn(x, y), randn(4, 4), randn(4, 4))

    def under_no_grad(t, x, y):
        with t.no_grad():
            return fn(x, y)
    check(under_no_grad, randn(4, 4), randn(4, 4), grad=False)

    def one_requires_grad(t, x, y):
        return fn(x.detach(), y)
    check(one_requires_grad, randn(4, 4), randn(4, 4))


def test_operator_results_are_new_memory():
    a, b = ember.ones(3), ember.zeros(3)
    out = a + b
    out.add_(1)
    assert a.tolist() == [1.0, 1.0, 1.0] and b.tolist() == [0.0, 0.0, 0.0]
    assert (a + b)._vc is not a._vc


def test_operator_on_parameters_and_views():
    w = ember.nn.Parameter(ember.ones(2, 2))
    tw = torch.nn.Parameter(torch.ones(2, 2))
    with ember.no_grad(), torch.no_grad():
        e, t = w @ w.t() + w, tw @ tw.t() + tw
    assert_same_tensor(e, t)
    assert not e.requires_grad and e.grad_fn is None
    e2, t2 = w @ w.t() + w, tw @ tw.t() + tw
    assert e2.grad_fn.name() == t2.grad_fn.name()


LINEAR_CASES = [  # input, weight, bias shapes
    ((1, 784), (256, 784), (256,)), ((5, 3), (4, 3), None), ((0, 3), (4, 3), (4,)),
    ((2, 3), (4, 3), (1,)), ((2, 3), (4, 3), ()), ((3,), (4, 3), (4,)), ((2, 5, 3), (4, 3), (4,)),
]


@pytest.mark.parametrize("shapes", LINEAR_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_linear_without_graph(shapes, dtype):
    arrays = [np.asarray(randn(*s) * 3).astype(dtype) for s in shapes if s is not None]
    if len(arrays) == 2:
        arrays.append(None)

    tol = {"rtol": 1e-4, "atol": 1e-4}  # float32 sums of 784 products in another order

    def f(t, x, w, b):
        with t.no_grad():
            return t.nn.functional.linear(x, w, b)
    check(f, *arrays, grad=False, **tol)

    def frozen(t, x, w, b):  # grad mode on, but nothing requires grad
        return t.nn.functional.linear(x, w, b)
    check(frozen, *arrays, grad=False, **tol)
    if dtype != "int64":
        check(frozen, *arrays, **tol)  # recorded: grad_fn names and gradients


def test_linear_without_graph_errors_and_mixed_dtypes():
    def f(t, x, w, b):
        with t.no_grad():
            return t.nn.functional.linear(x, w, b)
    check_error(f, randn(2, 3), randn(4, 5), randn(4))
    check_error(f, randn(2, 3), randn(4, 3), randn(5))
    check_error(f, randn(2, 3), randn(4, 3).astype(np.float64), randn(4))
    check_error(f, randn(2, 3), randn(4, 3), randn(4).astype(np.float64))


def test_linear_layer_under_no_grad():
    ember.manual_seed(0)
    torch.manual_seed(0)
    e_layer, t_layer = ember.nn.Linear(20, 7), torch.nn.Linear(20, 7)
    x = randn(3, 20)
    with ember.no_grad(), torch.no_grad():
        e, t = e_layer(ember.from_numpy(x)), t_layer(torch.from_numpy(x))
    assert_same_tensor(e, t)
    assert not e.requires_grad and e.grad_fn is None
    e.add_(1)  # a new tensor: the parameters are untouched
    assert_same_tensor(e_layer.bias, t_layer.bias)


@pytest.mark.parametrize("dtypes", [(np.float32, np.float32, np.float64),
                                    (np.float32, np.float64, np.float32),
                                    (np.float64, np.float32, np.float32),
                                    (np.float64, np.float32, np.float64)])
def test_addmm_dtype_errors(dtypes):
    """addmm checks self against mat2, then mat1 against mat2 (linear's fallback)."""
    b, x, w = (randn(*s).astype(d) for s, d in zip([(4,), (2, 3), (3, 4)], dtypes))
    check_error(lambda t, b, x, w: t.addmm(b, x, w), b, x, w)
    check_error(lambda t, b, x, w: t.nn.functional.linear(x, w.T.copy(), b), b, x, w)


def test_linear_shortcut_is_taken_for_parameters():
    """A guard against losing the shortcut: nn.Linear's parameters under no_grad qualify
    (the values are checked against torch above)."""
    from ember.ops.linalg import _linear_without_graph
    layer = ember.nn.Linear(3, 2)
    x = ember.randn(4, 3)
    with ember.no_grad():
        assert _linear_without_graph(x, layer.weight, layer.bias) is not None
    assert _linear_without_graph(x, layer.weight, layer.bias) is None  # recorded instead


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "complex64", "int8", "uint8",
                                   "int32", "int64", "bool"])
@pytest.mark.parametrize("scalar", [2.5, 2, -3, 300, True, 0.0, 1e300])
def test_tensor_with_python_number(dtype, scalar):
    """A Python number keeps a tensor's dtype when their categories allow (the
    shortcut in `_operands`); the rest goes through torch's promotion table."""
    x = np.asarray(np.array([1, 2, 3]).astype(dtype))
    cases = [lambda x: x + scalar, lambda x: x * scalar, lambda x: scalar * x,
             lambda x: x.add(scalar, alpha=2) if dtype != "bool" else x + scalar]
    if dtype != "bool" and not isinstance(scalar, bool):
        cases += [lambda x: x - scalar, lambda x: scalar - x]
    if dtype[0] in "fc" or scalar in (2, 2.5, 0.0):
        cases += [lambda x: x / scalar]
    if dtype != "bool" and scalar in (2, 2.5, 0.0, True):
        cases += [lambda x: x ** scalar]
    if scalar == 1e300 and dtype[0] in "iuc":
        return  # torch refuses to convert it to an integer; complex inf differs (nan imag)
    for fn in cases:
        for arr in (x, x[0].copy()):  # 1-d and 0-d
            check(lambda t, a, fn=fn: fn(a), np.asarray(arr), grad=False)


@pytest.mark.parametrize("bias_shape", [(4,), (1,), (8, 4), (1, 4), (8, 1), (), (3,), (2, 8, 4),
                                        (8, 3), (5, 4)])
def test_addmm_bias_shapes(bias_shape):
    """addmm checks that input broadcasts to the result without building an expand."""
    arrays = (randn(*bias_shape), randn(8, 3), randn(3, 4))
    fn = lambda t, b, x, w: t.addmm(b, x, w)  # noqa: E731
    if bias_shape in [(3,), (2, 8, 4), (8, 3), (5, 4)]:
        check_error(fn, *arrays)
    else:
        check(fn, *arrays)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "uint8", "int64",
                                   "bool", "complex64"])
def test_relu_without_graph(dtype):
    x = np.asarray((randn(5) * 3).astype(dtype))
    x0 = np.asarray(x[0])
    for fn in (lambda t, a: t.relu(a), lambda t, a: t.nn.functional.relu(a),
               lambda t, a: t.nn.ReLU()(a), lambda t, a: a.relu()):
        for arr in (x, x0):
            if dtype in ("bool", "complex64"):
                check_error(fn, arr)
            else:
                check(fn, arr, grad=False)
    if dtype.startswith("float"):
        check(lambda t, a: t.relu(a), x)  # recorded: ReluBackward0 and its gradient


def test_relu_result_is_new_memory_and_keeps_nan():
    x = ember.tensor([float("nan"), -1.0, 2.0])
    y = ember.relu(x)
    y.add_(1)
    assert np.isnan(x[0].item()) and x[1:].tolist() == [-1.0, 2.0]
    assert np.isnan(y[0].item())


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "reciprocal"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "complex64", "int64", "bool"])
def test_float_functions_without_graph(name, dtype):
    x = np.asarray(np.abs(randn(5)) * 3 + 0.5).astype(dtype)
    if dtype == "float32":
        x[:3] = [0.0, -1.0, np.inf]  # log(0), sqrt(-1), inf: torch's silent IEEE values
    for arr in (x, np.asarray(x[0])):
        check(lambda t, a: getattr(t, name)(a), arr, grad=False,
              rtol=1e-2 if dtype == "float16" else None)
        check(lambda t, a: getattr(a, name)(), arr, grad=False,
              rtol=1e-2 if dtype == "float16" else None)

    def with_out(t, a):
        out = t.empty(0, dtype=t.float64)
        return getattr(t, name)(a, out=out)
    if dtype == "float64":
        check(with_out, x, grad=False)
    if dtype in ("float32", "float64"):
        check(lambda t, a: getattr(t, name)(a), np.abs(x) + 0.5)  # recorded, with gradients


@pytest.mark.parametrize("make", [lambda lib: (np.float64(2.0), lib.ones(2)),
                                  lambda lib: (lib.ones(2), np.float64(2.0)),
                                  lambda lib: (lib.ones(2), 2.0),
                                  lambda lib: (2.0, lib.ones(2)),
                                  lambda lib: (np.ones((2, 2), np.float32), lib.ones(2, 2))])
def test_matmul_operator_with_a_non_tensor_raises_pythons_type_error(make):
    messages = []
    for lib in (ember, torch):
        a, b = make(lib)
        with pytest.raises(TypeError) as info:
            a @ b
        messages.append(str(info.value))
    assert messages[0] == messages[1]
