"""bilinear: y = x1^T A x2 + b for every output feature (nn.Bilinear's op).

As in torch, the inputs are flattened to (batch, features), contracted by one
trilinear primitive (`TrilinearBackward0`), reshaped back, and the bias added.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .primitive import Primitive

__all__ = ["bilinear"]

FUNCTIONAL = ("bilinear",)


class Trilinear(Primitive):
    """out[b, o] = sum_ij x1[b, i] w[o, i, j] x2[b, j]; each gradient is the same
    contraction with the upstream gradient in place of the input it is for."""

    grad_fn_name = "TrilinearBackward0"
    save_inputs = (0, 1, 2)

    def forward(self, x1, w, x2):
        return np.einsum("bi,oij,bj->bo", x1, w, x2, optimize=True)

    def backward(self, grad):
        from .linalg import einsum
        x1, w, x2 = self.saved_tensors
        need = [edge[0] is not None for edge in self.next_functions]
        return (einsum("bo,oij,bj->bi", grad, w, x2) if need[0] else None,
                einsum("bo,bi,bj->oij", grad, x1, x2) if need[1] else None,
                einsum("bo,bi,oij->bj", grad, x1, w) if need[2] else None)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None):
    """Bilinear map of two inputs (..., in1) and (..., in2) to (..., out).

    Args:
        input1: (*, in1_features).
        input2: (*, in2_features), same leading dims as input1.
        weight: (out_features, in1_features, in2_features).
        bias: (out_features,) or None.
    """
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} "
                           f"and {input2.dim()}")
    for i in range(input1.dim() - 1):
        if input1.size(i) != input2.size(i):
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got "
                               f"{input1.size(i)} and {input2.size(i)}")
    if input1.size(-1) != weight.size(1):
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.size(-1)} but expected {weight.size(1)}")
    if input2.size(-1) != weight.size(2):
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.size(-1)} but expected {weight.size(2)}")
    if bias is not None and bias.size(0) != weight.size(0):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.size(0)} but expected {weight.size(0)}")
    output_size = tuple(input1.shape[:-1]) + (weight.size(0),)
    x1 = input1.reshape(-1, input1.size(-1))
    x2 = input2.reshape(-1, input2.size(-1))
    output = Trilinear.apply(x1, weight, x2).reshape(output_size)
    if bias is not None:
        output = output + bias
    return output
