"""ember.nn.utils: helpers around modules (torch.nn.utils): gradient clipping, parameters
as one vector, stateless (calling a module with other weights), weight_norm, skip_init,
parametrize / parametrizations, and rnn (packed sequences)."""

import importlib.util as _importlib_util

from . import parametrizations, parametrize, stateless
from .clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .init import skip_init
from .weight_norm import remove_weight_norm, weight_norm

__all__ = [
    "clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
    "get_total_norm", "parameters_to_vector", "vector_to_parameters", "stateless",
    "skip_init", "weight_norm", "remove_weight_norm", "parametrize", "parametrizations",
]

# nn.utils.rnn (pack_padded_sequence, ...) is its own file, loaded when present.
if _importlib_util.find_spec(f"{__name__}.rnn") is not None:
    from . import rnn  # noqa: F401
    __all__.append("rnn")
