"""nn.init vs torch.nn.init: gains, fans, deterministic fills, the statistics and
shapes of the random ones, torch's numbers after the same manual_seed, and errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import ember
from differential import check_error

init = ember.nn.init


def pair(shape, dtype="float32"):
    return (ember.empty(*shape, dtype=getattr(ember, dtype)),
            torch.empty(*shape, dtype=getattr(torch, dtype)))


def seeded(fn, shape, dtype="float32", seed=0):
    """fn(lib_init, tensor) after manual_seed(seed) in both libraries; the two arrays."""
    e, t = pair(shape, dtype)
    ember.manual_seed(seed)
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn(init, e)
        fn(torch.nn.init, t)
    return e.numpy(), t.numpy()


@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",),
                                  ("relu",), ("leaky_relu",), ("leaky_relu", 0.2),
                                  ("leaky_relu", 3), ("selu",), ("conv_transpose3d",)])
def test_calculate_gain_matches_torch(args):
    assert init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)


@pytest.mark.parametrize("args", [("leaky_relu", True), ("leaky_relu", "x"), ("swish",)])
def test_calculate_gain_errors_match_torch(args):
    check_error(lambda lib: lib.nn.init.calculate_gain(*args))


@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3), (4, 3, 2, 2), (2, 1, 1, 1, 3)])
def test_fan_in_and_fan_out_match_torch(shape):
    e, t = pair(shape)
    assert init._calculate_fan_in_and_fan_out(e) == \
        torch.nn.init._calculate_fan_in_and_fan_out(t)


def test_fan_error_for_fewer_than_two_dims():
    check_error(lambda lib: lib.nn.init._calculate_fan_in_and_fan_out(lib.empty(3)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fill", [
    lambda i, x: i.constant_(x, 0.3), lambda i, x: i.ones_(x), lambda i, x: i.zeros_(x),
])
def test_deterministic_fills_match_torch(fill, dtype):
    e, t = seeded(fill, (3, 4), dtype)
    np.testing.assert_array_equal(e, t)
    assert e.dtype == t.dtype


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)])
def test_eye_matches_torch(shape):
    e, t = seeded(lambda i, x: i.eye_(x), shape)
    np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("shape,groups", [((4, 3, 5), 1), ((4, 2, 3, 3), 2),
                                          ((6, 2, 3, 3, 3), 3), ((2, 4, 3), 1)])
def test_dirac_matches_torch(shape, groups):
    e, t = seeded(lambda i, x: i.dirac_(x, groups), shape)
    np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.init.eye_(lib.empty(3)),
    lambda lib: lib.nn.init.dirac_(lib.empty(3, 3)),
    lambda lib: lib.nn.init.dirac_(lib.empty(3, 2, 2), groups=2),
    lambda lib: lib.nn.init.kaiming_uniform_(lib.empty(3, 3), mode="fan_avg"),
    lambda lib: lib.nn.init.kaiming_normal_(lib.empty(3, 3), nonlinearity="swish"),
    lambda lib: lib.nn.init.xavier_uniform_(lib.empty(3)),
    lambda lib: lib.nn.init.orthogonal_(lib.empty(3)),
    lambda lib: lib.nn.init.sparse_(lib.empty(3, 3, 3), 0.1),
])
def test_argument_errors_match_torch(call):
    check_error(call)


def test_fills_are_in_place_without_history_on_parameters():
    p = ember.nn.Parameter(ember.zeros(4, 3))
    for fill in (lambda x: init.uniform_(x), lambda x: init.normal_(x),
                 lambda x: init.xavier_uniform_(x), lambda x: init.kaiming_normal_(x),
                 lambda x: init.constant_(x, 2.0), lambda x: init.eye_(x),
                 lambda x: init.orthogonal_(x), lambda x: init.trunc_normal_(x)):
        assert fill(p) is p
        assert p.grad_fn is None and p.requires_grad and p.is_leaf


# --- statistics of the random fills -----------------------------------------------------

def test_uniform_and_normal_statistics():
    x = ember.empty(200, 100)
    init.uniform_(x, -2.0, 3.0)
    a = x.numpy()
    assert a.min() >= -2.0 and a.max() < 3.0 and abs(a.mean() - 0.5) < 0.05
    init.normal_(x, 1.0, 0.5)
    a = x.numpy()
    assert abs(a.mean() - 1.0) < 0.01 and abs(a.std() - 0.5) < 0.01


@pytest.mark.parametrize("kind", ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_"])
def test_scaled_inits_have_the_documented_std(kind):
    x = ember.empty(300, 200)
    getattr(init, kind)(x)
    fan_in, fan_out = 200, 300
    expected = (math.sqrt(2.0 / (fan_in + fan_out)) if kind.startswith("xavier")
                else math.sqrt(2.0 / (1 + 0.01 ** 2)) / math.sqrt(fan_in))
    assert abs(x.numpy().std() / expected - 1) < 0.02


def test_kaiming_modes_and_gain_arguments():
    x = ember.empty(400, 100)
    init.kaiming_uniform_(x, mode="fan_out", nonlinearity="relu")
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 400)
    assert np.abs(x.numpy()).max() <= bound and np.abs(x.numpy()).max() > 0.95 * bound
    init.xavier_uniform_(x, gain=2.0)
    bound = 2.0 * math.sqrt(6.0 / 500)
    assert np.abs(x.numpy()).max() <= bound


@pytest.mark.parametrize("a,b", [(-2.0, 2.0), (0.5, 3.0), (-0.1, 0.1)])
def test_trunc_normal_stays_within_bounds(a, b):
    x = ember.empty(100, 50)
    init.trunc_normal_(x, mean=0.0, std=1.0, a=a, b=b)
    v = x.numpy()
    assert v.min() >= a and v.max() <= b and np.unique(v).size > 4000


def test_trunc_normal_warns_when_mean_is_far_from_the_interval():
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(ember.empty(10), mean=10.0, std=1.0)


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (3, 2, 2)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    x = ember.empty(*shape)
    init.orthogonal_(x, gain=1.0)
    m = x.numpy().reshape(shape[0], -1)
    small = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(small, np.eye(small.shape[0]), atol=1e-5)


def test_sparse_zeroes_a_fraction_of_every_column():
    x = ember.empty(10, 7)
    init.sparse_(x, sparsity=0.3, std=0.01)
    zeros_per_col = (x.numpy() == 0).sum(axis=0)
    assert (zeros_per_col == 3).all()


def test_zero_element_tensors_warn_like_torch():
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            lib.nn.init.kaiming_uniform_(lib.empty(0, 3))


def test_deprecated_aliases_warn():
    with pytest.warns(FutureWarning, match="`nn.init.uniform` is now deprecated"):
        init.uniform(ember.empty(2))


# --- torch's numbers after the same seed ------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fill", [
    lambda i, x: i.uniform_(x, -0.3, 0.7),
    lambda i, x: i.xavier_uniform_(x, gain=1.5),
    lambda i, x: i.kaiming_uniform_(x, a=math.sqrt(5)),
    lambda i, x: i.kaiming_uniform_(x, mode="fan_out", nonlinearity="relu"),
], ids=["uniform", "xavier_uniform", "kaiming_uniform", "kaiming_uniform_fan_out"])
def test_uniform_family_draws_torchs_numbers(fill, dtype):
    e, t = seeded(fill, (7, 5), dtype)
    np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("shape", [(3, 4), (2, 2)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_family_draws_torchs_numbers_for_small_tensors(shape, dtype):
    for fill in (lambda i, x: i.normal_(x, 0.5, 2.0), lambda i, x: i.xavier_normal_(x),
                 lambda i, x: i.kaiming_normal_(x, mode="fan_out")):
        e, t = seeded(fill, shape, dtype)
        np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_family_draws_torchs_numbers_for_large_tensors(dtype):
    for fill in (lambda i, x: i.normal_(x, 0.5, 2.0), lambda i, x: i.kaiming_normal_(x)):
        e, t = seeded(fill, (40, 30), dtype)
        np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("args", [(0.0, 1.0, -2.0, 2.0), (0.0, 1.0, 1.0, 3.0)],
                         ids=["redraw", "rejection"])
def test_trunc_normal_draws_torchs_numbers(args):
    e, t = seeded(lambda i, x: i.trunc_normal_(x, *args), (20, 10))
    np.testing.assert_array_equal(e, t)


def test_orthogonal_and_sparse_draw_torchs_numbers():
    e, t = seeded(lambda i, x: i.orthogonal_(x, gain=2.0), (5, 8))
    np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-6)
    e, t = seeded(lambda i, x: i.sparse_(x, 0.4), (6, 5))
    np.testing.assert_array_equal(e, t)
