"""Every primitive and composite op, by family. `ember.add`, `Tensor.add` and `x + y` are
the functions defined here; `TENSOR_METHODS` lists the ones bound onto Tensor."""

import importlib
import pkgutil

# One module per op family (every public module in this folder); each lists its public
# ops in `__all__`, the ones torch also has as Tensor methods in `TENSOR_METHODS`, and
# those torch puts in torch.nn.functional in `FUNCTIONAL`. Adding an op or a family
# touches only its own file.
_NOT_FAMILIES = {"primitive", "operators"}
FAMILIES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__)
                        if not m.name.startswith("_") and m.name not in _NOT_FAMILIES))

__all__ = []
TENSOR_METHODS: tuple = ()
FUNCTIONAL: dict = {}  # name -> function, collected for ember.nn.functional
for _family in FAMILIES:
    _module = importlib.import_module(f"{__name__}.{_family}")
    for _name in _module.__all__:
        if _name in globals() and globals()[_name] is not getattr(_module, _name):
            raise ImportError(f"ember.ops.{_family}.{_name} is defined by two op families")
        globals()[_name] = getattr(_module, _name)
    __all__ += list(_module.__all__)
    TENSOR_METHODS += tuple(getattr(_module, "TENSOR_METHODS", ()))
    for _name in getattr(_module, "FUNCTIONAL", ()):
        FUNCTIONAL[_name] = getattr(_module, _name)
del _family, _module, _name

from .operators import TENSOR_OPERATORS  # noqa: E402 - after the families load
