"""Money from energy and prices; local days and their fixed charges.

Signs: energies are magnitudes in Wh (>= 0) of one interval's grid import and export. Import cost
is kWh * import price (a negative price earns money); export revenue is kWh * export price (a
negative price costs money). Net cost = import cost - export revenue (+ fixed charges; > 0 paying).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import overload

import numpy as np

from app.simulation.arrays import FloatArray, require_aware
from app.tariffs.model import Tariff


@overload
def cost_of(
    import_wh: float, export_wh: float, import_price: float, export_price: float
) -> tuple[float, float]: ...
@overload
def cost_of(
    import_wh: FloatArray,
    export_wh: FloatArray,
    import_price: FloatArray,
    export_price: FloatArray,
) -> tuple[FloatArray, FloatArray]: ...
def cost_of(
    import_wh: float | FloatArray,
    export_wh: float | FloatArray,
    import_price: float | FloatArray,
    export_price: float | FloatArray,
) -> tuple[float | FloatArray, float | FloatArray]:
    """(import cost, export revenue) in the tariff's currency for energies in Wh and prices per
    kWh, elementwise for arrays."""
    return import_wh / 1000.0 * import_price, export_wh / 1000.0 * export_price


@overload
def cost_rate_per_hour(grid_flow_w: float, import_price: float, export_price: float) -> float: ...
@overload
def cost_rate_per_hour(
    grid_flow_w: FloatArray, import_price: FloatArray, export_price: FloatArray
) -> FloatArray: ...
def cost_rate_per_hour(
    grid_flow_w: float | FloatArray,
    import_price: float | FloatArray,
    export_price: float | FloatArray,
) -> float | FloatArray:
    """Money per hour at a steady net grid flow (W, > 0 importing): > 0 paying, < 0 earning."""
    kw = np.asarray(grid_flow_w, dtype=np.float64) / 1000.0
    rate = np.where(kw > 0, kw * import_price, kw * export_price)
    if isinstance(grid_flow_w, np.ndarray):
        return rate.astype(np.float64)
    return float(rate)


def local_day_start(day: date, tz: tzinfo) -> datetime:
    """The first instant of local `day` in tz, in UTC. Where midnight is skipped by a DST change
    (e.g. America/Santiago), that is the first wall-clock time after the gap (01:00)."""
    # fold=0 gives a skipped local time the offset from before the gap, i.e. the instant just
    # after it. (Convert through UTC: astimezone to the datetime's own zone is a no-op.)
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def local_day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of local `day` in tz, in UTC (23, 24 or 25 hours across DST)."""
    return local_day_start(day, tz), local_day_start(day + timedelta(days=1), tz)


def fixed_charges(tariff: Tariff, tz: tzinfo, start: datetime, end: datetime) -> float:
    """The daily fixed charges of the local days that begin in [start, end): a local day's
    charge belongs to its first instant (so a history DAY bucket holds exactly its own)."""
    require_aware(start)
    require_aware(end)
    if end <= start or tariff.daily_fixed_charge == 0:
        return 0.0
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    days = 0
    while day <= last:
        if start <= local_day_start(day, tz) < end:
            days += 1
        day += timedelta(days=1)
    return days * tariff.daily_fixed_charge
