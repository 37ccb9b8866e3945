"""Numerical gradient checks, with torch's signatures.

`gradcheck(f, inputs)` compares, for every input that requires grad and every output,
the Jacobian autograd computes (one backward per output element) with central
finite differences (f(x + eps) - f(x - eps)) / 2eps. Use float64 inputs: float32's
rounding is larger than the tolerance.
"""

from __future__ import annotations

import warnings

import numpy as np

from .engine import grad as autograd_grad


class GradcheckError(RuntimeError):
    """A gradient did not match its finite-difference estimate."""


def _tensors(x):
    from ..tensor import Tensor
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _outputs(func, inputs):
    from ..tensor import Tensor
    out = func(*inputs)
    if isinstance(out, Tensor):
        return (out,)
    return tuple(o for o in out if isinstance(o, Tensor))


def _numerical_jacobian(func, inputs, i: int, out_index: int, eps: float) -> np.ndarray:
    """(numel of input i, numel of the output): central differences, one element at a time.

    The input's array is perturbed in place (any strides), so `func` must read it
    afresh on every call, as ember ops do.
    """
    x = inputs[i]._data
    cols = []
    # Grad mode stays on: gradgradcheck's func itself runs a backward.
    n_out = _outputs(func, inputs)[out_index].numel()
    for idx in np.ndindex(x.shape):
        orig = x[idx].copy()
        x[idx] = orig + eps
        plus = _outputs(func, inputs)[out_index]._data.astype(np.float64).reshape(-1)
        x[idx] = orig - eps
        minus = _outputs(func, inputs)[out_index]._data.astype(np.float64).reshape(-1)
        x[idx] = orig
        cols.append((plus - minus) / (2 * eps))
    return np.stack(cols, axis=0) if cols else np.zeros((0, n_out))


def _analytical_jacobian(func, inputs, diff_idx, out_index: int) -> list:
    from ..tensor import Tensor
    out = _outputs(func, inputs)[out_index]
    n_out = out.numel()
    jacs = [np.zeros((inputs[i].numel(), n_out)) for i in diff_idx]
    if not out._requires_grad:
        return jacs
    for j in range(n_out):
        seed = np.zeros(n_out, dtype=out._data.dtype)
        seed[j] = 1
        grads = autograd_grad(out, [inputs[i] for i in diff_idx],
                              Tensor._make(seed.reshape(out._data.shape)),
                              retain_graph=True, allow_unused=True)
        for k, g in enumerate(grads):
            if g is not None:
                jacs[k][:, j] = g._data.astype(np.float64).reshape(-1)
    return jacs


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked=None) -> bool:
    """True if autograd's gradients of `func` at `inputs` match finite differences."""
    inputs = _tensors(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if getattr(x, "requires_grad", False)]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True.")
    for i in diff_idx:
        if inputs[i].dtype.name not in ("float64", "complex128"):
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are "
                          "not of double precision floating point or complex. ", stacklevel=2)
    outputs = _outputs(func, inputs)
    for o, out in enumerate(outputs):
        if not out._requires_grad:
            continue  # like torch, only differentiable outputs are checked
        analytical = _analytical_jacobian(func, inputs, diff_idx, o)
        for k, i in enumerate(diff_idx):
            numerical = _numerical_jacobian(func, inputs, i, o, eps)
            a = analytical[k]
            if not np.allclose(a, numerical, rtol=rtol, atol=atol, equal_nan=False):
                if not raise_exception:
                    return False
                dtype = inputs[i]._data.dtype  # torch shows Jacobians in the input's dtype
                raise GradcheckError(
                    f"Jacobian mismatch for output {o} with respect to input {i},\n"
                    f"numerical:{_fmt(numerical, dtype)}\nanalytical:{_fmt(a, dtype)}\n")
    return True


def _fmt(a: np.ndarray, dtype) -> str:
    from ..tensor import Tensor
    return repr(Tensor._make(a.astype(dtype)))


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False,
                  masked: bool = False) -> bool:
    """gradcheck of the gradient: checks second derivatives (create_graph=True)."""
    from ..tensor import Tensor
    inputs = _tensors(inputs)
    outputs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor._make(rng.standard_normal(o._data.shape).astype(o._data.dtype))
            .requires_grad_(o.dtype.is_floating_point) for o in outputs)
    grad_outputs = _tensors(grad_outputs)
    diff = [x for x in inputs if getattr(x, "requires_grad", False)]
    n_in = len(inputs)

    def first_derivative(*args):
        ins, gos = args[:n_in], args[n_in:]
        outs = _outputs(func, ins)
        pairs = [(o, g) for o, g in zip(outs, gos) if o._requires_grad]
        grads = autograd_grad([o for o, _ in pairs], [x for x in ins if x._requires_grad],
                              [g for _, g in pairs], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    del diff
    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
