"""parameters_to_vector / vector_to_parameters: all parameters as one flat vector."""

from __future__ import annotations

from ...tensor import Tensor


def _check_param_device(param: Tensor, old_param_device: int | None) -> int:
    """-1 for CPU, the GPU index otherwise; TypeError when parameters are on two devices."""
    device = param.device.index if param.device.type == "cuda" else -1
    if device is None:
        device = 0
    if old_param_device is None:
        return device
    if device != old_param_device:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return old_param_device


def parameters_to_vector(parameters) -> Tensor:
    """Concatenate the flattened parameters into one 1-D tensor (differentiable)."""
    from ...ops.shape import cat
    param_device = None
    vec = []
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        vec.append(param.view(-1))
    return cat(vec)


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Point each parameter's data at its slice of `vec` (the inverse of the above)."""
    if not isinstance(vec, Tensor):
        from ..modules.module import typename
        raise TypeError(f"expected torch.Tensor, but got: {typename(vec)}")
    param_device = None
    pointer = 0
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param
