"""Random numbers: a torch-style CPU generator on NumPy's mt19937.

torch's CPU generator is a 32-bit Mersenne Twister seeded with the standard
`init_genrand` recurrence; NumPy's `MT19937` can hold exactly that state, so raw
32-bit words come out identical. Uniform floats take the low 24 (float32) or 53
(float64) bits of those words, as in torch, so `rand` and `randint` match torch
word for word. Normals use torch's Box-Muller layout (blocks of 16 for >= 16 values,
a cached scalar path below 16) with NumPy's log/sin/cos; torch's AVX2 float32 path
uses its own polynomials, so float32 `randn` of >= 16 values can differ in the last
bit (bit-exact parity for every path is the RNG issue's work).
"""

from __future__ import annotations

import math

import numpy as np

DEFAULT_SEED = 67280421310721


def _mt_state(seed: int) -> np.ndarray:
    """torch's `init_genrand`: the 624-word state for a seed."""
    key = np.empty(624, dtype=np.uint32)
    key[0] = seed & 0xFFFFFFFF
    prev = int(key[0])
    for j in range(1, 624):
        prev = (1812433253 * (prev ^ (prev >> 30)) + j) & 0xFFFFFFFF
        key[j] = prev
    return key


class Generator:
    """A source of random numbers: `manual_seed`, `seed`, `get_state`/`set_state`."""

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        self._initial_seed = seed
        self._bitgen = np.random.MT19937(0)
        self._bitgen.state = {"bit_generator": "MT19937",
                              "state": {"key": _mt_state(seed), "pos": 624}}
        self._next_normal = None  # torch caches the second Box-Muller value
        return self

    def seed(self) -> int:
        s = int.from_bytes(np.random.SeedSequence().entropy.to_bytes(16, "little")[:8],
                           "little") & ((1 << 63) - 1)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self):
        from .tensor import Tensor
        st = self._bitgen.state["state"]
        normal = -1.0 if self._next_normal is None else self._next_normal
        blob = np.concatenate([
            st["key"].view(np.uint8), np.array([st["pos"]], np.int64).view(np.uint8),
            np.array([normal], np.float64).view(np.uint8),
            np.array([self._initial_seed], np.uint64).view(np.uint8)])
        return Tensor._make(blob)

    def set_state(self, new_state) -> Generator:
        blob = np.asarray(new_state._data if hasattr(new_state, "_data") else new_state,
                          dtype=np.uint8)
        key = blob[:2496].view(np.uint32).copy()
        pos = int(blob[2496:2504].view(np.int64)[0])
        normal = float(blob[2504:2512].view(np.float64)[0])
        self._initial_seed = int(blob[2512:2520].view(np.uint64)[0])
        self._bitgen.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        self._next_normal = None if normal == -1.0 else normal
        return self

    # ---- raw draws ----------------------------------------------------------------
    def words(self, n: int) -> np.ndarray:
        """n raw 32-bit words (uint64 array holding uint32 values)."""
        return self._bitgen.random_raw(n)

    def uniform(self, n: int, dtype) -> np.ndarray:
        """n uniforms in [0, 1) of `dtype`, from 24 (float32/16) or 53 (float64) bits."""
        if np.dtype(dtype) == np.float64:
            hi = self.words(2 * n).reshape(n, 2) if n else np.zeros((0, 2), np.uint64)
            bits = ((hi[:, 0] << np.uint64(32)) | hi[:, 1]) & np.uint64((1 << 53) - 1)
            return bits.astype(np.float64) * 2.0 ** -53
        bits = self.words(n) & np.uint64((1 << 24) - 1)
        return (bits.astype(np.float32) * np.float32(2.0 ** -24)).astype(dtype)

    def normal(self, n: int, dtype) -> np.ndarray:
        """n standard normals laid out as torch lays them out."""
        dtype = np.dtype(dtype)
        if n >= 16:
            work = np.float64 if dtype == np.float64 else np.float32
            u = self.uniform(n, work)
            out = _box_muller_blocks(u, n)
            if n % 16:
                tail = _box_muller_blocks(self.uniform(16, work), 16)
                out[-16:] = tail
            return out.astype(dtype)
        return np.array([self._scalar_normal() for _ in range(n)], dtype=np.float64).astype(
            dtype)

    def _scalar_normal(self) -> float:
        if self._next_normal is not None:
            z, self._next_normal = self._next_normal, None
            return z
        u1, u2 = self.uniform(2, np.float64)
        r = math.sqrt(-2.0 * math.log1p(-u2))
        theta = 2.0 * math.pi * u1
        self._next_normal = r * math.sin(theta)
        return r * math.cos(theta)

    def integers(self, low: int, high: int, n: int) -> np.ndarray:
        """n integers in [low, high): word % range + low, as torch does."""
        span = high - low
        if span <= 0:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                               f">= to={high}")
        if span >= 2 ** 32:
            w = self.words(2 * n).reshape(n, 2)
            vals = (w[:, 0] << np.uint64(32)) | w[:, 1]
            return (vals % np.uint64(span)).astype(np.int64) + low
        return (self.words(n) % np.uint64(span)).astype(np.int64) + low

    def permutation(self, n: int) -> np.ndarray:
        """randperm: swap i with i + word % (n - i), for i in 0..n-2."""
        perm = np.arange(n, dtype=np.int64)
        if n < 2:
            return perm
        draws = self.words(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)
        for i, d in enumerate(draws.tolist()):
            j = i + d
            perm[i], perm[j] = perm[j], perm[i]
        return perm


def _box_muller_blocks(u: np.ndarray, n: int) -> np.ndarray:
    """torch's layout: per 16, radius from the first 8, angle from the last 8."""
    blocks = n // 16
    out = u.copy()
    v = u[: blocks * 16].reshape(blocks, 2, 8)
    radius = np.sqrt(-2.0 * np.log(1.0 - v[:, 0]))
    angle = 2.0 * np.pi * v[:, 1]
    res = out[: blocks * 16].reshape(blocks, 2, 8)
    res[:, 0] = radius * np.cos(angle)
    res[:, 1] = radius * np.sin(angle)
    return out


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
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
