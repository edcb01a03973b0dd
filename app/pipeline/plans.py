"""The planner's current slot per home of a batch: what OPTIMIZED batteries and SMART EVs follow.

One MGET per batch, and only when the batch has an OPTIMIZED battery or a SMART EV: the planner
caches each plan's flows for its whole horizon (`keys.home_plan_flows_key`, `app.live.plans`),
so a cycle reads 1.5 KB per home with a plan and picks the slot itself. Which slot: the one
holding the cycle's interval start, as for the interval's price (`app.pipeline.prices`): the
cycle at 10:15:00 simulates 10:14-10:15 and follows the 10:00 slot. A home without a cached plan
(never planned, plan ended, live store flushed) gets NaN: its batteries stay SELF_CONSUMPTION and
its EVs keep the SMART price heuristic until the next planning round.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np

from app.live import keys
from app.live.plans import decode_plan_flows
from app.live.store import LiveStore
from app.simulation.arrays import FloatArray
from app.simulation.control import BATTERY_OPTIMIZED, EV_SMART
from app.simulation.fleet import FleetInput


def wants_plan(fleet: FleetInput) -> bool:
    """Whether any device of the batch follows a plan (an OPTIMIZED battery, a SMART EV)."""
    bats, evs = fleet.battery_controls, fleet.ev_controls
    return bool(
        (bats is not None and (bats.mode == BATTERY_OPTIMIZED).any())
        or (evs is not None and (evs.charge_mode == EV_SMART).any())
    )


async def planned_slots(
    live: LiveStore, home_ids: Sequence[uuid.UUID], at: datetime
) -> tuple[FloatArray, FloatArray]:
    """(battery W, EV W) per home of `home_ids` in the plan slot holding `at`; NaN without."""
    raw = await live.backend.mget([keys.home_plan_flows_key(h) for h in home_ids])
    battery = np.full(len(home_ids), np.nan)
    ev = np.full(len(home_ids), np.nan)
    t_s = at.timestamp()
    for i, value in enumerate(raw):
        flows = decode_plan_flows(value)
        if flows is not None:
            battery[i], ev[i] = flows.at(t_s)
    return battery, ev


async def with_plans(
    live: LiveStore,
    fleet: FleetInput,
    home_ids: Sequence[uuid.UUID],
    cycle_at: datetime,
    interval_s: int,
) -> FleetInput:
    """`fleet` with its homes' current plan slots (unchanged when nothing follows a plan)."""
    if not wants_plan(fleet):
        return fleet
    battery, ev = await planned_slots(live, home_ids, cycle_at - timedelta(seconds=interval_s))
    if np.isnan(battery).all() and np.isnan(ev).all():
        return fleet
    return replace(fleet, planned_battery_w=battery, planned_ev_w=ev)
