"""Call a module with other parameters and buffers: functional_call, stack_module_state."""

from __future__ import annotations

import contextlib

__all__ = ["functional_call", "stack_module_state"]

_MISSING = object()


def _resolve(module, name: str):
    """(owning submodule, attribute name) for a dotted name like 'layer.0.weight'."""
    *path, attr = name.split(".")
    owner = module
    for part in path:
        owner = getattr(owner, part)
    return owner, attr


def _tied_names(module) -> dict:
    """name -> every name (parameters and buffers) holding the same tensor object."""
    by_id: dict = {}
    for n, t in list(module.named_parameters(remove_duplicate=False)) + list(
            module.named_buffers(remove_duplicate=False)):
        by_id.setdefault(id(t), []).append(n)
    return {n: names for names in by_id.values() if len(names) > 1 for n in names}


@contextlib.contextmanager
def _reparametrize(module, tensors: dict, tie_weights: bool, strict: bool):
    params = dict(module.named_parameters(remove_duplicate=False))
    buffers = dict(module.named_buffers(remove_duplicate=False))
    known = set(params) | set(buffers)
    tensors = dict(tensors)
    if tie_weights:
        ties = _tied_names(module)
        for name, value in list(tensors.items()):
            for other in ties.get(name, ()):
                if other in tensors and tensors[other] is not value:
                    raise ValueError(f"functional_call got multiple values for keys "
                                     f"['{name}', '{other}'], which are tied. Consider using "
                                     "tie_weights=False")
                tensors.setdefault(other, value)
    if strict:
        missing = sorted(known - set(tensors))
        unexpected = sorted(set(tensors) - known)
        if missing or unexpected:
            msgs = []
            if unexpected:
                msgs.append("Unexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected)
                            + ".")
            if missing:
                msgs.append("Missing key(s): " + ", ".join(f"'{k}'" for k in missing) + ".")
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                               + "\n\t".join(msgs))
    saved = []
    try:
        for name, value in tensors.items():
            owner, attr = _resolve(module, name)
            d = owner.__dict__
            if attr in d.get("_parameters", {}):
                saved.append((d["_parameters"], attr, d["_parameters"][attr]))
                d["_parameters"][attr] = value
            elif attr in d.get("_buffers", {}):
                saved.append((d["_buffers"], attr, d["_buffers"][attr]))
                d["_buffers"][attr] = value
            else:
                old = d.get(attr, _MISSING)
                saved.append((d, attr, old))
                d[attr] = value
        yield
    finally:
        for store, attr, old in reversed(saved):
            if old is _MISSING:
                store.pop(attr, None)
            else:
                store[attr] = old


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """Run `module(*args, **kwargs)` with its parameters and buffers replaced by the
    tensors in `parameter_and_buffer_dicts` (a dict, or a tuple/list of dicts with
    distinct keys); the module itself is left unchanged afterwards."""
    if isinstance(parameter_and_buffer_dicts, dict):
        merged = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, (list, tuple)):
        merged, repeated = {}, []
        for d in parameter_and_buffer_dicts:
            for k, v in d.items():
                if k in merged and k not in repeated:
                    repeated.append(k)
                merged[k] = v
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
    else:
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple "
                         f"of dicts, but got {type(parameter_and_buffer_dicts)}")
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize(module, merged, tie_weights, strict):
        return module(*args, **kwargs)


def stack_module_state(models):
    """(params, buffers): each maps a name to the models' tensors stacked along a new
    leading dim; stacked params are fresh leaves (requiring grad like the originals)."""
    from ..ops.shape import stack
    models = list(models)
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/"
                           "eval mode.")
    first = type(models[0])
    if not all(type(m) is first for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    params = {}
    for name, _ in models[0].named_parameters():
        all_p = [dict(m.named_parameters())[name] for m in models]
        stacked = stack([t.detach() for t in all_p])
        params[name] = stacked.requires_grad_(all(t.requires_grad for t in all_p))
    buffers = {}
    for name, _ in models[0].named_buffers():
        buffers[name] = stack([dict(m.named_buffers())[name] for m in models])
    return params, buffers
