"""The generator API (ember.Generator, manual_seed, seed, initial_seed, rng state,
fork_rng), the random ops' errors, their autograd behaviour and their distributions,
each compared with torch (the bit-exact streams are in test_random_streams.py)."""

import math
from fractions import Fraction

import numpy as np
import pytest
import torch

import ember
from differential import check_error
from ember import random as ember_random

# ---- generator API -----------------------------------------------------------------


def test_generator_state_layout_matches_torch_byte_for_byte():
    for seed in (0, 5, 2 ** 32 + 7, 2 ** 63 - 1):
        g, tg = ember.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
        np.testing.assert_array_equal(g.get_state().numpy(), tg.get_state().numpy())
        ember.randn(1, generator=g)  # the scalar path caches its second value
        torch.randn(1, generator=tg)
        np.testing.assert_array_equal(g.get_state().numpy(), tg.get_state().numpy())
        ember.rand(700, generator=g)  # past a twist of the Mersenne state
        torch.rand(700, generator=tg)
        np.testing.assert_array_equal(g.get_state().numpy(), tg.get_state().numpy())


def test_fresh_generator_uses_torchs_default_seed():
    assert ember.Generator().initial_seed() == torch.Generator().initial_seed()
    np.testing.assert_array_equal(ember.Generator().get_state().numpy(),
                                  torch.Generator().get_state().numpy())


def test_manual_seed_returns_the_generator_and_wraps_negative_seeds_like_torch():
    g = ember.manual_seed(-1)
    assert g is ember.random.default_generator
    assert ember.initial_seed() == torch.manual_seed(-1).initial_seed() == 2 ** 64 - 1
    gen = ember.Generator()
    assert gen.manual_seed(3) is gen and gen.initial_seed() == 3


def test_manual_seed_too_large_raises_like_torch():
    check_error(lambda L: L.manual_seed(2 ** 64))
    check_error(lambda L: L.manual_seed(-(2 ** 63) - 1))


def test_seed_picks_a_fresh_63_bit_seed_and_reports_it():
    s = ember.seed()
    assert 0 <= s < 2 ** 63 and ember.initial_seed() == s
    first = ember.rand(3)
    ember.manual_seed(s)
    np.testing.assert_array_equal(ember.rand(3).numpy(), first.numpy())
    g = ember.Generator()
    assert g.seed() == g.initial_seed()


def test_set_rng_state_replays_the_stream():
    ember.manual_seed(4)
    ember.randn(3)
    state = ember.get_rng_state()
    a = [ember.randn(5), ember.rand(4), ember.randint(0, 9, (3,))]
    ember.set_rng_state(state)
    b = [ember.randn(5), ember.rand(4), ember.randint(0, 9, (3,))]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_get_state_is_a_copy():
    g = ember.Generator().manual_seed(1)
    s = g.get_state()
    ember.rand(10, generator=g)
    assert not np.array_equal(s.numpy(), g.get_state().numpy())


def test_set_rng_state_errors_match_torch():
    check_error(lambda L: L.set_rng_state(L.zeros(5, dtype=L.uint8)))
    check_error(lambda L: L.set_rng_state(L.zeros(5056)))


def test_fork_rng_restores_the_default_generator():
    ember.manual_seed(0)
    torch.manual_seed(0)
    with ember.random.fork_rng():
        ember.randn(10)
    with torch.random.fork_rng():
        torch.randn(10)
    np.testing.assert_array_equal(ember.randn(4).numpy(), torch.randn(4).numpy())
    with ember.random.fork_rng(enabled=False):
        ember.rand(1)
    with torch.random.fork_rng(enabled=False):
        torch.rand(1)
    np.testing.assert_array_equal(ember.rand(4).numpy(), torch.rand(4).numpy())


def test_generator_argument_leaves_the_default_stream_alone():
    ember.manual_seed(8)
    expected = ember.rand(4)
    ember.manual_seed(8)
    g = ember.Generator().manual_seed(1)
    ember.randn(30, generator=g)
    ember.empty(5).bernoulli_(0.5, generator=g)
    np.testing.assert_array_equal(ember.rand(4).numpy(), expected.numpy())


# ---- errors -------------------------------------------------------------------------

ERROR_CASES = {
    "uniform_int": lambda L: L.empty(3, dtype=L.int64).uniform_(),
    "uniform_from_gt_to": lambda L: L.empty(3).uniform_(2, 1),
    "normal_negative_std": lambda L: L.empty(3).normal_(0, -1),
    "normal_int": lambda L: L.empty(3, dtype=L.int64).normal_(),
    "bernoulli_p_out_of_range": lambda L: L.empty(3).bernoulli_(1.5),
    "bernoulli_tensor_p_out_of_range": lambda L: L.bernoulli(L.tensor([1.5])),
    "bernoulli_int_probabilities": lambda L: L.bernoulli(L.tensor([1])),
    "exponential_negative_lambda": lambda L: L.empty(3).exponential_(-1),
    "exponential_int": lambda L: L.empty(3, dtype=L.int64).exponential_(),
    "geometric_p_zero": lambda L: L.empty(3).geometric_(0),
    "geometric_p_above_one": lambda L: L.empty(3).geometric_(1.5),
    "log_normal_zero_std": lambda L: L.empty(3).log_normal_(1, 0),
    "cauchy_int": lambda L: L.empty(3, dtype=L.int64).cauchy_(),
    "random_from_not_below_to": lambda L: L.empty(3).random_(3, 3),
    "random_out_of_int8": lambda L: L.empty(3, dtype=L.int8).random_(0, 1000),
    "random_out_of_bool": lambda L: L.randint(5, (3,), dtype=L.bool),
    "multinomial_negative": lambda L: L.multinomial(L.tensor([-1., 1.]), 1),
    "multinomial_too_many": lambda L: L.multinomial(L.tensor([1., 1.]), 3),
    "multinomial_zero_sum": lambda L: L.multinomial(L.tensor([0., 0.]), 1),
    "multinomial_zero_sum_replacement": lambda L: L.multinomial(L.tensor([0., 0.]), 2, True),
    "multinomial_3d": lambda L: L.multinomial(L.ones(2, 2, 2), 1),
    "multinomial_int": lambda L: L.multinomial(L.tensor([1, 2]), 1),
    "normal_negative_std_tensor": lambda L: L.normal(L.zeros(3), L.tensor([-1., 1, 1])),
    "normal_negative_std_float": lambda L: L.normal(L.zeros(3), -1.),
    "normal_two_floats_without_size": lambda L: L.normal(0., 1.),
    "normal_shapes_mismatch": lambda L: L.normal(L.zeros(3), L.ones(4)),
    "randperm_negative": lambda L: L.randperm(-1),
    "randint_low_not_below_high": lambda L: L.randint(3, 1, (2,)),
    "rand_int_dtype": lambda L: L.rand(2, dtype=L.int64),
    "randn_int_dtype": lambda L: L.randn(2, dtype=L.int64),
    "randn_like_int": lambda L: L.randn_like(L.zeros(3, dtype=L.int64)),
    "uniform_on_leaf_requiring_grad": lambda L: L.ones(3, requires_grad=True).uniform_(),
    "uniform_bool": lambda L: L.empty(3, dtype=L.bool).uniform_(),
    "log_normal_int": lambda L: L.empty(3, dtype=L.int64).log_normal_(),
    "bernoulli_complex": lambda L: L.empty(3, dtype=L.complex64).bernoulli_(0.5),
    "bernoulli_complex_tensor_p": lambda L: L.empty(3, dtype=L.complex64).bernoulli_(
        L.full((3,), 0.5)),
    "cauchy_complex": lambda L: L.empty(3, dtype=L.complex64).cauchy_(),
    "log_normal_complex": lambda L: L.empty(3, dtype=L.complex64).log_normal_(),
    "geometric_complex": lambda L: L.empty(3, dtype=L.complex64).geometric_(0.5),
    "random_complex": lambda L: L.empty(3, dtype=L.complex64).random_(),
    "random_complex_bounds": lambda L: L.empty(3, dtype=L.complex64).random_(0, 4),
    "exponential_complex": lambda L: L.empty(3, dtype=L.complex64).exponential_(),
}


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_errors_match_torch(name):
    check_error(ERROR_CASES[name])


def test_random_out_of_float_precision_warns_like_torch():
    with pytest.warns(UserWarning, match="out of bounds"):
        torch.empty(3).random_(0, 2 ** 25)
    with pytest.warns(UserWarning, match="out of bounds"):
        ember.empty(3).random_(0, 2 ** 25)


# ---- autograd ---------------------------------------------------------------------

SAMPLERS = [("uniform_", (), "UniformBackward0"), ("normal_", (), "NormalBackward0"),
            ("bernoulli_", (0.5,), "BernoulliBackward2"),
            ("exponential_", (), "ExponentialBackward0"),
            ("geometric_", (0.5,), "GeometricBackward0"),
            ("log_normal_", (), "LogNormalBackward0"), ("cauchy_", (), "CauchyBackward0"),
            ("random_", (), "RandomBackward2"), ("random_", (5,), "RandomBackward1"),
            ("random_", (1, 5), "RandomBackward0")]


@pytest.mark.parametrize("method,args,name", SAMPLERS)
def test_sampling_a_non_leaf_records_torchs_node_with_zero_gradient(method, args, name):
    for lib in (torch, ember):
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        getattr(y, method)(*args)
        assert y.grad_fn.name() == name
        (y * x).sum().backward()
        # d/dx of (sample * x) is the sample; the sample itself passes no gradient
        np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


def test_bernoulli_with_tensor_p_records_bernoulli_backward1():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    y.bernoulli_(ember.full((3,), 0.5))
    assert y.grad_fn.name() == "BernoulliBackward1"


def test_functional_samplers_pass_zero_gradients_like_torch():
    for lib in (torch, ember):
        m = lib.ones(3, requires_grad=True)
        s = lib.ones(3, requires_grad=True)
        outs = {"NormalBackward3": lib.normal(m * 1, s * 1),
                "NormalBackward1": lib.normal(m * 1, 1.),
                "NormalBackward2": lib.normal(0., s * 1),
                "BernoulliBackward0": lib.bernoulli(m * 0.5)}
        for name, out in outs.items():
            assert out.grad_fn.name() == name
        (outs["NormalBackward3"].sum() + outs["NormalBackward1"].sum()
         + outs["NormalBackward2"].sum()).backward()
        np.testing.assert_array_equal(m.grad.numpy(), np.zeros(3, np.float32))
        np.testing.assert_array_equal(s.grad.numpy(), np.zeros(3, np.float32))


def test_factories_take_requires_grad():
    for lib in (torch, ember):
        assert lib.randn(3, requires_grad=True).requires_grad
        assert lib.rand(3, requires_grad=True).is_leaf
        assert not lib.randn_like(lib.ones(2, requires_grad=True)).requires_grad
        assert not lib.multinomial(lib.ones(3, requires_grad=True), 2).requires_grad


def test_sampling_bumps_the_version_counter():
    x = ember.zeros(4)
    v = x._version
    x.uniform_()
    x.normal_()
    assert x._version == v + 2


def test_sampling_a_view_writes_through_to_the_base():
    base = ember.zeros(4, 6)
    base[:, 1::2].uniform_(5, 6)
    assert (base[:, 1::2] >= 5).all() and (base[:, ::2] == 0).all()


def test_empty_tensors_draw_nothing():
    for lib in (torch, ember):
        lib.manual_seed(0)
        assert lib.empty(0).normal_().shape == (0,)
        assert lib.randn(0, 3).shape == (0, 3)
    np.testing.assert_array_equal(ember.get_rng_state().numpy(), torch.get_rng_state().numpy())


# ---- distributions (mathematics) --------------------------------------------------

def test_samples_have_the_requested_distributions():
    g = ember.Generator().manual_seed(0)
    n = 200_000

    def draw(method, *args, dtype=ember.float64):
        return getattr(ember.empty(n, dtype=dtype), method)(*args, generator=g).numpy()

    u = draw("uniform_", -1.0, 3.0)
    assert u.min() >= -1 and u.max() < 3 and abs(u.mean() - 1) < 0.02
    z = draw("normal_", 2.0, 0.5)
    assert abs(z.mean() - 2) < 0.01 and abs(z.std() - 0.5) < 0.01
    b = draw("bernoulli_", 0.3)
    assert set(np.unique(b)) == {0.0, 1.0} and abs(b.mean() - 0.3) < 0.01
    e = draw("exponential_", 4.0)
    assert e.min() >= 0 and abs(e.mean() - 0.25) < 0.005
    geo = draw("geometric_", 0.25)
    assert geo.min() >= 1 and abs(geo.mean() - 4) < 0.05
    ln = draw("log_normal_", 0.0, 0.25)
    assert abs(np.log(ln).mean()) < 0.01
    c = draw("cauchy_", 1.0, 2.0)
    assert abs(np.median(c) - 1) < 0.05
    r = ember.randint(3, 7, (n,), generator=g).numpy()
    assert set(np.unique(r)) == {3, 4, 5, 6}
    m = ember.multinomial(ember.tensor([1., 3.]), n, True, generator=g).numpy()
    assert abs(m.mean() - 0.75) < 0.01
    assert sorted(ember.randperm(1000, generator=g).tolist()) == list(range(1000))


def test_float32_polynomials_are_close_to_the_true_functions():
    x = np.linspace(1e-7, 1, 100_001, dtype=np.float32)
    np.testing.assert_allclose(ember_random._log256_ps(x), np.log(x.astype(np.float64)),
                               rtol=3e-7, atol=2e-7)
    t = np.linspace(0, 2 * math.pi, 100_001, dtype=np.float32)
    s, c = ember_random._sincos256_ps(t)
    np.testing.assert_allclose(s, np.sin(t.astype(np.float64)), atol=3e-7)
    np.testing.assert_allclose(c, np.cos(t.astype(np.float64)), atol=3e-7)


def _nearest_float32(value) -> np.float32:
    """The float32 nearest to a Fraction (the correctly rounded result)."""
    guess = np.float32(float(value))
    near = [guess, np.nextafter(guess, np.float32(np.inf)),
            np.nextafter(guess, np.float32(-np.inf))]
    return min(near, key=lambda f: abs(Fraction(float(f)) - value))


def test_emulated_fma_rounds_once():
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal(10_000) for _ in range(3))
    c[::3] = -a[::3] * b[::3]  # heavy cancellation
    got64 = ember_random._fma64(a, b, c)
    a32, b32, c32 = (v.astype(np.float32) for v in (a, b, c))
    got32 = ember_random._fma32(a32, b32, c32)
    for i in range(0, 10_000, 37):
        assert got64[i] == float(Fraction(a[i]) * Fraction(b[i]) + Fraction(c[i]))
        exact32 = (Fraction(float(a32[i])) * Fraction(float(b32[i]))
                   + Fraction(float(c32[i])))
        assert got32[i] == _nearest_float32(exact32)


def test_randperm_shuffles_equal_their_sequential_definitions():
    # randperm's swap chain (n < 2^32/20) and the inside-out shuffle torch uses above
    # that size, computed without loops, against the loops that define them
    rng = np.random.default_rng(0)
    for n in [1, 2, 3, 5, 17, 300, 5000]:
        targets = np.arange(n - 1) + rng.integers(0, np.arange(n, 1, -1))
        perm = list(range(n))
        for i, j in enumerate(targets.tolist()):
            perm[i], perm[j] = perm[j], perm[i]
        if n > 1:
            assert ember_random._swap_chain(targets).tolist() == perm
        z = rng.integers(0, np.arange(1, n + 1))
        perm = [0] * n
        for i, j in enumerate(z.tolist()):
            perm[i] = perm[j]
            perm[j] = i
        assert ember_random._inside_out(z).tolist() == perm
