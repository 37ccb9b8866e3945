"""Loss functions (torch.nn.functional's losses), with torch's reductions and errors.

Losses that torch computes with a dedicated kernel (mse, smooth_l1, huber, nll,
binary_cross_entropy[_with_logits], soft_margin, multi_margin, multilabel_margin) are
one primitive here, with torch's `grad_fn` name; the ones torch composes from other ops
(l1, kl_div, poisson/gaussian nll, the embedding and ranking losses) are composed the
same way from ember ops, so they record the same graph.

`cross_entropy` with class indices is the hot path of every classifier's training
step, so it is one fused primitive: a numerically stable log-softmax and the
negative log-likelihood in one NumPy pass, and a backward of `softmax - onehot`
(scaled by the weights) without building a log_softmax graph.

Every reduced loss takes `reduction` as 'none' | 'mean' | 'sum' (or torch's enum 0 | 1
| 2, as torch.<name> takes it) and the legacy `size_average` / `reduce` pair.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import dtypes
from ..autograd import grad_mode
from ..tensor import Tensor
from . import elementwise as ew
from .primitive import Primitive, wrap_array

# torch also has kl_div, binary_cross_entropy_with_logits, poisson_nll_loss, the
# embedding/ranking losses and triplet_margin_loss as torch.<name>, but with other
# signatures (an int `reduction`, which in torch 2.13 defaults to no reduction), while a
# name here is one function for both namespaces: so they are nn.functional only.
__all__ = []

# torch.nn.functional names
FUNCTIONAL = (
    'binary_cross_entropy',
    'binary_cross_entropy_with_logits',
    'cosine_embedding_loss',
    'cross_entropy',
    'ctc_loss',
    'gaussian_nll_loss',
    'hinge_embedding_loss',
    'huber_loss',
    'kl_div',
    'l1_loss',
    'margin_ranking_loss',
    'mse_loss',
    'multi_margin_loss',
    'multilabel_margin_loss',
    'multilabel_soft_margin_loss',
    'nll_loss',
    'poisson_nll_loss',
    'smooth_l1_loss',
    'soft_margin_loss',
    'triplet_margin_loss',
    'triplet_margin_with_distance_loss',
)

# ---------------------------------------------------------------------------------------
# reductions (torch.nn._reduction)

NONE, MEAN, SUM = 0, 1, 2


def get_enum(reduction) -> int:
    """'none' | 'mean' | 'sum' as torch's Reduction enum (ints pass through)."""
    if isinstance(reduction, int) and not isinstance(reduction, bool):
        return reduction
    if reduction == "none":
        return NONE
    if reduction == "mean":
        return MEAN
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. "
                      "Please use reduction='mean' instead.", stacklevel=3)
        return MEAN
    if reduction == "sum":
        return SUM
    raise ValueError(f"{reduction} is not a valid value for reduction")


def legacy_get_string(size_average, reduce, emit_warning: bool = True) -> str:
    """The reduction that the deprecated `size_average` / `reduce` flags stand for."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if (size_average and reduce) else ("sum" if reduce else "none")
    if emit_warning:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{ret}' instead.", stacklevel=3)
    return ret


def _reduction(size_average, reduce, reduction) -> int:
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    return get_enum(reduction)


def _apply_reduction(loss: Tensor, reduction: int) -> Tensor:
    if reduction == MEAN:
        return loss.mean()
    if reduction == SUM:
        return loss.sum()
    return loss


def _reduce_array(a: np.ndarray, reduction: int) -> np.ndarray:
    if reduction == MEAN:
        return np.asarray(np.mean(a) if a.size else np.nan, dtype=a.dtype)
    if reduction == SUM:
        return np.asarray(np.sum(a), dtype=a.dtype)
    return a


def _grad_scale(grad: Tensor, reduction: int, numel: int) -> Tensor:
    """The upstream gradient of a reduced loss as a factor for each element's gradient."""
    if reduction == MEAN and numel:
        return grad / numel
    return grad


def _warn_size(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input "
                      f"size ({input.size()}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", stacklevel=4)


def _common(a: np.ndarray, b: np.ndarray, dtype):
    """Two arrays cast to one dtype and broadcast to one shape."""
    a = a.astype(dtype, copy=False)
    b = b.astype(dtype, copy=False)
    if a.shape != b.shape:
        a, b = np.broadcast_arrays(a, b)
    return a, b


def _result_np(*tensors):
    return dtypes.result_type(*tensors).np


def _not_differentiable(fn: str, **tensors) -> None:
    """torch refuses, at the call, a gradient for inputs its derivative formula lacks."""
    if grad_mode._enabled:
        for name, t in tensors.items():
            if t is not None and t.requires_grad:
                raise RuntimeError(f"The function '{fn}' is not differentiable with respect to "
                                   f"argument '{name}'. This input cannot have requires_grad "
                                   "True.")


class _PointwiseLoss(Primitive):
    """A loss of (input, target) element by element, reduced: forward computes the
    per-element loss and its reduction; backward multiplies the per-element derivative
    `d loss / d input` (from `derivative`) by the scaled upstream gradient. The target's
    gradient is the negative of the input's (the loss depends on input - target)."""

    save_inputs = (0, 1)

    def forward(self, x, t, reduction, dtype, **params):
        x, t = _common(x, t, dtype)
        self.reduction, self.numel, self.params = reduction, x.size, params
        return _reduce_array(self.elementwise(x - t, **params), reduction)

    def backward(self, grad):
        x, t = self.saved_tensors
        g = _grad_scale(grad, self.reduction, self.numel)
        d = self.derivative(x - t, **self.params) * g
        return d, -d


class MseLoss(_PointwiseLoss):
    grad_fn_name = "MseLossBackward0"

    def elementwise(self, d):
        return d * d

    def derivative(self, d):
        return 2 * d


class SmoothL1Loss(_PointwiseLoss):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta."""

    grad_fn_name = "SmoothL1LossBackward0"

    def elementwise(self, d, beta):
        z = np.abs(d)
        return np.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta).astype(d.dtype)

    def derivative(self, d, beta):
        return ew.where(d.abs() < beta, d / beta, d.sign())


class HuberLoss(_PointwiseLoss):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""

    grad_fn_name = "HuberLossBackward0"

    def elementwise(self, d, delta):
        z = np.abs(d)
        return np.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta)).astype(d.dtype)

    def derivative(self, d, delta):
        return ew.where(d.abs() <= delta, d, d.sign() * delta)


def _pointwise_args(input, target):
    _warn_size(input, target)
    shape = ew.infer_broadcast_shape(input.shape, target.shape)
    return shape


def _weighted(loss: Tensor, weight, input, reduction: int, mean_of_weighted: bool = False):
    """torch 2.13's optional elementwise `weight` of mse/l1/huber (composite in torch):
    'mean' divides by the weights' sum, except huber's, which takes the plain mean."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == NONE:
        return loss
    if reduction == SUM:
        return loss.sum()
    if reduction == MEAN:
        return loss.mean() if mean_of_weighted else loss.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     "'sum'.")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error: (input - target)^2, reduced."""
    _pointwise_args(input, target)
    red = _reduction(size_average, reduce, reduction)
    if weight is not None:
        return _weighted((input - target) ** 2, weight, input, red)
    return MseLoss.apply(input, target, reduction=red, dtype=_result_np(input, target))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error |input - target| (composite in torch: abs, then the reduction)."""
    _pointwise_args(input, target)
    red = _reduction(size_average, reduce, reduction)
    if weight is not None:
        return _weighted((input - target).abs(), weight, input, red)
    return _apply_reduction((input - target).abs(), red)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Quadratic below `beta`, linear above (beta = 0 is the L1 loss)."""
    _pointwise_args(input, target)
    red = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return _apply_reduction((input - target).abs(), red)
    return SmoothL1Loss.apply(input, target, reduction=red, beta=beta,
                              dtype=_result_np(input, target))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Quadratic below `delta`, delta-scaled linear above (smooth_l1 times delta)."""
    _pointwise_args(input, target)
    red = get_enum(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        return _weighted(HuberLoss.apply(input, target, reduction=NONE, delta=delta,
                                         dtype=_result_np(input, target)), weight,
                         input, red, mean_of_weighted=True)
    return HuberLoss.apply(input, target, reduction=red, delta=delta,
                           dtype=_result_np(input, target))


# ---------------------------------------------------------------------------------------
# negative log-likelihood and cross entropy over a class dimension


class _ClassLayout:
    """An (N, C, d1, ..., dk) problem seen as M = N*d1*...*dk rows of C classes.

    `rows(x)` gives the (M, C) view/copy of an input-shaped array, `back(a)` turns an
    (M, C) array back into the input's layout, `out_shape` is the shape of the
    unreduced loss (the target's shape)."""

    def __init__(self, shape: tuple):
        self.shape = shape
        self.ndim = len(shape)
        self.C = shape[0] if self.ndim == 1 else shape[1]
        if self.ndim <= 2:
            self.out_shape = shape[:1] if self.ndim == 2 else ()
        else:
            self.out_shape = (shape[0],) + shape[2:]
        # torch runs 3-d and >4-d problems through its 4-d kernel (nll_loss2d) and views
        # the unreduced result back: the last node is then a view.
        self.view_none = self.ndim == 3 or self.ndim > 4
        self.grad_fn_name = "NllLoss2DBackward0" if self.ndim > 2 else "NllLossBackward0"

    def rows(self, x: np.ndarray) -> np.ndarray:
        if self.ndim == 2:
            return x
        if self.ndim == 1:
            return x.reshape(1, -1)
        return np.moveaxis(x, 1, -1).reshape(-1, self.C)

    def back(self, a: np.ndarray) -> np.ndarray:
        if self.ndim == 2:
            return a
        if self.ndim == 1:
            return a.reshape(self.C)
        moved = (self.shape[0],) + self.shape[2:] + (self.C,)
        return np.moveaxis(a.reshape(moved), -1, 1)

    def class_vector(self, w: Tensor) -> Tensor:
        """A (C,) tensor shaped to broadcast along the class dim of the input."""
        if self.ndim <= 1:
            return w
        return w.reshape((1, self.C) + (1,) * (self.ndim - 2))


def _check_nll_shapes(input: Tensor, target: Tensor) -> None:
    """torch's nll_loss_nd shape checks, in its order."""
    shape, tshape = tuple(input.shape), tuple(target.shape)
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim != 1 and (not tshape or shape[0] != tshape[0]):
        tb = tshape[0] if tshape else 1
        raise ValueError(f"Expected input batch_size ({shape[0]}) to match target batch_size "
                         f"({tb}).")
    if input.ndim <= 2:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if not (input.ndim == 1 and target.ndim == 0) and shape[0] != (tshape or (1,))[0]:
            raise RuntimeError(f"size mismatch (got input: {list(shape)}, target: "
                               f"{list(tshape)})")
    elif input.ndim == 4:
        if target.ndim != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                               f"targets of dimension: {target.ndim}")
        if tshape != (shape[0],) + shape[2:]:
            raise RuntimeError(f"size mismatch (got input: {list(shape)} , target: "
                               f"{list(tshape)}")
    elif tshape[1:] != shape[2:]:
        raise RuntimeError(f"Expected target size {[shape[0], *shape[2:]]}, got {list(tshape)}")


def _check_target_dtype(target: Tensor) -> None:
    if target._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{_scalar_name(target.dtype)}")


def _check_weight(weight, input: Tensor, C: int, prefix: str = "") -> None:
    if weight is None:
        return
    if weight.ndim != 1 or weight.numel() != C:
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {C} classes "
                           f"or no classes but got weight tensor of shape: {list(weight.shape)}")
    if weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(input.dtype)} but found "
                           f"{_scalar_name(weight.dtype)}")


def _scalar_name(dtype) -> str:
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
             "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
             "uint8": "Byte", "bool": "Bool"}
    return names.get(dtype.name if hasattr(dtype, "name") else str(dtype), str(dtype))


def _class_targets(t: np.ndarray, C: int, ignore_index: int):
    """Flat targets checked against [0, C): (safe targets, ignored mask or None)."""
    t = t.reshape(-1)
    if t.size == 0:
        return t.astype(np.intp), None
    ignored = None
    # seen as unsigned, negative targets are huge: one max() checks both bounds
    if t.dtype == np.int64 and (t.view(np.uint64).max() >= C or 0 <= ignore_index < C):
        ignored = t == ignore_index
        bad = ((t < 0) | (t >= C)) & ~ignored
        if bad.any():
            raise IndexError(f"Target {t[bad][0]} is out of bounds.")
        if not ignored.any():
            ignored = None
        else:
            t = np.where(ignored, 0, t)
    elif t.dtype == np.uint8:
        ignored = t == ignore_index if 0 <= ignore_index < 256 else None
        if (t >= C).any() and (ignored is None or ((t >= C) & ~ignored).any()):
            bad = (t >= C) if ignored is None else ((t >= C) & ~ignored)
            raise IndexError(f"Target {t[bad][0]} is out of bounds.")
        if ignored is not None:
            if ignored.any():
                t = np.where(ignored, 0, t)
            else:
                ignored = None
    return t, ignored


def _row_weights(t: np.ndarray, ignored, w, np_dtype, M: int):
    """Per-row weight w[t] (0 for ignored rows), or None when every row weighs 1."""
    if w is None:
        if ignored is None:
            return None
        return (~ignored).astype(np_dtype)
    wt = w[t]
    if ignored is not None:
        wt = np.where(ignored, 0, wt).astype(np_dtype, copy=False)
    return wt


class _ClassLoss(Primitive):
    """Shared reduction bookkeeping of nll_loss and cross_entropy (class indices)."""

    def _reduce_rows(self, losses: np.ndarray, wt, reduction: int, layout, dtype):
        M = losses.shape[0]
        if reduction == NONE:
            self.total = None
            return losses if layout.view_none else losses.reshape(layout.out_shape)
        total = losses.sum()
        if reduction == SUM:
            self.total = None
            return np.asarray(total, dtype)
        denom = M if wt is None else np.sum(wt)
        self.total = denom
        return np.asarray(total / denom if denom else np.nan, dtype)

    def _row_coef(self, grad: np.ndarray, M: int) -> np.ndarray:
        """The upstream gradient for each row: (M, 1), or a scalar when reduced."""
        if self.reduction == NONE:
            return grad.reshape(M, 1)
        if self.reduction == MEAN:
            return grad / self.total
        return grad


class NllLoss(_ClassLoss):
    """-w[t] * input[n, t], over rows of classes. grad_input: -w[t] at each target."""

    grad_fn_name = "NllLossBackward0"

    def forward(self, x, t, w, reduction, ignore_index):
        layout = self.layout = _ClassLayout(x.shape)
        self.grad_fn_name = layout.grad_fn_name
        x2 = layout.rows(x)
        M = x2.shape[0]
        t, ignored = _class_targets(t, layout.C, ignore_index)
        wt = _row_weights(t, ignored, w, x.dtype, M)
        self.t, self.wt, self.reduction, self.M = t, wt, reduction, M
        picked = x2[np.arange(M), t]
        losses = -picked if wt is None else -(picked * wt)
        return self._reduce_rows(losses.astype(x.dtype, copy=False), wt, reduction, layout,
                                 x.dtype)

    def backward(self, grad):
        # Linear in the upstream gradient: grad times a constant (M, C) pattern of -w[t].
        M, C = self.M, self.layout.C
        if self.reduction == MEAN and not self.total:
            # every row ignored (or weighing 0): torch's kernel touches no row
            return wrap_array(np.zeros(self.layout.shape, grad._data.dtype)), None, None
        pattern = np.zeros((M, C), grad._data.dtype)
        pattern[np.arange(M), self.t] = -1 if self.wt is None else -self.wt
        if self.reduction == NONE:
            g = grad.reshape((M, 1))
        elif self.reduction == MEAN:
            g = grad / self.total
        else:
            g = grad
        if M:
            out = g * wrap_array(pattern)
        else:
            out = wrap_array(pattern)
        if not self.layout.ndim == 2:
            out = _to_layout(out, self.layout)
        return out, None, None


def _to_layout(t: Tensor, layout: _ClassLayout) -> Tensor:
    """An (M, C) tensor (with ember ops, so it stays differentiable) in the input layout."""
    if layout.ndim == 1:
        return t.reshape((layout.C,))
    moved = (layout.shape[0],) + layout.shape[2:] + (layout.C,)
    return t.reshape(moved).permute(0, layout.ndim - 1, *range(1, layout.ndim - 1))


def _to_rows(t: Tensor, layout: _ClassLayout) -> Tensor:
    if layout.ndim == 2:
        return t
    if layout.ndim == 1:
        return t.reshape((1, layout.C))
    perm = (0, *range(2, layout.ndim), 1)
    return t.permute(*perm).reshape((-1, layout.C))


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of log-probabilities `input` (N, C, d1, ...) at class
    indices `target` (N, d1, ...); the mean is weighted by w[target]."""
    red = _reduction(size_average, reduce, reduction)
    _check_nll_shapes(input, target)
    _check_target_dtype(target)
    C = input.shape[0] if input.ndim == 1 else input.shape[1]
    _check_weight(weight, input, C)
    _not_differentiable("nll_loss_forward", weight=weight)
    out = NllLoss.apply(input, target, None if weight is None else weight._data,
                        reduction=red, ignore_index=ignore_index)
    return _view_unreduced(out, input, target, red)


def _view_unreduced(out: Tensor, input: Tensor, target: Tensor, reduction: int) -> Tensor:
    if reduction == NONE and (input.ndim == 3 or input.ndim > 4):
        return out.view(tuple(target.shape))
    return out


_ONES: dict = {}
_ARANGES: dict = {}
_LAYOUTS: dict = {}


def _ones(n: int, dtype) -> np.ndarray:
    """A read-only ones vector (row sums as one matrix-vector product), kept per size."""
    key = (n, dtype)
    v = _ONES.get(key)
    if v is None:
        if len(_ONES) > 64:
            _ONES.clear()
        v = _ONES[key] = np.ones(n, dtype)
        v.flags.writeable = False
    return v


def _arange(n: int) -> np.ndarray:
    """A read-only arange(n) (row numbers for picking one entry per row), kept per n."""
    v = _ARANGES.get(n)
    if v is None:
        if len(_ARANGES) > 64:
            _ARANGES.clear()
        v = _ARANGES[n] = np.arange(n)
        v.flags.writeable = False
    return v


def _layout_2d(shape: tuple) -> _ClassLayout:
    """The (shared, never modified) layout of an (M, C) problem."""
    layout = _LAYOUTS.get(shape)
    if layout is None:
        if len(_LAYOUTS) > 64:
            _LAYOUTS.clear()
        layout = _LAYOUTS[shape] = _ClassLayout(shape)
    return layout


def _row_max(x2: np.ndarray) -> np.ndarray:
    """The max of each row of (M, C). NumPy reduces a short last axis slowly (52 us for
    512 x 10 float32, 490 us for 4096 x 10); for few classes, C - 1 vectorised maximums
    over the columns are 8-20x faster (7 us, 27 us)."""
    M, C = x2.shape
    if C > 16 or M < 64:
        return x2.max(axis=1)
    m = x2[:, 0].copy()
    for c in range(1, C):
        np.maximum(m, x2[:, c], out=m)
    return m


class CrossEntropy(_ClassLoss):
    """log_softmax + nll in one pass, for class indices (optionally label-smoothed) and
    for class probabilities.

    With per-row class coefficients a (a = w[t] onehot(t), blended with eps/C * w when
    label-smoothing; a = target * w for probabilities), the loss of a row is
    -sum_c a_c log p_c, and its gradient is p * sum(a) - a: softmax minus the
    (weighted) one-hot, with no log_softmax graph in between.

    The output is the node torch's composite ends in, so `grad_fn` has torch's name:
    NllLossBackward0, AddBackward0 when label-smoothing, NegBackward0 / DivBackward1 for
    class probabilities.
    """

    grad_fn_name = "NllLossBackward0"
    save_inputs = (0, 1, 2)

    def forward(self, x, t, w, reduction, ignore_index, label_smoothing, probs):
        if (x.ndim == 2 and w is None and not label_smoothing and not probs
                and t.dtype == np.int64 and x.shape[0] and x.dtype.kind == "f"):
            out = self._forward_plain(x, t, reduction, ignore_index)
            if out is not None:
                return out
        layout = self.layout = _ClassLayout(x.shape)
        self.grad_fn_name = layout.grad_fn_name
        self.reduction, self.eps, self.probs = reduction, label_smoothing, probs
        x2 = layout.rows(x)
        M, C = x2.shape
        self.M = M
        # numerically stable log-softmax: shift by the row max first
        s = x2 - _row_max(x2)[:, None] if x2.size else x2.copy()
        e = np.exp(s)
        se = e @ np.ones(C, e.dtype) if e.dtype.kind == "f" and e.size else e.sum(axis=1)
        lse = np.log(se)
        self.s, self.e, self.se, self.lse = s, e, se, lse
        dtype = self.dtype = x.dtype
        if probs:
            return self._forward_probs(t, w, layout, reduction, dtype)
        t, ignored = _class_targets(t, C, ignore_index)
        wt = _row_weights(t, ignored, w, dtype, M)
        self.t, self.wt, self.ignored, self.w = t, wt, ignored, w
        ar = np.arange(M)
        nll = lse - s[ar, t]
        if wt is not None:
            nll = nll * wt
        if label_smoothing > 0:
            self.grad_fn_name = "AddBackward0"  # torch blends two losses last
            layout.view_none = False
            # -sum_c w_c log p_c = sum_c w_c (lse - s_c)
            if w is None:
                smooth = C * lse - s.sum(axis=1)
            else:
                smooth = lse * w.sum() - s @ w
            if ignored is not None:
                smooth = np.where(ignored, 0, smooth)
            nll = (1 - label_smoothing) * nll + (label_smoothing / C) * smooth
        return self._reduce_rows(nll.astype(dtype, copy=False), wt, reduction, layout, dtype)

    def _forward_plain(self, x, t, reduction, ignore_index):
        """The classifier's case, (M, C) logits and int64 class indices, no weight, no
        smoothing, no ignored row: the same arithmetic as the general path with fewer
        NumPy calls (cached ones and aranges, no per-call layout or weight bookkeeping).
        Returns None when a target is out of [0, C) or may equal ignore_index, for the
        general path to check and mask."""
        M, C = x.shape
        if t.view(np.uint64).max() >= C or 0 <= ignore_index < C:
            return None
        self.layout = _layout_2d(x.shape)
        self.reduction, self.eps, self.probs, self.M = reduction, 0.0, False, M
        self.wt = self.ignored = self.w = None
        self.t = t
        ones = _ones(C, x.dtype)
        s = e = se = None
        if x.dtype.itemsize >= 4:
            # Shift by the largest logit of all (1 us) instead of each row's (2.5-30 us
            # on few classes). The same softmax as long as no row underflows: every row
            # sum >= 1e-17 keeps the terms that matter normal numbers; otherwise (rows far
            # below the others, inf, nan) shift row by row as below.
            s = x - x.max()
            e = np.exp(s)
            se = e @ ones
            if not se.min() >= 1e-17:
                s = None
        if s is None:
            s = x - _row_max(x)[:, None]
            e = np.exp(s)
            se = e @ ones
        lse = np.log(se)
        self.s, self.e, self.se, self.lse = s, e, se, lse
        self.dtype = x.dtype
        nll = lse - s[_arange(M), t]
        if reduction == NONE:
            self.total = None
            return nll
        total = nll.sum()
        if reduction == SUM:
            self.total = None
            return np.asarray(total, x.dtype)
        self.total = M
        return np.asarray(total / M, x.dtype)

    def _forward_probs(self, t, w, layout, reduction, dtype):
        C = layout.C
        self.grad_fn_name = "DivBackward1" if reduction == MEAN else "NegBackward0"
        t2 = layout.rows(t)
        if self.eps > 0:
            t2 = t2 * (1 - self.eps) + self.eps / C
        a = t2 if w is None else t2 * w
        self.a = a
        dtype = a.dtype
        logp = (self.s - self.lse[:, None]).astype(dtype, copy=False)
        if reduction == NONE:
            return -(logp * a).sum(axis=1).reshape(layout.out_shape)
        total = -(logp * a).sum()
        if reduction == SUM:
            return np.asarray(total, dtype)
        self.total = self.M
        return np.asarray(total / self.M if self.M else np.nan, dtype)

    def _coefficients(self, dtype) -> np.ndarray:
        """The (M, C) class coefficients a of each row (see the class docstring)."""
        if self.probs:
            return self.a
        M, C = self.s.shape
        if self.eps > 0:
            base = np.ones(C, dtype) if self.w is None else self.w
            a = np.broadcast_to(base * (self.eps / C), (M, C)).copy()
            if self.ignored is not None:
                a[self.ignored] = 0
            a[np.arange(M), self.t] += (1 - self.eps) * (1 if self.wt is None else self.wt)
            return a
        a = np.zeros((M, C), dtype)
        a[np.arange(M), self.t] = 1 if self.wt is None else self.wt
        return a

    def backward(self, grad):
        layout, M = self.layout, self.M
        need_x = self.next_functions[0][0] is not None
        need_t = self.probs and self.next_functions[1][0] is not None
        need_w = self.probs and self.next_functions[2][0] is not None
        if self.reduction == MEAN and not self.total and not self.probs:
            # every row ignored (or weighing 0): torch's kernel touches no row
            return wrap_array(np.zeros(layout.shape, self.dtype)), None, None
        if grad_mode._enabled:  # create_graph: the same formulas with ember ops
            x, target, weight = self.saved_tensors
            return self._backward_graph(grad, x, target, weight, need_x, need_t, need_w)
        # The fast path reads only arrays kept by forward (torch's kernel, too, depends
        # on its saved log-softmax, not on the logits tensor).
        g = self._row_coef(grad._data, M)
        gx = gt = gw = None
        if need_x:
            if self.probs or self.eps > 0:
                p = self.e / self.se[:, None]
                a = self._coefficients(p.dtype)
                gx = p * a.sum(axis=1, keepdims=True) - a
                gx *= g
            else:
                # softmax * c - onehot * c with c the row's upstream gradient times its
                # weight: torch's nll backward (-c at the target) through log_softmax's
                # backward (gI - exp(logp) * sum(gI)), with softmax = e / se
                c = g if self.wt is None else g * self.wt.reshape(M, 1)
                c = np.reshape(c, (M, 1)) if np.ndim(c) else c
                gx = self.e * (c / self.se[:, None])
                gx[_arange(M), self.t] -= c if np.ndim(c) == 0 else c[:, 0]
            gx = wrap_array(layout.back(gx.astype(self.dtype, copy=False)))
        if need_t or need_w:
            _, target, weight = self.saved_tensors
            logp = self.s - self.lse[:, None]
            scale = (1 - self.eps) if self.eps > 0 else 1
            if need_t:
                wv = 1 if weight is None else weight._data
                gt = wrap_array(layout.back((-logp * wv * scale * g).astype(
                    target._data.dtype, copy=False)))
            if need_w:
                t2 = layout.rows(target._data)
                if self.eps > 0:
                    t2 = t2 * (1 - self.eps) + self.eps / layout.C
                gw = wrap_array(np.sum(-logp * t2 * g, axis=0).astype(weight._data.dtype))
        return gx, gt, gw

    def _backward_graph(self, grad, x, target, weight, need_x, need_t, need_w):
        layout, M = self.layout, self.M
        if self.reduction == NONE:
            g = grad.reshape((M, 1))
        elif self.reduction == MEAN:
            g = grad / self.total
        else:
            g = grad
        xr = _to_rows(x, layout)
        logp = xr.log_softmax(1)
        gx = gt = gw = None
        if self.probs:
            tr = _to_rows(target, layout)
            if self.eps > 0:
                tr = tr * (1 - self.eps) + self.eps / layout.C
            a = tr if weight is None else tr * weight
        else:
            a = wrap_array(self._coefficients(x._data.dtype))
        if need_x:
            gx = _to_layout((logp.exp() * a.sum(1, keepdim=True) - a) * g, layout)
        if need_t:
            scale = (1 - self.eps) if self.eps > 0 else 1
            wv = 1 if weight is None else weight
            gt = _to_layout(-logp * wv * scale * g, layout)
        if need_w:
            tr = _to_rows(target, layout)
            if self.eps > 0:
                tr = tr * (1 - self.eps) + self.eps / layout.C
            gw = (-logp * tr * g).sum(0)
        return gx, gt, gw


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Cross entropy of logits `input` (C), (N, C) or (N, C, d1, ...) with class indices
    (N, d1, ...) or class probabilities (same shape as input) as `target`."""
    red = _reduction(size_average, reduce, reduction)
    xa, ta = input._data, target._data
    if (xa.ndim == 2 and ta.ndim == 1 and ta.dtype == np.int64 and weight is None
            and xa.shape[0] == ta.shape[0] and xa.dtype.kind == "f" and label_smoothing == 0):
        # the common classifier case, every check below known to pass
        return CrossEntropy.apply(input, target, None, reduction=red, ignore_index=ignore_index,
                                  label_smoothing=0.0, probs=False)
    if input.shape == target.shape:
        # class probabilities
        if not target.dtype.is_floating_point:
            raise RuntimeError("Expected floating point type for target with class "
                               f"probabilities, got {_scalar_name(target.dtype)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if input.ndim == 0:
            raise IndexError("Dimension specified as 1 but tensor has no dimensions")
        C = input.shape[0] if input.ndim == 1 else input.shape[1]
        _check_weight(weight, input, C, prefix="cross_entropy: ")
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                               f"{label_smoothing}")
        _check_float(input)
        # torch takes log_softmax in the input's dtype, then promotes with the target
        common = dtypes.result_type(input, target)
        if weight is not None:
            common = dtypes.promote_types(common, weight.dtype)
        target = target.to(common)
        weight = None if weight is None else weight.to(common)
        return CrossEntropy.apply(input, target, weight, reduction=red, ignore_index=ignore_index,
                                  label_smoothing=label_smoothing, probs=True)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim == 0:  # torch's log_softmax over dim 1
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    _check_float(input)
    _check_nll_shapes(input, target)
    _check_target_dtype(target)
    C = input.shape[0] if input.ndim == 1 else input.shape[1]
    _check_weight(weight, input, C)
    _not_differentiable("nll_loss_forward", weight=weight)
    out = CrossEntropy.apply(input, target, None if weight is None else weight._data,
                             reduction=red, ignore_index=ignore_index,
                             label_smoothing=label_smoothing, probs=False)
    if label_smoothing > 0:
        return out
    return _view_unreduced(out, input, target, red)


def _check_float(input: Tensor) -> None:
    if not input.dtype.is_floating_point:
        lastdim = "_lastdim" if input.ndim <= 2 else ""
        raise NotImplementedError(f'"log_softmax{lastdim}_kernel_impl" not implemented for '
                                  f"'{_scalar_name(input.dtype)}'")


# ---------------------------------------------------------------------------------------
# binary cross entropy


class BinaryCrossEntropy(Primitive):
    """-w (t log x + (1 - t) log(1 - x)), each log clamped at -100 as in torch."""

    grad_fn_name = "BinaryCrossEntropyBackward0"
    save_inputs = (0, 1, 2)

    def forward(self, x, t, w, reduction):
        self.reduction, self.numel = reduction, x.size
        if x.size and ((x < 0).any() or (x > 1).any()):
            raise RuntimeError("all elements of input should be between 0 and 1")
        loss = (t - 1) * np.maximum(np.log1p(-x), -100) - t * np.maximum(np.log(x), -100)
        if w is not None:
            loss = loss * w
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    def backward(self, grad):
        x, t, w = self.saved_tensors
        g = _grad_scale(grad, self.reduction, self.numel)
        if w is not None:
            g = g * w
        gx = gt = None
        if self.next_functions[0][0] is not None:
            gx = g * (x - t) / ew.clamp_min((1 - x) * x, 1e-12)
        if self.next_functions[1][0] is not None:
            gt = g * ((1 - x).log() - x.log())
        return gx, gt, None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Binary cross entropy of probabilities `input` against `target` in [0, 1]."""
    red = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input "
                         f"size ({input.size()}) is deprecated. Please ensure they have the same "
                         "size.")
    if target.dtype != input.dtype:
        raise RuntimeError(f"Found dtype {_scalar_name(target.dtype)} but expected "
                           f"{_scalar_name(input.dtype)}")
    _not_differentiable("binary_cross_entropy", weight=weight)
    if weight is not None:
        weight = weight.expand(ew.infer_broadcast_shape(target.shape, weight.shape))
    return BinaryCrossEntropy.apply(input, target, weight, reduction=red)


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), with no overflow."""
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


class BinaryCrossEntropyWithLogits(Primitive):
    """(1 - t) x - (1 + (pos_weight - 1) t) log(sigmoid(x)), times weight: BCE on logits
    without computing sigmoid(x) first (stable for large |x|)."""

    grad_fn_name = "BinaryCrossEntropyWithLogitsBackward0"
    save_inputs = (0, 1, 2, 3)

    def forward(self, x, t, w, pw, reduction):
        dtype = np.result_type(x, t)
        # log_sigmoid in the input's dtype first, as torch does, then promoted
        ls = _log_sigmoid(x).astype(dtype, copy=False)
        x, t = x.astype(dtype, copy=False), t.astype(dtype, copy=False)
        if pw is not None:
            loss = (1 - t) * x - (1 + (pw - 1) * t) * ls
        else:
            loss = (1 - t) * x - ls
        if w is not None:
            loss = loss * w
        self.reduction, self.numel = reduction, loss.size
        return _reduce_array(loss.astype(dtype, copy=False), reduction)

    def backward(self, grad):
        x, t, w, pw = self.saved_tensors
        g = _grad_scale(grad, self.reduction, self.numel)
        if w is not None:
            g = g * w
        gx = gt = None
        if self.next_functions[0][0] is not None:
            if pw is None:
                gx = (x.sigmoid() - t) * g
            else:
                pt = pw * t
                gx = ((pt + 1 - t) * x.sigmoid() - pt) * g
        if self.next_functions[1][0] is not None:
            if pw is None:
                gt = -x * g
            else:
                # log(1 - sigmoid(x)) - pos_weight * log(sigmoid(x)), stably
                gt = (_LogSigmoid.apply(-x) - pw * _LogSigmoid.apply(x)) * g
        return gx, gt, None, None


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """Sigmoid + binary cross entropy in one stable formula; `pos_weight` weighs positives."""
    red = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    _not_differentiable("binary_cross_entropy_with_logits", weight=weight,
                        pos_weight=pos_weight)
    return BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction=red)


# ---------------------------------------------------------------------------------------
# composite losses (composed in torch too, so the graph matches op for op)


class _Xlogy(Primitive):
    """x * log(y), 0 where x == 0 (torch.xlogy)."""

    grad_fn_name = "XlogyBackward0"
    save_inputs = (0, 1)

    def forward(self, x, y):
        with np.errstate(all="ignore"):
            out = x * np.log(y)
        return np.where((x == 0) & ~np.isnan(y), 0, out).astype(out.dtype, copy=False)

    def backward(self, grad):
        x, y = self.saved_tensors
        gx = gy = None
        if self.next_functions[0][0] is not None:
            gx = grad * ew.where(x != 0, y.log(), 0.0)
        if self.next_functions[1][0] is not None:
            gy = grad * x / y
        return gx, gy


def kl_div(input, target, size_average=None, reduce=None, reduction="mean",
           log_target=False):
    """KL(target || exp(input)) pointwise: target (log target - input); 'batchmean'
    divides the sum by the batch size (the mathematical KL divergence)."""
    if size_average is not None or reduce is not None:
        red = get_enum(legacy_get_string(size_average, reduce))
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support "
                "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
                "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
                "major release.", stacklevel=2)
        red = SUM if reduction == "batchmean" else get_enum(reduction)
    if log_target:
        out = target.exp() * (target - input)
    else:
        out = _Xlogy.apply(target, target) - target * input
    out = _apply_reduction(out, red)
    if reduction == "batchmean" and input.ndim != 0:
        out = out / input.shape[0]
    return out


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Negative log-likelihood of `target` under Poisson(input) (or Poisson(exp(input)))."""
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    red = get_enum(reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        two_pi = 2 * math.pi
        stirling = _Xlogy.apply(target, target) - target + 0.5 * (two_pi * target).log()
        stirling = ew.where(target <= 1, 0.0, stirling)
        loss = loss + stirling
    return _apply_reduction(loss, red)


class _ClampMinNoGrad(Primitive):
    """`x.clamp_(min)` done under no_grad on a clone: the value is clamped, the gradient
    passes through unchanged (torch's gaussian_nll_loss / cosine_similarity idiom)."""

    grad_fn_name = "CloneBackward0"

    def forward(self, x, min):
        return np.maximum(x, np.asarray(min, x.dtype))

    def backward(self, grad):
        return grad


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log var + (input - target)^2 / var), var clamped at eps (gradient unclamped)."""
    from ..creation import ones_like

    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif (var < 0).any():
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and sum(
                y for x, y in zip(input.shape, var.shape) if x != y) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = _ClampMinNoGrad.apply(var, min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, get_enum(reduction))


def _zeros_like(t: Tensor) -> Tensor:
    return wrap_array(np.zeros(t.shape, t._data.dtype))


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where target is 1, max(0, cos - margin) where target is -1."""
    red = _reduction(size_average, reduce, reduction)
    tdim = target.ndim
    if tdim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if tdim == 1:
        if not (input1.ndim == 2 and input2.ndim == 2):
            raise RuntimeError("1D target tensor expects 2D input tensors, but found inputs with "
                               f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    elif not (input1.ndim == 1 and input2.ndim == 1):
        raise RuntimeError("0D target tensor expects 1D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    eps = 1e-12
    prod_sum = (input1 * input2).sum(tdim)
    mag1 = (input1 * input1).sum(tdim) + eps
    mag2 = (input2 * input2).sum(tdim) + eps
    cos = prod_sum / (mag1 * mag2).sqrt()
    zeros = _zeros_like(cos)
    pos = 1 - cos
    neg = (cos - margin).clamp_min(0)
    out = ew.where(target == 1, pos, zeros) + ew.where(target == -1, neg, zeros)
    return _apply_reduction(out, red)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -target (input1 - input2) + margin)."""
    red = _reduction(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    return _apply_reduction((-target * (input1 - input2) + margin).clamp_min(0), red)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """input where target is 1, max(0, margin - input) where target is -1."""
    red = _reduction(size_average, reduce, reduction)
    zeros = _zeros_like(input)
    margin_clamp = (margin - input).clamp_min(0)
    out = ew.where(target != 1, margin_clamp, zeros) + ew.where(target != -1, input, zeros)
    return _apply_reduction(out, red)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)), d the p-norm distance."""
    from .distance import pairwise_distance

    red = _reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ew.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _apply_reduction((margin + d_pos - d_neg).clamp_min(0), red)


def _check_triplet_dims(anchor, positive, negative) -> None:
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not (a == p and p == n):
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {a}D, positive {p}D, and negative {n}D inputs")


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """The triplet margin loss with any distance function (pairwise_distance by default)."""
    from .distance import pairwise_distance

    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = ew.minimum(d_neg, dist(positive, negative))
    loss = (margin + d_pos - d_neg).clamp_min(0)
    return _apply_reduction(loss, get_enum(reduction))


class _LogSigmoid(Primitive):
    """log(sigmoid(x)), stable; grad = sigmoid(-x)."""

    grad_fn_name = "LogSigmoidBackward0"
    save_inputs = (0,)

    def forward(self, x):
        return _log_sigmoid(x).astype(x.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * (-x).sigmoid()


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """One-vs-all logistic loss, averaged over the C classes of each sample."""
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    loss = -(target * _LogSigmoid.apply(input) + (1 - target) * _LogSigmoid.apply(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    C = input.shape[class_dim]
    loss = loss.sum(class_dim) / C
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


class SoftMarginLoss(Primitive):
    """log(1 + exp(-target * input)). grad_input = -target sigmoid(-target input)."""

    grad_fn_name = "SoftMarginLossBackward0"
    save_inputs = (0, 1)

    def forward(self, x, t, reduction):
        x, t = _common(x, t, np.result_type(x, t))
        self.reduction, self.numel = reduction, x.size
        return _reduce_array(-_log_sigmoid(t * x).astype(x.dtype, copy=False), reduction)

    def backward(self, grad):
        x, t = self.saved_tensors
        g = _grad_scale(grad, self.reduction, self.numel)
        gx = gt = None
        if self.next_functions[0][0] is not None:
            gx = -t * (-t * x).sigmoid() * g
        if self.next_functions[1][0] is not None:
            gt = -x * (-t * x).sigmoid() * g
        return gx, gt


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Two-class logistic loss log(1 + exp(-y x)) for targets y in {1, -1}."""
    red = _reduction(size_average, reduce, reduction)
    _not_differentiable("soft_margin_loss", target=target)
    return SoftMarginLoss.apply(input, target, reduction=red)


def _margin_rows(x_shape, t_shape, what: str):
    """(N, C) rows of a multi-margin problem; torch's shape errors."""
    ndim = len(x_shape)
    if not ((ndim == 2 and x_shape[1] != 0) or (ndim == 1 and x_shape[0] != 0) or ndim == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(x_shape)}")
    N = 1 if ndim < 2 else x_shape[0]
    C = 1 if ndim == 0 else x_shape[-1]
    return N, C


class MultiMarginLoss(Primitive):
    """sum over i != y of max(0, margin - x[y] + x[i])^p * w[y], divided by C."""

    grad_fn_name = "MultiMarginLossBackward0"
    save_inputs = (0,)

    def forward(self, x, t, w, p, margin, reduction):
        N, C = _margin_rows(x.shape, t.shape, "multi_margin")
        self.shape, self.reduction, self.p, self.N = x.shape, reduction, p, N
        x2 = x.reshape(N, C)
        t = t.reshape(-1)
        bad = (t < 0) | (t >= C)
        if bad.any():
            raise RuntimeError("target out of range")
        ar = np.arange(N)
        z = margin - x2[ar, t][:, None] + x2
        z[ar, t] = 0
        active = z > 0
        zp = np.where(active, z if p == 1 else z * z, 0)
        wy = None if w is None else w[t][:, None]
        if wy is not None:
            zp = zp * wy
        losses = (zp.sum(axis=1) / C).astype(x.dtype, copy=False)
        # d loss_n / d x_i = p z^(p-1) w_y / C on active i, minus their sum at y
        d = np.where(active, 1.0 if p == 1 else 2 * z, 0).astype(x.dtype)
        if wy is not None:
            d = d * wy
        d[ar, t] = -d.sum(axis=1)
        self.d = d / C
        if reduction == NONE:
            return losses.reshape(x.shape[:-1] if x.ndim else ())
        return _reduce_array(losses, reduction)

    def backward(self, grad):
        N = self.N
        if self.reduction == NONE:
            g = grad.reshape((N, 1))
        else:
            g = _grad_scale(grad, self.reduction, N)
        return (g * wrap_array(self.d)).reshape(self.shape), None, None


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss over the classes other than the target."""
    red = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    N, C = _margin_rows(tuple(input.shape), tuple(target.shape), "multi_margin")
    if not ((target.ndim <= 1) and target.numel() == N):
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{N}], but got "
            f"{list(target.shape)}. Input has shape {list(input.shape)}.")
    if weight is not None and weight.numel() != C:
        raise RuntimeError(f"inconsistent weight size, expected {C} but got "
                           f"{list(weight.shape)}")
    return MultiMarginLoss.apply(input, target, None if weight is None else weight._data, p=p,
                                 margin=margin, reduction=red)


class MultilabelMarginLoss(Primitive):
    """sum over target classes j and non-target classes i of max(0, 1 - (x[j] - x[i])) / C;
    a row's targets are its leading non-negative entries (ended by the first -1)."""

    grad_fn_name = "MultilabelMarginLossBackward0"

    def forward(self, x, t, reduction):
        shape = x.shape
        N = 1 if x.ndim < 2 else shape[0]
        C = 1 if x.ndim == 0 else shape[-1]
        x2 = x.reshape(N, C)
        t2 = t.reshape(N, C)
        losses = np.zeros(N, x.dtype)
        d = np.zeros((N, C), x.dtype)
        for n in range(N):
            labels = []
            for j in t2[n]:
                if j < 0:
                    break
                if j >= C:
                    raise RuntimeError("argument #2 'target' is out of range")
                labels.append(int(j))
            is_target = np.zeros(C, bool)
            is_target[labels] = True
            others = ~is_target
            for j in labels:
                z = 1 - (x2[n, j] - x2[n])
                act = (z > 0) & others
                losses[n] += z[act].sum()
                d[n, act] += 1
                d[n, j] -= act.sum()
        losses /= C
        self.d = d / C
        self.shape, self.reduction, self.N = shape, reduction, N
        if reduction == NONE:
            return losses.reshape(shape[:-1] if x.ndim else ())
        return _reduce_array(losses, reduction)

    def backward(self, grad):
        if self.reduction == NONE:
            g = grad.reshape((self.N, 1))
        else:
            g = _grad_scale(grad, self.reduction, self.N)
        return (g * wrap_array(self.d)).reshape(self.shape), None


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-class multi-label hinge loss (targets: class indices padded with -1)."""
    red = _reduction(size_average, reduce, reduction)
    x_shape = tuple(input.shape)
    if not ((input.ndim == 2 and x_shape[1] != 0) or (input.ndim == 1 and x_shape[0] != 0)
            or input.ndim == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(x_shape)}")
    if tuple(target.shape) != x_shape:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(x_shape)}")
    return MultilabelMarginLoss.apply(input, target, reduction=red)


# ---------------------------------------------------------------------------------------
# connectionist temporal classification


def _logsumexp3(a, b, c):
    """log(exp(a) + exp(b) + exp(c)) elementwise, -inf where all three are -inf."""
    m = np.maximum(np.maximum(a, b), c)
    m = np.where(np.isneginf(m), 0, m)
    return np.log(np.exp(a - m) + np.exp(b - m) + np.exp(c - m)) + m


class CtcLoss(Primitive):
    """-log p(target | log_probs) summed over all CTC alignments (Graves et al. 2006),
    by the alpha (forward) and beta (backward) recursions in log space, all samples
    at once over the extended labels l' = (blank, l1, blank, l2, ..., blank).

    log_probs (T, N, C); targets as (N, S) padded or concatenated 1-D; output (N,).
    The gradient is torch's: exp(log_probs) - (alpha beta / p) / exp(log_probs), which is
    the gradient w.r.t. the logits once it passes a log_softmax (the exp(log_probs)
    term sums to the upstream gradient and log_softmax's backward removes it)."""

    grad_fn_name = "CtcLossBackward0"

    def forward(self, lp, targets, offsets, input_lengths, target_lengths, blank,
                zero_infinity):
        T, N, C = lp.shape
        S = int(target_lengths.max()) if N else 0
        L = 2 * S + 1
        # extended labels per sample: blank at even positions, targets at odd ones
        labels = np.zeros((N, S), np.int64)
        for n in range(N):
            tl = target_lengths[n]
            labels[n, :tl] = targets[offsets[n]:offsets[n] + tl] if targets.ndim == 1 \
                else targets[n, :tl]
        ext = np.full((N, L), blank, np.int64)
        ext[:, 1::2] = labels
        s_idx = np.arange(L)
        valid = s_idx[None, :] <= 2 * target_lengths[:, None]           # (N, L)
        # a skip s-2 -> s is allowed onto a label different from the one two back
        skip = np.zeros((N, L), bool)
        skip[:, 2:] = ext[:, 2:] != ext[:, :-2]
        work = np.float64
        lpw = lp.astype(work)
        rows = np.arange(N)[:, None]
        lp_ext = lpw[:, rows, ext]                                       # (T, N, L)
        ninf = -np.inf
        alpha = np.full((T, N, L), ninf, work)
        if T:
            alpha[0, :, 0] = lp_ext[0, :, 0]
            has = target_lengths > 0
            alpha[0, has, 1] = lp_ext[0, has, 1]
        for t in range(1, T):
            prev = alpha[t - 1]
            a2 = np.concatenate([np.full((N, 1), ninf), prev[:, :-1]], axis=1)
            a3 = np.concatenate([np.full((N, 2), ninf), prev[:, :-2]], axis=1)
            a3 = np.where(skip, a3, ninf)
            alpha[t] = np.where(valid, _logsumexp3(prev, a2, a3) + lp_ext[t], ninf)
        last = np.maximum(input_lengths - 1, 0)
        end = alpha[last, np.arange(N)] if T else np.full((N, L), ninf)  # (N, L)
        l1 = end[np.arange(N), 2 * target_lengths]
        l2 = np.where(target_lengths > 0,
                      end[np.arange(N), np.maximum(2 * target_lengths - 1, 0)], ninf)
        m = np.maximum(l1, l2)
        m = np.where(np.isneginf(m), 0, m)
        nll = -(np.log(np.exp(l1 - m) + np.exp(l2 - m)) + m)
        self.saved = (lpw, lp_ext, alpha, ext, valid, skip, nll, input_lengths,
                      target_lengths, zero_infinity, lp.dtype, C)
        return nll.astype(lp.dtype)

    def backward(self, grad):
        (lpw, lp_ext, alpha, ext, valid, skip, nll, input_lengths, target_lengths,
         zero_infinity, dtype, C) = self.saved
        T, N, L = alpha.shape
        ninf = -np.inf
        beta = np.full((T, N, L), ninf)
        n_idx = np.arange(N)
        skip_up = np.zeros((N, L), bool)     # s + 2 -> s allowed
        skip_up[:, :-2] = skip[:, 2:]
        for t in range(T - 1, -1, -1):
            starts = input_lengths - 1 == t
            if t < T - 1:
                nxt = beta[t + 1]
                b2 = np.concatenate([nxt[:, 1:], np.full((N, 1), ninf)], axis=1)
                b3 = np.concatenate([nxt[:, 2:], np.full((N, 2), ninf)], axis=1)
                b3 = np.where(skip_up, b3, ninf)
                beta[t] = np.where(valid, _logsumexp3(nxt, b2, b3) + lp_ext[t], ninf)
            if starts.any():
                init = np.full((N, L), ninf)
                end = 2 * target_lengths
                init[n_idx, end] = lp_ext[t, n_idx, end]
                has = target_lengths > 0
                init[n_idx[has], end[has] - 1] = lp_ext[t, n_idx[has], end[has] - 1]
                beta[t] = np.where(starts[:, None], init, beta[t])
        # log of the sum over positions s with label c of alpha * beta (eq. 16)
        ab = alpha + beta
        m = ab.max(axis=2, keepdims=True)
        m = np.where(np.isneginf(m), 0, m)
        onehot = np.zeros((N, L, C))
        onehot[n_idx[:, None], np.arange(L)[None, :], ext] = 1
        summed = np.einsum("tns,nsc->tnc", np.exp(ab - m), onehot)
        with np.errstate(divide="ignore"):
            lcab = np.log(summed) + m
        G = np.exp(lpw) - np.exp(lcab + nll[None, :, None] - lpw)
        G[np.arange(T)[:, None] >= input_lengths[None, :]] = 0
        if zero_infinity:
            G[:, np.isinf(nll)] = 0
        return wrap_array(G.astype(dtype)) * grad.reshape((1, N, 1))


def _lengths(x) -> np.ndarray:
    data = x._data if isinstance(x, Tensor) else np.asarray(x)
    return np.asarray(data, dtype=np.int64).reshape(-1)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """Connectionist Temporal Classification loss of log_probs (T, N, C) or (T, C)."""
    red = get_enum(reduction)
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    il, tl = _lengths(input_lengths), _lengths(target_lengths)
    where = " (while checking arguments for ctc_loss_allocate_outputs)"
    if lp.ndim != 3:
        raise RuntimeError(f"Expected {lp.ndim}-dimensional tensor, but got {lp.ndim + 1}-"
                           f"dimensional tensor for argument #1 'log_probs'{where}")
    T, N, C = lp.shape
    tg = np.asarray(targets._data, dtype=np.int64)
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    if il.size != N:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.size != N:
        raise RuntimeError("target_lengths must be of size batch_size")
    for v in tl:
        if v < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got "
                               f"value {v}{where}")
    offsets = np.zeros(N, np.int64)
    if tg.ndim == 1:
        offsets[1:] = np.cumsum(tl)[:-1]
        if tg.shape[0] != tl.sum():
            raise RuntimeError(f"Expected tensor to have size {tl.sum()} at dimension 0, but "
                               f"got size {tg.shape[0]} for argument #2 'targets'{where}")
    else:
        if tg.shape[0] != N:
            raise RuntimeError(f"Expected tensor to have size {N} at dimension 0, but got size "
                               f"{tg.shape[0]} for argument #2 'targets'{where}")
        if N and tg.shape[1] < tl.max():
            raise RuntimeError(f"Expected tensor to have size at least {tl.max()} at dimension "
                               f"1, but got size {tg.shape[1]} for argument #2 'targets'{where}")
    for v in il:
        if v < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got "
                               f"value {v}{where}")
        if v > T:
            raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got "
                               f"value {v}{where}")
    res = CtcLoss.apply(lp, tg, offsets, il, tl, blank=blank, zero_infinity=zero_infinity)
    if zero_infinity:
        res = ew.where(res == math.inf, wrap_array(np.zeros((), res._data.dtype)), res)
    if red == MEAN:
        lengths = wrap_array(np.maximum(tl, 1).astype(res._data.dtype))
        return (res / lengths).mean()
    if red == SUM:
        return res.sum()
    return res if batched else res.squeeze(0)
