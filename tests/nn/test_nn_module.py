"""nn.Module vs torch.nn.Module: registration by attribute assignment, tree walks,
state_dict round trips, hooks, modes, dtype moves, repr, pickling; plus the first
cells of seed notebook 000 and the "Going to PyTorch" cells of seed 001."""

from __future__ import annotations

import copy
import pickle
import warnings
from collections import OrderedDict
from math import sqrt

import numpy as np
import pytest
import torch

import ember
from differential import normalize_message, randn


def both(build):
    """build(lib) for lib in (ember, torch)."""
    return build(ember), build(torch)


def same_error(fn):
    """fn(lib) raises the same exception type and message in both libraries."""
    with pytest.raises(Exception) as t_info:
        fn(torch)
    with pytest.raises(Exception) as e_info:
        fn(ember)
    assert type(e_info.value).__name__ == type(t_info.value).__name__
    assert normalize_message(str(e_info.value)) == normalize_message(str(t_info.value))
    return e_info.value


# --- a small model defined once for both libraries --------------------------------------

def make_net(lib):
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 4)
            self.register_buffer("count", lib.zeros(2))
            self.register_buffer("scratch", lib.ones(1), persistent=False)
            self.scale = nn.Parameter(lib.ones(4))

        def forward(self, x):
            return self.fc(x) * self.scale

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.head = nn.Linear(4, 2, bias=False)
            self.none_slot = None

        def forward(self, x):
            return self.head(self.block(x))

    return Net()


def test_names_of_parameters_buffers_and_modules_match_torch():
    e, t = both(make_net)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_parameters(prefix="m", recurse=False)] == \
        [n for n, _ in t.named_parameters(prefix="m", recurse=False)]
    assert [n for n, _ in e.block.named_parameters(prefix="x")] == \
        [n for n, _ in t.block.named_parameters(prefix="x")]


def test_parameters_is_a_generator_of_the_registered_objects():
    e = make_net(ember)
    gen = e.parameters()
    assert iter(gen) is gen
    params = list(gen)
    assert params[0] is e.block.scale  # a module's own parameters before its children's
    assert all(isinstance(p, ember.nn.Parameter) for p in params)


def test_shared_parameters_and_modules_are_listed_once_unless_asked():
    def build(lib):
        lin = lib.nn.Linear(2, 2)
        seq = lib.nn.Sequential(lin, lin)
        return seq

    e, t = both(build)
    for kw in ({}, {"remove_duplicate": False}):
        assert [n for n, _ in e.named_parameters(**kw)] == \
            [n for n, _ in t.named_parameters(**kw)]
        assert [n for n, _ in e.named_modules(**kw)] == [n for n, _ in t.named_modules(**kw)]
    assert len(list(e.parameters())) == 2
    assert list(e.state_dict()) == list(t.state_dict())


def test_assignment_registers_reassigns_and_none_keeps_the_slot():
    def build(lib):
        m = lib.nn.Module()
        m.w = lib.nn.Parameter(lib.ones(2))
        m.sub = lib.nn.Linear(1, 1)
        m.register_buffer("b", lib.zeros(1))
        m.w = None          # stays a (None) parameter slot
        m.b = lib.ones(3)   # a plain tensor into a buffer slot stays a buffer
        m.plain = 5
        return m

    e, t = both(build)
    assert list(e._parameters) == list(t._parameters) == ["w"]
    assert e.w is None
    assert list(e._buffers) == ["b"] and e.b.shape == (3,)
    assert list(e.state_dict()) == list(t.state_dict())
    assert e.plain == 5 and "plain" in e.__dict__


def test_buffer_marker_class_registers_a_buffer():
    e, t = both(lambda lib: lib.nn.Module())
    e.buf = ember.nn.Buffer(ember.zeros(2), persistent=False)
    t.buf = torch.nn.Buffer(torch.zeros(2), persistent=False)
    assert list(e._buffers) == list(t._buffers) == ["buf"]
    assert list(e.state_dict()) == list(t.state_dict()) == []


def test_buffer_is_a_detached_alias_keeping_requires_grad():
    for lib in (ember, torch):
        data = lib.ones(2, requires_grad=True)
        buf = lib.nn.Buffer(data)
        assert buf.requires_grad and buf.is_leaf and buf.grad_fn is None
        with lib.no_grad():
            data[0] = 3.0
        assert buf[0].item() == 3.0
        assert tuple(lib.nn.Buffer().shape) == (0,)


def test_reassigning_a_name_moves_it_between_registries():
    def build(lib):
        m = lib.nn.Module()
        m.register_buffer("x", lib.zeros(1))
        m.x = lib.nn.Parameter(lib.zeros(1))   # buffer -> parameter
        m.y = lib.nn.Parameter(lib.zeros(1))
        del m.y
        m.y = lib.nn.Linear(1, 1)
        return m

    e, t = both(build)
    assert list(e._parameters) == list(t._parameters) == ["x"]
    assert list(e._buffers) == list(t._buffers) == []
    assert list(e._modules) == list(t._modules) == ["y"]


@pytest.mark.parametrize("case", [
    "tensor_as_parameter", "int_as_module", "int_as_buffer", "register_bad_param",
    "dotted_param", "empty_param", "existing_attr", "add_module_not_module",
    "dotted_module", "buffer_name_type", "nonleaf_param", "missing_attr",
])
def test_registration_errors_match_torch(case):
    def fn(lib):
        nn = lib.nn
        m = nn.Module()
        m.weight = nn.Parameter(lib.zeros(2))
        m.child = nn.Linear(1, 1)
        m.register_buffer("buf", lib.zeros(1))
        m.attr = 1
        if case == "tensor_as_parameter":
            m.weight = lib.zeros(2)
        elif case == "int_as_module":
            m.child = 3
        elif case == "int_as_buffer":
            m.buf = 3
        elif case == "register_bad_param":
            m.register_parameter("p", lib.zeros(1))
        elif case == "dotted_param":
            m.register_parameter("a.b", None)
        elif case == "empty_param":
            m.register_parameter("", None)
        elif case == "existing_attr":
            m.register_buffer("attr", lib.zeros(1))
        elif case == "add_module_not_module":
            m.add_module("x", lib.zeros(1))
        elif case == "dotted_module":
            m.add_module("a.b", nn.Linear(1, 1))
        elif case == "buffer_name_type":
            m.register_buffer(1, lib.zeros(1))
        elif case == "nonleaf_param":
            p = nn.Parameter(lib.zeros(2))
            m.register_parameter("q", p * 2)
        elif case == "missing_attr":
            return m.nothing_here

    same_error(fn)


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Parameter(lib.tensor([1])),
    lambda lib: lib.nn.Parameter([1.0]),
])
def test_parameter_construction_errors_match_torch(make):
    same_error(make)


def test_parameter_shares_memory_and_keeps_requires_grad_choice():
    for lib in (ember, torch):
        data = lib.zeros(3)
        p = lib.nn.Parameter(data)
        data[0] = 4.0
        assert p[0].item() == 4.0 and p.requires_grad and p.is_leaf
        q = lib.nn.Parameter(lib.tensor([1, 2]), requires_grad=False)
        assert not q.requires_grad
        assert repr(lib.nn.Parameter()) == "Parameter containing:\ntensor([], requires_grad=True)"


def test_assigning_before_init_raises_like_torch():
    def fn(lib):
        class Bad(lib.nn.Module):
            def __init__(self):
                self.w = lib.nn.Parameter(lib.zeros(1))
        Bad()
    same_error(fn)


def test_forward_missing_raises_torchs_not_implemented_error():
    same_error(lambda lib: lib.nn.Module()(lib.zeros(1)))


def test_get_submodule_parameter_buffer_and_their_errors():
    e, t = both(make_net)
    assert e.get_submodule("block.fc") is e.block.fc
    assert e.get_submodule("") is e
    assert e.get_parameter("block.fc.weight") is e.block.fc.weight
    assert e.get_buffer("block.count") is e.block.count
    for call in (lambda m: m.get_submodule("block.nope"),
                 lambda m: m.get_submodule("block.scale"),
                 lambda m: m.get_parameter("block.count"),
                 lambda m: m.get_buffer("block.scale"),
                 lambda m: m.get_parameter("block.zzz")):
        with pytest.raises(AttributeError) as ti:
            call(t)
        with pytest.raises(AttributeError) as ei:
            call(e)
        assert str(ei.value) == str(ti.value)


def test_set_submodule_and_its_errors_match_torch():
    e, t = both(make_net)
    e.set_submodule("block.fc", ember.nn.Linear(3, 5))
    t.set_submodule("block.fc", torch.nn.Linear(3, 5))
    e.set_submodule("block.extra", ember.nn.Identity())
    t.set_submodule("block.extra", torch.nn.Identity())
    assert normalize_message(repr(t)) == repr(e)
    for call in (lambda lib, m: m.set_submodule("", lib.nn.Identity()),
                 lambda lib, m: m.set_submodule("block.fc", 3),
                 lambda lib, m: m.set_submodule("block.new", lib.nn.Identity(), strict=True),
                 lambda lib, m: m.set_submodule("block.scale", lib.nn.Identity()),
                 lambda lib, m: m.set_submodule("nope.fc", lib.nn.Identity())):
        same_error(lambda lib, call=call: call(lib, make_net(lib)))


def test_train_eval_apply_and_requires_grad():
    e, t = both(make_net)
    for m in (e, t):
        m.eval()
    assert [m.training for m in e.modules()] == [m.training for m in t.modules()]
    assert not any(m.training for m in e.modules())
    assert e.train() is e and all(m.training for m in e.modules())
    seen_e, seen_t = [], []
    e.apply(lambda m: seen_e.append(type(m).__name__))
    t.apply(lambda m: seen_t.append(type(m).__name__))
    assert seen_e == seen_t
    e.requires_grad_(False)
    assert not any(p.requires_grad for p in e.parameters())
    same_error(lambda lib: make_net(lib).train("yes"))


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    results = []
    for lib in (ember, torch):
        m = lib.nn.Linear(3, 2)
        m(lib.ones(4, 3)).sum().backward()
        m.zero_grad(set_to_none=set_to_none)
        results.append([None if p.grad is None else p.grad.numpy().tolist()
                        for p in m.parameters()])
    assert results[0] == results[1]


def test_to_dtype_keeps_parameter_objects_and_converts_grads():
    m = ember.nn.Linear(3, 2)
    w = m.weight
    m(ember.ones(1, 3)).sum().backward()
    assert m.double() is m
    assert m.weight is w and isinstance(m.weight, ember.nn.Parameter)
    assert m.weight.dtype is ember.float64 and m.weight.grad.dtype is ember.float64
    assert m.weight.requires_grad
    m.to(ember.float32)
    assert m.bias.dtype is ember.float32
    m.to("cpu")
    m.half()
    assert m.weight.dtype is ember.float16
    m.float()
    out = m(ember.ones(1, 3))
    assert out.dtype is ember.float32


def test_to_keeps_integer_buffers_and_rejects_integer_dtypes():
    def build(lib):
        m = lib.nn.Module()
        m.register_buffer("steps", lib.zeros(2, dtype=lib.int64))
        m.register_buffer("avg", lib.zeros(2))
        return m.double()

    e, t = both(build)
    assert str(e.steps.dtype).split(".")[1] == str(t.steps.dtype).split(".")[1] == "int64"
    assert e.avg.dtype is ember.float64
    same_error(lambda lib: lib.nn.Linear(1, 1).to(lib.int32))


def test_type_casts_all_parameters():
    e, t = both(lambda lib: lib.nn.Linear(2, 2).type(lib.float64))
    assert e.weight.dtype is ember.float64 and t.weight.dtype is torch.float64


# --- state_dict -------------------------------------------------------------------------

def test_state_dict_values_are_detached_and_share_memory():
    m = make_net(ember)
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    assert not sd["block.fc.weight"].requires_grad
    assert not isinstance(sd["block.fc.weight"], ember.nn.Parameter)
    with ember.no_grad():
        m.block.fc.weight.fill_(3.0)
    assert (sd["block.fc.weight"] == 3.0).all()
    kv = m.state_dict(keep_vars=True)
    assert kv["block.fc.weight"] is m.block.fc.weight
    pre = m.state_dict(prefix="model.")
    assert list(pre)[0] == "model.block.scale"
    dest = {}
    assert m.state_dict(destination=dest) is dest


def test_load_state_dict_copies_values_in_place_from_tensors_or_arrays():
    e, t = both(make_net)
    weights = {k: v.detach().numpy().copy() + 1 for k, v in t.state_dict().items()}
    w_obj = e.block.fc.weight
    result = e.load_state_dict({k: ember.from_numpy(v) for k, v in weights.items()})
    assert e.block.fc.weight is w_obj
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    for k, v in e.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), weights[k])
    e2 = make_net(ember)
    e2.load_state_dict(weights)  # plain NumPy arrays
    np.testing.assert_array_equal(e2.head.weight.detach().numpy(), weights["head.weight"])
    x = randn(5, 3)
    t.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
    np.testing.assert_allclose(e(ember.from_numpy(x)).detach().numpy(),
                               t(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_load_state_dict_strict_errors_match_torch():
    def missing_and_unexpected(lib):
        m = make_net(lib)
        sd = m.state_dict()
        del sd["head.weight"]
        sd["block.extra"] = lib.zeros(1)
        sd["other.weight"] = lib.zeros(1)
        m.load_state_dict(sd)

    same_error(missing_and_unexpected)

    def size_mismatch(lib):
        m = lib.nn.Linear(3, 3)
        m.load_state_dict({"weight": lib.zeros(2, 3), "bias": lib.zeros(3)})

    err = same_error(size_mismatch)
    assert "size mismatch for weight: copying a param with shape ember.Size([2, 3]) from " \
           "checkpoint, the shape in current model is ember.Size([3, 3])." in str(err)
    same_error(lambda lib: lib.nn.Linear(1, 1).load_state_dict([1, 2]))


def test_load_state_dict_non_strict_reports_keys():
    results = []
    for lib in (ember, torch):
        m = make_net(lib)
        sd = m.state_dict()
        del sd["block.scale"]
        sd["junk"] = lib.zeros(1)
        results.append(repr(m.load_state_dict(sd, strict=False)))
    assert results[0] == results[1]
    assert results[0].startswith("_IncompatibleKeys(missing_keys=['block.scale']")


def test_load_state_dict_assign_replaces_the_tensors():
    m = ember.nn.Linear(2, 2)
    new_w = ember.ones(2, 2)
    m.load_state_dict({"weight": new_w, "bias": ember.zeros(2)}, assign=True)
    assert isinstance(m.weight, ember.nn.Parameter) and m.weight.requires_grad
    new_w[0, 0] = 5.0
    assert m.weight[0, 0].item() == 5.0  # shares the loaded tensor's memory


def test_extra_state_is_saved_and_restored_like_torch():
    def build(lib):
        class WithState(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.nn.Linear(1, 1)
                self.note = {"step": 0}

            def get_extra_state(self):
                return dict(self.note)

            def set_extra_state(self, state):
                self.note = state

        return lib.nn.Sequential(WithState())

    e, t = both(build)
    assert list(e.state_dict()) == list(t.state_dict()) == \
        ["0._extra_state", "0.fc.weight", "0.fc.bias"]
    sd = e.state_dict()
    sd["0._extra_state"] = {"step": 5}
    e.load_state_dict(sd)
    assert e[0].note == {"step": 5}

    def missing(lib):
        m = build(lib)
        sd = m.state_dict()
        del sd["0._extra_state"]
        m.load_state_dict(sd)

    same_error(missing)

    def unexpected(lib):
        m = lib.nn.Linear(1, 1)
        sd = m.state_dict()
        sd["_extra_state"] = 1
        m.load_state_dict(sd)

    same_error(unexpected)


def test_state_dict_round_trip_between_libraries():
    e, t = both(make_net)
    e.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in t.state_dict().items()})
    t2 = make_net(torch)
    t2.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in e.state_dict().items()})
    for (k, a), (_, b) in zip(t.state_dict().items(), t2.state_dict().items()):
        assert torch.equal(a, b), k


# --- hooks ------------------------------------------------------------------------------

def test_forward_pre_hooks_and_forward_hooks_can_replace_args_and_output():
    logs = {}
    for lib in (ember, torch):
        log = logs[lib.__name__] = []
        m = lib.nn.Linear(2, 2)
        h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        h2 = m.register_forward_hook(lambda mod, args, out: out.sum())
        m.register_forward_hook(lambda mod, args, out, log=log: log.append(("second", out.dim())))
        m.register_forward_hook(lambda mod, args, out, log=log: log.append("first"), prepend=True)
        m.register_forward_pre_hook(lambda mod, args, kw: (args, kw), with_kwargs=True)
        out = m(lib.ones(1, 2))
        log.append(out.dim())
        h1.remove()
        h2.remove()
        log.append(m(lib.ones(1, 2)).dim())
        def kw_hook(mod, args, kwargs, out, log=log):
            log.append(list(kwargs))

        with m.register_forward_hook(kw_hook, with_kwargs=True):
            m(input=lib.ones(1, 2))
        m(lib.ones(1, 2))
    assert logs["ember"] == logs["torch"]


def test_forward_hook_always_call_runs_when_forward_raises():
    logs = {}
    for lib in (ember, torch):
        log = logs[lib.__name__] = []
        m = lib.nn.Linear(2, 2)
        m.register_forward_hook(lambda mod, args, out, log=log: log.append(out), always_call=True)
        m.register_forward_hook(lambda mod, args, out, log=log: log.append("never"))
        with pytest.raises(RuntimeError):
            m(lib.ones(3, 3))
    assert logs["ember"] == logs["torch"] == [None]


def test_bad_forward_pre_hook_result_raises_like_torch():
    def fn(lib):
        m = lib.nn.Linear(2, 2)
        m.register_forward_pre_hook(lambda mod, args, kwargs: 3, with_kwargs=True)
        m(lib.ones(1, 2))
    same_error(fn)


def test_full_backward_hooks_see_grad_input_and_grad_output_like_torch():
    x = randn(4, 3)
    seen = {}
    for lib in (ember, torch):
        torch.manual_seed(0)
        m = lib.nn.Linear(3, 2)
        if lib is ember:
            tm = torch.nn.Linear(3, 2)
            m.load_state_dict({k: v.numpy().copy() for k, v in tm.state_dict().items()})
        log = seen[lib.__name__] = []

        def pre(mod, grad_output, log=log):
            log.append(("pre", [g.numpy().copy() for g in grad_output]))
            return (grad_output[0] * 2,)

        def post(mod, grad_input, grad_output, log=log):
            log.append(("post", [g.numpy().copy() for g in grad_input],
                         [g.numpy().copy() for g in grad_output]))
            return (grad_input[0] + 1,)

        m.register_full_backward_pre_hook(pre)
        m.register_full_backward_hook(post)
        inp = lib.tensor(x, requires_grad=True)
        m(inp).pow(2).sum().backward()
        log.append(("x.grad", [inp.grad.numpy().copy()]))
        log.append(("w.grad", [m.weight.grad.numpy().copy()]))
    e_log, t_log = seen["ember"], seen["torch"]
    assert [entry[0] for entry in e_log] == [entry[0] for entry in t_log] == \
        ["pre", "post", "x.grad", "w.grad"]
    for e_entry, t_entry in zip(e_log, t_log):
        for e_arrays, t_arrays in zip(e_entry[1:], t_entry[1:]):
            for a, b in zip(e_arrays, t_arrays):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_full_backward_hook_gets_none_for_inputs_without_grad():
    seen = {}
    for lib in (ember, torch):
        log = seen[lib.__name__] = []

        class Two(lib.nn.Module):
            def forward(self, a, b, scale):
                return a * b * scale

        m = Two()
        m.register_full_backward_hook(
            lambda mod, gi, go, log=log: log.append([g is None for g in gi]))
        a = lib.ones(2, requires_grad=True)
        out = m(a, lib.ones(2), 3.0)
        out.sum().backward()
        log.append(out.grad_fn.name())
    assert seen["ember"] == seen["torch"]


def test_removed_backward_hook_does_not_run():
    calls = []
    m = ember.nn.Linear(2, 2)
    h = m.register_full_backward_hook(lambda *a: calls.append(1))
    h.remove()
    m(ember.ones(1, 2, requires_grad=True)).sum().backward()
    assert calls == []


def test_state_dict_and_load_hooks():
    calls = []
    m = ember.nn.Linear(1, 1)
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: calls.append(list(sd)))
    m.register_load_state_dict_post_hook(lambda mod, keys: calls.append(keys.missing_keys))
    sd = m.state_dict()
    m.load_state_dict(sd)
    assert calls == [["weight", "bias"], []]


# --- printing, dir, pickling ------------------------------------------------------------

def test_repr_nests_and_indents_like_torch():
    def build(lib):
        nn = lib.nn

        class Inner(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(2, 3)

            def extra_repr(self):
                return "alpha=1\nbeta=2"

        class Outer(nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = Inner()
                self.seq = nn.Sequential(nn.Linear(3, 3), nn.Identity(), Inner())
                self.missing = None

        return Outer()

    e, t = both(build)
    assert repr(e) == repr(t)
    assert repr(ember.nn.Module()) == repr(torch.nn.Module()) == "Module()"


def test_dir_lists_registered_names():
    e, t = both(make_net)
    assert {"block", "head"} <= set(dir(e))
    assert [k for k in dir(e) if not k.startswith("_")] == \
        [k for k in dir(t) if not k.startswith("_") and hasattr(e, k)]


_net = make_net(ember)  # module-level names for the classes, so pickle can find them
Net, Block = type(_net), type(_net.block)
Net.__qualname__, Block.__qualname__ = "Net", "Block"


def test_pickle_and_deepcopy_copy_the_whole_module():
    m = Net()
    for clone in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
        assert repr(clone) == repr(m)
        assert list(clone.state_dict()) == list(m.state_dict())
        assert clone.block.fc.weight is not m.block.fc.weight
        assert isinstance(clone.block.fc.weight, ember.nn.Parameter)
        np.testing.assert_array_equal(clone.block.fc.weight.detach().numpy(),
                                      m.block.fc.weight.detach().numpy())
        x = ember.ones(2, 3)
        np.testing.assert_array_equal(clone(x).detach().numpy(), m(x).detach().numpy())
        assert "scratch" in clone.block._non_persistent_buffers_set


def test_deepcopy_keeps_shared_parameters_shared():
    lin = ember.nn.Linear(2, 2)
    seq = copy.deepcopy(ember.nn.Sequential(lin, lin))
    assert seq[0] is seq[1]
    assert len(list(seq.parameters())) == 2


# --- seed notebooks ---------------------------------------------------------------------

def test_seed_000_linear_layer_cells():
    from ember import nn
    d0, d1 = 3, 2
    model = nn.Linear(d0, d1)
    assert repr(model) == "Linear(in_features=3, out_features=2, bias=True)"
    params = dict(model.named_parameters())
    assert list(params) == ["weight", "bias"]
    text = repr(params)
    assert text.startswith("{'weight': Parameter containing:\ntensor([[")
    assert "requires_grad=True), 'bias': Parameter containing:\ntensor([" in text
    assert repr(model.weight.shape) == "ember.Size([2, 3])"
    assert repr(model.bias.shape) == "ember.Size([2])"
    for i in range(d0):
        out = str(model.weight[0, i])
        assert out == f"tensor({model.weight[0, i].item():.4f}, grad_fn=<SelectBackward0>)"
    bound = 1 / sqrt(d0)
    assert (model.weight.abs() <= bound).all() and (model.bias.abs() <= bound).all()


def test_seed_000_named_parameters_text_equals_torch_for_same_weights():
    e, t = both(lambda lib: lib.nn.Linear(3, 2))
    e.load_state_dict({k: v.numpy().copy() for k, v in t.state_dict().items()})
    assert normalize_message(repr(dict(t.named_parameters()))) == \
        repr(dict(e.named_parameters()))


def test_seed_001_going_to_pytorch_linear_layer_and_model():
    nn = ember.nn

    class LinearLayer(nn.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.weight = nn.Parameter(ember.randn(n_out, n_in) * sqrt(2 / n_in))
            self.bias = nn.Parameter(ember.zeros(n_out))

        def forward(self, x):
            return x @ self.weight.t() + self.bias

    lin = LinearLayer(10, 2)
    p1, p2 = lin.parameters()
    assert (p1.shape, p2.shape) == ((2, 10), (2,))
    assert repr((p1.shape, p2.shape)) == "(ember.Size([2, 10]), ember.Size([2]))"

    def mse(output, targ):
        return (output.squeeze(-1) - targ).pow(2).mean()

    relu = nn.ReLU() if hasattr(nn, "ReLU") else nn.Identity()

    class Model(nn.Module):
        def __init__(self, n_in, nh, n_out):
            super().__init__()
            self.layers = nn.Sequential(nn.Linear(n_in, nh), relu, nn.Linear(nh, n_out))
            self.loss = mse

        def forward(self, x, targ):
            return self.loss(self.layers(x).squeeze(), targ)

    model = Model(10, 50, 1)
    x, y = ember.randn(64, 10), ember.randn(64)
    loss = model(x, y)
    loss.backward()
    assert loss.dim() == 0
    assert [n for n, _ in model.named_parameters()] == \
        ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())
    if hasattr(nn, "ReLU"):
        t_model = torch.nn.Sequential(torch.nn.Linear(10, 50), torch.nn.ReLU(),
                                      torch.nn.Linear(50, 1))
        assert repr(model.layers) == repr(t_model)


def test_full_backward_hooks_with_tuple_outputs_repeated_calls_and_no_input_grad():
    def run(lib):
        log = []

        def as_lists(grads):
            return [None if g is None else g.tolist() for g in grads]

        class Split(lib.nn.Module):
            def forward(self, a, b=None):
                return a * 2, (a * b).sum(), a.detach()

        m = Split()
        m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", as_lists(go))))
        m.register_full_backward_hook(
            lambda mod, gi, go: log.append(("post", as_lists(gi), as_lists(go))))
        a = lib.tensor([1., 2.], requires_grad=True)
        b = lib.tensor([3., 4.], requires_grad=True)
        o1 = m(a, b)
        o2 = m(a * 3, b=b)  # a keyword tensor is not among the hooked inputs
        (o1[0].sum() + o1[1] + o2[0].sum()).backward()
        log += [a.grad.tolist(), b.grad.tolist()]
        lin = lib.nn.Linear(2, 1)  # no input requires grad: the hook fires from outputs
        lin.register_full_backward_hook(
            lambda mod, gi, go: log.append(("lin", [g is None for g in gi], len(go))))
        with pytest.warns(UserWarning, match="Full backward hook is firing when gradients"):
            lin(lib.ones(1, 2)).sum().backward()
        return log

    assert run(ember) == run(torch)


def test_load_from_state_dict_can_be_overridden_with_torchs_signature():
    def build(lib):
        class Renamed(lib.nn.Linear):
            def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs):
                old = prefix + "old_weight"
                if old in state_dict:  # upgrade a checkpoint that used another name
                    state_dict[prefix + "weight"] = state_dict.pop(old)
                super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                              missing_keys, unexpected_keys, error_msgs)

        return lib.nn.Sequential(Renamed(2, 2))

    for lib in (ember, torch):
        m = build(lib)
        result = m.load_state_dict({"0.old_weight": lib.ones(2, 2), "0.bias": lib.zeros(2)})
        assert repr(result) == "<All keys matched successfully>"
        assert m[0].weight.sum().item() == 4.0
        m.load_state_dict({"0.weight": lib.zeros(2, 2), "0.bias": lib.ones(2)}, assign=True)
        assert m[0].bias.sum().item() == 2.0 and m[0].bias.requires_grad


def _legacy_hook_log(lib, build, make_args):
    log = []
    m = build(lib)
    m.register_backward_hook(lambda mod, gi, go: log.append(
        ([None if g is None else tuple(g.shape) for g in gi], [tuple(g.shape) for g in go])))
    args = make_args(lib)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = m(*args)
    log.append([(w.category.__name__, str(w.message)) for w in caught])
    out.sum().backward()
    return log


def _mul_module(lib):
    class Mul(lib.nn.Module):
        def forward(self, a, b):
            return a * b
    return Mul()


def _sum_module(lib):
    class Twice(lib.nn.Module):
        def forward(self, a):
            return (a * 2).sum()
    return Twice()


def _nonleaf(lib, *shapes):
    return tuple(lib.ones(*s, requires_grad=True) * 1 for s in shapes)


@pytest.mark.parametrize("build,shapes", [(_mul_module, [(2,), (2,)]), (_sum_module, [(3,)])])
def test_legacy_backward_hook_sees_the_last_nodes_gradients_and_warns_like_torch(build, shapes):
    def make_args(lib):
        return _nonleaf(lib, *shapes)
    assert _legacy_hook_log(ember, build, make_args) == \
        _legacy_hook_log(torch, build, make_args)


def test_legacy_backward_hook_on_linear_sees_reduced_bias_gradient():
    def make_args(lib):
        return _nonleaf(lib, (1, 2))
    assert _legacy_hook_log(ember, lambda lib: lib.nn.Linear(2, 1), make_args) == \
        _legacy_hook_log(torch, lambda lib: lib.nn.Linear(2, 1), make_args)


def test_legacy_and_full_backward_hooks_do_not_mix():
    def fn(lib):
        m = lib.nn.Linear(1, 1)
        m.register_backward_hook(lambda *a: None)
        m.register_full_backward_hook(lambda *a: None)
    same_error(fn)

    def other_order(lib):
        m = lib.nn.Linear(1, 1)
        m.register_full_backward_hook(lambda *a: None)
        m.register_backward_hook(lambda *a: None)
    same_error(other_order)
