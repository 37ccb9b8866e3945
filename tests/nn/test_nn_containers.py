"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict vs torch: keys,
order, indexing, mutation, reprs and errors."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
from differential import normalize_message, randn
from module_check import check_module


def both(build):
    return build(ember), build(torch)


def same_error(fn):
    with pytest.raises(Exception) as t_info:
        fn(torch)
    with pytest.raises(Exception) as e_info:
        fn(ember)
    assert type(e_info.value).__name__ == type(t_info.value).__name__
    assert normalize_message(str(e_info.value)) == normalize_message(str(t_info.value))


def same_repr(e, t):
    assert repr(e) == normalize_message(repr(t)), f"{e!r}\n!=\n{t!r}"


def layers(lib):
    nn = lib.nn
    return [nn.Linear(3, 4), nn.Identity(), nn.Linear(4, 2), nn.Flatten()]


# --- Sequential -------------------------------------------------------------------------

def test_sequential_forward_grads_and_repr_match_torch():
    check_module(lambda nn: nn.Sequential(nn.Linear(3, 4), nn.Identity(), nn.Linear(4, 2)),
                 randn(5, 3))
    check_module(lambda nn: nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)).double(),
                 randn(5, 3, dtype=np.float64))


def test_sequential_ordered_dict_form_uses_the_names():
    def build(lib):
        return lib.nn.Sequential(OrderedDict([("fc1", lib.nn.Linear(2, 3)),
                                              ("out", lib.nn.Linear(3, 1))]))
    e, t = both(build)
    same_repr(e, t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert e.fc1 is e[0] and e[-1] is e.out


def test_sequential_indexing_slicing_and_len():
    e, t = both(lambda lib: lib.nn.Sequential(*layers(lib)))
    assert len(e) == len(t) == 4
    for i in range(-4, 4):
        assert type(e[i]).__name__ == type(t[i]).__name__
    for sl in (slice(1, 3), slice(None, None, -1), slice(-2, None), slice(0, 0)):
        sub_e, sub_t = e[sl], t[sl]
        assert isinstance(sub_e, ember.nn.Sequential)
        same_repr(sub_e, sub_t)
    assert [type(m).__name__ for m in e] == [type(m).__name__ for m in t]
    same_error(lambda lib: lib.nn.Sequential(*layers(lib))[4])
    same_error(lambda lib: lib.nn.Sequential(*layers(lib))[-5])


def test_sequential_mutation_matches_torch():
    def mutate(lib):
        nn = lib.nn
        s = nn.Sequential(*layers(lib))
        s.append(nn.Linear(2, 2))
        s.insert(1, nn.Linear(9, 9))
        s.insert(-1, nn.Identity())
        s.extend([nn.Linear(1, 1)])
        del s[0]
        del s[1:3]
        popped = s.pop(0)
        s[0] = nn.Linear(7, 7)
        combined = s + nn.Sequential(nn.Identity())
        s += nn.Sequential(nn.Linear(5, 5))
        doubled = nn.Sequential(nn.Linear(1, 2)) * 2
        return s, combined, popped, doubled

    for e, t in zip(*both(mutate)):
        same_repr(e, t)


@pytest.mark.parametrize("case", ["add_list", "insert_oob", "insert_not_module", "mul_zero",
                                  "mul_float", "append_not_module"])
def test_sequential_errors_match_torch(case):
    def fn(lib):
        s = lib.nn.Sequential(lib.nn.Identity())
        if case == "add_list":
            return s + [1]
        if case == "insert_oob":
            return s.insert(3, lib.nn.Identity())
        if case == "insert_not_module":
            return s.insert(0, 3)
        if case == "mul_zero":
            return s * 0
        if case == "mul_float":
            return s * 1.5
        return s.append(3)

    same_error(fn)


# --- ModuleList / ModuleDict ------------------------------------------------------------

def test_module_list_operations_and_repr():
    def build(lib):
        nn = lib.nn
        ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
        ml.append(nn.Identity())
        ml.extend([nn.Linear(1, 1), nn.Linear(1, 1)])
        ml.insert(0, nn.Flatten())
        ml += [nn.Identity()]
        del ml[1]
        ml[-1] = nn.Linear(3, 3)
        return ml, ml[1:3], ml + nn.ModuleList([nn.Identity()]), ml.pop(2)

    for e, t in zip(*both(build)):
        same_repr(e, t)
    e, t = both(build)
    assert list(e[0].state_dict()) == list(t[0].state_dict())
    assert len(e[0]) == len(t[0])
    same_repr(ember.nn.ModuleList(), torch.nn.ModuleList())


def test_module_list_errors_match_torch():
    same_error(lambda lib: lib.nn.ModuleList([lib.nn.Identity()])[1])
    same_error(lambda lib: lib.nn.ModuleList().extend(3))
    same_error(lambda lib: lib.nn.ModuleList([lib.nn.Identity()])(lib.zeros(1)))


def test_module_dict_operations_and_repr():
    def build(lib):
        nn = lib.nn
        md = nn.ModuleDict({"b": nn.Linear(1, 2), "a": nn.Identity()})
        md["c"] = nn.Linear(2, 3)
        md.update([("d", nn.Flatten())])
        popped = md.pop("b")
        return md, popped, list(md.keys()), "a" in md, len(md)

    e, t = both(build)
    same_repr(e[0], t[0])
    same_repr(e[1], t[1])
    assert e[2:] == t[2:]
    same_error(lambda lib: lib.nn.ModuleDict().update(3))
    same_error(lambda lib: lib.nn.ModuleDict().update([("a", lib.nn.Identity(), 1)]))
    same_error(lambda lib: lib.nn.ModuleDict({"a": 3}))


# --- ParameterList / ParameterDict ------------------------------------------------------

def test_parameter_list_wraps_tensors_and_prints_like_torch():
    def build(lib):
        pl = lib.nn.ParameterList([lib.nn.Parameter(lib.zeros(3)), lib.ones(2, 2)])
        pl.append(lib.zeros(4, dtype=lib.float64))
        pl.extend([lib.ones(1)])
        pl.append("not a tensor")
        return pl

    e, t = both(build)
    same_repr(e, t)
    assert "(0): Parameter containing: [ember.float32 of size 3]" in repr(e)
    assert len(e) == len(t) == 5
    assert isinstance(e[1], ember.nn.Parameter) and e[1].requires_grad
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    same_repr(e[1:3], t[1:3])
    same_error(lambda lib: lib.nn.ParameterList().extend(lib.zeros(2)))
    same_error(lambda lib: lib.nn.ParameterList()(1))
    same_error(lambda lib: lib.nn.ParameterList([lib.zeros(1)])[2])


def test_parameter_dict_orders_and_prints_like_torch():
    def build(lib):
        pd = lib.nn.ParameterDict({"z": lib.zeros(2), "a": lib.nn.Parameter(lib.ones(1))})
        pd["m"] = lib.ones(3, 2)
        pd.update(OrderedDict([("y", lib.zeros(1)), ("b", lib.zeros(1))]))
        pd.setdefault("x", lib.zeros(5))
        popped = pd.pop("y")
        return pd, popped, list(pd.keys()), pd.get("nope", 7), "a" in pd

    e, t = both(build)
    same_repr(e[0], t[0])
    assert "(z): Parameter containing: [ember.FloatTensor of size 2]" in repr(e[0])
    assert e[2:] == t[2:]
    assert [n for n, _ in e[0].named_parameters()] == [n for n, _ in t[0].named_parameters()]
    same_repr(e[0].copy(), t[0].copy())
    same_repr(e[0] | ember.nn.ParameterDict({"q": ember.zeros(1)}),
              t[0] | torch.nn.ParameterDict({"q": torch.zeros(1)}))
    same_error(lambda lib: lib.nn.ParameterDict()[3])
    same_error(lambda lib: lib.nn.ParameterDict().update(3))
    same_error(lambda lib: lib.nn.ParameterDict()(1))


def test_parameter_dict_popitem_and_clear():
    pd = ember.nn.ParameterDict({"a": ember.zeros(1), "b": ember.ones(1)})
    k, v = pd.popitem()
    assert k == "b" and v.item() == 1.0 and len(pd) == 1
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []
