# ruff: noqa: F722, F821 - jaxtyping dimension strings are not forward references
"""ember.typing: jaxtyping annotations checked by beartype on ember tensors."""

import pytest
import torch

import ember

typing = pytest.importorskip("ember.typing")
from ember.typing import Bool, Float, Int, Num, Shaped, beartype, jaxtyped, typechecked  # noqa: E402,I001


def test_reexports():
    import beartype as bt
    import jaxtyping as jt
    assert Float is jt.Float and Int is jt.Int and Bool is jt.Bool
    assert Shaped is jt.Shaped and Num is jt.Num and jaxtyped is jt.jaxtyped
    assert beartype is bt.beartype


@pytest.mark.parametrize("value, hint, ok", [
    (lambda lib: lib.ones(3), lambda T: Float[T, "n"], True),
    (lambda lib: lib.ones(3, dtype=lib.float64), lambda T: Float[T, "n"], True),
    (lambda lib: lib.ones(3, dtype=lib.int64), lambda T: Float[T, "n"], False),
    (lambda lib: lib.ones(3, dtype=lib.int64), lambda T: Int[T, "n"], True),
    (lambda lib: lib.ones(3) > 0, lambda T: Bool[T, "n"], True),
    (lambda lib: lib.ones(2, 3), lambda T: Num[T, "a b"], True),
    (lambda lib: lib.ones(2, 3), lambda T: Shaped[T, "a"], False),
    (lambda lib: lib.ones(2, 3), lambda T: Float[T, "2 3"], True),
    (lambda lib: lib.ones(2, 3), lambda T: Float[T, "3 2"], False),
    (lambda lib: lib.ones(()), lambda T: Float[T, ""], True),
    (lambda lib: lib.ones(0, 4), lambda T: Float[T, "... 4"], True),
])
def test_isinstance_agrees_with_torch(value, hint, ok):
    for lib in (ember, torch):
        assert isinstance(value(lib), hint(lib.Tensor)) is ok


def test_typechecked_binds_dimension_names_like_torch():
    messages = []
    for lib in (ember, torch):
        @typechecked
        def dot(a: Float[lib.Tensor, "n"], b: Float[lib.Tensor, "n"]) -> Float[lib.Tensor, ""]:
            return (a * b).sum()

        assert float(dot(lib.ones(3), lib.ones(3))) == 3.0
        with pytest.raises(Exception) as info:
            dot(lib.ones(3), lib.ones(4))
        messages.append((type(info.value), str(info.value)))
    assert messages[0][0] is messages[1][0]
    for msg in (messages[0][1], messages[1][1]):
        assert "The problem arose whilst typechecking parameter 'b'." in msg
        assert "n=3" in msg


def test_typechecked_checks_the_return_annotation():
    @typechecked
    def bad(a: Float[ember.Tensor, "n"]) -> Float[ember.Tensor, ""]:
        return a
    with pytest.raises(Exception, match="return"):
        bad(ember.ones(3))


def test_annotations_hold_inside_vmap():
    @typechecked
    def f(a: Float[ember.Tensor, "d"], w: Float[ember.Tensor, "d"]) -> Float[ember.Tensor, ""]:
        return (a * w).sum()
    out = ember.vmap(f, in_dims=(0, None))(ember.ones(5, 3), ember.ones(3))
    assert tuple(out.shape) == (5,)
