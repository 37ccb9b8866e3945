"""Forward mode through the jvp rules (ember/func/forward_ad.py), against torch.func.jvp.

Every case runs one op (or a small composition) in ember and in torch on the same
float64 inputs and tangents, and compares the primal and the tangent. The cases cover
each rule family: diagonal (elementwise), linear, multilinear, the ops with formulas of
their own, and the transpose fallback.
"""

import numpy as np
import pytest
import torch

import ember
from ember.func import forward_ad

RNG = np.random.default_rng(7)


def arr(*shape):
    return RNG.standard_normal(shape)


def spd(n):
    a = RNG.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


def jvp_both(fn, inputs, tangents=None):
    tangents = tangents if tangents is not None else [arr(*np.shape(x)) for x in inputs]
    out = []
    for lib in (ember, torch):
        prim = tuple(lib.tensor(x) for x in inputs)
        tans = tuple(lib.tensor(t) for t in tangents)
        out.append(lib.func.jvp(lambda *xs, lib=lib: fn(lib, *xs), prim, tans))
    return out


def assert_close(e, t, rtol=1e-7, atol=1e-9):
    if isinstance(t, (tuple, list)):
        assert len(e) == len(t)
        for a, b in zip(e, t):
            assert_close(a, b, rtol, atol)
        return
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).replace("ember", "torch") == str(t.dtype)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


F = {ember: ember.nn.functional, torch: torch.nn.functional}

# name -> (fn(lib, *inputs), input arrays)
CASES = {
    # diagonal rule: elementwise ops, broadcasting and Python scalars included
    "exp": (lambda L, x: x.exp(), [arr(3, 4)]),
    "log": (lambda L, x: (x.abs() + 1).log(), [arr(3, 4)]),
    "sin_cos_tanh": (lambda L, x: x.sin() * x.cos() + x.tanh(), [arr(5)]),
    "sigmoid_relu": (lambda L, x: x.sigmoid() + x.relu(), [arr(6)]),
    "gelu_silu_softplus": (lambda L, x: F[L].gelu(x) + F[L].silu(x) + F[L].softplus(x),
                           [arr(6)]),
    "elu_leaky_mish": (lambda L, x: F[L].elu(x) + F[L].leaky_relu(x, 0.1) + F[L].mish(x),
                       [arr(6)]),
    "sqrt_rsqrt_reciprocal": (lambda L, x: (x.abs() + .5).sqrt() + (x.abs() + .5).rsqrt()
                              + (x.abs() + .5).reciprocal(), [arr(4)]),
    "erf_atan_asinh": (lambda L, x: x.erf() + x.atan() + x.asinh(), [arr(4)]),
    "log1p_expm1": (lambda L, x: x.abs().log1p() + x.expm1(), [arr(4)]),
    "pow_scalar": (lambda L, x: x ** 3 + (x.abs() + .1) ** 2.5, [arr(4)]),
    "clamp_hardtanh": (lambda L, x: x.clamp(-.5, .5) + F[L].hardtanh(x), [arr(8)]),
    "sign_floor_zero": (lambda L, x: x.sign() + x.floor() + x, [arr(5)]),
    "mul_broadcast": (lambda L, a, b: a * b, [arr(3, 4), arr(4)]),
    "div_sub_add": (lambda L, a, b: a / (b.abs() + 1) - a + b * 2, [arr(3, 1), arr(1, 4)]),
    "scalars": (lambda L, x: 2 - x + 3 / (x.abs() + 1) + x * 0.5, [arr(4)]),
    "atan2_hypot": (lambda L, a, b: L.atan2(a, b) + L.hypot(a, b), [arr(4), arr(4)]),
    "maximum_minimum": (lambda L, a, b: L.maximum(a, b) + L.minimum(a, b) * 2,
                        [arr(5), arr(5)]),
    "pow_tensor": (lambda L, a, b: (a.abs() + .1) ** b, [arr(4), arr(4)]),
    "where": (lambda L, a, b: L.where(a > 0, a, b), [arr(6), arr(6)]),
    "lerp": (lambda L, a, b, w: L.lerp(a, b, w) + L.lerp(a, b, 0.3), [arr(4), arr(4), arr(4)]),
    "addcmul_addcdiv": (lambda L, a, b, c: L.addcmul(a, b, c, value=.5)
                        + L.addcdiv(a, b, c.abs() + 1), [arr(3), arr(3), arr(3)]),
    # linear rule: views, reshapes, indexing, sums
    "reshape_permute": (lambda L, x: x.reshape(4, 6).t().permute(1, 0).reshape(2, 12),
                        [arr(2, 3, 4)]),
    "expand_squeeze": (lambda L, x: x.unsqueeze(0).expand(3, 2, 4).squeeze(), [arr(2, 4)]),
    "cat_stack": (lambda L, a, b: L.cat([a, b * 2], 0) + L.stack([a, b]).sum(0).repeat(2, 1),
                  [arr(2, 3), arr(2, 3)]),
    "split_unbind_narrow": (lambda L, x: x.split([1, 2], 1)[1].sum() + x.unbind(0)[1].sum()
                            + x.narrow(1, 1, 2).sum(), [arr(3, 3)]),
    "index_basic_and_advanced": (lambda L, x: x[1:, ::2] * 2 + x[[0, 2], :][:, [0, 2]],
                                 [arr(3, 4)]),
    "gather_index_select": (lambda L, x: x.gather(1, L.tensor([[0, 2], [1, 1]]))
                            + x.index_select(1, L.tensor([2, 0])), [arr(2, 3)]),
    "sum_mean_cumsum": (lambda L, x: x.sum(0) + x.mean(1, keepdim=True) + x.cumsum(1),
                        [arr(3, 3)]),
    "flip_roll_diag_trace": (lambda L, x: x.flip(0).roll(1, 1).diagonal() + x.trace(),
                             [arr(3, 3)]),
    "triu_tril_diag_embed": (lambda L, x: x.triu(1) + x.tril() + L.diag_embed(x[0]),
                             [arr(3, 3)]),
    "unfold_movedim": (lambda L, x: x.unfold(1, 2, 1).movedim(0, -1), [arr(2, 5)]),
    "masked_select_take": (lambda L, x: x.masked_select(x > 0).sum() + x.take(
        L.tensor([0, 4, 5])), [arr(2, 3)]),
    "scatter_add_index_add": (lambda L, x, s: x.scatter_add(0, L.tensor([[1, 0, 1]]), s)
                              + x.index_add(0, L.tensor([1]), s), [arr(2, 3), arr(1, 3)]),
    "scatter_src": (lambda L, x, s: x.scatter(1, L.tensor([[2, 0]]), s), [arr(1, 3),
                                                                          arr(1, 2)]),
    "pad_reflect": (lambda L, x: F[L].pad(x, (1, 2), mode="reflect"), [arr(1, 2, 5)]),
    "to_float32": (lambda L, x: (x.to(L.float32) * 2).to(L.float64), [arr(3)]),
    # multilinear rule
    "matmul_2d_batched_vector": (lambda L, a, b, v: (a @ b).sum() + (a @ v).sum()
                                 + (L.stack([a, a]) @ b).sum(), [arr(3, 4), arr(4, 2),
                                                                 arr(4)]),
    "einsum": (lambda L, a, b: L.einsum("ij,jk->ik", a, b), [arr(2, 3), arr(3, 2)]),
    "dot_outer_cross": (lambda L, a, b: L.dot(a, b) + L.outer(a, b).sum()
                        + L.linalg.cross(a, b).sum(), [arr(3), arr(3)]),
    # formulas of their own
    "softmax_log_softmax": (lambda L, x: x.softmax(1) + x.log_softmax(0), [arr(3, 4)]),
    "addmm_baddbmm": (lambda L, c, a, b: L.addmm(c, a, b, beta=.5, alpha=2)
                      + L.baddbmm(c, a.unsqueeze(0), b.unsqueeze(0)).squeeze(0),
                      [arr(2, 2), arr(2, 3), arr(3, 2)]),
    "linear": (lambda L, x, w, b: F[L].linear(x, w, b), [arr(4, 3), arr(2, 3), arr(2)]),
    "conv1d": (lambda L, x, w, b: F[L].conv1d(x, w, b, stride=2, padding=1),
               [arr(2, 3, 9), arr(4, 3, 3), arr(4)]),
    "conv2d": (lambda L, x, w: F[L].conv2d(x, w, padding=1), [arr(1, 2, 5, 5), arr(3, 2, 3, 3)]),
    "masked_fill_pad_constant": (lambda L, x: x.masked_fill(x > 0, 2.0)
                                 + F[L].pad(x, (1, 1), value=1.5)[:, 1:-1], [arr(2, 4)]),
    "logsumexp_nansum": (lambda L, x: x.logsumexp(1) + x.logsumexp((0, 1), keepdim=True)
                         + L.where(x > 1, float("nan"), x).nansum(0), [arr(3, 3)]),
    "matrix_power_0": (lambda L, x: L.linalg.matrix_power(x, 0) * 2 + x, [arr(3, 3)]),
    # transpose fallback
    "norms_var": (lambda L, x: x.norm() + x.var(0) + x.std(1, correction=0), [arr(3, 3)]),
    "prod_cumprod_amax": (lambda L, x: x.prod(1) + x.cumprod(0)[-1] + x.amax(0), [arr(3, 3)]),
    "max_dim_sort": (lambda L, x: x.max(1).values + x.sort(1).values[:, 0], [arr(3, 4)]),
    "inverse_det_solve": (lambda L, a, b: L.linalg.inv(a) @ b + L.linalg.det(a)
                          + L.linalg.solve(a, b), [spd(3), arr(3, 2)]),
    "cholesky": (lambda L, a: L.linalg.cholesky((a + a.mT) / 2), [spd(3)]),
    "layer_norm": (lambda L, x, w, b: F[L].layer_norm(x, (4,), w, b), [arr(3, 4), arr(4),
                                                                       arr(4)]),
    "batch_norm_train": (lambda L, x: F[L].batch_norm(x, None, None, training=True),
                         [arr(5, 3)]),
    "group_norm": (lambda L, x: F[L].group_norm(x, 2), [arr(2, 4, 3)]),
    "pools": (lambda L, x: F[L].max_pool2d(x, 2) + F[L].avg_pool2d(x, 2), [arr(1, 2, 4, 4)]),
    "cross_entropy_mse": (lambda L, x, y: F[L].cross_entropy(x, L.tensor([0, 2, 1]))
                          + F[L].mse_loss(x, y), [arr(3, 4), arr(3, 4)]),
    "embedding": (lambda L, w: F[L].embedding(L.tensor([[0, 2], [1, 0]]), w), [arr(3, 4)]),
    "sdpa": (lambda L, q, k, v: F[L].scaled_dot_product_attention(q, k, v),
             [arr(1, 3, 4), arr(1, 3, 4), arr(1, 3, 4)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_jvp_matches_torch(name):
    fn, inputs = CASES[name]
    e, t = jvp_both(fn, inputs)
    assert_close(e, t)


def test_each_family_is_used_by_the_ops_it_names():
    from ember.ops import (
        activation,
        elementwise,
        embeddings,
        gather_scatter,
        linalg,
        pointwise,
        reduction,
        shape,
    )
    table = {
        elementwise.Exp: "diagonal_rule", elementwise.Mul: "diagonal_rule",
        pointwise.Sin: "diagonal_rule", activation.Gelu: "diagonal_rule",
        shape.Reshape: "linear_rule", shape.Cat: "linear_rule",
        gather_scatter.Gather: "linear_rule",
        linalg.MatMul: "multilinear_rule", linalg.Einsum: "multilinear_rule",
        activation.Softmax: "_softmax_rule", linalg.Addmm: "_biased_product_rule",
        gather_scatter.MaskedFill: "_affine_fill_rule",
        embeddings.Embedding: "linear_rule", reduction.Logsumexp: "_logsumexp_rule",
    }
    for cls, name in table.items():
        assert forward_ad.rule_name(cls) == name, cls


def test_the_primal_output_is_the_plain_result():
    x, t = ember.randn(3), ember.randn(3)
    out, tan = ember.func.jvp(lambda v: v.exp(), (x,), (t,))
    assert type(out) is ember.Tensor and type(tan) is ember.Tensor
    assert not out.requires_grad and not tan.requires_grad
    np.testing.assert_allclose(tan.numpy(), (t * x.exp()).numpy(), rtol=1e-6)
    assert not forward_ad.LEVELS  # no level left running


def test_jvp_of_jvp_matches_torch():
    x, t1, t2 = arr(4), arr(4), arr(4)

    def run(lib):
        f = lambda v: (v.sin() * v.exp()).sum()  # noqa: E731
        inner = lambda v: lib.func.jvp(f, (v,), (lib.tensor(t1),))[1]  # noqa: E731
        return lib.func.jvp(inner, (lib.tensor(x),), (lib.tensor(t2),))
    assert_close(run(ember), run(torch))


def test_grad_of_jvp_matches_torch():
    x, t = arr(4), arr(4)

    def run(lib):
        f = lambda v: (v.tanh() * v).sum()  # noqa: E731
        return lib.func.grad(lambda v: lib.func.jvp(f, (v,), (lib.tensor(t),))[1])(
            lib.tensor(x))
    assert_close(run(ember), run(torch))


def test_tangent_keeps_the_graph_of_inputs_that_require_grad():
    x = np.abs(arr(3)) + 1
    res = []
    for lib in (ember, torch):
        xt = lib.tensor(x, requires_grad=True)
        out, tan = lib.func.jvp(lambda v: v.log(), (xt,), (lib.ones(3, dtype=lib.float64),))
        assert out.requires_grad and tan.requires_grad
        tan.sum().backward()
        res.append(xt.grad)
    assert_close(*res)


def test_vmap_of_jvp_and_jvp_of_vmap_match_torch():
    x, t = arr(5, 3), arr(5, 3)

    def run(lib):
        f = lambda v: (v.softmax(0) * v.cos()).sum(0, keepdim=True)  # noqa: E731
        a = lib.vmap(lambda p, q: lib.func.jvp(f, (p,), (q,)))(lib.tensor(x), lib.tensor(t))
        b = lib.func.jvp(lib.vmap(f), (lib.tensor(x),), (lib.tensor(t),))
        return a + b
    assert_close(run(ember), run(torch))


def test_in_place_ops_inside_jvp_match_torch():
    x, t = arr(4), arr(4)

    def f(v):
        y = v.clone()
        y.mul_(2)
        y.add_(v.exp())
        y[1:3] = v[:2] * 3
        y[0].mul_(v[3])  # through a view: the base's tangent changes too
        return y
    e, tt = jvp_both(lambda L, v: f(v), [x], [t])
    assert_close(e, tt)


def test_jacfwd_of_a_model_through_functional_call_matches_torch():
    x = arr(2, 3)
    res = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
        model = model.double()
        params = {k: v.detach() for k, v in model.named_parameters()}
        jac = lib.func.jacfwd(lambda p, lib=lib, model=model: lib.func.functional_call(
            model, p, (lib.tensor(x),)))(params)
        res.append([jac[k] for k in sorted(jac)])
    assert_close(*res, rtol=1e-6)


def test_jacfwd_argnums_aux_and_randomness_error():
    x, y = arr(3), arr(2)
    res = []
    for lib in (ember, torch):
        f = lambda a, b: ((a[:2] * b).exp(), a.sum())  # noqa: E731
        res.append(lib.func.jacfwd(f, argnums=(0, 1), has_aux=True)(lib.tensor(x),
                                                                      lib.tensor(y)))
    assert_close(res[0][0], res[1][0])
    assert_close(res[0][1], res[1][1])
    with pytest.raises(RuntimeError, match="randomness"):
        ember.func.jacfwd(lambda a: a * ember.rand(3))(ember.randn(3))


def test_mismatched_tangent_shape_is_refused_like_torch():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="different size"):
            lib.func.jvp(lambda v: v, (lib.ones(3),), (lib.ones(2),))


# Every ember function that torch.func.jvp accepts with these inputs (found by trying
# each name torch and ember share; random samplers and `empty_like` left out).
UNARY = (
    'abs', 'abs_', 'absolute', 'acos', 'acos_', 'acosh', 'amax', 'amin', 'angle', 'arccos',
    'arccos_', 'arccosh', 'arcsin', 'arcsin_', 'arcsinh', 'arctan', 'arctan_', 'arctanh',
    'as_tensor', 'asarray', 'asin', 'asin_', 'asinh', 'atan', 'atan_', 'atanh', 'atleast_1d',
    'atleast_2d', 'atleast_3d', 'ceil', 'ceil_', 'celu', 'celu_', 'chain_matmul', 'clone',
    'conj', 'conj_physical', 'cos', 'cos_', 'cosh', 'cosh_', 'deg2rad', 'deg2rad_', 'detach',
    'diag', 'diag_embed', 'diagflat', 'diagonal', 'erf', 'erf_', 'erfc', 'erfc_', 'erfinv',
    'exp', 'exp2', 'exp2_', 'exp_', 'expm1', 'expm1_', 'fix', 'fix_', 'flatten', 'fliplr',
    'flipud', 'floor', 'floor_', 'frac', 'frac_', 'hardshrink', 'histc', 'log', 'log10',
    'log10_', 'log1p', 'log1p_', 'log2', 'log2_', 'log_', 'logit', 'logit_', 'max', 'mean',
    'median', 'min', 'msort', 'nan_to_num', 'nan_to_num_', 'nanmean', 'nanmedian', 'nansum',
    'neg', 'neg_', 'negative', 'norm', 'norm_except_dim', 'ones_like', 'pinverse', 'positive',
    'prod', 'rad2deg', 'rad2deg_', 'ravel', 'real', 'reciprocal', 'reciprocal_', 'relu',
    'relu_', 'rot90', 'round', 'round_', 'rrelu', 'rsqrt', 'rsqrt_', 'selu', 'selu_', 'sgn',
    'sigmoid', 'sigmoid_', 'sign', 'sin', 'sin_', 'sinh', 'sinh_', 'sqrt', 'sqrt_', 'square',
    'square_', 'squeeze', 'std', 'sum', 't', 'tan', 'tan_', 'tanh', 'tanh_', 'tensor', 'trace',
    'tril', 'triu', 'trunc', 'trunc_', 'var', 'zero_', 'zeros_like',
)
BINARY = (
    'add', 'arctan2', 'atan2', 'clamp', 'clamp_', 'clamp_max', 'clamp_max_', 'clamp_min',
    'clamp_min_', 'clip', 'copysign', 'cosine_similarity', 'cross', 'div', 'divide',
    'float_power', 'fmax', 'fmin', 'fmod', 'hypot', 'inner', 'kron', 'max', 'maximum', 'min',
    'minimum', 'mul', 'multiply', 'pairwise_distance', 'pow', 'remainder', 'rsub', 'sub',
    'subtract', 'tensordot', 'true_divide', 'xlogy', 'xlogy_',
)
BROADCAST = (
    'add', 'arctan2', 'atan2', 'clamp', 'clamp_', 'clamp_max', 'clamp_max_', 'clamp_min',
    'clamp_min_', 'clip', 'copysign', 'cosine_similarity', 'div', 'divide', 'float_power',
    'fmax', 'fmin', 'fmod', 'hypot', 'inner', 'kron', 'matmul', 'max', 'maximum', 'min',
    'minimum', 'mul', 'multiply', 'mv', 'nanquantile', 'pairwise_distance', 'pow', 'prelu',
    'quantile', 'remainder', 'rsub', 'sub', 'subtract', 'true_divide', 'xlogy', 'xlogy_',
)
SQUARE = (
    'chain_matmul', 'cholesky_solve', 'matmul', 'mm',
)


def _sweep(name, shapes):
    xs = [RNG.uniform(0.2, 0.8, s) for s in shapes]
    e, t = jvp_both(lambda L, *v: getattr(L, name)(*v), xs)
    assert_close(e, t, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", UNARY)
def test_jvp_of_every_unary_function_matches_torch(name):
    _sweep(name, [(3, 4)])


@pytest.mark.parametrize("name", BINARY)
def test_jvp_of_every_binary_function_matches_torch(name):
    _sweep(name, [(3, 4), (3, 4)])


@pytest.mark.parametrize("name", BROADCAST)
def test_jvp_of_binary_functions_with_broadcasting_matches_torch(name):
    _sweep(name, [(3, 4), (4,)])


@pytest.mark.parametrize("name", SQUARE)
def test_jvp_of_square_matrix_functions_matches_torch(name):
    _sweep(name, [(4, 4), (4, 4)])


def test_in_place_fills_and_copies_inside_jvp_match_torch():
    for f in (lambda L, v: v.clone().zero_(), lambda L, v: v.clone().fill_(v[0]),
              lambda L, v: v.clone().copy_(v * 2), lambda L, v: v.clone().normal_() * 0):
        e, t = jvp_both(f, [arr(3)])
        assert_close(e, t)


def test_cholesky_solve_reads_only_the_factors_triangle_like_torch():
    b, u = RNG.uniform(.2, .8, (4, 4)), RNG.uniform(.2, .8, (4, 4))
    for upper in (False, True):
        res = []
        for lib in (ember, torch):
            bt, ut = lib.tensor(b, requires_grad=True), lib.tensor(u, requires_grad=True)
            out = lib.cholesky_solve(bt, ut, upper=upper)
            out.sum().backward()
            res.append((out, bt.grad, ut.grad))
        assert_close(*res)
