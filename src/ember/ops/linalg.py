"""Matrix products: matmul/@ (with torch's 1-D and batched rules), mm, bmm, mv, dot,
addmm, linear and einsum.

For out = a @ b the gradients are grad @ b^T and a^T @ grad; 1-D operands are treated
as a row (left) or column (right) and the extra dim is removed again. Batch dims
broadcast, and the engine sums each gradient back over the batch dims its operand
did not have.
"""

from __future__ import annotations

import builtins
import string

import numpy as np

from .. import dtypes
from ..autograd import grad_mode
from ..autograd.engine import _sum_array_to_shape
from ..tensor import Tensor, legacy_type_name
from .primitive import Primitive

__all__ = [
    'addmm',
    'bmm',
    'dot',
    'einsum',
    'inner',
    'linear',
    'matmul',
    'mm',
    'mv',
]

# the ones torch also offers as Tensor methods (x.name(...))
TENSOR_METHODS = tuple(name for name in __all__ if name not in {'einsum', 'linear'})

# the ones torch also puts in torch.nn.functional
FUNCTIONAL = (
    'linear',
)



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


def _scalar_type(t) -> str:
    """torch's ScalarType name (Float, Double, Long, ...), as in addmm's errors."""
    return legacy_type_name(t)[len("ember."):-len("Tensor")]


class MatMul(Primitive):
    """a @ b for any ranks >= 1 (torch.matmul's rules).

    Shapes: (k,) @ (k,) -> (); (n, k) @ (k,) -> (n,); (k,) @ (*b, k, m) -> (*b, m);
    (*b1, n, k) @ (*b2, k, m) -> (*broadcast(b1, b2), n, m).
    Gradients: grad_a = grad @ b^T, grad_b = a^T @ grad, with a 1-D operand treated as
    a row (left) or a column (right); the engine sums them back over broadcast batch dims.
    """

    save_inputs = (0, 1)

    def forward(self, a, b, name):
        self.grad_fn_name = name
        # np.dot is np.matmul for two matrices, with ~0.3 us less call overhead
        return np.dot(a, b) if a.ndim == 2 and b.ndim == 2 else np.matmul(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        need_a, need_b = a._requires_grad, b._requires_grad
        if (not grad_mode._enabled and grad.__class__ is Tensor
                and a.__class__ is Tensor and b.__class__ is Tensor):
            g, x, y = grad._data, a._data, b._data
            if (g.__class__ is np.ndarray and g.ndim == 2 and x.ndim == 2 and y.ndim == 2
                    and g.dtype.kind == "f"):
                # mm with no graph to build (and no tangent or batch to carry): Addmm's
                # array shortcut, each gradient in its operand's layout (torch's
                # mm_mat1/mat2_backward).
                grad_a = grad_b = None
                if need_a:
                    grad_a = Tensor._make(np.dot(y, g.T).T if _column_major(x)
                                          else np.dot(g, y.T))
                if need_b:
                    grad_b = Tensor._make(np.dot(g.T, x).T if _column_major(y)
                                          else np.dot(x.T, g))
                return grad_a, grad_b
        a, b = _conj_if_complex(a, b)
        if a.ndim == 1 and b.ndim == 1:  # dot: grad is a scalar
            return (grad * b if need_a else None,
                    grad * a if need_b else None)
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        if a.ndim == 1:
            grad = grad.unsqueeze(-2)
        if b.ndim == 1:
            grad = grad.unsqueeze(-1)
        grad_a = matmul(grad, b2.mT) if need_a else None
        grad_b = matmul(a2.mT, grad) if need_b else None
        if grad_a is not None and a.ndim == 1:
            grad_a = grad_a.squeeze(-2)
        if grad_b is not None and b.ndim == 1:
            grad_b = grad_b.squeeze(-1)
        return grad_a, grad_b


def _conj_if_complex(*tensors):
    """Complex gradients use the conjugates of the other operands (torch's convention:
    grad_a = grad @ b^H), which for real tensors are the tensors themselves."""
    return tuple(t.conj() if t._data.dtype.kind == "c" else t for t in tensors)


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
    _check_matmul_shapes(input, other)
    return MatMul.apply(input, other, name=_matmul_grad_fn_name(input, other))


def _should_fold(a: Tensor, b: Tensor) -> bool:
    """torch's `should_fold`: lower a batched product to one mm/mv instead of a bmm.

    The operand with batch dims (b^T when only `b` has them) is folded into matrix
    rows when that needs no copy, or when the other operand requires grad (which
    keeps its gradient a plain matrix product instead of a huge batch).
    """
    if a.ndim >= b.ndim:
        big, small = a._data, b
    else:
        big, small = b._data.swapaxes(-1, -2), a
    if not (big.ndim >= 3 and small.ndim <= 2):
        return False
    if small._requires_grad:
        return True
    return big.size == 0 or _foldable(big)


def _foldable(x) -> bool:
    """Whether x's leading dims merge into one without a copy."""
    st, sh = x.strides, x.shape
    return all(st[i] == st[i + 1] * sh[i + 1] for i in range(x.ndim - 2))


def _check_matmul_shapes(a: Tensor, b: Tensor) -> None:
    """torch's error for the way it would have lowered the product (mm, mv or bmm)."""
    sa, sb = a._data.shape, b._data.shape
    na, nb = len(sa), len(sb)
    k_a = sa[-1]
    k_b = sb[-2] if nb > 1 else sb[0]
    if k_a == k_b:
        try:
            np.broadcast_shapes(sa[:-2], sb[:-2])
        except ValueError:
            from .elementwise import infer_broadcast_shape as broadcast_shapes
            broadcast_shapes(sa[:-2], sb[:-2])  # raises torch's broadcasting error
        return
    if na == 1 and nb == 2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied (1x{k_a} and "
                           f"{_dims(sb)})")
    if _should_fold(a, b):
        if na >= nb:  # a's batch folded into rows: a2d @ b
            rows, k, other = int(np.prod(sa[:-1])), k_a, sb
        else:  # b^T's batch folded into rows: b^T 2d @ a^T
            rows, k, other = int(np.prod(sb[:-2])) * sb[-1], k_b, sa[::-1]
        if len(other) == 1:
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k}), vec "
                               f"({other[0]})")
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and "
                           f"{_dims(other)})")
    batch = int(np.prod(np.broadcast_shapes(sa[:-2], sb[:-2])))
    raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                       f"[{batch}, {k_a}] but got: [{batch}, {k_b}].")


def _matmul_grad_fn_name(a: Tensor, b: Tensor) -> str:
    """The node torch's matmul ends with when at least one operand has batch dims.

    A folded product ends in a view of an mm/mv, a batched one in a view of a bmm:
    both UnsafeViewBackward0. `matrix @ batch` folded is (batch^T @ matrix^T)^T, whose
    `.contiguous()` copy makes the last node a CloneBackward0.
    """
    sa, sb = a._data.shape, b._data.shape
    na, nb = len(sa), len(sb)
    if na == 1 and nb == 2:
        return "SqueezeBackward4"
    if na == nb >= 3 and not all(s == 1 for s in sb[:-2]) and all(s == 1 for s in sa[:-2]):
        return "CloneBackward0"  # torch treats a batch of one matrix as that matrix
    if na == 2 and nb >= 3 and _should_fold(a, b):
        return "CloneBackward0"
    return "UnsafeViewBackward0"


def mm(input, mat2) -> Tensor:
    """(n, k) @ (k, m) -> (n, m)."""
    a, b = input._data, mat2._data  # checks on the arrays: Size objects cost more
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_dims(a.shape)} "
                           f"and {_dims(b.shape)})")
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
    a, v = input._data, vec._data
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat "
                           f"({_dims(a.shape)}), vec ({v.shape[0]})")
    _promote(input, vec)
    return MatMul.apply(input, vec, name="MvBackward0")


def dot(input, other) -> Tensor:
    """(k,) . (k,) -> scalar."""
    a, b = input._data, other._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        n, m = a.shape[0], b.shape[0]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to "
                           f"have the same number of elements, but got {n} and {m} elements "
                           "respectively")
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_legacy(input.dtype)} and {_legacy(other.dtype)}")
    return MatMul.apply(input, other, name="DotBackward0")


def _legacy(d) -> str:
    return {"float32": "Float", "float64": "Double", "int64": "Long"}.get(d.name, d.name)


def inner(input, other) -> Tensor:
    """Sum over the last dims: (*a, k) . (*b, k) -> (*a, *b); a 0-d operand scales."""
    if input.ndim == 0 or other.ndim == 0:
        from .elementwise import mul
        return mul(input, other)
    k = input.shape[-1]
    if other.shape[-1] != k:
        raise RuntimeError("inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(input.shape)} and {list(other.shape)}")
    # torch lowers it through tensordot: two matrices, one mm, a view back
    left = input.reshape(-1, k)
    right = other.reshape(-1, k)
    return mm(left, right.t()).view(tuple(input.shape[:-1]) + tuple(other.shape[:-1]))


class Addmm(Primitive):
    """beta * input + alpha * (mat1 @ mat2), fused: the heart of nn.Linear."""

    grad_fn_name = "AddmmBackward0"
    save_inputs = (1, 2)

    def forward(self, bias, m1, m2, beta, alpha):
        self.beta, self.alpha = beta, alpha
        out = np.dot(m1, m2)  # two matrices: np.matmul's product, called faster
        if alpha != 1:
            out *= alpha
        if beta == 0:
            return out
        out += bias if beta == 1 else beta * bias
        return out

    def backward(self, grad):
        m1, m2 = self.saved_tensors
        need_m1, need_m2 = m1._requires_grad, m2._requires_grad
        # torch's mm_mat1/mat2_backward: an operand stored column-major (a transposed
        # view, as F.linear's W.t()) gets its gradient as (other^T-side product)^T, so
        # the gradient comes out in the operand's own layout (for W.t(): W's, which the
        # leaf then keeps without a copy).
        m1_cols, m2_cols = _column_major(m1._data), _column_major(m2._data)
        if (not grad_mode._enabled and self.alpha == 1 and grad.__class__ is Tensor
                and m1.__class__ is Tensor and m2.__class__ is Tensor):
            g, a, b = grad._data, m1._data, m2._data
            if g.__class__ is np.ndarray and g.dtype.kind == "f":
                # No graph to build (and no tangent or batch to carry): the same
                # products on the arrays, without mm's and t()'s tensors and checks.
                grad_m1 = grad_m2 = None
                if need_m1:
                    grad_m1 = Tensor._make(np.dot(b, g.T).T if m1_cols else np.dot(g, b.T))
                if need_m2:
                    grad_m2 = Tensor._make(np.dot(g.T, a).T if m2_cols else np.dot(a.T, g))
                grad_bias = grad if self.beta == 1 else grad * self.beta
                meta = self._input_meta[0]
                if meta is not None and meta[0] != g.shape:
                    # the bias broadcast over the rows: its gradient reduced here, on the
                    # array, as the engine would (one call less per layer)
                    try:
                        grad_bias = Tensor._make(_sum_array_to_shape(grad_bias._data, meta[0]))
                    except ValueError:
                        pass  # not reducible: the engine raises its error
                return grad_bias, grad_m1, grad_m2
        m1, m2 = _conj_if_complex(m1, m2)
        grad_bias = grad if self.beta == 1 else grad * self.beta
        g = grad if self.alpha == 1 else grad * self.alpha
        grad_m1 = grad_m2 = None
        if need_m1:
            grad_m1 = mm(m2, g.t()).t() if m1_cols else mm(g, m2.t())
        if need_m2:
            grad_m2 = mm(g.t(), m1).t() if m2_cols else mm(m1.t(), g)
        return grad_bias, grad_m1, grad_m2


def _column_major(a) -> bool:
    """torch's test for a transposed matrix: strides (1, rows) in elements."""
    st, size = a.strides, a.itemsize
    return st[0] == size and st[1] == size * a.shape[0]


def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * mat1 @ mat2.

    Shapes: input broadcastable to (n, m), mat1 (n, k), mat2 (k, m) -> (n, m).
    """
    a, b, c = mat1._data, mat2._data, input._data
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {a.ndim}-D tensor" if a.ndim != 2
                           else f"mat2 must be a matrix, got {b.ndim}-D tensor")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_dims(a.shape)} and "
                           f"{_dims(b.shape)})")
    for name, t in (("self", input), ("mat1", mat1)):  # torch's order of dtype checks
        if t._data.dtype != b.dtype:
            raise RuntimeError(f"{name} and mat2 must have the same dtype, but got "
                               f"{_scalar_type(t)} and {_scalar_type(mat2)}")
    shape = (a.shape[0], b.shape[1])
    if c.shape != shape and (c.ndim > 2 or any(
            s != 1 and s != n for s, n in zip(c.shape[::-1], shape[::-1]))):
        from .shape import expand
        expand(input, shape)  # input does not broadcast to the result: torch's error
    return Addmm.apply(input, mat1, mat2, beta=beta, alpha=alpha)


def linear(input, weight, bias=None) -> Tensor:
    """y = x W^T + b, as F.linear. Shapes: input (*, in), weight (out, in), bias (out,)
    -> (*, out).

    torch's lowering decides the graph (and so the grad_fn names): a matrix input
    with a bias is one addmm; any other contiguous input with a vector bias is
    flattened to a matrix, put through addmm and viewed back; the rest is matmul + add.
    """
    out = _linear_without_graph(input, weight, bias)
    if out is not None:
        return out
    if bias is not None and input.ndim == 2:
        x, w, b = input._data, weight._data, bias._data
        if (w.ndim == 2 and b.ndim == 1 and x.ndim == 2 and x.shape[1] == w.shape[1]
                and b.shape[0] == w.shape[0] and x.dtype is w.dtype and b.dtype is w.dtype):
            # what addmm's checks would accept, known from the arrays: Addmm directly
            return Addmm.apply(bias, input, weight.t(), beta=1, alpha=1)
        return addmm(bias, input, weight.t())  # AddmmBackward0 <- TBackward0
    if bias is not None and bias.ndim == 1 and input._data.flags.c_contiguous:
        lead = tuple(input.shape[:-1])
        rows = int(np.prod(lead)) if lead else 1
        out = addmm(bias, input.reshape(rows, input.shape[-1]), weight.t())
        return out.view(lead + (out.shape[1],))
    out = matmul(input, weight.t())
    return out + bias if bias is not None else out


def _linear_without_graph(input, weight, bias):
    """linear's shortcut for inference, or None when it must take the general path.

    With no graph to record, plain NumPy arrays (not CuPy, not vmap's batched tensors)
    of one dtype and a matrix input whose sizes fit, linear is what addmm computes:
    one matrix product, then the bias added in place. Doing it on the arrays skips the
    intermediate tensors (W^T, the expanded bias) and the checks, which cost more
    than a batch-1 product. Tensors that carry forward-AD tangents (`_fw`, a jvp's
    dual tensors) take the general path, where their ops see them.
    """
    if grad_mode._enabled and (input._requires_grad or weight._requires_grad
                               or (bias is not None and bias._requires_grad)):
        return None
    x, w = input._data, weight._data
    if (input._fw or weight._fw or x.__class__ is not np.ndarray or w.__class__ is not np.ndarray
            or x.ndim != 2 or w.ndim != 2 or x.shape[1] != w.shape[1] or x.dtype is not w.dtype):
        return None
    # np.dot is np.matmul for two matrices, with less call overhead (not a gufunc)
    if bias is None:
        return Tensor._make(np.dot(x, w.T))
    b = bias._data
    if (bias._fw or b.__class__ is not np.ndarray or b.shape != (w.shape[0],)
            or b.dtype is not x.dtype):
        return None
    out = np.dot(x, w.T)
    out += b[None]  # a (1, out) row: a batch of one adds equal shapes, with no broadcast
    return Tensor._make(out)


# ---------------------------------------------------------------------------------------
# einsum


class Einsum(Primitive):
    """General contraction; each operand's gradient is another einsum."""

    # torch lowers einsum to permutes and bmm and returns a view of the result.
    grad_fn_name = "ViewBackward0"
    save_inputs = ()

    def forward(self, *arrays, inputs_subs, output_subs):
        self.inputs_subs, self.output_subs = inputs_subs, output_subs
        self.save_inputs = tuple(range(len(arrays)))  # every operand, however many
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
                            [grad] + list(_conj_if_complex(*[t for _, t in others])))
            grads.append(_restore_missing(g, kept, subs, self.shapes[i]))
        return tuple(grads)


def _restore_missing(g: Tensor, kept: str, subs: str, shape) -> Tensor:
    """Put letters summed away back (broadcast) and repeated letters onto their diagonal.

    `g` has one dim per letter of `kept`; the result has `shape`, one dim per letter of
    `subs`. A letter the forward summed over gets the gradient broadcast along it; for
    a letter repeated in `subs` ('ii'), the forward read only the diagonal, so the
    gradient goes on the diagonal and zeros elsewhere.
    """
    unique = "".join(dict.fromkeys(subs))
    if kept == subs:
        return g
    size = {c: shape[subs.index(c)] for c in unique}
    for k, c in enumerate(unique):
        if c not in kept:
            g = g.unsqueeze(k)
    g = g.expand(tuple(builtins.max(size[c], g.shape[k]) for k, c in enumerate(unique)))
    if unique == subs:
        return g
    return DiagonalEmbed.apply(g, subs=subs, unique=unique, shape=tuple(shape))


class DiagonalEmbed(Primitive):
    """zeros(shape) with `g` written on the diagonal that einsum `subs->unique` reads.

    The adjoint of taking a diagonal: einsum('ii->i', x) reads x[i, i]; this writes
    g[i] to out[i, i]. Its own backward reads the diagonal again.
    """

    grad_fn_name = "DiagonalBackwardBackward0"

    def forward(self, g, subs, unique, shape):
        self.subs, self.unique = subs, unique
        out = np.zeros(shape, dtype=g.dtype)
        # einsum returns a writeable view for a pure diagonal/transpose
        np.einsum(f"{subs}->{unique}", out)[...] = g
        return out

    def backward(self, grad):
        return _einsum_raw([self.subs], self.unique, [grad])


def _einsum_raw(inputs_subs, output_subs, operands) -> Tensor:
    return Einsum.apply(*operands, inputs_subs=inputs_subs, output_subs=output_subs)


def _parse_einsum(equation: str, operands):
    """Operand subscripts and output subscripts, with '...' spelled out as spare letters.

    Also checks sizes the way torch does: a letter's size must agree across operands,
    except that size 1 broadcasts.
    """
    equation = equation.replace(" ", "")
    if "->" in equation:
        lhs, rhs = equation.split("->")
    else:
        lhs, rhs = equation, None
    subs = lhs.split(",")
    if len(subs) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation" if len(operands) > len(subs) else
                           "einsum(): fewer operands were provided than specified in the "
                           "equation")
    for i, (s, t) in enumerate(zip(subs, operands)):
        n = len(s.replace("...", ""))
        if ("..." in s and n > t.ndim) or ("..." not in s and n != t.ndim):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n}) "
                               f"does not match the number of dimensions ({t.ndim}) for "
                               f"operand {i}" + ("" if "..." in s else
                                                 " and no ellipsis was given"))
    spare = [c for c in string.ascii_letters if c not in equation]
    ell_len = 0
    for s, t in zip(subs, operands):
        if "..." in s:
            ell_len = builtins.max(ell_len, t.ndim - (len(s) - 3))
    ell = "".join(spare[:ell_len])
    subs = [s.replace("...", ell[len(ell) - (t.ndim - (len(s) - 3)):] if "..." in s else "")
            for s, t in zip(subs, operands)]
    seen = {}
    for i, (s, t) in enumerate(zip(subs, operands)):
        own = {}
        for c, n in zip(s, t.shape):
            if c in own and own[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the "
                                   f"sizes don't match, {n} != {own[c]}")
            own[c] = n
            if c in ell:
                continue  # ellipsis dims broadcast like any other batch dims
            if seen.get(c, 1) != 1 and n != 1 and seen[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which "
                                   f"does not broadcast with previously seen size {seen[c]}")
            seen[c] = builtins.max(seen.get(c, 1), n) if n else 0
    if rhs is None:
        counts = {}
        for c in "".join(subs):
            counts[c] = counts.get(c, 0) + 1
        rhs = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        rhs = rhs.replace("...", ell)
        for c in rhs:
            if not any(c in s for s in subs):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
    return subs, rhs, seen


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, e.g. einsum('ik,kj->ij', a, b) is a @ b.

    Letters shared by operands are multiplied along; letters absent from the output
    are summed; a letter repeated in one operand ('ii') reads its diagonal; '...'
    stands for broadcast batch dims; without '->' the output is the letters that
    appear once, in alphabetical order.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    subs, rhs, sizes = _parse_einsum(equation, operands)
    target = dtypes.result_type(*operands)
    operands = [t if t.dtype is target else t.to(target) for t in operands]
    # torch broadcasts a letter of size 1 against the same letter elsewhere; NumPy
    # does not, so expand those dims first (a view; the engine sums the gradient back)
    for i, (s, t) in enumerate(zip(subs, operands)):
        full = tuple(sizes.get(c, n) if n == 1 else n for c, n in zip(s, t.shape))
        if full != tuple(t.shape):
            operands[i] = t.expand(full)
    return _einsum_raw(subs, rhs, operands)
