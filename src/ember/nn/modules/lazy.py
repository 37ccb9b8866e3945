"""LazyModuleMixin: layers whose parameter shapes come from their first input
(LazyLinear, LazyConv2d, ...), as torch.nn.modules.lazy.

A lazy module registers UninitializedParameter/UninitializedBuffer placeholders, and a
forward pre-hook that calls its `initialize_parameters(*inputs)` on the first call;
once everything is materialised the hooks are removed and the module becomes its
`cls_to_become` (LazyLinear -> Linear). Loading a state_dict also materialises the
placeholders with the loaded shapes.
"""

from __future__ import annotations

import itertools

from ..parameter import is_lazy
from .module import RemovableHandle

__all__: list = []  # torch.nn does not export the mixin itself


class LazyModuleMixin:
    """Mix in before the layer class: `class LazyLinear(LazyModuleMixin, Linear)`."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = self._lazy_load_hook
        self._load_hook = handle
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = (param if is_lazy(param) or keep_vars
                                              else param.detach())
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = (buf if is_lazy(buf) or keep_vars
                                              else buf.detach())

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys,
                        unexpected_keys, error_msgs):
        """Give uninitialised parameters the shapes of the values being loaded."""
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None and is_lazy(param):
                value = state_dict[key]
                if not is_lazy(value):
                    param.materialize(tuple(value.shape))

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def has_uninitialized_params(self) -> bool:
        """Whether any parameter or buffer is still a placeholder."""
        return any(is_lazy(p) for p in itertools.chain(self._parameters.values(),
                                                        self._buffers.values()))

    def _infer_parameters(self, module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become
