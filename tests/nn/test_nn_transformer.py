"""nn.TransformerEncoderLayer / Encoder / DecoderLayer / Decoder / Transformer against
torch with the same state_dict: outputs, all gradients, reprs, state_dict keys, errors."""

import numpy as np
import pytest
import torch

import ember
from differential import check_error, randn
from module_check import check_module

CAUSAL = np.triu(np.ones((5, 5), bool), 1)
# Gradients of LayerNorm biases and of weights deep in a stack are float32 sums over
# every position with cancellation: absolute differences of ~2e-6 from torch's own
# summation order appear at values ~0.03.
GRAD_ATOL = 1e-5


@pytest.mark.parametrize("kwargs", [
    {},
    {"activation": "gelu", "norm_first": True},
    {"batch_first": True, "layer_norm_eps": 1e-3},
    {"bias": False},
])
def test_encoder_layer(kwargs):
    check_module(lambda nn: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **kwargs),
                 randn(5, 3, 8), grad_atol=GRAD_ATOL)


def test_encoder_layer_float64_and_callable_activation():
    check_module(lambda nn: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0).double(),
                 randn(5, 3, 8, dtype=np.float64))
    check_module(lambda nn: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0,
                                                       activation=lambda t: t.tanh()),
                 randn(5, 3, 8), check_repr=False, grad_atol=GRAD_ATOL)


def test_encoder_layer_with_dropout_keeps_shape_and_matches_in_eval():
    check_module(lambda nn: nn.TransformerEncoderLayer(8, 2, 16), randn(5, 3, 8),
                 modes=("eval",), grad_atol=GRAD_ATOL)
    m = ember.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    assert tuple(m(ember.randn(5, 3, 8)).shape) == (5, 3, 8)


def test_encoder_stack_with_norm_and_masks():
    kpm = np.zeros((3, 5), bool)
    kpm[1, 3:] = True
    check_module(lambda nn: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, 0.0), 2,
                                                  norm=nn.LayerNorm(8),
                                                  enable_nested_tensor=False),
                 randn(5, 3, 8), CAUSAL, kpm,
                 forward=lambda m, x, a, k: m(x, mask=a, src_key_padding_mask=k),
                 grad_atol=GRAD_ATOL)


def test_encoder_small_mnist1d_like_step_batch_first():
    check_module(lambda nn: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(16, 4, 32, 0.0, batch_first=True), 2), randn(4, 10, 16),
        grad_atol=GRAD_ATOL)


def test_encoder_unbatched_and_float_causal_mask():
    mask = np.where(CAUSAL, -np.inf, 0).astype(np.float32)
    check_module(lambda nn: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, 0.0), 1,
                                                  enable_nested_tensor=False),
                 randn(5, 8), mask, forward=lambda m, x, a: m(x, mask=a), grad_atol=GRAD_ATOL)


def test_encoder_nested_tensor_path_in_eval_zeroes_padding_like_torch():
    kpm = np.zeros((3, 5), bool)
    kpm[0, 3:] = True
    x = randn(3, 5, 8)

    def run(nn, lib):
        lib.manual_seed(0)
        m = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2)
        return m

    t = run(torch.nn, torch).eval()
    e = run(ember.nn, ember).eval()
    e.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in t.state_dict().items()})
    with torch.no_grad():
        tout = t(torch.from_numpy(x), src_key_padding_mask=torch.from_numpy(kpm))
    with ember.no_grad():
        eout = e(ember.from_numpy(x), src_key_padding_mask=ember.from_numpy(kpm))
    np.testing.assert_allclose(eout.numpy(), tout.numpy(), rtol=1e-5, atol=1e-5)
    assert not tout[0, 3:].any()


def test_nested_tensor_warning_like_torch():
    with pytest.warns(UserWarning) as e_rec:
        ember.nn.TransformerEncoder(ember.nn.TransformerEncoderLayer(8, 2, 16), 2)
    with pytest.warns(UserWarning) as t_rec:
        torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16), 2)
    assert str(e_rec[0].message) == str(t_rec[0].message)


def test_decoder_layer_and_stack():
    check_module(lambda nn: nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=True),
                 randn(5, 3, 8), randn(6, 3, 8), grad_atol=GRAD_ATOL)
    check_module(lambda nn: nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, 0.0), 2,
                                                  norm=nn.LayerNorm(8)),
                 randn(5, 3, 8), randn(6, 3, 8), CAUSAL,
                 forward=lambda m, t, mem, a: m(t, mem, tgt_mask=a), grad_atol=GRAD_ATOL)


def test_transformer():
    check_module(lambda nn: nn.Transformer(8, 2, 1, 1, 16, dropout=0.0), randn(6, 3, 8),
                 randn(5, 3, 8), grad_atol=GRAD_ATOL)


def test_generate_square_subsequent_mask():
    e = ember.nn.Transformer.generate_square_subsequent_mask(4)
    t = torch.nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    assert str(e.dtype) == "ember.float32"


def test_reprs_equal_torch():
    for build in (lambda nn: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2,
                                                   enable_nested_tensor=False),
                  lambda nn: nn.TransformerDecoderLayer(8, 2, 16),
                  lambda nn: nn.Transformer(8, 2, 1, 1, 16)):
        assert repr(build(ember.nn)) == repr(build(torch.nn))


def test_errors_like_torch():
    check_error(lambda t: t.nn.TransformerEncoderLayer(8, 2, activation="tanh"))
    check_error(lambda t, s, g: t.nn.Transformer(8, 2, 1, 1, 16)(s, g), randn(5, 3, 8),
                randn(5, 2, 8))
    check_error(lambda t, s, g: t.nn.Transformer(8, 2, 1, 1, 16)(s, g), randn(5, 3, 8),
                randn(5, 3, 6))


@pytest.mark.parametrize("train", [False, True])
def test_fully_masked_sequence_gives_what_torch_gives(train):
    """torch's fused inference kernel (eval, no grad) gives NaN where every key is
    masked; its training path gives finite values."""
    kpm = np.zeros((3, 5), bool)
    kpm[1] = True
    x = randn(3, 5, 8)
    torch.manual_seed(0)
    t = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    e = ember.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    e.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in t.state_dict().items()})
    t.train(train)
    e.train(train)
    with torch.no_grad():
        tout = t(torch.from_numpy(x), src_key_padding_mask=torch.from_numpy(kpm))
    with ember.no_grad():
        eout = e(ember.from_numpy(x), src_key_padding_mask=ember.from_numpy(kpm))
    np.testing.assert_allclose(eout.numpy(), tout.numpy(), rtol=1e-5, atol=1e-5,
                               equal_nan=True)
    assert np.isnan(tout.numpy()).any() == (not train)
