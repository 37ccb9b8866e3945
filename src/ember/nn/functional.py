"""ember.nn.functional: the functional form of every layer.

Each function is the op itself, defined once in its family under `ember/ops/` (which
lists it in `FUNCTIONAL`), so `F.relu is ember.relu` and `F.conv2d` is the same code
`nn.Conv2d` calls.
"""

from ..ops import FUNCTIONAL as _FUNCTIONAL

globals().update(_FUNCTIONAL)
__all__ = sorted(_FUNCTIONAL)
