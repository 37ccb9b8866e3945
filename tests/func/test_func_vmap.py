"""ember.vmap against torch.func.vmap on the same functions and data."""

import warnings

import numpy as np
import pytest
import torch

import ember
from ember.ops.primitive import Primitive

RNG = np.random.default_rng(0)


def arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def both(fn, *arrays, **vmap_kwargs):
    """fn(lib, *tensors) vmapped in both libraries (fn builds the vmapped callable)."""
    outs = []
    for lib in (ember, torch):
        tensors = [lib.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays]
        outs.append(fn(lib, *tensors))
    return outs


def assert_same(e, t, atol=1e-5):
    if isinstance(t, (tuple, list)):
        assert len(e) == len(t)
        for a, b in zip(e, t):
            assert_same(a, b, atol)
        return
    if isinstance(t, dict):
        assert set(e) == set(t)
        for k in t:
            assert_same(e[k], t[k], atol)
        return
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).replace("ember", "torch") == str(t.dtype)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=atol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elementwise_and_broadcasting(dtype):
    x, y, s = arr(5, 3, dtype=dtype), arr(3, dtype=dtype), arr(5, dtype=dtype)

    def f(lib):
        def g(a, b, c):
            return (a * b + c).exp() / (1 + a.abs()) - lib.tanh(b) ** 2 + lib.relu(a) - c
        return lib.vmap(g, in_dims=(0, None, 0))
    e, t = both(lambda lib, *ts: f(lib)(*ts), x, y, s)
    assert_same(e, t)


def test_zero_dim_operand_keeps_its_dtype_category():
    # a batched 0-d float64 example times a float32 vector stays float32, as in torch
    x, y = arr(4, dtype=np.float64), arr(3)
    e, t = both(lambda lib, a, b: lib.vmap(lambda p, q: p * q, in_dims=(0, None))(a, b), x, y)
    assert_same(e, t)


def test_in_dims_other_than_zero_and_out_dims():
    x, y = arr(3, 6), arr(6, 3)
    e, t = both(lambda lib, a, b: lib.vmap(lambda p, q: p * q, in_dims=(1, 0), out_dims=1)(a, b),
                x, y)
    assert_same(e, t)
    e, t = both(lambda lib, a: lib.vmap(lambda p: p.sum(), in_dims=-1)(a), x)
    assert_same(e, t)


@pytest.mark.parametrize("op", [
    lambda x: x.sum(), lambda x: x.sum(0), lambda x: x.sum(-1, keepdim=True),
    lambda x: x.mean((0, 1)), lambda x: x.max(), lambda x: x.amax(1), lambda x: x.var(0),
    lambda x: x.max(1)[0], lambda x: x.min(0)[1], lambda x: x.std(),
    lambda x: x.logsumexp(0), lambda x: x.logsumexp((0, 1)), lambda x: x.nansum(),
    lambda x: x.nansum(1),
    lambda x: x.norm(), lambda x: x.norm(dim=1), lambda x: x.aminmax(dim=1),
    lambda x: x.prod(1),
])
def test_reductions(op):
    e, t = both(lambda lib, a: lib.vmap(op)(a), arr(4, 3, 5))
    assert_same(e, t)


def test_var_mean_and_std_mean():
    e, t = both(lambda lib, a: lib.vmap(lambda v: (lib.var_mean(v, 0), lib.std_mean(v)))(a),
                arr(4, 3, 5))
    assert_same(e, t)


def test_reduction_of_zero_dim_examples():
    e, t = both(lambda lib, a: lib.vmap(lambda v: v.sum() + v.mean())(a), arr(4))
    assert_same(e, t)


@pytest.mark.parametrize("op", [
    lambda x: x.reshape(15), lambda x: x.view(5, 3), lambda x: x.permute(1, 0),
    lambda x: x.transpose(0, -1), lambda x: x.t() if x.dim() == 2 else x.flatten(),
    lambda x: x.unsqueeze(0), lambda x: x.unsqueeze(-1), lambda x: x[None].squeeze(0),
    lambda x: x.expand(2, 3, 5), lambda x: x.flatten(), lambda x: x.narrow(1, 1, 2),
    lambda x: x.unbind(1)[2], lambda x: x.contiguous(), lambda x: x.clone(),
])
def test_shape_ops(op):
    e, t = both(lambda lib, a: lib.vmap(op)(a), arr(4, 3, 5))
    assert_same(e, t)


def test_stack_and_cat_mix_batched_and_unbatched():
    x, y = arr(4, 3), arr(3)
    for dim in (0, 1, -1):
        e, t = both(lambda lib, a, b, d=dim: lib.vmap(lambda p, q: lib.stack([p, q], d),
                                               in_dims=(0, None))(a, b), x, y)
        assert_same(e, t)
    e, t = both(lambda lib, a, b: lib.vmap(lambda p, q: lib.cat([p, q, p]),
                                           in_dims=(0, None))(a, b), x, y)
    assert_same(e, t)


@pytest.mark.parametrize("shapes", [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
    ((3,), (5, 3, 4)), ((2, 3), (5, 3, 4)),
])
@pytest.mark.parametrize("batched", [(0, 0), (0, None), (None, 0)])
def test_matmul_family(shapes, batched):
    sa, sb = shapes
    a = arr(*((6,) + sa if batched[0] is not None else sa))
    b = arr(*((6,) + sb if batched[1] is not None else sb))
    e, t = both(lambda lib, x, y: lib.vmap(lib.matmul, in_dims=batched)(x, y), a, b)
    assert_same(e, t)


def test_linear_mm_mv_dot_and_softmax():
    x, w, b = arr(6, 3), arr(4, 3), arr(4)

    def f(lib):
        F = lib.nn.functional
        return lib.vmap(lambda v, w_, b_: (F.softmax(F.linear(v, w_, b_), -1),
                                            F.log_softmax(lib.mv(w_, v), 0),
                                            lib.dot(v, v), lib.mm(v[None], w_.t())),
                        in_dims=(0, None, None))
    e, t = both(lambda lib, *ts: f(lib)(*ts), x, w, b)
    assert_same(e, t)


class RowCumsum(Primitive):
    """An op with no batching rule (defined here, so the test does not depend on which
    ember ops have rules)."""

    grad_fn_name = "RowCumsumBackward0"

    def forward(self, x):
        return np.cumsum(x, axis=0)

    def backward(self, grad):
        return grad.flip(0).cumsum(0).flip(0)


def test_loop_fallback_warns_naming_the_op_and_is_correct():
    x = arr(4, 5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        e = ember.vmap(lambda v: RowCumsum.apply(v) * 2)(ember.tensor(x))
        g = ember.vmap(ember.func.grad(lambda v: (RowCumsum.apply(v) ** 2).sum()))(
            ember.tensor(x))
    t = torch.vmap(lambda v: v.cumsum(0) * 2)(torch.tensor(x))
    assert_same(e, t)
    tg = torch.vmap(torch.func.grad(lambda v: (v.cumsum(0) ** 2).sum()))(torch.tensor(x))
    assert_same(g, tg)
    messages = [str(w.message) for w in caught]
    assert any("batching rule for RowCumsum" in m for m in messages)


@pytest.mark.parametrize("key", [
    0, -1, (slice(1, 3),), (Ellipsis, 1), (None, 2), [0, 2, 2], ([0, 1], [2, 0]),
    (slice(None), [1, 0]), ([True, False, True, False],), (slice(None), 1, None),
])
def test_indexing(key):
    x = arr(5, 4, 3)
    e, t = both(lambda lib, a: lib.vmap(lambda v: v[key])(a), x)
    assert_same(e, t)


def test_indexing_gradient_inside_vmap():
    x = arr(5, 4, 3)
    e, t = both(lambda lib, a: lib.vmap(lib.func.grad(lambda v: (v[1:, [0, 2]] ** 2).sum()))(a),
                x)
    assert_same(e, t)


def test_gradients_flow_through_vmap():
    outs, xa, wa = [], arr(4, 3), arr(3)
    for lib in (ember, torch):
        x = lib.tensor(xa, requires_grad=True)
        w = lib.tensor(wa, requires_grad=True)
        y = lib.vmap(lambda a, b: (a * b).sum().tanh(), in_dims=(0, None))(x, w)
        y.sum().backward()
        outs.append((y, x.grad, w.grad))
    assert_same(outs[0], outs[1])


def test_pytree_inputs_and_outputs():
    x, y = arr(4, 3), arr(3)

    def f(lib, a, b):
        def g(pair, d):
            return {"s": pair[0] + d["k"], "p": (pair[0] * 2, d["k"].sum() + pair[0].sum())}
        return lib.vmap(g, in_dims=((0, None), {"k": None}), out_dims={"s": 0, "p": (1, 0)})(
            (a, b), {"k": b})
    e, t = both(f, x, y)
    assert_same(e, t)


def test_out_dims_none_for_unbatched_output_and_unbatched_output_is_expanded():
    x, y = arr(4, 3), arr(3)
    e, t = both(lambda lib, a, b: lib.vmap(lambda p, q: (p + q, q * 2), in_dims=(0, None),
                                           out_dims=(0, None))(a, b), x, y)
    assert_same(e, t)
    e, t = both(lambda lib, a, b: lib.vmap(lambda p, q: q * 2, in_dims=(0, None))(a, b), x, y)
    assert_same(e, t)


def test_nested_vmap_levels():
    x, y = arr(4, 3), arr(5, 3)

    def f(lib, a, b):
        inner = lib.vmap(lambda p, q: (p * q).sum(), in_dims=(None, 0))
        return lib.vmap(inner, in_dims=(0, None))(a, b)
    e, t = both(f, x, y)
    assert_same(e, t)
    assert tuple(e.shape) == (4, 5)

    def g(lib, a):  # the same tensor batched at two levels
        return lib.vmap(lib.vmap(lambda p: p.softmax(0) @ p.t(), in_dims=1), in_dims=0)(a)
    e, t = both(g, arr(2, 3, 4, 4))
    assert_same(e, t)


def test_chunk_size_gives_the_same_result():
    x = arr(10, 3)
    e, t = both(lambda lib, a: lib.vmap(lambda p: p.sum() * p, chunk_size=3)(a), x)
    assert_same(e, t)


def test_randomness_modes():
    x = np.ones((4, 3), np.float32)
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="called random operation while in randomness "
                                               "error mode"):
            lib.vmap(lambda v: v.clone().uniform_())(lib.tensor(x))
        with pytest.raises(RuntimeError, match="Only allowed values for randomness are "
                                               "'error', 'different', or 'same'. Got bad"):
            lib.vmap(lambda v: v, randomness="bad")
    out = ember.vmap(lambda v: ember.rand(3) + v, randomness="different")(ember.tensor(x))
    assert not np.allclose(out[0].numpy(), out[1].numpy())


def _err(fn):
    msgs = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:
            fn(lib)
        msgs.append((type(info.value), str(info.value)))
    return msgs


@pytest.mark.parametrize("call", [
    lambda lib: lib.vmap(lambda a, b: a + b)(lib.ones(3), lib.ones(4)),
    lambda lib: lib.vmap(lambda a: a, in_dims=[0])(lib.ones(3)),
    lambda lib: lib.vmap(lambda a: a, in_dims=2)(lib.ones(3, 2)),
    lambda lib: lib.vmap(lambda a: a, in_dims=0.5)(lib.ones(3, 2)),
    lambda lib: lib.vmap(lambda a, b: a, in_dims=(0, 0))(lib.ones(3), 2.0),
    lambda lib: lib.vmap(lambda a: a, in_dims=None)(lib.ones(3)),
    lambda lib: lib.vmap(lambda: 1)(),
    lambda lib: lib.vmap(lambda a: a, out_dims=None)(lib.ones(3)),
    lambda lib: lib.vmap(lambda a: 1.0)(lib.ones(3)),
    lambda lib: lib.vmap(lambda a: a, chunk_size=0),
])
def test_errors_match_torch(call):
    (te, me), (tt, mt) = _err(call)
    assert te is tt
    assert me == mt


def test_in_dims_structure_mismatch_gist():
    (te, me), (tt, mt) = _err(lambda lib: lib.vmap(lambda a, b: a, in_dims=(0, 0, 0))(
        lib.ones(3), lib.ones(3)))
    assert te is tt is ValueError
    gist = "in_dims is not compatible with the structure of `inputs`"
    assert gist in me and gist in mt


def test_item_inside_vmap_is_refused():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="calling .item\\(\\) on a Tensor"):
            lib.vmap(lambda a: a.sum().item())(lib.ones(3, 2))


def test_per_sample_gradients_of_a_model_match_torch_func():
    xs, ys = arr(8, 5), arr(8, 2)
    results = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(5, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss_fn(p, x, y, lib=lib, model=model):
            out = lib.func.functional_call(model, p, (x[None],))
            return lib.nn.functional.mse_loss(out, y[None])

        per_sample = lib.vmap(lib.func.grad(loss_fn), in_dims=(None, 0, 0))(
            params, lib.tensor(xs), lib.tensor(ys))
        results.append(per_sample)
    # the per-example loop, in ember
    e_model = ember.nn.Sequential(ember.nn.Linear(5, 4), ember.nn.Tanh(), ember.nn.Linear(4, 2))
    ember.manual_seed(0)
    e_model = ember.nn.Sequential(ember.nn.Linear(5, 4), ember.nn.Tanh(), ember.nn.Linear(4, 2))
    for i in range(8):
        e_model.zero_grad()
        out = e_model(ember.tensor(xs[i:i + 1]))
        ember.nn.functional.mse_loss(out, ember.tensor(ys[i:i + 1])).backward()
        for k, p in e_model.named_parameters():
            np.testing.assert_allclose(results[0][k][i].numpy(), p.grad.numpy(), rtol=1e-5,
                                       atol=1e-6)
    assert_same(results[0], results[1])


def test_comparisons_and_logic_as_operators_and_methods():
    x, y = arr(5, 3), arr(3)

    def f(lib, a, b):
        def g(p, q):
            mask = (p > 0) & ~(q < p) | (p == q)
            return lib.where(mask, p, q * 2), p.ge(0.5), (0 < p).logical_xor(p.isnan())
        return lib.vmap(g, in_dims=(0, None))(a, b)
    e, t = both(f, x, y)
    for a, b in zip(e, t):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_relu_like_where_gradient_per_example():
    x = arr(6, 4)
    e, t = both(lambda lib, a: lib.vmap(lib.func.grad(
        lambda v: lib.where(v > 0, v * v, -v).sum()))(a), x)
    assert_same(e, t)


def test_inplace_ops_on_batched_tensors():
    x, y = arr(5, 3), arr(3)

    def f(lib, a, b):
        def g(p, q):
            p = p.clone()
            p.add_(q).mul_(2)
            p.relu_()
            p[0] = 7.0
            return p
        return lib.vmap(g, in_dims=(0, None))(a, b)
    e, t = both(f, x, y)
    assert_same(e, t)


def test_inplace_gradient_inside_vmap():
    x = arr(5, 3)

    def f(lib, a):
        def loss(v):
            h = v * 3
            h.mul_(v)
            return h.sum()
        return lib.vmap(lib.func.grad(loss))(a)
    e, t = both(f, x)
    assert_same(e, t)


def test_inplace_into_unbatched_tensor_is_refused():
    (te, me), (tt, mt) = _err(lambda lib: lib.vmap(lambda p, q: q.add_(p), in_dims=(0, None))(
        lib.ones(4, 3), lib.ones(3)))
    assert te is tt and me == mt


@pytest.mark.parametrize("randomness", ["same", "different"])
def test_randomness_same_and_different_draw_like_torch(randomness):
    outs = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        noise = lib.vmap(lambda v, lib=lib: v + lib.rand(2), randomness=randomness)(lib.zeros(3, 2))
        lib.manual_seed(0)
        dropped = lib.vmap(lambda v, lib=lib: lib.nn.functional.dropout(v, 0.5),
                           randomness=randomness)(lib.ones(3, 6))
        outs.append((noise, dropped))
    assert_same(outs[0], outs[1])


def test_dropout_in_error_mode_raises_like_torch():
    (te, me), (tt, mt) = _err(lambda lib: lib.vmap(
        lambda v: lib.nn.functional.dropout(v, 0.5))(lib.ones(4, 6)))
    assert te is tt and me == mt


def test_per_sample_gradients_of_a_cnn_with_cross_entropy():
    # conv folds the vmap dim into N; layer norm takes it as a leading dim; cross entropy
    # runs through the per-example fallback
    x = arr(4, 1, 6, 6)
    y = np.array([0, 2, 1, 2])
    results = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.ReLU(), lib.nn.Flatten(),
                              lib.nn.LayerNorm(32), lib.nn.Linear(32, 3))
        params = {k: v.detach() for k, v in m.named_parameters()}

        def loss(p, xi, yi, m=m, lib=lib):
            out = lib.func.functional_call(m, p, (xi[None],))
            return lib.nn.functional.cross_entropy(out, yi[None])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results.append(lib.vmap(lib.func.grad(loss), in_dims=(None, 0, 0))(
                params, lib.tensor(x), lib.tensor(y)))
    assert_same(results[0], results[1])


@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(2, 3, 3, padding=1), lambda nn: nn.MaxPool2d(2),
    lambda nn: nn.AvgPool2d(2), lambda nn: nn.AdaptiveMaxPool2d(3),
    lambda nn: nn.LayerNorm(5), lambda nn: nn.Conv1d(2, 3, 2),
])
def test_nn_layers_over_a_vmapped_batch_without_fallback(make):
    x = arr(3, 4, 2, 5, 5) if "1d" not in repr(make(torch.nn)).lower() else arr(3, 4, 2, 5)
    outs = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        layer = make(lib.nn)
        with warnings.catch_warnings():
            warnings.simplefilter("error" if lib is ember else "ignore")
            outs.append(lib.vmap(layer)(lib.tensor(x)))
    assert_same(outs[0], outs[1])


def test_batched_tensor_repr_inside_nested_vmap():
    seen = {}
    for lib in (ember, torch):
        def f(v, lib=lib):
            seen[lib.__name__] = repr(v)
            return v
        lib.vmap(lib.vmap(f))(lib.arange(6.0).reshape(2, 3))
    assert seen["ember"] == seen["torch"]


POINTWISE = [
    ("sin", lambda lib, v, w: lib.sin(v)), ("cos", lambda lib, v, w: v.cos()),
    ("atan2", lambda lib, v, w: lib.atan2(v, w)), ("hypot", lambda lib, v, w: lib.hypot(v, w)),
    ("fmod", lambda lib, v, w: lib.fmod(v, w)),
    ("remainder", lambda lib, v, w: lib.remainder(v, w)),
    ("lerp", lambda lib, v, w: lib.lerp(v, w, 0.3)),
    ("addcmul", lambda lib, v, w: lib.addcmul(v, w, w, value=0.5)),
    ("addcdiv", lambda lib, v, w: lib.addcdiv(v, w, w.abs() + 1)),
    ("rsqrt", lambda lib, v, w: lib.rsqrt(v.abs() + 1)), ("erfc", lambda lib, v, w: lib.erfc(v)),
    ("round", lambda lib, v, w: lib.round(v * 10)), ("frac", lambda lib, v, w: lib.frac(v)),
    ("xlogy", lambda lib, v, w: lib.xlogy(v, w.abs())),
    ("cumsum", lambda lib, v, w: lib.cumsum(v, 0)), ("cumprod", lambda lib, v, w: v.cumprod(-1)),
    ("logcumsumexp", lambda lib, v, w: lib.logcumsumexp(v, 0)),
    ("cummax", lambda lib, v, w: lib.cummax(v, 0)[0]),
]


@pytest.mark.parametrize("name, op", POINTWISE, ids=[n for n, _ in POINTWISE])
def test_pointwise_and_scan_ops_have_rules(name, op):
    if not hasattr(ember, name):
        pytest.skip(f"ember.{name} is not there yet")
    x, y = arr(4, 3), arr(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = ember.vmap(lambda v, w: op(ember, v, w), in_dims=(0, None))(ember.tensor(x),
                                                                        ember.tensor(y))
    t = torch.vmap(lambda v, w: op(torch, v, w), in_dims=(0, None))(torch.tensor(x),
                                                                    torch.tensor(y))
    assert_same(e, t)


ACTIVATIONS = ["gelu", "silu", "mish", "softplus", "elu", "selu", "celu", "leaky_relu",
               "hardtanh", "hardswish", "hardsigmoid", "logsigmoid", "softshrink", "hardshrink",
               "relu6", "tanhshrink", "softsign"]


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_and_their_per_example_gradients(name, dtype):
    x = arr(4, 6, dtype=dtype)
    outs = []
    for lib in (ember, torch):
        fn = getattr(lib.nn.functional, name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = lib.vmap(fn)(lib.tensor(x))
            g = lib.vmap(lib.func.grad(lambda v, fn=fn: fn(v).sum()))(lib.tensor(x))
        outs.append((y, g))
    assert_same(outs[0], outs[1])


def test_glu_and_prelu():
    x, w = arr(3, 4, 6), np.array([0.25], np.float32)
    outs = []
    for lib in (ember, torch):
        F = lib.nn.functional
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outs.append(lib.vmap(lambda v, p, F=F: (F.glu(v, -1), F.glu(v, 0), F.prelu(v, p)),
                                 in_dims=(0, None))(lib.tensor(x), lib.tensor(w)))
    assert_same(outs[0], outs[1])
