"""Recurrent cells and whole recurrent layers (tanh/relu RNN, GRU, LSTM).

The cells (`rnn_tanh_cell`, `gru_cell`, `lstm_cell`, ...) are compositions of ember ops,
written as torch's CPU kernels write them, so their values, graphs and gradients of
gradients are those of the ops they use.

A whole layer (one direction of one layer of nn.GRU, ...) is one primitive,
`RecurrentLayer`, because a Python loop of small ops per time step is where the time
would go. The input projection of every time step is one matmul done before it
(`linear(x, w_ih, b_ih)` on the whole sequence); the layer then does one matmul per
step for the recurrence. Its backward walks the steps in reverse (one matmul per step
for the hidden-state gradient) and forms the weight gradients with one matmul over all
steps at the end. When gradients of gradients are asked for (create_graph), backward
instead differentiates `recurrent_layer_reference`, the same layer written as a loop
of the cells above, so that the result is part of the graph.

Sequences are in torch's packed layout: rows of time step t are
`data[offset_t : offset_t + batch_sizes[t]]`, batch sizes non-increasing; a padded
(T, B, ...) batch is the special case `batch_sizes = [B] * T`. Rows past `batch_sizes[t]`
have finished: their hidden state is carried unchanged.
"""

from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..tensor import Tensor
from .primitive import Primitive

__all__ = [
    'gru_cell',
    'lstm_cell',
    'rnn_relu_cell',
    'rnn_tanh_cell',
]

# ---- cells, with ember ops ---------------------------------------------------------

def _rnn_step(gi, h, w_hh, b_hh, relu: bool):
    from .elementwise import relu as _relu
    from .linalg import linear
    pre = gi + linear(h, w_hh, b_hh)
    return _relu(pre) if relu else pre.tanh()


def _gru_step(gi, h, w_hh, b_hh):
    from .linalg import linear
    gh = linear(h, w_hh, b_hh)
    H = h.shape[-1]
    i_r, i_z, i_n = gi.narrow(-1, 0, H), gi.narrow(-1, H, H), gi.narrow(-1, 2 * H, H)
    h_r, h_z, h_n = gh.narrow(-1, 0, H), gh.narrow(-1, H, H), gh.narrow(-1, 2 * H, H)
    reset = (h_r + i_r).sigmoid()
    update = (h_z + i_z).sigmoid()
    new = (i_n + h_n * reset).tanh()
    return (h - new) * update + new


def _lstm_step(gi, h, c, w_hh, b_hh, w_hr=None):
    from .linalg import linear
    gates = gi + linear(h, w_hh, b_hh)
    H = c.shape[-1]
    ingate = gates.narrow(-1, 0, H).sigmoid()
    forgetgate = gates.narrow(-1, H, H).sigmoid()
    cellgate = gates.narrow(-1, 2 * H, H).tanh()
    outgate = gates.narrow(-1, 3 * H, H).sigmoid()
    c_new = forgetgate * c + ingate * cellgate
    h_new = outgate * c_new.tanh()
    if w_hr is not None:
        h_new = linear(h_new, w_hr)
    return h_new, c_new


def _check_cell(input, hiddens, w_ih, w_hh) -> None:
    """torch's shape checks for the cell ops, with its messages."""
    if input.shape[1] != w_ih.shape[1]:
        raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} "
                           f"expected {w_ih.shape[1]}")
    for i, h in enumerate(hiddens):
        if input.shape[0] != h.shape[0]:
            raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{i} "
                               f"batch size {h.shape[0]}")
        if h.shape[1] != w_hh.shape[1]:
            raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.shape[1]}, "
                               f"expected {w_hh.shape[1]}")


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = tanh(input @ w_ih^T + b_ih + hx @ w_hh^T + b_hh)."""
    from .linalg import linear
    _check_cell(input, [hx], w_ih, w_hh)
    return _rnn_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh, relu=False)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = relu(input @ w_ih^T + b_ih + hx @ w_hh^T + b_hh)."""
    from .linalg import linear
    _check_cell(input, [hx], w_ih, w_hh)
    return _rnn_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh, relu=True)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """r = sigmoid(W_ir x + W_hr h), z = sigmoid(W_iz x + W_hz h),
    n = tanh(W_in x + r * (W_hn h)), h' = (h - n) * z + n (biases included)."""
    from .linalg import linear
    _check_cell(input, [hx], w_ih, w_hh)
    return _gru_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """(h', c') from gates i, f, g, o: c' = f * c + i * g, h' = o * tanh(c')."""
    from .linalg import linear
    h, c = hx
    _check_cell(input, [h, c], w_ih, w_hh)
    return _lstm_step(linear(input, w_ih, b_ih), h, c, w_hh, b_hh)


# ---- a whole layer as one primitive -----------------------------------------------

def _steps(batch_sizes, reverse: bool):
    """(t, offset, rows) per time step, in the order the layer visits them."""
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]]).astype(int).tolist()
    order = list(zip(range(len(batch_sizes)), offsets, batch_sizes))
    return order[::-1] if reverse else order


def _sigmoid_(x):
    """x <- 1 / (1 + exp(-x)), in place (torch's formula)."""
    np.negative(x, out=x)
    np.exp(x, out=x)
    x += 1
    np.reciprocal(x, out=x)
    return x


class RecurrentLayer(Primitive):
    """One direction of one recurrent layer over a (packed) sequence.

    Inputs: gi (N, G*H) the input projections x @ w_ih^T + b_ih of all N rows,
    h0 (B, Hout), c0 (B, H) for LSTM else None, w_hh (G*H, Hout), b_hh (G*H,) or None,
    w_hr (Hout, H) for an LSTM with projections else None.
    Outputs: out (N, Hout), h_n (B, Hout) and, for LSTM, c_n (B, H).

    The forward computes each step's gates in place in (N, ...) buffers that backward
    reads; with `keep=False` (nothing will be differentiated) it reuses one step's worth.
    """

    grad_fn_name = "RecurrentLayerBackward0"
    save_inputs = (0, 1, 2, 3, 4, 5)

    def forward(self, gi, h0, c0, w_hh, b_hh, w_hr, mode, batch_sizes, reverse, keep=True):
        self.mode, self.batch_sizes, self.reverse = mode, batch_sizes, reverse
        self.num_outputs = 3 if mode == "LSTM" else 2
        self.w_hh, self.w_hr = w_hh, w_hr
        self.keep = keep
        steps = _steps(batch_sizes, reverse)
        h = h0.copy()
        out = np.empty((gi.shape[0], h0.shape[1]), gi.dtype)
        self.h_prev = self._buffer(out.shape, out.dtype, h0.shape[0])
        w_hh_t = w_hh.T
        if mode == "LSTM":
            return self._forward_lstm(gi, h, c0.copy(), w_hh_t, b_hh, w_hr, steps, out)
        if mode == "GRU":
            return self._forward_gru(gi, h, w_hh_t, b_hh, steps, out)
        relu = mode == "RNN_RELU"
        for _, off, n in steps:
            rows = slice(off, off + n)
            hp = h[:n]
            self._slot(self.h_prev, rows, n)[...] = hp
            pre = out[rows]
            np.matmul(hp, w_hh_t, out=pre)
            if b_hh is not None:
                pre += b_hh
            pre += gi[rows]
            if relu:
                np.maximum(pre, 0, out=pre)
            else:
                np.tanh(pre, out=pre)
            h[:n] = pre
        # backward reads the activations; the output itself may be changed in place later
        self.activations = out.copy() if self.keep else None
        return out, h

    def _buffer(self, shape, dtype, batch):
        """(N, ...) storage for backward, or one step's scratch when nothing is kept."""
        return np.empty(shape if self.keep else (batch, *shape[1:]), dtype)

    def _slot(self, buffer, rows, n):
        return buffer[rows] if self.keep else buffer[:n]

    def _forward_gru(self, gi, h, w_hh_t, b_hh, steps, out):
        H, B = h.shape[1], h.shape[0]
        self.r, self.z, self.n, self.ghn = (self._buffer(out.shape, out.dtype, B)
                                            for _ in range(4))
        for _, off, n in steps:
            rows = slice(off, off + n)
            hp = h[:n]
            self._slot(self.h_prev, rows, n)[...] = hp
            gh = hp @ w_hh_t
            if b_hh is not None:
                gh += b_hh
            g = gi[rows]
            r = self._slot(self.r, rows, n)
            _sigmoid_(np.add(g[:, :H], gh[:, :H], out=r))
            z = self._slot(self.z, rows, n)
            _sigmoid_(np.add(g[:, H:2 * H], gh[:, H:2 * H], out=z))
            ghn = gh[:, 2 * H:]
            self._slot(self.ghn, rows, n)[...] = ghn
            new = self._slot(self.n, rows, n)
            np.multiply(ghn, r, out=new)
            new += g[:, 2 * H:]
            np.tanh(new, out=new)
            h_new = out[rows]
            np.subtract(hp, new, out=h_new)  # h' = (h - n) * z + n
            h_new *= z
            h_new += new
            h[:n] = h_new
        return out, h

    def _forward_lstm(self, gi, h, c, w_hh_t, b_hh, w_hr, steps, out):
        H, B = c.shape[1], c.shape[0]
        N = gi.shape[0]
        self.c_prev = self._buffer((N, H), gi.dtype, B)
        self.gates = self._buffer((N, 4 * H), gi.dtype, B)  # activated i, f, g, o
        self.tanh_c = self._buffer((N, H), gi.dtype, B)
        self.h_raw = self._buffer((N, H), gi.dtype, B) if w_hr is not None else None
        for _, off, n in steps:
            rows = slice(off, off + n)
            hp, cp = h[:n], c[:n]
            self._slot(self.h_prev, rows, n)[...] = hp
            self._slot(self.c_prev, rows, n)[...] = cp
            act = self._slot(self.gates, rows, n)
            np.matmul(hp, w_hh_t, out=act)
            if b_hh is not None:
                act += b_hh
            act += gi[rows]
            _sigmoid_(act[:, :2 * H])
            np.tanh(act[:, 2 * H:3 * H], out=act[:, 2 * H:3 * H])
            _sigmoid_(act[:, 3 * H:])
            i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
            ig = i * g
            cp *= f  # c' = f * c + i * g
            cp += ig
            tc = self._slot(self.tanh_c, rows, n)
            np.tanh(cp, out=tc)
            if w_hr is not None:
                h_raw = self._slot(self.h_raw, rows, n)
                np.multiply(o, tc, out=h_raw)
                np.matmul(h_raw, w_hr.T, out=out[rows])
            else:
                np.multiply(o, tc, out=out[rows])
            h[:n] = out[rows]
        return out, h, c

    def backward(self, *grads):
        inputs = self.saved_tensors  # unpacking checks nothing was modified in place
        if grad_mode._enabled:
            return self._backward_through_reference(inputs, grads)
        grad_out, grad_h = grads[0], grads[1]
        N, Hout = self.h_prev.shape
        B = self.batch_sizes[0] if self.batch_sizes else 0
        dtype = self.h_prev.dtype
        d_out = np.zeros((N, Hout), dtype) if grad_out is None else grad_out._data
        dh = np.zeros((B, Hout), dtype) if grad_h is None else grad_h._data.copy()
        steps = _steps(self.batch_sizes, not self.reverse)
        if self.mode == "LSTM":
            grad_c = grads[2]
            dc = np.zeros((B, self.c_prev.shape[1]), dtype) if grad_c is None \
                else grad_c._data.copy()
            return self._backward_lstm(d_out, dh, dc, steps)
        if self.mode == "GRU":
            d_gi, d_gh = self._backward_gru(d_out, dh, steps)
        else:
            d_gi = d_gh = np.empty((N, self.w_hh.shape[0]), dtype)
            for _, off, n in steps:
                rows = slice(off, off + n)
                g = dh[:n] + d_out[rows]
                h_new = self.activations[rows]
                d_pre = g * (h_new > 0) if self.mode == "RNN_RELU" else g * (1 - h_new * h_new)
                d_gi[rows] = d_pre
                dh[:n] = d_pre @ self.w_hh
        return self._grads(d_gi, d_gh, dh, None, None)

    def _backward_gru(self, d_out, dh, steps):
        H = self.r.shape[1]
        N = d_out.shape[0]
        d_gi = np.empty((N, 3 * H), d_out.dtype)
        d_gh = np.empty((N, 3 * H), d_out.dtype)
        for _, off, n in steps:
            rows = slice(off, off + n)
            g = dh[:n] + d_out[rows]
            r, z, new, ghn = self.r[rows], self.z[rows], self.n[rows], self.ghn[rows]
            d_new = g * (1 - z) * (1 - new * new)
            d_r = d_new * ghn * r * (1 - r)
            d_z = g * (self.h_prev[rows] - new) * z * (1 - z)
            d_gi[rows, :H] = d_gh[rows, :H] = d_r
            d_gi[rows, H:2 * H] = d_gh[rows, H:2 * H] = d_z
            d_gi[rows, 2 * H:] = d_new
            d_gh[rows, 2 * H:] = d_new * r
            dh[:n] = g * z + d_gh[rows] @ self.w_hh
        return d_gi, d_gh

    def _backward_lstm(self, d_out, dh, dc, steps):
        H = dc.shape[1]
        d_gates = np.empty_like(self.gates)
        d_hr = np.empty_like(d_out) if self.w_hr is not None else None
        for _, off, n in steps:
            rows = slice(off, off + n)
            g = dh[:n] + d_out[rows]
            if self.w_hr is not None:
                d_hr[rows] = g
                g = g @ self.w_hr
            act = self.gates[rows]
            i, f, gg, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
            tc = self.tanh_c[rows]
            d_c = dc[:n] + g * o * (1 - tc * tc)
            dg = d_gates[rows]
            dg[:, :H] = d_c * gg * i * (1 - i)
            dg[:, H:2 * H] = d_c * self.c_prev[rows] * f * (1 - f)
            dg[:, 2 * H:3 * H] = d_c * i * (1 - gg * gg)
            dg[:, 3 * H:] = g * tc * o * (1 - o)
            dc[:n] = d_c * f
            dh[:n] = dg @ self.w_hh
        d_w_hr = None if d_hr is None else d_hr.T @ self.h_raw
        return self._grads(d_gates, d_gates, dh, dc, d_w_hr)

    def _grads(self, d_gi, d_gh, dh0, dc0, d_w_hr):
        """One gradient per input, each only where that input wants one."""
        need = [node is not None for node, _ in self.next_functions]
        wrap = Tensor._make
        return (wrap(d_gi) if need[0] else None,
                wrap(dh0) if need[1] else None,
                wrap(dc0) if dc0 is not None and need[2] else None,
                wrap(d_gh.T @ self.h_prev) if need[3] else None,
                wrap(d_gh.sum(0)) if need[4] else None,
                wrap(d_w_hr) if d_w_hr is not None and need[5] else None)

    def _backward_through_reference(self, inputs, grads):
        from ..autograd.engine import grad as autograd_grad
        outs = recurrent_layer_reference(*inputs, self.mode, self.batch_sizes, self.reverse)
        pairs = [(o, g) for o, g in zip(outs, grads) if g is not None]
        wanted = [i for i, x in enumerate(inputs) if x is not None and x.requires_grad]
        found = autograd_grad([o for o, _ in pairs], [inputs[i] for i in wanted],
                              [g for _, g in pairs], create_graph=True, allow_unused=True)
        result = [None] * len(inputs)
        for i, g in zip(wanted, found):
            result[i] = g
        return tuple(result)


def recurrent_layer_reference(gi, h0, c0, w_hh, b_hh, w_hr, mode, batch_sizes, reverse):
    """RecurrentLayer written as a loop of cells with ember ops (same inputs, outputs)."""
    from .shape import cat
    outs = {}
    h, c = h0, c0
    B = h0.shape[0]
    for t, off, n in _steps(batch_sizes, reverse):
        g = gi.narrow(0, off, n)
        hp = h if n == B else h.narrow(0, 0, n)
        if mode == "LSTM":
            cp = c if n == B else c.narrow(0, 0, n)
            h_new, c_new = _lstm_step(g, hp, cp, w_hh, b_hh, w_hr)
            c = c_new if n == B else cat([c_new, c.narrow(0, n, B - n)])
        elif mode == "GRU":
            h_new = _gru_step(g, hp, w_hh, b_hh)
        else:
            h_new = _rnn_step(g, hp, w_hh, b_hh, relu=mode == "RNN_RELU")
        h = h_new if n == B else cat([h_new, h.narrow(0, n, B - n)])
        outs[t] = h_new
    out = cat([outs[t] for t in range(len(batch_sizes))])
    return (out, h, c) if mode == "LSTM" else (out, h)


def recurrent_layer(gi, h0, c0, w_hh, b_hh, w_hr, mode: str, batch_sizes, reverse: bool):
    """Run one direction of one layer; see `RecurrentLayer`. batch_sizes: list of ints."""
    inputs = (gi, h0, c0, w_hh, b_hh, w_hr)
    keep = grad_mode._enabled and any(x is not None and x.requires_grad for x in inputs)
    return RecurrentLayer.apply(*inputs, mode=mode, batch_sizes=list(batch_sizes),
                                reverse=reverse, keep=keep)
