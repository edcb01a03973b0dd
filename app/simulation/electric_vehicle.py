"""Electric vehicle commute schedule and charge limits.

Schedule: every EV is away (driving or parked at work) from 07:00 to 18:00 local time, Monday to
Friday, and at home otherwise. "Local" is the home's IANA timezone, through `zoneinfo`, so the
windows move with daylight saving time (a spring-forward Monday is still away 07:00-18:00 local).
The start is inclusive and the end exclusive: 07:00 is away, 18:00 is home.

Driving: over a simulated interval (start, end] the charge drops by driving_kwh_per_h times the
hours of that interval that fall inside away windows (missed cycles count too), never below 0.

Charge targets: a CHARGING EV at home charges at its charge rate up to CHARGE_TARGET (90 %) of its
capacity, then idles; a DISCHARGING (vehicle-to-home) EV at home supplies the home's deficit down to
V2H_FLOOR (20 %) of its capacity. Energies are kWh, powers W, flows > 0 charging.

Vectorized: everything is per timezone group (the away windows of one zone are computed once and
applied to every EV of that zone with NumPy).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from app.simulation.arrays import BoolArray, FloatArray, IndexArray, group_rows

AWAY_FROM = time(7, 0)
AWAY_UNTIL = time(18, 0)
AWAY_WEEKDAYS = frozenset({0, 1, 2, 3, 4})
"""Monday=0 ... Friday=4 (`date.weekday()`)."""
CHARGE_TARGET = 0.9
"""A CHARGING EV stops at this share of its capacity."""
V2H_FLOOR = 0.2
"""A DISCHARGING EV keeps at least this share of its capacity."""


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA timezone name (cached)."""
    return ZoneInfo(name)


def is_away(timezone: str, epoch_s: float) -> bool:
    """True when an EV of a home in `timezone` is away at this UTC instant (epoch seconds)."""
    local = datetime.fromtimestamp(epoch_s, zone(timezone))
    return local.weekday() in AWAY_WEEKDAYS and AWAY_FROM <= local.time() < AWAY_UNTIL


def away_windows_s(timezone: str, start_s: float, end_s: float) -> FloatArray:
    """Away windows on the local dates of [start_s, end_s]: (k, 2) UTC epoch s [from, until)."""
    tz = zone(timezone)
    day = datetime.fromtimestamp(start_s, tz).date()
    last = datetime.fromtimestamp(end_s, tz).date()
    return _away_windows_on(timezone, day, last)


@lru_cache(maxsize=4096)
def _away_windows_on(timezone: str, day: date, last: date) -> FloatArray:
    """The windows of the local dates day..last (read-only). Cached: every cycle of a day asks
    for the same dates, and the zoneinfo conversions are most of the commute's cost."""
    tz = zone(timezone)
    rows: list[tuple[float, float]] = []
    while day <= last:
        if day.weekday() in AWAY_WEEKDAYS:
            leave = datetime.combine(day, AWAY_FROM, tz).timestamp()
            back = datetime.combine(day, AWAY_UNTIL, tz).timestamp()
            rows.append((leave, back))
        day += timedelta(days=1)
    out = np.asarray(rows, dtype=np.float64).reshape(-1, 2)
    out.flags.writeable = False
    return out


def away_seconds(windows: FloatArray, start_s: FloatArray, end_s: float) -> FloatArray:
    """Seconds of each interval (start_s, end_s] spent inside the away `windows` (k, 2)."""
    total = np.zeros(start_s.shape, dtype=np.float64)
    for leave, back in windows:
        overlap = np.minimum(back, end_s) - np.maximum(leave, start_s)
        total += np.maximum(overlap, 0.0)
    return total


def commute(
    timezones: Sequence[str], zone_code: IndexArray, cycle_s: float, dt_s: FloatArray
) -> tuple[BoolArray, FloatArray]:
    """(away at the cycle, seconds away during (cycle - dt, cycle]) per EV.

    `timezones` are the distinct IANA names, `zone_code` indexes into them per EV, `dt_s` is each
    EV's elapsed interval in seconds.
    """
    away_now = np.zeros(zone_code.shape, dtype=np.bool_)
    away_s = np.zeros(zone_code.shape, dtype=np.float64)
    for code, rows in group_rows(zone_code):
        name = timezones[code]
        away_now[rows] = is_away(name, cycle_s)
        start = cycle_s - dt_s[rows]
        windows = away_windows_s(name, float(start.min()), cycle_s)
        away_s[rows] = away_seconds(windows, start, cycle_s)
    return away_now, away_s


def driving_kwh(
    charge_kwh: FloatArray, driving_kwh_per_h: FloatArray, away_s: FloatArray
) -> FloatArray:
    """Energy driven (kWh, >= 0) over `away_s` seconds, never more than the charge left."""
    wanted = np.maximum(driving_kwh_per_h, 0.0) * away_s / 3600.0
    return np.minimum(wanted, np.maximum(charge_kwh, 0.0))
