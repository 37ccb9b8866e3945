"""nn.RNN / GRU / LSTM and their cells against torch: outputs, final states, every
parameter and input gradient (same state_dict), reprs, state_dict keys, init, errors."""

import warnings

import numpy as np
import pytest
import torch

import ember
from differential import check, check_error, gradcheck, gradgradcheck, randn
from module_check import check_module as _check_module


def check_module(build, *arrays, **kwargs):
    """module_check.check_module; float32 weight gradients are sums over every time step
    and batch row, so their absolute differences from torch's summation order reach a
    few 1e-6: compare them to 1e-5 (float64 keeps the strict default)."""
    if all(getattr(a, "dtype", np.float32) != np.float64 for a in arrays):
        kwargs.setdefault("grad_atol", 1e-5)
    return _check_module(build, *arrays, **kwargs)


def _nn_utils(m):
    return torch.nn.utils.rnn if isinstance(m, torch.nn.Module) else ember.nn.utils.rnn


LAYERS = {
    "rnn_tanh": lambda nn: nn.RNN(4, 6),
    "rnn_relu_2_layers": lambda nn: nn.RNN(4, 6, 2, "relu"),
    "gru": lambda nn: nn.GRU(4, 6),
    "gru_bidirectional_2_layers": lambda nn: nn.GRU(4, 6, num_layers=2, bidirectional=True),
    "gru_no_bias": lambda nn: nn.GRU(4, 6, bias=False),
    "lstm": lambda nn: nn.LSTM(4, 6),
    "lstm_bidirectional_2_layers": lambda nn: nn.LSTM(4, 6, 2, bidirectional=True),
    "lstm_proj": lambda nn: nn.LSTM(4, 6, proj_size=3),
    "lstm_proj_bidirectional_2_layers": lambda nn: nn.LSTM(4, 6, 2, proj_size=3,
                                                           bidirectional=True),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_recurrent_layer_matches_torch_with_same_weights(name):
    check_module(LAYERS[name], randn(7, 3, 4))


@pytest.mark.parametrize("name", ["gru", "lstm_proj", "rnn_relu_2_layers"])
def test_recurrent_layer_float64(name):
    build = LAYERS[name]
    check_module(lambda nn: build(nn).double(), randn(5, 2, 4, dtype=np.float64))


def test_batch_first_gru_as_in_mnist1d():
    check_module(lambda nn: nn.GRU(1, 12, batch_first=True), randn(8, 40, 1))


def test_gru_with_initial_state_gets_its_gradient():
    check_module(lambda nn: nn.GRU(4, 6, num_layers=2, bidirectional=True),
                 randn(5, 3, 4), randn(4, 3, 6))


def test_lstm_with_initial_states_gets_their_gradients():
    check_module(lambda nn: nn.LSTM(4, 6, 2, proj_size=2), randn(5, 3, 4), randn(2, 3, 2),
                 randn(2, 3, 6), forward=lambda m, x, h, c: m(x, (h, c)))


def test_unbatched_input_and_state():
    check_module(lambda nn: nn.GRU(4, 6, 2), randn(5, 4), randn(2, 6))
    check_module(lambda nn: nn.LSTM(4, 6, batch_first=True), randn(5, 4), randn(1, 6),
                 randn(1, 6), forward=lambda m, x, h, c: m(x, (h, c)))


def test_non_contiguous_input():
    x = np.ascontiguousarray(randn(4, 3, 5).transpose(1, 0, 2)).transpose(1, 0, 2)
    check_module(lambda nn: nn.LSTM(4, 5), x.transpose(2, 1, 0))


@pytest.mark.parametrize("name", ["gru_bidirectional_2_layers", "lstm_proj_bidirectional_2_layers",
                                  "rnn_tanh"])
def test_packed_sequence_input(name):
    lengths = [3, 5, 1, 4]

    def run(m, x, h0):
        packed = _nn_utils(m).pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, hidden = m(packed)
        padded, lens = _nn_utils(m).pad_packed_sequence(out)
        return padded, lens, hidden

    check_module(LAYERS[name], randn(5, 4, 4), randn(1), forward=run)


def test_packed_sequence_with_initial_state_in_original_batch_order():
    lengths = [2, 5, 3]

    def run(m, x, h0):
        packed = _nn_utils(m).pack_padded_sequence(x, lengths, batch_first=True,
                                                   enforce_sorted=False)
        out, h = m(packed, h0)
        return out.data, h

    check_module(lambda nn: nn.GRU(4, 6, batch_first=True, bidirectional=True),
                 randn(3, 5, 4), randn(2, 3, 6), forward=run)


def test_dropout_between_layers_in_train_keeps_shapes_and_is_off_in_eval():
    x = randn(6, 2, 4)
    check_module(lambda nn: nn.LSTM(4, 5, 3, dropout=0.5), x, modes=("eval",))
    ember.manual_seed(0)
    m = ember.nn.GRU(4, 5, 3, dropout=0.5)
    out, h = m(ember.from_numpy(x))
    assert tuple(out.shape) == (6, 2, 5) and tuple(h.shape) == (3, 2, 5)


def test_dropout_with_one_layer_warns_like_torch():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        ember.nn.GRU(3, 4, dropout=0.2)


@pytest.mark.parametrize("build", [
    lambda nn: nn.GRU(40, 128, batch_first=True),
    lambda nn: nn.LSTM(3, 8, num_layers=2, bias=False, dropout=0.25, bidirectional=True),
    lambda nn: nn.LSTM(3, 8, proj_size=4),
    lambda nn: nn.RNN(3, 8, nonlinearity="relu"),
    lambda nn: nn.RNNCell(3, 8, bias=False, nonlinearity="relu"),
    lambda nn: nn.GRUCell(3, 8),
    lambda nn: nn.LSTMCell(3, 8),
])
def test_repr_state_dict_keys_and_init_equal_torch(build):
    torch.manual_seed(3)
    t = build(torch.nn)
    ember.manual_seed(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = build(ember.nn)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    for (name, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_array_equal(ep.detach().numpy(), tp.detach().numpy(), err_msg=name)


def test_all_weights_lists_parameters_per_layer_and_direction():
    e = ember.nn.LSTM(3, 4, 2, bidirectional=True)
    t = torch.nn.LSTM(3, 4, 2, bidirectional=True)
    assert [[tuple(p.shape) for p in ws] for ws in e.all_weights] == \
        [[tuple(p.shape) for p in ws] for ws in t.all_weights]


# ---- cells ----------------------------------------------------------------------------

@pytest.mark.parametrize("build", [
    lambda nn: nn.RNNCell(4, 6),
    lambda nn: nn.RNNCell(4, 6, nonlinearity="relu"),
    lambda nn: nn.GRUCell(4, 6),
    lambda nn: nn.GRUCell(4, 6, bias=False),
])
def test_cell_matches_torch(build):
    check_module(build, randn(3, 4))
    check_module(build, randn(3, 4), randn(3, 6))
    check_module(build, randn(4), randn(6))
    check_module(lambda nn: build(nn).double(), randn(3, 4, dtype=np.float64))


def test_lstm_cell_matches_torch():
    check_module(lambda nn: nn.LSTMCell(4, 6), randn(3, 4))
    check_module(lambda nn: nn.LSTMCell(4, 6), randn(3, 4), randn(3, 6), randn(3, 6),
                 forward=lambda m, x, h, c: m(x, (h, c)))
    check_module(lambda nn: nn.LSTMCell(4, 6), randn(4), randn(6), randn(6),
                 forward=lambda m, x, h, c: m(x, (h, c)))


def test_cell_functions_match_torch_with_grad_fn_names():
    x, h, c = randn(3, 4), randn(3, 5), randn(3, 5)
    check(lambda t, *a: t.rnn_tanh_cell(*a), x, h, randn(5, 4), randn(5, 5), randn(5), randn(5))
    check(lambda t, *a: t.rnn_relu_cell(*a), x, h, randn(5, 4), randn(5, 5), randn(5), randn(5))
    check(lambda t, *a: t.gru_cell(*a), x, h, randn(15, 4), randn(15, 5), randn(15), randn(15))
    check(lambda t, x, h, c, *w: t.lstm_cell(x, (h, c), *w), x, h, c, randn(20, 4),
          randn(20, 5), randn(20), randn(20))


@pytest.mark.parametrize("cell,gates", [("rnn_tanh_cell", 1), ("gru_cell", 3)])
def test_cells_gradcheck_and_gradgradcheck(cell, gates):
    args = (randn(2, 3), randn(2, 2), randn(2 * gates, 3), randn(2 * gates, 2),
            randn(2 * gates), randn(2 * gates))
    assert gradcheck(lambda t, *a: getattr(t, cell)(*a), *args)
    assert gradgradcheck(lambda t, *a: getattr(t, cell)(*a), *args)


def test_lstm_cell_gradcheck():
    args = (randn(2, 3), randn(2, 2), randn(2, 2), randn(8, 3), randn(8, 2), randn(8), randn(8))
    assert gradcheck(lambda t, x, h, c, *w: t.lstm_cell(x, (h, c), *w), *args)


@pytest.mark.parametrize("mode", ["GRU", "LSTM", "RNN"])
def test_layer_gradcheck_float64(mode):
    """The fused layer op's own backward, both directions, LSTM with projections."""
    ember.manual_seed(0)
    kwargs = {"proj_size": 1} if mode == "LSTM" else {}
    m = getattr(ember.nn, mode)(2, 2, bidirectional=True, **kwargs).double()
    arrays = [p.detach().numpy().copy() for p in m.parameters()]
    assert gradcheck(lambda t, x, *ps: _call(m, ps, x)[0], randn(3, 2, 2), *arrays)


@pytest.mark.parametrize("mode", ["GRU", "LSTM"])
def test_layer_gradgradcheck_float64(mode):
    """Double backward (create_graph) goes through the reference loop of cells."""
    ember.manual_seed(0)
    m = getattr(ember.nn, mode)(1, 1).double()
    arrays = [p.detach().numpy().copy() for p in m.parameters()]
    assert gradgradcheck(lambda t, x, *ps: _call(m, ps, x)[1], randn(2, 1, 1), *arrays)


def _call(module, params, x):
    """Run `module` with `params` (tensors that may carry a graph) in place of its own."""
    names = [n for n, _ in module.named_parameters()]
    saved = {n: module._parameters[n] for n in names}
    try:
        for n, p in zip(names, params):
            module._parameters[n] = p
        return module(x)
    finally:
        module._parameters.update(saved)


# ---- errors ---------------------------------------------------------------------------

def test_wrong_input_size_raises_like_torch():
    check_error(lambda t, x: t.nn.GRU(40, 128, batch_first=True)(x), randn(2, 5, 30))


@pytest.mark.parametrize("build,args", [
    (lambda nn: nn.GRU(4, 6), (randn(5, 3, 4), randn(1, 2, 6))),
    (lambda nn: nn.RNN(4, 6, 2), (randn(5, 3, 4), randn(1, 3, 6))),
    (lambda nn: nn.GRU(4, 6, bidirectional=True), (randn(5, 3, 4), randn(1, 3, 6))),
    (lambda nn: nn.GRU(4, 6), (randn(5, 3, 4), randn(3, 6))),
    (lambda nn: nn.GRU(4, 6), (randn(5, 4), randn(1, 1, 6))),
    (lambda nn: nn.GRU(4, 6), (randn(2, 5, 3, 4),)),
    (lambda nn: nn.RNN(4, 6), (randn(2, 5, 3, 4),)),
    (lambda nn: nn.RNNCell(4, 6), (randn(2, 5), randn(2, 6))),
    (lambda nn: nn.GRUCell(4, 6), (randn(2, 4), randn(3, 6))),
    (lambda nn: nn.GRUCell(4, 6), (randn(2, 4), randn(2, 5))),
    (lambda nn: nn.GRUCell(4, 6), (randn(2, 2, 4),)),
])
def test_bad_shapes_raise_like_torch(build, args):
    check_error(lambda t, *a: build(t.nn)(*a), *args)


@pytest.mark.parametrize("h_shape,c_shape", [((1, 3, 5), (1, 3, 6)), ((1, 3, 6), (2, 3, 6)),
                                             ((1, 3, 6), (3, 6))])
def test_lstm_bad_state_shapes_raise_like_torch(h_shape, c_shape):
    check_error(lambda t, x, h, c: t.nn.LSTM(4, 6)(x, (h, c)), randn(5, 3, 4), randn(*h_shape),
                randn(*c_shape))


def test_lstm_cell_bad_cell_state_raises_like_torch():
    check_error(lambda t, x, h, c: t.nn.LSTMCell(4, 6)(x, (h, c)), randn(2, 4), randn(2, 6),
                randn(2, 5))


def test_dtype_mismatch_raises_like_torch():
    check_error(lambda t, x: t.nn.GRU(4, 6)(x), randn(5, 3, 4, dtype=np.float64))


@pytest.mark.parametrize("make", [
    lambda nn: nn.GRU(4, 6, proj_size=2),
    lambda nn: nn.LSTM(4, 6, proj_size=6),
    lambda nn: nn.LSTM(4, 6, proj_size=-1),
    lambda nn: nn.RNN(4, 6, nonlinearity="sigmoid"),
    lambda nn: nn.GRU(4, 6, dropout=1.5),
    lambda nn: nn.GRU(4, 0),
    lambda nn: nn.GRU(4, 6, num_layers=0),
    lambda nn: nn.GRU(4.0, 6),
    lambda nn: nn.GRU(4, 6, bias=1),
])
def test_bad_constructor_arguments_raise_like_torch(make):
    check_error(lambda t: make(t.nn))


@pytest.mark.parametrize("name", ["gru_bidirectional_2_layers", "lstm_proj", "rnn_relu_2_layers"])
def test_inference_under_no_grad_matches_torch(name):
    """Nothing is kept for backward then (a different code path in the layer op)."""
    x = randn(6, 3, 4)
    torch.manual_seed(0)
    t = LAYERS[name](torch.nn).eval()
    e = LAYERS[name](ember.nn).eval()
    e.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in t.state_dict().items()})
    with torch.no_grad():
        t_out = t(torch.from_numpy(x))
    with ember.no_grad():
        e_out = e(ember.from_numpy(x))
    t_flat = [t_out[0], *(t_out[1] if isinstance(t_out[1], tuple) else [t_out[1]])]
    e_flat = [e_out[0], *(e_out[1] if isinstance(e_out[1], tuple) else [e_out[1]])]
    for ev, tv in zip(e_flat, t_flat):
        assert not ev.requires_grad
        np.testing.assert_allclose(ev.numpy(), tv.numpy(), rtol=1e-5, atol=1e-6)


def test_output_may_be_changed_in_place_but_weights_may_not():
    for lib in (torch, ember):
        m = lib.nn.RNN(2, 3)
        x = lib.randn(4, 1, 2)
        out, _ = m(x)
        out.mul_(2)
        out.sum().backward()  # torch saves its own copies of the activations
        out, _ = m(x)
        with lib.no_grad():
            m.weight_hh_l0.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()
