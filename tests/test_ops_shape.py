"""Shape ops (reshape/view, flatten, transpose/permute, squeeze/unsqueeze, expand, clone,
contiguous, unbind, stack, cat, narrow) behave like torch 2.13: values, grad_fn names,
gradients, strides, and - for views - shared memory and version counters.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


def pair(a: np.ndarray):
    """The same array as an ember and a torch tensor (same layout, separate memory)."""
    if not a.flags.c_contiguous:
        return ember.from_numpy(non_contiguous(a.copy())), torch.from_numpy(
            non_contiguous(a.copy()))
    return ember.from_numpy(a.copy()), torch.from_numpy(a.copy())


def check_view(fn, a: np.ndarray):
    """fn(module, x) is a view of x in both libraries, with torch's strides and offset,
    and an in-place change through it reaches the base and bumps both versions."""
    e, t = pair(a)
    ev, tv = fn(ember, e), fn(torch, t)
    assert tuple(ev.shape) == tuple(tv.shape)
    assert ev.stride() == tv.stride(), f"stride {ev.stride()} != torch {tv.stride()}"
    assert ev.is_contiguous() == tv.is_contiguous()
    np.testing.assert_array_equal(ev.numpy(), tv.numpy())
    assert tv._base is t or tv._base is t._base
    assert ev._base is e
    if tv.numel() and 0 not in tv.stride():
        before = (e._version, t._version)
        ev.mul_(2)
        tv.mul_(2)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
        assert (e._version, t._version) == (ev._version, tv._version)
        assert e._version == t._version > before[0]
    return ev, tv


# ---------------------------------------------------------------------------------------
# reshape / view


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("src,dst", [((2, 3, 4), (6, 4)), ((2, 3, 4), (-1,)),
                                     ((2, 3, 4), (4, -1, 2)), ((6,), (1, 6, 1)),
                                     ((), (1,)), ((1,), ()), ((0, 3), (3, 0, 2)),
                                     ((2, 6), (2, 6))])
def test_reshape_and_view_match_torch(dtype, src, dst):
    a = randn(*src, dtype=dtype)
    check(lambda m, x: x.reshape(dst), a)
    check(lambda m, x: m.reshape(x, dst), a)
    check(lambda m, x: x.view(dst), a)


def test_reshape_accepts_sizes_as_varargs_or_sequence():
    check(lambda m, x: x.reshape(3, -1), randn(2, 3, 2))
    check(lambda m, x: x.view([3, 4]), randn(2, 3, 2))
    check(lambda m, x: x.view_as(m.zeros(4, 3)), randn(12))
    check(lambda m, x: x.reshape_as(m.zeros(4, 3)), randn(12))


def test_view_of_contiguous_tensor_is_a_view_with_torchs_strides():
    check_view(lambda m, x: x.view(3, 8), randn(2, 3, 4))
    check_view(lambda m, x: x.view(-1), randn(2, 3, 4))
    check_view(lambda m, x: x.reshape(4, 6), randn(2, 3, 4))


def test_view_that_keeps_non_contiguous_dims_apart_is_allowed():
    # splitting/merging only dims that are contiguous among themselves is a view
    check_view(lambda m, x: x.t().view(4, 3, 1), randn(3, 4))
    check_view(lambda m, x: x[:, ::2].view(2, 2, 2), randn(4, 4)[:, :4].copy())


def test_reshape_of_non_contiguous_input_copies_and_matches_torch():
    a = non_contiguous(randn(3, 4))
    check(lambda m, x: x.reshape(12), a)
    check(lambda m, x: x.reshape(2, 6), a)
    check(lambda m, x: x.flatten(), a)


def test_view_of_non_contiguous_input_raises_torchs_error():
    check_error(lambda m, x: x.t().view(12), randn(3, 4))
    check_error(lambda m, x: x.view(12), non_contiguous(randn(3, 4)))


@pytest.mark.parametrize("shape", [(2, 5), (-1, 2), (4, -1), (3, 4), (0, -1)])
def test_reshape_to_invalid_shape_raises_torchs_error(shape):
    check_error(lambda m, x: x.reshape(shape), randn(9))
    check_error(lambda m, x: x.view(shape), randn(9))


def test_reshape_with_two_inferred_or_negative_sizes_raises_like_torch():
    check_error(lambda m, x: x.reshape(-1, -1), randn(4))
    check_error(lambda m, x: x.reshape(-2, 2), randn(4))


def test_reshape_gradcheck_and_gradgradcheck():
    a = randn(2, 3, dtype=np.float64)
    assert gradcheck(lambda m, x: (x * x).reshape(3, 2), a)
    assert gradgradcheck(lambda m, x: (x * x).t().reshape(-1), a)


# ---------------------------------------------------------------------------------------
# flatten


@pytest.mark.parametrize("start,end", [(0, -1), (1, -1), (0, 1), (1, 2), (-2, -1), (2, 2)])
def test_flatten_matches_torch(start, end):
    check(lambda m, x: x.flatten(start, end), randn(2, 3, 4))
    check(lambda m, x: m.flatten(x, start_dim=start, end_dim=end), non_contiguous(randn(2, 3, 4)))


def test_flatten_of_0d_and_1d_matches_torch():
    check(lambda m, x: x.flatten(), randn())
    check(lambda m, x: x.flatten(), randn(5))


def test_flatten_with_start_after_end_raises_like_torch():
    check_error(lambda m, x: x.flatten(2, 1), randn(2, 3, 4))


# ---------------------------------------------------------------------------------------
# transpose / t / permute / .T / .mT


@pytest.mark.parametrize("dtype", FLOATS)
def test_transpose_family_matches_torch(dtype):
    a = randn(2, 3, 4, dtype=dtype)
    check(lambda m, x: x.transpose(0, 2), a)
    check(lambda m, x: m.transpose(x, -1, -2), a)
    check(lambda m, x: x.permute(2, 0, 1), a)
    check(lambda m, x: m.permute(x, (1, -1, 0)), a)
    check(lambda m, x: x.mT, a)
    check(lambda m, x: x.swapaxes(0, 1), a)
    check(lambda m, x: x.t(), randn(3, 4, dtype=dtype))
    check(lambda m, x: x.t(), randn(3, dtype=dtype))
    check(lambda m, x: x.T, randn(3, 4, dtype=dtype))


def test_transposes_are_views_with_swapped_strides():
    check_view(lambda m, x: x.t(), randn(3, 4))
    check_view(lambda m, x: x.transpose(0, 2), randn(2, 3, 4))
    check_view(lambda m, x: x.permute(1, 2, 0), randn(2, 3, 4))
    check_view(lambda m, x: x.mT, randn(2, 3, 4))
    check_view(lambda m, x: x.T, randn(3, 4))


def test_permute_and_t_bad_arguments_raise_like_torch():
    check_error(lambda m, x: x.permute(0, 1), randn(2, 3, 4))
    check_error(lambda m, x: x.permute(0, 0, 1), randn(2, 3, 4))
    check_error(lambda m, x: x.t(), randn(2, 3, 4))
    check_error(lambda m, x: x.transpose(0, 3), randn(2, 3, 4))
    check_error(lambda m, x: x.mT, randn(3))


def test_transpose_gradgradcheck():
    assert gradgradcheck(lambda m, x: (x * x).permute(1, 0, 2), randn(2, 3, 2, dtype=np.float64))


# ---------------------------------------------------------------------------------------
# unsqueeze / squeeze


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_unsqueeze_matches_torch_and_is_a_view(dim):
    check(lambda m, x: x.unsqueeze(dim), randn(2, 3))
    check_view(lambda m, x: x.unsqueeze(dim), randn(2, 3))


@pytest.mark.parametrize("dim", [None, 0, 1, -1, 2, (0, 2), (1, 3), (), (-1, 0)])
def test_squeeze_matches_torch_and_is_a_view(dim):
    a = randn(1, 3, 1, 2)
    if dim is None:
        check(lambda m, x: x.squeeze(), a)
        check_view(lambda m, x: x.squeeze(), a)
    else:
        check(lambda m, x: x.squeeze(dim), a)
        check_view(lambda m, x: m.squeeze(x, dim), a)


def test_squeeze_and_unsqueeze_of_0d_match_torch():
    check(lambda m, x: x.squeeze(), randn())
    check(lambda m, x: x.squeeze(0), randn())
    check(lambda m, x: x.unsqueeze(0), randn())
    check(lambda m, x: x.unsqueeze(-1), randn())


def test_squeeze_unsqueeze_out_of_range_raise_like_torch():
    check_error(lambda m, x: x.unsqueeze(3), randn(2, 3))
    check_error(lambda m, x: x.squeeze(2), randn(2, 3))
    check_error(lambda m, x: x.squeeze((0, 5)), randn(2, 3))


# ---------------------------------------------------------------------------------------
# expand


@pytest.mark.parametrize("src,sizes", [((3,), (2, 3)), ((1, 3), (4, -1)), ((2, 1), (2, 5)),
                                       ((), (3, 2)), ((3,), (2, 1, 3)), ((1,), (0,)),
                                       ((2, 3), (2, 3))])
def test_expand_matches_torch_and_gradient_sums_back(src, sizes):
    check(lambda m, x: x.expand(*sizes), randn(*src))
    check(lambda m, x: x.expand(sizes), randn(*src, dtype=np.float64))


def test_expand_as_and_broadcast_to_match_torch():
    check(lambda m, x, y: x.expand_as(y), randn(3, 1), randn(2, 3, 4))
    check(lambda m, x: m.broadcast_to(x, (4, 3)), randn(3))


def test_expand_is_a_view_with_zero_strides():
    e, t = check_view(lambda m, x: x.expand(3, 3), randn(3))
    assert e.stride() == (0, 1)
    check_view(lambda m, x: x.expand(2, 3, 4), randn(3, 1))
    check_view(lambda m, x: x.t().expand(2, 4, 3), randn(3, 4))


@pytest.mark.parametrize("src,sizes", [((3,), (4,)), ((2, 3), (3,)), ((3,), (-1, 3)),
                                       ((2, 3), (2, 2))])
def test_expand_bad_sizes_raise_torchs_error(src, sizes):
    check_error(lambda m, x: x.expand(*sizes), randn(*src))


def test_expand_gradcheck():
    assert gradcheck(lambda m, x: x.expand(2, 3, 4), randn(3, 1, dtype=np.float64))
    assert gradgradcheck(lambda m, x: (x * x).expand(2, 3), randn(3, dtype=np.float64))


# ---------------------------------------------------------------------------------------
# clone / contiguous


def test_clone_copies_memory_and_keeps_layout_like_torch():
    check(lambda m, x: x.clone(), randn(2, 3))
    e, t = pair(randn(3, 4))
    ec, tc = e.t().clone(), t.t().clone()
    assert ec.stride() == tc.stride()
    ec.zero_()
    assert e.numpy().any()
    assert e._version == 0


def test_contiguous_returns_self_or_a_contiguous_copy_like_torch():
    e, t = pair(randn(3, 4))
    assert e.contiguous() is e and t.contiguous() is t
    ec, tc = e.t().contiguous(), t.t().contiguous()
    assert ec.stride() == tc.stride() and ec.is_contiguous()
    check(lambda m, x: x.t().contiguous(), randn(3, 4))
    check(lambda m, x: x.contiguous(), non_contiguous(randn(3, 4)))


# ---------------------------------------------------------------------------------------
# unbind / stack / cat / narrow


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind_matches_torch_and_gives_views(dim):
    check(lambda m, x: x.unbind(dim), randn(3, 2, 4))
    check(lambda m, x: m.unbind(x, dim), non_contiguous(randn(3, 2, 4)))
    e, t = pair(randn(3, 2, 4))
    for ev, tv in zip(e.unbind(dim), t.unbind(dim)):
        assert ev.stride() == tv.stride()


def test_unbind_with_only_some_outputs_used_matches_torch():
    check(lambda m, x: x.unbind(0)[1], randn(3, 4))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack_matches_torch(dtype, dim):
    check(lambda m, x, y, z: m.stack([x, y, z], dim), randn(2, 3, dtype=dtype),
          randn(2, 3, dtype=dtype), non_contiguous(randn(2, 3, dtype=dtype)))


def test_stack_of_0d_tensors_and_mixed_dtypes_match_torch():
    check(lambda m, x, y: m.stack((x, y)), randn(), randn())
    check(lambda m, x, y: m.stack((x, y)), randn(3), randn(3, dtype=np.float64))


def test_stack_errors_match_torch():
    check_error(lambda m, x, y: m.stack([x, y]), randn(2, 3), randn(3, 2))
    check_error(lambda m: m.stack([]))
    check_error(lambda m, x, y: m.stack([x, y], 3), randn(2, 3), randn(2, 3))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_matches_torch(dtype, dim):
    shapes = {0: [(1, 3), (2, 3), (4, 3)], 1: [(2, 1), (2, 3), (2, 2)],
              -1: [(2, 1), (2, 3), (2, 2)]}[dim]
    arrays = [randn(*s, dtype=dtype) for s in shapes]
    arrays[1] = non_contiguous(arrays[1])
    check(lambda m, *xs: m.cat(xs, dim), *arrays)
    check(lambda m, *xs: m.concat(list(xs), dim=dim), *arrays)


def test_cat_promotes_dtypes_and_skips_legacy_empty_vectors():
    check(lambda m, x, y: m.cat([x, y]), randn(2), randn(3, dtype=np.float64))
    check(lambda m, x, y: m.cat([x, y]), randn(2, 3), randn(0))
    check(lambda m, x, y: m.cat([x, y]), randn(0, 3), randn(2, 3))


def test_cat_errors_match_torch():
    check_error(lambda m, x, y: m.cat([x, y]), randn(2, 3), randn(2, 4))
    check_error(lambda m, x, y: m.cat([x, y]), randn(2, 3), randn(3))
    check_error(lambda m, x, y: m.cat([x, y]), randn(), randn())
    check_error(lambda m: m.cat([]))
    check_error(lambda m, x, y: m.cat([x, y], 2), randn(2, 3), randn(2, 3))


@pytest.mark.parametrize("dim,start,length", [(0, 0, 2), (1, 1, 2), (-1, 3, 1), (0, -2, 2),
                                              (1, 4, 0)])
def test_narrow_matches_torch_and_is_a_view(dim, start, length):
    check(lambda m, x: x.narrow(dim, start, length), randn(3, 4))
    check_view(lambda m, x: x.narrow(dim, start, length), randn(3, 4))


def test_narrow_out_of_range_raises_like_torch():
    check_error(lambda m, x: x.narrow(0, 2, 2), randn(3, 4))
    check_error(lambda m, x: x.narrow(0, -4, 1), randn(3, 4))


def test_stack_cat_narrow_gradcheck():
    a, b = randn(2, 3, dtype=np.float64), randn(2, 3, dtype=np.float64)
    assert gradcheck(lambda m, x, y: m.stack([x, y * y], 1), a, b)
    assert gradcheck(lambda m, x, y: m.cat([x, y * y], 1), a, b)
    assert gradgradcheck(lambda m, x, y: m.cat([x * y, y * y], 0), a, b)
    assert gradgradcheck(lambda m, x: (x * x).narrow(1, 1, 2), a)
    assert gradgradcheck(lambda m, x: (x * x).unbind(1)[2], a)


# ---------------------------------------------------------------------------------------
# views share memory and the version counter


def test_in_place_change_through_a_chain_of_views_reaches_the_base():
    check_view(lambda m, x: x.t().unsqueeze(0).transpose(0, 2)[1], randn(3, 4))
    check_view(lambda m, x: x.view(4, 3).narrow(0, 1, 2).squeeze(), randn(12))


def test_in_place_change_on_base_is_seen_by_view_and_bumps_its_version():
    e, t = pair(randn(3, 4))
    ev, tv = e.t(), t.t()
    e.add_(1)
    t.add_(1)
    np.testing.assert_array_equal(ev.numpy(), tv.numpy())
    assert ev._version == tv._version == 1


def test_in_place_change_through_a_view_of_a_non_leaf_flows_into_the_gradient():
    def fn(m, x):
        y = x * 2
        y.t()[0].mul_(3)
        return y
    check(fn, randn(3, 4))


# ---------------------------------------------------------------------------------------
# properties over random shapes


@st.composite
def shape_and_reshape(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=4)))
    # regroup the flat size into a random factorisation
    n = int(np.prod(shape))
    target, rest = [], n
    while rest > 1:
        f = draw(st.sampled_from([d for d in range(1, rest + 1) if rest % d == 0]))
        target.append(f)
        rest //= f
        if f == 1 and draw(st.booleans()):
            break
    if rest != 1:
        target.append(rest)
    if target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return shape, tuple(target)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape_and_reshape())
def test_reshape_over_random_shapes_matches_torch(shape_target):
    shape, target = shape_target
    check(lambda m, x: x.reshape(target), randn(*shape))
    check(lambda m, x: x.reshape(target), non_contiguous(randn(*shape)))


@st.composite
def shape_and_permutation(draw):
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=5)))
    perm = draw(st.permutations(range(len(shape))))
    return shape, tuple(perm)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape_and_permutation())
def test_permute_over_random_shapes_matches_torch_including_strides(shape_perm):
    shape, perm = shape_perm
    check(lambda m, x: x.permute(perm), randn(*shape))
    e, t = pair(randn(*shape))
    assert e.permute(perm).stride() == t.permute(perm).stride()
    assert e.permute(perm).is_contiguous() == t.permute(perm).is_contiguous()
