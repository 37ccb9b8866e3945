"""Identity, Linear, Bilinear, Flatten, Unflatten and F.bilinear vs torch: outputs,
gradients, state_dict keys, reprs, default initialisation and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from differential import check, check_error, gradcheck, gradgradcheck, randn
from module_check import check_module

F64 = np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 4, 3), (0, 3)])
def test_linear_matches_torch(dtype, shape):
    cast = (lambda m: m.double()) if dtype == F64 else (lambda m: m)
    check_module(lambda nn: cast(nn.Linear(3, 2)), randn(*shape, dtype=dtype))


def test_linear_without_bias_and_noncontiguous_input():
    check_module(lambda nn: nn.Linear(4, 3, bias=False), randn(4, 5).T)


def test_linear_dtype_argument_and_zero_features():
    check_module(lambda nn: nn.Linear(3, 2, dtype=nn.Linear(1, 1).weight.dtype), randn(2, 3))
    e, t = ember.nn.Linear(3, 2, dtype=ember.float64), torch.nn.Linear(3, 2,
                                                                      dtype=torch.float64)
    assert e.weight.dtype is ember.float64 and str(t.weight.dtype) == "torch.float64"
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        e0 = ember.nn.Linear(0, 2)
    assert e0.weight.shape == (2, 0) and (e0.bias == 0).all()
    check_module(lambda nn: nn.Linear(0, 2), randn(3, 0), modes=("eval",))


def test_linear_default_init_is_within_the_kaiming_bound():
    m = ember.nn.Linear(50, 40)
    bound = 1 / np.sqrt(50)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01  # U(-k, k) has std k / sqrt(3)
    assert repr(m) == "Linear(in_features=50, out_features=40, bias=True)"


def test_linear_default_init_draws_torchs_numbers_after_manual_seed():
    ember.manual_seed(7)
    torch.manual_seed(7)
    e, t = ember.nn.Linear(20, 30), torch.nn.Linear(20, 30)
    for (name, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_array_equal(ep.detach().numpy(), tp.detach().numpy(), err_msg=name)


def test_linear_shape_error_matches_torch():
    check_error(lambda lib, x: lib.nn.Linear(3, 2)(x), randn(4, 4))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", [((5, 3), (5, 4)), ((3,), (4,)), ((2, 2, 3), (2, 2, 4))])
def test_bilinear_module_matches_torch(dtype, shapes):
    cast = (lambda m: m.double()) if dtype == F64 else (lambda m: m)
    a, b = (randn(*s, dtype=dtype) for s in shapes)
    check_module(lambda nn: cast(nn.Bilinear(3, 4, 2)), a, b)
    check_module(lambda nn: cast(nn.Bilinear(3, 4, 2, bias=False)), a, b, modes=("eval",))


def test_functional_bilinear_values_grads_and_grad_fn():
    x1, x2, w, b = randn(6, 3), randn(6, 4), randn(2, 3, 4), randn(2)
    check(lambda lib, *a: lib.nn.functional.bilinear(*a), x1, x2, w, b)
    check(lambda lib, *a: lib.nn.functional.bilinear(*a), x1, x2, w)  # ViewBackward0
    check(lambda lib, *a: lib.bilinear(*a), x1[0], x2[0], w, b)


def test_functional_bilinear_gradcheck_and_gradgradcheck():
    x1, x2, w, b = randn(3, 2), randn(3, 3), randn(2, 2, 3), randn(2)
    assert gradcheck(lambda lib, *a: lib.nn.functional.bilinear(*a), x1, x2, w, b)
    assert gradgradcheck(lambda lib, *a: lib.nn.functional.bilinear(*a), x1, x2, w, b)


@pytest.mark.parametrize("shapes", [
    ((4, 3), (3, 4), (2, 3, 4), (2,)),     # batch dims differ
    ((4, 4), (4, 4), (2, 3, 4), (2,)),     # input1 features
    ((4, 3), (4, 5), (2, 3, 4), (2,)),     # input2 features
    ((4, 3), (4, 4), (2, 3, 4), (3,)),     # bias
    ((4, 3), (4,), (2, 3, 4), (2,)),       # dims
])
def test_functional_bilinear_errors_match_torch(shapes):
    arrays = [randn(*s) for s in shapes]
    check_error(lambda lib, *a: lib.nn.functional.bilinear(*a), *arrays)


def test_bilinear_init_and_invalid_features():
    m = ember.nn.Bilinear(4, 3, 5)
    assert m.weight.shape == (5, 4, 3) and np.abs(m.weight.detach().numpy()).max() <= 0.5
    assert repr(m) == repr(torch.nn.Bilinear(4, 3, 5))
    check_error(lambda lib: lib.nn.Bilinear(0, 3, 5))


def test_identity_passes_input_through_and_ignores_arguments():
    check_module(lambda nn: nn.Identity(54, unused="x"), randn(2, 3))
    x = ember.ones(2)
    assert ember.nn.Identity()(x) is x


@pytest.mark.parametrize("args,shape", [((), (2, 3, 4)), ((0, -1), (2, 3, 4)),
                                        ((1, 2), (2, 3, 4, 5)), ((2,), (2, 3, 4)),
                                        ((0,), ())])
def test_flatten_matches_torch(args, shape):
    check_module(lambda nn: nn.Flatten(*args), randn(*shape))


def test_flatten_error_matches_torch():
    check_error(lambda lib, x: lib.nn.Flatten(3)(x), randn(2, 3))


@pytest.mark.parametrize("dim,sizes", [(1, (2, 3)), (1, [3, 2]), (-1, (3, -1)), (0, (1, 2))])
def test_unflatten_matches_torch(dim, sizes):
    check_module(lambda nn: nn.Unflatten(dim, sizes), randn(2, 6))


@pytest.mark.parametrize("dim,sizes", [(1, (2, 4)), (1, (4,)), (2, (2, 3))])
def test_unflatten_forward_errors_match_torch(dim, sizes):
    check_error(lambda lib, x: lib.nn.Unflatten(dim, sizes)(x), randn(2, 6))


@pytest.mark.parametrize("sizes", [5, (2, 3.0)])
def test_unflatten_constructor_errors_match_torch(sizes):
    check_error(lambda lib: lib.nn.Unflatten(1, sizes))


# --- LazyLinear -------------------------------------------------------------------------

def test_lazy_linear_before_and_after_the_first_call_matches_torch():
    ember.manual_seed(3)
    torch.manual_seed(3)
    e, t = ember.nn.LazyLinear(4), torch.nn.LazyLinear(4)
    assert repr(e) == repr(t) == "LazyLinear(in_features=0, out_features=4, bias=True)"
    assert repr(e.weight) == repr(t.weight) == "<UninitializedParameter>"
    assert [repr(v) for v in e.state_dict().values()] == \
        [repr(v) for v in t.state_dict().values()]
    assert e.has_uninitialized_params()
    x = randn(2, 6)
    e_out, t_out = e(ember.from_numpy(x)), t(torch.from_numpy(x))
    assert type(e) is ember.nn.Linear and repr(e) == repr(t)
    np.testing.assert_array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    assert not e._forward_pre_hooks


def test_lazy_linear_shape_access_and_load_state_dict_like_torch():
    check_error(lambda lib: lib.nn.LazyLinear(3).weight.shape)
    for lib in (ember, torch):
        m = lib.nn.LazyLinear(3, bias=False)
        assert m.bias is None
        result = m.load_state_dict(lib.nn.Linear(5, 3, bias=False).state_dict())
        assert repr(result) == "<All keys matched successfully>"
        assert tuple(m.weight.shape) == (3, 5) and type(m).__name__ == "LazyLinear"


def test_lazy_linear_casts_and_copies_while_uninitialized():
    import copy
    m = ember.nn.LazyLinear(2).double()
    assert m.weight.dtype is ember.float64
    clone = copy.deepcopy(m)
    assert repr(clone.weight) == "<UninitializedParameter>"
    clone(ember.ones(1, 3, dtype=ember.float64))
    assert clone.weight.shape == (2, 3) and clone.weight.dtype is ember.float64
