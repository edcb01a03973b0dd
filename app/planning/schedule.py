"""When each EV is away over a horizon, and the departures it must be ready for (pure).

A slot is away when its start falls inside one of the EV's departure rules, on the home's local
wall clock (so the windows follow DST, as the engine's commute does). A departure is the first
away slot of a stretch; the EV should hold the rule's target when that slot begins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from app.planning.forecast import Horizon
from app.planning.model import PlanEV
from app.simulation.arrays import BoolArray
from app.simulation.calendar import zone


@dataclass(frozen=True, slots=True)
class EVSlots:
    """`away[t]`: the EV is away during slot t; `departures`: (slot index, target Wh) for every
    slot t > 0 at which it leaves (it must hold the target at the end of slot t - 1)."""

    away: BoolArray
    departures: tuple[tuple[int, float], ...]


def ev_slots(ev: PlanEV, timezone: str, horizon: Horizon) -> EVSlots:
    tz = zone(timezone)
    starts = horizon.starts_s
    away = np.zeros(horizon.slots, dtype=np.bool_)
    target_at = np.zeros(horizon.slots, dtype=np.float64)
    first = datetime.fromtimestamp(horizon.start_s, tz).date() - timedelta(days=1)
    last = datetime.fromtimestamp(horizon.end_s, tz).date()
    day = first
    while day <= last:
        for rule in ev.schedule:
            if day.weekday() not in rule.days:
                continue
            leave = datetime.combine(day, rule.depart_at, tz).astimezone(UTC).timestamp()
            back_day = day if rule.return_at > rule.depart_at else day + timedelta(days=1)
            back = datetime.combine(back_day, rule.return_at, tz).astimezone(UTC).timestamp()
            inside = (starts >= leave) & (starts < back)
            away |= inside
            hit = np.flatnonzero(inside)
            if hit.size:
                target_at[hit[0]] = max(target_at[hit[0]], rule.target * ev.capacity_wh)
        day += timedelta(days=1)
    departures = tuple(
        (int(t), float(target_at[t]))
        for t in range(1, horizon.slots)
        if away[t] and not away[t - 1] and target_at[t] > 0.0
    )
    return EVSlots(away, departures)
