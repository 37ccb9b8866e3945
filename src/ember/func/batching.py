"""Batching: the interpreter `vmap` runs ops through, and its rule table.

A `BatchedTensor` is a logical tensor (what the vmapped function sees) backed by a
*physical* plain tensor whose leading dims are the batch dims of the vmap levels it
belongs to, outermost level first (functorch's representation, flattened: one wrapper
however deep the nesting). While a vmap is running, `Primitive.apply` (and the
subclasses that define their own `apply`) is replaced by `_batched_apply`: when no
input is batched it calls the original `apply` unchanged; otherwise it looks up the
op's class in `RULES` (walking the class's MRO) and lets the rule compute the physical
result from the physical inputs, by calling the op itself on plain tensors with
adjusted arguments. Because rules call ordinary ops on plain tensors, autograd records
the physical computation and `grad` inside `vmap` just works.

Rule families: elementwise/broadcasting (align levels and logical ranks), reductions
and `dim` ops (shift dims by the number of batch dims), shape ops (permute, reshape,
expand, squeeze, stack, cat...), the matmul family, softmax/log_softmax; any other
primitive falls back to a per-example loop that warns naming the op.

Outside vmap nothing is patched, so the hot path of every op is untouched.
"""

from __future__ import annotations

import inspect
import itertools
import warnings

import numpy as np

from .. import dtypes
from ..ops import activation, elementwise, linalg, reduction, shape
from ..ops.primitive import Primitive
from ..tensor import Tensor

# ---- levels -------------------------------------------------------------------------

# The running vmaps, outermost first: [level, batch_size, randomness].
LEVELS: list = []


def level_size(level: int) -> int:
    for lvl, size, _ in LEVELS:
        if lvl == level:
            return size
    raise RuntimeError("vmap: a BatchedTensor escaped the vmap that created it")


def current_randomness() -> str:
    return LEVELS[-1][2] if LEVELS else "error"


# NumPy functions that only look at (or re-view) an array's layout, never its values
_STRUCTURAL = {np.shape, np.ndim, np.size, np.result_type, np.may_share_memory,
               np.shares_memory, np.reshape, np.transpose, np.broadcast_to, np.expand_dims,
               np.squeeze, np.moveaxis, np.swapaxes}


def _as_key(key) -> tuple:
    return key if isinstance(key, tuple) else (key,)


class _LogicalArray(np.ndarray):
    """What `BatchedTensor._data` returns: an array with the logical shape and dtype (so
    shape/dtype/ndim checks in op wrappers work), whose values must not be computed with:
    ufuncs and NumPy functions on it raise, since code that reads arrays outside a
    Primitive has no batching rule."""

    _phys = None   # the physical array this logical one stands for (None: unknown)
    _k = 0

    def __getitem__(self, key):
        out = super().__getitem__(key)
        if self._phys is not None and isinstance(out, _LogicalArray):
            out._phys = self._phys[(slice(None),) * self._k + _as_key(key)]
            out._k = self._k
        return out

    def __setitem__(self, key, value):
        # `x[key] = v` without autograd writes arrays directly: write every example
        if self._phys is None or isinstance(value, _LogicalArray):
            raise RuntimeError("vmap: this in-place write into a BatchedTensor has no batching "
                               "rule; use an out-of-place op (or index_put) instead")
        self._phys[(slice(None),) * self._k + _as_key(key)] = value

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise RuntimeError(
            f"vmap: np.{ufunc.__name__} was called on the array of a BatchedTensor; this "
            "ember op computes on arrays directly (outside a Primitive) and has no batching "
            "rule")

    def __array_function__(self, func, types, args, kwargs):
        if func in _STRUCTURAL:
            return super().__array_function__(func, types, args, kwargs)
        if func is np.copyto:
            return _copy_into_batched(*args, **kwargs)
        raise RuntimeError(
            f"vmap: np.{func.__name__} was called on the array of a BatchedTensor; this "
            "ember op computes on arrays directly (outside a Primitive) and has no batching "
            "rule")


def _copy_into_batched(dst, src, casting="same_kind", where=True):
    """An in-place op's write (`np.copyto(t._data, result._data)`) into a BatchedTensor:
    write the physical values, and let `t` carry the result's history."""
    owner = getattr(dst, "_owner", None)
    s_owner = getattr(src, "_owner", None)
    if owner is None or (s_owner is not None and not set(s_owner._levels) <= set(
            owner._levels)):
        # torch reports the physical shapes: the result has batch dims `dst` lacks
        have = list(owner._value.shape) if owner is not None else list(np.shape(dst))
        want = list(s_owner._value.shape) if s_owner is not None else list(np.shape(src))
        raise RuntimeError(f"output with shape {have} doesn't match the broadcast shape {want}")
    levels = owner._levels
    k = len(levels)
    src_t = s_owner if s_owner is not None else Tensor._make(np.asarray(src))
    p = _pad_rank(physical(src_t, levels), k, owner._value.ndim - k)
    if s_owner is not None and s_owner._value.grad_fn is not None:
        # recorded: `t` takes the result as its new physical value (autograd follows the
        # result's history; the old value stays intact for the nodes that saved it)
        value = physical(s_owner, levels, expand=True)
        value = _pad_rank(value, k, owner._value.ndim - k).expand(tuple(owner._value.shape))
        owner._value = value
        owner._vc = [owner._vc[0]]
        owner.grad_fn, owner._requires_grad = value.grad_fn, True
        return
    np.copyto(owner._value._data, p._data, casting=casting)


class BatchedTensor(Tensor):
    """A logical tensor inside vmap: `_value` (a plain Tensor) has one leading batch dim
    per level of `_levels` (sorted, outermost first)."""

    def __init__(self, value: Tensor, levels: tuple):  # noqa: D107
        self._value = value
        self._levels = levels
        self._requires_grad = value._requires_grad
        self._grad = None
        self.grad_fn = value.grad_fn
        self._vc = value._vc

    @property
    def _data(self):
        v = self._value._data
        k = len(self._levels)
        if all(v.shape[:k]):
            logical = v[(0,) * k + (Ellipsis,)]
        else:
            logical = np.empty(v.shape[k:], v.dtype)
        arr = logical.view(_LogicalArray)
        arr._owner, arr._phys, arr._k = self, v, k
        return arr

    def requires_grad_(self, requires_grad: bool = True):
        self._value.requires_grad_(requires_grad)
        self._requires_grad = self._value._requires_grad
        return self

    def __repr__(self, *, tensor_contents=None) -> str:
        # torch's nesting: the innermost vmap's wrapper outside; batch dims lead, so
        # each wrapper's batch dim is dim 0 of what it wraps
        inner = repr(self._value)
        for lvl in self._levels:
            inner = f"BatchedTensor(lvl={lvl}, bdim=0, value=\n{_indent(inner)}\n)"
        return inner

    __str__ = __repr__

    def item(self):
        raise RuntimeError(
            "vmap: It looks like you're calling .item() on a Tensor. We don't support vmap "
            "over calling .item() on a Tensor, please try to rewrite what you're doing with "
            "other operations. If error is occurring somewhere inside PyTorch internals, "
            "please file a bug report.")

    def __bool__(self):
        raise RuntimeError(
            "vmap: It looks like you're attempting to use a Tensor in some data-dependent "
            "control flow. We don't support that yet, please shout over at "
            "https://github.com/pytorch/functorch/issues/257 .")

    def tolist(self):
        raise RuntimeError("vmap: tolist() is not supported on a BatchedTensor")

    def numpy(self, *, force: bool = False):
        raise RuntimeError("vmap: numpy() is not supported on a BatchedTensor")


_NO_OTHER = object()

# Ops that compute on arrays outside a Primitive (comparisons, logic): as *methods and
# operators* of a BatchedTensor they run on the aligned physical tensors.
_LIFTED = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__and__", "__or__",
           "__xor__", "__rand__", "__ror__", "__rxor__", "__invert__", "eq", "ne", "lt", "le",
           "gt", "ge", "logical_and", "logical_or", "logical_xor", "logical_not", "isnan",
           "isinf", "isfinite", "bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor")


def _lift(name):
    base = getattr(Tensor, name)

    def method(self, other=_NO_OTHER):
        args = (self,) if other is _NO_OTHER else (self, other)
        levels = union_levels(args)
        k = len(levels)
        rank = max(logical_ndim(a) for a in args if isinstance(a, Tensor))
        target = None
        if len(args) == 2 and all(isinstance(a, Tensor) for a in args):
            target = dtypes.result_type(*(_stand_in(a) for a in args))
        phys = []
        for a in args:
            if isinstance(a, Tensor):
                a = _pad_rank(physical(a, levels), k, rank)
                if target is not None and a.dtype != target:
                    a = a.to(target)
            phys.append(a)
        return wrap(base(*phys), levels)

    method.__name__ = name
    return method


for _name in _LIFTED:
    if hasattr(Tensor, _name):
        setattr(BatchedTensor, _name, _lift(_name))
BatchedTensor.__hash__ = Tensor.__hash__


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def wrap(value: Tensor, levels: tuple):
    """A BatchedTensor for `value` with `levels` leading batch dims (plain if none)."""
    if not levels:
        return value
    return BatchedTensor(value, tuple(levels))


def levels_of(x) -> tuple:
    return x._levels if isinstance(x, BatchedTensor) else ()


def logical_ndim(x) -> int:
    if isinstance(x, BatchedTensor):
        return x._value.ndim - len(x._levels)
    return x.ndim


def physical(x, levels: tuple, expand: bool = False) -> Tensor:
    """`x`'s physical tensor with one leading dim per level in `levels` (size 1 for the
    levels `x` is not batched over, or their full size when `expand`)."""
    if isinstance(x, BatchedTensor):
        value, own = x._value, x._levels
    else:
        value, own = x, ()
    if own == tuple(levels) and not expand:
        return value
    k = len(own)
    sizes = dict(zip(own, value.shape[:k]))
    new_shape = tuple(sizes.get(lvl, 1) for lvl in levels) + tuple(value.shape[k:])
    if tuple(value.shape) != new_shape:
        value = value.reshape(new_shape)
    if expand:
        full = tuple(sizes.get(lvl, level_size(lvl)) for lvl in levels) + \
            new_shape[len(levels):]
        if tuple(value.shape) != full:
            value = value.expand(full)
    return value


def union_levels(args) -> tuple:
    found = set()
    for a in args:
        if isinstance(a, BatchedTensor):
            found.update(a._levels)
    return tuple(sorted(found))


def _pad_rank(p: Tensor, k: int, rank: int) -> Tensor:
    """Insert size-1 dims right after the k batch dims up to logical rank `rank`."""
    have = p.ndim - k
    if have >= rank:
        return p
    return p.reshape(tuple(p.shape[:k]) + (1,) * (rank - have) + tuple(p.shape[k:]))


def _wrap_out(out, levels):
    if isinstance(out, tuple):
        return tuple(wrap(o, levels) if isinstance(o, Tensor) else o for o in out)
    return wrap(out, levels)


# ---- rules --------------------------------------------------------------------------

RULES: dict = {}


def rule(*classes):
    def register(fn):
        for cls in classes:
            if cls is not None:
                RULES[cls] = fn
        return fn
    return register


def _stand_in(x):
    """A plain tensor with x's logical rank and dtype (for dtype promotion)."""
    if isinstance(x, BatchedTensor):
        return Tensor._make(np.zeros((1,) * logical_ndim(x), x._value._data.dtype))
    return x


def elementwise_rule(cls, args, params):
    """Broadcasting ops: align levels, then logical ranks, and run the op once."""
    levels = union_levels(args)
    k = len(levels)
    tensors = [a for a in args if isinstance(a, Tensor)]
    rank = max(logical_ndim(a) for a in tensors)
    target = None
    binary = getattr(elementwise, "BinaryPrimitive", None)
    if binary is not None and issubclass(cls, binary) and len(tensors) == 2:
        # torch promotes by *logical* rank (a 0-d operand stays a 0-d operand)
        target = dtypes.result_type(*(_stand_in(a) for a in args))
    new = []
    for a in args:
        if isinstance(a, Tensor):
            p = _pad_rank(physical(a, levels), k, rank)
            if target is not None and p.dtype != target:
                p = p.to(target)
            new.append(p)
        else:
            new.append(a)
    return _wrap_out(cls.apply(*new, **params), levels)


_ALL = getattr(reduction, "_ALL", None)


def _logical_dims(dim, n: int):
    """A `dim` argument (int, sequence, None or the all-dims sentinel) as wrapped ints;
    None when it means every dim."""
    if dim is None or dim is _ALL:
        return None
    if isinstance(dim, (int, np.integer)):
        dim = (int(dim),)
    dims = tuple(int(d) for d in dim)
    if not dims:
        return None
    m = max(n, 1)
    return tuple(d % m if -m <= d < m else d for d in dims)


def reduce_rule(cls, args, params, tuple_dims=True):
    """Reductions over `dim`: shift the dims past the batch dims; 'all dims' becomes the
    logical dims (a 0-d example gets a size-1 dim to reduce)."""
    (x,) = [a for a in args if isinstance(a, Tensor)]
    levels = x._levels
    k = len(levels)
    p = x._value
    n = p.ndim - k
    dims = _logical_dims(params.get("dim"), n)
    if n == 0:
        p = p.unsqueeze(k)
        new_dims = (k,)
        # keepdim on a 0-d input keeps no dims
        params = dict(params, dim=new_dims if tuple_dims else k, keepdim=False)
        return _wrap_out(cls.apply(p, *args[1:], **params), levels)
    if dims is None:
        dims = tuple(range(n))
    new_dims = tuple(d + k for d in dims)
    if not tuple_dims or isinstance(params.get("dim"), (int, np.integer)):
        (new_dims,) = new_dims  # keep an int dim an int
    params = dict(params, dim=new_dims)
    return _wrap_out(cls.apply(p, *args[1:], **params), levels)


def _dim_op_rule(cls, args, params, key="dim", extra_rank=0):
    """Ops with one int `dim` on one input (softmax, glu, unbind, narrow, unsqueeze):
    non-negative dims move past the batch dims, negative ones stay."""
    x = args[0]
    levels = x._levels
    k = len(levels)
    n = logical_ndim(x)
    if n + extra_rank == 0:
        return loop_rule(cls, args, params)
    d = params[key]
    if d >= 0:
        d += k
    return _wrap_out(cls.apply(x._value, *args[1:], **dict(params, **{key: d})), levels)


def _single(args):
    tensors = [a for a in args if isinstance(a, Tensor)]
    return len(tensors) == 1 and args[0] is tensors[0]


def _register_rules() -> None:
    ew = []
    for module in (elementwise, activation):
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Primitive) and obj.__module__ == \
                    module.__name__:
                ew.append(obj)
    # a primitive of these families is elementwise unless its forward takes a dim, a
    # shape, an index or a weight (softmax, glu, prelu...) or draws random numbers
    not_elementwise = {"dim", "dims", "axis", "shape", "size", "weight", "generator", "key",
                       "index", "values"}
    for cls in ew:
        params = set(inspect.signature(cls.forward).parameters)
        if not params & not_elementwise and not cls.__name__.startswith("_"):
            RULES[cls] = elementwise_rule
    for name in ("Clone",):
        if hasattr(shape, name):
            RULES[getattr(shape, name)] = elementwise_rule
    from ..ops import conversion
    if hasattr(conversion, "ToCopy"):
        RULES[conversion.ToCopy] = elementwise_rule

    for name in ("Sum", "Mean", "ExtremumAll", "Var", "Logsumexp", "Nansum", "VarMean",
                 "VectorNorm", "Aminmax"):
        if hasattr(reduction, name):
            RULES[getattr(reduction, name)] = reduce_rule
    if hasattr(reduction, "ExtremumDim"):
        RULES[reduction.ExtremumDim] = lambda c, a, p: (
            loop_rule(c, a, p) if logical_ndim(a[0]) == 0 else _dim_op_rule(c, a, p))
    for name in ("Softmax", "LogSoftmax", "Glu"):
        if hasattr(activation, name):
            RULES[getattr(activation, name)] = _dim_op_rule
    for name in ("Unbind", "Narrow"):
        if hasattr(shape, name):
            RULES[getattr(shape, name)] = _dim_op_rule
    if hasattr(shape, "Unsqueeze"):
        RULES[shape.Unsqueeze] = lambda c, a, p: _dim_op_rule(c, a, p, extra_rank=1)


_register_rules()


@rule(getattr(shape, "Permute", None))
def _permute(cls, args, params):
    x = args[0]
    k = len(x._levels)
    dims = tuple(range(k)) + tuple(d + k for d in params["dims"])
    return wrap(cls.apply(x._value, **dict(params, dims=dims)), x._levels)


@rule(getattr(shape, "Squeeze", None))
def _squeeze(cls, args, params):
    x = args[0]
    k = len(x._levels)
    dims = tuple(d + k for d in params["dims"])
    return wrap(cls.apply(x._value, **dict(params, dims=dims)), x._levels)


@rule(getattr(shape, "Reshape", None))
def _reshape(cls, args, params):
    x = args[0]
    k = len(x._levels)
    p = x._value
    new_shape = tuple(p.shape[:k]) + tuple(params["shape"])
    try:
        np.reshape(p._data, new_shape, copy=False)
    except ValueError:
        p = p.contiguous()
    return wrap(cls.apply(p, **dict(params, shape=new_shape)), x._levels)


@rule(getattr(shape, "Expand", None))
def _expand(cls, args, params):
    x = args[0]
    k = len(x._levels)
    target = tuple(params["shape"])
    p = _pad_rank(x._value, k, len(target))
    return wrap(cls.apply(p, **dict(params, shape=tuple(p.shape[:k]) + target)), x._levels)


@rule(getattr(shape, "Stack", None), getattr(shape, "Cat", None))
def _join(cls, args, params):
    levels = union_levels(args)
    k = len(levels)
    new = [physical(a, levels, expand=True) for a in args]
    d = params["dim"]
    return wrap(cls.apply(*new, **dict(params, dim=d + k if d >= 0 else d)), levels)


@rule(getattr(linalg, "MatMul", None))
def _matmul(cls, args, params):
    a, b = args
    levels = union_levels(args)
    k = len(levels)
    na, nb = logical_ndim(a), logical_ndim(b)
    pa, pb = physical(a, levels), physical(b, levels)
    if na == 1:
        pa = pa.unsqueeze(-2)
    if nb == 1:
        pb = pb.unsqueeze(-1)
    rank = max(pa.ndim, pb.ndim) - k
    pa, pb = _pad_rank(pa, k, rank), _pad_rank(pb, k, rank)
    out = cls.apply(pa, pb, **params)
    if na == 1:
        out = out.squeeze(-2)
    if nb == 1:
        out = out.squeeze(-1)
    return wrap(out, levels)


@rule(getattr(linalg, "Addmm", None))
def _addmm(cls, args, params):
    bias, m1, m2 = args
    from .. import ops
    prod = ops.matmul(m1, m2)
    alpha, beta = params.get("alpha", 1), params.get("beta", 1)
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod
    return prod + (bias if beta == 1 else bias * beta)


def _index_rule_factory():
    from ..ops import indexing

    @rule(getattr(indexing, "Index", None))
    def _index(cls, args, params):
        """x[key]: basic keys get k leading full slices; advanced keys too when their
        index arrays are adjacent (NumPy then keeps the leading batch dims in place)."""
        x = args[0]
        key = params["key"]
        k = len(x._levels)
        lead = (slice(None),) * k
        adv = key.advanced
        if adv is not None:
            adv = adv if isinstance(adv, tuple) else (adv,)
            where = [i for i, a in enumerate(adv) if isinstance(a, np.ndarray)]
            if where != list(range(where[0], where[-1] + 1)) if where else False:
                return loop_rule(cls, args, params)
            adv = lead + adv
        new = indexing.IndexKey(basic=lead + tuple(key.basic), advanced=adv, last=key.last)
        return wrap(cls.apply(x._value, **dict(params, key=new)), x._levels)


_index_rule_factory()


def _others_batched(args) -> bool:
    return any(isinstance(a, BatchedTensor) for a in args[1:])


def leading_dims_rule(cls, args, params):
    """Ops that work on the trailing dims of input 0 and accept any leading dims
    (layer norm, pooling): the batch dims are just more leading dims."""
    if _others_batched(args):
        return loop_rule(cls, args, params)
    x = args[0]
    return _wrap_out(cls.apply(x._value, *args[1:], **params), x._levels)


def fold_rule(cls, args, params):
    """Ops whose input 0 has exactly one leading batch dim N (convolution): fold the vmap
    dims into N, run once, unfold."""
    if _others_batched(args):
        return loop_rule(cls, args, params)
    x = args[0]
    k = len(x._levels)
    p = x._value
    lead = tuple(p.shape[:k + 1])
    out = cls.apply(p.reshape((int(np.prod(lead)),) + tuple(p.shape[k + 1:])), *args[1:],
                    **params)

    def unfold(o):
        return wrap(o.reshape(lead + tuple(o.shape[1:])), x._levels)
    return tuple(unfold(o) for o in out) if isinstance(out, tuple) else unfold(out)


def _register_nn_rules() -> None:
    from ..ops import conv, normalization, pooling
    for module, names, fn in ((normalization, ("NativeLayerNorm",), leading_dims_rule),
                              (pooling, ("Taps", "MaxPool", "AdaptiveMaxPool"),
                               leading_dims_rule),
                              (conv, ("Convolution",), fold_rule)):
        for name in names:
            if hasattr(module, name):
                RULES[getattr(module, name)] = fn


_register_nn_rules()


def _register_more_families() -> None:
    """Pointwise ops and scans of the other families (looked up by name: a family that
    lacks one simply keeps the loop fallback for it)."""
    import importlib
    table = {
        "pointwise": (elementwise_rule, (
            "_Unary", "_Rounding", "Atan2", "Copysign", "Fmax", "Fmin", "Fmod", "Hypot",
            "Remainder", "Xlogy", "Lerp", "Addcdiv", "Addcmul", "Logit", "NanToNum", "Round",
            "Rsqrt", "Sgn", "Erfc", "Erfinv", "Frac", "Deg2Rad", "Rad2Deg", "Angle", "Real",
            "Imag", "ConjPhysical", "Complex")),
        "loss": (elementwise_rule, ("_LogSigmoid", "_Xlogy", "_ClampMinNoGrad")),
        "scan": (_dim_op_rule, ("Cumsum", "Cumprod", "Logcumsumexp", "CumExtremum")),
    }
    for module_name, (fn, names) in table.items():
        try:
            module = importlib.import_module(f"ember.ops.{module_name}")
        except ImportError:
            continue
        for name in names:
            cls = getattr(module, name, None)
            if isinstance(cls, type) and issubclass(cls, Primitive):
                RULES[cls] = fn


_register_more_families()


# ---- randomness and the loop fallback ---------------------------------------------------

def _random_classes():
    found = []
    from ..ops import random_ops
    if hasattr(random_ops, "RandomFill"):
        found.append(random_ops.RandomFill)
    if hasattr(activation, "RreluWithNoise"):
        found.append(activation.RreluWithNoise)
    return tuple(found)


RANDOM_PRIMITIVES = _random_classes()

def loop_rule(cls, args, params):
    """Run the op once per example and stack the results (correct, slow)."""
    warnings.warn(
        f"There is a performance drop because we have not yet implemented the batching "
        f"rule for {cls.__name__} (ember.func.batching.RULES). The op runs once per "
        f"example.", UserWarning, stacklevel=4)
    levels = union_levels(list(args) + list(params.values()))
    sizes = [level_size(lvl) for lvl in levels]
    if 0 in sizes:
        raise RuntimeError(f"vmap: {cls.__name__} has no batching rule and cannot run "
                           "its per-example fallback on an empty batch")

    def pick(a, idx):
        if isinstance(a, BatchedTensor):
            return physical(a, levels, expand=True)[idx]
        return a

    outs = []
    for idx in itertools.product(*(range(s) for s in sizes)):
        outs.append(cls.apply(*(pick(a, idx) for a in args),
                              **{n: pick(v, idx) for n, v in params.items()}))
    from ..ops.shape import stack

    def gather(parts):
        out = stack(list(parts), 0)
        return out.reshape(tuple(sizes) + tuple(out.shape[1:]))

    if isinstance(outs[0], tuple):
        return tuple(wrap(gather(p), levels) for p in zip(*outs))
    return wrap(gather(outs), levels)


def find_rule(cls):
    for klass in cls.__mro__:
        if klass in RULES:
            return RULES[klass]
        if klass is Primitive:
            break
    return loop_rule


def dispatch(cls, original, args, params):
    """Called instead of `cls.apply` while vmap runs."""
    batched = any(isinstance(a, BatchedTensor) for a in args) or any(
        isinstance(v, BatchedTensor) for v in params.values())
    if not batched:
        return original(cls, *args, **params)
    if cls in RANDOM_PRIMITIVES and current_randomness() == "error":
        raise RuntimeError(_RANDOM_ERROR)
    if any(isinstance(v, BatchedTensor) for v in params.values()):
        return loop_rule(cls, args, params)
    return find_rule(cls)(cls, args, params)


# ---- installing the interpreter -------------------------------------------------------

_installed = []   # [(class, attribute name, original)]
_depth = [0]


def _all_primitive_classes():
    seen, todo = [], [Primitive]
    while todo:
        c = todo.pop()
        seen.append(c)
        todo.extend(c.__subclasses__())
    return seen


_RANDOM_ERROR = (
    "vmap: called random operation while in randomness error mode. Please either use the "
    "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
    "of vmap")


def _guard_draw(original):
    def draw(self, *args, **kwargs):
        if LEVELS and LEVELS[-1][2] == "error":
            raise RuntimeError(_RANDOM_ERROR)
        return original(self, *args, **kwargs)
    return draw


def _make_forward(original):
    def forward(self, *arrays, **params):
        if any(isinstance(a, _LogicalArray) for a in arrays):
            # a wrapper that runs forward itself (then finish, routed to the rule below):
            # hand it a placeholder of the logical result's shape
            arrs = [a for a in arrays if isinstance(a, np.ndarray)]
            shape = np.broadcast_shapes(*(a.shape for a in arrs))
            return np.empty(shape, np.result_type(*arrs))
        return original(self, *arrays, **params)
    return forward


def _direct_forward_classes():
    """Primitives whose wrappers call `forward` and `finish` themselves (not `apply`)."""
    import importlib
    found = [c for c in (getattr(elementwise, "Where", None),) if c is not None]
    try:
        found.append(importlib.import_module("ember.ops.pointwise").Lerp)
    except (ImportError, AttributeError):
        pass
    return found


def _make_finish(original):
    def finish(self, out, inputs):
        if any(isinstance(x, BatchedTensor) for x in inputs):
            return dispatch(type(self), None, tuple(inputs), {})
        return original(self, out, inputs)
    return finish


def _make_apply(original):
    def apply(cls, *args, **params):
        return dispatch(cls, original, args, params)
    return classmethod(apply)


def install() -> None:
    """Route every primitive's `apply` through `dispatch` (nested vmaps share one)."""
    _depth[0] += 1
    if _depth[0] > 1:
        return
    for c in _all_primitive_classes():
        if "apply" in c.__dict__:
            original = c.__dict__["apply"].__func__
            _installed.append((c, "apply", c.__dict__["apply"]))
            c.apply = _make_apply(original)
    # ember.where and lerp call forward and finish directly (not through apply)
    for c in _direct_forward_classes():
        _installed.append((c, "finish", c.__dict__.get("finish")))
        _installed.append((c, "forward", c.__dict__.get("forward")))
        c.finish = _make_finish(c.finish)
        c.forward = _make_forward(c.forward)
    # every draw from a generator goes through these: refuse them in 'error' mode
    from ..random import Generator
    for name in ("random", "random64"):
        _installed.append((Generator, name, Generator.__dict__[name]))
        setattr(Generator, name, _guard_draw(Generator.__dict__[name]))


def uninstall() -> None:
    _depth[0] -= 1
    if _depth[0] > 0:
        return
    while _installed:
        c, name, original = _installed.pop()
        if original is None:  # was inherited
            delattr(c, name)
        else:
            setattr(c, name, original)
