"""Resampling: F.interpolate / F.upsample (nearest, nearest-exact, linear, bilinear,
trilinear, bicubic, area) and pixel_shuffle / pixel_unshuffle.

Every interpolation mode is separable: along each spatial dim an output position reads
1 (nearest), 2 (linear) or 4 (cubic) input positions with weights. Those "taps" are
computed here exactly as torch's CPU kernels compute them (in float32 for float32
inputs, `floorf` for nearest), and applied by pooling's `Taps` primitive, whose
gradient is the transposed map. 'area' is adaptive average pooling, as in torch.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from .pooling import Taps, adaptive_avg_pool1d, adaptive_avg_pool2d
from .primitive import Primitive

__all__ = [
    'pixel_shuffle',
    'pixel_unshuffle',
]

FUNCTIONAL = (
    'interpolate',
    'pixel_shuffle',
    'pixel_unshuffle',
    'upsample',
    'upsample_bilinear',
    'upsample_nearest',
)

_MODES_1D = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear"}
_KIND = {3: ("nearest", "nearest-exact", "linear"),
         4: ("nearest", "nearest-exact", "bilinear", "bicubic"),
         5: ("nearest", "nearest-exact", "trilinear")}


def _scale_value(scale, size, out, dtype):
    """torch's compute_scales_value: 1/scale_factor when given, else in/out."""
    if scale is not None and scale > 0:
        return dtype(1.0 / scale)
    return dtype(size) / dtype(out)


def _nearest_taps(size, out, scale, exact):
    i = np.arange(out)
    if not exact and out == size:
        idx = i
    elif not exact and out == 2 * size:
        idx = i >> 1
    else:
        s = _scale_value(scale, size, out, np.float32)
        pos = (i.astype(np.float32) + np.float32(0.5)) if exact else i.astype(np.float32)
        idx = np.minimum(np.floor(pos * s).astype(np.int64), size - 1)
    return idx[:, None].astype(np.intp), np.ones((out, 1))


def _area_scale(size, out, align_corners, scale, dtype):
    if align_corners:
        return dtype(size - 1) / dtype(out - 1) if out > 1 else dtype(0)
    return _scale_value(scale, size, out, dtype)


def _source_index(s, i, align_corners, cubic, dtype):
    i = i.astype(dtype)
    if align_corners:
        return s * i
    src = s * (i + dtype(0.5)) - dtype(0.5)
    return src if cubic else np.maximum(src, dtype(0))


def _linear_taps(size, out, scale, align_corners, dtype):
    i = np.arange(out)
    if out == size:
        return i[:, None].astype(np.intp), np.ones((out, 1))
    s = _area_scale(size, out, align_corners, scale, dtype)
    real = _source_index(s, i, align_corners, False, dtype)
    i0 = np.minimum(np.floor(real).astype(np.int64), size - 1)
    lam1 = np.clip(real - i0.astype(dtype), 0, 1).astype(dtype)
    i1 = i0 + (i0 < size - 1)
    idx = np.stack([i0, i1], 1).astype(np.intp)
    return idx, np.stack([dtype(1) - lam1, lam1], 1)


def _cubic_taps(size, out, scale, align_corners, dtype):
    a = dtype(-0.75)
    s = _area_scale(size, out, align_corners, scale, dtype)
    real = _source_index(s, np.arange(out), align_corners, True, dtype)
    base = np.floor(real)
    t = (real - base).astype(dtype)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    one = dtype(1)
    w = np.stack([far(t + one), near(t), near(one - t), far(one - t + one)], 1)
    idx = np.clip(base.astype(np.int64)[:, None] + np.arange(-1, 3), 0, size - 1)
    return idx.astype(np.intp), w


def _output_size(input, size, scale_factor, recompute_scale_factor, mode):
    dim = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size "
                    f"of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format.")
            out = [int(s) for s in size]
        else:
            out = [int(size)] * dim
        scales = [None] * dim
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in (N, "
                    "C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
        out = None
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and out is None:
        recompute_scale_factor = True
    if out is None:
        out = [math.floor(float(input.shape[i + 2]) * scales[i]) for i in range(dim)]
        if recompute_scale_factor:
            scales = [None] * dim
    return out, scales


def _antialias_filter(x, mode: str):
    """The interpolation kernel, evaluated at distances x: triangle or Keys cubic (a=-0.5)."""
    x = np.abs(x)
    if mode == "bilinear":
        return np.maximum(0.0, 1.0 - x)
    a = -0.5
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _antialias_matrix(size: int, out: int, scale, align_corners, mode, dtype):
    """(out, size) weights of torch's antialiased resampling (PIL's algorithm).

    When shrinking (scale > 1) the kernel is stretched by the scale, so every input
    pixel under an output pixel contributes; each row is normalised to sum to 1.
    """
    s = float(_area_scale(size, out, align_corners, scale, np.float64))
    support = (1.0 if mode == "bilinear" else 2.0) * max(s, 1.0)
    stretch = 1.0 / s if s >= 1 else 1.0
    weights = np.zeros((out, size), np.float64)
    for i in range(out):  # one short row of taps per output position
        center = s * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), size)
        w = _antialias_filter((np.arange(lo, hi) - center + 0.5) * stretch, mode)
        total = w.sum()
        weights[i, lo:hi] = w / total if total else w
    return Tensor._make(weights.astype(dtype))


def _antialiased(input, out, scales, mode, align_corners):
    """Antialiased bilinear/bicubic resize of (N, C, H, W): rows and columns are each one
    matrix product with a fixed weight matrix, so autograd differentiates it as such."""
    (h, w), dtype = input.shape[2:], input._data.dtype
    rows = _antialias_matrix(h, out[0], scales[0], align_corners, mode, dtype)
    cols = _antialias_matrix(w, out[1], scales[1], align_corners, mode, dtype)
    return rows @ input @ cols.mT


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False) -> Tensor:
    """Resize the spatial dims of (N, C, *spatial) to `size` or by `scale_factor`.

    Modes: 'nearest' / 'nearest-exact' (1-3 spatial dims), 'linear' (1), 'bilinear' and
    'bicubic' (2), 'trilinear' (3), 'area' (adaptive average pooling). align_corners
    only for the interpolating modes.
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    out, scales = _output_size(input, size, scale_factor, recompute_scale_factor, mode)
    if antialias:
        if not (mode in ("bilinear", "bicubic") and input.ndim == 4):
            raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                             "modes and requires a 4-D tensor as input")
        return _antialiased(input, out, scales, mode, align_corners)
    n = input.ndim
    if mode == "area" and n in (3, 4):
        pool = adaptive_avg_pool1d if n == 3 else adaptive_avg_pool2d
        return pool(input, out if n == 4 else out[0])
    if n in _KIND and mode in _KIND[n]:
        return _resample(input, out, scales, mode, align_corners)
    needs = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
    if mode in needs and n in (3, 4, 5):
        raise NotImplementedError(f"Got {n}D input, but {mode} mode needs {needs[mode]}D input")
    raise NotImplementedError(
        f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {n}D) for the modes: "
        "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact "
        f"(got {mode})")


def _resample(input, out, scales, mode, align_corners):
    dim = input.ndim - 2
    dtype = np.float64 if input.dtype.itemsize == 8 and input.dtype.is_floating_point \
        else np.float32
    for o, m in zip(out, input.shape[2:]):
        if o <= 0 or m <= 0:
            raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                               f"({', '.join(map(str, input.shape[2:]))}) and output "
                               f"({', '.join(map(str, out))})")
    taps = []
    for m, o, s in zip(input.shape[2:], out, scales):
        if mode in ("nearest", "nearest-exact"):
            taps.append(_nearest_taps(m, o, s, mode == "nearest-exact"))
        elif mode == "bicubic":
            taps.append(_cubic_taps(m, o, s, align_corners, dtype))
        else:
            taps.append(_linear_taps(m, o, s, align_corners, dtype))
    kind = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear",
            "bilinear": "Bilinear", "bicubic": "Bicubic", "trilinear": "Trilinear"}[mode]
    return Taps.apply(input, taps=taps, name=f"Upsample{kind}{dim}DBackward0")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------------------------------
# pixel shuffle


def _shuffle(x, r):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    *lead, c, h, w = x.shape
    oc = c // (r * r)
    y = x.reshape(*lead, oc, r, r, h, w)
    nl = len(lead)
    y = y.transpose(*range(nl), nl, nl + 3, nl + 1, nl + 4, nl + 2)
    return np.ascontiguousarray(y).reshape(*lead, oc, h * r, w * r)


def _unshuffle(x, r):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    *lead, c, h, w = x.shape
    oh, ow = h // r, w // r
    y = x.reshape(*lead, c, oh, r, ow, r)
    nl = len(lead)
    y = y.transpose(*range(nl), nl, nl + 2, nl + 4, nl + 1, nl + 3)
    return np.ascontiguousarray(y).reshape(*lead, c * r * r, oh, ow)


class PixelShuffle(Primitive):
    grad_fn_name = "PixelShuffleBackward0"

    def forward(self, x, r):
        self.r = r
        return _shuffle(x, r)

    def backward(self, grad):
        return PixelUnshuffle.apply(grad, r=self.r)


class PixelUnshuffle(Primitive):
    grad_fn_name = "PixelUnshuffleBackward0"

    def forward(self, x, r, keep_empty=False):
        # torch's pixel_unshuffle returns an empty input unchanged (shape included)
        self.r, self.empty = r, keep_empty and x.size == 0
        if self.empty:
            return x.copy()
        return _unshuffle(x, r)

    def backward(self, grad):
        return grad.clone() if self.empty else PixelShuffle.apply(grad, r=self.r)


def pixel_shuffle(input, upscale_factor) -> Tensor:
    """Move channel blocks into space: (*, C*r^2, H, W) -> (*, C, H*r, W*r)."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError("pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    return PixelShuffle.apply(input, r=r)


def pixel_unshuffle(input, downscale_factor) -> Tensor:
    """Move space into channel blocks: (*, C, H*r, W*r) -> (*, C*r^2, H, W)."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError("pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    h, w = input.shape[-2:]
    if h % r:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by downscale_factor, "
                           f"but input.size(-1)={w} is not divisible by {r}")
    return PixelUnshuffle.apply(input, r=r, keep_empty=True)
