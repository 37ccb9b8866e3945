"""More products: tensordot, outer/ger, cross, kron, the fused baddbmm / addbmm /
addmv / addr, and chain_matmul.

The fused ops compute beta * input + alpha * (product) in one node, as torch does;
their gradients are the product's gradients scaled by alpha, and beta * G for input
(the engine sums it back to input's broadcast shape).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..tensor import Tensor
from .linalg import _conj_if_complex, bmm, mm, mv
from .primitive import Primitive

__all__ = ["addbmm", "addmv", "addr", "baddbmm", "chain_matmul", "cross", "ger", "kron",
           "outer", "tensordot", "vdot"]

TENSOR_METHODS = tuple(name for name in __all__ if name not in {'chain_matmul', 'tensordot'})


def _dims(shape) -> str:
    return "x".join(map(str, shape))


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "bool": "bool"}
_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
           "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _legacy(t) -> str:
    return _LEGACY.get(t.dtype.name, t.dtype.name)


def _same_scalar_type(a, b) -> None:
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected scalar type {_legacy(a)} but found {_legacy(b)}")


def tensordot(a, b, dims=2) -> Tensor:
    """Contract the last `dims` dims of a with the first `dims` of b, or the listed
    pairs `dims=([a dims], [b dims])`. Lowered like torch: permute, one mm, a view."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = dims
        dims_a = [dims_a] if isinstance(dims_a, int) else list(dims_a)
        dims_b = [dims_b] if isinstance(dims_b, int) else list(dims_b)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    dims_a = [d % a.ndim if a.ndim else d for d in dims_a]
    dims_b = [d % b.ndim if b.ndim else d for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            shown = da - a.ndim if isinstance(dims, int) else da
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[da]} in dim {shown} and second has size "
                               f"{b.shape[db]} in dim {db}")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    k = int(np.prod([a.shape[d] for d in dims_a]))
    out_shape = tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b)
    rows = int(np.prod([a.shape[d] for d in free_a]))
    cols = int(np.prod([b.shape[d] for d in free_b]))
    left = a.permute(free_a + dims_a).reshape(rows, k)
    right = b.permute(dims_b + free_b).reshape(k, cols)
    return mm(left, right).view(out_shape)


def outer(input, vec2) -> Tensor:
    """(n,) x (m,) -> (n, m): input[i] * vec2[j]."""
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    return input.unsqueeze(-1) * vec2  # MulBackward0, as torch


class Vdot(Primitive):
    """sum(conj(a) * b) of two vectors. Gradients: ga = conj(G) b, gb = G a."""

    grad_fn_name = "VdotBackward0"
    save_inputs = (0, 1)

    def forward(self, a, b):
        return np.asarray(np.vdot(a, b), dtype=a.dtype)

    def backward(self, grad):
        a, b = self.saved_tensors
        ga = (grad.conj() if grad._data.dtype.kind == "c" else grad) * b
        return ga if a._requires_grad else None, grad * a if b._requires_grad else None


def vdot(input, other) -> Tensor:
    """Dot product of two 1-D tensors, conjugating the first."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                           "tensors")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"expected scalar type {_legacy(input)} but found {_legacy(other)}")
    if input.shape[0] != other.shape[0]:
        n, m = input.shape[0], other.shape[0]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to "
                           f"have the same number of elements, but got {n} and {m} elements "
                           "respectively")
    return Vdot.apply(input, other)


def ger(input, vec2) -> Tensor:
    """Alias of outer."""
    return outer(input, vec2)


class Cross(Primitive):
    """a x b along `dim` (size 3). Gradients: ga = b x G, gb = G x a."""

    grad_fn_name = "LinalgCrossBackward0"
    save_inputs = (0, 1)

    def forward(self, a, b, dim):
        self.dim = dim
        return np.cross(a, b, axis=dim)

    def backward(self, grad):
        a, b = self.saved_tensors
        need_a, need_b = a._requires_grad, b._requires_grad
        a, b = _conj_if_complex(a, b)
        ga = Cross.apply(b, grad, dim=self.dim) if need_a else None
        gb = Cross.apply(grad, a, dim=self.dim) if need_b else None
        return ga, gb


def _cross(input, other, dim, fname) -> Tensor:
    from .elementwise import infer_broadcast_shape as broadcast_shapes
    if input.ndim != other.ndim:
        raise RuntimeError(f"{fname}: inputs must have the same number of dimensions.")
    shape = tuple(broadcast_shapes(input.shape, other.shape))
    if not -len(shape) <= dim < len(shape):
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-len(shape)}, {len(shape) - 1}], but got {dim})")
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(f"{fname}: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[dim]} and {other.shape[dim]}")
    _same_scalar_type(input, other)
    return Cross.apply(input.expand(shape), other.expand(shape), dim=dim % len(shape))


def cross(input, other, dim=None) -> Tensor:
    """Cross product along `dim`; without `dim`, torch.cross picks the first dim of size 3
    (deprecated; linalg.cross uses -1)."""
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\n"
                      "Please either pass the dim explicitly or simply use torch.linalg.cross."
                      "\nThe default value of dim will change to agree with that of "
                      "linalg.cross in a future release.", UserWarning, stacklevel=2)
        dim = next((i for i, n in enumerate(input.shape) if n == 3), -1)
    return _cross(input, other, dim, "linalg.cross")


def kron(input, other) -> Tensor:
    """Kronecker product: block (i, j) of the result is input[i, j] * other."""
    n = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (n - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (n - other.ndim) + tuple(other.shape))
    # a[i] * b[j] laid out as (a0, b0, a1, b1, ...), then merged pairwise
    a_shape, b_shape = [], []
    for sa, sb in zip(a.shape, b.shape):
        a_shape += [sa, 1]
        b_shape += [1, sb]
    prod = a.reshape(a_shape) * b.reshape(b_shape)
    return UnsafeView.apply(prod, shape=tuple(sa * sb for sa, sb in zip(a.shape, b.shape)))


class UnsafeView(Primitive):
    """A reshape of a fresh intermediate (torch's _unsafe_view): the result owns it."""

    grad_fn_name = "UnsafeViewBackward0"

    def forward(self, x, shape):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.in_shape)


# ---------------------------------------------------------------------------------------
# fused products


class AddProduct(Primitive):
    """beta * input + alpha * product(m1, m2) for product in bmm / sum of bmm / mv / outer.

    Gradients: input gets beta * G; m1 and m2 get alpha times the product's own
    gradients, written with the matching ember ops.
    """

    save_inputs = (1, 2)

    def forward(self, bias, m1, m2, beta, alpha, kind):
        self.beta, self.alpha, self.kind = beta, alpha, kind
        self.grad_fn_name = {"baddbmm": "BaddbmmBackward0", "addbmm": "AddbmmBackward0",
                             "addmv": "AddmvBackward0", "addr": "AddrBackward0"}[kind]
        if kind == "baddbmm":
            prod = np.matmul(m1, m2)
        elif kind == "addbmm":
            prod = np.matmul(m1, m2).sum(0)
        elif kind == "addmv":
            prod = m1 @ m2
        else:
            prod = np.multiply.outer(m1, m2)
        out = prod * alpha if alpha != 1 else prod
        if beta == 0:  # torch ignores input entirely (NaNs included)
            return np.ascontiguousarray(np.broadcast_to(out, out.shape)).astype(m1.dtype)
        return (out + (bias if beta == 1 else beta * bias)).astype(m1.dtype, copy=False)

    def backward(self, grad):
        m1, m2 = self.saved_tensors
        need_m1, need_m2 = m1._requires_grad, m2._requires_grad
        m1, m2 = _conj_if_complex(m1, m2)
        g_bias = grad if self.beta == 1 else grad * self.beta
        g = grad if self.alpha == 1 else grad * self.alpha
        g1 = g2 = None
        kind = self.kind
        if kind == "baddbmm":
            g1 = bmm(g, m2.mT) if need_m1 else None
            g2 = bmm(m1.mT, g) if need_m2 else None
        elif kind == "addbmm":
            gb = g.unsqueeze(0).expand((m1.shape[0],) + tuple(g.shape))
            g1 = bmm(gb, m2.mT) if need_m1 else None
            g2 = bmm(m1.mT, gb) if need_m2 else None
        elif kind == "addmv":
            g1 = outer(g, m2) if need_m1 else None
            g2 = mv(m1.t(), g) if need_m2 else None
        else:
            g1 = mv(g, m2) if need_m1 else None
            g2 = mv(g.t(), m1) if need_m2 else None
        return g_bias, g1, g2


def _check_bias(input, shape) -> None:
    """torch's expand error when `input` cannot broadcast to the product's shape (it
    names the last mismatching dim)."""
    have, want = tuple(input.shape), tuple(shape)
    if have == want:
        return
    if len(have) > len(want):
        from .shape import expand
        expand(input, want)
        return
    for i in range(len(want) - 1, -1, -1):
        j = i - (len(want) - len(have))
        if j >= 0 and have[j] != 1 and have[j] != want[i]:
            raise RuntimeError(f"The expanded size of the tensor ({want[i]}) must match the "
                               f"existing size ({have[j]}) at non-singleton dimension {i}.  "
                               f"Target sizes: {list(want)}.  Tensor sizes: {list(have)}")


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2): (b, n, k) @ (b, k, m) -> (b, n, m)."""
    if batch1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    b, n, k = batch1.shape
    if tuple(batch2.shape[:2]) != (b, k):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b}, {k}] but got: [{batch2.shape[0]}, {batch2.shape[1]}].")
    _same_scalar_type(batch1, batch2)
    if input.dtype is not batch1.dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input {_C_NAMES[input.dtype.name]}"
                           f", batch1: {_C_NAMES[batch1.dtype.name]}, batch2: "
                           f"{_C_NAMES[batch2.dtype.name]}")
    _check_bias(input, (b, n, batch2.shape[2]))
    return AddProduct.apply(input, batch1, batch2, beta=beta, alpha=alpha, kind="baddbmm")


def addbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * sum_i batch1[i] @ batch2[i] -> (n, m)."""
    if batch1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    b, n, k = batch1.shape
    if batch2.shape[0] != b:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {b} and "
                           f"{batch2.shape[0]}")
    if batch2.shape[1] != k:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({n}x{k} and "
                           f"{batch2.shape[1]}x{batch2.shape[2]})")
    _same_scalar_type(batch1, batch2)
    if input.dtype is not batch2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_legacy(input)} "
                           f"and {_legacy(batch2)}")
    _check_bias(input, (n, batch2.shape[2]))
    return AddProduct.apply(input, batch1, batch2, beta=beta, alpha=alpha, kind="addbmm")


def addmv(input, mat, vec, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat @ vec): (n, k) @ (k,) -> (n,)."""
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, "
                           f"{vec.ndim}")
    if mat.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0] if input.ndim else 1}), "
                           f"mat ({_dims(mat.shape)}), vec ({vec.shape[0]})")
    n = mat.shape[0]
    if input.ndim > 1 or (input.ndim == 1 and input.shape[0] not in (1, n)):
        raise RuntimeError(f"size mismatch, got input ({input.shape[0] if input.ndim else 1}), "
                           f"mat ({_dims(mat.shape)}), vec ({vec.shape[0]})")
    if not input.dtype is mat.dtype is vec.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{_legacy(input)}, {_legacy(mat)}, and {_legacy(vec)}")
    _check_bias(input, (mat.shape[0],))
    return AddProduct.apply(input, mat, vec, beta=beta, alpha=alpha, kind="addmv")


def addr(input, vec1, vec2, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2) -> (n, m)."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    from .. import dtypes
    target = dtypes.result_type(input, vec1, vec2)  # addr promotes, unlike the others
    input, vec1, vec2 = (x if x.dtype is target else x.to(target) for x in (input, vec1, vec2))
    _check_bias(input, (vec1.shape[0], vec2.shape[0]))
    return AddProduct.apply(input, vec1, vec2, beta=beta, alpha=alpha, kind="addr")


def chain_matmul(*matrices) -> Tensor:
    """Product of 2-D matrices (deprecated in torch for linalg.multi_dot)."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release. Use torch.linalg.multi_dot instead, which accepts a list of two "
                  "or more tensors rather than multiple parameters.", UserWarning,
                  stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    for m in matrices:
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot_chain(list(matrices))


def multi_dot_chain(tensors) -> Tensor:
    """Matrix chain product in the cheapest order (dynamic programming, as torch), ending
    in a view of the last mm (ViewBackward0, as torch)."""
    n = len(tensors)
    for i in range(n - 1):
        a, b = tensors[i].shape, tensors[i + 1].shape
        if a[1] != b[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"[{a[0]}, {a[1]}] and [{b[0]}, {b[1]}] cannot be multiplied")
    if n == 2:
        out = mm(tensors[0], tensors[1])
        return out.view(tuple(out.shape))
    p = [t.shape[0] for t in tensors] + [tensors[-1].shape[1]]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def product(i, j):
        if i == j:
            return tensors[i]
        k = split[i][j]
        return mm(product(i, k), product(k + 1, j))

    out = product(0, n - 1)
    return out.view(tuple(out.shape))

