"""Forward mode: jvp and jacfwd, through the jvp rules of `forward_ad.py`.

`jvp` runs the function once on dual tensors (each input's alias carries its tangent);
every primitive computes its output's tangent by its rule as it goes, so there is no
backward pass and no graph is kept beyond what reverse mode would keep anyway.
"""

from __future__ import annotations

import functools

from ..tensor import Tensor
from . import forward_ad
from ._pytree import tree_flatten, tree_unflatten
from .grad import _DEPTH, _check_argnums, _detach, _detach_tree

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
        if not isinstance(p, Tensor) or not isinstance(t, Tensor):
            raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to "
                               f"only contain Tensors, got {type(p)} and {type(t)}")
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError("Trying to set a forward gradient that has a different size "
                               "than that of the original Tensor, this is not supported. Tensor "
                               f"is of size {list(p.shape)} while the given forward gradient is "
                               f"of size {list(t.shape)}.")
    _DEPTH[0] += 1  # grad transforms inside keep their graphs (and so our tangents)
    level = forward_ad.enter_level()
    try:
        duals = [forward_ad.make_dual(p, t, level) for p, t in zip(flat_p, flat_t)]
        out = func(*tree_unflatten(duals, p_spec))
        aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError("jvp(f, primals, tangents): output of function with "
                                   "has_aux=True must be a tuple of (output, aux)")
            out, aux = out
        flat_out, out_spec = tree_flatten(out)
        tans = []
        for o in flat_out:
            if not isinstance(o, Tensor):
                raise RuntimeError("jvp(f, primals, tangents): Expected f(*primals) to "
                                   f"return only tensors, got unsupported type {type(o)}")
            tan = forward_ad.tangent(o, level)
            if tan is None:
                from ..creation import zeros_like
                tan = zeros_like(o)
            tans.append(tan)
        for o in flat_out:
            forward_ad.strip(o, level)
        # Graphs made only by transforms inside (a jacrev's leaves) end here, unless an
        # enclosing transform or the caller's own tensors need them.
        keep = _DEPTH[0] > 1 or any(x._requires_grad for x in (*flat_p, *flat_t))
        if not keep:
            flat_out = [_detach(o) for o in flat_out]
            tans = [_detach(t) for t in tans]
            aux = _detach_tree(aux)
    finally:
        forward_ad.exit_level(level)
        _DEPTH[0] -= 1
    result = (tree_unflatten(list(flat_out), out_spec), tree_unflatten(tans, out_spec))
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
