"""Call a module with other parameters and buffers than its own (torch.nn.utils.stateless).

    out = functional_call(model, {"fc.weight": w, "fc.bias": b}, (x,))

For the duration of the call each named tensor is put into its submodule's
`_parameters` / `_buffers` slot (any tensor, also a non-leaf one, so gradients flow
back to `w`), and the originals are put back afterwards, even if forward raises.
`ember.func.functional_call` is the non-deprecated spelling of the same thing.
"""

from __future__ import annotations

import contextlib
import warnings

from ...tensor import Tensor

__all__ = ["functional_call"]

_MISSING = object()  # the module had nothing under this name


class _NamedAccessor:
    """Reads and swaps tensors of a module tree by dotted name."""

    def __init__(self, module):
        self.module = module
        self.memo: dict = {}

    def get_submodule(self, name: str):
        from ..modules.module import Module
        if not name:
            return self.module
        if name in self.memo:
            return self.memo[name]
        prefix, dot, attr = name.rpartition(".")
        module = self.get_submodule(prefix) if dot else self.module
        try:
            submodule = getattr(module, attr)
        except AttributeError as ex:
            raise AttributeError(f"{module._get_name()} has no attribute `{attr}`") from ex
        if not isinstance(submodule, Module):
            raise TypeError(f"submodule `{name}`: {submodule} is not an instance of "
                            "torch.nn.Module")
        self.memo[name] = submodule
        return submodule

    def swap_tensor(self, name: str, tensor, allow_missing: bool = False):
        prefix, _, attr = name.rpartition(".")
        return _swap_tensor(self.get_submodule(prefix), attr, tensor, allow_missing)

    def swap_tensors_dict(self, named_tensors: dict, allow_missing: bool = False):
        originals: dict = {}
        missing = []
        try:
            for name, tensor in named_tensors.items():
                orig = self.swap_tensor(name, tensor, allow_missing=True)
                if orig is _MISSING:
                    missing.append(name)
                originals[name] = orig
        except Exception:
            for name, orig in originals.items():
                self.swap_tensor(name, orig, allow_missing=True)
            raise
        if missing and not allow_missing:
            for name, orig in originals.items():
                self.swap_tensor(name, orig, allow_missing=True)
            raise RuntimeError(f"Missing key(s): {', '.join(map(repr, missing))}.")
        return originals, missing

    def check_keys(self, keys):
        keys = set(keys)
        valid = {n for n, _ in self.module.named_parameters(remove_duplicate=False)}
        valid |= {n for n, _ in self.module.named_buffers(remove_duplicate=False)}
        return sorted(valid - keys), sorted(keys - valid)


def _swap_tensor(module, name: str, tensor, allow_missing: bool):
    if not isinstance(tensor, Tensor) and tensor is not _MISSING:
        raise TypeError(f"{tensor} is not an instance of torch.Tensor")
    if "." in name:
        raise KeyError(f'tensor name "{name}" can\'t contain "."')
    if name == "":
        raise KeyError('tensor name can\'t be empty string ""')
    for registry in (module._parameters, module._buffers):
        if name in registry:
            orig = registry[name]
            if tensor is not _MISSING:
                registry[name] = tensor
            else:
                del registry[name]
            return orig
    if hasattr(module, name):
        orig = getattr(module, name)
    elif not allow_missing:
        raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
    else:
        orig = _MISSING
    if orig is not _MISSING and not isinstance(orig, Tensor):
        raise TypeError(f"attribute `{name}`: {orig} is not an instance of torch.Tensor")
    if tensor is not _MISSING:
        setattr(module, name, tensor)
    elif hasattr(module, name):
        delattr(module, name)
    return orig


def _untie_named_tensors_map(module, parameters_and_buffers: dict) -> dict:
    """A value given for one of several names sharing a tensor goes to all of them."""
    all_named = dict(module.named_parameters(remove_duplicate=False))
    all_named.update(module.named_buffers(remove_duplicate=False))
    names_of: dict = {}
    for name, tensor in all_named.items():
        names_of.setdefault(id(tensor), set()).add(name)
    tied = {n: names for names in names_of.values() if len(names) > 1 for n in names}
    given = [n for n in parameters_and_buffers if n in tied]
    for name in given:
        names = tied[name]
        if (len(names.intersection(given)) > 1
                and len({id(parameters_and_buffers[n]) for n in names
                         if n in parameters_and_buffers}) != 1):
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, "
                             "which are tied. Consider using tie_weights=False")
    untied = dict(parameters_and_buffers)
    for name in given:
        for tied_name in tied[name]:
            untied[tied_name] = parameters_and_buffers[name]
    return untied


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers: dict, tie_weights: bool = False,
                          strict: bool = False):
    untied = (_untie_named_tensors_map(module, parameters_and_buffers) if tie_weights
              else parameters_and_buffers)
    accessor = _NamedAccessor(module)
    if strict:
        missing_keys, unexpected_keys = accessor.check_keys(untied)
        error_msgs = []
        if unexpected_keys:
            error_msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected_keys))}.")
        if missing_keys:
            error_msgs.append(f"Missing key(s): {', '.join(map(repr, missing_keys))}.")
        if error_msgs:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(
                module._get_name(), "\n\t".join(error_msgs)))
    originals: dict = {}
    try:
        originals, _ = accessor.swap_tensors_dict(untied, allow_missing=True)
        yield
    finally:
        new, _ = accessor.swap_tensors_dict(originals, allow_missing=True)
        parameters_and_buffers.update({k: new[k] for k in parameters_and_buffers if k in new})


def _functional_call(module, parameters_and_buffers: dict, args=None, kwargs=None, *,
                     tie_weights: bool = True, strict: bool = False):
    kwargs = {} if kwargs is None else kwargs
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights,
                               strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers: dict, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """module(*args, **kwargs) with the named tensors standing in for its own.

    Args:
        module: the module to call.
        parameters_and_buffers: dotted name -> tensor (names of `named_parameters` /
            `named_buffers`; others are set as plain attributes for the call).
        args: one positional argument or a tuple of them.
        kwargs: keyword arguments.
        tie_weights: a value for one name of a shared tensor is used for all its names.
        strict: the names must be exactly the module's parameters and buffers.
    """
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`torch.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)
