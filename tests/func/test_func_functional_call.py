"""ember.func.functional_call / stack_module_state against torch.func."""

import copy

import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(3)


def arr(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def models(seed=0):
    out = []
    for lib in (ember, torch):
        lib.manual_seed(seed)
        out.append(lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2)))
    return out


def close(e, t):
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_functional_call_replaces_parameters_and_restores_them():
    x = arr(5, 3)
    w0 = arr(4, 3)
    outs = []
    for m, lib in zip(models(), (ember, torch)):
        before = m[0].weight
        out = lib.func.functional_call(m, {"0.weight": lib.tensor(w0)}, (lib.tensor(x),))
        assert m[0].weight is before
        outs.append(out)
    close(*outs)
    # the same as the module with that weight
    e, _ = models()
    with ember.no_grad():
        e[0].weight.copy_(ember.tensor(w0))
    close(e(ember.tensor(x)), outs[1])


def test_tuple_of_dicts_kwargs_and_gradients_to_the_new_tensors():
    x = arr(2, 3)
    grads = []
    for m, lib in zip(models(), (ember, torch)):
        params = {k: v.detach().clone().requires_grad_() for k, v in m.named_parameters()}
        first = {k: v for k, v in params.items() if k.startswith("0.")}
        second = {k: v for k, v in params.items() if k.startswith("2.")}
        out = lib.func.functional_call(m, (first, second), args=(), kwargs={"input": lib.tensor(x)})
        out.sum().backward()
        grads.append([params[k].grad for k in sorted(params)])
        assert all(p.grad is None for p in m.parameters())
    for e, t in zip(*grads):
        close(e, t)


def test_buffers_are_replaced_too():
    x = arr(4, 3)
    outs = []
    for lib in (ember, torch):
        bn = lib.nn.BatchNorm1d(3).eval()
        out = lib.func.functional_call(bn, {"running_mean": lib.ones(3), "running_var":
                                            lib.ones(3) * 4}, lib.tensor(x))
        outs.append(out)
        assert float(bn.running_mean.sum()) == 0.0
    close(*outs)


def test_strict_reports_missing_and_unexpected_keys():
    msgs = []
    for m, lib in zip(models(), (ember, torch)):
        with pytest.raises(RuntimeError) as info:
            lib.func.functional_call(m, {"0.weight": lib.ones(4, 3), "extra": lib.ones(1)},
                                     (lib.ones(1, 3),), strict=True)
        msgs.append(str(info.value))
    for gist in ("Unexpected key(s): 'extra'", "Missing key(s):", "'0.bias'", "'2.weight'"):
        assert gist in msgs[0] and gist in msgs[1]


def test_tie_weights():
    outs = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Linear(3, 3, bias=False), lib.nn.Linear(3, 3, bias=False))
        m[1].weight = m[0].weight
        w = lib.eye(3) * 2
        outs.append(lib.func.functional_call(m, {"0.weight": w}, (lib.ones(1, 3),)))
        untied = lib.func.functional_call(m, {"0.weight": w}, (lib.ones(1, 3),),
                                          tie_weights=False)
        outs.append(untied)
    close(outs[0], outs[2])
    close(outs[1], outs[3])


def test_stack_module_state_and_vmap_ensembling():
    x = arr(6, 3)
    results = []
    for lib in (ember, torch):
        lib.manual_seed(1)
        ms = [lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
              for _ in range(3)]
        params, buffers = lib.func.stack_module_state(ms)
        assert all(p.requires_grad and p.grad_fn is None for p in params.values())
        base = copy.deepcopy(ms[0])

        def call(p, b, v, base=base, lib=lib):
            return lib.func.functional_call(base, (p, b), (v,))
        out = lib.vmap(call, in_dims=(0, 0, None))(params, buffers, lib.tensor(x))
        results.append((params, out, ms))
    (pe, oe, mse), (pt, ot, _) = results
    for k in pt:
        close(pe[k], pt[k])
    close(oe, ot)
    for i, m in enumerate(mse):
        close(oe[i], m(ember.tensor(x)))


@pytest.mark.parametrize("call", [
    lambda lib, m: lib.func.functional_call(m, {"0.weight": lib.ones(4, 3), "extra": lib.ones(1)},
                                            (lib.ones(1, 3),), strict=True),
    lambda lib, m: lib.func.functional_call(m, ({"0.weight": lib.ones(4, 3)},
                                                {"0.weight": lib.ones(4, 3)}), (lib.ones(1, 3),)),
    lambda lib, m: lib.func.functional_call(m, 3, (lib.ones(1, 3),)),
    lambda lib, m: lib.func.stack_module_state([]),
])
def test_errors_match_torch(call):
    got = []
    for m, lib in zip(models(), (ember, torch)):
        with pytest.raises(Exception) as info:
            call(lib, m)
        got.append((type(info.value), str(info.value)))
    assert got[0] == got[1]
