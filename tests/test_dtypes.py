"""dtypes: names, aliases, promotion and the default dtype, compared with torch 2.13.

Promotion is checked exhaustively: every pair of the 11 dtypes through
`promote_types`, and every combination of a tensor with dimensions, a 0-d tensor and
a Python scalar (bool, int, float, complex) through `result_type`.
"""

from __future__ import annotations

import itertools
import os
import pickle
import sys

import numpy as np
import pytest
import torch

import ember
import ember.dtypes as edt

sys.path.insert(0, os.path.dirname(__file__))

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
         "complex64", "complex128"]
ALIASES = ["half", "float", "double", "short", "int", "long", "cfloat", "cdouble", "bool"]


def same(e_dtype, t_dtype) -> bool:
    # Known deviation: NumPy has no complex half, so ember has no complex32; where torch
    # promotes float16 with a complex value to complex32, ember gives complex64.
    t_name = repr(t_dtype).replace("torch.", "").replace("complex32", "complex64")
    return repr(e_dtype).replace("ember.", "") == t_name


def ember_operand(kind: str, name: str, scalar=None):
    if kind == "scalar":
        return scalar
    shape = (2,) if kind == "dim" else ()
    return ember.zeros(shape, dtype=getattr(ember, name))


def torch_operand(kind: str, name: str, scalar=None):
    if kind == "scalar":
        return scalar
    shape = (2,) if kind == "dim" else ()
    return torch.zeros(shape, dtype=getattr(torch, name))


@pytest.mark.parametrize("name", NAMES + ALIASES)
def test_every_dtype_name_and_alias_matches_torch(name):
    e, t = getattr(ember, name), getattr(torch, name)
    assert repr(e) == repr(t).replace("torch", "ember")
    assert str(e) == str(t).replace("torch", "ember")
    assert e.is_floating_point == t.is_floating_point
    assert e.is_complex == t.is_complex
    assert e.is_signed == t.is_signed
    assert e.itemsize == t.itemsize


def test_aliases_are_the_same_objects_as_the_canonical_dtypes():
    assert ember.float is ember.float32 and ember.double is ember.float64
    assert ember.half is ember.float16 and ember.long is ember.int64
    assert ember.int is ember.int32 and ember.short is ember.int16
    assert ember.cfloat is ember.complex64 and ember.cdouble is ember.complex128


@pytest.mark.parametrize("name", NAMES)
def test_dtype_pickles_to_the_same_singleton(name):
    d = getattr(ember, name)
    assert pickle.loads(pickle.dumps(d)) is d


@pytest.mark.parametrize("a", NAMES)
def test_promote_types_equals_torch_for_every_pair(a):
    for b in NAMES:
        e = ember.promote_types(getattr(ember, a), getattr(ember, b))
        t = torch.promote_types(getattr(torch, a), getattr(torch, b))
        assert same(e, t), f"promote_types({a}, {b}): {e} vs torch {t}"


SCALARS = [True, 2, 2.5, 1 + 2j]
KINDS = ["dim", "zero"]


@pytest.mark.parametrize("kind_a,kind_b", list(itertools.product(KINDS, KINDS)))
@pytest.mark.parametrize("a", NAMES)
def test_result_type_of_two_tensors_equals_torch(a, kind_a, kind_b):
    for b in NAMES:
        e = ember.result_type(ember_operand(kind_a, a), ember_operand(kind_b, b))
        t = torch.result_type(torch_operand(kind_a, a), torch_operand(kind_b, b))
        assert same(e, t), f"result_type({kind_a} {a}, {kind_b} {b}): {e} vs torch {t}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("a", NAMES)
def test_result_type_of_tensor_and_python_scalar_equals_torch(a, kind):
    for s in SCALARS:
        e = ember.result_type(ember_operand(kind, a), s)
        t = torch.result_type(torch_operand(kind, a), s)
        assert same(e, t), f"result_type({kind} {a}, {s!r}): {e} vs torch {t}"
        e = ember.result_type(s, ember_operand(kind, a))
        t = torch.result_type(s, torch_operand(kind, a))
        assert same(e, t), f"result_type({s!r}, {kind} {a}): {e} vs torch {t}"


@pytest.mark.parametrize("default", ["float32", "float64"])
def test_result_type_of_int_tensor_and_float_scalar_follows_default_dtype(default):
    prev_e, prev_t = ember.get_default_dtype(), torch.get_default_dtype()
    try:
        ember.set_default_dtype(getattr(ember, default))
        torch.set_default_dtype(getattr(torch, default))
        for a in NAMES:
            for s in SCALARS:
                e = ember.result_type(ember_operand("dim", a), s)
                t = torch.result_type(torch_operand("dim", a), s)
                assert same(e, t), f"{default}: result_type({a}, {s!r}): {e} vs torch {t}"
    finally:
        ember.set_default_dtype(prev_e)
        torch.set_default_dtype(prev_t)


@pytest.mark.parametrize("a", NAMES)
@pytest.mark.filterwarnings("ignore:ComplexHalf")
def test_binary_op_result_dtype_matches_result_type(a):
    x = ember.ones(2, dtype=getattr(ember, a))
    for b in NAMES:
        y = ember.ones((), dtype=getattr(ember, b))
        t = torch.ones(2, dtype=getattr(torch, a)) + torch.ones((), dtype=getattr(torch, b))
        assert same((x + y).dtype, t.dtype), f"{a} + 0-d {b}"


def test_default_dtype_is_float32_and_tensor_follows_it():
    assert ember.get_default_dtype() is ember.float32
    assert ember.tensor([1.5]).dtype is ember.float32
    prev = ember.get_default_dtype()
    try:
        ember.set_default_dtype(ember.float64)
        assert ember.get_default_dtype() is ember.float64
        assert ember.tensor([1.5]).dtype is ember.float64
        assert ember.tensor([1]).dtype is ember.int64
        assert ember.tensor(1 + 2j).dtype is ember.complex128
    finally:
        ember.set_default_dtype(prev)
    assert ember.tensor([1.5]).dtype is ember.float32
    assert ember.tensor(1 + 2j).dtype is ember.complex64


@pytest.mark.parametrize("name", ["int64", "bool", "complex64"])
def test_set_default_dtype_rejects_non_floating_like_torch(name):
    with pytest.raises(TypeError) as t_exc:
        torch.set_default_dtype(getattr(torch, name))
    with pytest.raises(TypeError) as e_exc:
        ember.set_default_dtype(getattr(ember, name))
    assert str(e_exc.value) == str(t_exc.value)
    assert ember.get_default_dtype() is ember.float32


@pytest.mark.parametrize("a", NAMES)
def test_can_cast_equals_torch(a):
    for b in NAMES:
        assert ember.can_cast(getattr(ember, a), getattr(ember, b)) == \
            torch.can_cast(getattr(torch, a), getattr(torch, b)), (a, b)


# ---- jaxtyping ----------------------------------------------------------------------
jaxtyping = pytest.importorskip("jaxtyping")
beartype = pytest.importorskip("beartype")


def test_jaxtyping_float_int_bool_shaped_recognise_ember_tensors():
    from jaxtyping import Bool, Float, Int, Shaped
    x = ember.tensor([1.0, 2.0])
    assert isinstance(x, Float[ember.Tensor, "n"])
    assert not isinstance(x, Int[ember.Tensor, "n"])
    assert isinstance(ember.tensor([1, 2]), Int[ember.Tensor, "n"])
    assert not isinstance(ember.tensor([1, 2]), Float[ember.Tensor, "n"])
    assert isinstance(ember.tensor([True]), Bool[ember.Tensor, "n"])
    assert isinstance(ember.zeros(2, 3), Shaped[ember.Tensor, "a b"])
    assert not isinstance(ember.zeros(2, 3), Shaped[ember.Tensor, "a"])
    assert isinstance(ember.zeros(2, 3, dtype=ember.float64), Float[ember.Tensor, "2 3"])


Matrix = jaxtyping.Float[ember.Tensor, "r c"]
Columns = jaxtyping.Float[ember.Tensor, " c"]
Rows = jaxtyping.Float[ember.Tensor, " r"]


@jaxtyping.jaxtyped(typechecker=beartype.beartype)
def _matvec(m: Matrix, v: Columns) -> Rows:
    return m @ v


def test_jaxtyped_beartype_function_rejects_dimension_mismatch():
    assert _matvec(ember.ones(2, 3), ember.ones(3)).shape == (2,)
    with pytest.raises(jaxtyping.TypeCheckError):
        _matvec(ember.ones(2, 3), ember.ones(4))
    with pytest.raises(jaxtyping.TypeCheckError):
        _matvec(ember.ones(2, 3), ember.ones(3, dtype=ember.int64))


@pytest.mark.parametrize("np_dtype", [np.longdouble, np.object_])
def test_numpy_dtype_without_torch_equivalent_raises_torch_error(np_dtype):
    a = np.zeros(2, dtype=np_dtype)
    with pytest.raises(TypeError) as t_exc:
        torch.from_numpy(a)
    with pytest.raises(TypeError) as e_exc:
        ember.from_numpy(a)
    # ember supports fewer unsigned types than torch, so only the first sentence is shared.
    assert str(e_exc.value).split(" The only")[0] == str(t_exc.value).split(" The only")[0]


def test_result_type_of_two_python_scalars_equals_torch():
    for a, b in itertools.product(SCALARS, SCALARS):
        assert same(ember.result_type(a, b), torch.result_type(a, b)), (a, b)


# ---- finfo / iinfo (ember.dtypes; the top-level ember.finfo is an alias when exported) ---
FLOATS = ["float16", "float32", "float64", "complex64", "complex128"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


@pytest.mark.parametrize("name", FLOATS)
def test_finfo_matches_torch(name):
    e, t = edt.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
    for attr in ["bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"]:
        assert getattr(e, attr) == getattr(t, attr), attr
    assert repr(e) == repr(t)


def test_finfo_without_argument_follows_default_dtype():
    assert repr(edt.finfo()) == repr(torch.finfo())


@pytest.mark.parametrize("name", INTS)
def test_iinfo_matches_torch(name):
    e, t = edt.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    assert (e.bits, e.max, e.min, e.dtype) == (t.bits, t.max, t.min, t.dtype)
    assert repr(e) == repr(t)


@pytest.mark.parametrize("call,name", [("finfo", "int64"), ("finfo", "bool"), ("iinfo", "float32"),
                                       ("iinfo", "bool")])
def test_finfo_iinfo_of_wrong_kind_raise_like_torch(call, name):
    with pytest.raises(TypeError) as t_exc:
        getattr(torch, call)(getattr(torch, name))
    with pytest.raises(TypeError) as e_exc:
        getattr(edt, call)(getattr(ember, name))
    assert str(e_exc.value) == str(t_exc.value).replace("torch", "ember")


@pytest.mark.parametrize("name", NAMES)
def test_to_real_and_to_complex_match_torch(name):
    e, t = getattr(ember, name), getattr(torch, name)
    assert same(e.to_real(), t.to_real())
    if t.is_floating_point or t.is_complex:
        assert same(e.to_complex(), t.to_complex())
