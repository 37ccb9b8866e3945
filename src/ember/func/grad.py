"""Reverse mode as function transforms: grad, grad_and_value, vjp, jacrev, hessian.

All are built on `ember.autograd.grad`. The inputs being differentiated become fresh
leaves (or, when they already carry a graph from an enclosing transform, a fresh
alias of it, so that the outer transform can differentiate through this one). Inside
`vmap` a leaf gets one batch dim per running vmap level even when the input was not
batched (per-example copies): the physical output then depends on each example's own
copy, so one backward gives per-example gradients.
"""

from __future__ import annotations

import functools

from .. import autograd
from ..autograd import grad_mode
from ..tensor import Tensor
from . import batching, forward_ad
from ._pytree import tree_flatten, tree_unflatten
from .batching import BatchedTensor, physical, wrap

__all__ = ["grad", "grad_and_value", "vjp", "jacrev", "hessian"]

# How many grad/jvp transforms are running: inner ones must keep their graphs.
_DEPTH = [0]


def _active_levels() -> tuple:
    return tuple(lvl for lvl, _, _ in batching.LEVELS)


def make_leaf(x):
    """(the tensor the function sees, the physical tensor autograd differentiates)."""
    levels = _active_levels()
    p = physical(x, levels, expand=True) if levels else (
        x._value if isinstance(x, BatchedTensor) else x)
    if p._requires_grad:
        p = p.view(tuple(p.shape))  # an alias: differentiate only through this use
    else:
        # a fresh leaf, keeping the tangents of running jvps (jacfwd of jacrev)
        p = forward_ad._alias(p).requires_grad_()
    return wrap(p, levels), p


def to_physical(out):
    levels = _active_levels()
    return physical(out, levels, expand=True) if levels else out


def from_physical(g):
    return wrap(g, _active_levels())


def _keep_graph(leaves) -> bool:
    return _DEPTH[0] > 1 or any(p.grad_fn is not None for p in leaves)


def _check_argnums(argnums, n_args, name):
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if isinstance(argnums, tuple) and not argnums:
        raise RuntimeError("argnums must be non-empty")
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
        if not -n_args <= a < n_args:
            raise RuntimeError(f"Got argnum={a}, but only {n_args} positional inputs")
    return tuple(a % n_args for a in nums)


def _prepare(args, argnums, name):
    """Replace the differentiated args by leaves; return (args, leaves, specs)."""
    nums = _check_argnums(argnums, len(args), name)
    args = list(args)
    leaves, specs = [], []
    for a in nums:
        flat, spec = tree_flatten(args[a])
        views, phys = [], []
        for t in flat:
            if not isinstance(t, Tensor):
                raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
            v, p = make_leaf(t)
            views.append(v)
            phys.append(p)
        args[a] = tree_unflatten(views, spec)
        leaves.append(phys)
        specs.append(spec)
    return args, leaves, specs, nums


def _grads(outputs, leaves_flat, cotangents, keep):
    grads = autograd.grad(outputs, leaves_flat, grad_outputs=cotangents, create_graph=keep,
                          retain_graph=True, allow_unused=True)
    out = []
    for g, p in zip(grads, leaves_flat):
        if g is None:
            from ..creation import zeros_like
            g = zeros_like(p)
        elif not keep:
            g = g.detach()
        out.append(from_physical(g))
    return out


def _regroup(flat, leaves, specs, argnums):
    res, i = [], 0
    for phys, spec in zip(leaves, specs):
        res.append(tree_unflatten(flat[i:i + len(phys)], spec))
        i += len(phys)
    return tuple(res) if isinstance(argnums, tuple) else res[0]


def grad_and_value(func, argnums=0, has_aux=False):
    """`(gradient of func w.r.t. args[argnums], func's value)`; func returns a scalar."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        _DEPTH[0] += 1
        try:
            with grad_mode.enable_grad():
                new_args, leaves, specs, _ = _prepare(args, argnums, "grad_and_value(f)(*args)")
                out = func(*new_args, **kwargs)
                aux = None
                if has_aux:
                    if not (isinstance(out, tuple) and len(out) == 2):
                        raise RuntimeError("grad_and_value(f)(*args): output of function f "
                                           "should be a tuple: (output, aux) if has_aux is "
                                           "True")
                    out, aux = out
                if not isinstance(out, Tensor):
                    raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return "
                                       f"a Tensor, got {type(out)}")
                if out.dim() != 0:
                    raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return "
                                       f"a scalar Tensor, got tensor with {out.dim()} dims. "
                                       "Maybe you wanted to use the vjp or jacrev APIs "
                                       "instead?")
                flat_leaves = [p for group in leaves for p in group]
                keep = _keep_graph(flat_leaves)
                phys = to_physical(out)
                from ..creation import ones_like
                if phys._requires_grad:
                    flat = _grads((phys,), flat_leaves, (ones_like(phys),), keep)
                else:
                    from ..creation import zeros_like
                    flat = [from_physical(zeros_like(p)) for p in flat_leaves]
                g = _regroup(flat, leaves, specs, argnums)
                value = out if keep else _detach(out)
                if not keep:
                    aux = _detach_tree(aux)
            return (g, (value, aux)) if has_aux else (g, value)
        finally:
            _DEPTH[0] -= 1

    return wrapper


def _detach(x):
    if isinstance(x, BatchedTensor):
        return wrap(x._value.detach(), x._levels)
    return x.detach() if isinstance(x, Tensor) else x


def _detach_tree(tree):
    flat, spec = tree_flatten(tree)
    return tree_unflatten([_detach(x) for x in flat], spec)


def grad(func, argnums=0, has_aux=False):
    """The gradient of scalar-valued `func` w.r.t. `args[argnums]` (torch.func.grad)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = grad_and_value(func, argnums, has_aux)(*args, **kwargs)
        if has_aux:
            return g, value[1]
        return g

    return wrapper


def vjp(func, *primals, has_aux=False):
    """`(func(*primals), vjp_fn)`; `vjp_fn(cotangents)` gives one gradient per primal."""
    _DEPTH[0] += 1
    try:
        with grad_mode.enable_grad():
            n = len(primals)
            new_args, leaves, specs, _ = _prepare(primals, tuple(range(n)), "vjp") \
                if n else (list(primals), [], [], ())
            out = func(*new_args)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("vjp(f, *primals): output of function f should be a "
                                       "tuple: (output, aux) if has_aux is True")
                out, aux = out
            flat_out, out_spec = tree_flatten(out)
            for o in flat_out:
                if not isinstance(o, Tensor):
                    raise RuntimeError("vjp(f, *primals): Expected f to be a function that has "
                                       "only Tensors as outputs, got "
                                       f"{type(o)}")
            flat_leaves = [p for group in leaves for p in group]
            keep = _keep_graph(flat_leaves)
            phys_out = [to_physical(o) for o in flat_out]
    finally:
        _DEPTH[0] -= 1
    levels = _active_levels()

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        flat_ct, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec and not (len(flat_ct) == len(flat_out) == 1):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as "
                               f"pytree structure of outputs to the function. cotangents: "
                               f"{ct_spec}, primal output: {out_spec}")
        for c, o in zip(flat_ct, flat_out):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of "
                                   f"{c.shape} and output[0] has a shape of {o.shape}.")
        extra = tuple(sorted(set(lvl for c in flat_ct for lvl in batching.levels_of(c))
                             - set(levels)))
        pairs = [(o, c) for o, c in zip(phys_out, flat_ct) if o._requires_grad]
        do_keep = keep or _DEPTH[0] > 0 or (create_graph is True)
        with grad_mode.enable_grad():
            if not extra:
                cts = [physical(c, levels, expand=True) if levels else c for _, c in pairs]
                flat = _grads(tuple(o for o, _ in pairs), flat_leaves, tuple(cts), do_keep) \
                    if pairs else _zeros(flat_leaves)
            else:
                flat = _vjp_extra_levels(pairs, flat_leaves, levels, extra, do_keep)
        return _regroup_all(flat, leaves, specs)

    if not keep:
        out, aux = _detach_tree(out), _detach_tree(aux)
    if has_aux:
        return out, vjp_fn, aux
    return out, vjp_fn


def _zeros(flat_leaves):
    from ..creation import zeros_like
    return [from_physical(zeros_like(p)) for p in flat_leaves]


def _regroup_all(flat, leaves, specs):
    res, i = [], 0
    for phys, spec in zip(leaves, specs):
        res.append(tree_unflatten(flat[i:i + len(phys)], spec))
        i += len(phys)
    return tuple(res)


def _vjp_extra_levels(pairs, flat_leaves, levels, extra, keep):
    """vjp_fn called under a vmap that started after vjp: one backward per example of
    the new levels, stacked (the graph was built without those levels)."""
    import itertools

    from ..ops.shape import stack
    every = tuple(sorted(levels + extra))
    sizes = [batching.level_size(lvl) for lvl in extra]
    rows = []
    for idx in itertools.product(*(range(s) for s in sizes)):
        cts = []
        for _, c in pairs:
            p = physical(c, every, expand=True)
            # move the extra levels' dims to the front, then pick this example
            order = [every.index(lvl) for lvl in extra] + [every.index(lvl) for lvl in levels]
            order += list(range(len(every), p.ndim))
            cts.append(p.permute(*order)[idx])
        grads = autograd.grad(tuple(o for o, _ in pairs), flat_leaves, grad_outputs=tuple(cts),
                              create_graph=keep, retain_graph=True, allow_unused=True)
        from ..creation import zeros_like
        rows.append([zeros_like(p) if g is None else g for g, p in zip(grads, flat_leaves)])
    out = []
    for k, p in enumerate(flat_leaves):
        g = stack([r[k] for r in rows]).reshape(tuple(sizes) + tuple(p.shape))
        # dims are (extra..., levels..., logical...): reorder to sorted level order
        cur = list(extra) + list(levels)
        order = [cur.index(lvl) for lvl in every] + list(range(len(every), g.ndim))
        out.append(wrap(g.permute(*order), every))
    return out


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """The Jacobian by reverse mode: one vjp per output element (torch.func.jacrev).

    Shape: for output shape O and input shape I, the Jacobian has shape O + I."""
    from ..ops.shape import stack

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _check_argnums(argnums, len(args), "jacrev")

        def f_of_selected(*sel):
            full = list(args)
            for a, v in zip(nums, sel):
                full[a] = v
            return func(*full, **kwargs)

        res = vjp(f_of_selected, *(args[a] for a in nums), has_aux=has_aux)
        out, vjp_fn = res[0], res[1]
        flat_out, out_spec = tree_flatten(out)
        from ..creation import zeros
        per_output = []
        for k, o in enumerate(flat_out):
            n_out = o.numel()
            rows = []
            for j in range(n_out):
                cts = []
                for m, o2 in enumerate(flat_out):
                    e = zeros(o2.numel(), dtype=o2.dtype)
                    if m == k:
                        e[j] = 1
                    cts.append(e.reshape(tuple(o2.shape)))
                rows.append(vjp_fn(tree_unflatten(cts, out_spec)))
            jac_per_arg = []
            for a in range(len(nums)):
                flat_in, in_spec = tree_flatten(args[nums[a]])
                cols = []
                for t_i, t in enumerate(flat_in):
                    parts = [tree_flatten(r[a])[0][t_i] for r in rows]
                    if parts:
                        j_ = stack(parts, 0)
                    else:
                        j_ = zeros((0,) + tuple(t.shape), dtype=t.dtype)
                    cols.append(j_.reshape(tuple(o.shape) + tuple(t.shape)))
                jac_per_arg.append(tree_unflatten(cols, in_spec))
            per_output.append(tuple(jac_per_arg) if isinstance(argnums, tuple)
                              else jac_per_arg[0])
        jac = tree_unflatten(per_output, out_spec)
        if has_aux:
            return jac, res[2]
        return jac

    return wrapper


def hessian(func, argnums=0):
    """Second derivatives: jacfwd(jacrev(func)) (torch.func.hessian)."""
    from .jvp import jacfwd
    return jacfwd(jacrev(func, argnums), argnums)
