"""`vmap`: run a function written for one example over a batch.

The inputs' mapped dims become batch dims of `BatchedTensor`s (see `batching.py`),
the function runs once with every primitive dispatched to its batching rule, and the
outputs' batch dims are moved to `out_dims`. Each vmap is a *level*; nested vmaps add
levels, and a tensor carries one batch dim per level it depends on.

randomness: 'error' raises when a random primitive (in-place samplers, rrelu) meets a
batched tensor; 'same' lets the function draw once, shared by every example;
'different' runs the function once per example (each draws its own numbers) and
stacks the results.
"""

from __future__ import annotations

import functools

from ..tensor import Tensor
from . import batching
from ._pytree import broadcast_to_and_flatten, tree_flatten, tree_unflatten
from .batching import LEVELS, BatchedTensor, physical, wrap

__all__ = ["vmap"]


def _get_name(func) -> str:
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_get_name(func.func)}, ...)"
    return repr(func)


def _check_randomness(randomness) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """Vectorise `func` over dim `in_dims` of its inputs (torch.func.vmap)."""
    _check_randomness(randomness)
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        flat_args, flat_in_dims, spec, batch_size = _process_inputs(func, in_dims, args)
        if chunk_size is None or chunk_size >= batch_size:
            return _flat_vmap(func, batch_size, flat_in_dims, flat_args, spec, out_dims,
                              randomness, kwargs)
        chunks = []
        for start in range(0, batch_size, chunk_size):
            n = min(chunk_size, batch_size - start)
            part = [a if d is None else a.narrow(d, start, n)
                    for a, d in zip(flat_args, flat_in_dims)]
            chunks.append(_flat_vmap(func, n, flat_in_dims, part, spec, out_dims, randomness,
                                     kwargs))
        return _concat_chunks(chunks, out_dims)

    return wrapped


def _process_inputs(func, in_dims, args):
    name = _get_name(func)
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` "
                         "to be int or a (potentially nested) tuple matching the structure of "
                         f"inputs, got: {type(in_dims)}.")
    if len(args) == 0:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add "
                         "inputs, or you are trying to vmap over a function with no inputs. "
                         "The latter is unsupported.")
    flat_args, spec = tree_flatten(args)
    flat_in_dims = broadcast_to_and_flatten(in_dims, spec)
    if flat_in_dims is None:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                         "compatible with the structure of `inputs`. in_dims has structure "
                         f"{tree_flatten(in_dims)[1]} but inputs has structure {spec}.")
    for arg, d in zip(flat_args, flat_in_dims):
        if not isinstance(d, int) and d is not None:
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} "
                             "for an input but in_dim must be either an integer dimension or "
                             "None.")
        if isinstance(d, int) and not isinstance(arg, Tensor):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} "
                             f"for an input but the input is of type {type(arg)}. We cannot "
                             "vmap over non-Tensor arguments, please use None as the "
                             "respective in_dim")
        if d is not None and (d < -arg.dim() or d >= arg.dim()):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} "
                             "for some input, but that input is a Tensor of dimensionality "
                             f"{arg.dim()} so expected in_dim to satisfy -{arg.dim()} <= in_dim "
                             f"< {arg.dim()}.")
    sizes = [a.size(d) for a, d in zip(flat_args, flat_in_dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return flat_args, [None if d is None else d % a.dim() for a, d in
                       zip(flat_args, flat_in_dims)], spec, sizes[0]


def _add_batch_dim(x, dim: int, level: int):
    """x (plain or batched at outer levels) with its logical `dim` as batch dim `level`."""
    if isinstance(x, BatchedTensor):
        value, levels = x._value, x._levels
    else:
        value, levels = x, ()
    k = len(levels)
    src = k + dim
    if src != k:
        order = list(range(value.ndim))
        order.insert(k, order.pop(src))
        value = value.permute(*order)
    return BatchedTensor(value, levels + (level,))


def _remove_batch_dim(name, out, level: int, size: int, out_dim):
    if out_dim is None:
        if isinstance(out, BatchedTensor) and level in out._levels:
            raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor "
                             "when out_dim is None")
        return out
    if not isinstance(out, Tensor):
        raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                         f"{type(out)}. Did you mean to set out_dims= to None for output?")
    levels = batching.levels_of(out)
    if level not in levels:
        # not batched at this level: every example got the same value
        levels = tuple(sorted(levels + (level,)))
        value = physical(out, levels, expand=True)
    else:
        value = out._value
    i = levels.index(level)
    rest = tuple(lvl for lvl in levels if lvl != level)
    n = value.ndim - len(levels)
    d = out_dim % (n + 1) if -(n + 1) <= out_dim <= n else out_dim
    dest = len(rest) + d
    order = list(range(value.ndim))
    order.insert(dest, order.pop(i))
    if order != list(range(value.ndim)):
        value = value.permute(*order)
    return wrap(value, rest)


def _flat_vmap(func, batch_size, flat_in_dims, flat_args, spec, out_dims, randomness, kwargs):
    if randomness == "different":
        return _per_example(func, batch_size, flat_in_dims, flat_args, spec, out_dims, kwargs)
    level = len(LEVELS) + 1  # torch numbers the running transforms from 1
    LEVELS.append([level, batch_size, randomness])
    batching.install()
    try:
        batched = [a if d is None else _add_batch_dim(a, d, level)
                   for a, d in zip(flat_args, flat_in_dims)]
        out = func(*tree_unflatten(batched, spec), **kwargs)
        return _unwrap(func, out, out_dims, level, batch_size)
    finally:
        batching.uninstall()
        LEVELS.pop()


def _per_example(func, batch_size, flat_in_dims, flat_args, spec, out_dims, kwargs):
    """randomness='different': the function runs per example; outputs are stacked."""
    from ..ops.shape import stack
    results = []
    for i in range(batch_size):
        args = [a if d is None else a.select(d, i) for a, d in zip(flat_args, flat_in_dims)]
        results.append(func(*tree_unflatten(args, spec), **kwargs))
    flat0, out_spec = tree_flatten(results[0])
    flat_out_dims = _flat_out_dims(func, results[0], out_dims, out_spec)
    columns = zip(*(tree_flatten(r)[0] for r in results))
    outs = [col[0] if d is None else stack(list(col), d)
            for col, d in zip(columns, flat_out_dims)]
    return tree_unflatten(outs, out_spec)


def _flat_out_dims(func, out, out_dims, out_spec):
    def incompatible():
        raise ValueError(f"vmap({_get_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims "
                         "is not compatible with the structure of `outputs`. out_dims has "
                         f"structure {tree_flatten(out_dims)[1]} but outputs has structure "
                         f"{out_spec}.")
    for d in tree_flatten(out_dims)[0]:
        if d is not None and not isinstance(d, int):
            raise ValueError(f"vmap({_get_name(func)}, ..., out_dims={out_dims}): `out_dims` "
                             "must be an int, None or a python collection of ints representing "
                             "where in the outputs the vmapped dimension should appear.")
    if isinstance(out, Tensor):
        if isinstance(out_dims, int) or out_dims is None:
            return [out_dims]
        if isinstance(out_dims, tuple) and len(out_dims) == 1:
            return list(out_dims)
        incompatible()
    flat = broadcast_to_and_flatten(out_dims, out_spec)
    if flat is None:
        incompatible()
    return flat


def _unwrap(func, out, out_dims, level, batch_size):
    flat, out_spec = tree_flatten(out)
    flat_out_dims = _flat_out_dims(func, out, out_dims, out_spec)
    name = _get_name(func)
    return tree_unflatten([_remove_batch_dim(name, o, level, batch_size, d)
                           for o, d in zip(flat, flat_out_dims)], out_spec)


def _concat_chunks(chunks, out_dims):
    from ..ops.shape import cat
    flat0, out_spec = tree_flatten(chunks[0])
    flat_out_dims = broadcast_to_and_flatten(out_dims, out_spec) if not isinstance(
        chunks[0], Tensor) else [out_dims if not isinstance(out_dims, tuple) else out_dims[0]]
    columns = zip(*(tree_flatten(c)[0] for c in chunks))
    outs = [col[0] if d is None else cat(list(col), d) for col, d in zip(columns, flat_out_dims)]
    return tree_unflatten(outs, out_spec)

