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
    """The Jacobian by forward mode (torch.func.jacfwd): one jvp per coordinate
    direction of the inputs, all at once as a vmap over the rows of an identity matrix.
    Shape: output.shape + input.shape for each (output, input) pair."""
    from ..creation import eye, zeros
    from .vmap import vmap

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _check_argnums(argnums, len(args), "jacfwd")
        flat_in, in_spec = tree_flatten(tuple(args[a] for a in nums))
        sizes = [t.numel() for t in flat_in]
        total = sum(sizes)

        def f_flat(*flat):
            full = list(args)
            for a, v in zip(nums, tree_unflatten(list(flat), in_spec)):
                full[a] = v
            return func(*full, **kwargs)

        if total == 0:  # nothing to push: the output, and empty Jacobians
            out = f_flat(*flat_in)
            out, aux = out if has_aux else (out, None)
            tangents_rows = tree_unflatten(
                [zeros((0,) + tuple(o.shape), dtype=o.dtype) for o in tree_flatten(out)[0]],
                tree_flatten(out)[1])
        else:
            # row k of the basis is the k-th coordinate direction over all inputs
            basis, start = [], 0
            for t, n in zip(flat_in, sizes):
                rows = eye(total, dtype=t.dtype)[:, start:start + n]
                basis.append(rows.reshape((total,) + tuple(t.shape)))
                start += n

            def push(*directions):
                return jvp(f_flat, tuple(flat_in), directions, has_aux=has_aux)

            results = vmap(push, randomness=randomness)(*basis)
            out = tree_unflatten([o[0] for o in tree_flatten(results[0])[0]],
                                 tree_flatten(results[0])[1])
            tangents_rows = results[1]
            aux = None
            if has_aux:
                flat_aux, aux_spec = tree_flatten(results[2])
                aux = tree_unflatten([a[0] if isinstance(a, Tensor) else a for a in flat_aux],
                                     aux_spec)
        flat_rows, out_spec = tree_flatten(tangents_rows)
        per_output = []
        for rows in flat_rows:
            out_shape = tuple(rows.shape[1:])
            per_input, start = [], 0
            for t, n in zip(flat_in, sizes):
                block = rows[start:start + n]
                block = block.movedim(0, -1) if block.ndim > 1 else block
                per_input.append(block.reshape(out_shape + tuple(t.shape)))
                start += n
            grouped = tree_unflatten(per_input, in_spec)
            per_output.append(grouped if isinstance(argnums, tuple) else grouped[0])
        jac = tree_unflatten(per_output, out_spec)
        return (jac, aux) if has_aux else jac

    return wrapper
