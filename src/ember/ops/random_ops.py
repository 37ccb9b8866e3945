"""Random ops: the in-place samplers (`uniform_`, `normal_`, `bernoulli_`, `random_`,
`exponential_`, `geometric_`, `log_normal_`, `cauchy_`) and `bernoulli`, `normal`,
`multinomial`, all drawing torch's numbers from an `ember.Generator`.

A sampler fills a tensor in its memory order (the order in which torch's
TensorIterator visits the elements), so a transposed or sliced tensor receives the
same numbers at the same addresses as in torch. The formulas and their roundings are
ATen's; `ember/random.py` holds the generator and the arithmetic shared with the
factories (`rand`, `randn`, ...).

Sampling is not differentiable: an in-place sampler on a tensor that requires grad
records a node (torch's name, e.g. `UniformBackward0`) whose gradient is zero.
"""

from __future__ import annotations

import math

import numpy as np

from .. import random as _random
from ..autograd import grad_mode
from ..tensor import Tensor
from .inplace import _SHORT, check_inplace, commit_inplace
from .primitive import Primitive

# the in-place samplers are listed too: TENSOR_METHODS binds names from ember.ops
__all__ = ['bernoulli', 'bernoulli_', 'cauchy_', 'exponential_', 'geometric_', 'log_normal_',
           'multinomial', 'normal', 'normal_', 'random_', 'uniform_']

TENSOR_METHODS = tuple(name for name in __all__ if name not in {'normal'})

_CPP_LONG = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
             "uint8": "unsigned char", "bool": "bool", "float32": "float", "float64": "double",
             "float16": "c10::Half", "complex64": "c10::complex<float>",
             "complex128": "c10::complex<double>"}


def _not_for(arr, kernel: str) -> None:
    """torch's dispatch error for a dtype a kernel does not handle."""
    raise NotImplementedError(
        f"\"{kernel}\" not implemented for '{_SHORT[arr.dtype.name]}'")


def _gen(generator):
    return _random.default_generator if generator is None else generator


def _num(v) -> str:
    """A double as C++'s stream prints it (6 significant digits, no trailing zeros)."""
    return f"{float(v):g}"


def _is_float(arr) -> bool:
    return arr.dtype.kind == "f"


def _memory_order(arr: np.ndarray) -> tuple:
    """The axes from outermost to innermost in memory: torch's TensorIterator visits
    an output in this order."""
    return tuple(sorted(range(arr.ndim), key=lambda d: -abs(arr.strides[d])))


class RandomFill(Primitive):
    """An in-place sampler's node: the output is the drawn values, every input's
    gradient is zero (sampling is not differentiable)."""

    def forward(self, x, *others, values, name):
        self.grad_fn_name = name
        self.other_shapes = [getattr(o, "shape", None) for o in others]
        return values

    def backward(self, grad):
        zeros = [None if s is None else grad.new_zeros(s) for s in self.other_shapes]
        return (grad.new_zeros(grad.shape), *zeros)


def _sample_into(input: Tensor, draw, name: str, others=()) -> Tensor:
    """Fill `input` in memory order with `draw(n)` (a flat array in generation order)."""
    check_inplace(input)
    arr = input._data
    order = _memory_order(arr)
    view = arr.transpose(order)
    values = np.asarray(draw(arr.size)).reshape(view.shape)
    if arr.dtype == np.float16 and values.dtype == np.float64:
        values = values.astype(np.float32)  # C++'s Half(double) rounds through float
    recorded = grad_mode._enabled and (
        input._requires_grad or any(getattr(o, "_requires_grad", False) for o in others)
    ) or getattr(input, "_fw", None) is not None  # inside a jvp: the tangent becomes zero
    if recorded:
        full = np.empty_like(arr)
        np.copyto(full.transpose(order), values, casting="unsafe")
        return commit_inplace(input, RandomFill.apply(input, *others, values=full, name=name))
    np.copyto(view, values, casting="unsafe")
    input._vc[0] += 1
    return input


# ---- uniform_ / normal_ --------------------------------------------------------------

def _uniform_values(gen, n: int, np_dtype, low: float, high: float) -> np.ndarray:
    """ATen's uniform_real_distribution: u * (to - from) + from, fused, in the dtype (in
    float32 for float16); a value that rounds up to `to` becomes `from` (measured:
    torch keeps [from, to) half-open that way)."""
    np_dtype = np.dtype(np_dtype)
    u = gen.uniform(n, np.float32 if np_dtype == np.float16 else np_dtype)
    if low == 0 and high == 1 and np_dtype != np.float16:
        return u
    if np_dtype == np.float64:
        out = _random._fma64(u, np.float64(high) - np.float64(low), np.float64(low))
    else:
        lo = np.float32(low)
        out = _random._fma32(u, np.float32(high) - lo, lo).astype(np_dtype, copy=False)
    top, bottom = np_dtype.type(high), np_dtype.type(low)
    return np.where(out == top, bottom, out)


def _real_view(input: Tensor) -> Tensor:
    """view_as_real: a complex tensor as (..., 2) floats sharing its memory (torch
    samples complex tensors through this view)."""
    arr = input._data
    real = np.dtype(arr.dtype.char.lower())  # F -> f, D -> d
    view = np.lib.stride_tricks.as_strided(
        arr.view(real) if arr.flags.c_contiguous else arr.real,
        shape=arr.shape + (2,), strides=arr.strides + (real.itemsize,))
    t = Tensor._make(view)
    t._vc = input._vc
    return t


def uniform_(input, from_=0.0, to=1.0, *, generator=None, **kwargs):
    """Fill with uniform values in [from, to) (both parts of a complex value)."""
    from_ = kwargs.pop("from", from_)
    if kwargs:
        raise TypeError(f"uniform_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    arr = input._data
    if arr.dtype.kind == "c":
        check_inplace(input)
        uniform_(_real_view(input), from_, to, generator=generator)
        return input
    if not _is_float(arr):
        _not_for(arr, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_num(from_)} > to={_num(to)}")
    gen = _gen(generator)
    return _sample_into(input, lambda n: _uniform_values(gen, n, arr.dtype, from_, to),
                        "UniformBackward0")


def _check_normal_std(std) -> None:
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")


def normal_(input, mean=0.0, std=1.0, *, generator=None):
    """Fill with normal values N(mean, std^2), laid out as torch lays them out."""
    arr = input._data
    _check_normal_std(std)
    if arr.dtype.kind == "c":  # each part with std / sqrt(2), as torch does
        check_inplace(input)
        normal_(_real_view(input), mean, std / math.sqrt(2), generator=generator)
        return input
    if not _is_float(arr):
        _not_for(arr, "normal_kernel_cpu")
    gen = _gen(generator)
    contiguous = input.is_contiguous()
    return _sample_into(
        input, lambda n: gen.normal(n, arr.dtype, float(mean), float(std), contiguous),
        "NormalBackward0")


# ---- bernoulli -------------------------------------------------------------------------

def _check_p_tensor(p: Tensor) -> None:
    if p._data.dtype.kind != "f":
        raise NotImplementedError(
            f"\"bernoulli_tensor_cpu_p_\" not implemented for '{_SHORT[p._data.dtype.name]}'")


def bernoulli_(input, p=0.5, *, generator=None):
    """Fill with 1 (probability p) or 0: p a number, or a tensor broadcast to input."""
    gen = _gen(generator)
    if input._data.dtype.kind == "c":
        _not_for(input._data, "bernoulli_tensor_cpu_self_" if isinstance(p, Tensor)
                 else "bernoulli_scalar_cpu_")
    if isinstance(p, Tensor):
        _check_p_tensor(p)
        try:
            pb = np.broadcast_to(p._data, input._data.shape)
        except ValueError:
            from .inplace import _check_fits
            _check_fits(input, p._data.shape)
            raise
        order = _memory_order(input._data)
        probs = pb.transpose(order).reshape(-1)
        if ((probs < 0) | (probs > 1) | np.isnan(probs)).any():
            raise RuntimeError(
                "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this "
                "error message be improved?  If so, please report an enhancement request "
                "to PyTorch.)")

        def draw(n):
            # ATen: bernoulli_distribution<double> for a float64 p, <float> otherwise
            if probs.dtype == np.float64:
                return gen.uniform(n, np.float64) < probs
            return gen.uniform(n, np.float32) < probs.astype(np.float32)
        return _sample_into(input, draw, "BernoulliBackward1", others=(p,))
    p = float(p)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_num(p)}")
    return _sample_into(input, lambda n: gen.uniform(n, np.float64) < p, "BernoulliBackward2")


def bernoulli(input, p=None, *, generator=None, out=None):
    """Samples 1 with probability `input` (or the number p) elementwise, else 0."""
    result = Tensor._make(np.empty(input._data.shape, input._data.dtype))
    with grad_mode.no_grad():
        if p is None:
            _check_p_tensor(input)
            bernoulli_(result, input.detach(), generator=generator)
        else:
            bernoulli_(result, p, generator=generator)
    if grad_mode._enabled and input._requires_grad:
        name = "BernoulliBackward0" if p is None else "torch::autograd::NotImplemented"
        result = RandomFill.apply(input, values=result._data, name=name)
    if out is not None:
        out.copy_(result)
        return out
    return result


# ---- random_ ---------------------------------------------------------------------------

# the largest integer each dtype holds exactly (to - 1 must fit; floats by their digits)
_TO_INC = {"float16": 2 ** 11, "float32": 2 ** 24, "float64": 2 ** 53, "bool": 1,
           "uint8": 255, "int8": 127, "int16": 2 ** 15 - 1, "int32": 2 ** 31 - 1,
           "int64": 2 ** 63 - 1}
_MIN = {"bool": 0, "uint8": 0, "int8": -128, "int16": -(2 ** 15), "int32": -(2 ** 31),
        "int64": -(2 ** 63)}


def _random_default(gen, n: int, name: str) -> np.ndarray:
    """random_() with no bounds: ATen's uniform_int over [0, 2^digits] for floats,
    [0, max] for integers, a bit for bool."""
    if name == "bool":
        return (gen.random(n) & np.uint64(1)).astype(bool)
    if name in ("int64", "float64"):
        w = gen.random64(n)
    else:
        w = gen.random(n)
    mod = _TO_INC[name] + 1
    return (w % np.uint64(mod)).astype(np.int64)


def _random_from_to(gen, n: int, low: int, span: int) -> np.ndarray:
    """ATen's uniform_int_from_to: (w % range) + base in 64-bit wrapping arithmetic,
    w a 64-bit draw when range >= 2^32."""
    w = gen.random64(n) if span >= 2 ** 32 else gen.random(n)
    vals = (w % np.uint64(span)) + np.uint64(low & 0xFFFFFFFFFFFFFFFF)
    return vals.view(np.int64)


def _check_to_bound(arr, value, which: str) -> None:
    name = arr.dtype.name
    if name in _MIN:
        if not _MIN[name] <= value <= _TO_INC[name]:
            raise RuntimeError(f"{which} is out of bounds for {_CPP_LONG[name]}")
    elif not -_TO_INC[name] <= value <= _TO_INC[name]:
        import warnings
        warnings.warn(f"{which} is out of bounds [-(2^{int(math.log2(_TO_INC[name]))}), "
                      f"2^{int(math.log2(_TO_INC[name]))}]. Due to precision limitations "
                      f"{_CPP_LONG[name].replace('c10::Half', 'c10::Half')} can support "
                      "discrete uniform distribution only within this range. This warning "
                      "will become an error in version 1.7 release, please fix the code in "
                      "advance", UserWarning, stacklevel=3)


def random_(input, *args, generator=None, **kwargs):
    """Fill with integers: random_() over the dtype's range [0, 2^digits] or [0, max],
    random_(to) in [0, to), random_(from, to) in [from, to), random_(from, None) in
    [from, max]."""
    for key in kwargs:
        if key not in ("from", "to"):
            raise TypeError(f"random_() got an unexpected keyword argument '{key}'")
    arr = input._data
    name = arr.dtype.name
    gen = _gen(generator)
    if arr.dtype.kind == "c":
        if not args and not kwargs:
            _not_for(arr, "random_kernel_cpu")
        raise RuntimeError("check_random_bounds handles only integral, floating-point and "
                           "boolean types")
    if not args and not kwargs:
        return _sample_into(input, lambda n: _random_default(gen, n, name), "RandomBackward2")
    if len(args) == 1 and not kwargs:
        low, to, grad_name = 0, args[0], "RandomBackward1"
    else:
        low, to = (list(args) + [None, None])[:2]
        low, to = kwargs.get("from", low), kwargs.get("to", to)
        grad_name = "RandomBackward0"
    low = int(low or 0)
    if to is None:  # [from, the dtype's max]
        if name == "int64" and low == _MIN["int64"]:
            return _sample_into(input, lambda n: gen.random64(n).view(np.int64), grad_name)
        span = _TO_INC[name] - low + 1
    else:
        to = int(to)
        if low >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={low} >= to={to}")
        _check_to_bound(arr, low, "from")
        _check_to_bound(arr, to - 1, "to - 1")
        span = to - low
    return _sample_into(input, lambda n: _random_from_to(gen, n, low, span), grad_name)


# ---- continuous distributions on float64 uniforms -------------------------------------

def _check_floating(arr, dist: str) -> None:
    if not _is_float(arr):
        spelled = _SHORT[arr.dtype.name] if dist == "Exponential" else _CPP_LONG[arr.dtype.name]
        raise RuntimeError(f"{dist} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {spelled}")


def exponential_(input, lambd=1.0, *, generator=None):
    """Fill with Exp(lambd) values: -1/lambd * log1p(-u)."""
    arr = input._data
    _check_floating(arr, "Exponential")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_num(lambd)}")
    gen = _gen(generator)
    scale = -1.0 / float(lambd)
    return _sample_into(
        input, lambda n: scale * _random._libm("log1p", -gen.uniform(n, np.float64)),
        "ExponentialBackward0")


def geometric_(input, p, *, generator=None):
    """Fill with the number of Bernoulli(p) trials up to the first success."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_num(p)}")
    if input._data.dtype.kind == "c":
        _not_for(input._data, "geometric_cpu")
    gen = _gen(generator)
    denom = math.log1p(-float(p))
    return _sample_into(
        input, lambda n: np.ceil(_random._libm("log", gen.uniform(n, np.float64)) / denom),
        "GeometricBackward0")


def log_normal_(input, mean=1.0, std=2.0, *, generator=None):
    """Fill with exp(N(mean, std^2)) values (the scalar normal path, cache included)."""
    arr = input._data
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_num(std)}")
    if not _is_float(arr):
        _not_for(arr, "log_normal_cpu")
    gen = _gen(generator)
    return _sample_into(
        input, lambda n: _random._libm("exp", gen.scalar_normals(n, float(mean), float(std))),
        "LogNormalBackward0")


def cauchy_(input, median=0.0, sigma=1.0, *, generator=None):
    """Fill with Cauchy(median, sigma) values: median + sigma * tan(pi * (u - 1/2))."""
    arr = input._data
    _check_floating(arr, "Cauchy")
    gen = _gen(generator)

    def draw(n):
        t = _random._libm("tan", math.pi * (gen.uniform(n, np.float64) - 0.5))
        return _random._fma64(np.full(n, float(sigma)), t, np.full(n, float(median)))
    return _sample_into(input, draw, "CauchyBackward0")


# ---- normal (functional) ----------------------------------------------------------------

def _as_tensor(x) -> bool:
    return isinstance(x, Tensor)


_NORMAL_SIGNATURES = (
    " * (Tensor mean, Tensor std, *, torch.Generator generator = None, Tensor out = None)\n"
    " * (Tensor mean, float std = 1, *, torch.Generator generator = None, Tensor out = None)\n"
    " * (float mean, Tensor std, *, torch.Generator generator = None, Tensor out = None)\n"
    " * (float mean, float std, tuple of ints size, *, torch.Generator generator = None, "
    "Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device "
    "device = None, bool pin_memory = False, bool requires_grad = False)\n")


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, pin_memory=False, requires_grad=False):
    """Normal samples: normal(Tensor, Tensor), normal(Tensor, float), normal(float, Tensor)
    or normal(float, float, size). As in torch, tensor means/stds scale a standard sample
    (`z * std + mean`, two roundings)."""
    from .. import creation
    from . import elementwise as ew
    mt, st = _as_tensor(mean), _as_tensor(std)
    if not mt and not st:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}), but expected one "
                            "of:\n" + _NORMAL_SIGNATURES)
        _check_normal_std(std)
        result = creation.empty(size, dtype=dtype, device=device)
        normal_(result, mean, std, generator=generator)
        if requires_grad:
            result.requires_grad_(True)
        return result
    if st:
        with grad_mode.no_grad():
            if (std._data < 0).any():
                raise RuntimeError("normal expects all elements of std >= 0.0")
    else:
        _check_normal_std(std)
    ref = mean if mt else std
    shape = ref._data.shape
    if mt and st:
        shape = ew.infer_broadcast_shape(tuple(mean._data.shape), tuple(std._data.shape))
    sample = Tensor._make(np.empty(shape, ref._data.dtype))
    with grad_mode.no_grad():
        if mt and not st:
            normal_(sample, 0.0, std, generator=generator)
            values = sample + mean.detach()
            name = "NormalBackward1"
        else:
            normal_(sample, 0.0, 1.0, generator=generator)
            values = sample * std.detach() + (mean.detach() if mt else mean)
            name = "NormalBackward3" if mt else "NormalBackward2"
    inputs = [t for t in (mean, std) if _as_tensor(t)]
    result = values
    if grad_mode._enabled and any(t._requires_grad for t in inputs):
        result = RandomFill.apply(*inputs, values=values._data.astype(ref._data.dtype,
                                                                      copy=False), name=name)
        if result._data.shape != tuple(shape):
            result = Tensor._make(np.broadcast_to(result._data, shape).copy())
    if out is not None:
        out.copy_(result)
        return out
    return result


# ---- multinomial ---------------------------------------------------------------------

def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices drawn from the rows of `input` (unnormalised probabilities)."""
    arr = input._data
    if arr.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_SHORT[arr.dtype.name]}")
    if arr.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    n_cat = arr.shape[-1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    probs = arr.reshape(-1, n_cat)
    if (~np.isfinite(probs)).any() or (probs < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    gen = _gen(generator)
    if not replacement or num_samples == 1:
        # torch: argmax / topk of p / q with q ~ Exp(1) (the Gumbel trick)
        if (probs.sum(axis=1) <= 0).any():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        from ..creation import _like_array
        q = Tensor._make(_like_array(input, arr.dtype))  # empty_like: keeps dense strides
        exponential_(q, 1.0, generator=gen)
        ratio = (arr / q._data).reshape(-1, n_cat)
        if num_samples == 1:
            idx = np.argmax(ratio, axis=1)[:, None]
        else:
            # topk: largest first, equal values in index order
            idx = np.argsort(-ratio, axis=1, kind="stable")[:, :num_samples]
        result = idx.astype(np.int64).reshape(arr.shape[:-1] + (num_samples,))
    else:
        result = _multinomial_with_replacement(gen, probs, num_samples).reshape(
            arr.shape[:-1] + (num_samples,))
    t = Tensor._make(result)
    if out is not None:
        out.copy_(t)
        return out
    return t


def _multinomial_with_replacement(gen, probs: np.ndarray, num_samples: int) -> np.ndarray:
    """ATen's CPU kernel: per row, the normalised cumulative distribution (accumulated
    in the input's dtype), then for each sample a float64 uniform located by binary
    search (first slot whose cumulative value is >= u)."""
    rows = probs.shape[0]
    result = np.empty((rows, num_samples), np.int64)
    acc = np.float64 if probs.dtype == np.float64 else np.float32
    for r in range(rows):
        row = probs[r].astype(acc)
        cum = np.cumsum(row, dtype=acc)
        total = cum[-1]
        if not total > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        cum = (cum / total).astype(acc)
        cum[-1] = 1  # torch pins the last value so u < 1 always lands
        u = gen.uniform(num_samples, np.float64)
        result[r] = np.searchsorted(cum.astype(np.float64), u, side="left")
    return result
