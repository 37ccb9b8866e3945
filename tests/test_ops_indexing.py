"""Indexing (`x[key]`, `x[key] = value`) behaves like torch 2.13: values, views and their
strides, grad_fn names, gradients (repeated indices accumulate), and IndexError texts.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))
import ember  # noqa: E402
from differential import (  # noqa: E402
    check,
    check_error,
    gradcheck,
    gradgradcheck,
    non_contiguous,
    randn,
)

FLOATS = [np.float32, np.float64]

BASIC_KEYS = [
    1, -1, (1, 2), (-1, -2, -3), (slice(None), 1), (slice(0, 2),), (slice(None, None, 2),),
    (slice(1, None, 2), slice(None), slice(0, 5, 3)), (None,), (Ellipsis, 1), (1, Ellipsis),
    (slice(None, None, 2), None, 1), (Ellipsis,), (None, Ellipsis, None), (1, None, 2, None),
    (slice(5, 10),), (slice(-2, None), Ellipsis, slice(None, -1)), (0, 0, 0), (Ellipsis, None),
]


def both(a: np.ndarray):
    """The same array as an ember and a torch tensor."""
    return ember.from_numpy(a.copy()), torch.from_numpy(a.copy())


# ---------------------------------------------------------------------------------------
# basic indexing: views


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("key", BASIC_KEYS, ids=repr)
def test_basic_indexing_matches_torch_values_grad_fn_and_gradient(dtype, key):
    check(lambda m, x: x[key], randn(3, 4, 5, dtype=dtype))


@pytest.mark.parametrize("key", BASIC_KEYS, ids=repr)
def test_basic_indexing_of_non_contiguous_input_matches_torch(key):
    check(lambda m, x: x[key], non_contiguous(randn(3, 4, 5)))


@pytest.mark.parametrize("key", BASIC_KEYS, ids=repr)
def test_basic_indexing_gives_a_view_with_torchs_strides(key):
    e, t = both(randn(3, 4, 5))
    ev, tv = e[key], t[key]
    assert ev.stride() == tv.stride(), f"{ev.stride()} != torch {tv.stride()}"
    assert ev.storage_offset() == tv.storage_offset()
    assert ev._base is e and tv._base is t
    ev.add_(1)
    tv.add_(1)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    assert e._version == t._version == 1


def test_indexing_a_0d_tensor_with_none_and_ellipsis_matches_torch():
    check(lambda m, x: x[None], randn())
    check(lambda m, x: x[...], randn())
    check(lambda m, x: x[..., None], randn())


def test_basic_indexing_gradgradcheck():
    a = randn(3, 4, dtype=np.float64)
    assert gradcheck(lambda m, x: x[1:, ::2], a)
    assert gradgradcheck(lambda m, x: (x * x)[1, None, 1:3], a)


# ---------------------------------------------------------------------------------------
# advanced indexing: copies


ADVANCED_KEYS = [
    [0, 2], [2, 2, 0, 2], [-1], ([0, 1], [1, 3]), (slice(None), [3, 0, 3]),
    (Ellipsis, [4, 0]), ([[0, 1], [2, 2]],), (1, [0, 0, 3]), ([0, 2], slice(1, 3), [1, 4]),
    (None, [1, 1]), ([0, 2], None, slice(None), [0, 1]),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("key", ADVANCED_KEYS, ids=repr)
def test_advanced_indexing_with_lists_matches_torch(dtype, key):
    check(lambda m, x: x[key], randn(3, 4, 5, dtype=dtype))


@pytest.mark.parametrize("key", ADVANCED_KEYS, ids=repr)
def test_advanced_indexing_with_tensors_matches_torch(key):
    def convert(m, k):
        if isinstance(k, list):
            return m.tensor(k)
        if isinstance(k, tuple):
            return tuple(convert(m, i) for i in k)
        return k
    check(lambda m, x: x[convert(m, key)], non_contiguous(randn(3, 4, 5)))


def test_repeated_indices_accumulate_gradient():
    check(lambda m, x: x[[1, 1, 1, 0]], randn(3, 2))
    check(lambda m, x: x[m.tensor([[2, 2], [2, 0]]), 1], randn(3, 2, dtype=np.float64))


def test_integer_index_tensors_of_any_integer_dtype_work_like_torch():
    idx = np.array([2, 0], dtype=np.int32)
    check(lambda m, x, i: x[i], randn(3, 4), idx)
    check(lambda m, x, i: x[:, i], randn(3, 4), idx.astype(np.int64))


@pytest.mark.parametrize("dtype", FLOATS)
def test_bool_mask_indexing_matches_torch(dtype):
    a = randn(3, 4, dtype=dtype)
    check(lambda m, x: x[x > 0], a)
    check(lambda m, x, k: x[k], a, np.array([True, False, True]))
    check(lambda m, x, k: x[:, k], a, np.array([True, False, False, True]))
    check(lambda m, x, k: x[k], non_contiguous(a), a > 0.5)


def test_bool_scalar_and_list_of_bools_index_like_torch():
    check(lambda m, x: x[True], randn(2, 3))
    check(lambda m, x: x[False], randn(2, 3))
    check(lambda m, x: x[[True, False]], randn(2, 3))


def test_advanced_indexing_gradcheck_and_gradgradcheck():
    a = randn(3, 4, dtype=np.float64)
    assert gradcheck(lambda m, x: x[[0, 0, 2], [1, 1, 3]], a)
    assert gradcheck(lambda m, x: x[x > 0], a)
    assert gradgradcheck(lambda m, x: (x * x)[[2, 2, 0]], a)


# ---------------------------------------------------------------------------------------
# errors


@pytest.mark.parametrize("key", [5, -4, (0, 5), (slice(None), -5), [0, 5], (0, [7])],
                         ids=repr)
def test_out_of_range_index_raises_torchs_index_error(key):
    check_error(lambda m, x: x[key], randn(3, 4))


def test_out_of_range_index_tensor_raises_torchs_index_error():
    check_error(lambda m, x: x[m.tensor([3])], randn(3, 4))


def test_too_many_indices_raise_torchs_index_error():
    check_error(lambda m, x: x[1, 2, 3], randn(3, 4))
    check_error(lambda m, x: x[0], randn())


def test_bad_index_types_and_mask_shapes_raise_like_torch():
    check_error(lambda m, x: x[1.5], randn(3, 4))
    check_error(lambda m, x: x[m.tensor([0.0])], randn(3, 4))
    check_error(lambda m, x: x[m.tensor([True, False])], randn(3, 4))
    check_error(lambda m, x: x[[0, 1], [0, 1, 2]], randn(3, 4))


def test_negative_step_raises_like_torch():
    check_error(lambda m, x: x[::-1], randn(3, 4))


# ---------------------------------------------------------------------------------------
# setitem


SET_KEYS = [0, -1, (slice(None), 1), (slice(0, 2), slice(1, 3)), (Ellipsis, 0), [0, 2],
            ([0, 1], [1, 1]), (slice(None), [3, 0])]


@pytest.mark.parametrize("key", SET_KEYS, ids=repr)
def test_setitem_with_a_scalar_matches_torch(key):
    def fn(m, x):
        x = x.clone()
        x[key] = 7.5
        return x
    check(fn, randn(3, 4), grad=False)
    e, t = both(randn(3, 4))
    e[key] = -1
    t[key] = -1
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    assert e._version == t._version == 1


@pytest.mark.parametrize("key,vshape", [(0, (4,)), (0, ()), ((slice(None), 1), (3,)),
                                        ((slice(None), slice(0, 2)), (2,)),
                                        ((slice(None), slice(0, 2)), (3, 1)),
                                        ([0, 2], (4,)), ([0, 2], (2, 4))], ids=repr)
def test_setitem_with_a_broadcast_tensor_matches_torch(key, vshape):
    def fn(m, x, v):
        x = x.clone()
        x[key] = v
        return x
    check(fn, randn(3, 4), randn(*vshape), grad=False)
    if isinstance(key, list):  # index_put_ does not cast; a basic key's copy_ does
        check_error(fn, randn(3, 4), randn(*vshape, dtype=np.float64))
    else:
        check(fn, randn(3, 4), randn(*vshape, dtype=np.float64), grad=False)


def test_setitem_with_a_mask_matches_torch():
    def fn(m, x):
        x = x.clone()
        x[x > 0] = 0.0
        return x
    check(fn, randn(3, 4), grad=False)


def test_setitem_on_int_tensor_casts_the_value_like_torch():
    e, t = both(np.arange(6).reshape(2, 3))
    e[0] = 2.7
    t[0] = 2.7
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_setitem_through_a_view_reaches_the_base_and_bumps_versions():
    e, t = both(randn(3, 4))
    ev, tv = e.t(), t.t()
    ev[1:, 0] = 5.0
    tv[1:, 0] = 5.0
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    assert (e._version, ev._version) == (t._version, tv._version) == (1, 1)


@pytest.mark.parametrize("key", SET_KEYS, ids=repr)
def test_setitem_on_a_non_leaf_records_copy_slices_and_backpropagates(key):
    def fn(m, x, v):
        y = x * 2
        y[key] = v * 3
        return y
    e, t = both(randn(3, 4))
    vshape = tuple(t[key].shape)
    check(fn, randn(3, 4), randn(*vshape))
    check(fn, randn(3, 4), randn(*vshape[1:]))  # broadcast value


def test_setitem_with_a_scalar_on_a_non_leaf_backpropagates():
    def fn(m, x):
        y = x * x
        y[1, 1:] = 0.0
        return y * y
    check(fn, randn(3, 4))


def test_setitem_on_a_non_leaf_gradcheck():
    def fn(m, x, v):
        y = x * 1
        y[1:, ::2] = v * v
        return y
    assert gradcheck(fn, randn(3, 4, dtype=np.float64), randn(2, 2, dtype=np.float64))
    assert gradgradcheck(fn, randn(3, 4, dtype=np.float64), randn(2, 2, dtype=np.float64))


def test_setitem_on_a_leaf_that_requires_grad_raises_like_torch():
    def fn(m, x):
        x.requires_grad_(True)
        x[0] = 1.0
    check_error(fn, randn(3, 4))


def test_setitem_errors_match_torch():
    def out_of_range(m, x):
        x[3] = 1.0

    def too_many(m, x):
        x[0, 0, 0] = 1.0

    def bad_shape(m, x):
        x[0] = m.zeros(3)
    check_error(out_of_range, randn(3, 4))
    check_error(too_many, randn(3, 4))
    check_error(bad_shape, randn(3, 4))


# ---------------------------------------------------------------------------------------
# where torch and NumPy differ


def test_int_and_list_separated_by_a_slice_follow_torch_not_numpy():
    # NumPy gives shape (2, 4) here: it treats the int as an advanced index
    check(lambda m, x: x[1, :, [0, 1]], randn(3, 4, 5))
    check(lambda m, x: x[[0, 2], :, 1], randn(3, 4, 5))


@pytest.mark.parametrize("key", [(slice(None),), (slice(0, 10),), (1, slice(None)),
                                 (slice(None), None), (None, 1), (1, None), (),
                                 (slice(None, None, 1), slice(1, None))], ids=repr)
def test_full_slices_are_skipped_when_naming_the_grad_fn(key):
    check(lambda m, x: x[key], randn(3, 4))


def test_several_ellipses_are_accepted_like_torch():
    check(lambda m, x: x[..., None, ...], randn(3, 4))


@pytest.mark.parametrize("key", [slice(None), Ellipsis, (slice(0, 3), slice(None)), None],
                         ids=repr)
@pytest.mark.parametrize("scalar", [True, False])
def test_setitem_of_everything_records_fill_or_copy_like_torch(key, scalar):
    def fn(m, x, v):
        y = x * 2
        y[key] = 3.0 if scalar else v
        return y
    check(fn, randn(3, 4), randn(4))


def test_setitem_of_a_tensor_that_requires_grad_into_a_plain_tensor_records_the_copy():
    def fn(m, v):
        y = m.zeros(3, 4)
        y[1] = v * 2
        y[:, 0] = v[:3]
        return y
    check(fn, randn(4))


def test_setitem_into_a_view_of_a_leaf_that_requires_grad_raises_like_torch():
    def fn(m, x):
        x.requires_grad_(True)
        v = x.t()
        v[0] = 1.0
    check_error(fn, randn(3, 4))


def test_setitem_into_a_detached_leaf_is_allowed_and_shares_the_version():
    for m in (ember, torch):
        x = m.zeros(3, requires_grad=True)
        d = x.detach()
        d[1] = 5.0
        assert x._version == d._version == 1
        assert x.tolist() == [0.0, 5.0, 0.0]


# ---------------------------------------------------------------------------------------
# mixed keys: index arrays and masks among slices, None and Ellipsis (torch's two passes)


def _mask(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) > 0


_I = np.array
MIXED_KEYS = [
    ([0, 1], slice(None), [2, 3]), (slice(None), [0, 1], slice(None), [2, 3]),
    (None, [0, 1], None, [2, 3]), ([0, 1], Ellipsis, [2, 3]), (1, slice(None), [0, 1]),
    ([[0], [1]], slice(None), [0, 2, 4]), (_mask(3),), (_mask(3, 4),),
    (slice(None), _I([True, False, False, True]), [0, 1]),
    (_I([True, False, True]), slice(None), [0, 1]), (None, _mask(3)),
    (Ellipsis, _mask(6)), (1, [0, 1], None, slice(1, 3)), ([0, 1], None, [1, 2]),
    ([0, 1], 1, [1, 2]), (slice(None), 1, [0, 1], None),
    (_I([-1, -3]), slice(None, None, 2), Ellipsis, _I([0])),
    (_I([[0, 1], [2, 0]]), _I([[1], [3]])), (slice(0, 2), None, [0, 1], Ellipsis, [1, 2]),
    (0, slice(None), 0, [1, 2]), ([1], [2], [3], [4]), (Ellipsis, None, [0, 0]),
    (_I(1),), (_I(-2), Ellipsis, _I(3)),
]


def _key_for(m, key):
    return tuple(m.from_numpy(np.array(k)) if isinstance(k, np.ndarray) else k for k in key)


@pytest.mark.parametrize("key", MIXED_KEYS, ids=repr)
def test_mixed_advanced_keys_match_torch_values_grad_fn_and_gradient(key):
    check(lambda m, x: x[_key_for(m, key)], randn(3, 4, 5, 6))


def test_a_0d_integer_tensor_index_selects_a_view_like_torch():
    for m in (ember, torch):
        x = m.zeros(3, 4)
        y = x[m.tensor(1)]
        assert y._base is x and tuple(y.shape) == (4,)
    check(lambda m, x: x[m.tensor(2), m.tensor([0, 0])], randn(3, 4))


def test_mask_shape_errors_name_the_view_like_torch():
    for key in [(None, _mask(5, 6)), (1, _mask(5, 6)), (None, None, _mask(3, 5)),
                ([0, 1], _mask(5, 6))]:
        check_error(lambda m, x, k=key: x[_key_for(m, k)], randn(3, 4, 5, 6))


SET_KEYS = [([0, 0, 1],), ([0, 1], slice(None), [2, 2]), (_mask(3, 4),),
            (slice(None), [1, 1, 3]), (Ellipsis, [0, 5]), (1, [0, 0], None),
            ([0, 2], Ellipsis, [1, 1])]


@pytest.mark.parametrize("vshape", [(), (1,), "lead1"], ids=repr)
@pytest.mark.parametrize("key", SET_KEYS, ids=repr)
def test_setitem_with_repeated_indices_and_broadcast_values_matches_torch(key, vshape):
    target = torch.zeros(3, 4, 5, 6)[_key_for(torch, key)].shape
    shape = (1,) + tuple(target[1:]) if vshape == "lead1" else vshape

    def fn(m, x, v):
        y = x * 2
        y[_key_for(m, key)] = v
        return y
    check(fn, randn(3, 4, 5, 6), np.asarray(randn(*shape)))
