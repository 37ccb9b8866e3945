"""In-place ops (`x.add_(y)`, `x.zero_()`, ...): the out-of-place op, written back.

An in-place op computes its result with the ordinary primitive, then writes the
values into the tensor's own memory (so its views see them) and bumps the version
counter it shares with those views. When the op was recorded, the tensor takes
over the result's `grad_fn`: its history is rebased onto the new node. torch's rules
apply: a leaf that requires grad cannot be changed in place while grad is on, and
the result must be castable to the tensor's dtype.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import grad_mode
from ..autograd.node import SavedOutput
from ..tensor import Tensor
from . import elementwise as ew
from . import pointwise as pw
from .primitive import Primitive

__all__ = [
    'abs_',
    'add_',
    'clamp_',
    'clamp_max_',
    'clamp_min_',
    'copy_',
    'div_',
    'exp_',
    'fill_',
    'log_',
    'mul_',
    'neg_',
    'pow_',
    'relu_',
    'sigmoid_',
    'sqrt_',
    'sub_',
    'tanh_',
    'zero_',
    'rsqrt_',
    'square_',
    'exp2_',
    'expm1_',
    'log2_',
    'log10_',
    'log1p_',
    'sin_',
    'cos_',
    'tan_',
    'asin_',
    'acos_',
    'atan_',
    'atan2_',
    'arctan2_',
    'sinh_',
    'cosh_',
    'asinh_',
    'acosh_',
    'atanh_',
    'arcsin_',
    'arccos_',
    'arctan_',
    'arcsinh_',
    'arccosh_',
    'arctanh_',
    'erf_',
    'erfc_',
    'erfinv_',
    'sgn_',
    'floor_',
    'ceil_',
    'round_',
    'trunc_',
    'fix_',
    'frac_',
    'fmod_',
    'remainder_',
    'floor_divide_',
    'lerp_',
    'hypot_',
    'addcmul_',
    'addcdiv_',
    'logit_',
    'xlogy_',
    'nan_to_num_',
    'copysign_',
    'float_power_',
    'deg2rad_',
    'rad2deg_',
    'bitwise_left_shift_',
    'bitwise_right_shift_',
    'bitwise_and_',
    'bitwise_or_',
    'bitwise_xor_',
    'bitwise_not_',
    'reciprocal_',
    'sign_',
]

# the ones torch also offers as Tensor methods (x.name(...))
TENSOR_METHODS = tuple(__all__)



def check_inplace(t: Tensor) -> None:
    """Refuse an in-place change to a leaf that requires grad, or to a view of one."""
    if not grad_mode._enabled:
        return
    if not t._requires_grad:
        return  # includes detached tensors, whose _base is the tensor they came from
    base = t._base
    if base is not None and base._requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    if t.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    origin = getattr(t, "_multi_view_of", None)
    if origin is not None:
        raise RuntimeError(
            f"Output {t._output_nr} of {origin} is a view and is being modified inplace. This "
            "view is the output of a function that returns multiple views. Such functions do "
            "not allow the output views to be modified inplace. You should replace the inplace "
            "operation by an out-of-place one.")


def _check_fits(t: Tensor, other_shape) -> None:
    """An operand of an in-place op must broadcast to the tensor's own shape."""
    shape = tuple(t._data.shape)
    full = ew.infer_broadcast_shape(shape, tuple(other_shape))
    if full != shape:
        raise RuntimeError(f"output with shape [{', '.join(map(str, shape))}] doesn't match "
                           f"the broadcast shape [{', '.join(map(str, full))}]")


def _check_castable(res_dtype, own, names=None) -> None:
    if not dtypes.can_cast(res_dtype, own):
        names = names or _SHORT
        raise RuntimeError(f"result type {_SHORT[res_dtype.name]} can't be cast to the "
                           f"desired output type {names[own.name]}")


def commit_inplace(t: Tensor, result: Tensor) -> Tensor:
    """Write `result` into `t`'s memory, bump its version and take over the history."""
    _check_castable(dtypes.from_numpy_dtype(result._data.dtype), t.dtype)
    if result._data.shape != t._data.shape:
        _check_fits(t, result._data.shape)
    node = result.grad_fn
    if node is not None:
        _keep_old_value(node, t)
    base = t._base
    # A view changed by a recorded op (y[0].mul_(w)): its base must learn of the change.
    rebase = node is not None and base is not None
    np.copyto(t._data, result._data, casting="unsafe")
    t._vc[0] += 1
    if getattr(result, "_fw", None) or getattr(t, "_fw", None):  # inside a jvp
        from ..func.forward_ad import commit_tangent
        commit_tangent(t, result)
    if node is not None:
        _save_output_as(node, result, t)
        t.grad_fn, t._output_nr, t._requires_grad = node, 0, True
    if rebase:
        copy = CopySlices.apply(base, result, view=t._data)
        base.grad_fn, base._output_nr, base._requires_grad = copy.grad_fn, 0, True
        # the view's own history now runs through its base, as in torch
        from ..autograd.node import _refresh_view_history
        _refresh_view_history(t)
    return t


class CopySlices(Primitive):
    """The base of a view after an in-place op on the view: base with the view's
    region replaced by the op's result (torch's CopySlices node).

    The values are already in the base's memory when this runs; the node only records
    the gradient rule: the base's old history gets the gradient outside the region,
    the result gets the gradient inside it.

    Shapes: base (any), result (the view's shape); `view` is the view's array.
    """

    grad_fn_name = "torch::autograd::CopySlices"

    def forward(self, base, result, view):
        self.base_shape = base.shape
        self.index = _view_index(base, view)
        return base

    def backward(self, grad):
        flat_index = Tensor._make(self.index)
        outside = np.ones(grad.numel(), grad._data.dtype)
        outside[self.index.reshape(-1)] = 0
        grad_base = grad * Tensor._make(outside.reshape(self.base_shape))
        grad_result = grad.reshape(-1)[flat_index]
        return grad_base, grad_result


def _view_index(base, view):
    """For each element of `view` (an array sharing memory with `base`), the C-order
    index of the same element in `base`."""
    item = base.itemsize

    def offsets(a):
        """Memory offset, in elements, of each element of `a` from base's first byte."""
        off = np.full(a.shape, (a.__array_interface__["data"][0] -
                                base.__array_interface__["data"][0]) // item, np.int64)
        for axis, (n, stride) in enumerate(zip(a.shape, a.strides)):
            shape = [1] * a.ndim
            shape[axis] = n
            off = off + (np.arange(n, dtype=np.int64) * (stride // item)).reshape(shape)
        return off

    base_off, view_off = offsets(base), offsets(view)
    low = min(base_off.min(initial=0), view_off.min(initial=0))
    span = max(base_off.max(initial=0), view_off.max(initial=0)) - low + 1
    lookup = np.full(span, -1, np.int64)
    lookup[(base_off - low).reshape(-1)] = np.arange(base.size)
    return lookup[view_off - low]


def _keep_old_value(node, t: Tensor) -> None:
    """If the node saved `t` as its first input, save a copy of the old value instead.

    torch keeps the original `self` of an in-place op for its backward (`y.mul_(w)`
    needs the old y for w's gradient). A saved *other* operand that is `t` itself
    (`y.mul_(y)`) stays `t`, so backward reports it as modified, as torch does.
    """
    saved = node._saved
    if not saved:
        return
    slots = [i for i, idx in enumerate(getattr(node, "save_inputs", ())) if idx == 0]
    if not any(saved[i] is t for i in slots):
        return
    old = Tensor._make(t._data.copy(), t._requires_grad)
    old.grad_fn, old._output_nr = t.grad_fn, t._output_nr
    node._saved = tuple(old if i in slots and s is t else s for i, s in enumerate(saved))
    node._saved_versions = tuple(0 if i in slots and s is t else v
                                 for i, (s, v) in enumerate(zip(saved, node._saved_versions)))


def _save_output_as(node, result: Tensor, t: Tensor) -> None:
    """A node that saved its output now saves `t` (the output lives in `t` from now on),
    so a later in-place change to `t` is caught at backward, as in torch."""
    saved = node._saved
    if not saved:
        return
    versions = list(node._saved_versions)
    for i, s in enumerate(saved):
        if isinstance(s, SavedOutput) and s.data is result._data:
            s.data, s.vc = t._data, t._vc
            versions[i] = t._vc[0]
    node._saved_versions = tuple(versions)


_SHORT = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
          "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
          "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
# clamp_ with number bounds names the output type as C++ does
_CPP = {**_SHORT, "int64": "long int", "int32": "int", "int16": "short int",
        "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _inplace(t: Tensor, compute) -> Tensor:
    check_inplace(t)
    return commit_inplace(t, compute())


def add_(input, other, *, alpha=1):
    return _inplace(input, lambda: ew.add(input, other, alpha=alpha))


def sub_(input, other, *, alpha=1):
    return _inplace(input, lambda: ew.sub(input, other, alpha=alpha))


def mul_(input, other):
    return _inplace(input, lambda: ew.mul(input, other))


def div_(input, other, *, rounding_mode=ew._UNSET):
    return _inplace(input, lambda: ew.div(input, other, rounding_mode=rounding_mode))


def pow_(input, exponent):
    return _inplace(input, lambda: ew.pow(input, exponent))


def _check_clamp_bounds(input, *bounds) -> None:
    """Number bounds that would lift an integer tensor to float are refused up front."""
    numbers = [b for b in bounds if b is not None and not isinstance(b, Tensor)]
    if numbers:
        _check_castable(dtypes.result_type(input, *numbers), input.dtype, _CPP)


def clamp_(input, min=None, max=None):  # noqa: A002
    _check_clamp_bounds(input, min, max)
    return _inplace(input, lambda: ew.clamp(input, min, max))


def clamp_min_(input, min):  # noqa: A002
    _check_clamp_bounds(input, min)
    return _inplace(input, lambda: ew.clamp_min(input, min))


def clamp_max_(input, max):  # noqa: A002
    _check_clamp_bounds(input, max)
    return _inplace(input, lambda: ew.clamp_max(input, max))


def relu_(input):
    return _inplace(input, lambda: ew.relu(input))


def neg_(input):
    return _inplace(input, lambda: ew.neg(input))


def exp_(input):
    return _inplace(input, lambda: ew.exp(input))


def sqrt_(input):
    return _inplace(input, lambda: ew.sqrt(input))


def abs_(input):
    return _inplace(input, lambda: ew.abs(input))


def sigmoid_(input):
    return _inplace(input, lambda: ew.sigmoid(input))


def tanh_(input):
    return _inplace(input, lambda: ew.tanh(input))


def log_(input):
    return _inplace(input, lambda: ew.log(input))


class Fill(Primitive):
    """out = `value` everywhere, in x's shape and dtype; x's gradient is zero.

    torch names the node ZeroBackward0 for `zero_`, FillBackward2 for `fill_(number)`
    and FillBackward3 for `fill_(0-dim tensor)`, whose value gets the summed gradient.
    """

    def forward(self, x, value, name):
        self.grad_fn_name = name
        out = np.empty_like(x)
        out[...] = value  # a number or a 0-dim array, cast to x's dtype
        return out

    def backward(self, grad):
        value_grad = grad.sum() if self.grad_fn_name == "FillBackward3" else None
        return grad.new_zeros(grad.shape), value_grad


class Copy(Primitive):
    """out = src broadcast to x's shape and cast to x's dtype; x's gradient is zero."""

    grad_fn_name = "torch::autograd::CopyBackwards"

    def forward(self, x, src):
        self.src_dtype = dtypes.from_numpy_dtype(src.dtype)
        out = np.empty_like(x)
        np.copyto(out, src, casting="unsafe")
        return out

    def backward(self, grad):
        # Cast first, like torch: a broadcast float64 src sums its gradient in float64.
        # (The engine then sums it back to src's shape.)
        return grad.new_zeros(grad.shape), grad.to(self.src_dtype)


def zero_(input):
    """Fill with zeros."""
    return _fill(input, 0, "ZeroBackward0")


def fill_(input, value):
    """Fill with one value (a number or a 0-dim tensor)."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions.")
        return _fill(input, value, "FillBackward3")
    return _fill(input, value, "FillBackward2")


def carries_tangent(*tensors) -> bool:
    """Inside a jvp (ember.func.forward_ad): the op must run as a primitive, so that
    its result gets a tangent, even when there is no graph to record."""
    return any(getattr(t, "_fw", None) for t in tensors)


def _fill(input, value, name: str):
    check_inplace(input)
    if grad_mode._enabled and (input._requires_grad or getattr(value, "_requires_grad", False)
                               ) or carries_tangent(input, value):
        return commit_inplace(input, Fill.apply(input, value, name=name))
    input._data[...] = value._data if isinstance(value, Tensor) else value
    input._vc[0] += 1
    return input


def copy_(input, src, non_blocking=False):
    """Copy `src`'s values (broadcast, cast) into `input`."""
    check_inplace(input)
    if not isinstance(src, Tensor):
        src = Tensor._make(np.asarray(src))
    if src._data.shape != input._data.shape:
        ew._check_broadcast(input._data, src._data)
        _check_fits(input, src._data.shape)
    if grad_mode._enabled and (input._requires_grad or src._requires_grad) or carries_tangent(
            input, src):
        return commit_inplace(input, Copy.apply(input, src))
    np.copyto(input._data, src._data, casting="unsafe")
    input._vc[0] += 1
    return input


# ---------------------------------------------------------------------------------------
# in-place forms of the pointwise ops: `x.sin_()` is the out-of-place op, written back


def rsqrt_(input):
    return _inplace(input, lambda: pw.rsqrt(input))


def square_(input):
    return _inplace(input, lambda: pw.square(input))


def exp2_(input):
    return _inplace(input, lambda: pw.exp2(input))


def expm1_(input):
    return _inplace(input, lambda: pw.expm1(input))


def log2_(input):
    return _inplace(input, lambda: pw.log2(input))


def log10_(input):
    return _inplace(input, lambda: pw.log10(input))


def log1p_(input):
    return _inplace(input, lambda: pw.log1p(input))


def sin_(input):
    return _inplace(input, lambda: pw.sin(input))


def cos_(input):
    return _inplace(input, lambda: pw.cos(input))


def tan_(input):
    return _inplace(input, lambda: pw.tan(input))


def asin_(input):
    return _inplace(input, lambda: pw.asin(input))


def acos_(input):
    return _inplace(input, lambda: pw.acos(input))


def atan_(input):
    return _inplace(input, lambda: pw.atan(input))


def sinh_(input):
    return _inplace(input, lambda: pw.sinh(input))


def cosh_(input):
    return _inplace(input, lambda: pw.cosh(input))


def asinh_(input):
    return _inplace(input, lambda: pw.asinh(input))


def acosh_(input):
    return _inplace(input, lambda: pw.acosh(input))


def atanh_(input):
    return _inplace(input, lambda: pw.atanh(input))


def arcsin_(input):
    return _inplace(input, lambda: pw.arcsin(input))


def arccos_(input):
    return _inplace(input, lambda: pw.arccos(input))


def arctan_(input):
    return _inplace(input, lambda: pw.arctan(input))


def arcsinh_(input):
    return _inplace(input, lambda: pw.arcsinh(input))


def arccosh_(input):
    return _inplace(input, lambda: pw.arccosh(input))


def arctanh_(input):
    return _inplace(input, lambda: pw.arctanh(input))


def erf_(input):
    return _inplace(input, lambda: pw.erf(input))


def erfc_(input):
    return _inplace(input, lambda: pw.erfc(input))


def erfinv_(input):
    return _inplace(input, lambda: pw.erfinv(input))


def sgn_(input):
    return _inplace(input, lambda: pw.sgn(input))


def floor_(input):
    return _inplace(input, lambda: pw.floor(input))


def ceil_(input):
    return _inplace(input, lambda: pw.ceil(input))


def trunc_(input):
    return _inplace(input, lambda: pw.trunc(input))


def fix_(input):
    return _inplace(input, lambda: pw.fix(input))


def frac_(input):
    return _inplace(input, lambda: pw.frac(input))


def deg2rad_(input):
    return _inplace(input, lambda: pw.deg2rad(input))


def rad2deg_(input):
    return _inplace(input, lambda: pw.rad2deg(input))


def bitwise_not_(input):
    return _inplace(input, lambda: ew.bitwise_not(input))


def reciprocal_(input):
    return _inplace(input, lambda: ew.reciprocal(input))


def sign_(input):
    return _inplace(input, lambda: ew.sign(input))


def atan2_(input, other):
    return _inplace(input, lambda: pw.atan2(input, other))


def arctan2_(input, other):
    return _inplace(input, lambda: pw.arctan2(input, other))


def fmod_(input, other):
    return _inplace(input, lambda: pw.fmod(input, other))


def remainder_(input, other):
    return _inplace(input, lambda: pw.remainder(input, other))


def floor_divide_(input, other):
    return _inplace(input, lambda: pw.floor_divide(input, other))


def hypot_(input, other):
    return _inplace(input, lambda: pw.hypot(input, other))


def xlogy_(input, other):
    return _inplace(input, lambda: pw.xlogy(input, other))


def copysign_(input, other):
    return _inplace(input, lambda: pw.copysign(input, other))


def bitwise_left_shift_(input, other):
    return _inplace(input, lambda: pw.bitwise_left_shift(input, other))


def bitwise_right_shift_(input, other):
    return _inplace(input, lambda: pw.bitwise_right_shift(input, other))


def bitwise_and_(input, other):
    return _inplace(input, lambda: ew.bitwise_and(input, other))


def bitwise_or_(input, other):
    return _inplace(input, lambda: ew.bitwise_or(input, other))


def bitwise_xor_(input, other):
    return _inplace(input, lambda: ew.bitwise_xor(input, other))


def round_(input, *, decimals=None):
    return _inplace(input, lambda: pw.round(input, decimals=decimals))


def logit_(input, eps=None):
    return _inplace(input, lambda: pw.logit(input, eps))


def nan_to_num_(input, nan=0.0, posinf=None, neginf=None):
    return _inplace(input, lambda: pw.nan_to_num(input, nan, posinf, neginf))


def lerp_(input, end, weight):
    return _inplace(input, lambda: pw.lerp(input, end, weight))


def addcmul_(input, tensor1, tensor2, *, value=1):
    return _inplace(input, lambda: pw.addcmul(input, tensor1, tensor2, value=value))


def addcdiv_(input, tensor1, tensor2, *, value=1):
    return _inplace(input, lambda: pw.addcdiv(input, tensor1, tensor2, value=value))


def float_power_(input, exponent):
    """float_power in place: torch requires the base to be double (or complex double)."""
    wanted = dtypes.complex128 if (input.is_complex() or isinstance(exponent, complex) or (
        isinstance(exponent, Tensor) and exponent.is_complex())) else dtypes.float64
    if input.dtype is not wanted:
        raise RuntimeError(f"the base given to float_power_ has dtype {_SHORT[input.dtype.name]}"
                           f" but the operation's result requires dtype "
                           f"{_SHORT[wanted.name]}")
    return _inplace(input, lambda: pw.float_power(input, exponent))
