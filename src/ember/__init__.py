"""ember: PyTorch, written from scratch in readable Python on NumPy.

    import ember as torch

Layers (each imports only those below it): ember.autograd (graph, engine, Function),
ember.ops (every op: forward on arrays, backward in ember ops), ember.tensor (Tensor),
ember.dtypes / ember.random / ember.backend, and NumPy (or CuPy) underneath.
"""

__version__ = "0.1.0"

import numpy as _np

# torch computes silently in IEEE arithmetic (1/0 = inf, 0/0 = nan, overflow = inf);
# NumPy would warn on each. ember follows torch, for the whole process.
_np.seterr(all="ignore")

from .backend import tune_allocator as _tune_allocator

_tune_allocator()  # see backend.tune_allocator: keeps big temporaries from page-faulting

from .dtypes import (
    bool_ as bool, cdouble, cfloat, complex64, complex128, double, dtype, float, float16,
    float32, float64, get_default_dtype, half, int, int8, int16, int32, int64, long,
    promote_types, set_default_dtype, short, uint8,
)
from .dtypes import can_cast as _can_cast
from .dtypes import finfo, iinfo
from .backend import device
from .tensor import Size, Tensor
from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd import (
    detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly,
)
from .autograd.grad_mode import is_inference_mode_enabled
from . import ops
from .ops import *  # noqa: F403 - ember.add, ember.matmul, ... are the ops themselves
from .ops import TENSOR_METHODS as _TENSOR_METHODS
from .tensor import _bind_ops

_bind_ops()

from .creation import (
    arange, as_tensor, asarray, empty, empty_like, eye, from_numpy, full, full_like, linspace,
    ones, ones_like, rand, rand_like, randint, randint_like, randn, randn_like, randperm,
    tensor, zeros, zeros_like,
)
from . import random
from .random import (
    Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state,
)
from ._tensor_str import get_printoptions, printoptions, set_printoptions
from .dtypes import result_type as _result_type


def result_type(tensor1, tensor2):
    """The dtype torch would give `tensor1 op tensor2` (tensors or Python numbers)."""
    return _result_type(tensor1, tensor2)


def can_cast(from_, to):
    return _can_cast(from_, to)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input) -> int:
    return input.numel()


def is_floating_point(input) -> bool:
    return input.dtype.is_floating_point


def is_complex(input) -> bool:
    return input.dtype.is_complex


def detach(input):
    return input.detach()

from .serialization import load, save
from .threads import (
    get_num_interop_threads, get_num_threads, set_num_interop_threads, set_num_threads,
)

# Subpackages load on first use (`ember.nn`, `import ember.nn as nn`), so that
# `import ember` costs little more than `import numpy`.
_SUBPACKAGES = ("cuda", "nn", "optim", "utils", "linalg", "func", "datasets", "train", "viz",
                "typing")


def __getattr__(name):
    import importlib
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "vmap":
        return importlib.import_module(f"{__name__}.func").vmap
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_SUBPACKAGES) | {"vmap"})
