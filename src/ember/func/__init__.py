"""Function transforms (torch.func): vmap, grad, vjp, jvp, jacrev, jacfwd, hessian,
functional_call. Each transform is an interpreter: vmap re-routes primitives through the
batching rules of `batching.RULES`; grad/vjp/jacrev run the autograd engine; jvp/jacfwd
carry tangents on tensors through the jvp rules of `forward_ad.JVP_RULES`."""

from .functional_call import functional_call, stack_module_state
from .grad import grad, grad_and_value, hessian, jacrev, vjp
from .jvp import jacfwd, jvp
from .vmap import vmap

__all__ = ["vmap", "grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian",
           "functional_call", "stack_module_state"]
