"""Every optimizer, with each of its options, moves a small model's parameters exactly as
torch does: same initial weights and data, 20 steps, compared at float rounding."""

import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(1234)
SHAPES = {"w1": (6, 5), "b1": (6,), "w2": (3, 6), "b2": (3,)}
INIT = {k: RNG.standard_normal(s) * 0.5 for k, s in SHAPES.items()}
X = RNG.standard_normal((8, 5))
Y = RNG.standard_normal((8, 3))


def make_params(lib, dtype):
    np_dtype = np.float32 if dtype == "float32" else np.float64
    return [lib.tensor(INIT[k].astype(np_dtype), requires_grad=True) for k in SHAPES]


def loss_fn(lib, params, dtype):
    np_dtype = np.float32 if dtype == "float32" else np.float64
    w1, b1, w2, b2 = params
    x = lib.tensor(X.astype(np_dtype))
    y = lib.tensor(Y.astype(np_dtype))
    h = lib.tanh(x @ w1.t() + b1)
    out = h @ w2.t() + b2
    return ((out - y) ** 2).mean()


def run(lib, name, kwargs, dtype, steps=20, use_closure=False):
    params = make_params(lib, dtype)
    opt = getattr(lib.optim, name)(params, **kwargs)

    def closure():
        opt.zero_grad()
        loss = loss_fn(lib, params, dtype)
        loss.backward()
        return loss

    losses = []
    for _ in range(steps):
        if use_closure:
            losses.append(float(opt.step(closure).detach()))
        else:
            losses.append(float(closure().detach()))
            opt.step()
    return [p.detach().numpy().copy() for p in params], losses, opt


CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "nesterov": True, "weight_decay": 0.1,
             "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "maximize": True, "decoupled_weight_decay": True,
              "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.3, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1,
                 "weight_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "maximize": True, "eps": 1e-6}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.5, "weight_decay": 0.1, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.7, 0.9), "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True,
               "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "betas": (0.5, 0.7), "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "betas": (0.6, 0.8), "weight_decay": 0.1,
               "decoupled_weight_decay": True, "maximize": True}),
]


C1 = {k: RNG.standard_normal(s) for k, s in SHAPES.items()}
C2 = {k: RNG.standard_normal(s) * 0.3 for k, s in SHAPES.items()}


def run_with_given_grads(lib, name, kwargs, dtype, steps=20):
    """Each step sets `p.grad = tanh(c1 * p + c2)`, computed in NumPy from the current
    parameters, so both libraries receive bit-identical gradients and only the
    optimizers' arithmetic is compared."""
    np_dtype = np.dtype(dtype)
    params = [lib.tensor(INIT[k].astype(np_dtype), requires_grad=True) for k in SHAPES]
    opt = getattr(lib.optim, name)(params, **kwargs)
    for _ in range(steps):
        for k, p in zip(SHAPES, params):
            x = p.detach().numpy().astype(np.float64)
            p.grad = lib.tensor(np.tanh(x * C1[k] + C2[k]).astype(np_dtype))
        opt.step()
    return [p.detach().numpy().copy() for p in params], opt


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{i}" for i, (n, _) in
                                                         enumerate(CASES)])
def test_twenty_steps_match_torch(name, kwargs, dtype):
    ours, _ = run_with_given_grads(ember, name, kwargs, dtype)
    theirs, _ = run_with_given_grads(torch, name, kwargs, dtype)
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


TRAINING = [c for c in CASES if not c[1].get("maximize")]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "kwargs"), TRAINING, ids=[f"{n}-{i}" for i, (n, _) in
                                                            enumerate(TRAINING)])
def test_training_an_mlp_with_autograd_matches_torch(name, kwargs, dtype):
    # Gradients now come from each library's own backward pass, whose float32 sums are
    # ordered differently (BLAS), so float32 gets a tolerance for that as well.
    ours, our_losses, _ = run(ember, name, kwargs, dtype, steps=10)
    theirs, their_losses, _ = run(torch, name, kwargs, dtype, steps=10)
    rtol, atol = (2e-5, 2e-6) if dtype == "float32" else (1e-10, 1e-12)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    np.testing.assert_allclose(our_losses, their_losses, rtol=rtol, atol=atol)


@pytest.mark.parametrize(("name", "kwargs"), [("SGD", {"lr": 0.1, "momentum": 0.9}),
                                              ("Adam", {"lr": 0.01})])
def test_step_with_closure_returns_the_loss_like_torch(name, kwargs):
    ours, our_losses, _ = run(ember, name, kwargs, "float32", steps=5, use_closure=True)
    theirs, their_losses, _ = run(torch, name, kwargs, "float32", steps=5, use_closure=True)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-6)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(("name", "kwargs"), [("SGD", {"lr": 0.1, "momentum": 0.9}),
                                              ("Adam", {}), ("NAdam", {}), ("RMSprop",
                                              {"momentum": 0.5, "centered": True})])
def test_state_matches_torch(name, kwargs):
    _, ours = run_with_given_grads(ember, name, kwargs, "float32", steps=7)
    _, theirs = run_with_given_grads(torch, name, kwargs, "float32", steps=7)
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert ours_sd["param_groups"] == theirs_sd["param_groups"]
    assert ours_sd["state"].keys() == theirs_sd["state"].keys()
    for i, st in theirs_sd["state"].items():
        assert list(ours_sd["state"][i]) == list(st)
        for key, value in st.items():
            mine = ours_sd["state"][i][key]
            assert isinstance(mine, ember.Tensor)
            assert str(mine.dtype).replace("ember", "torch") == str(value.dtype)
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(("name", "kwargs"), [("SGD", {"lr": 0.1, "momentum": 0.9,
                                                        "nesterov": True}),
                                              ("Adam", {"lr": 0.1, "amsgrad": True}),
                                              ("RMSprop", {"centered": True}),
                                              ("Adagrad", {}), ("Adadelta", {}),
                                              ("Adamax", {}), ("NAdam", {}), ("RAdam", {})])
def test_non_contiguous_zero_dim_and_empty_parameters(name, kwargs):
    base = RNG.standard_normal((4, 3)).astype(np.float32)
    scalar = np.float32(0.7)
    results = []
    for lib in (ember, torch):
        transposed = lib.tensor(base).t().requires_grad_()  # a non-contiguous leaf
        zero_dim = lib.tensor(scalar, requires_grad=True)
        empty = lib.zeros(0, 2, requires_grad=True)
        ps = [transposed, zero_dim, empty]
        opt = getattr(lib.optim, name)(ps, **kwargs)

        def closure(ps=ps, opt=opt, lib=lib):
            opt.zero_grad()
            loss = (ps[0] ** 2).sum() * 0.5 + lib.tanh(ps[1]) + ps[2].sum()
            loss.backward()
            return loss

        for _ in range(4):
            opt.step(closure)
        results.append([p.detach().numpy().copy() for p in ps])
    for a, b in zip(*results):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize(("name", "kwargs"), [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}), ("AdamW", {"lr": 0.05}),
    ("RMSprop", {"centered": True, "momentum": 0.5}),
    ("Adagrad", {"initial_accumulator_value": 0.2}), ("Adadelta", {"weight_decay": 0.1}),
    ("Adamax", {"maximize": True}), ("NAdam", {}), ("RAdam", {"betas": (0.5, 0.7)}),
])
def test_complex_parameters_are_updated_as_real_pairs_like_torch(name, kwargs, dtype):
    # torch applies the adaptive updates to view_as_real(param): real and imaginary
    # parts are separate coordinates.
    init = (RNG.standard_normal((3, 2)) + 1j * RNG.standard_normal((3, 2))).astype(dtype)
    scale = RNG.standard_normal((3, 2)) + 1j * RNG.standard_normal((3, 2))
    results = []
    for lib in (ember, torch):
        p = lib.tensor(init, requires_grad=True)
        opt = getattr(lib.optim, name)([p], **kwargs)
        for _ in range(10):
            x = p.detach().numpy().astype(np.complex128)
            p.grad = lib.tensor((np.tanh(x.real) * scale + 1j * np.cos(x.imag)).astype(dtype))
            opt.step()
        results.append(p.detach().numpy().copy())
    tol = 1e-5 if dtype == "complex64" else 1e-12
    np.testing.assert_allclose(results[0], results[1], rtol=tol, atol=tol)


def test_lbfgs_complex_parameter_like_torch():
    target = np.array([1 + 2j, -0.5 + 0.25j, 0.3 - 1j])
    results = []
    for lib in (ember, torch):
        p = lib.tensor(np.zeros(3, np.complex128), requires_grad=True)
        opt = lib.optim.LBFGS([p], line_search_fn="strong_wolfe")

        def closure(p=p, opt=opt, lib=lib):
            opt.zero_grad()
            d = p.detach().numpy() - target
            p.grad = lib.tensor(2 * d + 0.1 * d**3)
            return lib.tensor(float(np.sum(np.abs(d) ** 2)))

        opt.step(closure)
        results.append(p.detach().numpy().copy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12, atol=1e-12)
