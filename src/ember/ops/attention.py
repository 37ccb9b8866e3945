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

FUNCTIONAL = ("multi_head_attention_forward", "scaled_dot_product_attention")

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


def _check_mask_broadcasts(scores_shape, mask_shape) -> None:
    """torch's broadcasting error for adding the mask to the scores."""
    ndim = max(len(scores_shape), len(mask_shape))
    a = (1,) * (ndim - len(scores_shape)) + tuple(scores_shape)
    b = (1,) * (ndim - len(mask_shape)) + tuple(mask_shape)
    for i in range(ndim - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor "
                               f"b ({b[i]}) at non-singleton dimension {i}")


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
    of batch or heads, no dropout, nothing empty, unit stride in the last dim."""
    return (query.ndim == key.ndim == value.ndim == 4 and keep is None
            and query.shape[-1] == key.shape[-1] == value.shape[-1]
            and all(x.shape[-1] == 1 or x._data.strides[-1] == x._data.itemsize
                    for x in (query, key, value))
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
    if mask is not None:
        batch = np.broadcast_shapes(tuple(query.shape[:-2]), tuple(key.shape[:-2]))
        _check_mask_broadcasts((*batch, L, S), mask.shape)
    if _fused_kernel_applies(query, key, value, keep):
        return ScaledDotProductAttention.apply(query, key, value, mask=mask, keep=keep,
                                               scale=scale)
    return _attention_math(query, key, value, None if mask is None else Tensor._make(mask),
                           keep, scale)


# ---- multi-head attention (torch.nn.functional.multi_head_attention_forward) --------

def _canonical_mask(mask, mask_name: str, target_dtype):
    """A bool mask (True = masked out) becomes a float mask of 0 / -inf."""
    if mask is None:
        return None
    if str(mask.dtype) == "ember.bool":
        from ..creation import zeros
        from .elementwise import where
        return where(mask, -math.inf, zeros((), dtype=target_dtype))
    if not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """True for a batched (3-D) query, False for an unbatched (2-D) one; torch's errors."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D "
                f"but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                f"found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                f"but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or "
                    f"3-D but found {attn_mask.dim()}-D tensor instead")
            if attn_mask.dim() == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected} but "
                                         f"got {attn_mask.shape}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.dim()}-D query tensor")


def _in_projection(query, key, value, weights, biases):
    """q, k, v = each input times its slice of the packed projection; self-attention
    (query is key is value) does it as one matmul."""
    from .linalg import linear
    E = weights[0].shape[0]
    if len(weights) == 1:  # the packed (3E, E) in_proj_weight
        w = weights[0]
        E = w.shape[0] // 3
        if query is key and key is value:
            proj = linear(query, w, biases)
            return proj.narrow(-1, 0, E), proj.narrow(-1, E, E), proj.narrow(-1, 2 * E, E)
        weights = [w.narrow(0, i * E, E) for i in range(3)]
    bs = [None] * 3 if biases is None else [biases.narrow(0, i * E, E) for i in range(3)]
    return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), weights, bs))


def _pad_last(mask):
    """Append one unmasked (0) column to a float mask (torch's pad(mask, (0, 1)))."""
    from ..creation import zeros
    from .shape import cat
    return cat([mask, zeros(*mask.shape[:-1], 1, dtype=mask.dtype)], -1)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """Multi-head attention on sequence-first inputs: query (L, N, E), key/value (S, N, *)
    (or unbatched (L, E), (S, *)). Returns (output (L, N, E), weights (N, L, S) averaged
    over heads, (N, heads, L, S) if not average_attn_weights, or None without
    need_weights). Masks: bool True / float -inf = may not attend."""
    from ..creation import zeros
    from .activation import softmax
    from .linalg import linear
    from .shape import cat
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # scaled_dot_product_attention builds the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        q, k, v = _in_projection(query, key, value,
                                 [q_proj_weight, k_proj_weight, v_proj_weight], in_proj_bias)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {key.shape} does not match value shape "
                                 f"{value.shape}")
        q, k, v = _in_projection(query, key, value, [in_proj_weight], in_proj_bias)
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            expected = (bsz * num_heads, tgt_len, src_len)
            if tuple(attn_mask.shape) != expected:
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {expected}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = cat([v, bias_v.expand(1, bsz, embed_dim)])
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    # heads become part of the batch: (N * heads, len, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if add_zero_attn:
        k = cat([k, zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype)], 1)
        v = cat([v, zeros(bsz * num_heads, 1, head_dim, dtype=v.dtype)], 1)
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        key_padding_mask = (key_padding_mask.reshape(bsz, 1, 1, src_len)
                            .expand(bsz, num_heads, 1, src_len)
                            .reshape(bsz * num_heads, 1, src_len))
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0
    if need_weights:
        q_scaled = q * math.sqrt(1.0 / float(head_dim))
        scores = q_scaled @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = attn_mask + scores
        weights = softmax(scores, -1)
        if dropout_p > 0.0:
            from ..nn.functional import dropout
            weights = dropout(weights, p=dropout_p)
        out = (weights @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz,
                                                                           embed_dim)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz,
                                                                       embed_dim)
    if not is_batched:
        out = out.squeeze(1)
    return out, None
