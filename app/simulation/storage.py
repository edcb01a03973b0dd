"""Shared storage stepping: elapsed time, replay detection, power limits and energy bookkeeping.

Why elapsed time instead of a fixed step: a cycle can run late, be skipped, or be re-run (ARQ jobs
are at-least-once). Each storage device remembers the instant it was last simulated
(`simulated_at_s`, epoch seconds, NaN = never) and a cycle advances it by the real time since then:

    elapsed_s = clip(cycle_s - simulated_at_s, 0, max_elapsed_s)      (0 when never simulated)

A cycle at or before `simulated_at_s` is a REPLAY: the stored level and flow are kept and reported
again, so re-running a cycle changes nothing. Otherwise the device gets a new flow for the interval
and its level advances by exactly flow_w * elapsed_s / 3600 Wh (flow > 0 charging, < 0 discharging,
in W). Flows are limited so the level stays within its bounds over the interval; the final clip to
the bounds only absorbs floating-point rounding.
"""

from __future__ import annotations

import numpy as np

from app.simulation.arrays import BoolArray, FloatArray, IndexArray

SECONDS_PER_HOUR = 3600.0


def replay_mask(cycle_s: float, simulated_at_s: FloatArray) -> BoolArray:
    """True where the cycle is not after the device's last simulated instant (NaN -> False)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(simulated_at_s >= cycle_s, dtype=np.bool_)


def elapsed_s(cycle_s: float, simulated_at_s: FloatArray, max_elapsed_s: float) -> FloatArray:
    """Seconds to advance: clip(cycle - simulated_at, 0, max_elapsed); 0 when never simulated."""
    since = np.clip(cycle_s - simulated_at_s, 0.0, max_elapsed_s)
    return np.where(np.isnan(simulated_at_s), 0.0, since)


def energy_limited_power_w(room_wh: FloatArray, dt_s: FloatArray) -> FloatArray:
    """Largest power (W, >= 0) that moves at most `room_wh` over `dt_s` seconds.

    With dt = 0 no energy moves, so any power is allowed while there is room (inf) and none when
    there is not (0): a full battery never reports charging, an empty one never discharging.
    """
    room = np.maximum(room_wh, 0.0)
    positive = dt_s > 0.0
    safe_dt = np.where(positive, dt_s, 1.0)
    over_interval = room * SECONDS_PER_HOUR / safe_dt
    return np.where(positive, over_interval, np.where(room > 0.0, np.inf, 0.0))


def share_by_limit(
    demand_w: FloatArray, limit_w: FloatArray, user: IndexArray, n_users: int
) -> FloatArray:
    """Split each home's demand (W, >= 0, one per user) over its devices in proportion to limits.

    Returns one power per device (W, >= 0), never above its `limit_w`; a home's devices together
    deliver min(demand, sum of limits).
    """
    total = np.bincount(user, weights=limit_w, minlength=n_users)
    fraction = np.zeros(n_users, dtype=np.float64)
    # A vanishingly small total limit can overflow the ratio to inf; it is capped at 1 below.
    with np.errstate(over="ignore"):
        np.divide(demand_w, total, out=fraction, where=total > 0.0)
    np.minimum(fraction, 1.0, out=fraction)
    return np.asarray(limit_w * fraction[user], dtype=np.float64)


def advance_level_wh(
    level_wh: FloatArray, flow_w: FloatArray, dt_s: FloatArray, capacity_wh: FloatArray
) -> FloatArray:
    """Level after `dt_s` s at `flow_w`: level + flow * dt / 3600 Wh, kept in [0, capacity]."""
    return np.clip(level_wh + flow_w * dt_s / SECONDS_PER_HOUR, 0.0, capacity_wh)


def battery_power_limits_w(
    capacity_wh: FloatArray, c_rate: FloatArray, level_wh: FloatArray, dt_s: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(max charge W, max discharge W), both >= 0: the C-rate limit capacity_wh * c_rate, and the
    energy that fits (capacity - level) or remains (level) over `dt_s` seconds."""
    rate_w = np.maximum(capacity_wh * c_rate, 0.0)
    max_charge = np.minimum(rate_w, energy_limited_power_w(capacity_wh - level_wh, dt_s))
    max_discharge = np.minimum(rate_w, energy_limited_power_w(level_wh, dt_s))
    return max_charge, max_discharge
