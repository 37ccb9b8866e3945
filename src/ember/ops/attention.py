"""scaled_dot_product_attention: softmax(q @ k^T * scale + mask) @ v over the last two dims.

torch runs 4-D inputs through its fused CPU kernel (one graph node,
`ScaledDotProductFlashAttentionForCpuBackward0`) and everything else through a chain of
plain ops (its "math" path). ember does the same: `ScaledDotProductAttention` is the
fused primitive, `_attention_math` the composite written with ember ops. Both treat a
row whose every key is masked out as attending to nothing (output 0, gradient 0), as
torch 2.13 does.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import grad_mode
from ..tensor import Tensor
from .primitive import Primitive

__all__: list = []

FUNCTIONAL = ("scaled_dot_product_attention",)

_CPP_NAMES = {  # how torch's C++ messages name dtypes
    "float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
    "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
    "uint8": "unsigned char", "bool": "bool", "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}


def _cpp_name(dtype) -> str:
    name = str(dtype).replace("ember.", "")
    return _CPP_NAMES.get(name, name)


def _safe_softmax(scores: np.ndarray) -> np.ndarray:
    """softmax over the last axis; rows that are all -inf give 0 instead of NaN."""
    top = np.max(scores, axis=-1, keepdims=True)
    top = np.where(np.isneginf(top), 0, top)
    e = np.exp(scores - top)
    total = np.sum(e, axis=-1, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total != 0)


class ScaledDotProductAttention(Primitive):
    """out = dropout(softmax(q @ k^T * scale + mask)) @ v.

    q: (..., L, E), k: (..., S, E), v: (..., S, Ev) -> (..., L, Ev); batch dims broadcast.
    `mask` is an additive array (0 / -inf / any float) broadcastable to (..., L, S);
    `keep` the dropout keep-mask already divided by 1 - p (or None).

    Backward, with P the attention weights and dS the gradient of the scores:
        dv = P^T @ dout, dP = dout @ v^T, dS = P * (dP - sum(dP * P)),
        dq = dS @ k * scale, dk = dS^T @ q * scale.
    P is kept from the forward; when gradients of gradients are asked for
    (create_graph), it is recomputed with ember ops so that it depends on q and k.
    """

    grad_fn_name = "ScaledDotProductFlashAttentionForCpuBackward0"
    save_inputs = (0, 1, 2)

    def forward(self, q, k, v, mask=None, keep=None, scale=1.0):
        self.mask, self.keep, self.scale = mask, keep, scale
        scores = np.matmul(q, np.swapaxes(k, -1, -2)) * np.asarray(scale, q.dtype)
        if mask is not None:
            scores = scores + mask
        self.attn = _safe_softmax(scores).astype(q.dtype, copy=False)
        weights = self.attn if keep is None else self.attn * keep
        return np.matmul(weights, v)

    def backward(self, grad):
        q, k, v = self.saved_tensors
        keep = None if self.keep is None else Tensor._make(self.keep)
        if grad_mode._enabled:
            mask = None if self.mask is None else Tensor._make(self.mask)
            attn = _attention_weights(q, k, mask, self.scale)
        else:
            attn = Tensor._make(self.attn)
        weights = attn if keep is None else attn * keep
        grad_v = weights.transpose(-1, -2) @ grad
        grad_w = grad @ v.transpose(-1, -2)
        if keep is not None:
            grad_w = grad_w * keep
        grad_s = attn * (grad_w - (grad_w * attn).sum(-1, keepdim=True))
        grad_q = (grad_s @ k) * self.scale
        grad_k = (grad_s.transpose(-1, -2) @ q) * self.scale
        return grad_q, grad_k, grad_v


def _attention_weights(q, k, mask, scale):
    """softmax(q @ k^T * scale + mask) with ember ops; fully masked rows give 0."""
    from .activation import softmax
    from .elementwise import where
    scores = (q @ k.transpose(-1, -2)) * scale
    if mask is None:
        return softmax(scores, -1)
    scores = scores + mask
    # a row with no finite score attends to nothing: softmax a row of zeros, then zero it
    alive = (scores > -math.inf).any(-1, keepdim=True)
    safe = where(alive, scores, 0.0)
    return softmax(safe, -1) * alive.to(q.dtype)


def _attention_math(q, k, v, mask, keep, scale):
    attn = _attention_weights(q, k, mask, scale)
    if keep is not None:
        attn = attn * Tensor._make(keep)
    return attn @ v


def _repeat_heads(x: Tensor, times: int) -> Tensor:
    """repeat_interleave along dim -3 (grouped-query attention)."""
    if times == 1:
        return x
    shape = tuple(x.shape)
    x = x.unsqueeze(-3).expand(*shape[:-2], times, *shape[-2:])
    return x.reshape(*shape[:-3], shape[-3] * times, *shape[-2:])


def _check_inputs(query, key, value, attn_mask) -> None:
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_cpp_name(query.dtype)} key.dtype: {_cpp_name(key.dtype)} and value.dtype: "
            f"{_cpp_name(value.dtype)} instead.")
    if attn_mask is not None and not (attn_mask.dtype.is_floating_point
                                      or str(attn_mask.dtype) == "ember.bool"):
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {_cpp_name(attn_mask.dtype)} and  query.dtype: "
            f"{_cpp_name(query.dtype)} instead.")
    if query.shape[-1] != key.shape[-1]:
        batch = int(np.prod(tuple(query.shape[:-2]), dtype=np.int64))
        raise RuntimeError(
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{batch}, {query.shape[-1]}] but got: [{batch}, {key.shape[-1]}].")


def _additive_mask(attn_mask, is_causal, L, S, np_dtype):
    """The mask as an array to add to the scores (bool True = may attend -> 0, else -inf)."""
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not "
                               "be set when is_causal=True")
        allowed = np.tril(np.ones((L, S), dtype=bool))
        return np.where(allowed, 0, -np.inf).astype(np_dtype)
    if attn_mask is None:
        return None
    m = attn_mask._data
    if m.dtype == np.bool_:
        return np.where(m, 0, -np.inf).astype(np_dtype)
    return m.astype(np_dtype, copy=False)


def _fused_kernel_applies(query, key, value, keep) -> bool:
    """torch's own test for its fused CPU kernel: 4-D, one head size, no broadcasting
    of batch or heads, no dropout, nothing empty."""
    return (query.ndim == key.ndim == value.ndim == 4 and keep is None
            and query.shape[-1] == key.shape[-1] == value.shape[-1]
            and tuple(query.shape[:2]) == tuple(key.shape[:2]) == tuple(value.shape[:2])
            and query.numel() > 0 and key.numel() > 0)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """Attention of `query` (..., L, E) over `key` (..., S, E) / `value` (..., S, Ev).

    Args:
        attn_mask: bool (True = may attend) or float (added to the scores), broadcastable
            to (..., L, S).
        dropout_p: probability of dropping an attention weight (applied always, as torch
            does: pass 0.0 in eval).
        is_causal: mask out keys after each query (lower-triangular L x S mask).
        scale: multiplies the scores; default 1 / sqrt(E).
        enable_gqa: let `key`/`value` have fewer heads (dim -3) than `query`; each of
            their heads then serves a group of query heads.

    Returns:
        (..., L, Ev)
    """
    _check_inputs(query, key, value, attn_mask)
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3:
        groups = query.shape[-3] // key.shape[-3]
        key, value = _repeat_heads(key, groups), _repeat_heads(value, groups)
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    np_dtype = query._data.dtype
    keep = None
    if dropout_p > 0.0:
        from ..creation import rand
        batch = np.broadcast_shapes(tuple(query.shape[:-2]), tuple(key.shape[:-2]))
        draws = rand(*batch, L, S, dtype=query.dtype)._data
        keep = ((draws >= dropout_p) / (1.0 - dropout_p)).astype(np_dtype)
    if attn_mask is not None and attn_mask.requires_grad:
        # a float mask that wants a gradient: only the composite path gives it one
        mask = attn_mask.to(query.dtype)
        return _attention_math(query, key, value, mask, keep, scale)
    mask = _additive_mask(attn_mask, is_causal, L, S, np_dtype)
    if _fused_kernel_applies(query, key, value, keep):
        return ScaledDotProductAttention.apply(query, key, value, mask=mask, keep=keep,
                                               scale=scale)
    return _attention_math(query, key, value, None if mask is None else Tensor._make(mask),
                           keep, scale)
