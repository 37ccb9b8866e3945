"""ember.nn: neural-network layers with torch.nn's names, arguments, defaults, parameter
shapes, reprs and state_dict keys."""

from . import functional, init, utils
from .modules import *  # noqa: F403
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
