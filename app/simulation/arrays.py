"""Array type aliases and small coercion helpers shared by the simulation modules.

Why: every device kind is simulated as a batch of NumPy arrays (one row per device), so the
modules agree on a few dtypes: float64 for physical quantities, int64 for indices, uint64 for the
device keys that seed the random streams, int8 for status and mode codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.int64]
KeyArray = NDArray[np.uint64]
CodeArray = NDArray[np.int8]
BoolArray = NDArray[np.bool_]
Instants = datetime | Sequence[datetime] | NDArray[Any]
"""One or many UTC instants: aware datetime(s), or datetime64 values taken as UTC."""


def as_float(values: ArrayLike) -> FloatArray:
    """Return `values` as a 1-D float64 array (no copy when it already is one)."""
    return np.asarray(values, dtype=np.float64).reshape(-1)


def as_index(values: ArrayLike) -> IndexArray:
    """Return `values` as a 1-D int64 array of row indices (no copy when it already is one)."""
    return np.asarray(values, dtype=np.int64).reshape(-1)


def as_key(values: ArrayLike) -> KeyArray:
    """Return `values` as a 1-D uint64 array of device keys (no copy when it already is one)."""
    return np.asarray(values, dtype=np.uint64).reshape(-1)


def as_code(values: ArrayLike) -> CodeArray:
    """Return `values` as a 1-D int8 array of status or mode codes."""
    return np.asarray(values, dtype=np.int8).reshape(-1)


def require_aware(when: datetime) -> datetime:
    """Return `when` unchanged, refusing a naive datetime (HEMS times are always UTC-aware)."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware, got naive {when!r}")
    return when


def epoch_seconds(when: Instants) -> FloatArray:
    """Seconds since 1970-01-01T00:00:00Z (float64, same shape as `when`).

    `when` is a timezone-aware datetime, an array or sequence of them, or numpy datetime64
    values (taken as UTC). Microsecond resolution is kept.
    """
    if isinstance(when, datetime):
        return np.asarray(require_aware(when).timestamp(), dtype=np.float64)
    arr: NDArray[Any] = np.asarray(when)
    if arr.dtype.kind == "M":
        micros = arr.astype("datetime64[us]").astype(np.int64)
        return micros.astype(np.float64) / 1e6
    if arr.dtype.kind == "O":
        flat = [require_aware(d).timestamp() for d in arr.reshape(-1)]
        return np.asarray(flat, dtype=np.float64).reshape(arr.shape)
    raise TypeError(
        "when must be a timezone-aware datetime, a sequence of them, or datetime64 values; "
        f"got dtype {arr.dtype}"
    )


def group_rows(codes: IndexArray) -> list[tuple[int, IndexArray]]:
    """(code, row indices) for each distinct code, so work can run once per group (per time
    zone, per schedule) instead of once per device."""
    if codes.size == 0:
        return []
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    ends = np.r_[starts[1:], sorted_codes.size]
    return [(int(sorted_codes[s]), order[s:e]) for s, e in zip(starts, ends, strict=True)]
