"""Recurrent layers: RNN, GRU, LSTM (stacked, bidirectional, packed sequences) and
their single-step cells RNNCell, GRUCell, LSTMCell.

Parameters, their names, shapes, order and initialisation, the reprs and the errors
are torch's. The arithmetic lives in ember/ops/rnn.py: each layer first projects the
whole input sequence with one matmul (`linear(x, weight_ih, bias_ih)`), then runs the
recurrence as one `RecurrentLayer` op (one matmul per time step).
"""

from __future__ import annotations

import math
import numbers
import warnings

from ... import creation
from ...ops.linalg import linear
from ...ops.rnn import gru_cell, lstm_cell, recurrent_layer, rnn_relu_cell, rnn_tanh_cell
from ...ops.shape import cat, stack
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = [
    "GRU",
    "GRUCell",
    "LSTM",
    "LSTMCell",
    "RNN",
    "RNNBase",
    "RNNCell",
    "RNNCellBase",
]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _apply_permutation(tensor, permutation):
    """Reorder the batch dim (1) of a hidden state."""
    return tensor[:, permutation]


class RNNBase(Module):
    """What RNN, GRU and LSTM share: the parameters of every layer and direction, the
    argument checks, and a forward that runs the layers one after the other.

    Args:
        mode: "RNN_TANH", "RNN_RELU", "GRU" or "LSTM".
        input_size: features of each input element.
        hidden_size: features of the hidden state.
        num_layers: stacked layers; layer k > 0 reads layer k - 1's output.
        bias: use bias_ih / bias_hh.
        batch_first: input and output are (batch, seq, feature) instead of
            (seq, batch, feature); hidden states are not affected.
        dropout: dropout on the outputs of every layer except the last (training only).
        bidirectional: also run each layer backwards in time; outputs are concatenated.
        proj_size: (LSTM only) project the hidden state to this size.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        _check_rnn_args(mode, input_size, hidden_size, num_layers, bias, batch_first,
                        dropout, proj_size)
        gate_size = _GATES[mode] * hidden_size
        num_directions = 2 if bidirectional else 1
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else \
                    real_hidden_size * num_directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = {"weight_ih": (gate_size, layer_input_size),
                          "weight_hh": (gate_size, real_hidden_size)}
                if bias:
                    shapes["bias_ih"] = (gate_size,)
                    shapes["bias_hh"] = (gate_size,)
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = []
                for kind, shape in shapes.items():
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(creation.empty(*shape, dtype=dtype,
                                                                 device=device)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """Nothing to do: the weights are never copied into one flat buffer here."""

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    # ---- checks ------------------------------------------------------------------------
    def check_input(self, input, batch_sizes) -> None:
        weight = self._flat_weights[0]
        if input.dtype != weight.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype "
                f"({weight.dtype}). Convert input: input.to({weight.dtype}), or convert "
                f"model: model.to({input.dtype})")
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(
                f"input must have {expected_input_dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {input.size(-1)}")

    def get_expected_hidden_size(self, input, batch_sizes) -> tuple:
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx, expected_hidden_size,
                          msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx, permutation)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ---- forward -----------------------------------------------------------------------
    def _prepare(self, input, hx, name: str, instead: str):
        """Unpack / batch the input; returns (rows, batch_sizes, hx, layout) where rows is
        the (N, input_size) packed-layout input and layout says how to shape the output."""
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            if hx is not None:
                hx = self.permute_hidden(hx, sorted_indices)
            return data, batch_sizes, hx, ("packed", batch_sizes, sorted_indices,
                                           unsorted_indices)
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                             f"{instead}")
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
        hx = self._check_hx_dims(hx, is_batched)
        return input, None, hx, ("padded", is_batched, batch_dim)

    def _check_hx_dims(self, hx, is_batched: bool):
        if hx is None:
            return None
        if not is_batched:
            if hx.dim() != 2:
                raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got "
                                   f"{hx.dim()}-D tensor")
            return hx.unsqueeze(1)
        if hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got "
                               f"{hx.dim()}-D tensor")
        return hx

    def _zeros(self, input, batch_sizes, size: int):
        batch = int(batch_sizes[0]) if batch_sizes is not None else \
            (input.size(0) if self.batch_first else input.size(1))
        num_directions = 2 if self.bidirectional else 1
        return creation.zeros(self.num_layers * num_directions, batch, size,
                              dtype=input.dtype)

    def _run_layers(self, input, batch_sizes, hx, cx):
        """All layers and directions over (packed or padded) input -> (output, h_n, c_n)."""
        if batch_sizes is None:
            time_major = input.transpose(0, 1) if self.batch_first else input
            steps, batch = time_major.shape[0], time_major.shape[1]
            sizes = [batch] * steps
            rows = time_major.reshape(steps * batch, time_major.shape[2])
        else:
            sizes = [int(n) for n in batch_sizes.tolist()]
            rows = input
        num_directions = 2 if self.bidirectional else 1
        h_n, c_n = [], []
        layer_input = rows
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                index = layer * num_directions + direction
                weights = dict(zip(_kinds(self._all_weights[index]),
                                   (getattr(self, n) for n in self._all_weights[index])))
                gi = linear(layer_input, weights["weight_ih"], weights.get("bias_ih"))
                result = recurrent_layer(
                    gi, hx[index], None if cx is None else cx[index], weights["weight_hh"],
                    weights.get("bias_hh"), weights.get("weight_hr"), self.mode, sizes,
                    reverse=direction == 1)
                outputs.append(result[0])
                h_n.append(result[1])
                if cx is not None:
                    c_n.append(result[2])
            layer_input = outputs[0] if num_directions == 1 else cat(outputs, -1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, p=self.dropout, training=True)
        output = layer_input
        if batch_sizes is None:
            output = output.reshape(steps, batch, output.shape[-1])
            if self.batch_first:
                output = output.transpose(0, 1)
        return output, stack(h_n), (stack(c_n) if cx is not None else None)

    def _finish_hidden(self, h_n, layout):
        """h_n in the caller's batch order (packed) or without the batch dim (unbatched)."""
        if layout[0] == "packed":
            return self.permute_hidden(h_n, layout[3])
        return h_n if layout[1] else h_n.squeeze(1)

    def _finish(self, output, layout):
        """Output in the caller's layout (PackedSequence, unbatched, batch_first)."""
        if layout[0] == "packed":
            _, batch_sizes, sorted_indices, unsorted_indices = layout
            return PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
        _, is_batched, batch_dim = layout
        return output if is_batched else output.squeeze(batch_dim)


def _kinds(names) -> list:
    """'weight_ih_l0_reverse' -> 'weight_ih'."""
    return [n.split("_l")[0] for n in names]


def _check_rnn_args(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                    proj_size) -> None:
    if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
            or isinstance(dropout, bool)):
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                      "non-zero dropout expects num_layers greater than 1, but got "
                      f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
    if not isinstance(bias, bool):
        raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
    if not isinstance(batch_first, bool):
        raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
    if not isinstance(input_size, int):
        raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
    if input_size <= 0:
        raise ValueError("input_size must be greater than zero")
    if not isinstance(hidden_size, int):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable "
                         "projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
    if mode not in _GATES:
        raise ValueError("Unrecognized RNN mode: " + mode)


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    Args: as RNNBase, plus nonlinearity: "tanh" (default) or "relu".

    Shape:
        input: (L, N, H_in), (N, L, H_in) with batch_first, (L, H_in) unbatched, or a
            PackedSequence. hx: (D * num_layers, N, H_out) (optional, zeros).
        output: (L, N, D * H_out) and h_n: (D * num_layers, N, H_out), D = 2 if
            bidirectional else 1.
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:  # RNN(input_size, hidden_size, num_layers, nonlinearity, ...)
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        rows, batch_sizes, hx, layout = self._prepare(input, hx, "RNN", "tensor instead")
        if hx is None:
            hx = self._zeros(rows, batch_sizes, self.hidden_size)
        self.check_forward_args(rows, hx, batch_sizes)
        output, h_n, _ = self._run_layers(rows, batch_sizes, hx, None)
        return self._finish(output, layout), self._finish_hidden(h_n, layout)


class GRU(RNNBase):
    """Multi-layer gated recurrent unit: per step, with sigma the sigmoid,
    r = sigma(W_ir x + b_ir + W_hr h + b_hr), z = sigma(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.

    Args and shapes as RNN (no nonlinearity).
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        rows, batch_sizes, hx, layout = self._prepare(input, hx, "GRU", "instead")
        if hx is None:
            hx = self._zeros(rows, batch_sizes, self.hidden_size)
        self.check_forward_args(rows, hx, batch_sizes)
        output, h_n, _ = self._run_layers(rows, batch_sizes, hx, None)
        return self._finish(output, layout), self._finish_hidden(h_n, layout)


class LSTM(RNNBase):
    """Multi-layer long short-term memory: gates i, f, g, o from x W_ih^T + h W_hh^T
    (+ biases), c' = f * c + i * g, h' = o * tanh(c'); with proj_size > 0,
    h' = (o * tanh(c')) W_hr^T.

    Shape: as RNN, with the state a pair (h_0, c_0) of (D * num_layers, N, H_out) and
    (D * num_layers, N, H_cell); returns output, (h_n, c_n).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes) -> tuple:
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx[0], permutation), _apply_permutation(hx[1], permutation)

    def _check_hx_dims(self, hx, is_batched: bool):
        if hx is None:
            return None
        want = 3 if is_batched else 2
        if hx[0].dim() != want or hx[1].dim() != want:
            kind = "batched 3-D" if is_batched else "unbatched 2-D"
            raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                               f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
        return hx if is_batched else (hx[0].unsqueeze(1), hx[1].unsqueeze(1))

    def forward(self, input, hx=None):
        rows, batch_sizes, hx, layout = self._prepare(input, hx, "LSTM", "instead")
        if hx is None:
            size = self.proj_size if self.proj_size > 0 else self.hidden_size
            hx = (self._zeros(rows, batch_sizes, size),
                  self._zeros(rows, batch_sizes, self.hidden_size))
        self.check_forward_args(rows, hx, batch_sizes)
        output, h_n, c_n = self._run_layers(rows, batch_sizes, hx[0], hx[1])
        output = self._finish(output, layout)
        if layout[0] == "packed":
            return output, self.permute_hidden((h_n, c_n), layout[3])
        if not layout[1]:
            return output, (h_n.squeeze(1), c_n.squeeze(1))
        return output, (h_n, c_n)


# ---- cells ---------------------------------------------------------------------------

class RNNCellBase(Module):
    """The parameters of a single-step cell: weight_ih (chunks * hidden, input),
    weight_hh (chunks * hidden, hidden), bias_ih and bias_hh (chunks * hidden)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        rows = num_chunks * hidden_size
        self.weight_ih = Parameter(creation.empty(rows, input_size, dtype=dtype))
        self.weight_hh = Parameter(creation.empty(rows, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(rows, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(rows, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _batched(self, input, hx, name: str):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.dim()}D "
                             "instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = creation.zeros(input.size(0), self.hidden_size, dtype=input.dtype)
        elif not is_batched:
            hx = hx.unsqueeze(0)
        return input, hx, is_batched


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu), one step."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, hx, is_batched = self._batched(input, hx, "RNNCell")
        if self.nonlinearity == "tanh":
            cell = rnn_tanh_cell
        elif self.nonlinearity == "relu":
            cell = rnn_relu_cell
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        ret = cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return ret if is_batched else ret.squeeze(0)


class GRUCell(RNNCellBase):
    """One GRU step (see GRU)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        input, hx, is_batched = self._batched(input, hx, "GRUCell")
        ret = gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return ret if is_batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (see LSTM); takes and returns the pair (h, c)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got "
                                     f"{value.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = creation.zeros(input.size(0), self.hidden_size, dtype=input.dtype)
            hx = (zeros, zeros)
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = lstm_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih,
                         self.bias_hh)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))
