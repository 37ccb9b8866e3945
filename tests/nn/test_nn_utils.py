"""nn.utils vs torch.nn.utils: gradient clipping by total norm and by value, and
flattening parameters to one vector and back."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from differential import check, check_error, gradcheck, gradgradcheck, randn
from module_check import check_module

SHAPES = [(3, 4), (5,), (2, 2, 2)]


def params_with_grads(lib, dtype="float32", scale=1.0, shapes=SHAPES, seed=0):
    """Parameters with fixed gradients, the same in both libraries."""
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes:
        p = lib.nn.Parameter(lib.zeros(*shape, dtype=getattr(lib, dtype)))
        g = (rng.standard_normal(shape) * scale).astype(dtype)
        p.grad = lib.tensor(g)
        out.append(p)
    return out


def grads(params):
    return [None if p.grad is None else p.grad.numpy().copy() for p in params]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), 0, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    e, t = params_with_grads(ember, dtype), params_with_grads(torch, dtype)
    e_norm = ember.nn.utils.clip_grad_norm_(e, max_norm, norm_type=norm_type)
    t_norm = torch.nn.utils.clip_grad_norm_(t, max_norm, norm_type=norm_type)
    assert e_norm.shape == t_norm.shape == ()
    assert str(e_norm.dtype).split(".")[1] == str(t_norm.dtype).split(".")[1]
    rtol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(e_norm.numpy(), t_norm.numpy(), rtol=rtol)
    for a, b in zip(grads(e), grads(t)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-7)


def test_clip_grad_norm_accepts_a_single_tensor_a_generator_and_skips_missing_grads():
    for lib in (ember, torch):
        p = params_with_grads(lib)
        p[1].grad = None
        lib.nn.utils.clip_grad_norm_(iter(p), 1.0)  # an iterator is consumed once
        assert p[1].grad is None
    e, t = params_with_grads(ember)[0], params_with_grads(torch)[0]
    np.testing.assert_allclose(ember.nn.utils.clip_grad_norm_(e, 0.1).numpy(),
                               torch.nn.utils.clip_grad_norm_(t, 0.1).numpy(), rtol=1e-6)
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_clip_grad_norm_without_grads_returns_zero_and_warns_on_empty_generator():
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
            norm = lib.nn.utils.clip_grad_norm_((p for p in []), 1.0)
        assert norm.item() == 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert lib.nn.utils.clip_grad_norm_([lib.nn.Parameter(lib.ones(2))], 1.0) == 0


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_clip_grad_norm_nonfinite(bad):
    def fn(lib):
        p = params_with_grads(lib)
        p[0].grad[0, 0] = bad
        return lib.nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)

    check_error(fn)
    e, t = params_with_grads(ember), params_with_grads(torch)
    for ps in (e, t):
        ps[0].grad[0, 0] = bad
    e_norm = ember.nn.utils.clip_grad_norm_(e, 1.0)
    t_norm = torch.nn.utils.clip_grad_norm_(t, 1.0)
    np.testing.assert_array_equal(e_norm.numpy(), t_norm.numpy())
    for a, b in zip(grads(e), grads(t)):
        np.testing.assert_array_equal(a, b)


def test_get_total_norm_and_clip_grads_with_norm_match_torch():
    e, t = params_with_grads(ember), params_with_grads(torch)
    e_total = ember.nn.utils.get_total_norm([p.grad for p in e], 2.0)
    t_total = torch.nn.utils.get_total_norm([p.grad for p in t], 2.0)
    np.testing.assert_allclose(e_total.numpy(), t_total.numpy(), rtol=1e-6)
    ember.nn.utils.clip_grads_with_norm_(e, 1.0, e_total)
    torch.nn.utils.clip_grads_with_norm_(t, 1.0, t_total)
    for a, b in zip(grads(e), grads(t)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_clip_grad_norm_records_no_history():
    p = ember.nn.Parameter(ember.ones(3))
    p.grad = ember.full((3,), 2.0)
    norm = ember.nn.utils.clip_grad_norm_([p], 1.0)
    assert norm.grad_fn is None and p.grad.grad_fn is None
    assert abs(float((p.grad * p.grad).sum().sqrt()) - 1.0) < 1e-5


def test_deprecated_clip_grad_norm_warns():
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated"):
        ember.nn.utils.clip_grad_norm(params_with_grads(ember), 1.0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("clip_value", [0.3, 5, 0])
def test_clip_grad_value_matches_torch(clip_value, dtype):
    e, t = params_with_grads(ember, dtype), params_with_grads(torch, dtype)
    e[2].grad = t[2].grad = None
    assert ember.nn.utils.clip_grad_value_(e, clip_value) is None
    torch.nn.utils.clip_grad_value_(t, clip_value)
    for a, b in zip(grads(e), grads(t)):
        if b is None:
            assert a is None
        else:
            np.testing.assert_array_equal(a, b)
    single_e, single_t = params_with_grads(ember)[0], params_with_grads(torch)[0]
    ember.nn.utils.clip_grad_value_(single_e, clip_value)
    torch.nn.utils.clip_grad_value_(single_t, clip_value)
    np.testing.assert_array_equal(single_e.grad.numpy(), single_t.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parameters_to_vector_is_a_differentiable_concatenation(dtype):
    check(lambda lib, a, b, c: lib.nn.utils.parameters_to_vector([a, b, c]),
          randn(3, 4, dtype=dtype), randn(5, dtype=dtype), randn(2, 1, 3, dtype=dtype))


def test_vector_to_parameters_replaces_parameter_data():
    vec = randn(12 + 5)
    results = []
    for lib in (ember, torch):
        m = lib.nn.Linear(4, 3) if lib is torch else ember.nn.Linear(4, 3)
        extra = lib.nn.Parameter(lib.zeros(2))
        params = list(m.parameters())
        lib.nn.utils.vector_to_parameters(lib.tensor(vec[:15]), params)
        w = m.weight
        results.append((w.detach().numpy().copy(), m.bias.detach().numpy().copy(),
                        isinstance(w, lib.nn.Parameter), w.requires_grad))
        del extra
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_vector_round_trip_through_a_module():
    m = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.Linear(4, 2))
    vec = ember.nn.utils.parameters_to_vector(m.parameters())
    assert vec.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    ember.nn.utils.vector_to_parameters(vec.detach() * 2, m.parameters())
    np.testing.assert_allclose(ember.nn.utils.parameters_to_vector(m.parameters())
                               .detach().numpy(), vec.detach().numpy() * 2)


def test_vector_to_parameters_requires_a_tensor():
    check_error(lambda lib: lib.nn.utils.vector_to_parameters([1.0], [lib.zeros(1)]))


def test_utils_exports_rnn_only_when_its_file_exists():
    import importlib.util
    has_rnn = importlib.util.find_spec("ember.nn.utils.rnn") is not None
    assert hasattr(ember.nn.utils, "rnn") == has_rnn


# --- stateless.functional_call ----------------------------------------------------------

def _call(lib, module, params, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return lib.nn.utils.stateless.functional_call(module, params, *args, **kw)


def test_functional_call_uses_the_given_tensors_and_restores_the_module():
    x = randn(4, 3)
    w, b = randn(2, 3), randn(2)
    results = []
    for lib in (ember, torch):
        m = lib.nn.Linear(3, 2)
        orig_w = m.weight
        weight = lib.tensor(w, requires_grad=True)
        out = _call(lib, m, {"weight": weight, "bias": lib.tensor(b)}, (lib.tensor(x),))
        out.sum().backward()
        assert m.weight is orig_w and isinstance(m.weight, lib.nn.Parameter)
        assert orig_w.grad is None
        results.append((out.detach().numpy(), weight.grad.numpy()))
    for a, t in zip(*results):
        np.testing.assert_allclose(a, t, rtol=1e-5, atol=1e-6)


def test_functional_call_with_a_partial_dict_a_single_arg_and_kwargs():
    for lib in (ember, torch):
        m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Linear(2, 1))
        zeros = {"1.weight": lib.zeros(1, 2), "1.bias": lib.ones(1)}
        out = _call(lib, m, zeros, lib.ones(3, 2))
        assert out.tolist() == [[1.0], [1.0], [1.0]]
        out = _call(lib, m, zeros, kwargs={"input": lib.ones(1, 2)})
        assert out.tolist() == [[1.0]]


def test_functional_call_ties_shared_weights_and_reports_conflicts_like_torch():
    def build(lib):
        first, second = lib.nn.Linear(2, 2, bias=False), lib.nn.Linear(2, 2, bias=False)
        second.weight = first.weight  # one parameter under two names
        return lib.nn.Sequential(first, second)

    for lib in (ember, torch):
        out = _call(lib, build(lib), {"0.weight": lib.eye(2) * 2}, lib.ones(1, 2))
        assert out.tolist() == [[4.0, 4.0]]
        out = _call(lib, build(lib), {"0.weight": lib.eye(2) * 2}, lib.ones(1, 2),
                    tie_weights=False)
        assert out.tolist() != [[4.0, 4.0]]
    check_error(lambda lib: _call(lib, build(lib), {"0.weight": lib.eye(2),
                                                    "1.weight": lib.eye(2) * 3},
                                  lib.ones(1, 2)))


@pytest.mark.parametrize("params", [
    lambda lib: {"weight": lib.zeros(2, 2)},                                  # missing
    lambda lib: {"weight": lib.zeros(2, 2), "bias": lib.zeros(2), "x": lib.zeros(1)},
])
def test_functional_call_strict_errors_match_torch(params):
    check_error(lambda lib: _call(lib, lib.nn.Linear(2, 2), params(lib), lib.ones(1, 2),
                                  strict=True))


def test_functional_call_errors_for_bad_names_and_values_match_torch():
    check_error(lambda lib: _call(lib, lib.nn.Linear(2, 2), {"nope.weight": lib.zeros(1)},
                                  lib.ones(1, 2)))
    check_error(lambda lib: _call(lib, lib.nn.Linear(2, 2), {"weight": 3.0}, lib.ones(1, 2)))


def test_functional_call_is_deprecated():
    with pytest.warns(FutureWarning, match="stateless.functional_call` is deprecated"):
        ember.nn.utils.stateless.functional_call(ember.nn.Identity(), {}, ember.ones(1))


# --- weight_norm ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,g_shape,dim", [
    ((4, 3), (4, 1), 0), ((4, 3), (1, 3), 1), ((2, 3, 4), (1, 3, 1), 1),
    ((2, 3, 4), (1, 1, 4), 2), ((4, 3), (), -1),
])
def test_weight_norm_op_matches_torch(shape, g_shape, dim, dtype):
    v, g = randn(*shape, dtype=dtype), randn(*g_shape, dtype=dtype, low=0.5)
    check(lambda lib, v, g: lib._weight_norm(v, g, dim), v, g)
    check(lambda lib, v: lib.norm_except_dim(v, 2, dim), v)


@pytest.mark.parametrize("pow", [1, 2, 3])
def test_norm_except_dim_of_everything_matches_torch(pow):
    check(lambda lib, v: lib.norm_except_dim(v, pow, -1), randn(3, 4))
    check(lambda lib, v: lib.norm_except_dim(v, pow, -1), np.zeros((2, 2), np.float32))
    assert gradcheck(lambda lib, v: lib.norm_except_dim(v, pow, -1), randn(2, 3))
    check_error(lambda lib, v: lib.norm_except_dim(v, pow + 0.5, 0), randn(2, 3))


def test_weight_norm_op_gradcheck_and_gradgradcheck():
    v, g = randn(3, 4), randn(3, 1, low=0.5)
    assert gradcheck(lambda lib, v, g: lib._weight_norm(v, g, 0), v, g)
    assert gradgradcheck(lambda lib, v, g: lib._weight_norm(v, g, 0), v, g)
    assert gradcheck(lambda lib, v, g: lib._weight_norm(v, g, 1), v, randn(1, 4, low=0.5))


@pytest.mark.parametrize("build", [
    lambda nn: nn.utils.weight_norm(nn.Linear(3, 2)),
    lambda nn: nn.utils.weight_norm(nn.Linear(3, 2), dim=None),
    lambda nn: nn.utils.weight_norm(nn.Linear(3, 2), name="bias", dim=0),
])
def test_weight_norm_module_matches_torch(build):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        check_module(build, randn(5, 3))


def test_weight_norm_registration_removal_and_errors_match_torch():
    for lib in (ember, torch):
        with pytest.warns(FutureWarning, match="weight_norm` is deprecated"):
            m = lib.nn.utils.weight_norm(lib.nn.Linear(3, 2))
        assert [n for n, _ in m.named_parameters()] == ["bias", "weight_g", "weight_v"]
        assert m.weight.grad_fn.name() == "WeightNormInterfaceBackward0"
        lib.nn.utils.remove_weight_norm(m)
        assert [n for n, _ in m.named_parameters()] == ["bias", "weight"]
        assert isinstance(m.weight, lib.nn.Parameter) and not m._forward_pre_hooks
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        check_error(lambda lib: lib.nn.utils.remove_weight_norm(lib.nn.Linear(1, 1)))
        check_error(lambda lib: lib.nn.utils.weight_norm(
            lib.nn.utils.weight_norm(lib.nn.Linear(1, 1))))
        check_error(lambda lib: lib.nn.utils.weight_norm(lib.nn.LazyLinear(2)))


def test_skip_init_draws_no_random_numbers_and_checks_its_argument():
    for lib in (ember, torch):
        lib.manual_seed(0)
        m = lib.nn.utils.skip_init(lib.nn.Linear, 3, 2, bias=False)
        assert tuple(m.weight.shape) == (2, 3) and m.bias is None
    ember.manual_seed(1)
    torch.manual_seed(1)
    ember.nn.utils.skip_init(ember.nn.Linear, 30, 20)
    torch.nn.utils.skip_init(torch.nn.Linear, 30, 20)
    assert ember.rand(3).tolist() == torch.rand(3).tolist()
    check_error(lambda lib: lib.nn.utils.skip_init(lib.nn.Identity))
    check_error(lambda lib: lib.nn.utils.skip_init(int))


# --- parametrize ------------------------------------------------------------------------

def scale_cls(lib, factor=2.0):
    class Scale(lib.nn.Module):
        def forward(self, x):
            return x * factor

        def right_inverse(self, x):
            return x / factor
    return Scale


def test_register_parametrization_matches_torch_in_repr_keys_values_and_grads():
    def build(nn):
        lib = ember if nn is ember.nn else torch
        m = nn.Linear(3, 2)
        nn.utils.parametrize.register_parametrization(m, "weight", scale_cls(lib)())
        return m

    check_module(build, randn(4, 3))
    for lib in (ember, torch):
        p = lib.nn.utils.parametrize
        m = lib.nn.Linear(3, 2)
        w = m.weight.detach().clone()
        p.register_parametrization(m, "weight", scale_cls(lib)())
        assert type(m).__name__ == "ParametrizedLinear"
        assert p.type_before_parametrizations(m) is lib.nn.Linear
        assert p.is_parametrized(m) and p.is_parametrized(m, "weight")
        assert not p.is_parametrized(m, "bias")
        assert (m.weight == w).all()  # original = right_inverse(w), so weight is w again
        assert m.weight.grad_fn.name() == "MulBackward0"


def test_assigning_a_parametrized_tensor_goes_through_right_inverse():
    for lib in (ember, torch):
        m = lib.nn.Linear(2, 2)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", scale_cls(lib)())
        m.weight = lib.ones(2, 2)
        assert m.parametrizations.weight.original.tolist() == [[0.5, 0.5], [0.5, 0.5]]
        assert m.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_chained_parametrizations_cache_and_removal():
    for lib in (ember, torch):
        p = lib.nn.utils.parametrize
        m = lib.nn.Linear(2, 2)
        with lib.no_grad():
            m.weight.fill_(1.0)
        p.register_parametrization(m, "weight", scale_cls(lib)())
        p.register_parametrization(m, "weight", scale_cls(lib, 3.0)())
        assert len(m.parametrizations.weight) == 2
        assert m.weight.tolist() == [[3.0, 3.0], [3.0, 3.0]]
        with p.cached():
            assert m.weight is m.weight
        assert m.weight is not m.weight
        p.remove_parametrizations(m, "weight", leave_parametrized=True)
        assert type(m) is lib.nn.Linear and not hasattr(m, "parametrizations")
        assert isinstance(m.weight, lib.nn.Parameter) and m.weight.tolist()[0] == [3.0, 3.0]
        p.register_parametrization(m, "bias", scale_cls(lib)())
        p.remove_parametrizations(m, "bias", leave_parametrized=False)
        assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]


@pytest.mark.parametrize("case", ["shape", "missing_tensor", "remove_missing", "dtype"])
def test_parametrize_errors_match_torch(case):
    def fn(lib):
        p = lib.nn.utils.parametrize
        m = lib.nn.Linear(2, 2)

        class Bad(lib.nn.Module):
            def forward(self, x):
                return x[0] if case == "shape" else x.double()

        if case in ("shape", "dtype"):
            p.register_parametrization(m, "weight", Bad())
        elif case == "missing_tensor":
            p.register_parametrization(m, "nope", Bad())
        else:
            p.remove_parametrizations(m, "weight")

    check_error(fn)


def test_parametrized_module_deepcopies_but_does_not_pickle():
    import copy
    import pickle
    m = ember.nn.Linear(2, 2)
    ember.nn.utils.parametrize.register_parametrization(m, "weight", scale_cls(ember)())
    clone = copy.deepcopy(m)
    assert type(clone).__name__ == "ParametrizedLinear"
    assert clone.weight.tolist() == m.weight.tolist()
    assert clone.parametrizations.weight.original is not m.parametrizations.weight.original
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules"):
        pickle.dumps(m)


def test_parametrizations_weight_norm_matches_torch_and_loads_old_checkpoints():
    check_module(lambda nn: nn.utils.parametrizations.weight_norm(nn.Linear(3, 2)),
                 randn(4, 3))
    check_module(lambda nn: nn.utils.parametrizations.weight_norm(nn.Linear(3, 2), dim=None),
                 randn(4, 3), modes=("train",))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = torch.nn.utils.weight_norm(torch.nn.Linear(3, 2))
    new = ember.nn.utils.parametrizations.weight_norm(ember.nn.Linear(3, 2))
    new.load_state_dict({k: v.detach().numpy().copy() for k, v in old.state_dict().items()})
    x = randn(2, 3)
    np.testing.assert_allclose(new(ember.from_numpy(x)).detach().numpy(),
                               old(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("build,shape", [
    (lambda nn: nn.utils.parametrizations.spectral_norm(nn.Linear(4, 3)), (2, 4)),
    (lambda nn: nn.utils.parametrizations.spectral_norm(nn.Linear(4, 3), "bias"), (2, 4)),
    (lambda nn: nn.utils.parametrizations.spectral_norm(nn.Linear(4, 3),
                                                        n_power_iterations=3, dim=1), (2, 4)),
    (lambda nn: nn.utils.parametrizations.spectral_norm(nn.Conv2d(2, 3, 3)), (1, 2, 5, 5)),
    (lambda nn: nn.utils.parametrizations.spectral_norm(nn.ConvTranspose2d(2, 3, 3)),
     (1, 2, 4, 4)),
])
def test_parametrizations_spectral_norm_matches_torch(build, shape):
    check_module(build, randn(*shape), rtol=1e-4, atol=1e-5)


def test_spectral_norm_draws_torchs_vectors_and_checks_arguments():
    for lib in (ember, torch):
        lib.manual_seed(0)
    e = ember.nn.utils.parametrizations.spectral_norm(ember.nn.Linear(5, 4))
    t = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(5, 4))
    for (name, eb), (_, tb) in zip(e.named_buffers(), t.named_buffers()):
        np.testing.assert_allclose(eb.numpy(), tb.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
    check_error(lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2),
                                                                       "nope"))
    check_error(lambda lib: lib.nn.utils.parametrizations.spectral_norm(
        lib.nn.Linear(2, 2), n_power_iterations=0))
    check_error(lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2),
                                                                       dim=2))
