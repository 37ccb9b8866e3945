"""nn.utils.rnn (pad_sequence, pack_padded_sequence, pad_packed_sequence, pack_sequence,
unpad/unpack_sequence, PackedSequence) against torch: values, batch sizes, index
tensors, gradients through packing, errors."""

import numpy as np
import pytest
import torch

import ember
from differential import check, check_error, randn


def U(t):
    return t.nn.utils.rnn


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence(batch_first, padding_side):
    check(lambda t, a, b, c: U(t).pad_sequence([a, b, c], batch_first=batch_first,
                                               padding_value=-1.5, padding_side=padding_side),
          randn(3, 2), randn(5, 2), randn(1, 2), check_grad_fn=False)


def test_pad_sequence_float64_and_1d():
    check(lambda t, a, b: U(t).pad_sequence([a, b]), randn(2, dtype=np.float64),
          randn(4, dtype=np.float64), check_grad_fn=False)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted,lengths", [(True, [5, 3, 3, 1]),
                                                    (False, [2, 5, 1, 4])])
def test_pack_padded_sequence(batch_first, enforce_sorted, lengths):
    shape = (4, 5, 3) if batch_first else (5, 4, 3)
    check(lambda t, x: tuple(U(t).pack_padded_sequence(x, lengths, batch_first=batch_first,
                                                       enforce_sorted=enforce_sorted)),
          randn(*shape))


def test_pack_padded_sequence_lengths_as_tensor():
    check(lambda t, x: tuple(U(t).pack_padded_sequence(x, t.tensor([3, 1]))), randn(3, 2))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("total_length", [None, 7])
def test_pad_packed_sequence_round_trip(batch_first, total_length):
    def fn(t, x):
        packed = U(t).pack_padded_sequence(x, [2, 5, 1], batch_first=batch_first,
                                           enforce_sorted=False)
        return U(t).pad_packed_sequence(packed, batch_first=batch_first, padding_value=9.0,
                                        total_length=total_length)
    check(fn, randn(3, 5, 2) if batch_first else randn(5, 3, 2), check_grad_fn=False)


def test_pack_sequence_and_unpack_sequence():
    def fn(t, a, b, c):
        packed = U(t).pack_sequence([a, b, c], enforce_sorted=False)
        return tuple(packed) + tuple(U(t).unpack_sequence(packed))
    check(fn, randn(2, 3), randn(4, 3), randn(3, 3), check_grad_fn=False)


def test_unpad_sequence():
    # (torch transposes its input in place here, so a leaf that requires grad fails there)
    check(lambda t, x: U(t).unpad_sequence(x, t.tensor([3, 1, 2])), randn(3, 3, 2),
          grad=False)
    check(lambda t, x: U(t).unpad_sequence(x, t.tensor([3, 1, 2]), batch_first=True),
          randn(3, 3, 2), check_grad_fn=False)


def test_packed_sequence_repr_and_fields():
    e = ember.nn.utils.rnn.pack_sequence([ember.tensor([1., 2, 3]), ember.tensor([4., 5])])
    t = torch.nn.utils.rnn.pack_sequence([torch.tensor([1., 2, 3]), torch.tensor([4., 5])])
    assert repr(e) == repr(t)
    assert e._fields == t._fields
    assert e.double().data.dtype == ember.float64


def test_packed_sequence_built_from_data_and_sorted_indices_inverts_them():
    e = ember.nn.utils.rnn.PackedSequence(ember.zeros(3), ember.tensor([2, 1]),
                                          ember.tensor([1, 0, 2]))
    t = torch.nn.utils.rnn.PackedSequence(torch.zeros(3), torch.tensor([2, 1]),
                                          torch.tensor([1, 0, 2]))
    assert e.unsorted_indices.tolist() == t.unsorted_indices.tolist()


@pytest.mark.parametrize("lengths", [[3, 3, 1], [1, 3], [3, 0]])
def test_pack_padded_sequence_bad_lengths_raise_like_torch(lengths):
    check_error(lambda t, x: U(t).pack_padded_sequence(x, lengths), randn(3, 2, 2))


def test_pad_sequence_errors_like_torch():
    check_error(lambda t, a: U(t).pad_sequence([a], padding_side="middle"), randn(2))
    check_error(lambda t: U(t).pad_sequence([]))


def test_pad_packed_sequence_short_total_length_raises_like_torch():
    check_error(lambda t, x: U(t).pad_packed_sequence(U(t).pack_padded_sequence(x, [3, 1]),
                                                      total_length=2), randn(3, 2))
