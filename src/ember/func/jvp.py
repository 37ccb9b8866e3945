"""Forward mode: jvp and jacfwd.

ember's primitives have no forward-mode (jvp) rules, so every jvp uses the
double-vjp trick for every primitive: with u a dummy cotangent,
g(u) = vjp(f, x)(u) = J^T u is linear in u, and the vjp of g w.r.t. u applied to the
tangent t is (J^T)^T t = J t. It needs each op's backward to be differentiable, which
ember's are (backward formulas are written with ember ops).
"""

from __future__ import annotations

import functools

from .. import autograd
from ..autograd import grad_mode
from ..tensor import Tensor
from ._pytree import tree_flatten, tree_unflatten
from .batching import physical
from .grad import (
    _DEPTH,
    _active_levels,
    _check_argnums,
    _detach,
    _detach_tree,
    _keep_graph,
    from_physical,
    make_leaf,
    to_physical,
)

__all__ = ["jvp", "jacfwd"]


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """`(func(*primals), J @ tangents)` (torch.func.jvp)."""
    if not isinstance(primals, (tuple, list)):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it "
                           "should be valid to call f(*primals).")
    flat_p, p_spec = tree_flatten(tuple(primals))
    flat_t, t_spec = tree_flatten(tuple(tangents))
    if p_spec != t_spec:
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           f"the same python structure. For example, if primals is a tuple of 3 "
                           f"tensors, tangents also must be. Got primals with structure "
                           f"{p_spec} and tangents with structure {t_spec}")
    for p, t in zip(flat_p, flat_t):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError("Trying to set a forward gradient that has a different size "
                               "than that of the original Tensor, this is not supported. Tensor "
                               f"is of size {list(p.shape)} while the given forward gradient is "
                               f"of size {list(t.shape)}.")
    _DEPTH[0] += 1
    try:
        with grad_mode.enable_grad():
            views, leaves = zip(*(make_leaf(p) for p in flat_p)) if flat_p else ((),
                                                                                             ())
            out = func(*tree_unflatten(list(views), p_spec))
            aux = None
            if has_aux:
                out, aux = out
            flat_out, out_spec = tree_flatten(out)
            for o in flat_out:
                if not isinstance(o, Tensor):
                    raise RuntimeError("jvp(f, primals, tangents): Expected f(*primals) to "
                                       f"return only tensors, got unsupported type {type(o)}")
            keep = _keep_graph(leaves)
            phys_out = [to_physical(o) for o in flat_out]
            from ..creation import zeros_like
            dummies = [zeros_like(o).requires_grad_() if o._requires_grad else None
                       for o in phys_out]
            live = [(o, u) for o, u in zip(phys_out, dummies) if u is not None]
            levels = _active_levels()
            tangent_phys = [physical(t, levels, expand=True) if levels else t for t in flat_t]
            results = [None] * len(flat_out)
            if live:
                g = autograd.grad(tuple(o for o, _ in live), leaves,
                                  grad_outputs=tuple(u for _, u in live), create_graph=True,
                                  allow_unused=True, retain_graph=True)
                used = [(gi, ti) for gi, ti in zip(g, tangent_phys)
                        if gi is not None and gi._requires_grad]
                if used:
                    jv = autograd.grad(tuple(gi for gi, _ in used), tuple(u for _, u in live),
                                       grad_outputs=tuple(ti.to(gi.dtype) for gi, ti in used),
                                       create_graph=keep, allow_unused=True, retain_graph=True)
                    it = iter(jv)
                    for i, u in enumerate(dummies):
                        if u is not None:
                            results[i] = next(it)
            outs, tans = [], []
            for o, r, p in zip(flat_out, results, phys_out):
                if r is None:
                    r = zeros_like(p)
                elif not keep:
                    r = r.detach()
                tans.append(from_physical(r))
                outs.append(o if keep else _detach(o))
    finally:
        _DEPTH[0] -= 1
    if not keep:
        aux = _detach_tree(aux)
    result = (tree_unflatten(outs, out_spec), tree_unflatten(tans, out_spec))
    return result + (aux,) if has_aux else result


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian by forward mode: one jvp per input element (torch.func.jacfwd)."""
    from ..creation import zeros
    from ..ops.shape import stack

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _check_argnums(argnums, len(args), "jacfwd")
        sel = tuple(args[a] for a in nums)
        flat_in, in_spec = tree_flatten(sel)

        def f_flat(*flat):
            full = list(args)
            for a, v in zip(nums, tree_unflatten(list(flat), in_spec)):
                full[a] = v
            out = func(*full, **kwargs)
            return out

        columns = []  # per flat input: list of tangent outputs (flat)
        out_holder = []
        aux = None
        for i, t in enumerate(flat_in):
            cols = []
            for j in range(t.numel()):
                tangents = []
                for m, t2 in enumerate(flat_in):
                    e = zeros(t2.numel(), dtype=t2.dtype)
                    if m == i:
                        e[j] = 1
                    tangents.append(e.reshape(tuple(t2.shape)))
                res = jvp(f_flat, tuple(flat_in), tuple(tangents), has_aux=has_aux)
                if has_aux:
                    aux = res[2]
                out_holder[:] = [res[0]]
                cols.append(tree_flatten(res[1])[0])
            columns.append(cols)
        if not out_holder:
            res = f_flat(*flat_in)
            out_holder.append(res[0] if has_aux else res)
        flat_out, out_spec = tree_flatten(out_holder[0])
        per_output = []
        for k, o in enumerate(flat_out):
            per_input = []
            for i, t in enumerate(flat_in):
                parts = [c[k] for c in columns[i]]
                if parts:
                    j_ = stack(parts, -1)
                else:
                    j_ = zeros(tuple(o.shape) + (0,), dtype=o.dtype)
                per_input.append(j_.reshape(tuple(o.shape) + tuple(t.shape)))
            grouped = tree_unflatten(per_input, in_spec)
            per_output.append(grouped if isinstance(argnums, tuple) else grouped[0])
        jac = tree_unflatten(per_output, out_spec)
        return (jac, aux) if has_aux else jac

    return wrapper
