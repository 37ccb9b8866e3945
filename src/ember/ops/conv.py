"""Convolutions (conv1d/2d/3d and their transposes) and unfold/fold, through im2col.

One N-d convolution serves every spatial rank. The forward builds a column buffer
`cols` of shape (C, *kernel, N, *out) with one strided slice copy per kernel offset
(k*k copies for a 2-D k x k kernel, never a loop over output positions or channels),
then runs ONE matrix product per call: (G, O/G, C/G*K) @ (G, C/G*K, N*P) for G groups.
The backward is made of the same pieces, so it is GEMMs too:

    grad_input  = conv_transpose(grad, weight)         (col2im: k*k slice-adds)
    grad_weight = grad (O, N*P) @ cols^T               (ConvolutionWeightGrad)
    grad_bias   = grad summed over batch and space

and every piece is itself a differentiable op, so gradients of gradients work.
A transposed convolution is the adjoint of a convolution in its input, so its forward
is the col2im path and its input gradient the im2col one.
"""

from __future__ import annotations

import itertools
import math
import threading

import numpy as np

from ..tensor import Tensor
from .primitive import Primitive

__all__ = [
    'conv1d',
    'conv2d',
    'conv3d',
    'conv_transpose1d',
    'conv_transpose2d',
    'conv_transpose3d',
]

FUNCTIONAL = (
    'conv1d',
    'conv2d',
    'conv3d',
    'conv_transpose1d',
    'conv_transpose2d',
    'conv_transpose3d',
    'fold',
    'unfold',
)


# ---------------------------------------------------------------------------------------
# array kernels: im2col / col2im and the three GEMM-based products


def _window(offset: int, dilation: int, stride: int, count: int) -> slice:
    """The input positions that kernel tap `offset` touches over `count` outputs."""
    start = offset * dilation
    return slice(start, start + stride * (count - 1) + 1, stride)


def im2col(xp, kernel, stride, dilation, out_size, work=False):
    """Padded input (N, C, *L) -> columns (N, C, *kernel, *out), one slice copy per tap
    (into a reused work array with `work`, for callers that do not keep the result)."""
    n, c = xp.shape[:2]
    shape = (n, c, *kernel, *out_size)
    cols = scratch.get("cols", shape, xp.dtype) if work else np.empty(shape, xp.dtype)
    lead = (slice(None), slice(None))
    for offs in itertools.product(*(range(k) for k in kernel)):
        win = tuple(_window(o, d, s, m) for o, d, s, m in zip(offs, dilation, stride, out_size))
        cols[lead + offs] = xp[lead + win]
    return cols


def col2im(cols, padded_size, kernel, stride, dilation, out_size, work=False):
    """The adjoint of im2col: columns (N, C, *kernel, *out) -> (N, C, *padded_size),
    summing overlapping taps with one slice-add per kernel offset (into a reused work
    array with `work`, for callers that copy out of it)."""
    n, c = cols.shape[:2]
    shape = (n, c, *padded_size)
    acc = (scratch.get("col2im", shape, cols.dtype, zero=True) if work
           else np.zeros(shape, cols.dtype))
    lead = (slice(None), slice(None))
    for offs in itertools.product(*(range(k) for k in kernel)):
        win = tuple(_window(o, d, s, m) for o, d, s, m in zip(offs, dilation, stride, out_size))
        acc[lead + win] += cols[lead + offs]
    return acc


def _pad_spatial(x, padding):
    """x with `padding` zeros on both sides of each spatial dim, in a work array (its
    callers only read it); np.pad's generality cost 0.13 ms a call."""
    if not any(padding):
        return x
    n, c = x.shape[:2]
    xp = scratch.get("padded", (n, c) + tuple(m + 2 * p for m, p in zip(x.shape[2:], padding)),
                     x.dtype, zero=True)
    xp[(slice(None), slice(None)) + tuple(slice(p, p + m) for p, m
                                          in zip(padding, x.shape[2:]))] = x
    return xp


def _out_size(size, kernel, stride, padding, dilation):
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, s, p, d in zip(size, kernel, stride, padding, dilation))


# Stride 1 (the common case) has a faster layout. In the flattened padded input every
# kernel tap is ONE contiguous run: output row r, column c reads position
# (r + i*d) * Wp + (c + j*d), so taking the output rows at the padded width Wp ("extended"
# rows, the last k-1 columns junk) makes each tap a slice at offset i*d*Wp + j*d.
# Contiguous copies and adds measured 2x faster than the strided ones; the junk columns
# cost (Wp - W) / W more GEMM work and are cropped (or zeroed, going backwards).


class _Scratch(threading.local):
    """Work arrays reused across calls for temporaries that never leave this module
    (padded inputs, columns, pre-crop products, col2im sums). Fresh large arrays cost a
    page fault per 4 KiB on first touch; with glibc's default thresholds that was about
    half of a LeNet training step (20 -> 10 ms with the temporaries reused). At most
    BUDGET bytes are held; arrays above LARGEST are never kept."""

    BUDGET = 256 << 20
    LARGEST = 64 << 20

    def __init__(self):
        self.arrays = {}
        self.held = 0

    def get(self, name: str, shape, dtype, zero: bool = False):
        key = (name, tuple(shape), np.dtype(dtype))
        a = self.arrays.get(key)
        if a is None:
            a = np.empty(shape, dtype)
            if a.nbytes <= self.LARGEST:
                if self.held + a.nbytes > self.BUDGET:  # shapes keep changing: start over
                    self.arrays.clear()
                    self.held = 0
                self.arrays[key] = a
                self.held += a.nbytes
        if zero:
            a.fill(0)
        return a


scratch = _Scratch()


class FlatPlan:
    """Stride-1 geometry: tap offsets in the flattened padded input, the extended output."""

    def __init__(self, padded, kernel, dilation, out):
        self.padded, self.out = tuple(padded), tuple(out)
        strides = [math.prod(padded[i + 1:]) for i in range(len(padded))]
        self.offsets = [sum(o * d * st for o, d, st in zip(offs, dilation, strides))
                        for offs in itertools.product(*(range(k) for k in kernel))]
        self.ext_shape = (out[0],) + tuple(padded[1:])
        self.ext = math.prod(self.ext_shape)
        self.buflen = max(math.prod(padded), self.offsets[-1] + self.ext)
        self.crop = (Ellipsis,) + tuple(slice(0, m) for m in out[1:])

    def buffer(self, x, padding):
        """(N, C, buflen) zeros holding x at its place in the padded layout."""
        n, c = x.shape[:2]
        buf = scratch.get("buffer", (n, c, self.buflen), x.dtype, zero=True)
        inner = buf[:, :, :math.prod(self.padded)].reshape(n, c, *self.padded)
        inner[(slice(None), slice(None)) + tuple(slice(p, p + m) for p, m
                                                 in zip(padding, x.shape[2:]))] = x
        return buf

    def im2col(self, buf):
        n, c = buf.shape[:2]
        cols = scratch.get("cols", (n, c, len(self.offsets), self.ext), buf.dtype)
        for t, off in enumerate(self.offsets):
            cols[:, :, t] = buf[:, :, off:off + self.ext]
        return cols

    def col2im(self, cols):
        n, c = cols.shape[:2]
        acc = scratch.get("col2im", (n, c, self.buflen), cols.dtype, zero=True)
        for t, off in enumerate(self.offsets):
            acc[:, :, off:off + self.ext] += cols[:, :, t]
        return acc[:, :, :math.prod(self.padded)].reshape(n, c, *self.padded)

    def extend(self, g):
        """(N, C, *out) -> (N, C, ext) with zeros in the junk columns."""
        if self.ext_shape == self.out:
            return g.reshape(*g.shape[:2], self.ext)
        ext = scratch.get("extend", g.shape[:2] + self.ext_shape, g.dtype, zero=True)
        ext[self.crop] = g
        return ext.reshape(*g.shape[:2], self.ext)

    def shrink(self, out):
        """(N, C, ext) -> contiguous (N, C, *out)."""
        out = out.reshape(*out.shape[:2], *self.ext_shape)
        return out if self.ext_shape == self.out else np.ascontiguousarray(out[self.crop])


def _plan(size, kernel, stride, padding, dilation, out_size):
    if any(s != 1 for s in stride):
        return None
    padded = tuple(m + 2 * p for m, p in zip(size, padding))
    return FlatPlan(padded, kernel, dilation, out_size)


def conv_forward(x, w, stride, padding, dilation, groups):
    """x (N, C, *L), w (O, C/G, *K) -> (N, O, *out), without bias.

    One batched product (G, O/G, C/G*K) @ (N, G, C/G*K, P): every sample's output
    lands in place, (N, O, P), with no transposes.
    """
    n = x.shape[0]
    o, kernel = w.shape[0], w.shape[2:]
    out_size = _out_size(x.shape[2:], kernel, stride, padding, dilation)
    plan = _plan(x.shape[2:], kernel, stride, padding, dilation, out_size)
    cols = _columns(x, plan, kernel, stride, padding, dilation, out_size)
    p = plan.ext if plan else math.prod(out_size)
    ck = math.prod(w.shape[1:])
    wm, cm = w.reshape(groups, o // groups, ck), cols.reshape(n, groups, ck, p)
    if plan and plan.ext_shape != plan.out:  # the product is cropped: a work array
        out = np.matmul(wm, cm, out=scratch.get("product", (n, groups, o // groups, p),
                                                np.result_type(wm, cm)))
        out = plan.shrink(out.reshape(n, o, p))
    else:
        out = np.matmul(wm, cm).reshape(n, o, *out_size)
    return out


def _columns(x, plan, kernel, stride, padding, dilation, out_size):
    """im2col of x into the work array (the stride-1 flat layout when there is a plan)."""
    if plan:
        return plan.im2col(plan.buffer(x, padding))
    return im2col(_pad_spatial(x, padding), kernel, stride, dilation, out_size, work=True)


def conv_transpose_forward(x, w, stride, padding, dilation, groups, output_padding):
    """x (N, Cin, *L), w (Cin, Cout/G, *K) -> (N, Cout, *out): col2im of w^T @ x."""
    n, cin = x.shape[:2]
    cout_g, kernel = w.shape[1], w.shape[2:]
    in_size = x.shape[2:]
    full = tuple((m - 1) * s + d * (k - 1) + 1 + op for m, s, d, k, op
                 in zip(in_size, stride, dilation, kernel, output_padding))
    ck = cout_g * math.prod(kernel)
    wt = w.reshape(groups, cin // groups, ck).transpose(0, 2, 1)  # (G, Cout/G*K, Cin/G)
    plan = _plan(full, kernel, stride, (0,) * len(full), dilation, in_size)
    if plan:
        xs = plan.extend(x).reshape(n, groups, cin // groups, plan.ext)
        cols = np.matmul(wt, xs, out=scratch.get("columns", (n, groups, ck, plan.ext),
                                                 np.result_type(wt, xs)))
        out = plan.col2im(cols.reshape(n, cout_g * groups, len(plan.offsets), plan.ext))
    else:
        xs = x.reshape(n, groups, cin // groups, math.prod(in_size))
        cols = np.matmul(wt, xs, out=scratch.get("columns", (n, groups, ck, xs.shape[-1]),
                                                 np.result_type(wt, xs)))
        cols = cols.reshape(n, cout_g * groups, *kernel, *in_size)
        out = col2im(cols, full, kernel, stride, dilation, in_size, work=True)
    crop = tuple(slice(p, f - p) for p, f in zip(padding, full))
    return out[(slice(None), slice(None)) + crop].copy()  # never hand out a work array


def conv_weight_grad(x, gout, kernel, stride, padding, dilation, groups):
    """dW (O, C/G, *K) of conv(x, W) for the upstream gradient gout (N, O, *out):
    per sample (G, O/G, P) @ (G, P, C/G*K), summed over the batch."""
    n, c = x.shape[:2]
    o, out_size = gout.shape[1], gout.shape[2:]
    plan = _plan(x.shape[2:], kernel, stride, padding, dilation, out_size)
    # rebuilt rather than kept from the forward: cheaper than a fresh array's page faults
    cols = _columns(x, plan, kernel, stride, padding, dilation, out_size)
    if plan:
        p, gout = plan.ext, plan.extend(gout)
    else:
        p = math.prod(out_size)
    cols = cols.reshape(n, groups, c // groups * math.prod(kernel), p)
    g = gout.reshape(n, groups, o // groups, p)
    # batched per-sample products then a sum: measured 2x faster than one big product,
    # which needs transposed copies of both operands
    ct = cols.transpose(0, 1, 3, 2)
    per_sample = scratch.get("weight", (n, groups, o // groups, ct.shape[-1]),
                             np.result_type(g, ct))
    dw = np.matmul(g, ct, out=per_sample).sum(0)
    return dw.reshape(o, c // groups, *kernel)


# ---------------------------------------------------------------------------------------
# primitives


class Convolution(Primitive):
    """out = conv(x, w) + b, or its transpose: torch's one `convolution` op.

    Shapes: x (N, C, *L); w (O, C/G, *K) (transposed: (C, O/G, *K)); b (O,) or None.
    """

    grad_fn_name = "ConvolutionBackward0"
    save_inputs = (0, 1)

    def forward(self, x, w, b, stride, padding, dilation, groups, transposed, output_padding):
        # gradients often arrive broadcast (stride 0) or transposed: BLAS wants them dense
        x, w = np.ascontiguousarray(x), np.ascontiguousarray(w)
        self.params = (stride, padding, dilation, groups)
        self.transposed, self.output_padding = transposed, output_padding
        if transposed:
            out = conv_transpose_forward(x, w, stride, padding, dilation, groups, output_padding)
        else:
            out = conv_forward(x, w, stride, padding, dilation, groups)
        if b is not None:
            out += b.reshape((1, -1) + (1,) * (out.ndim - 2))
        return out

    def backward(self, grad):
        x, w = self.saved_tensors
        stride, padding, dilation, groups = self.params
        grad_x = grad_w = grad_b = None
        if self.transposed:
            if x._requires_grad:
                grad_x = _convolution(grad, w, None, stride, padding, dilation, groups)
            if w._requires_grad:
                grad_w = ConvolutionWeightGrad.apply(grad, x, kernel=tuple(w.shape[2:]),
                                                     params=self.params)
        else:
            if x._requires_grad:
                grad_x = _input_grad(grad, w, tuple(x.shape[2:]), self.params)
            if w._requires_grad:
                grad_w = ConvolutionWeightGrad.apply(x, grad, kernel=tuple(w.shape[2:]),
                                                     params=self.params)
        if self.next_functions[2][0] is not None:
            grad_b = grad.sum((0,) + tuple(range(2, grad.ndim)))
        return grad_x, grad_w, grad_b


class ConvolutionWeightGrad(Primitive):
    """dW = correlation of the input with the upstream gradient (one GEMM).

    It is bilinear in (x, gout), so its own backward is two convolutions:
    d/dx = conv_transpose(gout, ggW) and d/dgout = conv(x, ggW).
    """

    grad_fn_name = "ConvolutionBackwardBackward0"
    save_inputs = (0, 1)

    def forward(self, x, gout, kernel, params):
        self.params = params
        x, gout = np.ascontiguousarray(x), np.ascontiguousarray(gout)
        return conv_weight_grad(x, gout, kernel, *params)

    def backward(self, ggw):
        x, gout = self.saved_tensors
        stride, padding, dilation, groups = self.params
        gx = _input_grad(gout, ggw, tuple(x.shape[2:]), self.params) if x._requires_grad \
            else None
        ggout = (_convolution(x, ggw, None, stride, padding, dilation, groups)
                 if gout._requires_grad else None)
        return gx, ggout


def _convolution(x, w, b, stride, padding, dilation, groups, transposed=False,
                 output_padding=None):
    if output_padding is None:
        output_padding = (0,) * len(stride)
    return Convolution.apply(x, w, b, stride=stride, padding=padding, dilation=dilation,
                             groups=groups, transposed=transposed, output_padding=output_padding)


def _input_grad(grad, w, in_size, params):
    """The gradient of conv(x, w) in x: a transposed convolution sized back to x."""
    stride, padding, dilation, groups = params
    kernel = tuple(w.shape[2:])
    got = tuple((m - 1) * s - 2 * p + d * (k - 1) + 1 for m, s, p, d, k
                in zip(grad.shape[2:], stride, padding, dilation, kernel))
    output_padding = tuple(want - g for want, g in zip(in_size, got))
    return _convolution(grad, w, None, stride, padding, dilation, groups, True, output_padding)


# ---------------------------------------------------------------------------------------
# argument checks with torch's messages


def _expand(value, n: int, name: str, what="convolution dimensions"):
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                           f"values to match the {what}, but got {name}={list(value)}")
    return value


def _dims(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _scalar_name(dtype) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "bfloat16": "BFloat16"}.get(str(dtype).replace("ember.", ""),
                                                       str(dtype))


def _c_name(dtype) -> str:
    return {"float32": "float", "float64": "double", "float16": "c10::Half",
            "int64": "long int"}.get(str(dtype).replace("ember.", ""), str(dtype))


def _conv(input, weight, bias, stride, padding, dilation, groups, dim, name,
          transposed=False, output_padding=0):
    """Check like torch, handle unbatched input and string padding, then convolve."""
    if input.ndim not in (dim + 1, dim + 2):
        raise RuntimeError(f"Expected {dim + 1}D (unbatched) or {dim + 2}D (batched) input to "
                           f"{name}, but got input of size: {_dims(input.shape)}")
    unbatched = input.ndim == dim + 1
    if unbatched:
        input = input.unsqueeze(0)
    n = weight.ndim - 2
    stride = _expand(stride, n, "stride")
    dilation = _expand(dilation, n, "dilation")
    kernel = tuple(weight.shape[2:])
    pre_pad = None
    if isinstance(padding, str):
        if transposed:
            raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
        if padding == "valid":
            padding = (0,) * n
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            total = [d * (k - 1) for d, k in zip(dilation, kernel)]
            padding = tuple(t // 2 for t in total)
            extra = [t - 2 * (t // 2) for t in total]
            if any(extra):  # an even effective kernel: one more zero on the right
                pre_pad = [v for e in reversed(extra) for v in (0, e)]
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        padding = _expand(padding, n, "padding")
    output_padding = _expand(output_padding, n, "output_padding")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size "
                           f"[{_dims(weight.shape)}] instead")
    channels = weight.shape[0] if transposed else weight.shape[1] * groups
    if input.shape[1] != channels:
        prefix = "transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(f"Given {prefix}, weight of size {_dims(weight.shape)}, expected "
                           f"input{_dims(input.shape)} to have {channels} channels, but got "
                           f"{input.shape[1]} channels instead")
    out_channels = weight.shape[1] * groups if transposed else weight.shape[0]
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(f"Given weight of size {_dims(weight.shape)}, expected bias to be "
                           f"1-dimensional with {out_channels} elements, but got bias of size "
                           f"{_dims(bias.shape)} instead")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(input.dtype)} but found "
                           f"{_scalar_name(weight.dtype)}")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_c_name(input.dtype)}) and bias type "
                           f"({_c_name(bias.dtype)}) should be the same")
    if pre_pad is not None:
        from .padding import pad
        input = pad(input, pre_pad)
    size = tuple(input.shape[2:])
    if transposed:
        bad = [op for op, s, d in zip(output_padding, stride, dilation) if op >= s and op >= d]
        if bad:
            parts = [f"output_padding_{_axis(i, n)}: {output_padding[i]}" for i in range(n)]
            parts += [f"stride_{_axis(i, n)}: {stride[i]}" for i in range(n)]
            parts += [f"dilation_{_axis(i, n)}: {dilation[i]}" for i in range(n)]
            raise RuntimeError("output padding must be smaller than either stride or "
                               "dilation, but got " + " ".join(parts))
        out = tuple((m - 1) * s - 2 * p + d * (k - 1) + 1 + op for m, s, p, d, k, op
                    in zip(size, stride, padding, dilation, kernel, output_padding))
        if any(o <= 0 for o in out):
            raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, size))}). "
                               "Calculated output size per channel: "
                               f"({' x '.join(map(str, out))}). Output size is too small")
    else:
        padded = tuple(m + 2 * p for m, p in zip(size, padding))
        effective = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
        if any(e > m for e, m in zip(effective, padded)):
            raise RuntimeError(f"Calculated padded input size per channel: "
                               f"({' x '.join(map(str, padded))}). Kernel size: "
                               f"({' x '.join(map(str, effective))}). Kernel size can't be "
                               "greater than actual input size")
    out = _convolution(input, weight, bias, stride, padding, dilation, groups, transposed,
                       output_padding)
    return out.squeeze(0) if unbatched else out


def _axis(i: int, n: int) -> str:
    return (("width",), ("height", "width"), ("depth", "height", "width"))[n - 1][i]


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-D cross-correlation. Shapes: input (N, C, L) or (C, L), weight (O, C/groups, K),
    bias (O,) -> (N, O, L_out); padding may be an int, a tuple, 'valid' or 'same'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D cross-correlation. Shapes: input (N, C, H, W) or (C, H, W), weight
    (O, C/groups, kH, kW), bias (O,) -> (N, O, H_out, W_out)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """3-D cross-correlation. Shapes: input (N, C, D, H, W), weight (O, C/groups, kD, kH, kW)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1) -> Tensor:
    """The adjoint of conv1d in its input. Shapes: input (N, Cin, L), weight
    (Cin, Cout/groups, K) -> (N, Cout, (L-1)*stride - 2*padding + dilation*(K-1) + 1 +
    output_padding)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv_transpose1d",
                 True, output_padding)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1) -> Tensor:
    """The adjoint of conv2d in its input. Shapes: input (N, Cin, H, W), weight
    (Cin, Cout/groups, kH, kW) -> (N, Cout, H_out, W_out)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv_transpose2d",
                 True, output_padding)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1) -> Tensor:
    """The adjoint of conv3d in its input (weight (Cin, Cout/groups, kD, kH, kW))."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv_transpose3d",
                 True, output_padding)


# ---------------------------------------------------------------------------------------
# unfold / fold: im2col and col2im as ops of their own


class Im2Col(Primitive):
    """(N, C, H, W) -> (N, C*kH*kW, L): every sliding block as a column."""

    grad_fn_name = "Im2ColBackward0"

    def forward(self, x, kernel, dilation, padding, stride):
        self.args = (kernel, dilation, padding, stride)
        if x.ndim == 3:  # unbatched (C, H, W): same op, no squeeze node (as torch)
            return self.forward(x[None], kernel, dilation, padding, stride)[0]
        self.size = x.shape[2:]
        n, c = x.shape[:2]
        out_size = _out_size(x.shape[2:], kernel, stride, padding, dilation)
        cols = im2col(_pad_spatial(x, padding), kernel, stride, dilation, out_size)
        return cols.reshape(n, c * math.prod(kernel), math.prod(out_size))

    def backward(self, grad):
        kernel, dilation, padding, stride = self.args
        return Col2Im.apply(grad, output_size=self.size, kernel=kernel, dilation=dilation,
                            padding=padding, stride=stride)


class Col2Im(Primitive):
    """(N, C*kH*kW, L) -> (N, C, H, W), summing where blocks overlap."""

    grad_fn_name = "Col2ImBackward0"

    def forward(self, cols, output_size, kernel, dilation, padding, stride):
        self.args = (kernel, dilation, padding, stride)
        if cols.ndim == 2:  # unbatched (C*kH*kW, L)
            return self.forward(cols[None], output_size, kernel, dilation, padding, stride)[0]
        n = cols.shape[0]
        out_size = _out_size(output_size, kernel, stride, padding, dilation)
        c = cols.shape[1] // math.prod(kernel)
        arranged = cols.reshape(n, c, *kernel, *out_size)
        padded = tuple(m + 2 * p for m, p in zip(output_size, padding))
        out = col2im(arranged, padded, kernel, stride, dilation, out_size)
        crop = tuple(slice(p, p + m) for p, m in zip(padding, output_size))
        return np.ascontiguousarray(out[(slice(None), slice(None)) + crop])

    def backward(self, grad):
        kernel, dilation, padding, stride = self.args
        return Im2Col.apply(grad, kernel=kernel, dilation=dilation, padding=padding,
                            stride=stride)


def _fold_args(kernel_size, dilation, padding, stride, what):
    out = []
    for name, value in (("kernel_size", kernel_size), ("dilation", dilation),
                        ("padding", padding), ("stride", stride)):
        value = _expand(value, 2, name, what)
        out.append(value)
    kernel, dilation, padding, stride = out
    for name, value in (("kernel", kernel), ("dilation", dilation), ("stride", stride)):
        if any(v <= 0 for v in value):
            raise RuntimeError(f"{name} should be greater than zero, but got {name}_height: "
                               f"{value[0]} {name}_width: {value[1]}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {padding[0]} "
                           f"pad_width: {padding[1]}")
    return kernel, dilation, padding, stride


def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding blocks: (N, C, H, W) -> (N, C*prod(kernel_size), L) (or unbatched)."""
    kernel, dilation, padding, stride = _fold_args(kernel_size, dilation, padding, stride,
                                                   "convolution dimensions")
    if input.ndim < 3:  # torch reads input.size(2) first
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, "
                         f"{input.ndim - 1}], but got 2)")
    if input.ndim != 4 and input.ndim != 3:
        raise RuntimeError("Input Error: Only 3D or 4D input Tensors are supported (got "
                           f"{input.ndim}D)")
    size = tuple(input.shape[-2:])
    out = _out_size(size, kernel, stride, padding, dilation)
    if any(o < 1 for o in out):
        raise RuntimeError(f"Given input with spatial size ({size[0]}, {size[1]}), "
                           f"kernel_size=({kernel[0]}, {kernel[1]}), dilation=({dilation[0]}, "
                           f"{dilation[1]}), padding=({padding[0]}, {padding[1]}), calculated "
                           f"shape of the array of sliding blocks as ({out[0]}, {out[1]}), but "
                           "its components must be at least one.")
    return Im2Col.apply(input, kernel=kernel, dilation=dilation, padding=padding,
                        stride=stride)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum sliding blocks back into an image:
    (N, C*prod(kernel_size), L) -> (N, C, *output_size)."""
    output_size = _expand(output_size, 2, "output_size")
    kernel, dilation, padding, stride = _fold_args(kernel_size, dilation, padding, stride,
                                                   "convolution dimensions")
    if input.ndim not in (2, 3):
        raise RuntimeError("Input Error: Only unbatched (2D) or batched (3D) input Tensors are "
                           f"supported (got {input.ndim}D)")
    per = math.prod(kernel)
    d = input.ndim - 2  # the channel-block dim
    if input.shape[d] % per:
        raise RuntimeError(f"Expected size of input's dimension {d} to be divisible by the "
                           f"product of kernel_size, but got input.size({d})={input.shape[d]} "
                           f"and kernel_size=({kernel[0]}, {kernel[1]})")
    blocks = _out_size(output_size, kernel, stride, padding, dilation)
    if input.shape[d + 1] != blocks[0] * blocks[1]:
        raise RuntimeError(f"Given output_size=({output_size[0]}, {output_size[1]}), "
                           f"kernel_size=({kernel[0]}, {kernel[1]}), dilation=({dilation[0]}, "
                           f"{dilation[1]}), padding=({padding[0]}, {padding[1]}), stride="
                           f"({stride[0]}, {stride[1]}), expected size of input's dimension "
                           f"{d + 1} "
                           f"to match the calculated number of sliding blocks {blocks[0]} * "
                           f"{blocks[1]} = {blocks[0] * blocks[1]}, but got "
                           f"input.size({d + 1})={input.shape[d + 1]}.")
    return Col2Im.apply(input, output_size=output_size, kernel=kernel, dilation=dilation,
                        padding=padding, stride=stride)
