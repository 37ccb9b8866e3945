"""The Tensor API vs torch 2.13: metadata, conversions, Python protocols, errors.

Each case is a small program run with `lib = ember` and `lib = torch`; results are
compared after replacing "torch" by "ember" in their text, and errors by type and
message.
"""

from __future__ import annotations

import copy
import operator
import os
import pickle
import sys

import numpy as np
import pytest
import torch

import ember

sys.path.insert(0, os.path.dirname(__file__))
from differential import check_error, non_contiguous, randn  # noqa: E402

LIBS = (ember, torch)
A = np.arange(12, dtype=np.float32).reshape(3, 4)


def as_text(value) -> str:
    return repr(value).replace("torch", "ember")


def same_result(program, *args):
    """program(lib, *args) gives the same result (as text) in ember and torch."""
    e, t = (program(lib, *args) for lib in LIBS)
    assert as_text(e) == as_text(t), f"ember {e!r} vs torch {t!r}"


def same_result_t(program, *arrays):
    """Like same_result, with each array passed as a lib tensor."""
    e, t = (program(lib, *[lib.tensor(a) for a in arrays]) for lib in LIBS)
    assert as_text(e) == as_text(t), f"ember {e!r} vs torch {t!r}"


def T(lib, a=A, requires_grad=False):  # noqa: N802 - a tensor built like the others
    return lib.tensor(a, requires_grad=requires_grad)


# ---- metadata ------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 0, 3), (3, 4)])
def test_shape_size_dim_numel_like_torch(shape):
    a = np.zeros(shape, np.float32)
    same_result_t(lambda lib, a: (a.shape, a.size(), a.dim(), a.ndim, a.ndimension(),
                                  a.numel(), a.nelement(), len(a.shape)), a)
    for lib in LIBS:
        t = lib.tensor(a)
        assert [t.size(d) for d in range(t.dim())] == list(shape)
        assert [t.size(-d - 1) for d in range(t.dim())] == list(shape)[::-1]


@pytest.mark.parametrize("dim", [2, -3, 5])
def test_size_and_stride_of_bad_dim_raise_like_torch(dim):
    check_error(lambda lib, x: x.size(dim), A)
    check_error(lambda lib, x: x.stride(dim), A)


@pytest.mark.parametrize("dim", [0, -1, 1])
def test_size_of_0d_tensor_raises_like_torch(dim):
    check_error(lambda lib, x: x.size(dim), np.float32(1.0))
    check_error(lambda lib, x: x.stride(dim), np.float32(1.0))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16",
                                   "int8", "uint8", "bool", "complex64", "complex128"])
def test_dtype_device_type_names_and_element_size(dtype):
    def program(lib):
        t = lib.zeros(2, dtype=getattr(lib, dtype))
        return (t.dtype, str(t.device), t.type(), t.element_size(), t.itemsize, t.nbytes,
                t.is_floating_point(), t.is_complex(), t.is_leaf, t.is_cuda)
    same_result(program)


def test_stride_and_storage_offset_of_views_like_torch():
    def program(lib, x):
        v = x[1:, 2:]
        return (x.stride(), x.T.stride(), v.stride(), v.storage_offset(), x[:, ::2].stride(),
                x.T[1].storage_offset(), x.storage_offset(), x.stride(-1),
                lib.tensor(1.0).stride(), x[2].storage_offset(), x.expand(2, 3, 4).stride())
    same_result_t(program, A)


def test_contiguity_like_torch():
    def program(lib, x):
        return (x.is_contiguous(), x.T.is_contiguous(), x.T.contiguous().is_contiguous(),
                x.contiguous() is x, x.T.contiguous().stride(), x[:, 1:].is_contiguous(),
                x[1:].is_contiguous(), x.T.clone().stride())
    same_result_t(program, A)


# ---- values out -----------------------------------------------------------------------
def test_item_tolist_like_torch():
    def program(lib, x):
        return (x[1, 2].item(), type(x[1, 2].item()).__name__, lib.tensor([3]).item(),
                type(lib.tensor(3).item()).__name__, lib.tensor(True).item(),
                lib.tensor(1 + 2j).item(), x.tolist(), lib.tensor(2.5).tolist(),
                lib.zeros(2, 0).tolist(), lib.tensor([1 / 3]).half().tolist())
    same_result_t(program, A)


@pytest.mark.parametrize("shape", [(3, 4), (0,)])
def test_item_of_many_or_no_elements_raises_like_torch(shape):
    check_error(lambda lib, x: x.item(), np.zeros(shape, np.float32))


def test_numpy_shares_memory_and_refuses_requires_grad_like_torch():
    for lib in LIBS:
        t = T(lib)
        t.numpy()[0, 0] = 99
        assert t[0, 0].item() == 99
        assert np.shares_memory(t.numpy(), t.numpy())
        r = T(lib, requires_grad=True)
        assert r.numpy(force=True).tolist() == A.tolist()
        assert np.shares_memory(r.detach().numpy(), r.numpy(force=True))
    check_error(lambda lib, x: x.requires_grad_().numpy(), A)
    check_error(lambda lib, x: np.asarray(x.requires_grad_()), A)


@pytest.mark.parametrize("value", [[2.5], 3.7, -3.7, [[1]], True])
def test_python_number_conversions_like_torch(value):
    def program(lib):
        t = lib.tensor(value)
        return float(t), int(t), complex(t), bool(t)
    same_result(program)


@pytest.mark.parametrize("convert", [float, int, bool, complex], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(3,), (0,)])
def test_python_conversion_of_many_or_no_elements_raises_like_torch(convert, shape):
    check_error(lambda lib, x: convert(x), np.ones(shape, np.float32))


def test_float_of_tensor_that_requires_grad_works_like_torch():
    same_result(lambda lib: float(lib.tensor(2.0, requires_grad=True)))


def test_index_protocol_like_torch():
    def program(lib):
        seq = [10, 20, 30, 40]
        return (seq[lib.tensor(1)], seq[lib.tensor([2])], range(5)[lib.tensor(3, dtype=lib.int32)],
                operator.index(lib.tensor(5)), seq[lib.tensor(True)])
    same_result(program)


@pytest.mark.parametrize("value", [1.0, [1, 2], 1 + 1j], ids=["float", "two", "complex"])
def test_index_with_non_integer_tensor_raises_like_torch(value):
    check_error(lambda lib, x: [1, 2, 3][lib.tensor(value)], A)


def test_len_iter_bool_like_torch():
    def program(lib, x):
        return (len(x), len(lib.zeros(0, 3)), [r.tolist() for r in x], bool(lib.tensor([1.0])),
                bool(lib.tensor(0)), bool(lib.tensor([[0.5]])), [type(r).__name__ for r in x])
    same_result_t(program, A)


@pytest.mark.parametrize("program", [lambda lib, x: len(x[0, 0]), lambda lib, x: list(x[0, 0]),
                                     lambda lib, x: bool(x), lambda lib, x: bool(x[:0])],
                         ids=["len-0d", "iter-0d", "bool-many", "bool-empty"])
def test_len_iter_bool_errors_like_torch(program):
    check_error(program, A)


# ---- conversions ---------------------------------------------------------------------
@pytest.mark.parametrize("method", ["float", "double", "half", "long", "int", "short", "char",
                                    "byte", "bool", "cfloat", "cdouble"])
def test_dtype_conversion_methods_like_torch(method):
    vals = np.array([-1.7, 0.0, 2.5, 300.0], np.float32)
    same_result_t(lambda lib, x: (getattr(x, method)().dtype, getattr(x, method)().tolist()),
                  vals)


def test_to_returns_self_when_nothing_changes_like_torch():
    def program(lib, x):
        return (x.to(lib.float32) is x, x.to(x) is x, x.to("cpu") is x,
                x.to(lib.float32, copy=True) is x, x.to(lib.float64).dtype,
                x.to(dtype=lib.int64).dtype, x.to("cpu", lib.float16).dtype,
                x.to(lib.device("cpu"), dtype=lib.float16).dtype,
                x.to(lib.zeros(1, dtype=lib.int8)).dtype, x.cpu() is x)
    same_result_t(program, A)


def test_to_keeps_autograd_like_torch():
    def program(lib, x):
        y = x.to(lib.float64)
        y.sum().backward()
        return y.grad_fn.name(), x.grad.dtype, x.to(lib.float32) is x
    same_result(lambda lib: program(lib, T(lib, requires_grad=True)))


def test_type_with_legacy_names_like_torch():
    def program(lib, x):
        return (x.type(lib.int64).dtype, x.type(f"{lib.__name__}.DoubleTensor").dtype,
                x.type(f"{lib.__name__}.ByteTensor").dtype, x.type())
    same_result_t(program, A)
    check_error(lambda lib, x: x.type("float"), A)


def test_transposes_like_torch():
    def program(lib, x3):
        x = x3[0]
        return (x.T.shape, x.mT.shape, x3.mT.shape, x.T.tolist() == x.t().tolist(),
                x3.mT.stride(), x.H.shape, x3.mH.shape)
    same_result_t(program, randn(2, 3, 4))
    check_error(lambda lib, x: x.mT, randn(3))


def test_T_of_3d_tensor_reverses_dims_like_torch():  # noqa: N802
    same_result_t(lambda lib, x: (x.T.shape, x.T.stride()), randn(2, 3, 4))


# ---- autograd-facing methods -----------------------------------------------------------
def test_detach_clone_data_like_torch():
    def program(lib):
        x = T(lib, requires_grad=True)
        d, c = x.detach(), x.clone()
        return (d.requires_grad, d.is_leaf, d.data_ptr() == x.data_ptr(), c.requires_grad,
                c.grad_fn.name(), c.is_leaf, c.data_ptr() == x.data_ptr(),
                x.data.requires_grad, x.data.data_ptr() == x.data_ptr(), x.grad_fn,
                x.retains_grad, x.output_nr)
    same_result(program)


def test_requires_grad_attribute_and_method_like_torch():
    def program(lib):
        x = T(lib)
        x.requires_grad = True
        y = T(lib).requires_grad_()
        return x.requires_grad, y.requires_grad, (x * 2).requires_grad, (x * 2).is_leaf
    same_result(program)


def test_data_assignment_replaces_values_like_torch():
    def program(lib):
        x = T(lib, requires_grad=True)
        x.data = lib.zeros(2)
        return x.shape, x.requires_grad, x.tolist()
    same_result(program)


# ---- user attributes, hashing, pickling, copying ------------------------------------------
def test_user_attributes_like_torch():
    def program(lib):
        w = T(lib, requires_grad=True)
        w.g = lib.ones(3, 4)
        w.label = "weight"
        return w.g.shape, w.label, hash(w) == id(w), len({T(lib), T(lib)})
    same_result(program)


@pytest.mark.parametrize("requires_grad", [False, True])
def test_pickle_keeps_values_requires_grad_and_user_attributes_like_torch(requires_grad):
    def program(lib):
        w = T(lib, requires_grad=requires_grad)
        w.g = lib.tensor([1.0, 2.0])
        w.grad = lib.ones(3, 4) if requires_grad else None
        r = pickle.loads(pickle.dumps(w))
        return r.tolist(), r.requires_grad, r.is_leaf, r.grad, r.g.tolist(), type(r).__name__
    same_result(program)


def test_pickle_of_non_contiguous_tensor_keeps_values():
    for lib in LIBS:
        x = lib.tensor(non_contiguous(A.copy()))
        r = pickle.loads(pickle.dumps(x.T))
        assert r.tolist() == A.T.tolist()


def test_deepcopy_of_leaf_copies_memory_grad_and_attributes_like_torch():
    def program(lib):
        w = T(lib, requires_grad=True)
        w.grad = lib.ones(3, 4)
        w.g = [1]
        c = copy.deepcopy(w)
        c.detach().add_(1)
        return (c.tolist() != w.tolist(), c.requires_grad, c.is_leaf, c.grad.tolist(), c.g,
                c.g is w.g, c is w, c.grad is w.grad)
    same_result(program)


def test_deepcopy_of_non_leaf_raises_like_torch():
    check_error(lambda lib, x: copy.deepcopy(x.requires_grad_() * 2), A)


def test_copy_copy_shares_memory_like_torch():
    def program(lib):
        t = T(lib)
        c = copy.copy(t)
        c.add_(1)
        return t.tolist(), c is t
    same_result(program)


# ---- storage ---------------------------------------------------------------------------------
def test_storage_of_expanded_tensor_prints_like_the_seed_notebook():
    c = ember.tensor([10.0, 20, 40])
    t = c.expand_as(ember.ones(3, 3))
    assert repr(t.storage()) == " 10.0\n 20.0\n 40.0\n[ember.FloatStorage of size 3]"
    assert t.stride() == (0, 1)


@pytest.mark.parametrize("values,dtype", [([1, 2], "int64"), ([True, False], "bool"),
                                          ([1.5, 2], "float16"), ([1 / 3, 2], "float64"),
                                          ([1 / 3, 1e10, 1e-10], "float32"), ([], "float32")])
def test_storage_values_print_like_torch(values, dtype):
    # torch 2.13 names the storage `TypedStorage(dtype=..., device=cpu)`; ember keeps the
    # legacy `FloatStorage` name that the seed notebooks show, so only values are compared.
    def program(lib):
        return repr(lib.tensor(values, dtype=getattr(lib, dtype)).storage()).rsplit("\n", 1)[0]
    same_result(program)


def test_storage_of_a_view_is_the_whole_memory_like_torch():
    def program(lib):
        t = lib.tensor([10.0, 20.0, 40.0])[1:]
        s = t.storage()
        return len(s), s.tolist(), s[1], t.storage_offset()
    same_result(program)


# ---- Size ------------------------------------------------------------------------------------
def test_size_behaves_like_torch_size():
    def program(lib, x):
        s = x.shape
        return (s, s.numel(), s[1:], type(s[1:]).__name__, s + (5,), s == (3, 4), s[0],
                lib.Size([]), lib.Size([2, 3]).numel(), isinstance(s, tuple))
    same_result_t(program, A)


def test_format_of_0d_tensor_like_torch():
    same_result(lambda lib: (f"{lib.tensor(2.5):.3f}", f"{lib.tensor([2.5])}",
                             f"{lib.tensor(3):>4}"))
