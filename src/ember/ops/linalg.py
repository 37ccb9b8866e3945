"""Matrix products: matmul/@ (with torch's 1-D and batched rules), mm, bmm, mv, dot,
addmm, linear and einsum.

For out = a @ b the gradients are grad @ b^T and a^T @ grad; 1-D operands are treated
as a row (left) or column (right) and the extra dim is removed again. Batch dims
broadcast, and the engine sums each gradient back over the batch dims its operand
did not have.
"""

from __future__ import annotations

import string

import numpy as np

from .. import dtypes
from ..tensor import Tensor
from .primitive import Primitive


def _dims(shape) -> str:
    return "x".join(map(str, shape))


def _promote(a: Tensor, b: Tensor):
    if a._data.dtype == b._data.dtype:
        return a._data, b._data
    raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                       f"{_cname(a.dtype)} != {_cname(b.dtype)}")


def _cname(d) -> str:
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "bool": "bool", "complex64": "c10::complex<float>",
            "complex128": "c10::complex<double>"}.get(d.name, d.name)


class MatMul(Primitive):
    """a @ b for any ranks >= 1 (torch.matmul's rules)."""

    save_inputs = (0, 1)

    def forward(self, a, b, name):
        self.grad_fn_name = name
        return np.matmul(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        if a.ndim == 1:
            grad = grad.unsqueeze(-2)
        if b.ndim == 1:
            grad = grad.unsqueeze(-1)
        grad_a = matmul(grad, b2.mT) if a._requires_grad else None
        grad_b = matmul(a2.mT, grad) if b._requires_grad else None
        if grad_a is not None and a.ndim == 1:
            grad_a = grad_a.squeeze(-2)
        if grad_b is not None and b.ndim == 1:
            grad_b = grad_b.squeeze(-1)
        return grad_a, grad_b


def matmul(input, other) -> Tensor:
    """Matrix product with broadcasting batch dims; 1-D operands are vectors."""
    a, b = input._data, other._data
    na, nb = a.ndim, b.ndim
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{na}D and {nb}D")
    if na == 1 and nb == 1:
        return dot(input, other)
    if na == 2 and nb == 2:
        return mm(input, other)
    if na == 2 and nb == 1:
        return mv(input, other)
    _promote(input, other)
    k_a = a.shape[-1]
    k_b = b.shape[-2] if nb > 1 else b.shape[0]
    if na == 1:
        if k_a != k_b:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied (1x{k_a} and "
                               f"{_dims(b.shape[-2:])})")
        return MatMul.apply(input, other, name="SqueezeBackward4" if nb == 2 else
                            "UnsafeViewBackward0")
    if k_a != k_b:
        if nb <= 2:  # torch folds the batch into rows and calls mm
            rows = int(np.prod(a.shape[:-1]))
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k_a} and "
                               f"{_dims(b.shape)})")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{int(np.prod(b.shape[:-2]))}, {k_a}] but got: "
                           f"[{int(np.prod(b.shape[:-2]))}, {k_b}].")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2] if nb > 1 else ())
    except ValueError:
        from .elementwise import broadcast_shapes
        broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return MatMul.apply(input, other, name="UnsafeViewBackward0")


def mm(input, mat2) -> Tensor:
    """(n, k) @ (k, m) -> (n, m)."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_dims(input.shape)} "
                           f"and {_dims(mat2.shape)})")
    _promote(input, mat2)
    return MatMul.apply(input, mat2, name="MmBackward0")


def bmm(input, mat2) -> Tensor:
    """(b, n, k) @ (b, k, m) -> (b, n, m), no broadcasting."""
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    b, _, k = input.shape
    if tuple(mat2.shape[:2]) != (b, k):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b}, {k}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    _promote(input, mat2)
    return MatMul.apply(input, mat2, name="BmmBackward0")


def mv(input, vec) -> Tensor:
    """(n, k) @ (k,) -> (n,)."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, "
                           f"{vec.ndim}")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0]}), mat "
                           f"({_dims(input.shape)}), vec ({vec.shape[0]})")
    _promote(input, vec)
    return MatMul.apply(input, vec, name="MvBackward0")


def dot(input, other) -> Tensor:
    """(k,) . (k,) -> scalar."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                           "tensors")
    if input.shape[0] != other.shape[0]:
        n, m = input.shape[0], other.shape[0]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to "
                           f"have the same number of elements, but got {n} and {m} elements "
                           "respectively")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_legacy(input.dtype)} and {_legacy(other.dtype)}")
    return MatMul.apply(input, other, name="DotBackward0")


def _legacy(d) -> str:
    return {"float32": "Float", "float64": "Double", "int64": "Long"}.get(d.name, d.name)


inner = dot


class Addmm(Primitive):
    """beta * input + alpha * (mat1 @ mat2), fused: the heart of nn.Linear."""

    grad_fn_name = "AddmmBackward0"
    save_inputs = (1, 2)

    def forward(self, bias, m1, m2, beta, alpha):
        self.beta, self.alpha = beta, alpha
        out = m1 @ m2
        if alpha != 1:
            out *= alpha
        if beta == 0:
            return out
        out += bias if beta == 1 else beta * bias
        return out

    def backward(self, grad):
        m1, m2 = self.saved_tensors
        grad_bias = grad if self.beta == 1 else grad * self.beta
        g = grad if self.alpha == 1 else grad * self.alpha
        grad_m1 = mm(g, m2.t()) if m1._requires_grad else None
        grad_m2 = mm(m1.t(), g) if m2._requires_grad else None
        return grad_bias, grad_m1, grad_m2


def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * mat1 @ mat2; input broadcasts to (n, m)."""
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1.ndim}-D tensor" if mat1.ndim != 2
                           else f"mat2 must be a matrix, got {mat2.ndim}-D tensor")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_dims(mat1.shape)} and "
                           f"{_dims(mat2.shape)})")
    _promote(mat1, mat2)
    return Addmm.apply(input, mat1, mat2, beta=beta, alpha=alpha)


def linear(input, weight, bias=None) -> Tensor:
    """y = x W^T + b. Shapes: input (*, in), weight (out, in), bias (out,) -> (*, out)."""
    if input.ndim == 2 and bias is not None:
        return addmm(bias, input, weight.t())  # torch's graph: AddmmBackward0 <- TBackward0
    out = matmul(input, weight.t())
    return out + bias if bias is not None else out


# ---------------------------------------------------------------------------------------
# einsum


class Einsum(Primitive):
    """General contraction; each operand's gradient is another einsum."""

    # torch lowers einsum to permutes and bmm and returns a view of the result.
    grad_fn_name = "ViewBackward0"
    save_inputs = ()

    def forward(self, *arrays, inputs_subs, output_subs):
        self.inputs_subs, self.output_subs = inputs_subs, output_subs
        self.shapes = [a.shape for a in arrays]
        spec = ",".join(inputs_subs) + "->" + output_subs
        return np.einsum(spec, *arrays, optimize=len(arrays) > 2)

    def backward(self, grad):
        operands = self.saved_tensors
        grads = []
        for i, subs in enumerate(self.inputs_subs):
            if not operands[i]._requires_grad:
                grads.append(None)
                continue
            others = [(s, t) for j, (s, t) in enumerate(zip(self.inputs_subs, operands))
                      if j != i]
            available = set(self.output_subs).union(*[set(s) for s, _ in others])
            kept = "".join(c for c in dict.fromkeys(subs) if c in available)
            g = _einsum_raw([self.output_subs] + [s for s, _ in others], kept,
                            [grad] + [t for _, t in others])
            grads.append(_restore_missing(g, kept, subs, self.shapes[i]))
        return tuple(grads)


def _restore_missing(g: Tensor, kept: str, subs: str, shape) -> Tensor:
    """Broadcast letters summed away (or repeated, i.e. diagonals) back into place."""
    if kept == subs:
        return g
    if len(set(subs)) != len(subs):
        # a repeated letter (a diagonal): put the gradient on the diagonal
        eye_terms = []
        for c in dict.fromkeys(subs):
            pos = [k for k, s in enumerate(subs) if s == c]
            if len(pos) > 1:
                eye_terms.append((c, shape[pos[0]], len(pos)))
        raise RuntimeError("einsum backward through repeated subscripts in one operand is "
                           f"not supported by ember yet ({subs}; {eye_terms})")
    for k, c in enumerate(subs):
        if c not in kept:
            g = g.unsqueeze(k)
    return g.expand(shape)


def _einsum_raw(inputs_subs, output_subs, operands) -> Tensor:
    node = Einsum.__new__(Einsum)
    node.save_inputs = tuple(range(len(operands)))
    out = node.forward(*[t._data for t in operands], inputs_subs=inputs_subs,
                       output_subs=output_subs)
    return node.finish(out, tuple(operands))


def _parse_einsum(equation: str, operands):
    equation = equation.replace(" ", "")
    if "->" in equation:
        lhs, rhs = equation.split("->")
    else:
        lhs, rhs = equation, None
    subs = lhs.split(",")
    if len(subs) != len(operands):
        raise ValueError("einsum(): more operands were provided than specified in the "
                         "equation" if len(operands) > len(subs) else
                         "einsum(): fewer operands were provided than specified in the "
                         "equation")
    spare = [c for c in string.ascii_letters if c not in equation]
    ell_len = 0
    for s, t in zip(subs, operands):
        if "..." in s:
            ell_len = max(ell_len, t.ndim - (len(s) - 3))
    ell = "".join(spare[:ell_len])
    subs = [s.replace("...", ell[len(ell) - (t.ndim - (len(s) - 3)):] if "..." in s else "")
            for s, t in zip(subs, operands)]
    for s, t in zip(subs, operands):
        if len(s) != t.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(s)}) "
                               f"does not match the number of dimensions ({t.ndim}) for "
                               "operand 0 and no ellipsis was given")
    if rhs is None:
        counts = {}
        for c in "".join(subs):
            counts[c] = counts.get(c, 0) + 1
        rhs = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        rhs = rhs.replace("...", ell)
    return subs, rhs


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, e.g. einsum('ik,kj->ij', a, b) is a @ b."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    subs, rhs = _parse_einsum(equation, operands)
    target = dtypes.result_type(*operands)
    operands = [t if t.dtype is target else t.to(target) for t in operands]
    return _einsum_raw(subs, rhs, operands)
