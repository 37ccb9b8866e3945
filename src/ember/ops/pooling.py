"""Pooling: max, average, adaptive average/max and power-average (lp) pooling.

Max pooling compares the k*k strided windows of the padded input one kernel tap at a
time (first maximum wins, a NaN always wins, as torch's CPU kernel), and keeps torch's
flat `indices` into each input plane. Its backward scatters the gradient to those
indices: a plain assignment when windows cannot overlap, one np.bincount otherwise;
the backward of that scatter is a gather, so double backward works. When stride equals
the kernel and nothing is padded, the forward is a reshape + argmax instead.

Average pooling, adaptive average pooling (and interpolation, in resampling.py) are
*separable* linear maps: along each spatial dim an output position is a weighted sum of
a few input positions ("taps"). `Taps` applies them with one gather per tap and dim
(so a NaN reaches only the windows that hold it); the gradient applies the transposed
(dense, small) matrix per dim, whose own gradient is the taps again.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..tensor import Tensor
from .primitive import Primitive, wrap_array

__all__ = [
    'adaptive_avg_pool1d',
    'adaptive_max_pool1d',
    'avg_pool1d',
    'max_pool1d',
    'max_pool2d',
    'max_pool3d',
]

FUNCTIONAL = (
    'adaptive_avg_pool1d',
    'adaptive_avg_pool2d',
    'adaptive_avg_pool3d',
    'adaptive_max_pool1d',
    'adaptive_max_pool2d',
    'adaptive_max_pool3d',
    'avg_pool1d',
    'avg_pool2d',
    'avg_pool3d',
    'lp_pool1d',
    'lp_pool2d',
    'max_pool1d',
    'max_pool1d_with_indices',
    'max_pool2d',
    'max_pool2d_with_indices',
    'max_pool3d',
    'max_pool3d_with_indices',
    'max_unpool1d',
    'max_unpool2d',
)


# ---------------------------------------------------------------------------------------
# separable linear maps ("taps"): avg pooling, adaptive avg pooling, interpolation


class Taps(Primitive):
    """out = along each of the last dims, sum_t x[..., idx[:, t], ...] * w[:, t].

    `taps` holds one (idx, w) pair per trailing dim (None: dim unchanged), idx and w of
    shape (out_size, T). Shapes: (*, L1, ..., Lk) -> (*, O1, ..., Ok).
    """

    def forward(self, x, taps, name, scale=None):
        self.taps, self.grad_fn_name, self.scale = taps, name, scale
        self.size = x.shape
        first = x.ndim - len(taps)
        for axis, tap in enumerate(taps, first):
            if tap is None:
                continue
            idx, w = tap
            w = w.astype(x.dtype)
            bshape = (-1,) + (1,) * (x.ndim - axis - 1)
            out = None
            for t in range(idx.shape[1]):
                v = np.take(x, idx[:, t], axis=axis)
                v = v * w[:, t].reshape(bshape)
                out = v if out is None else np.add(out, v, out=out)
            x = out
        if scale is not None:
            x = x * np.asarray(scale, x.dtype)
        return np.ascontiguousarray(x)

    def backward(self, grad):
        return TapsTranspose.apply(grad, taps=self.taps, size=self.size,
                                   name=self.grad_fn_name, scale=self.scale)


class TapsTranspose(Primitive):
    """The adjoint of Taps: per dim, multiply by the transposed (O, L) weight matrix."""

    def forward(self, g, taps, size, name, scale):
        self.taps, self.name, self.scale = taps, name, scale
        self.grad_fn_name = name.replace("Backward0", "BackwardBackward0")
        first = g.ndim - len(taps)
        for axis, tap in enumerate(taps, first):
            if tap is None:
                continue
            m = dense(tap, size[axis]).astype(g.dtype)
            g = np.moveaxis(np.tensordot(g, m, axes=([axis], [0])), -1, axis)
        if scale is not None:
            g = g * np.asarray(scale, g.dtype)
        return np.ascontiguousarray(g)

    def backward(self, gg):
        return Taps.apply(gg, taps=self.taps, name=self.name, scale=self.scale)


def dense(tap, size):
    """The (O, L) matrix of one dim's taps."""
    idx, w = tap
    m = np.zeros((idx.shape[0], size), np.float64)
    rows = np.broadcast_to(np.arange(idx.shape[0])[:, None], idx.shape)
    np.add.at(m, (rows, idx), w)
    return m


def window_taps(starts, ends, weights):
    """Taps for windows [start, end) of varying length: the clamped extra taps weigh 0."""
    starts, ends = np.asarray(starts), np.asarray(ends)
    width = max(int((ends - starts).max()), 1)
    t = np.arange(width)
    idx = np.minimum(starts[:, None] + t, np.maximum(ends - 1, starts)[:, None])
    w = np.where(starts[:, None] + t < ends[:, None], np.asarray(weights)[:, None], 0.0)
    return idx.astype(np.intp), w


# ---------------------------------------------------------------------------------------
# argument handling


def _tuple(value, n):
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    return value * n if len(value) == 1 else value


def _out_len(size, k, s, p, d, ceil_mode):
    o = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= size + p:
        o -= 1
    return o


def _pool_args(input, kernel_size, stride, padding, dilation, n, name):
    kernel = _tuple(kernel_size, n)
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _tuple(stride, n)
    padding, dilation = _tuple(padding, n), _tuple(dilation, n)
    for nm, v in (("kernel_size", kernel), ("stride", stride), ("padding", padding),
                  ("dilation", dilation)):
        if len(v) != n:
            raise RuntimeError(f"{name}: {nm} must either be a single int, or a tuple of {n} "
                               "ints")
    if any(s == 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    return kernel, stride, padding, dilation


# ---------------------------------------------------------------------------------------
# max pooling


def _flat_positions(size, pos):
    """Per-dim absolute positions (broadcastable) -> flat index into the plane."""
    flat = 0
    for axis, p in enumerate(pos):
        flat = flat * size[axis] + p
    return flat


def _geometry(size, kernel, stride, padding, dilation, out):
    """Per-dim padding (left, right) that makes every window of `out` fit."""
    need = [(o - 1) * s + d * (k - 1) + 1 for o, s, d, k in zip(out, stride, dilation, kernel)]
    return [(p, max(0, nd - m - p)) for p, nd, m in zip(padding, need, size)]


def _tap_windows(kernel, stride, dilation, out):
    """For each kernel tap (in row-major order), the strided slices it reads."""
    for offs in itertools.product(*(range(k) for k in kernel)):
        yield offs, (Ellipsis,) + tuple(slice(o * d, o * d + s * (m - 1) + 1, s)
                                        for o, d, s, m in zip(offs, dilation, stride, out))


def max_pool_forward(x, kernel, stride, padding, dilation, out):
    """(values, tap of each maximum) of max pooling over the last len(kernel) dims.

    A knockout tournament over the kernel taps' strided window slices, in scan order:
    each match is one np.maximum, one comparison and one np.where on the uint8 winners,
    and the right-hand tap wins only when strictly greater, so ties go to the first
    tap, as in torch's CPU kernel (measured 5x faster than updating a running max and
    argmax tap by tap). As in torch, the last NaN of a window wins.
    """
    n = len(kernel)
    lead, size = x.shape[:-n], x.shape[-n:]
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    widths = [(0, 0)] * len(lead) + _geometry(size, kernel, stride, padding, dilation, out)
    xp = np.pad(x, widths, constant_values=fill) if any(map(any, widths)) else x
    wins = [w for _, w in _tap_windows(kernel, stride, dilation, out)]
    tag = np.uint8 if len(wins) < 256 else np.int32
    players = [(xp[w], tag(t)) for t, w in enumerate(wins)]
    while len(players) > 1:
        nxt = []
        for i in range(0, len(players) - 1, 2):
            (va, aa), (vb, ab) = players[i], players[i + 1]
            # right-hand tags are all larger: winner = aa + right * (ab - aa), in integer
            # arithmetic (np.where on uint8 measured 5x slower)
            right = (vb > va).view(np.uint8) if tag is np.uint8 else (vb > va).astype(tag)
            right *= ab - aa if isinstance(ab, np.ndarray) else tag(ab - aa)
            right += aa
            nxt.append((np.maximum(va, vb), right))
        if len(players) % 2:
            nxt.append(players[-1])
        players = nxt
    best, arg = players[0]
    if len(wins) == 1:  # a lone tap is still a view of the input
        best, arg = best.copy(), np.zeros(best.shape, tag)
    if x.dtype.kind == "f" and np.isnan(best).any():
        for t, w in enumerate(wins):
            np.copyto(arg, tag(t), where=np.isnan(xp[w]))
    return best, arg


def max_pool_indices(arg, size, geometry):
    """torch's `indices`: the flat position of each maximum within its input plane."""
    kernel, stride, padding, dilation, out = geometry
    n = len(kernel)
    offsets = np.array([_flat_positions(size, [o * d for o, d in zip(offs, dilation)])
                        for offs, _ in _tap_windows(kernel, stride, dilation, out)], np.int64)
    starts = [(np.arange(out[a]) * stride[a] - padding[a]).reshape((-1,) + (1,) * (n - a - 1))
              for a in range(n)]
    idx = np.take(offsets, arg)
    idx += _flat_positions(size, starts)
    return idx


class MaxPool(Primitive):
    """Max over each window of the last len(kernel) dims; with `return_indices` the second
    output is `indices` (int64, flat within each input plane), as torch's
    max_pool*_with_indices."""

    def forward(self, x, kernel, stride, padding, dilation, out, name, return_indices):
        self.grad_fn_name = name
        values, arg = max_pool_forward(x, kernel, stride, padding, dilation, out)
        self.geometry = (kernel, stride, padding, dilation, out)
        self.arg, self.size = arg, x.shape
        if return_indices:
            return values, max_pool_indices(arg, x.shape[-len(kernel):], self.geometry)
        return values

    def backward(self, grad, _grad_indices=None):
        return MaxPoolScatter.apply(grad, arg=self.arg, size=self.size, geometry=self.geometry)


class MaxPoolScatter(Primitive):
    """grad_input: each output's gradient goes to the input position of its maximum,
    one strided slice write (or add, where windows overlap) per kernel tap."""

    grad_fn_name = "MaxPoolBackwardBackward0"

    def forward(self, g, arg, size, geometry):
        self.arg, self.geometry = arg, geometry
        kernel, stride, padding, dilation, out = geometry
        n = len(kernel)
        widths = _geometry(size[-n:], kernel, stride, padding, dilation, out)
        padded = tuple(size[:-n]) + tuple(m + a + b for m, (a, b) in zip(size[-n:], widths))
        overlap = any(s < d * (k - 1) + 1 for s, d, k in zip(stride, dilation, kernel))
        tiles = (not overlap and all(d == 1 and s == k for s, d, k in zip(stride, dilation, kernel))
                 and all(o * k == m for o, k, m in zip(out, kernel, padded[-n:])))
        # where the windows tile the input exactly, every element is written once: no
        # zero fill, and g * (arg == t) straight into place (5x faster than where + add);
        # a non-finite g would turn 0 * inf into NaN, so it takes the careful path
        direct = tiles and np.isfinite(g).all()
        gp = np.empty(padded, g.dtype) if direct else np.zeros(padded, g.dtype)
        zero = np.zeros((), g.dtype)
        for t, (_, win) in enumerate(_tap_windows(kernel, stride, dilation, out)):
            hit = arg == t
            if direct:
                np.multiply(g, hit, out=gp[win])
            elif overlap:
                gp[win] += np.where(hit, g, zero)
            else:
                np.copyto(gp[win], g, where=hit)
        crop = (Ellipsis,) + tuple(slice(a, a + m) for m, (a, _) in zip(size[-n:], widths))
        return np.ascontiguousarray(gp[crop]) if any(map(any, widths)) else gp

    def backward(self, gg):
        kernel = self.geometry[0]
        idx = max_pool_indices(self.arg, tuple(gg.shape[-len(kernel):]), self.geometry)
        return GatherIndices.apply(gg, idx=idx, spatial=len(kernel))


class ScatterToIndices(Primitive):
    """grad_input (shape `size`): each output's gradient added at its flat index."""

    grad_fn_name = "MaxPoolBackwardBackward0"

    def forward(self, g, idx, size, overlap, spatial):
        self.idx, self.spatial = idx, spatial
        return scatter(g, idx, size, overlap, spatial)

    def backward(self, gg):
        return GatherIndices.apply(gg, idx=self.idx, spatial=self.spatial)


class GatherIndices(Primitive):
    """The adjoint of the scatter: each output reads the input at its flat index."""

    grad_fn_name = "GatherBackward0"

    def forward(self, x, idx, spatial):
        self.idx, self.size, self.spatial = idx, x.shape, spatial
        lead, plane = _split(x.shape, spatial)
        flat = x.reshape(lead + (plane,))
        per = math.prod(idx.shape[len(lead):])
        return np.take_along_axis(flat, idx.reshape(lead + (per,)), -1).reshape(idx.shape)

    def backward(self, grad):
        return ScatterToIndices.apply(grad, idx=self.idx, size=self.size, overlap=True,
                                      spatial=self.spatial)


def _split(size, spatial):
    """(leading dims, plane size) of a tensor whose last `spatial` dims are pooled."""
    return tuple(size[:len(size) - spatial]), math.prod(size[len(size) - spatial:])


def scatter(g, idx, size, overlap, spatial):
    """Zeros of `size` with g added at idx (flat within each plane of the last `spatial`
    dims): one assignment when no two outputs share an index, else one bincount."""
    lead, plane = _split(size, spatial)
    per = math.prod(idx.shape[len(lead):])
    gl = g.reshape(lead + (per,))
    il = idx.reshape(lead + (per,))
    if not overlap:
        out = np.zeros(lead + (plane,), g.dtype)
        np.put_along_axis(out, il, gl, -1)
        return out.reshape(size)
    rows = math.prod(lead)
    base = (np.arange(rows) * plane).reshape(lead + (1,))
    summed = np.bincount((il + base).ravel(), weights=gl.ravel(), minlength=rows * plane)
    return summed.astype(g.dtype).reshape(size)


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, n):
    name = f"max_pool{n}d"
    kernel, stride, padding, dilation = _pool_args(input, kernel_size, stride, padding,
                                                   dilation, n, name)
    if input.ndim not in (n + 1, n + 2) or input.numel() == 0 and input.ndim == n + 1:
        raise RuntimeError(f"non-empty {n + 1}D or {n + 2}D (batch mode) tensor expected for "
                           "input")
    if any(d == 0 for d in input.shape[-n - 1:]):
        raise RuntimeError(f"Expected {n + 1}D or {n + 2}D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{list(input.shape)}")
    out = _check_pool(input, kernel, stride, padding, dilation, ceil_mode, n)
    return MaxPool.apply(input, kernel=kernel, stride=stride, padding=padding,
                         dilation=dilation, out=out, name=f"MaxPool{n}DWithIndicesBackward0",
                         return_indices=return_indices)


def _check_pool(input, kernel, stride, padding, dilation, ceil_mode, n):
    if any(k <= 0 for k in kernel):
        raise RuntimeError("kernel size should be greater than zero, but got " + " ".join(
            f"k{a}: {k}" for a, k in zip(("T", "H", "W")[3 - n:], kernel)))
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) / 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
    if n == 2 and any(k // 2 < p for k, p in zip(kernel, padding)):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {padding[1]}, padH = {padding[0]}, kW = {kernel[1]}, "
                           f"kH = {kernel[0]}")
    size = tuple(input.shape[-n:])
    out = tuple(_out_len(m, k, s, p, d, ceil_mode)
                for m, k, s, p, d in zip(size, kernel, stride, padding, dilation))
    if any(o <= 0 for o in out):
        plane = input.shape[-n - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (plane,) + size))}). "
                           f"Calculated output size: ({'x'.join(map(str, (plane,) + out))}). "
                           "Output size is too small")
    return out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over sliding windows of the last dim: (N, C, L) or (C, L) -> (N, C, L_out).
    Computed as torch does, through max_pool2d on an unsqueezed height of 1."""
    if input.ndim not in (2, 3):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{list(input.shape)}")
    k, s = _tuple(kernel_size, 1), _tuple(kernel_size if stride is None else stride, 1)
    p, d = _tuple(padding, 1), _tuple(dilation, 1)
    if k[0] <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k[0]}")
    if s[0] <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s[0]}")
    if p[0] < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p[0]}")
    if p[0] > k[0] // 2:
        raise RuntimeError("max_pool1d() padding should be at most half of kernel size, but got "
                           f"padding={p[0]} and kernel_size={k[0]}")
    if d[0] <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d[0]}")
    out = _out_len(input.shape[-1], k[0], s[0], p[0], d[0], ceil_mode)
    if out <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")
    result = _max_pool(input.unsqueeze(-2), (1, k[0]), (1, s[0]), (0, p[0]), (1, d[0]),
                       ceil_mode, return_indices, 2)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over sliding windows: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out);
    with return_indices also the flat index of each maximum within its H*W plane."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     2)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over sliding 3-D windows: (N, C, D, H, W) or (C, D, H, W)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     3)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---------------------------------------------------------------------------------------
# max unpooling: the scatter of max pooling's backward, as an op of its own


class MaxUnpool(ScatterToIndices):
    """Zeros with each input value placed at its flat index (per plane) in the output."""

    grad_fn_name = "MaxUnpool2DBackward0"


def _unpool_output_size(input, kernel, stride, padding, output_size):
    n = len(kernel)
    default = [(input.shape[-n + d] - 1) * stride[d] + kernel[d] - 2 * padding[d]
               for d in range(n)]
    if output_size is None:
        return default
    output_size = list(output_size)
    if len(output_size) == n + 2:
        output_size = output_size[2:]
    if len(output_size) != n:
        raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} "
                         f"elements, but it has a length of '{len(output_size)}'")
    for d in range(n):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < output_size[d] < hi:
            raise ValueError(f'invalid output_size "{tuple(output_size)}" (dim {d} must be '
                             f"between {lo} and {hi})")
    return output_size


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d: (N, C, H, W) values and their `indices` ->
    (N, C, H_out, W_out), zero except at the indices."""
    kernel = _tuple(kernel_size, 2)
    stride = kernel if stride is None else _tuple(stride, 2)
    padding = _tuple(padding, 2)
    size = [int(v) for v in _unpool_output_size(input, kernel, stride, padding, output_size)]
    if input.ndim not in (3, 4):
        raise RuntimeError("Input to max_unpooling2d should be a 3d or 4d Tensor, but got a "
                           f"tensor with {input.ndim} dimensions.")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    plane = size[0] * size[1]
    idx = indices._data
    bad = (idx < 0) | (idx >= plane)
    if bad.any():
        raise RuntimeError(f"Found an invalid max index: {idx[bad].flat[0]} (output volumes "
                           f"are of size {size[0]}x{size[1]})")
    shape = tuple(input.shape[:-2]) + tuple(size)
    return MaxUnpool.apply(input, idx=idx, size=shape, overlap=False, spatial=2)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d: (N, C, L) values and indices -> (N, C, L_out)."""
    kernel = _tuple(kernel_size, 1)
    stride = kernel if stride is None else _tuple(stride, 1)
    padding = _tuple(padding, 1)
    size = list(_unpool_output_size(input, kernel, stride, padding, output_size))
    return max_unpool2d(input.unsqueeze(-1), indices.unsqueeze(-1), (kernel[0], 1),
                        (stride[0], 1), (padding[0], 0), size + [1]).squeeze(-1)


# ---------------------------------------------------------------------------------------
# average pooling


def _avg_taps(size, k, s, p, out, count_include_pad):
    """One dim's windows with torch's divisor: the window clipped to input + padding when
    count_include_pad, else to the input itself."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    pool = end - start
    start_c, end_c = np.maximum(start, 0), np.minimum(end, size)
    count = pool if count_include_pad else end_c - start_c
    idx, w = window_taps(start_c, end_c, 1.0 / np.maximum(count, 1))
    return np.clip(idx, 0, size - 1), w


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, n):
    kernel, stride, padding, _ = _pool_args(input, kernel_size, stride, padding, 1, n,
                                            f"avg_pool{n}d")
    if input.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"non-empty {n + 1}D or {n + 2}D (batch mode) tensor expected for "
                           "input")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    out = _check_pool(input, kernel, stride, padding, (1,) * n, ceil_mode, n)
    size = tuple(input.shape[-n:])
    taps = [_avg_taps(m, k, s, p, o, count_include_pad)
            for m, k, s, p, o in zip(size, kernel, stride, padding, out)]
    if not input.dtype.is_floating_point:
        return _int_avg_pool(input, taps, divisor_override)
    scale = None
    if divisor_override is not None:
        taps = [(idx, (w > 0).astype(np.float64)) for idx, w in taps]
        scale = 1.0 / divisor_override
    return Taps.apply(input, taps=taps, name=f"AvgPool{n}DBackward0", scale=scale)


def _int_avg_pool(input, taps, divisor_override):
    """Integer average pooling: exact window sums, then C++'s truncating division."""
    x = input._data.astype(np.float64)
    divisor = np.ones((), np.float64)
    for axis, (idx, w) in enumerate(taps, x.ndim - len(taps)):
        x = _sum_taps(x, axis, idx, w > 0)
        counts = np.round(1.0 / w.max(axis=1))
        divisor = np.multiply.outer(divisor, counts)
    if divisor_override is not None:
        divisor = np.full(divisor.shape, float(divisor_override))
    return wrap_array(np.trunc(x / divisor).astype(input._data.dtype))


def _sum_taps(x, axis, idx, use):
    """Sum of x along `axis` over each output's taps (where `use`)."""
    bshape = (-1,) + (1,) * (x.ndim - axis - 1)
    out = 0
    for t in range(idx.shape[1]):
        out = out + np.take(x, idx[:, t], axis=axis) * use[:, t].reshape(bshape)
    return out


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over sliding windows of the last dim: (N, C, L) or (C, L) -> (N, C, L_out)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "avg_pool1d)")
    k = _tuple(kernel_size, 1)
    s = k if stride is None else _tuple(stride, 1)
    out = _avg_pool(input.unsqueeze(-2), (1, k[0]), (1, s[0]), (0, _tuple(padding, 1)[0]),
                    ceil_mode, count_include_pad, None, 2)
    return out.squeeze(-2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over sliding windows: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out).
    count_include_pad counts zero padding in the divisor; divisor_override replaces it."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over sliding 3-D windows: (N, C, D, H, W) or (C, D, H, W)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 3)


# ---------------------------------------------------------------------------------------
# adaptive pooling: output i of L -> O covers [floor(i*L/O), ceil((i+1)*L/O))


def adaptive_windows(size, out):
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _adaptive_size(input, output_size, n, name):
    if input.ndim not in (n + 1, n + 2):
        sep = ":" if name.startswith("adaptive_max") else ""
        raise RuntimeError(f"{name}(): Expected {n + 1}D or {n + 2}D tensor, but got{sep} "
                           f"{list(input.shape)}")
    sizes = [output_size] * n if isinstance(output_size, int) or output_size is None \
        else list(output_size)
    if len(sizes) != n:
        if name == "adaptive_max_pool2d":
            raise RuntimeError("adaptive_max_pool2d(): internal error: output_size.size() must "
                               "be 2")
        if name == "adaptive_max_pool3d":
            raise RuntimeError("adaptive_max_pool3d(): internal error: output_size.size() must "
                               "be 3")
        raise RuntimeError(f"{name}: output_size must be {n}")
    sizes = [input.shape[-n + i] if s is None else int(s) for i, s in enumerate(sizes)]
    for d in range(1, input.ndim):
        if input.shape[d] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {d} being empty")
    return tuple(sizes)


def _adaptive_avg(input, output_size, n):
    out = _adaptive_size(input, output_size, n, f"adaptive_avg_pool{n}d")
    if out == (1,) * n:  # torch takes a plain mean here
        return input.mean(tuple(range(-1, -n - 1, -1)), keepdim=True)
    taps = []
    for m, o in zip(input.shape[-n:], out):
        start, end = adaptive_windows(m, o)
        taps.append(window_taps(start, end, 1.0 / (end - start)))
    return Taps.apply(input, taps=taps, name=f"AdaptiveAvgPool{n}DBackward0")


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """Mean over torch's adaptive windows: (N, C, H, W) -> (N, C, *output_size);
    output_size (1, 1) is a plain mean over H and W, as in torch."""
    return _adaptive_avg(input, output_size, 2)


def adaptive_avg_pool3d(input, output_size) -> Tensor:
    """Mean over adaptive windows: (N, C, D, H, W) -> (N, C, *output_size)."""
    return _adaptive_avg(input, output_size, 3)


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """Mean over adaptive windows of the last dim: (N, C, L) -> (N, C, output_size)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "adaptive_avg_pool1d)")
    o = _tuple(output_size, 1)
    if len(o) != 1:
        raise RuntimeError("adaptive_avg_pool1d() argument 'output_size' should contain one int "
                           f"(got {len(o)})")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, o[0])).squeeze(-2)


class AdaptiveMaxPool(Primitive):
    """Max over adaptive windows; second output: flat indices within each plane."""

    def forward(self, x, out, name):
        self.grad_fn_name = name
        n = len(out)
        size = x.shape[-n:]
        per_dim = [window_taps(*adaptive_windows(m, o), np.ones(o))[0]
                   for m, o in zip(size, out)]
        best = best_idx = None
        for offs in itertools.product(*(range(i.shape[1]) for i in per_dim)):
            ix = np.ix_(*[per_dim[a][:, offs[a]] for a in range(n)])
            win = x[(Ellipsis,) + ix]
            flat = np.broadcast_to(_flat_positions(size, ix), win.shape)
            if best is None:
                best, best_idx = win.copy(), flat.astype(np.int64)
                continue
            upd = win > best
            if x.dtype.kind == "f":
                upd |= np.isnan(win)
            np.copyto(best, win, where=upd)
            np.copyto(best_idx, flat, where=upd)
        self.idx, self.size, self.n = best_idx, x.shape, n
        return best, best_idx

    def backward(self, grad, _grad_indices=None):
        return ScatterToIndices.apply(grad, idx=self.idx, size=self.size, overlap=True,
                                      spatial=self.n)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over torch's adaptive windows: (N, C, H, W) -> (N, C, *output_size)."""
    out = _adaptive_size(input, output_size, 2, "adaptive_max_pool2d")
    values, indices = AdaptiveMaxPool.apply(input, out=out, name="AdaptiveMaxPool2DBackward0")
    return (values, indices) if return_indices else values


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max over adaptive windows: (N, C, D, H, W) -> (N, C, *output_size)."""
    out = _adaptive_size(input, output_size, 3, "adaptive_max_pool3d")
    values, indices = AdaptiveMaxPool.apply(input, out=out, name="AdaptiveMaxPool3DBackward0")
    return (values, indices) if return_indices else values


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over adaptive windows of the last dim: (N, C, L) -> (N, C, output_size)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got: "
                           f"{list(input.shape)}")
    o = _tuple(output_size, 1)
    values, indices = adaptive_max_pool2d(input.unsqueeze(-2), (1, o[0]), True)
    values = values.squeeze(-2)
    return (values, indices.squeeze(-2)) if return_indices else values


# ---------------------------------------------------------------------------------------
# power-average pooling, composed as torch composes it


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor:
    """(sum over each window of x**p) ** (1/p)."""
    from .elementwise import abs, relu, sign
    kh, kw = _tuple(kernel_size, 2)
    out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (sign(out) * relu(abs(out))).mul(kw * kh).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor:
    """(sum over each window of the last dim of x**p) ** (1/p)."""
    from .elementwise import abs, relu, sign
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (sign(out) * relu(abs(out))).mul(kernel_size).pow(1.0 / norm_type)
