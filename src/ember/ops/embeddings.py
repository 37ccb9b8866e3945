"""Embedding lookups: embedding, embedding_bag, one_hot.

`embedding` gathers rows of a weight matrix; its backward scatters the gradient rows
back, summing rows that share an index (sorted once, then one `np.add.reduceat`), and
that scatter is itself a primitive whose backward is the gather again, so gradients of
gradients work.

(This family lives in `embeddings.py`, not `embedding.py`: a submodule named like one of
its own functions would shadow that function in `ember.ops`.)
"""

from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..tensor import Tensor
from .primitive import Primitive

# ember.embedding takes torch's (weight, indices) order: see native_forms.py
__all__ = [
    'embedding_renorm_',
]

# the ones torch also puts in torch.nn.functional
FUNCTIONAL = (
    'embedding',
    'embedding_bag',
    'one_hot',
)

_INDEX_TYPES = {"int64": "Long", "int32": "Int"}
_TENSOR_TYPE = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
                "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
                "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
                "complex128": "ComplexDoubleTensor"}


def _check_indices(indices, arg: str, fn: str) -> None:
    name = indices._data.dtype.name
    if name not in _INDEX_TYPES:
        raise RuntimeError(f"Expected tensor for argument #1 '{arg}' to have one of the "
                           "following scalar types: Long, Int; but got "
                           f"torch.{_TENSOR_TYPE.get(name, name)} instead (while checking "
                           f"arguments for {fn})")


def _scatter_rows(grad_rows, index, num_rows):
    """out[index[i]] += grad_rows[i] for a (num_rows, D) result, with repeated indices
    summed: one stable sort, then np.add.reduceat over the runs of equal indices."""
    out = np.zeros((num_rows,) + grad_rows.shape[1:], grad_rows.dtype)
    if index.size == 0:
        return out
    order = np.argsort(index, kind="stable")
    sorted_index = index[order]
    starts = np.flatnonzero(np.r_[True, sorted_index[1:] != sorted_index[:-1]])
    out[sorted_index[starts]] = np.add.reduceat(grad_rows[order], starts, axis=0)
    return out


def _row_scale(index, padding_idx, scale_grad_by_freq, dtype):
    """Per looked-up row: 0 for the padding index, 1 / count when scaling by frequency."""
    scale = np.ones(index.shape, dtype)
    if scale_grad_by_freq:
        _, inverse, counts = np.unique(index, return_inverse=True, return_counts=True)
        scale = (1.0 / counts[inverse.reshape(-1)]).astype(dtype)
    if padding_idx is not None and padding_idx >= 0:
        scale = np.where(index == padding_idx, dtype.type(0), scale)
    return scale


class Embedding(Primitive):
    """out[...] = weight[indices[...]]. Shapes: weight (V, D), indices (*) -> (*, D)."""

    grad_fn_name = "EmbeddingBackward0"

    def forward(self, weight, indices, padding_idx, scale_grad_by_freq):
        self.num_weights = weight.shape[0]
        self.index = indices.reshape(-1)
        self.padding_idx, self.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        if self.index.size and (self.index.min() < 0 or self.index.max() >= weight.shape[0]):
            raise IndexError("index out of range in self")
        return weight[indices]

    def backward(self, grad):
        return EmbeddingDenseBackward.apply(grad, index=self.index,
                                            num_weights=self.num_weights,
                                            padding_idx=self.padding_idx,
                                            scale_grad_by_freq=self.scale_grad_by_freq)


class EmbeddingDenseBackward(Primitive):
    """grad_weight[v] = sum of grad rows looked up at v (times their scale); the adjoint
    of the lookup. Its own backward is the lookup of the incoming gradient."""

    grad_fn_name = "EmbeddingDenseBackwardBackward0"  # torch: node of embedding_dense_backward

    def forward(self, grad, index, num_weights, padding_idx, scale_grad_by_freq):
        self.index = index
        rows = grad.reshape(index.size, grad.shape[-1])
        self.row_shape = grad.shape
        self.scale = _row_scale(index, padding_idx, scale_grad_by_freq, grad.dtype)
        return _scatter_rows(rows * self.scale[:, None], index, num_weights)

    def backward(self, grad_grad):
        looked_up = grad_grad[Tensor._make(self.index)]
        return (looked_up * Tensor._make(self.scale[:, None])).reshape(self.row_shape)


def embedding_renorm_(weight, indices, max_norm, norm_type):
    """Rescale, in place, the rows of `weight` named in `indices` whose norm exceeds
    max_norm to norm max_norm (torch divides by norm + 1e-7)."""
    with grad_mode.no_grad():
        rows = np.unique(indices._data.reshape(-1))
        data = weight._data
        sub = data[rows].astype(np.float64)
        if norm_type == float("inf"):
            norms = np.abs(sub).max(axis=1)
        else:
            norms = (np.abs(sub) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
        big = norms > max_norm
        scale = max_norm / (norms[big] + 1e-7)
        data[rows[big]] = (data[rows[big]] * scale[:, None].astype(data.dtype)).astype(
            data.dtype)
        weight._vc[0] += 1
    return weight


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Look up rows of `weight` (V, D) at the integer `input` (*) -> (*, D).

    The row `padding_idx` gets no gradient; `max_norm` renormalizes the looked-up rows
    of weight in place first.
    """
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < weight.shape[0], "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -weight.shape[0], "Padding_idx must be within num_embeddings"
            padding_idx = weight.shape[0] + padding_idx
    else:
        padding_idx = -1
    _check_indices(input, "indices", "embedding")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if max_norm is not None:
        embedding_renorm_(weight, input.contiguous(), max_norm, norm_type)
    return Embedding.apply(weight, input, padding_idx=padding_idx,
                           scale_grad_by_freq=scale_grad_by_freq)


# ---------------------------------------------------------------------------------------
# embedding_bag


_MODES = {"sum": 0, "mean": 1, "max": 2}


class EmbeddingBag(Primitive):
    """Sum, mean or max of the looked-up rows of each bag.

    Shapes: weight (V, D); index (L,) flat; bag_of (L,) the bag of each index; result
    (B, D). Padding indices take no part; an empty bag gives zeros. per_sample_weights
    (L,) scales each row (mode sum).
    """

    grad_fn_name = "EmbeddingBagBackward0"

    def forward(self, weight, per_sample_weights, index, bag_of, num_bags, mode,
                padding_idx, scale_grad_by_freq):
        self.index, self.bag_of, self.mode = index, bag_of, mode
        self.num_weights = weight.shape[0]
        if index.size and (index.min() < 0 or index.max() >= weight.shape[0]):
            raise IndexError("index out of range in self")
        keep = np.ones(index.shape, bool) if padding_idx is None else index != padding_idx
        self.keep = keep
        rows = weight[index]
        dim = weight.shape[1]
        self.psw = per_sample_weights
        if per_sample_weights is not None:
            rows = rows * per_sample_weights[:, None]
        self.rows = rows if per_sample_weights is not None else None
        if mode == "max":
            out = np.full((num_bags, dim), -np.inf, weight.dtype)
            np.maximum.at(out, bag_of[keep], rows[keep])
            # the first index in each bag that attains the max, per column
            is_max = (rows == out[bag_of]) & keep[:, None]
            position = np.where(is_max, np.arange(index.size)[:, None], index.size)
            first = np.full((num_bags, dim), index.size, np.int64)
            np.minimum.at(first, bag_of, position)
            self.argmax = first
            out[first == index.size] = 0
            return out
        counts = np.bincount(bag_of[keep], minlength=num_bags).astype(weight.dtype)
        self.row_weight = keep.astype(weight.dtype)
        if mode == "mean":
            self.row_weight = self.row_weight / np.maximum(counts, 1)[bag_of]
        if scale_grad_by_freq:
            _, inverse, freq = np.unique(index, return_inverse=True, return_counts=True)
            self.grad_scale = 1.0 / freq[inverse.reshape(-1)]
        else:
            self.grad_scale = None
        return _scatter_rows(rows * self.row_weight[:, None], bag_of, num_bags)

    def backward(self, grad):
        g = grad._data
        needs = [edge[0] is not None for edge in self.next_functions]
        grad_weight = grad_psw = None
        if self.mode == "max":
            hit = self.argmax < self.index.size
            bag, col = np.nonzero(hit)
            rows = self.index[self.argmax[bag, col]]
            gw = np.zeros((self.num_weights, g.shape[1]), g.dtype)
            np.add.at(gw, (rows, col), g[bag, col])
            return Tensor._make(gw), None
        per_row = g[self.bag_of] * self.row_weight[:, None].astype(g.dtype)
        if needs[0]:
            rows_grad = per_row if self.psw is None else per_row * self.psw[:, None]
            if self.grad_scale is not None:
                rows_grad = rows_grad * self.grad_scale[:, None].astype(g.dtype)
            grad_weight = Tensor._make(_scatter_rows(rows_grad, self.index, self.num_weights))
        if needs[1]:
            weight_rows = self.rows / self.psw[:, None]
            grad_psw = Tensor._make((per_row * weight_rows).sum(axis=1))
        return grad_weight, grad_psw


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Reduce (sum / mean / max) the embeddings of each bag of indices.

    input (B, L) holds one bag per row; or input (L,) with offsets (B,) (or (B + 1,)
    with include_last_offset) marking where each bag starts.
    """
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({_size(per_sample_weights)}) "
                         f"is not None, then it must have the same shape as the input "
                         f"({_size(input)})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    if input.ndim == 2:
        if offsets is not None:
            type_str = ("<class 'ember.Tensor'>" if isinstance(offsets, Tensor)
                        else str(type(offsets)))
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {type_str}")
        num_bags, length = input.shape
        starts = np.arange(0, input.numel(), max(length, 1))[:num_bags]
        include_last_offset = False
        flat = input._data.reshape(-1)
        psw = None if per_sample_weights is None else per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        flat = input._data
        starts = offsets._data.astype(np.int64)
        if include_last_offset:
            starts = starts[:-1]
        num_bags = starts.shape[0]
        psw = per_sample_weights
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.ndim}")
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if max_norm is not None:
        embedding_renorm_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub.")
    _check_indices(input, "indices", "embedding_bag")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    index = flat.astype(np.int64).reshape(-1)
    # bag_of[i]: the bag index i falls in (the last start at or before i)
    bag_of = np.searchsorted(starts, np.arange(index.size), side="right") - 1
    in_bag = bag_of >= 0
    if include_last_offset and input.ndim == 1 and offsets.numel():
        in_bag &= np.arange(index.size) < int(offsets._data[-1])
    if not in_bag.all():
        index, bag_of = index[in_bag], bag_of[in_bag]
        if psw is not None:
            psw = psw[Tensor._make(np.flatnonzero(in_bag))]
    return EmbeddingBag.apply(weight, psw, index=index, bag_of=bag_of, num_bags=num_bags,
                              mode=mode, padding_idx=padding_idx,
                              scale_grad_by_freq=scale_grad_by_freq)


def _size(t) -> str:
    return "torch.Size([" + ", ".join(str(s) for s in t.shape) + "])"


# ---------------------------------------------------------------------------------------
# one_hot


def one_hot(tensor, num_classes=-1):
    """(*) int64 class indices -> (*, num_classes) int64 with a 1 at each index."""
    if tensor._data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    data = tensor._data
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(data.max()) + 1
    elif num_classes < -1:
        raise RuntimeError("num_classes should be positive")
    if data.size:
        if data.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if data.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(data.shape + (num_classes,), np.int64)
    np.put_along_axis(out, data[..., None], 1, axis=-1)
    return Tensor._make(out)
