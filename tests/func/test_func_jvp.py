"""ember.func.jvp / jacfwd (forward mode through the jvp rules) against torch.func."""

import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(2)


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
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).replace("ember", "torch") == str(t.dtype)
    assert e.requires_grad == t.requires_grad
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jvp_values_and_tangents(dtype):
    x, w, tx, tw = arr(3, dtype=dtype), arr(2, 3, dtype=dtype), arr(3, dtype=dtype), \
        arr(2, 3, dtype=dtype)
    e, t = run(lambda lib, a, b, c, d: lib.func.jvp(lambda v, m: (m @ v).tanh(), (a, b), (c, d)),
               x, w, tx, tw)
    assert_same(e, t)


def test_jvp_tuple_outputs_and_aux():
    x, tx = arr(4), arr(4)

    def fn(lib, a, c):
        return lib.func.jvp(lambda v: ((v.exp(), v.sum()), v * 3), (a,), (c,), has_aux=True)
    e, t = run(fn, x, tx)
    assert_same(e, t)


def test_jvp_of_constant_output_is_zero():
    e, t = run(lambda lib, a, c: lib.func.jvp(lambda v: v * 0 + 1, (a,), (c,)), arr(3), arr(3))
    assert_same(e, t)


def test_jvp_of_relu_and_softmax():
    x, tx = arr(5), arr(5)
    e, t = run(lambda lib, a, c: lib.func.jvp(lambda v: lib.softmax(lib.relu(v), 0), (a,), (c,)),
               x, tx)
    assert_same(e, t)


def test_jvp_error_for_mismatched_shapes():
    msgs = []
    for lib in (ember, torch):
        with pytest.raises(RuntimeError) as info:
            lib.func.jvp(lambda v: v, (lib.ones(3),), (lib.ones(2),))
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jacfwd_matches_torch_and_jacrev(dtype):
    x, w = arr(3, dtype=dtype), arr(4, 3, dtype=dtype)
    f = lambda lib: (lambda v, m: (m @ v).sin() * v.sum())  # noqa: E731
    e, t = run(lambda lib, a, b: lib.func.jacfwd(f(lib))(a, b), x, w)
    assert_same(e, t)
    e, t = run(lambda lib, a, b: lib.func.jacfwd(f(lib), argnums=(0, 1))(a, b), x, w)
    assert_same(e, t)
    e2 = ember.func.jacrev(f(ember))(ember.tensor(x), ember.tensor(w))
    np.testing.assert_allclose(e2.numpy(), t[0].numpy(), rtol=1e-5, atol=1e-5)


def test_vmap_of_jvp():
    x, tx = arr(6, 3), arr(6, 3)
    e, t = run(lambda lib, a, c: lib.vmap(lambda p, q: lib.func.jvp(
        lambda v: (v ** 2).sum() * v, (p,), (q,)))(a, c), x, tx)
    assert_same(e, t)


def test_jacfwd_of_jacrev_is_hessian():
    x = arr(3, dtype=np.float64)
    e, t = run(lambda lib, a: lib.func.jacfwd(lib.func.jacrev(lambda v: (v.cos() * v).sum()))(a),
               x)
    assert_same(e, t)
