"""The layers of ember.nn, one file per family as in torch.nn.modules (module.py,
container.py, linear.py, conv.py, ...). Every public module in this folder is loaded
and its `__all__` re-exported, so adding a layer touches only its own file."""

import importlib
import pkgutil

__all__ = []
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith("_"):
        continue
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    for _name in _module.__all__:
        globals()[_name] = getattr(_module, _name)
    __all__ += list(_module.__all__)
