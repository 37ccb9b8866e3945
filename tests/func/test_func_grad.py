"""ember.func.grad / grad_and_value / vjp / jacrev / hessian against torch.func."""

import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(1)


def arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def run(fn, *arrays):
    return [fn(lib, *[lib.tensor(a) for a in arrays]) for lib in (ember, torch)]


def assert_same(e, t, rtol=1e-5, atol=1e-5):
    if isinstance(t, (tuple, list)):
        assert type(e) is type(t) and len(e) == len(t)
        for a, b in zip(e, t):
            assert_same(a, b, rtol, atol)
        return
    if isinstance(t, dict):
        assert set(e) == set(t)
        for k in t:
            assert_same(e[k], t[k], rtol, atol)
        return
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).replace("ember", "torch") == str(t.dtype)
    assert e.requires_grad == t.requires_grad
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


def f_scalar(lib, x, w):
    return (lib.tanh(x @ w) ** 2).sum() + (x * x).mean()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grad_and_argnums(dtype):
    x, w = arr(4, 3, dtype=dtype), arr(3, 2, dtype=dtype)
    for argnums in (0, 1, (0, 1), (1,)):
        e, t = run(lambda lib, a, b, n=argnums: lib.func.grad(
            lambda p, q: f_scalar(lib, p, q), argnums=n)(a, b), x, w)
        assert_same(e, t)


def test_grad_and_value_with_aux_and_dict_inputs():
    x = arr(3)

    def fn(lib, a):
        def f(params, v):
            out = (params["w"] * v).sum() + params["b"]
            return out, {"double": out * 2}
        params = {"w": a * 0.5, "b": a.sum()}
        return lib.func.grad_and_value(f, has_aux=True)(params, a)
    e, t = run(fn, x)
    assert_same(e, t)


def test_grad_does_not_leak_graphs_or_touch_dot_grad():
    e, t = run(lambda lib, a: lib.func.grad(lambda v: (v ** 3).sum())(a), arr(5))
    assert_same(e, t)
    assert e.grad_fn is None


def test_grad_of_grad_is_second_derivative():
    e, t = run(lambda lib, a: lib.func.grad(lambda v: lib.func.grad(
        lambda u: (u.sin() * u).sum())(v).sum())(a), arr(4, dtype=np.float64))
    assert_same(e, t)


def test_grad_of_unused_input_is_zero():
    e, t = run(lambda lib, a, b: lib.func.grad(lambda p, q: (p * 2).sum(), argnums=1)(a, b),
               arr(3), arr(2))
    assert_same(e, t)


def test_grad_requires_scalar_output_error():
    msgs = []
    for lib in (ember, torch):
        with pytest.raises(RuntimeError) as info:
            lib.func.grad(lambda v: v * 2)(lib.ones(3))
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


def test_vjp_and_has_aux():
    x, ct = arr(4, 3), arr(4, 2)

    def fn(lib, a, c):
        w = lib.ones(3, 2) * 0.3
        out, vjp_fn, aux = lib.func.vjp(lambda v, m: ((v @ m).sin(), v.sum()), a, w,
                                        has_aux=True)
        return out, vjp_fn(c), aux
    e, t = run(fn, x, ct)
    assert_same(e, t)


def test_vjp_with_tuple_outputs():
    x = arr(3)

    def fn(lib, a):
        out, vjp_fn = lib.func.vjp(lambda v: (v.exp(), v.sum()), a)
        return vjp_fn((lib.ones(3), lib.tensor(2.0)))
    e, t = run(fn, x)
    assert_same(e, t)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jacrev(dtype):
    x, w = arr(3, dtype=dtype), arr(2, 3, dtype=dtype)
    e, t = run(lambda lib, a, b: lib.func.jacrev(lambda v, m: lib.tanh(m @ v))(a, b), x, w)
    assert_same(e, t)
    e, t = run(lambda lib, a, b: lib.func.jacrev(lambda v, m: (m * v).exp(), argnums=(0, 1))(
        a, b), x, w)
    assert_same(e, t)


def test_jacrev_of_scalar_and_matrix_input():
    e, t = run(lambda lib, a: lib.func.jacrev(lambda v: (v ** 2).sum())(a), arr(2, 3))
    assert_same(e, t)


def test_hessian():
    x = arr(3, dtype=np.float64)
    e, t = run(lambda lib, a: lib.func.hessian(lambda v: (v.sin() * v.sum()).sum())(a), x)
    assert_same(e, t)


def test_vmap_of_jacrev_and_hessian():
    x = arr(5, 3, dtype=np.float64)
    e, t = run(lambda lib, a: lib.vmap(lib.func.jacrev(lambda v: v.tanh() * v.sum()))(a), x)
    assert_same(e, t)
    e, t = run(lambda lib, a: lib.vmap(lib.func.hessian(lambda v: (v.exp() * v).sum()))(a), x)
    assert_same(e, t)


def test_vmap_of_vjp_fn_over_cotangents():
    x, cts = arr(3), arr(4, 3)

    def fn(lib, a, c):
        _, vjp_fn = lib.func.vjp(lambda v: v.sin() * 2, a)
        return lib.vmap(vjp_fn)(c)
    e, t = run(fn, x, cts)
    assert_same(e, t)


def test_gradcheck_style_finite_differences_float64():
    x = arr(4, dtype=np.float64)
    g = ember.func.grad(lambda v: (v.sin() * v.exp()).sum())(ember.tensor(x)).numpy()
    eps = 1e-6
    f = lambda v: np.sum(np.sin(v) * np.exp(v))  # noqa: E731
    fd = np.array([(f(x + eps * np.eye(4)[i]) - f(x - eps * np.eye(4)[i])) / (2 * eps)
                   for i in range(4)])
    np.testing.assert_allclose(g, fd, rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda lib: lib.func.grad(lambda v: v.sum(), argnums=2)(lib.ones(3)),
    lambda lib: lib.func.grad(lambda v: v.sum(), argnums=1.0)(lib.ones(3)),
    lambda lib: lib.func.grad(lambda v: 1.0)(lib.ones(3)),
    lambda lib: lib.func.grad(lambda v: v.sum(), has_aux=True)(lib.ones(3)),
    lambda lib: lib.func.grad(lambda v: v.sum())(1.0),
    lambda lib: lib.func.jacrev(lambda v: v.sum(), argnums=())(lib.ones(3)),
])
def test_errors_match_torch(call):
    got = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:
            call(lib)
        got.append((type(info.value), str(info.value)))
    assert got[0] == got[1]


def test_vjp_cotangent_shape_error():
    got = []
    for lib in (ember, torch):
        with pytest.raises(RuntimeError) as info:
            lib.func.vjp(lambda v: v, lib.ones(3))[1](lib.ones(2))
        got.append(str(info.value).replace("torch.", "ember."))
    assert got[0] == got[1]
