"""Shape-and-dtype annotations for ember tensors: jaxtyping + beartype.

    from ember.typing import Float, typechecked

    @typechecked
    def forward(a: Float[Tensor, "d0"], w: Float[Tensor, "d0"]) -> Float[Tensor, ""]: ...

jaxtyping and beartype are optional (the `typing` extra), so this module is imported
only by `import ember.typing`. jaxtyping recognises ember tensors through their
`shape` and `dtype` (ember dtypes print like torch's, e.g. `float32`).
"""

from __future__ import annotations

from beartype import beartype
from jaxtyping import Bool, Float, Int, Num, Shaped, jaxtyped

__all__ = ["Float", "Int", "Bool", "Shaped", "Num", "jaxtyped", "beartype", "typechecked"]


def typechecked(fn):
    """`jaxtyped(typechecker=beartype)`: check annotations and consistent dim names."""
    return jaxtyped(typechecker=beartype)(fn)
