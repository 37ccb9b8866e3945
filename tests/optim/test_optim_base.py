"""The Optimizer base class: param groups, defaults, validation errors, zero_grad,
closures, hooks, repr and state_dict round trips, each compared with torch."""

import copy
import warnings

import numpy as np
import pytest
import torch

import ember
from differential import check_error

NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
         "RAdam", "LBFGS"]
RNG = np.random.default_rng(7)
W = RNG.standard_normal((4, 3)).astype(np.float32)
B = RNG.standard_normal(4).astype(np.float32)


def params(lib, dtype=np.float32):
    return [lib.tensor(W.astype(dtype), requires_grad=True),
            lib.tensor(B.astype(dtype), requires_grad=True)]


def kwargs_for(name):
    return {"lr": 0.1} if name == "SGD" else {}


def without_params(group):
    return {k: v for k, v in group.items() if k != "params"}


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_hold_torchs_defaults(name):
    ours = getattr(ember.optim, name)(params(ember), **kwargs_for(name))
    theirs = getattr(torch.optim, name)(params(torch), **kwargs_for(name))
    assert without_params(ours.param_groups[0]) == without_params(theirs.param_groups[0])
    assert list(ours.param_groups[0]) == list(theirs.param_groups[0])
    assert ours.defaults == theirs.defaults
    assert len(ours.param_groups[0]["params"]) == 2


@pytest.mark.parametrize("name", NAMES)
def test_repr_matches_torch(name):
    ours = getattr(ember.optim, name)(params(ember), **kwargs_for(name))
    theirs = getattr(torch.optim, name)(params(torch), **kwargs_for(name))
    assert repr(ours) == repr(theirs)


def test_per_group_options_override_defaults():
    def build(lib):
        w, b = params(lib)
        return lib.optim.SGD([{"params": [w]}, {"params": b, "lr": 0.5, "momentum": 0.9}],
                             lr=0.1, momentum=0.1)
    ours, theirs = build(ember), build(torch)
    assert [without_params(g) for g in ours.param_groups] == \
        [without_params(g) for g in theirs.param_groups]
    assert repr(ours) == repr(theirs)


def test_add_param_group_adds_a_group_with_defaults():
    for lib in (ember, torch):
        w, b = params(lib)
        opt = lib.optim.Adam([w], lr=0.01)
        opt.add_param_group({"params": b, "betas": (0.5, 0.6)})
        assert opt.param_groups[1]["lr"] == 0.01
        assert opt.param_groups[1]["betas"] == (0.5, 0.6)
        assert opt.param_groups[1]["params"][0] is b


def test_named_parameters_keep_their_names():
    for lib in (ember, torch):
        w, b = params(lib)
        opt = lib.optim.SGD([("weight", w), ("bias", b)], lr=0.1)
        assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
        assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_parameter_in_two_groups_is_an_error():
    def fn(lib):
        w, b = params(lib)
        lib.optim.SGD([{"params": [w, b]}, {"params": [w]}], lr=0.1)
    check_error(fn)


def test_add_param_group_with_a_parameter_already_present_is_an_error():
    def fn(lib):
        w, b = params(lib)
        opt = lib.optim.SGD([w, b], lr=0.1)
        opt.add_param_group({"params": [b]})
    check_error(fn)


@pytest.mark.parametrize("bad", [
    lambda lib, ps: lib.optim.SGD([], lr=0.1),
    lambda lib, ps: lib.optim.SGD(ps[0], lr=0.1),
    lambda lib, ps: lib.optim.SGD([ps[0] * 2], lr=0.1),
    lambda lib, ps: lib.optim.SGD([1.0], lr=0.1),
    lambda lib, ps: lib.optim.SGD([{"params": {ps[0]}}], lr=0.1),
    lambda lib, ps: lib.optim.SGD([("w", ps[0]), ps[1]], lr=0.1),
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1).add_param_group([ps[0]]),
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1).load_state_dict(
        {"state": {}, "param_groups": []}),
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1).load_state_dict(
        {"state": {}, "param_groups": [{"params": [0]}]}),
    lambda lib, ps: lib.optim.LBFGS([{"params": ps[0]}, {"params": ps[1]}]),
], ids=["empty", "tensor", "non-leaf", "number", "set", "half-named", "group-not-dict",
        "group-count", "group-size", "lbfgs-groups"])
def test_bad_params_raise_like_torch(bad):
    check_error(lambda lib: bad(lib, params(lib)))


BAD_HYPERPARAMETERS = [
    ("SGD", {"lr": -0.1}), ("SGD", {"lr": 0.1, "momentum": -0.5}),
    ("SGD", {"lr": 0.1, "weight_decay": -1}), ("SGD", {"lr": 0.1, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}),
    ("Adam", {"lr": -1e-3}), ("Adam", {"eps": -1.0}), ("Adam", {"betas": (1.0, 0.999)}),
    ("Adam", {"betas": (0.9, -0.1)}), ("Adam", {"weight_decay": -0.1}),
    ("Adam", {"betas": (0.9, 1)}), ("AdamW", {"lr": -1.0}), ("AdamW", {"weight_decay": -1e-2}),
    ("RMSprop", {"lr": -0.1}), ("RMSprop", {"eps": -1e-8}), ("RMSprop", {"momentum": -1}),
    ("RMSprop", {"weight_decay": -1}), ("RMSprop", {"alpha": -0.5}),
    ("Adagrad", {"lr": -1}), ("Adagrad", {"lr_decay": -1}), ("Adagrad", {"weight_decay": -1}),
    ("Adagrad", {"initial_accumulator_value": -1}), ("Adagrad", {"eps": -1}),
    ("Adadelta", {"lr": -1}), ("Adadelta", {"rho": 1.5}), ("Adadelta", {"eps": -1}),
    ("Adadelta", {"weight_decay": -1}),
    ("Adamax", {"lr": -1}), ("Adamax", {"betas": (0.9, 1.0)}), ("Adamax", {"eps": -1}),
    ("NAdam", {"momentum_decay": -1}), ("NAdam", {"betas": (-0.1, 0.9)}),
    ("RAdam", {"weight_decay": -1}), ("RAdam", {"eps": -1e-8}), ("LBFGS", {"lr": -1}),
]


@pytest.mark.parametrize(("name", "kwargs"), BAD_HYPERPARAMETERS)
def test_invalid_hyperparameters_raise_torchs_errors(name, kwargs):
    check_error(lambda lib: getattr(lib.optim, name)(params(lib), **kwargs))


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_like_torch(set_to_none):
    results = []
    for lib in (ember, torch):
        w, b = params(lib)
        (w.sum() * 2 + b.sum()).backward()
        grad_before = w.grad
        lib.optim.SGD([w, b], lr=0.1).zero_grad(set_to_none=set_to_none)
        if set_to_none:
            results.append((w.grad is None, b.grad is None))
        else:
            results.append((w.grad is grad_before, w.grad.numpy().tolist(),
                            b.grad.numpy().tolist(), w.grad.requires_grad))
    assert results[0] == results[1]


def test_parameters_without_grad_are_skipped_and_get_no_state():
    for lib in (ember, torch):
        w, b = params(lib)
        w.sum().backward()
        opt = lib.optim.Adam([w, b], lr=0.1)
        opt.step()
        assert b.grad is None
        np.testing.assert_array_equal(b.detach().numpy(), B)
        assert len(opt.state) == 1 and w in opt.state


def test_step_updates_in_place_and_bumps_the_version():
    for lib in (ember, torch):
        w, b = params(lib)
        (w * w).sum().backward()
        before, version = w.detach(), w._version
        lib.optim.SGD([w], lr=0.1, momentum=0.9).step()
        assert w._version > version
        assert not np.array_equal(before.numpy(), W)  # the detached view saw the update


def test_closure_runs_with_grad_enabled_and_its_loss_is_returned():
    for lib in (ember, torch):
        w, b = params(lib)
        opt = lib.optim.SGD([w, b], lr=0.1)

        def closure(w=w, b=b, opt=opt, lib=lib):
            opt.zero_grad()
            loss = (w.sum() + b.sum()) ** 2
            assert lib.is_grad_enabled()
            loss.backward()
            return loss

        with lib.no_grad():
            loss = opt.step(closure)
        assert loss.item() == pytest.approx(float(W.sum() + B.sum()) ** 2, rel=1e-5)
        np.testing.assert_allclose(w.detach().numpy(), W - 0.1 * 2 * (W.sum() + B.sum()),
                                   rtol=1e-5)


@pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])
def test_step_hooks_run_around_each_step(lib):
    w, b = params(lib)
    w.sum().backward()
    opt = lib.optim.SGD([w], lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o)))
    post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o)))
    opt.step()
    assert calls == [("pre", opt), ("post", opt)]
    pre.remove()
    post.remove()
    opt.step()
    assert len(calls) == 2


@pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])
def test_state_dict_hooks(lib):
    w, b = params(lib)
    opt = lib.optim.SGD([w], lr=0.1)
    seen = []
    opt.register_state_dict_pre_hook(lambda o: seen.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_post_hook(lambda o: seen.append("loaded"))
    sd = opt.state_dict()
    assert sd["extra"] == 1
    opt.load_state_dict(sd)
    assert seen == ["pre", "loaded"]


def to_numpy(value):
    if isinstance(value, torch.Tensor):
        return value.numpy().copy()
    if isinstance(value, dict):
        return {k: to_numpy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_numpy(v) for v in value]
    return value


def to_torch(value):
    if isinstance(value, ember.Tensor):
        return torch.tensor(value.numpy().copy())
    if isinstance(value, dict):
        return {k: to_torch(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_torch(v) for v in value]
    return value


def train(lib, opt, ps, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss = ((ps[0] ** 2).sum() + (lib.tanh(ps[1]) * ps[1]).sum())
        loss.backward()
        opt.step()


OPTIONS = {"SGD": {"lr": 0.1, "momentum": 0.9}, "Adam": {"amsgrad": True},
           "AdamW": {}, "RMSprop": {"centered": True, "momentum": 0.5}, "Adagrad": {},
           "Adadelta": {}, "Adamax": {}, "NAdam": {}, "RAdam": {}}


@pytest.mark.parametrize("name", list(OPTIONS))
def test_state_dict_has_torchs_layout(name):
    sds = []
    for lib in (ember, torch):
        ps = params(lib)
        opt = getattr(lib.optim, name)(ps, **OPTIONS[name])
        train(lib, opt, ps, 3)
        sds.append(opt.state_dict())
    ours, theirs = sds
    assert ours["param_groups"] == theirs["param_groups"]
    assert list(ours["state"]) == list(theirs["state"]) == [0, 1]
    for i in (0, 1):
        assert list(ours["state"][i]) == list(theirs["state"][i])
        for key, value in theirs["state"][i].items():
            assert ours["state"][i][key].shape == tuple(value.shape)
            assert str(ours["state"][i][key].dtype) == str(value.dtype).replace("torch",
                                                                                "ember")
    if "step" in theirs["state"][0]:
        assert ours["state"][0]["step"].item() == theirs["state"][0]["step"].item() == 3.0


def fresh(lib, name, source):
    ps = [lib.tensor(p.detach().numpy().copy(), requires_grad=True) for p in source]
    return ps, getattr(lib.optim, name)(ps, lr=123.0)


@pytest.mark.parametrize("name", list(OPTIONS))
def test_torch_state_dict_loads_into_ember_and_back(name):
    # torch trains 3 steps; its state (as NumPy arrays) is loaded by ember and by a
    # fresh torch optimizer (loading casts state to the parameters' dtype); both go on
    # for 3 steps; ember's state is then loaded back into torch for 2 more steps.
    t_ps = params(torch, np.float64)
    t_opt = getattr(torch.optim, name)(t_ps, **OPTIONS[name])
    train(torch, t_opt, t_ps, 3)
    e_ps, e_opt = fresh(ember, name, t_ps)
    e_opt.load_state_dict(to_numpy(t_opt.state_dict()))
    r_ps, r_opt = fresh(torch, name, t_ps)
    r_opt.load_state_dict(to_torch(e_opt.state_dict()))  # a copy of torch's own state
    assert without_params(e_opt.param_groups[0]) == without_params(t_opt.param_groups[0])
    train(torch, r_opt, r_ps, 3)
    train(ember, e_opt, e_ps, 3)
    for a, b in zip(e_ps, r_ps):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)

    back_ps, back_opt = fresh(torch, name, e_ps)
    back_opt.load_state_dict(to_torch(e_opt.state_dict()))
    train(torch, back_opt, back_ps, 2)
    train(torch, r_opt, r_ps, 2)
    for a, b in zip(back_ps, r_ps):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)


def test_load_state_dict_casts_state_to_the_parameter_dtype_but_keeps_step():
    for lib in (ember, torch):
        ps = params(lib, np.float64)
        opt = lib.optim.Adam(ps)
        train(lib, opt, ps, 1)
        sd = opt.state_dict()
        for st in sd["state"].values():
            st["exp_avg"] = st["exp_avg"].float()
        opt.load_state_dict(sd)
        assert opt.state[ps[0]]["exp_avg"].dtype == lib.float64
        assert opt.state[ps[0]]["step"].dtype == lib.float32


def test_load_state_dict_accepts_a_plain_number_step():
    for lib in (ember, torch):
        ps = params(lib)
        opt = lib.optim.Adam(ps)
        train(lib, opt, ps, 2)
        sd = opt.state_dict()
        for st in sd["state"].values():
            st["step"] = 2
        opt.load_state_dict(sd)
        step = opt.state[ps[0]]["step"]
        assert isinstance(step, lib.Tensor) and step.dtype == lib.float32
        assert step.item() == 2.0


def test_float64_default_dtype_gives_a_float64_step():
    for lib in (ember, torch):
        old = lib.get_default_dtype()
        lib.set_default_dtype(lib.float64)
        try:
            ps = params(lib, np.float64)
            opt = lib.optim.Adam(ps)
            train(lib, opt, ps, 1)
            assert opt.state[ps[0]]["step"].dtype == lib.float64
        finally:
            lib.set_default_dtype(old)


def test_duplicate_parameters_warn_like_torch():
    messages = []
    for lib in (ember, torch):
        w, _ = params(lib)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.optim.SGD([w, w], lr=0.1)
        messages.append([str(c.message) for c in caught])
    assert messages[0] == messages[1] and len(messages[0]) == 1


def test_optimizing_an_nn_module_matches_torch():
    def build(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Linear(5, 7), lib.nn.Tanh(), lib.nn.Linear(7, 2))

    x = RNG.standard_normal((6, 5)).astype(np.float32)
    results = []
    for lib in (ember, torch):
        model = build(lib)
        if lib is ember:
            model.load_state_dict({k: ember.tensor(v.numpy()) for k, v in
                                   build(torch).state_dict().items()})
        opt = lib.optim.AdamW(model.parameters(), lr=0.01)
        for _ in range(5):
            opt.zero_grad()
            model(lib.tensor(x)).pow(2).mean().backward()
            opt.step()
        results.append([p.detach().numpy().copy() for p in model.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_user_defined_optimizer_subclass_works_like_torch():
    def build(lib):
        class SignSGD(lib.optim.Optimizer):
            def __init__(self, params, lr=0.01):
                super().__init__(params, {"lr": lr})

            @lib.no_grad()
            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is not None:
                            p.add_(lib.sign(p.grad), alpha=-group["lr"])
                            self.state[p]["count"] = self.state[p].get("count", 0) + 1

        return SignSGD

    results = []
    for lib in (ember, torch):
        ps = params(lib)
        opt = build(lib)(ps, lr=0.1)
        hook_calls = []
        opt.register_step_post_hook(lambda o, a, k, calls=hook_calls: calls.append(1))
        train(lib, opt, ps, 3)
        results.append(([p.detach().numpy().tolist() for p in ps], opt.state_dict()["state"],
                        len(hook_calls), repr(opt).replace("SignSGD", "")))
    assert results[0] == results[1]


def test_deepcopy_of_an_optimizer_copies_its_state():
    ps = params(ember)
    opt = ember.optim.Adam(ps)
    train(ember, opt, ps, 2)
    clone = copy.deepcopy(opt)
    assert clone.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
    cloned_state = clone.state_dict()["state"][0]["exp_avg"]
    original_state = opt.state_dict()["state"][0]["exp_avg"]
    np.testing.assert_array_equal(cloned_state.numpy(), original_state.numpy())
    assert cloned_state is not original_state
    train(ember, clone, clone.param_groups[0]["params"], 1)  # still usable
