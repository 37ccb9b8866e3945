"""Variable-length sequences for the recurrent layers: padding and packing.

A PackedSequence stores sequences sorted by decreasing length, time step by time step:
`data` holds the `batch_sizes[0]` first elements, then the `batch_sizes[1]` second
elements, ... so step t of every sequence still running is one contiguous block. The
recurrent layers read that layout directly (see ember/ops/rnn.py).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...creation import full, tensor, zeros
from ...ops.primitive import Primitive
from ...ops.shape import cat, stack
from ...tensor import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


class _PackedSequenceBase(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceBase):
    """Holds the data and the list of batch_sizes of a packed sequence.

    Attributes:
        data: (sum(batch_sizes), *) the packed elements.
        batch_sizes: int64 tensor, how many sequences are still running at each step.
        sorted_indices: how the batch was reordered by decreasing length (or None).
        unsorted_indices: the inverse permutation, to restore the original order.

    Build one with `pack_padded_sequence` or `pack_sequence`, not by hand.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """Convert `data` like Tensor.to; the index tensors are left as they are."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self, *args, **kwargs) -> PackedSequence:
        return self.to("cpu")

    def double(self) -> PackedSequence:
        return self.to(dtype=_dtype("float64"))

    def float(self) -> PackedSequence:  # noqa: A003 - torch's name
        return self.to(dtype=_dtype("float32"))

    def half(self) -> PackedSequence:
        return self.to(dtype=_dtype("float16"))

    def long(self) -> PackedSequence:
        return self.to(dtype=_dtype("int64"))

    def int(self) -> PackedSequence:  # noqa: A003 - torch's name
        return self.to(dtype=_dtype("int32"))

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def _dtype(name: str):
    from ... import dtypes
    return getattr(dtypes, name)


def invert_permutation(permutation):
    """The inverse of a 1-D permutation tensor (None stays None)."""
    if permutation is None:
        return None
    inverse = np.empty_like(permutation._data)
    inverse[permutation._data] = np.arange(permutation._data.size)
    return Tensor._make(inverse)


class PackPaddedSequence(Primitive):
    """Gather the running elements of a time-major flattened batch (T * B, *) into
    packed rows. Each padded position feeds at most one packed row, so the backward is
    a gather too: packed gradients back into their positions, zeros elsewhere."""

    grad_fn_name = "PackPaddedSequenceBackward0"

    def forward(self, flat, index, inverse):
        self.inverse = inverse
        return flat[index]

    def backward(self, grad):
        padded = cat([grad, zeros(1, *grad.shape[1:], dtype=grad.dtype)])
        return padded[tensor(self.inverse)]


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        return lengths._data.astype(np.int64).reshape(-1)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def pack_padded_sequence(input, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *) with batch_first) of sequences whose
    lengths are `lengths`. With enforce_sorted (default) the lengths must already be in
    decreasing order; otherwise the batch is sorted here and the order remembered."""
    lens = _lengths_array(lengths)
    sorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = Tensor._make(order.astype(np.int64))
    batch = input.shape[0] if batch_first else input.shape[1]
    if lens.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.size} (batch_size={batch})")
    if lens.size and lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if np.any(np.diff(lens) > 0):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
            "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
            "pack_sequence to sidestep this requirement if you do not need ONNX "
            "exportability.")
    steps = int(lens[0]) if lens.size else 0
    batch_sizes = (lens[None, :] > np.arange(steps)[:, None]).sum(1).astype(np.int64)
    # gather every running element, step by step, from the time-major flat batch
    order = np.arange(batch) if sorted_indices is None else sorted_indices._data
    rows = [t * batch + order[:n] for t, n in enumerate(batch_sizes.tolist())]
    index = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    time_major = input.transpose(0, 1) if batch_first else input
    flat = time_major.reshape(time_major.shape[0] * batch, *time_major.shape[2:])
    inverse = np.full(flat.shape[0], index.size, np.int64)  # unused positions: zero row
    inverse[index] = np.arange(index.size)
    data = PackPaddedSequence.apply(flat, index=index, inverse=inverse)
    return PackedSequence(data, Tensor._make(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length=None):
    """Undo pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths int64 tensor),
    in the original batch order. `total_length` pads the time dim to that length."""
    data, batch_sizes = sequence.data, sequence.batch_sizes._data.astype(np.int64)
    steps, batch = batch_sizes.size, int(batch_sizes[0])
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence "
                f"in input, but got total_length={total_length} and max sequence length "
                f"being {steps}")
        steps = total_length
    # padded position (t, b) reads packed row offset_t + b, or the padding row at the end
    n = data.shape[0]
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]])
    index = np.full((steps, batch), n, np.int64)
    for t, size in enumerate(batch_sizes.tolist()):
        index[t, :size] = offsets[t] + np.arange(size)
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        index = index[:, unsorted._data]
        lengths = lengths[unsorted._data]
    pad_row = full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    padded = cat([data, pad_row])[tensor(index.reshape(-1))]
    padded = padded.reshape(steps, index.shape[1], *data.shape[1:])
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, Tensor._make(lengths)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right"):
    """Stack sequences of shapes (L_i, *) into (max L, B, *) (or (B, max L, *)), filling
    the missing steps with `padding_value` after (padding_side="right") or before them."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    if len(sequences) == 0:
        raise RuntimeError("received an empty list of sequences")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            fill = full((missing, *s.shape[1:]), padding_value, dtype=s.dtype)
            s = cat([s, fill]) if padding_side == "right" else cat([fill, s])
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first: bool = False) -> list:
    """The list of sequences, each cut to its length, from a padded batch."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, _lengths_array(lengths))]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """pack_padded_sequence(pad_sequence(sequences), their lengths)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences a PackedSequence holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
