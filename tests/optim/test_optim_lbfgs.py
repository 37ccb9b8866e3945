"""LBFGS follows torch's iterations: same parameters, losses and state after several
`step(closure)` calls, with and without the strong-Wolfe line search."""

import numpy as np
import pytest
import torch

import ember

START = np.array([-1.2, 1.0, -0.5, 0.8, 0.3, -1.1])
_M = np.random.default_rng(11).standard_normal((6, 6))
Q = _M @ _M.T / 6 + np.eye(6)  # well conditioned, so rounding differences stay small
RHS = np.arange(6.0) / 3 - 1


def quartic_and_grad(x):
    """A smooth convex objective 0.5 x'Qx + 0.25 sum(x^4) - rhs'x and its gradient."""
    f = 0.5 * x @ Q @ x + 0.25 * np.sum(x**4) - RHS @ x
    return f, Q @ x + x**3 - RHS


def rosenbrock_and_grad(x):
    """The Rosenbrock function of the flat vector x and its gradient, in float64."""
    f = np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return f, g


def run(lib, dtype, steps, objective=quartic_and_grad, **kwargs):
    """The loss and gradient are computed in NumPy from the parameters, so both
    libraries see identical values and only LBFGS itself is compared."""
    a = lib.tensor(START[:2].astype(dtype), requires_grad=True)
    b = lib.tensor(START[2:].reshape(2, 2).astype(dtype), requires_grad=True)
    opt = lib.optim.LBFGS([a, b], **kwargs)
    evaluations = []

    def closure():
        opt.zero_grad()
        x = np.concatenate([a.detach().numpy().ravel(), b.detach().numpy().ravel()])
        f, g = objective(x.astype(np.float64))
        a.grad = lib.tensor(g[:2].astype(dtype))
        b.grad = lib.tensor(g[2:].reshape(2, 2).astype(dtype))
        evaluations.append(f)
        return lib.tensor(np.array(f, dtype))

    losses = [float(opt.step(closure)) for _ in range(steps)]
    return opt, [a, b], losses, evaluations


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", [
    {"lr": 0.1},
    {"lr": 0.05, "history_size": 3, "max_iter": 7},
    {"line_search_fn": "strong_wolfe"},
    {"line_search_fn": "strong_wolfe", "history_size": 2, "max_iter": 10, "lr": 0.5},
    {"line_search_fn": "strong_wolfe", "tolerance_change": 1e-3, "tolerance_grad": 1e-2},
], ids=["fixed", "fixed-short-history", "wolfe", "wolfe-short-history", "wolfe-tolerances"])
def test_lbfgs_matches_torch(kwargs, dtype):
    ours, our_params, our_losses, our_evals = run(ember, dtype, 4, **kwargs)
    theirs, their_params, their_losses, their_evals = run(torch, dtype, 4, **kwargs)
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(our_losses, their_losses, rtol=rtol)
    assert len(our_evals) == len(their_evals)
    for a, b in zip(our_params, their_params):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol,
                                   atol=rtol * 0.1)
    our_state = ours.state_dict()["state"][0]
    their_state = theirs.state_dict()["state"][0]
    assert list(our_state) == list(their_state)
    assert our_state["func_evals"] == their_state["func_evals"]
    assert our_state["n_iter"] == their_state["n_iter"]
    assert len(our_state["old_dirs"]) == len(their_state["old_dirs"])
    np.testing.assert_allclose(our_state["d"].numpy(), their_state["d"].numpy(),
                               rtol=rtol * 100, atol=rtol)


def test_lbfgs_converges_on_rosenbrock_like_torch():
    # Rosenbrock's valley amplifies last-bit differences (torch fuses multiply-adds),
    # so the two runs agree only to about 1e-6 although they take the same steps.
    runs = [run(lib, np.float64, 30, objective=rosenbrock_and_grad,
                line_search_fn="strong_wolfe") for lib in (ember, torch)]
    (_, our_params, _, our_evals), (_, their_params, _, their_evals) = runs
    assert len(our_evals) == len(their_evals)
    for a, b in zip(our_params, their_params):
        np.testing.assert_allclose(a.detach().numpy(), 1.0, atol=1e-5)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-6)


def test_lbfgs_stops_at_once_when_the_gradient_is_small():
    for lib in (ember, torch):
        a = lib.tensor([1.0, 1.0], requires_grad=True)
        opt = lib.optim.LBFGS([a])

        def closure(a=a, opt=opt):
            opt.zero_grad()
            loss = ((a - 1) ** 2).sum()
            loss.backward()
            return loss

        assert float(opt.step(closure).detach()) == 0.0
        assert opt.state[a]["func_evals"] == 1 and opt.state[a]["n_iter"] == 0


def test_lbfgs_trains_an_mlp_with_autograd_like_torch():
    rng = np.random.default_rng(3)
    w1, w2 = rng.standard_normal((4, 3)) * 0.5, rng.standard_normal((1, 4)) * 0.5
    x, y = rng.standard_normal((10, 3)), rng.standard_normal((10, 1))
    results = []
    for lib in (ember, torch):
        p1 = lib.tensor(w1, requires_grad=True)
        p2 = lib.tensor(w2, requires_grad=True)
        opt = lib.optim.LBFGS([p1, p2], line_search_fn="strong_wolfe", max_iter=5)

        def closure(p1=p1, p2=p2, opt=opt, lib=lib):
            opt.zero_grad()
            out = lib.tanh(lib.tensor(x) @ p1.t()) @ p2.t()
            loss = ((out - lib.tensor(y)) ** 2).mean()
            loss.backward()
            return loss

        for _ in range(3):
            opt.step(closure)
        results.append((p1.detach().numpy().copy(), p2.detach().numpy().copy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_unknown_line_search_raises_like_torch():
    messages = []
    for lib in (ember, torch):
        a = lib.tensor([0.5, 2.0], requires_grad=True)
        opt = lib.optim.LBFGS([a], line_search_fn="armijo")

        def closure(a=a, opt=opt):
            opt.zero_grad()
            loss = (a**2).sum()
            loss.backward()
            return loss

        with pytest.raises(RuntimeError) as info:
            opt.step(closure)
        messages.append(str(info.value))
    assert messages[0] == messages[1] == "only 'strong_wolfe' is supported"


def test_lbfgs_resumes_from_torchs_state_dict():
    def closure_for(lib, opt, ps):
        def closure():
            opt.zero_grad()
            x = np.concatenate([p.detach().numpy().ravel() for p in ps])
            f, g = quartic_and_grad(x)
            ps[0].grad = lib.tensor(g[:2].copy())
            ps[1].grad = lib.tensor(g[2:].reshape(2, 2).copy())
            return lib.tensor(f)
        return closure

    kwargs = {"line_search_fn": "strong_wolfe", "max_iter": 3, "history_size": 4}
    t_ps = [torch.tensor(START[:2].copy(), requires_grad=True),
            torch.tensor(START[2:].reshape(2, 2).copy(), requires_grad=True)]
    t_opt = torch.optim.LBFGS(t_ps, **kwargs)
    for _ in range(2):
        t_opt.step(closure_for(torch, t_opt, t_ps))

    def to_numpy(v):
        if isinstance(v, torch.Tensor):
            return v.numpy().copy()
        if isinstance(v, dict):
            return {k: to_numpy(x) for k, x in v.items()}
        if isinstance(v, list):
            return [to_numpy(x) for x in v]
        return v

    e_ps = [ember.tensor(p.detach().numpy().copy(), requires_grad=True) for p in t_ps]
    e_opt = ember.optim.LBFGS(e_ps, **kwargs)
    e_opt.load_state_dict(to_numpy(t_opt.state_dict()))
    for _ in range(2):
        t_opt.step(closure_for(torch, t_opt, t_ps))
        e_opt.step(closure_for(ember, e_opt, e_ps))
    for a, b in zip(e_ps, t_ps):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10)
    assert e_opt.state[e_ps[0]]["n_iter"] == t_opt.state[t_ps[0]]["n_iter"]
    assert e_opt.state[e_ps[0]]["func_evals"] == t_opt.state[t_ps[0]]["func_evals"]
