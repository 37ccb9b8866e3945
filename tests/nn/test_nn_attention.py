"""F.scaled_dot_product_attention, F.multi_head_attention_forward and
nn.MultiheadAttention against torch: values, grad_fn names, gradients, errors."""

import numpy as np
import pytest
import torch

import ember
from differential import check, check_error, gradcheck, gradgradcheck, randn
from module_check import check_module as _check_module


def check_module(build, *arrays, **kwargs):
    """module_check.check_module; float32 projection-weight gradients are sums over every
    position, so compare them to 1e-5 absolute (float64 keeps the strict default)."""
    if all(getattr(a, "dtype", np.float32) != np.float64 for a in arrays):
        kwargs.setdefault("grad_atol", 1e-5)
    return _check_module(build, *arrays, **kwargs)


def sdpa(t, *args, **kwargs):
    return t.nn.functional.scaled_dot_product_attention(*args, **kwargs)


def _mask(*shape, p=0.5):
    m = np.random.default_rng(0).random(shape) > p
    return m


# ---- scaled_dot_product_attention ----------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sdpa_fused_path_values_grads_and_grad_fn(dtype):
    check(lambda t, q, k, v: sdpa(t, q, k, v), randn(2, 3, 5, 4, dtype=dtype),
          randn(2, 3, 6, 4, dtype=dtype), randn(2, 3, 6, 4, dtype=dtype))


def test_sdpa_causal_and_scale():
    q, k, v = randn(2, 2, 5, 4), randn(2, 2, 5, 4), randn(2, 2, 5, 4)
    check(lambda t, q, k, v: sdpa(t, q, k, v, is_causal=True), q, k, v)
    check(lambda t, q, k, v: sdpa(t, q, k, v, scale=0.3), q, k, v)
    # a non-square causal mask is the top-left lower triangle
    check(lambda t, q, k, v: sdpa(t, q, k, v, is_causal=True), q, randn(2, 2, 7, 4),
          randn(2, 2, 7, 4))


def test_sdpa_bool_mask_with_fully_masked_row_gives_zeros():
    m = _mask(5, 6)
    m[2] = False
    check(lambda t, q, k, v, m: sdpa(t, q, k, v, attn_mask=m), randn(2, 3, 5, 4),
          randn(2, 3, 6, 4), randn(2, 3, 6, 4), m)


def test_sdpa_float_mask_broadcast_over_batch_and_heads():
    check(lambda t, q, k, v, m: sdpa(t, q, k, v, attn_mask=m), randn(2, 3, 5, 4),
          randn(2, 3, 6, 4), randn(2, 3, 6, 4), randn(1, 3, 5, 6))


def test_sdpa_float_mask_that_requires_grad_gets_its_gradient():
    check(lambda t, q, k, v, m: sdpa(t, q, k, v, attn_mask=m), randn(1, 2, 3, 4),
          randn(1, 2, 3, 4), randn(1, 2, 3, 4), randn(3, 3), check_grad_fn=False)


@pytest.mark.parametrize("shapes", [
    [(3, 5, 4), (3, 6, 4), (3, 6, 4)],             # 3-D: torch's math path
    [(5, 4), (6, 4), (6, 7)],                      # 2-D
    [(2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 7)],    # value head size differs
    [(2, 3, 5, 4), (1, 3, 6, 4), (1, 3, 6, 4)],    # broadcast batch
    [(2, 2, 2, 5, 4), (2, 2, 2, 6, 4), (2, 2, 2, 6, 4)],
])
def test_sdpa_math_path_shapes(shapes):
    check(lambda t, q, k, v: sdpa(t, q, k, v), *[randn(*s) for s in shapes],
          check_grad_fn=False)


def test_sdpa_grouped_query_attention():
    check(lambda t, q, k, v: sdpa(t, q, k, v, enable_gqa=True), randn(2, 4, 5, 4),
          randn(2, 2, 6, 4), randn(2, 2, 6, 4))


def test_sdpa_non_contiguous_inputs():
    q = np.ascontiguousarray(randn(2, 5, 3, 4)).transpose(0, 2, 1, 3)
    check(lambda t, q, k, v: sdpa(t, q, k, v), q, randn(2, 3, 6, 4), randn(2, 3, 6, 4))


def test_sdpa_dropout_keeps_shape_and_rescales():
    ember.manual_seed(0)
    q = ember.ones(1, 1, 4, 2)
    v = ember.ones(1, 1, 4, 2)
    out = sdpa(ember, q, q, v, dropout_p=0.5)
    assert tuple(out.shape) == (1, 1, 4, 2)
    # each weight is 1/4, kept ones scaled by 2: the outputs are multiples of 0.5
    vals = out.numpy() / 0.5
    np.testing.assert_allclose(vals, np.round(vals), atol=1e-6)


def test_sdpa_gradcheck_and_gradgradcheck():
    m = _mask(3, 4)
    m[:, 0] = True
    args = (randn(1, 2, 3, 2), randn(1, 2, 4, 2), randn(1, 2, 4, 2))
    assert gradcheck(lambda t, q, k, v: sdpa(t, q, k, v, attn_mask=t.tensor(m)), *args)
    assert gradgradcheck(lambda t, q, k, v: sdpa(t, q, k, v, attn_mask=t.tensor(m)), *args)
    assert gradgradcheck(lambda t, q, k, v: sdpa(t, q, k, v), randn(3, 2), randn(4, 2),
                         randn(4, 2))


@pytest.mark.parametrize("args,kwargs", [
    ([(1, 2, 3, 4), (1, 2, 3, 3), (1, 2, 3, 4)], {}),
    ([(1, 2, 3, 4), (1, 2, 3, 4), (1, 2, 3, 4)], {"attn_mask": np.zeros((4, 4), np.float32)}),
    ([(1, 2, 3, 4), (1, 2, 3, 4), (1, 2, 3, 4)], {"attn_mask": np.zeros((3, 3), np.int64)}),
    ([(2, 3, 4), (2, 3, 4), (2, 3, 4)], {"attn_mask": np.ones((3, 3), bool),
                                         "is_causal": True}),
])
def test_sdpa_errors_like_torch(args, kwargs):
    mask = kwargs.pop("attn_mask", None)
    arrays = [randn(*s) for s in args] + ([mask] if mask is not None else [])
    check_error(lambda t, q, k, v, *m: sdpa(t, q, k, v, *m, **kwargs), *arrays)


def test_sdpa_dtype_mismatch_error_like_torch():
    check_error(lambda t, q, k, v: sdpa(t, q, k, v), randn(1, 2, 3, 4),
                randn(1, 2, 3, 4, dtype=np.float64), randn(1, 2, 3, 4))


# ---- MultiheadAttention ----------------------------------------------------------------

def _self(m, x):
    return m(x, x, x)


def test_mha_self_attention():
    check_module(lambda nn: nn.MultiheadAttention(8, 2), randn(5, 3, 8), forward=_self)


def test_mha_float64():
    check_module(lambda nn: nn.MultiheadAttention(8, 2).double(),
                 randn(5, 3, 8, dtype=np.float64), forward=_self)


def test_mha_cross_attention_batch_first_and_per_head_weights():
    check_module(lambda nn: nn.MultiheadAttention(8, 4, batch_first=True), randn(3, 5, 8),
                 randn(3, 6, 8), forward=lambda m, q, k: m(q, k, k, average_attn_weights=False))


def test_mha_separate_kdim_vdim_bias_kv_zero_attn():
    check_module(lambda nn: nn.MultiheadAttention(8, 2, kdim=5, vdim=6, add_bias_kv=True,
                                                  add_zero_attn=True),
                 randn(5, 3, 8), randn(6, 3, 5), randn(6, 3, 6))


def test_mha_without_bias_and_without_weights():
    check_module(lambda nn: nn.MultiheadAttention(8, 4, bias=False), randn(5, 3, 8),
                 forward=lambda m, x: m(x, x, x, need_weights=False))


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_masks(need_weights):
    kpm = np.zeros((3, 5), bool)
    kpm[0, 3:] = True
    causal = np.triu(np.ones((5, 5), bool), 1)
    check_module(lambda nn: nn.MultiheadAttention(8, 2), randn(5, 3, 8), kpm, causal,
                 forward=lambda m, x, k, a: m(x, x, x, key_padding_mask=k, attn_mask=a,
                                              need_weights=need_weights))
    check_module(lambda nn: nn.MultiheadAttention(8, 2), randn(5, 3, 8), randn(6, 5, 5),
                 forward=lambda m, x, a: m(x, x, x, attn_mask=a, need_weights=need_weights))


def test_mha_is_causal_hint_with_mask():
    causal = np.triu(np.ones((5, 5), bool), 1)
    check_module(lambda nn: nn.MultiheadAttention(8, 2), randn(5, 3, 8), causal,
                 forward=lambda m, x, a: m(x, x, x, attn_mask=a, need_weights=False,
                                           is_causal=True))


def test_mha_unbatched():
    check_module(lambda nn: nn.MultiheadAttention(8, 2), randn(5, 8), forward=_self)
    check_module(lambda nn: nn.MultiheadAttention(8, 2), randn(5, 8), np.array([0, 0, 1, 0, 1],
                                                                               bool),
                 forward=lambda m, x, k: m(x, x, x, key_padding_mask=k))


def test_mha_repr_init_and_state_dict_equal_torch():
    torch.manual_seed(5)
    t = torch.nn.MultiheadAttention(8, 2, add_bias_kv=True, kdim=3)
    ember.manual_seed(5)
    e = ember.nn.MultiheadAttention(8, 2, add_bias_kv=True, kdim=3)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    for (name, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_array_equal(ep.detach().numpy(), tp.detach().numpy(), err_msg=name)


@pytest.mark.parametrize("fn,arrays", [
    (lambda t, x: t.nn.MultiheadAttention(8, 2)(x, x, x), [randn(5, 3, 6)]),
    (lambda t, x, a: t.nn.MultiheadAttention(8, 2)(x, x, x, attn_mask=a),
     [randn(5, 3, 8), np.zeros((4, 5), bool)]),
    (lambda t, x: t.nn.MultiheadAttention(8, 2)(x, x, x, is_causal=True), [randn(5, 3, 8)]),
    (lambda t, x: t.nn.MultiheadAttention(8, 2)(x, x[0], x[0]), [randn(5, 3, 8)]),
    (lambda t: t.nn.MultiheadAttention(8, 3), []),
    (lambda t: t.nn.MultiheadAttention(0, 2), []),
])
def test_mha_errors_like_torch(fn, arrays):
    check_error(fn, *arrays)
