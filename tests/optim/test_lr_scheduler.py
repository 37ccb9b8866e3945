"""Learning-rate schedulers give torch's learning rates (and momenta) step by step, for
130 steps, compared with exact float equality."""

import math
import warnings

import numpy as np
import pytest
import torch

import ember

STEPS = 130


def make_optimizer(lib, name="SGD", groups=2, **kwargs):
    ps = [lib.tensor(np.ones(3, np.float32), requires_grad=True) for _ in range(groups)]
    options = {"lr": 0.1, "momentum": 0.9} if name == "SGD" else {"lr": 0.01}
    options.update(kwargs)
    return getattr(lib.optim, name)(
        [{"params": [p], "lr": options["lr"] * (i + 1)} for i, p in enumerate(ps)],
        **options)


def sched(lib, cls_name, *args, **kwargs):
    return lambda opt: getattr(lib.optim.lr_scheduler, cls_name)(opt, *args, **kwargs)


def step_fn(n):
    return 0.95**n


class Warmup:
    """A callable object: its __dict__ goes into the state_dict."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.steps)


CASES = {
    "StepLR": ("StepLR", (7,), {"gamma": 0.5}),
    "MultiStepLR": ("MultiStepLR", ([10, 25, 25, 80],), {"gamma": 0.3}),
    "ExponentialLR": ("ExponentialLR", (0.97,), {}),
    "CosineAnnealingLR": ("CosineAnnealingLR", (30,), {}),
    "CosineAnnealingLR-eta_min": ("CosineAnnealingLR", (17,), {"eta_min": 0.001}),
    "WarmRestarts": ("CosineAnnealingWarmRestarts", (10,), {}),
    "WarmRestarts-T_mult": ("CosineAnnealingWarmRestarts", (5,), {"T_mult": 2,
                                                                 "eta_min": 1e-4}),
    "LambdaLR": ("LambdaLR", (step_fn,), {}),
    "LambdaLR-object": ("LambdaLR", (Warmup(12),), {}),
    "MultiplicativeLR": ("MultiplicativeLR", (lambda e: 0.99,), {}),
    "LinearLR": ("LinearLR", (), {"start_factor": 0.25, "end_factor": 0.9,
                                  "total_iters": 40}),
    "LinearLR-default": ("LinearLR", (), {}),
    "ConstantLR": ("ConstantLR", (), {"factor": 0.3, "total_iters": 12}),
    "PolynomialLR": ("PolynomialLR", (), {"total_iters": 90, "power": 2.0}),
    "PolynomialLR-default": ("PolynomialLR", (), {}),
    "OneCycleLR": ("OneCycleLR", ([0.5, 1.0],), {"total_steps": STEPS + 1}),
    "OneCycleLR-linear": ("OneCycleLR", (0.5,), {"epochs": 13, "steps_per_epoch": 11,
                                                "anneal_strategy": "linear"}),
    "OneCycleLR-three-phase": ("OneCycleLR", (0.5,), {"total_steps": 140,
                                                     "three_phase": True,
                                                     "pct_start": 0.25}),
    "OneCycleLR-no-momentum": ("OneCycleLR", (0.5,), {"total_steps": 140,
                                                     "cycle_momentum": False}),
    "CyclicLR": ("CyclicLR", (0.01, 0.1), {"step_size_up": 9}),
    "CyclicLR-triangular2": ("CyclicLR", ([0.01, 0.02], 0.1),
                             {"step_size_up": 7, "step_size_down": 12,
                              "mode": "triangular2"}),
    "CyclicLR-exp_range": ("CyclicLR", (0.01, 0.1), {"step_size_up": 10,
                                                     "mode": "exp_range", "gamma": 0.98,
                                                     "base_momentum": 0.7,
                                                     "max_momentum": [0.95, 0.9]}),
    "CyclicLR-scale_fn": ("CyclicLR", (0.01, 0.1), {"step_size_up": 6,
                                                    "scale_fn": lambda x: 1 / x,
                                                    "scale_mode": "cycle",
                                                    "cycle_momentum": False}),
}


def trace(lib, name, optimizer="SGD"):
    cls_name, args, kwargs = CASES[name]
    opt = make_optimizer(lib, optimizer)
    scheduler = getattr(lib.optim.lr_scheduler, cls_name)(opt, *args, **kwargs)
    rows = [_snapshot(opt, scheduler)]
    for _ in range(STEPS):
        opt.step()
        scheduler.step()
        rows.append(_snapshot(opt, scheduler))
    return rows, scheduler


def _snapshot(opt, scheduler):
    return ([(g["lr"], g.get("momentum"), g.get("betas")) for g in opt.param_groups],
            list(scheduler.get_last_lr()), scheduler.last_epoch)


@pytest.mark.parametrize("name", list(CASES))
def test_learning_rates_equal_torchs_step_by_step(name):
    ours, _ = trace(ember, name)
    theirs, _ = trace(torch, name)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"step {i}: {a} != {b}"


@pytest.mark.parametrize("name", ["OneCycleLR", "CyclicLR-exp_range", "CosineAnnealingLR"])
def test_adam_betas_cycle_like_torch(name):
    ours, _ = trace(ember, name, "Adam")
    theirs, _ = trace(torch, name, "Adam")
    assert ours == theirs


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_has_torchs_keys_and_resumes(name):
    _, ours = trace(ember, name)
    _, theirs = trace(torch, name)
    our_sd, their_sd = ours.state_dict(), theirs.state_dict()
    assert sorted(our_sd) == sorted(their_sd)
    for key, value in their_sd.items():
        if not callable(value) and key not in ("_scale_fn_ref",):
            assert our_sd[key] == value, key

    # A new scheduler loading the state continues exactly where the old one was.
    cls_name, args, kwargs = CASES[name]
    opt = make_optimizer(ember)
    resumed = getattr(ember.optim.lr_scheduler, cls_name)(opt, *args, **kwargs)
    resumed.load_state_dict(ours.state_dict())
    for group, lr in zip(opt.param_groups, ours.get_last_lr()):
        group["lr"] = lr
    if cls_name in ("OneCycleLR",):
        return  # already at its last step
    ours.optimizer.step()
    ours.step()
    opt.step()
    resumed.step()
    assert resumed.get_last_lr() == ours.get_last_lr()


def test_epoch_argument_uses_the_closed_form_like_torch():
    results = []
    for lib in (ember, torch):
        rows = []
        for cls_name, args, kwargs in [("StepLR", (3,), {}), ("MultiStepLR", ([2, 5],), {}),
                                       ("ExponentialLR", (0.9,), {}),
                                       ("CosineAnnealingLR", (10,), {}),
                                       ("LinearLR", (), {}), ("ConstantLR", (), {}),
                                       ("PolynomialLR", (), {}),
                                       ("LambdaLR", (step_fn,), {})]:
            opt = make_optimizer(lib)
            s = getattr(lib.optim.lr_scheduler, cls_name)(opt, *args, **kwargs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for epoch in [4, 1, 7, 12, 3]:
                    opt.step()
                    s.step(epoch)
                    rows.append(s.get_last_lr())
        results.append(rows)
    assert results[0] == results[1]


def test_warm_restarts_with_fractional_epochs_like_torch():
    results = []
    for lib in (ember, torch):
        opt = make_optimizer(lib)
        s = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=3)
        rows = []
        for epoch in np.arange(0, 60, 0.37):
            opt.step()
            s.step(float(epoch))
            rows.append((s.get_last_lr(), s.T_cur, s.T_i, s.last_epoch))
        results.append(rows)
    assert results[0] == results[1]


PLATEAU = [
    {},
    {"mode": "max", "factor": 0.5, "patience": 2, "threshold": 0.05},
    {"threshold_mode": "abs", "threshold": 0.1, "patience": 1, "cooldown": 3,
     "min_lr": [0.001, 0.05]},
    {"mode": "max", "threshold_mode": "abs", "patience": 0, "min_lr": 0.02, "eps": 1e-3},
]


@pytest.mark.parametrize("kwargs", PLATEAU)
def test_reduce_lr_on_plateau_like_torch(kwargs):
    metrics = [1.0 / (1 + i) if i < 20 else 0.05 + 0.01 * math.sin(i) for i in range(STEPS)]
    results = []
    for lib in (ember, torch):
        opt = make_optimizer(lib)
        s = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        rows = []
        for m in metrics:
            opt.step()
            s.step(m)
            rows.append((s.get_last_lr(), s.num_bad_epochs, s.cooldown_counter, s.best,
                         s.last_epoch))
        results.append((rows, sorted(s.state_dict())))
    assert results[0] == results[1]


def test_sequential_lr_like_torch():
    results = []
    for lib in (ember, torch):
        opt = make_optimizer(lib)
        lrs = lib.optim.lr_scheduler
        s = lrs.SequentialLR(opt, [lrs.LinearLR(opt, start_factor=0.1, total_iters=10),
                                   lrs.CosineAnnealingLR(opt, T_max=50),
                                   lrs.ExponentialLR(opt, 0.9)], milestones=[10, 60])
        rows = [(s.get_last_lr(), s.last_epoch)]
        for _ in range(STEPS):
            opt.step()
            s.step()
            rows.append((s.get_last_lr(), s.last_epoch, [g["lr"] for g in opt.param_groups]))
        results.append((rows, sorted(s.state_dict())))
    assert results[0] == results[1]


def test_chained_scheduler_like_torch():
    results = []
    for lib in (ember, torch):
        opt = make_optimizer(lib)
        lrs = lib.optim.lr_scheduler
        s = lrs.ChainedScheduler([lrs.ConstantLR(opt, factor=0.2, total_iters=5),
                                  lrs.ExponentialLR(opt, gamma=0.95),
                                  lrs.StepLR(opt, 20, 0.5)])
        rows = [s.get_last_lr()]
        for _ in range(STEPS):
            opt.step()
            s.step()
            rows.append(s.get_last_lr())
        results.append((rows, sorted(s.state_dict())))
    assert results[0] == results[1]


def test_construction_sets_initial_lr_and_performs_the_first_step():
    for lib in (ember, torch):
        opt = make_optimizer(lib)
        s = lib.optim.lr_scheduler.LinearLR(opt, start_factor=0.5)
        assert s.last_epoch == 0
        assert s._step_count == 1
        assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
        assert s.base_lrs == [0.1, 0.2]
        assert s.get_last_lr() == [0.05, 0.1]


def catch(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in caught]


def test_scheduler_step_before_optimizer_step_warns_like_torch():
    messages = []
    for lib in (ember, torch):
        opt = make_optimizer(lib)
        s = lib.optim.lr_scheduler.StepLR(opt, 3)
        messages.append(catch(s.step))
    assert messages[0] == messages[1] and len(messages[0]) == 1


def test_optimizer_step_then_scheduler_step_does_not_warn():
    messages = []
    for lib in (ember, torch):
        opt = make_optimizer(lib)
        s = lib.optim.lr_scheduler.StepLR(opt, 3)

        def steps(opt=opt, s=s):
            opt.step()
            s.step()
        messages.append(catch(steps))
    assert messages == [[], []]


def test_get_lr_outside_step_warns_like_torch():
    messages = []
    for lib in (ember, torch):
        s = lib.optim.lr_scheduler.StepLR(make_optimizer(lib), 3)
        messages.append(catch(s.get_lr))
    assert messages[0] == messages[1] and len(messages[0]) == 1


def test_lambda_state_dict_keeps_callable_objects_state():
    results = []
    for lib in (ember, torch):
        opt = make_optimizer(lib)
        s = lib.optim.lr_scheduler.LambdaLR(opt, [Warmup(3), step_fn])
        results.append(s.state_dict()["lr_lambdas"])
    assert results[0] == results[1] == [{"steps": 3}, None]


BAD = [
    lambda lrs, opt: lrs.StepLR("not an optimizer", 3),
    lambda lrs, opt: lrs.LambdaLR(opt, [step_fn]),
    lambda lrs, opt: lrs.MultiplicativeLR(opt, 0.5),
    lambda lrs, opt: lrs.ConstantLR(opt, factor=1.5),
    lambda lrs, opt: lrs.LinearLR(opt, start_factor=0),
    lambda lrs, opt: lrs.LinearLR(opt, end_factor=2),
    lambda lrs, opt: lrs.CosineAnnealingWarmRestarts(opt, T_0=0),
    lambda lrs, opt: lrs.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=1.5),
    lambda lrs, opt: lrs.CosineAnnealingWarmRestarts(opt, T_0=3, eta_min="x"),
    lambda lrs, opt: lrs.OneCycleLR(opt, 0.1),
    lambda lrs, opt: lrs.OneCycleLR(opt, 0.1, total_steps=0),
    lambda lrs, opt: lrs.OneCycleLR(opt, 0.1, epochs=0, steps_per_epoch=3),
    lambda lrs, opt: lrs.OneCycleLR(opt, 0.1, total_steps=10, pct_start=1.5),
    lambda lrs, opt: lrs.OneCycleLR(opt, 0.1, total_steps=10, anneal_strategy="exp"),
    lambda lrs, opt: lrs.OneCycleLR(opt, [0.1], total_steps=10),
    lambda lrs, opt: [opt.step() or s.step() for s in [lrs.OneCycleLR(opt, 0.1,
                                                                     total_steps=3)]
                      for _ in range(4)],
    lambda lrs, opt: lrs.CyclicLR(opt, 0.01, 0.1, mode="sawtooth"),
    lambda lrs, opt: lrs.ReduceLROnPlateau(opt, factor=1.0),
    lambda lrs, opt: lrs.ReduceLROnPlateau(opt, mode="median"),
    lambda lrs, opt: lrs.ReduceLROnPlateau(opt, threshold_mode="log"),
    lambda lrs, opt: lrs.ReduceLROnPlateau(opt, min_lr=[0.1]),
    lambda lrs, opt: lrs.SequentialLR(opt, [], milestones=[]),
    lambda lrs, opt: lrs.SequentialLR(opt, [lrs.StepLR(opt, 2)], milestones=[3]),
    lambda lrs, opt: lrs.SequentialLR(opt, [lrs.ReduceLROnPlateau(opt)], milestones=[]),
    lambda lrs, opt: lrs.ChainedScheduler([]),
    lambda lrs, opt: lrs.StepLR(opt, 3, last_epoch=5),
]


@pytest.mark.parametrize("bad", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_arguments_raise_like_torch(bad):
    errors = []
    for lib in (ember, torch):
        opt = make_optimizer(lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                bad(lib.optim.lr_scheduler, opt)
        errors.append((type(info.value).__name__, str(info.value).replace("torch", "ember")))
    assert errors[0] == errors[1]


def test_cyclic_lr_needs_momentum_when_cycling_it():
    errors = []
    for lib in (ember, torch):
        opt = lib.optim.Adagrad([lib.tensor([1.0], requires_grad=True)])
        with pytest.raises(ValueError) as info:
            lib.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1)
        errors.append(str(info.value))
    assert errors[0] == errors[1]
