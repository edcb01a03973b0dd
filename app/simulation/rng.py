"""Deterministic, counter-based random numbers for devices: one uniform per (device, cycle, stream).

Why: a cycle that is re-run for the same instant (ARQ jobs may run more than once) must produce
the same readings, and tests need no mocks. So there is no random state at all: each uniform is a
hash of (device key, cycle instant in whole epoch seconds, stream id) through the SplitMix64
finalizer (Steele, Lea & Flood 2014), a well-tested 64-bit mixer. Different streams (cloud cover,
generator variation, ...) give independent numbers for the same device and cycle.

All arithmetic is on uint64 arrays, where NumPy wraps modulo 2**64 silently (the wrap is intended).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from app.simulation.arrays import FloatArray, KeyArray

STREAM_CLOUD = 1
"""Stream id for a solar panel's cloud factor."""
STREAM_GENERATOR = 2
"""Stream id for a generator's output variation."""

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_STREAM_SALT = np.uint64(0xD1B54A32D192ED03)
_TO_UNIT = 2.0**-53


def splitmix64(x: KeyArray) -> KeyArray:
    """SplitMix64 step + finalizer of a uint64 array (a bijection on 64-bit words)."""
    z = np.atleast_1d(x).astype(np.uint64, copy=True)
    z += _GOLDEN
    z ^= z >> _S30
    z *= _MIX1
    z ^= z >> _S27
    z *= _MIX2
    z ^= z >> _S31
    return z


def uniform(device_key: ArrayLike, cycle_s: int, stream: int) -> FloatArray:
    """Uniform floats in [0, 1), one per device key, fixed by (key, cycle second, stream).

    `device_key` is a uint64 array (e.g. the device id); `cycle_s` the cycle instant as integer
    epoch seconds (negative before 1970 is fine); `stream` a small non-negative integer.
    """
    keys = np.asarray(device_key, dtype=np.uint64).reshape(-1)
    # The (cycle, stream) salt is the same for the whole batch: hash it once.
    seed = np.array([int(cycle_s) & 0xFFFF_FFFF_FFFF_FFFF], dtype=np.uint64)
    tag = np.array([stream], dtype=np.uint64) * _STREAM_SALT
    salt = splitmix64(splitmix64(seed) ^ tag)
    mixed = splitmix64(splitmix64(keys) ^ salt)
    return (mixed >> _S11).astype(np.float64) * _TO_UNIT


def uniform_grid(device_key: ArrayLike, cycle_s: ArrayLike, stream: int) -> FloatArray:
    """`uniform` at many cycle seconds at once: (len(cycle_s), len(device_key)), row k the
    draws of cycle_s[k]. The same integer mixing per (key, second) pair, so the same bits."""
    keys = np.asarray(device_key, dtype=np.uint64).reshape(-1)
    seconds = np.asarray(cycle_s, dtype=np.int64).reshape(-1).astype(np.uint64)
    tag = np.array([stream], dtype=np.uint64) * _STREAM_SALT
    salt = splitmix64(splitmix64(seconds) ^ tag)
    mixed = splitmix64((splitmix64(keys)[None, :] ^ salt[:, None]).reshape(-1))
    return ((mixed >> _S11).astype(np.float64) * _TO_UNIT).reshape(seconds.size, keys.size)
