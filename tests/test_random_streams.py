"""Same seed, same numbers: every random op draws torch's exact bits.

Each case runs the same program on ember and on torch after `manual_seed(seed)` and
requires bit-identical results (values, dtype, shape) *and* an identical generator
state afterwards (`get_rng_state()` bytes), so the number of words each op consumes
and the cached Box-Muller value match too.
"""

import numpy as np
import pytest
import torch

import ember


def _arrays(out):
    outs = out if isinstance(out, (tuple, list)) else [out]
    return [o.detach().numpy() if hasattr(o, "detach") else np.asarray(o) for o in outs]


def assert_same_stream(program, seed=0):
    """program(lib) on both libraries from the same seed: equal bits, equal state."""
    torch.manual_seed(seed)
    expected = _arrays(program(torch))
    torch_state = torch.get_rng_state().numpy()
    ember.manual_seed(seed)
    got = _arrays(program(ember))
    ember_state = ember.get_rng_state().numpy()
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype and g.shape == e.shape, (g.dtype, e.dtype, g.shape, e.shape)
        assert np.array_equal(g, e, equal_nan=True), (
            f"{int((g != e).sum())} of {e.size} values differ")
    assert np.array_equal(ember_state, torch_state), "generator states differ"


SIZES = [1, 7, 15, 16, 17, 33, 100, 1001]
FLOATS = ["float32", "float64"]


def dt(lib, name):
    return getattr(lib, name)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", SIZES)
def test_rand_and_randn_match_torch_at_every_size(n, dtype):
    assert_same_stream(lambda L: (L.rand(n, dtype=dt(L, dtype)), L.randn(n, dtype=dt(L, dtype)),
                                  L.randn(2, n, dtype=dt(L, dtype))))


def test_randn_float32_large_matches_torch_avx_polynomials():
    assert_same_stream(lambda L: L.randn(100003), seed=3)


def test_randn_float64_large_matches_torch_libm():
    assert_same_stream(lambda L: L.randn(20011, dtype=L.float64), seed=5)


def test_randn_known_values_after_seed_42():
    ember.manual_seed(42)
    got = ember.randn(1, 10)[0, :5].tolist()
    assert got == [0.33669036626815796, 0.12880940735340118, 0.23446236550807953,
                   0.23033303022384644, -1.1228563785552979]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", [5, 16, 40])
def test_in_place_samplers_match_torch(n, dtype):
    def program(L):
        e = lambda: L.empty(n, dtype=dt(L, dtype))  # noqa: E731
        return (e().uniform_(-2.5, 3.7), e().uniform_(), e().normal_(1.5, 0.3),
                e().normal_(), e().bernoulli_(0.37), e().bernoulli_(),
                e().exponential_(2.5), e().exponential_(), e().geometric_(0.3),
                e().log_normal_(0.5, 0.7), e().log_normal_(), e().cauchy_(0.3, 0.7),
                e().cauchy_(), e().random_(), e().random_(100), e().random_(-50, 100),
                e().random_(3, None))
    assert_same_stream(program, seed=n)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool"])
def test_integer_and_bool_samplers_match_torch(dtype):
    def program(L):
        e = lambda: L.empty(40, dtype=dt(L, dtype))  # noqa: E731
        return e().random_(), e().random_(2), e().random_(0, 2), e().bernoulli_(0.5)
    assert_same_stream(program)


def test_random_with_64_bit_ranges_matches_torch():
    assert_same_stream(lambda L: (L.empty(30, dtype=L.int64).random_(-2 ** 40, 2 ** 41),
                                  L.empty(30, dtype=L.int64).random_(-2 ** 63, None),
                                  L.randint(0, 2 ** 35, (30,)),
                                  L.randint(-(2 ** 62), 2 ** 62, (30,))))


@pytest.mark.parametrize("dtype", FLOATS)
def test_bernoulli_with_probability_tensors_matches_torch(dtype):
    def program(L):
        p = L.linspace(0, 1, 30, dtype=dt(L, dtype))
        return (L.bernoulli(p), L.bernoulli(p.reshape(5, 6).t()), p.bernoulli(),
                L.empty(3, 30).bernoulli_(p), L.empty(30, dtype=L.float64).bernoulli_(p),
                L.bernoulli(p, 0.25), p.bernoulli(0.75))
    assert_same_stream(program)


def test_dropout_mask_recipe_matches_torch():
    # torch's CPU dropout: empty(shape).bernoulli_(1 - p), then mask / (1 - p)
    p = 0.3
    assert_same_stream(lambda L: (L.empty(4, 37).bernoulli_(1 - p) / (1 - p),
                                  L.empty(2, 3, 5, dtype=L.float64).bernoulli_(1 - p)))


def test_randint_and_randperm_match_torch():
    assert_same_stream(lambda L: (L.randint(10, (3, 4)), L.randint(-5, 10, (40,)),
                                  L.randint(3, 9, (7,), dtype=L.float32), L.randperm(1),
                                  L.randperm(0), L.randperm(10), L.randperm(1000),
                                  L.randperm(30, dtype=L.float64)))


def test_size_keywords_match_torch():
    assert_same_stream(lambda L: (L.randn(size=(2, 3)), L.rand(size=(4,)),
                                  L.randint(0, 4, size=(3,)), L.randint(high=9, size=(3,)),
                                  L.randint(5, size=(3,)), L.randint(low=2, high=9, size=(3,)),
                                  L.rand([2, 3]), L.randn(L.Size([2, 2])), L.randn(())))


def test_randperm_large_n_matches_torch():
    assert_same_stream(lambda L: L.randperm(300007), seed=11)


def test_like_factories_match_torch_including_transposed_inputs():
    def program(L):
        a = L.empty(5, 7)
        t = a.t()
        d = L.empty(6, 4, dtype=L.float64)
        return (L.rand_like(a), L.randn_like(t), L.rand_like(t), L.randn_like(d),
                L.randint_like(d, 3, 9), L.randint_like(t, 4), L.randn_like(L.empty(2, 20)),
                L.rand_like(L.empty(8, 8)[:, ::2]))
    assert_same_stream(program)


def test_like_factories_keep_strides_of_dense_inputs():
    t = ember.empty(5, 7).t()
    assert ember.randn_like(t).stride() == torch.randn_like(torch.empty(5, 7).t()).stride()


def test_non_contiguous_in_place_sampling_fills_memory_order_like_torch():
    def program(L):
        base = L.zeros(6, 40)
        base.t().normal_()  # dense but transposed: scalar normal path, memory order
        sl = L.zeros(8, 40)
        sl[:, ::2].normal_(2.0, 3.0)
        u = L.zeros(5, 7)
        u.t().uniform_(-1, 1)
        b = L.zeros(4, 9, dtype=L.float64)
        b[1:, 2:].bernoulli_(0.6)
        others = []
        for method, args in [("exponential_", (1.5,)), ("geometric_", (0.4,)),
                             ("log_normal_", ()), ("cauchy_", ()), ("random_", (0, 50)),
                             ("uniform_", (2, 3)), ("bernoulli_", (L.rand(9, 4).t(),))]:
            o = L.zeros(9, 4, dtype=L.float64)
            getattr(o.t(), method)(*args)
            others.append(o)
        return (base, sl, u, b, *others)
    assert_same_stream(program)


def test_normal_overloads_match_torch():
    def program(L):
        mean = L.arange(20.)
        std = L.linspace(0.1, 2, 20)
        return (L.normal(mean, std), L.normal(L.zeros(3, 1), L.ones(4)), L.normal(mean, 2.),
                L.normal(2., std), L.normal(2., 3., (5, 7)), L.normal(mean[:5], std[:5]),
                L.normal(0., 1., size=(20,), dtype=L.float64),
                L.normal(mean.double(), std.double()), L.normal(mean[:3]))
    assert_same_stream(program)


def test_multinomial_matches_torch():
    def program(L):
        p2 = L.tensor([[0.1, 0.5, 0.2, 0.2], [1., 2., 3., 4.]])
        p64 = L.tensor([0.1, 0.5, 0.0, 0.4], dtype=L.float64)
        return (L.multinomial(p2, 20, True), L.multinomial(p64, 50, replacement=True),
                L.multinomial(p2, 3), L.multinomial(p2, 4), L.multinomial(p64, 1),
                p2.multinomial(1, True), L.multinomial(L.rand(30), 10))
    assert_same_stream(program)


@pytest.mark.parametrize("dtype", FLOATS)
def test_multinomial_on_random_and_transposed_probabilities_matches_torch(dtype):
    def program(L):
        p = L.rand(7, 50, dtype=dt(L, dtype)) ** 3
        pt = L.rand(50, 7, dtype=dt(L, dtype)).t()  # empty_like(pt) keeps its strides
        return (L.multinomial(p, 200, True), L.multinomial(p, 20), L.multinomial(pt, 5),
                L.multinomial(pt, 1), L.multinomial(pt, 30, True))
    assert_same_stream(program, seed=4)


def test_interleaved_calls_share_one_stream_like_torch():
    def program(L):
        outs = [L.randn(3), L.rand(5), L.randn(20), L.randn(1), L.randint(0, 9, (4,)),
                L.randn(2, 3, dtype=L.float64), L.randperm(7)]
        outs.append(L.empty(5).log_normal_())  # uses the cached scalar normal
        outs.append(L.empty(3).normal_())
        outs.append(L.normal(L.zeros(3), 1.0))
        outs.append(L.randn(17, dtype=L.float64))
        outs.append(L.empty(3).exponential_())
        return outs
    for seed in (0, 1, 2 ** 40 + 3):
        assert_same_stream(program, seed)


def test_generators_are_independent_streams_like_torch():
    def program(L):
        g = L.Generator().manual_seed(123)
        outs = [L.rand(3, generator=g), L.randn(20, generator=g), L.randn(3, generator=g),
                L.randint(0, 5, (4,), generator=g), L.randperm(6, generator=g),
                L.empty(5).uniform_(generator=g), L.empty(5).normal_(generator=g),
                L.empty(5).bernoulli_(0.5, generator=g),
                L.bernoulli(L.full((5,), 0.5), generator=g),
                L.normal(L.zeros(4), L.ones(4), generator=g),
                L.multinomial(L.ones(5), 2, generator=g), L.rand_like(L.empty(2), generator=g),
                L.randn_like(L.empty(2), generator=g),
                L.empty(3).random_(generator=g), L.empty(3).exponential_(generator=g),
                L.empty(3).geometric_(0.5, generator=g), L.empty(3).cauchy_(generator=g),
                L.empty(3).log_normal_(generator=g)]
        outs.append(L.rand(3))  # the default generator is untouched by the above
        outs.append(g.get_state())
        return outs
    assert_same_stream(program)


def test_rng_state_bytes_match_torch_and_round_trip():
    torch.manual_seed(9)
    ember.manual_seed(9)
    torch.randn(3)  # leaves a cached normal
    ember.randn(3)
    state = ember.get_rng_state()
    assert state.dtype == ember.uint8 and tuple(state.shape) == (5056,)
    np.testing.assert_array_equal(state.numpy(), torch.get_rng_state().numpy())
    # a torch state drives ember to torch's next numbers, and back
    ember.set_rng_state(ember.tensor(torch.get_rng_state().numpy()))
    np.testing.assert_array_equal(ember.randn(5).numpy(), torch.randn(5).numpy())
    torch.set_rng_state(torch.from_numpy(ember.get_rng_state().numpy()))
    np.testing.assert_array_equal(ember.rand(40).numpy(), torch.rand(40).numpy())


@pytest.mark.parametrize("n", [7, 20, 1001])
def test_float16_samplers_match_torch(n):
    def program(L):
        e = lambda: L.empty(n, dtype=L.float16)  # noqa: E731
        return (L.randn(n, dtype=L.float16), e().normal_(0.3, 1.7), e().uniform_(-0.3, 1.7),
                L.rand(n, dtype=L.float16), e().random_(), e().exponential_(), e().cauchy_(),
                e().log_normal_(), e().geometric_(0.2), e().bernoulli_(0.2),
                L.bernoulli(L.rand(n, dtype=L.float16)), L.randint(0, 100, (n,), dtype=L.float16),
                L.multinomial(L.rand(n, dtype=L.float16) + 0.1, 5, True))
    assert_same_stream(program, seed=n)


def test_uniform_never_returns_its_upper_bound_like_torch():
    # a value that would round up to `to` becomes `from`, in every dtype
    assert_same_stream(lambda L: (L.empty(50).uniform_(1, 1 + 2 ** -23),
                                  L.empty(50, dtype=L.float64).uniform_(1, 1 + 2 ** -52),
                                  L.empty(3000, dtype=L.float16).uniform_(-3, 5)))


@pytest.mark.parametrize("n", [3, 20])
def test_complex_samplers_sample_the_real_view_like_torch(n):
    assert_same_stream(lambda L: (L.randn(n, dtype=L.complex64), L.rand(n, dtype=L.complex128),
                                  L.randn(n, dtype=L.complex128),
                                  L.empty(n, dtype=L.complex64).normal_(1.0, 2.0),
                                  L.randn_like(L.zeros(n, 2, dtype=L.complex64).t())))
