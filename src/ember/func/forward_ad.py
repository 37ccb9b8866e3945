"""Forward mode: tangents carried on tensors, and the jvp rule of every primitive.

`jvp(f, primals, tangents)` runs `f` once. Each input is replaced by an alias of it
that carries its tangent (a *dual* tensor: `t._fw = {level: tangent}`); while a jvp
runs, every primitive's `apply` goes through `dispatch`, which runs the op as usual
and then asks the op's *jvp rule* for the tangent of its output:

    out = Exp.apply(x)                        # the primal, exactly as without jvp
    out._fw[level] = rule(Exp, (x,), (tx,), params, out)     # = tx * exp(x)

Rules are written with ember ops, so tangents are ordinary tensors: they have
gradients (grad of jvp), tangents of their own at outer levels (jvp of jvp), and batch
dims (vmap of jvp). Inside vmap a BatchedTensor's tangent lives on its physical value,
so the batching rules carry tangents along without knowing about them.

`JVP_RULES` maps a Primitive class to its rule (looked up along the class's MRO).
The families, JAX-style:

- `linear_rule`: ops linear in their tensor inputs (reshapes, views, indexing, sums,
  cat, padding by reflection...): J t is the op itself applied to the tangents.
- `multilinear_rule`: ops linear in each input separately (matmul, einsum, cross):
  the sum over inputs of the op with that one input replaced by its tangent.
- `diagonal_rule`: elementwise ops. Their Jacobian is diagonal, hence symmetric, so
  J t = J^T t: the op's own backward, handed the tangent as its "gradient", is its jvp
  (inputs are broadcast to the output's shape first, so backward reduces nothing).
- formulas of their own: softmax, log_softmax, addmm and friends, convolution,
  masked/index fill and constant padding (affine: their fill value has no tangent).
- `transpose_rule`, for every other primitive (decompositions, losses, norms...): the
  backward u -> J^T u is linear in u, and differentiating it with respect to u along
  t gives (J^T)^T t = J t.

`rule_name(cls)` says which rule an op gets; tests/func check each family against
torch.func.jvp.
"""

from __future__ import annotations

import contextlib

from .. import autograd
from ..autograd import grad_mode
from ..autograd.node import SavedOutput
from ..ops.primitive import Primitive
from ..tensor import Tensor

# Running jvp levels, innermost last. Tangents of other (finished) levels are ignored.
LEVELS: list = []
_next_level = [0]
# While the rule for level L runs, levels >= L are hidden: the rule's own ops compute
# tangents of the tangent only for the enclosing (outer) levels.
_HIDDEN: list = []


def _visible(level: int) -> bool:
    return level in LEVELS and (not _HIDDEN or level < _HIDDEN[-1])


@contextlib.contextmanager
def _computing_tangents_of(level: int):
    """While a rule for `level` runs, hide that level and the inner ones."""
    _HIDDEN.append(level)
    try:
        yield
    finally:
        _HIDDEN.pop()


# ---- tangents on tensors ------------------------------------------------------------


class DualTensor(Tensor):
    """A plain Tensor that carries tangents (`_fw`). Only the class differs, so that
    shortcuts taken for `type(x) is Tensor` (NumPy's operator straight on two plain
    tensors) step aside and the op goes through `dispatch`."""

    __slots__ = ()


def tangent(t, level: int):
    """The tangent `t` carries at `level`, or None (zero)."""
    from .batching import BatchedTensor, wrap
    if isinstance(t, BatchedTensor):
        inner = tangent(t._value, level)
        return None if inner is None else wrap(inner, t._levels)
    fw = getattr(t, "_fw", None)
    return None if fw is None else fw.get(level)


def _set_tangent(t: Tensor, level: int, tan) -> None:
    fw = dict(getattr(t, "_fw", None) or {})
    if tan is None:
        fw.pop(level, None)
    else:
        if tan.dtype != t.dtype:
            tan = tan.to(t.dtype)
        fw[level] = tan
    t._fw = fw
    if fw and t.__class__ is Tensor:
        t.__class__ = DualTensor


def make_dual(p: Tensor, tan: Tensor, level: int) -> Tensor:
    """An alias of `p` (same values and history) that carries `tan` at `level`."""
    from .batching import BatchedTensor, physical, union_levels
    if isinstance(p, BatchedTensor) or isinstance(tan, BatchedTensor):
        levels = union_levels((p, tan))
        dual = make_dual(physical(p, levels, expand=True), physical(tan, levels, expand=True),
                         level)
        return BatchedTensor(dual, levels)
    alias = _alias(p)
    _set_tangent(alias, level, tan)
    return alias


def _alias(x: Tensor) -> Tensor:
    """A new tensor object with x's values, history and tangents."""
    if x._requires_grad:
        return x.view_as(x)
    alias = x.detach()
    outer = getattr(x, "_fw", None)
    if outer:
        alias._fw = dict(outer)
        alias.__class__ = DualTensor
    return alias


def strip(t, level: int) -> None:
    """Forget `t`'s tangent at `level` (its jvp is over)."""
    from .batching import BatchedTensor
    if isinstance(t, BatchedTensor):
        return strip(t._value, level)
    fw = getattr(t, "_fw", None)
    if fw and level in fw:
        t._fw = {k: v for k, v in fw.items() if k != level}
        if not t._fw and t.__class__ is DualTensor:
            t.__class__ = Tensor


def _is_float(a) -> bool:
    return isinstance(a, Tensor) and a._data.dtype.kind in "fc"


def _zeros(a):
    from ..creation import zeros_like
    return zeros_like(a)


# ---- the interpreter ----------------------------------------------------------------


def _levels_of(args, params) -> list:
    from .batching import BatchedTensor
    found = set()
    for a in (*args, *params.values()):
        if isinstance(a, BatchedTensor):
            return []   # vmap's rule ran the op on physical tensors: tangents came along
        fw = getattr(a, "_fw", None) if isinstance(a, Tensor) else None
        if fw:
            found.update(lvl for lvl in fw if _visible(lvl))
    return sorted(found)


def dispatch(cls, original, args, params):
    """Called instead of `cls.apply` while a jvp runs: the op, then its tangents."""
    out = original(cls, *args, **params)
    rule = find_rule(cls)
    for level in _levels_of(args, params):
        if rule is diagonal_rule and _has_tangent(out, level):
            continue  # `finish` gave the elementwise op its tangent from the node
        tans = tuple(tangent(a, level) if _is_float(a) else None for a in args)
        ptans = {k: tangent(v, level) for k, v in params.items() if _is_float(v)}
        ptans = {k: v for k, v in ptans.items() if v is not None}
        if all(t is None for t in tans) and not ptans:
            continue
        use = transpose_rule if ptans or rule is diagonal_rule else rule
        with _computing_tangents_of(level):
            tan_out = use(cls, args, tans, params, out, ptans)
        _attach(out, tan_out, level)
    return out


def _has_tangent(out, level: int) -> bool:
    first = out[0] if isinstance(out, tuple) else out
    return tangent(first, level) is not None


def finish_with_tangents(node, result, inputs) -> None:
    """Elementwise ops get their tangent where the op ends, from the node itself (its
    forward has run, so it holds whatever backward needs): this also covers ops whose
    functions call `forward` and `finish` directly, not `apply`."""
    for level in _levels_of(inputs, {}):
        tans = tuple(tangent(a, level) if _is_float(a) else None for a in inputs)
        if all(t is None for t in tans):
            continue
        with _computing_tangents_of(level):
            tan = _diagonal_from_node(node, inputs, tans, result)
        _attach(result, tan, level)


def _attach(out, tan_out, level: int) -> None:
    outs = out if isinstance(out, tuple) else (out,)
    tans = tan_out if isinstance(tan_out, tuple) else (tan_out,)
    for o, t in zip(outs, tans):
        if _is_float(o):
            _set_tangent(o, level, t)
            _save_output_itself(o)


def _save_output_itself(o: Tensor) -> None:
    """A node that saved its own output keeps only the array (`SavedOutput`, to avoid a
    reference cycle), so the tangent would be lost to its backward (hessian = jacfwd
    of jacrev needs it): inside a jvp the node keeps the tensor itself."""
    node = o.grad_fn
    saved = getattr(node, "_saved", None) if node is not None else None
    if saved:
        node._saved = tuple(o if isinstance(s, SavedOutput) and s.data is o._data else s
                            for s in saved)


def commit_tangent(t: Tensor, result: Tensor) -> None:
    """An in-place op wrote `result` into `t`: `t` now has `result`'s tangents, and
    when `t` is a view, its base's tangent changes in the view's region."""
    from ..creation import zeros_like
    new = {lvl: tan for lvl, tan in (getattr(result, "_fw", None) or {}).items()
           if lvl in LEVELS}
    old = getattr(t, "_fw", None) or {}
    for lvl in sorted(set(new) | {lvl for lvl in old if lvl in LEVELS}):
        with _computing_tangents_of(lvl):
            tan = new.get(lvl)
            tan = zeros_like(t) if tan is None else tan.expand(tuple(t.shape)).to(t.dtype)
            _set_tangent(t, lvl, tan)
            base = t._base
            if base is not None:
                from ..ops.inplace import _view_index
                base_tan = tangent(base, lvl)
                base_tan = zeros_like(base) if base_tan is None else base_tan
                where = Tensor._make(_view_index(base._data, t._data).reshape(-1))
                base_tan = base_tan.reshape(-1).index_copy(0, where, tan.reshape(-1))
                _set_tangent(base, lvl, base_tan.reshape(tuple(base.shape)))


# ---- rules --------------------------------------------------------------------------

JVP_RULES: dict = {}


def find_rule(cls):
    for klass in cls.__mro__:
        if klass in JVP_RULES:
            return JVP_RULES[klass]
        if klass is Primitive:
            break
    return transpose_rule


def rule_name(cls) -> str:
    return find_rule(cls).__name__


def _tangents_in_place(args, tans) -> list:
    """The arguments with each float tensor replaced by its tangent (zeros if none)."""
    return [t if t is not None else (_zeros(a) if _is_float(a) else a)
            for a, t in zip(args, tans)]


def linear_rule(cls, args, tans, params, out, ptans):
    """J t = op(t): the op on the tangents (zeros where an input has none)."""
    return cls.apply(*_tangents_in_place(args, tans), **params)


def multilinear_rule(cls, args, tans, params, out, ptans):
    """op(t1, b) + op(a, t2): linear in each input with the others fixed."""
    total = None
    for i, t in enumerate(tans):
        if t is None:
            continue
        new = list(args)
        new[i] = t
        term = cls.apply(*new, **params)
        total = term if total is None else total + term
    return total


def _leaf(x: Tensor) -> Tensor:
    """A tensor autograd can differentiate with respect to, standing for `x`: an alias
    that keeps x's history and outer tangents (so the rule's result keeps them too)."""
    return _alias(x) if x._requires_grad else _alias(x).requires_grad_()


def diagonal_rule(cls, args, tans, params, out, ptans):
    """Elementwise ops: the Jacobian is diagonal, so J t = J^T t, the op's own backward
    applied to t. Run from `finish` (see `finish_with_tangents`); as a rule of `dispatch`
    it only stands for ops whose apply ended elsewhere, which take the transpose rule."""
    return transpose_rule(cls, args, tans, params, out, ptans)


def _diagonal_from_node(node, inputs, tans, result):
    """J t for an elementwise op from its node: backward(t_i) is d out/d x_i * t_i in
    the output's shape (the engine, not backward, reduces broadcast gradients)."""
    saved = Primitive.inputs_to_save(node, inputs)  # all of them, not just the needed
    if node.save_output:
        saved.append(result)
    if saved:
        node.save_for_backward(*saved)
    shape = tuple(result.shape)
    complex_ = result._data.dtype.kind == "c" or any(
        isinstance(a, Tensor) and a._data.dtype.kind == "c" for a in inputs)
    keep = _needs_graph(inputs, tans)
    total = None
    for i, t in enumerate(tans):
        if t is None:
            continue
        t = t.expand(shape) if tuple(t.shape) != shape else t
        if complex_:
            g = _transpose_through_node(node, i, t, result, keep)
        else:
            with _graph_mode(keep):
                grads = node.backward(t)
            g = grads[i] if isinstance(grads, tuple) else grads
        if g is not None:
            total = g if total is None else total + g
    return total


def _transpose_through_node(node, i, t, result, keep):
    """Complex inputs: backward conjugates, so differentiate u -> backward(u)[i] along
    t instead (the transpose rule on this one node)."""
    from ..creation import zeros_like
    with grad_mode.enable_grad():
        u = zeros_like(result).requires_grad_()
        grads = node.backward(u)
        g = grads[i] if isinstance(grads, tuple) else grads
        if g is None or not g._requires_grad:
            return None
        (jv,) = autograd.grad([g], [u], [t], create_graph=keep)
    return jv


def _needs_graph(args, tans) -> bool:
    """Whether the tangent must be differentiable: some input or tangent has history
    (or requires grad). The leaves a rule makes for itself do not count."""
    return grad_mode._enabled and any(
        isinstance(x, Tensor) and x._requires_grad for x in (*args, *tans))


def _graph_mode(keep: bool):
    return grad_mode.enable_grad() if keep else grad_mode.no_grad()


def transpose_rule(cls, args, tans, params, out, ptans):
    """Any op: differentiate its backward u -> J^T u with respect to u, along t."""
    from ..creation import zeros_like
    new, new_params, leaves, leaf_tans = list(args), dict(params), [], []
    with grad_mode.enable_grad():
        for i, t in enumerate(tans):
            if t is not None:
                new[i] = _leaf(args[i])
                leaves.append(new[i])
                leaf_tans.append(t)
        for k, t in ptans.items():
            new_params[k] = _leaf(params[k])
            leaves.append(new_params[k])
            leaf_tans.append(t)
        res = cls.apply(*new, **new_params)
        outs = res if isinstance(res, tuple) else (res,)
        live = [k for k, o in enumerate(outs) if _is_float(o) and o._requires_grad]
        if not live:
            return None
        us = [zeros_like(outs[k]).requires_grad_() for k in live]
        grads = autograd.grad([outs[k] for k in live], leaves, us, create_graph=True,
                              allow_unused=True)
        pairs = [(g, t) for g, t in zip(grads, leaf_tans) if g is not None and g._requires_grad]
        if not pairs:
            return None
        jv = autograd.grad([g for g, _ in pairs], us,
                           [t.to(g.dtype) if t.dtype != g.dtype else t for g, t in pairs],
                           create_graph=_needs_graph(args, tans) or bool(ptans),
                           allow_unused=True)
    result = [None] * len(outs)
    for k, j in zip(live, jv):
        result[k] = j
    return tuple(result) if isinstance(res, tuple) else result[0]


# ---- rules with formulas of their own ------------------------------------------------


def _softmax_rule(cls, args, tans, params, out, ptans):
    # y = softmax(x): dy = y * (t - sum(y * t))
    (t,) = tans
    dim = params["dim"]
    return out * (t - (out * t).sum(dim, keepdim=True))


def _log_softmax_rule(cls, args, tans, params, out, ptans):
    # y = log_softmax(x): dy = t - sum(softmax(x) * t)
    (t,) = tans
    return t - (out.exp() * t).sum(params["dim"], keepdim=True)


def _logsumexp_rule(cls, args, tans, params, out, ptans):
    # y = log(sum(exp(x))): dy = sum(softmax(x) * t) over the reduced dims
    (x,), (t,) = args, tans
    dim, keepdim = params["dim"], params.get("keepdim", False)
    kept = cls.apply(x, dim=dim, keepdim=True)
    return ((x - kept).exp() * t).sum(dim if dim not in ((), []) else None, keepdim=keepdim)


def _nansum_rule(cls, args, tans, params, out, ptans):
    # NaNs are skipped, and so are their tangents; otherwise a sum
    (x,), (t,) = args, tans
    return cls.apply(t.masked_fill(x.isnan(), 0), **params)


def _zero_rule(cls, args, tans, params, out, ptans):
    """Outputs that do not depend on the inputs' values (identity matrices shaped
    like A)."""
    return None


def _biased_product_rule(cls, args, tans, params, out, ptans):
    """addmm-like ops, beta * bias + alpha * (m1 @ m2): the product part is bilinear
    (the op with a zero bias), the bias part linear."""
    bias, m1, m2 = args
    t_bias, t1, t2 = tans
    zero_bias = _zeros(bias)
    total = None
    if t1 is not None:
        total = cls.apply(zero_bias, t1, m2, **params)
    if t2 is not None:
        term = cls.apply(zero_bias, m1, t2, **params)
        total = term if total is None else total + term
    beta = params.get("beta", 1)
    if t_bias is not None and beta != 0:
        term = (t_bias * beta if beta != 1 else t_bias).expand(tuple(out.shape))
        total = term if total is None else total + term
    return total


def _convolution_rule(cls, args, tans, params, out, ptans):
    """conv(x, w) + b: bilinear in (x, w), plus the bias's tangent per channel."""
    x, w, b = args
    tx, tw, tb = tans
    total = None
    if tx is not None:
        total = cls.apply(tx, w, None, **params)
    if tw is not None:
        term = cls.apply(x, tw, None, **params)
        total = term if total is None else total + term
    if tb is not None:
        term = tb.reshape((1, -1) + (1,) * (out.ndim - 2)).expand(tuple(out.shape))
        total = term if total is None else total + term
    return total


def _affine_fill_rule(cls, args, tans, params, out, ptans):
    """Ops that write a constant (masked_fill, index_fill, constant_pad_nd with a
    Python value): linear in the tensor, with the constant's tangent zero."""
    new_params = dict(params)
    for key in ("value",):
        if key in new_params and not isinstance(new_params[key], Tensor):
            new_params[key] = 0
    new = _tangents_in_place(args, tans)
    # a Python fill value passed positionally: zero it too
    new = [0 if (i > 0 and isinstance(a, (int, float)) and not isinstance(a, bool)) else a
           for i, a in enumerate(new)]
    return cls.apply(*new, **new_params)


# ---- the table ------------------------------------------------------------------------

_LINEAR = {
    "shape": ("Cat", "Stack", "Clone", "Expand", "Narrow", "Permute", "Reshape", "Squeeze",
              "Unbind", "Unsqueeze"),
    "reshaping": ("AsStrided", "Diagonal", "DiagonalEmbed", "Flip", "IndexAddZeros",
                  "IndexSelect", "NarrowCopy", "Regather", "Repeat", "Roll", "Rot90",
                  "Select", "Split", "Trace", "Triangle", "Unfold", "UnfoldGrad"),
    "scan": ("Cumsum", "Flip", "ScatterAddIntoZeros"),
    "reduction": ("Sum", "Mean"),
    "gather_scatter": ("Gather", "IndexSelect", "Take", "MaskedSelect", "IndexAdd",
                       "IndexCopy", "ScatterAdd", "MaskedScatter", "Put", "IndexPutOp"),
    "indexing": ("Index", "EmbedInZeros", "ScatterIntoZeros", "IndexPut"),
    "inplace": ("Copy",),
    "conversion": ("ToCopy",),
    "products": ("UnsafeView",),
    "conv": ("Im2Col", "Col2Im"),
    "padding": ("BorderPad", "BorderPadBackward"),
    "pooling": ("Taps", "TapsTranspose", "GatherIndices", "ScatterToIndices",
                "MaxPoolScatter"),
    "resampling": ("PixelShuffle", "PixelUnshuffle"),
    "embeddings": ("Embedding", "EmbeddingDenseBackward"),
    "sorting": ("Select",),
    "pointwise": ("Real", "Imag", "ConjPhysical", "ViewAsComplex", "ViewAsReal", "Complex",
                  "Deg2Rad", "Rad2Deg"),
}
_MULTILINEAR = {
    "linalg": ("MatMul", "Einsum"),
    "multilinear": ("Trilinear",),
    "products": ("Vdot", "Cross"),
    "conv": ("ConvolutionWeightGrad",),
}
_OWN = {
    ("activation", "Softmax"): _softmax_rule,
    ("activation", "LogSoftmax"): _log_softmax_rule,
    ("linalg", "Addmm"): _biased_product_rule,
    ("products", "AddProduct"): _biased_product_rule,
    ("conv", "Convolution"): _convolution_rule,
    ("gather_scatter", "MaskedFill"): _affine_fill_rule,
    ("gather_scatter", "IndexFill"): _affine_fill_rule,
    ("inplace", "Fill"): _affine_fill_rule,
    ("padding", "ConstantPadNd"): _affine_fill_rule,
    ("reduction", "Logsumexp"): _logsumexp_rule,
    ("reduction", "Nansum"): _nansum_rule,
    ("decompositions", "Identity"): _zero_rule,
}


def _register() -> None:
    import importlib

    from . import batching

    def classes(table):
        for module_name, names in table.items():
            module = importlib.import_module(f"ember.ops.{module_name}")
            for name in names:
                yield getattr(module, name)

    # elementwise: the primitives vmap batches with its elementwise rule
    for cls in batching._all_primitive_classes():
        if batching.find_rule(cls) is batching.elementwise_rule:
            JVP_RULES[cls] = diagonal_rule
    for cls in classes(_LINEAR):
        JVP_RULES[cls] = linear_rule
    for cls in classes(_MULTILINEAR):
        JVP_RULES[cls] = multilinear_rule
    for (module_name, name), fn in _OWN.items():
        JVP_RULES[getattr(importlib.import_module(f"ember.ops.{module_name}"), name)] = fn
    # Scatter is linear in (x, src) unless it reduces; with a Python src it is affine
    from ..ops import gather_scatter
    JVP_RULES[gather_scatter.Scatter] = _scatter_rule


def _scatter_rule(cls, args, tans, params, out, ptans):
    if params.get("reduce") is not None:
        return transpose_rule(cls, args, tans, params, out, ptans)
    return _affine_fill_rule(cls, args, tans, params, out, ptans)


_register()


# ---- installing the interpreter -------------------------------------------------------

_installed: list = []   # [(class, attribute name, original)]
_depth = [0]


def _make_apply(original):
    def apply(cls, *args, **params):
        return dispatch(cls, original, args, params)
    return classmethod(apply)


def _make_finish(original):
    def finish(self, out, inputs):
        result = original(self, out, inputs)
        if find_rule(type(self)) is diagonal_rule:
            finish_with_tangents(self, result, inputs)
        return result
    return finish


def install() -> None:
    """Route every primitive's `apply` through `dispatch` (nested jvps share one)."""
    from . import batching
    _depth[0] += 1
    if _depth[0] > 1:
        return
    for c in batching._all_primitive_classes():
        if "apply" in c.__dict__:
            _installed.append((c, "apply", c.__dict__["apply"]))
            c.apply = _make_apply(c.__dict__["apply"].__func__)
    for c in batching._all_primitive_classes():
        if "finish" in c.__dict__:
            _installed.append((c, "finish", c.__dict__["finish"]))
            c.finish = _make_finish(c.__dict__["finish"])


def uninstall() -> None:
    _depth[0] -= 1
    if _depth[0] > 0:
        return
    while _installed:
        c, name, original = _installed.pop()
        if original is None:  # was inherited
            delattr(c, name)
        else:
            setattr(c, name, original)


def enter_level() -> int:
    _next_level[0] += 1
    LEVELS.append(_next_level[0])
    install()
    return _next_level[0]


def exit_level(level: int) -> None:
    uninstall()
    LEVELS.remove(level)
