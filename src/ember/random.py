"""Random numbers: torch's CPU generator, word for word and bit for bit.

The engine
    torch's CPU generator is a 32-bit Mersenne Twister seeded with the standard
    `init_genrand` recurrence (`manual_seed(s)` keeps `s & 0xffffffff`). NumPy's
    `MT19937` can hold exactly that state, so its raw words are torch's words.
    `random()` is one word, `random64()` is `(w0 << 32) | w1`. The generator also
    caches the second value of the scalar Box-Muller path (`next_double_normal_sample`).

The distributions (ATen's formulas, found by generating with torch and trying
candidate formulas on the raw words until they were equal)
    uniform float32/float64 in [0,1)   low 24 bits of a word / low 53 bits of random64,
                                       times 2^-24 / 2^-53; `uniform_(a, b)` is
                                       fma(u, b - a, a) in the tensor's dtype (float32
                                       for float16), and a result equal to b becomes a.
    normal, >= 16 values, contiguous   n uniforms; each block of 16 becomes Box-Muller
                                       pairs (radius from the first 8, angle from the
                                       last 8); a ragged tail redraws 16 uniforms and
                                       recomputes the last 16 values.
                                       float16 runs the float32 kernel but draws
                                       uniforms for whole blocks only, then the tail.
    normal, otherwise                  per value: two float64 uniforms, the second
                                       sample cached for the next draw.
    random_/randint/randperm           word % range + low (random64 when the range is
                                       >= 2^32); randperm swaps i with i + w % (n - i).
    bernoulli_(p: float)               float64 uniform < p; `bernoulli_(p: Tensor)`
                                       float32 uniform < float32(p).
    exponential/geometric/cauchy/      float64 uniforms through -log1p(-u)/lambda,
    log_normal                         ceil(log(u) / log1p(-p)), median + sigma *
                                       tan(pi * (u - 1/2)), exp(scalar normal).

CPU capability (read this before trusting float32 `randn` on another machine)
    ember reproduces torch's AVX2 kernels, which torch also runs on AVX-512 machines
    (this one reports `torch.backends.cpu.get_cpu_capability() == 'AVX512'`):
    - float32 normals of >= 16 contiguous values come from the Cephes-style
      `log256_ps` / `sincos256_ps` polynomials of ATen's avx_mathfun.h, evaluated in
      float32 with every multiply-add pair contracted to an FMA. ember evaluates the
      same polynomials with the same roundings (`_log256_ps`, `_sincos256_ps`, a
      float32 FMA emulated exactly through float64);
    - multiply-adds in the kernels are fused: `u * (to - from) + from` in `uniform_`,
      `z * std + mean` in the normal paths (`_fma32` / `_fma64`).
    A torch running its DEFAULT kernels (no AVX2: an old CPU, or
    ATEN_CPU_CAPABILITY=default) draws the same words but rounds differently, and
    then differs from ember in the last bit of some values. Measured with
    ATEN_CPU_CAPABILITY=default here, matching it needs three changes: float32
    normals from glibc's own `logf`, `cosf`, `sinf` (not correctly rounded: logf
    errs up to 0.82 ulp, so float64 functions rounded to float32 do not do; calling
    libm.so.6 through ctypes reproduced 20000 of 20000 values), with the block's
    final `* std + mean` still fused; `uniform_` unfused; and the scalar normal path's
    `* std + mean` unfused. The other samplers probed (rand, integers, randperm,
    bernoulli, exponential, geometric, cauchy, float64 normals of >= 16 values) drew
    identical bits under both. float64 transcendental functions are glibc's everywhere: ember calls
    Python's `math` (glibc) for them, because NumPy's SIMD log/log1p round differently
    in the last bit.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

DEFAULT_SEED = 67280421310721
_N = 624
_STATE_BYTES = 5056  # sizeof(CPUGeneratorImplState), torch's get_state() layout


def _mt_state(seed: int) -> np.ndarray:
    """torch's `init_genrand`: the 624-word state for a seed."""
    key = np.empty(_N, dtype=np.uint32)
    prev = seed & 0xFFFFFFFF
    key[0] = prev
    for j in range(1, _N):
        prev = (1812433253 * (prev ^ (prev >> 30)) + j) & 0xFFFFFFFF
        key[j] = prev
    return key


class Generator:
    """torch.Generator for the CPU: an mt19937 stream with torch's seeding and state.

    `manual_seed`, `seed`, `initial_seed`, `get_state`/`set_state` (a uint8 tensor in
    torch's byte layout, so states can be exchanged with torch) and the raw draws the
    random ops are built from.
    """

    def __init__(self, device="cpu"):
        from .backend import device as _device
        self.device = _device(device) if isinstance(device, str) else device
        self.manual_seed(DEFAULT_SEED)

    def __repr__(self):
        return f"<ember.Generator object at {hex(id(self))}>"

    def manual_seed(self, seed) -> Generator:
        seed = int(seed)
        if seed < -(2 ** 63) or seed >= 2 ** 64:
            raise ValueError("Overflow when unpacking long long")
        seed &= (1 << 64) - 1  # torch stores the seed as uint64
        self._initial_seed = seed
        self._bitgen = np.random.MT19937(0)
        self._bitgen.state = {"bit_generator": "MT19937",
                              "state": {"key": _mt_state(seed), "pos": _N}}
        self._fresh = True  # torch's `next_` is 0 until the first twist
        self._next_double_normal = None  # second Box-Muller value of the scalar path
        self._next_float_normal = None
        return self

    def seed(self) -> int:
        """Seed from fresh entropy (a 63-bit number, like torch's) and return it."""
        s = int(np.random.SeedSequence().generate_state(2, np.uint64)[0]) >> 1
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._initial_seed

    # ---- state in torch's layout --------------------------------------------------
    def get_state(self):
        """The state as a uint8 tensor of 5056 bytes laid out like torch's
        CPUGeneratorImplState: seed (u64), left (i32), seeded (i32), next (u64),
        624 state words (u64 each), normal_x/normal_y/normal_rho (f64),
        normal_is_valid (i32), then the float normal cache (f32) and its flag."""
        from .tensor import Tensor
        st = self._bitgen.state["state"]
        pos = int(st["pos"])
        blob = np.zeros(_STATE_BYTES, np.uint8)
        blob[0:8] = np.array([self._initial_seed], np.uint64).view(np.uint8)
        nxt = 0 if self._fresh else pos
        blob[8:12] = np.array([_N + 1 - pos], np.int32).view(np.uint8)
        blob[12:16] = np.array([1], np.int32).view(np.uint8)
        blob[16:24] = np.array([nxt], np.uint64).view(np.uint8)
        blob[24:24 + 8 * _N] = st["key"].astype(np.uint64).view(np.uint8)
        off = 24 + 8 * _N
        if self._next_double_normal is not None:
            blob[off + 8:off + 16] = np.array([self._next_double_normal]).view(np.uint8)
            blob[off + 24:off + 28] = np.array([1], np.int32).view(np.uint8)
        if self._next_float_normal is not None:
            blob[off + 32:off + 36] = np.array([self._next_float_normal],
                                               np.float32).view(np.uint8)
            blob[off + 36] = 1
        return Tensor._make(blob)

    def set_state(self, new_state) -> Generator:
        from .tensor import Tensor
        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        blob = np.ascontiguousarray(new_state._data)
        if blob.size != _STATE_BYTES:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but found the "
                f"input RNG state size to be {blob.size}")
        blob = blob.reshape(-1)
        left = int(blob[8:12].view(np.int32)[0])
        nxt = int(blob[16:24].view(np.uint64)[0])
        key = blob[24:24 + 8 * _N].view(np.uint64).astype(np.uint32)
        off = 24 + 8 * _N
        self._initial_seed = int(blob[0:8].view(np.uint64)[0])
        self._bitgen.state = {"bit_generator": "MT19937",
                              "state": {"key": key, "pos": _N + 1 - left}}
        self._fresh = left == 1 and nxt == 0
        valid = int(blob[off + 24:off + 28].view(np.int32)[0])
        self._next_double_normal = (float(blob[off + 8:off + 16].view(np.float64)[0])
                                    if valid else None)
        self._next_float_normal = (float(blob[off + 32:off + 36].view(np.float32)[0])
                                   if blob[off + 36] else None)
        return self

    # ---- raw draws ----------------------------------------------------------------
    def random(self, n: int) -> np.ndarray:
        """n raw 32-bit words (as uint64)."""
        if n:
            self._fresh = False
        return self._bitgen.random_raw(n)

    def random64(self, n: int) -> np.ndarray:
        """n 64-bit values, each `(w0 << 32) | w1` from two words."""
        w = self.random(2 * n)
        return (w[0::2] << np.uint64(32)) | w[1::2]

    def uniform(self, n: int, dtype) -> np.ndarray:
        """n uniforms in [0, 1): 24 bits of a word (float32; float16 rounds that float),
        53 bits of random64 (float64)."""
        dtype = np.dtype(dtype)
        if dtype == np.float64:
            bits = self.random64(n) & np.uint64((1 << 53) - 1)
            return bits.astype(np.float64) * 2.0 ** -53
        bits = self.random(n) & np.uint64((1 << 24) - 1)
        return (bits.astype(np.float32) * np.float32(2.0 ** -24)).astype(dtype, copy=False)

    def scalar_normals(self, n: int, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
        """n draws of ATen's normal_distribution<double>, one after another (the
        cached second Box-Muller value is used first and refilled as torch does)."""
        out = np.empty(n, np.float64)
        i = 0
        if n and self._next_double_normal is not None:
            out[0] = self._next_double_normal
            self._next_double_normal = None
            i = 1
        pairs = (n - i + 1) // 2
        if pairs:
            u = self.uniform(2 * pairs, np.float64)
            u1, u2 = u[0::2], u[1::2]
            r = np.sqrt(-2.0 * _libm_log1p(-u2))
            theta = 2.0 * np.pi * u1
            z = np.empty(2 * pairs)
            z[0::2] = r * np.cos(theta)
            z[1::2] = r * np.sin(theta)
            out[i:] = z[:n - i]
            if (n - i) % 2:
                self._next_double_normal = float(z[-1])
        if mean == 0.0 and std == 1.0:
            return out
        return _fma64(out, np.full(n, float(std)), np.full(n, float(mean)))

    def normal_fill(self, n: int, dtype, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
        """torch's `normal_fill` for >= 16 contiguous values: uniforms transformed in
        place per block of 16, the ragged tail recomputed from 16 fresh uniforms."""
        dtype = np.dtype(dtype)
        work = np.float64 if dtype == np.float64 else np.float32
        blocks = n // 16
        if dtype == np.float16:
            # Half goes through the float32 kernel, drawing uniforms for whole blocks
            # only (measured: randn(20, dtype=float16) takes 32 words, not 36); mean and
            # std stay float32
            out = np.empty(n, np.float32)
            out[:blocks * 16] = self.uniform(blocks * 16, work)
        else:
            out = self.uniform(n, work)
        _normal_fill_16(out[:blocks * 16], mean, std)
        if n % 16:
            tail = self.uniform(16, work)
            _normal_fill_16(tail, mean, std)
            out[n - 16:] = tail
        return out.astype(dtype, copy=False)

    def normal(self, n: int, dtype, mean: float = 0.0, std: float = 1.0,
               contiguous: bool = True) -> np.ndarray:
        """n normals in generation order, as `normal_` on a tensor of n values."""
        dtype = np.dtype(dtype)
        if n >= 16 and contiguous and dtype in (np.float32, np.float64, np.float16):
            return self.normal_fill(n, dtype, mean, std)
        return self.scalar_normals(n, mean, std).astype(dtype)

    def integers(self, low: int, high: int, n: int) -> np.ndarray:
        """n integers in [low, high) (int64): `w % range + low`, 64-bit words when the
        range is >= 2^32."""
        span = high - low
        if span >= 2 ** 32:
            w = self.random64(n)
        else:
            w = self.random(n)
        vals = w % np.uint64(span)
        return (vals.astype(np.int64) + np.int64(low)) if low >= 0 else (
            vals.astype(np.int64) + np.int64(low))

    def permutation(self, n: int) -> np.ndarray:
        """randperm(n): the swap chain of torch's CPU randperm."""
        perm = np.arange(n, dtype=np.int64)
        if n < 2:
            return perm
        if n < (1 << 32) // 20:
            # for i in 0..n-2: swap perm[i] and perm[i + w % (n - i)]
            targets = (self.random(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).astype(
                np.int64) + np.arange(n - 1, dtype=np.int64)
            return _swap_chain(targets)
        # n >= 2^32 / 20 (214748364 and up): torch's inside-out Fisher-Yates on
        # random64: for i in 0..n-1, z = r % (i + 1); perm[i] = perm[z]; perm[z] = i
        return _inside_out((self.random64(n) % np.arange(1, n + 1, dtype=np.uint64)).astype(
            np.int64))


def _swap_chain(targets: np.ndarray) -> np.ndarray:
    """The permutation left by `for i: swap(perm[i], perm[targets[i]])` on 0..n-1, with
    targets[i] >= i, computed without the sequential loop (about 2x faster than the
    tightest Python loop at n = 10^6, and exactly the same result).

    Step i fixes position i for good, taking the value position targets[i] holds at
    that time: its original value, unless an earlier step k targeted it, which left
    there the value position k held at step k. Call that f(k); f(k) is k itself unless
    an earlier step targeted k, in which case it is f of the last such step. Following
    those links to their root (pointer doubling) gives every f at once.
    """
    m = targets.size
    n = m + 1
    steps = np.arange(m)
    # steps grouped by target, in time order: one sort of unique keys target * n + step
    # (NumPy's SIMD sort, much faster than a stable argsort)
    keys = np.sort(targets * n + steps)
    by_target, order = np.divmod(keys, n)
    same = np.full(m, -1, np.int64)  # the previous step with the same target
    repeat = by_target[1:] == by_target[:-1]
    same[order[1:][repeat]] = order[:-1][repeat]
    last = np.ones(m, bool)
    last[:-1] = ~repeat
    last_step, position = order[last], by_target[last]
    # the last step that targeted position k strictly before step k itself
    last_step = np.where(last_step == position, same[last_step], last_step)
    root = np.arange(n)
    has = last_step >= 0
    root[position[has]] = last_step[has]
    while True:
        jumped = root[root]
        if np.array_equal(jumped, root):
            break
        root = jumped
    perm = np.empty(n, np.int64)
    from_earlier = np.where(same >= 0, root[np.maximum(same, 0)], targets)
    perm[:m] = np.where(targets == steps, root[:m], from_earlier)
    perm[m] = root[m]
    return perm


def _inside_out(z: np.ndarray) -> np.ndarray:
    """The permutation of the inside-out shuffle `for i: perm[i] = perm[z[i]];
    perm[z[i]] = i` (z[i] <= i), i.e. swaps of i and z[i] on 0..n-1.

    Run backwards and mirrored (position x -> n-1-x), those swaps are a forward swap
    chain (targets >= step), whose result is the mirrored inverse of this one."""
    n = z.size
    mirrored = _swap_chain((n - 1) - z[:0:-1]) if n > 1 else np.zeros(n, np.int64)
    inverse = (n - 1) - mirrored[::-1]
    perm = np.empty(n, np.int64)
    perm[inverse] = np.arange(n)
    return perm


# ---- float arithmetic with torch's roundings ------------------------------------------

def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_product(a, b):
    p = a * b
    split = 134217729.0  # 2**27 + 1 (Veltkamp)
    ca, cb = split * a, split * b
    ah, bh = ca - (ca - a), cb - (cb - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _round_to_odd(s, e):
    """s + e (|e| tiny) rounded to float64 with inexact results forced to an odd
    mantissa: a later rounding to float32 is then correctly rounded."""
    inexact_even = (e != 0) & ((s.view(np.int64) & 1) == 0)
    return np.where(inexact_even, np.nextafter(s, np.where(e > 0, np.inf, -np.inf)), s)


def _fma32(a, b, c):
    """fma(a, b, c) for float32 values, rounded once to float32.

    The product of two float32s is exact in float64, so only the float64 sum can round.
    That rounding can change the final float32 only when it lands exactly on a
    midpoint between two float32s; those few values are corrected from the sum's
    exact error (two-sum)."""
    s = np.multiply(a, b, dtype=np.float64)
    np.add(s, c, out=s)
    low = s.view(np.int64) & 0x1FFFFFFF
    tie = low == 0x10000000
    if tie.any():
        idx = np.flatnonzero(tie)
        flat = s.reshape(-1)
        pi = np.multiply(np.broadcast_to(a, s.shape).reshape(-1)[idx],
                         np.broadcast_to(b, s.shape).reshape(-1)[idx], dtype=np.float64)
        cc = np.broadcast_to(np.asarray(c, np.float64), s.shape).reshape(-1)[idx]
        _, err = _two_sum(pi, cc)
        si = flat[idx]
        flat[idx] = np.where(err == 0, si, np.nextafter(si, np.where(err > 0, np.inf, -np.inf)))
    return s.astype(np.float32)


def _fma64(a, b, c):
    """fma(a, b, c) for float64 arrays (error-free product and sum, one rounding)."""
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    p, pe = _two_product(a, b)
    s, se = _two_sum(c, p)
    lo, lo_err = _two_sum(se, pe)
    out = s + _round_to_odd(lo, lo_err)
    ok = np.isfinite(out) & np.isfinite(p)
    return np.where(ok, out, a * b + c)


def _libm_log(x: np.ndarray) -> np.ndarray:
    return _libm("log", x)


def _libm_log1p(x: np.ndarray) -> np.ndarray:
    return _libm("log1p", x)


def _normal_fill_16(data: np.ndarray, mean: float, std: float) -> None:
    """Box-Muller over blocks of 16 uniforms, in place (ATen's normal_fill_16)."""
    if data.size == 0:
        return
    v = data.reshape(-1, 2, 8)
    if data.dtype == np.float64:
        u1 = 1.0 - v[:, 0]
        radius = np.sqrt(-2.0 * _libm_log(u1.reshape(-1))).reshape(u1.shape)
        theta = 2.0 * math.pi * v[:, 1]
        cos_t, sin_t = radius * np.cos(theta), radius * np.sin(theta)
        if mean == 0.0 and std == 1.0:
            v[:, 0], v[:, 1] = cos_t, sin_t
        else:
            v[:, 0] = _fma64(cos_t, std, mean)
            v[:, 1] = _fma64(sin_t, std, mean)
        return
    # float32: ATen's normal_fill_16_AVX2
    u1 = np.float32(1.0) - v[:, 0]
    radius = np.sqrt(np.float32(-2.0) * _log256_ps(u1))
    theta = np.float32(2.0 * math.pi) * v[:, 1]
    sin_t, cos_t = _sincos256_ps(theta)
    cos_term, sin_term = radius * cos_t, radius * sin_t
    std32, mean32 = np.float32(std), np.float32(mean)
    v[:, 0] = _fma32(cos_term, std32, mean32)
    v[:, 1] = _fma32(sin_term, std32, mean32)


# ---- avx_mathfun.h (Cephes float32 polynomials) with FMA contraction --------------------

_F = np.float32
_LOG_P = [_F(c) for c in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1,
                          -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
                          2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1)]
_LOG_Q1, _LOG_Q2 = _F(-2.12194440e-4), _F(0.693359375)
_SQRTHF = _F(0.707106781186547524)


def _log256_ps(x: np.ndarray) -> np.ndarray:
    """ATen's log256_ps (Cephes logf): exponent split, a degree-8 polynomial."""
    x = np.maximum(x.astype(np.float32), _F(1.17549435e-38))
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(np.float32) + _F(1)
    x = ((bits & ~0x7F800000) | 0x3F000000).view(np.float32)  # mantissa in [0.5, 1)
    mask = x < _SQRTHF
    tmp = np.where(mask, x, _F(0))
    x = x - _F(1)
    e = e - mask.astype(np.float32)
    x = x + tmp
    z = x * x
    y = _fma32(_LOG_P[0], x, _LOG_P[1])
    for c in _LOG_P[2:]:
        y = _fma32(y, x, c)
    y = y * x
    y = _fma32(y, z, e * _LOG_Q1)
    y = _fma32(-z, _F(0.5), y)
    return _fma32(e, _LOG_Q2, x + y)


_DP1, _DP2, _DP3 = _F(-0.78515625), _F(-2.4187564849853515625e-4), _F(-3.77489497744594108e-8)
_SINCOF = [_F(-1.9515295891e-4), _F(8.3321608736e-3), _F(-1.6666654611e-1)]
_COSCOF = [_F(2.443315711809948e-005), _F(-1.388731625493765e-003),
           _F(4.166664568298827e-002)]
_FOPI = _F(1.27323954473516)


def _sincos256_ps(x: np.ndarray):
    """ATen's sincos256_ps (Cephes sinf/cosf): octant reduction in three parts, then
    the sine and cosine polynomials, selected and signed per octant."""
    x = x.astype(np.float32)
    sign_sin = np.signbit(x)
    x = np.abs(x)
    j = (x * _FOPI).astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(np.float32)
    swap_sin = (j & 4) != 0
    poly_cos = (j & 2) == 0  # the cosine polynomial gives sin here
    x = _fma32(y, _DP1, x)
    x = _fma32(y, _DP2, x)
    x = _fma32(y, _DP3, x)
    sign_cos = ((j - 2) & 4) == 0
    sign_sin = sign_sin ^ swap_sin
    z = x * x
    yc = _fma32(_COSCOF[0], z, _COSCOF[1])
    yc = _fma32(yc, z, _COSCOF[2])
    yc = yc * z
    yc = _fma32(yc, z, -(z * _F(0.5)))
    yc = yc + _F(1)
    ys = _fma32(_SINCOF[0], z, _SINCOF[1])
    ys = _fma32(ys, z, _SINCOF[2])
    ys = ys * z
    ys = _fma32(ys, x, x)
    sin = np.where(poly_cos, ys, yc)
    cos = np.where(poly_cos, yc, ys)
    sin = np.where(sign_sin, -sin, sin)
    cos = np.where(sign_cos, -cos, cos)
    return sin, cos


# ---- the default generator and module-level functions ---------------------------------

default_generator = Generator()


def manual_seed(seed) -> Generator:
    """Seed the default generator (so the same program draws the same numbers)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller="fork_rng",
             _devices_kw="devices", device_type="cuda"):
    """Run a block with the default generator's state saved and restored after it."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


_MATH = {"log": math.log, "log1p": math.log1p, "exp": math.exp, "tan": math.tan}


def _libm(name: str, x: np.ndarray) -> np.ndarray:
    """A float64 libm function (`log`, `log1p`, `exp`, `tan`) elementwise, exactly as
    torch gets it from glibc. NumPy's SIMD versions differ in the last bit for ~0.1%
    (log) to ~4% (log1p) of values, so the values go through Python's `math` (glibc):
    about 80 ns a value, measured faster than any exact NumPy correction tried."""
    x = np.asarray(x, np.float64)
    fn = _MATH[name]
    try:
        return np.fromiter(map(fn, x.reshape(-1).tolist()), np.float64, x.size).reshape(x.shape)
    except (ValueError, OverflowError):  # log(0), exp overflow...: IEEE results, as C
        with np.errstate(all="ignore"):
            return np.array([_safe(fn, v) for v in x.reshape(-1).tolist()],
                            dtype=np.float64).reshape(x.shape)


def _safe(fn, v: float) -> float:
    try:
        return fn(v)
    except (ValueError, OverflowError):
        return float(getattr(np, fn.__name__)(np.float64(v)))
