"""linalg.diagonal: the diagonal of the matrices of a tensor, as a view."""

from __future__ import annotations

import numpy as np

from ..ops.primitive import Primitive
from ..tensor import Tensor


class Diagonal(Primitive):
    """A view of x[..., i, i + offset] over dims (dim1, dim2), moved to the last dim.

    Gradient: zeros of the input's shape with G written back on that diagonal.
    """

    grad_fn_name = "DiagonalBackward0"
    is_view = True

    def forward(self, x, offset, dim1, dim2):
        self.offset, self.dim1, self.dim2, self.shape = offset, dim1, dim2, x.shape
        return np.diagonal(x, offset, dim1, dim2)

    def backward(self, grad):
        return DiagonalBackward.apply(grad, shape=self.shape, offset=self.offset,
                                      dim1=self.dim1, dim2=self.dim2)


class DiagonalBackward(Primitive):
    """zeros(shape) with g on the diagonal that Diagonal reads; its gradient reads it."""

    grad_fn_name = "DiagonalBackwardBackward0"

    def forward(self, g, shape, offset, dim1, dim2):
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2
        out = np.zeros(shape, dtype=g.dtype)
        view = np.diagonal(out, offset, dim1, dim2)
        view.setflags(write=True)
        view[...] = g
        return out

    def backward(self, grad):
        return Diagonal.apply(grad, offset=self.offset, dim1=self.dim1, dim2=self.dim2)


def diagonal(a: Tensor, offset: int, dim1: int, dim2: int) -> Tensor:
    n = a.ndim
    for d in (dim1, dim2):
        if not -n <= d < n or n == 0:
            lo, hi = (-n, n - 1) if n else (-1, 0)
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                             f"but got {d})")
    d1, d2 = dim1 % n, dim2 % n
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(a, offset=offset, dim1=d1, dim2=d2)
