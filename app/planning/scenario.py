"""What-if: the home's last days replayed through the engine as it is and with changes.

`scenario` simulates the home's current devices at every simulation interval of the last `days`
(whatever their creation dates), twice in one engine run: the home as it is (the baseline) and
the home with the changes (devices added or removed, another tariff). Storage starts the stretch
at the level it had then: its current level minus the energy the history recorded for it since
(for an EV, plus what it drove, from its commute), so with no changes the baseline repeats the
recorded history. Nothing is written.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import models, tariffs
from app.errors import TooManyRequests
from app.planning.replay import Figures, replay
from app.repositories.fleet import FleetRepository, FleetRows
from app.repositories.history import HistoryRepository, HistoryTable
from app.repositories.plan import slots_between
from app.repositories.tariff import TariffRepository, slot_to_domain, to_domain
from app.simulation.calendar import zone
from app.simulation.electric_vehicle import away_seconds, away_windows_s

MIN_DAYS = 1
MAX_DAYS = 31
MAX_ADDED_DEVICES = 20
"""Devices a scenario may add, over its three lists."""
MAX_DEVICE_DAYS = 31 * 120
"""The most days x devices replayed (the home's active devices count twice, as it is and
changed, plus the added ones) a scenario may ask: 31 days of a 60-device home. A replayed
device-day costs about 6 ms of CPU (a 50-device home's week, both runs, 700 device-days, ~4.3 s
on the shared 2-core machine), so one request is bounded to some 20 s of one core."""
_FAR = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ScenarioChanges:
    """Validated changes: new devices as their engine columns, ids to remove, a tariff."""

    batteries: Sequence[dict[str, Any]] = ()
    solar_panels: Sequence[dict[str, Any]] = ()
    electric_vehicles: Sequence[dict[str, Any]] = ()
    remove: frozenset[uuid.UUID] = field(default_factory=frozenset)
    tariff: tariffs.Tariff | None = None


@dataclass(frozen=True, slots=True)
class ScenarioOutcome:
    start: datetime
    end: datetime
    baseline: Figures
    scenario: Figures


def window(now: datetime, days: int) -> tuple[datetime, datetime]:
    """[start, end): the `days` x 24 hours up to the hour at or before `now`."""
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return end - timedelta(days=days), end


def instants(start: datetime, end: datetime, interval_s: int) -> list[datetime]:
    """The cycles whose intervals tile [start, end): start + interval, ..., end."""
    count = int((end - start).total_seconds() // interval_s)
    return [start + timedelta(seconds=interval_s * (k + 1)) for k in range(count)]


async def _stored_since(
    session: AsyncSession, ids: Sequence[uuid.UUID], start: datetime
) -> dict[uuid.UUID, float]:
    """Per storage device: charged - discharged (Wh) the history recorded from `start` on."""
    if not ids:
        return {}
    out: dict[uuid.UUID, float] = {}
    for r in await HistoryRepository(session).rows(HistoryTable.HOUR, ids, start, _FAR):
        out[r.subject_id] = out.get(r.subject_id, 0.0) + r.charged_wh - r.discharged_wh
    return out


def _rewound(
    rows: FleetRows, stored: dict[uuid.UUID, float], start: datetime, end: datetime, tz: str
) -> FleetRows:
    """The home's storage as it stood at `start` (levels clamped to their bounds)."""
    batteries = []
    for r in rows.batteries:
        level = min(max(float(r[4]) - stored.get(r[0], 0.0), 0.0), float(r[2]))
        batteries.append((r[0], r[1], r[2], r[3], level, start, 0.0, *tuple(r)[7:]))
    evs = []
    for r in rows.evs:
        until = (r[8] or end).timestamp()
        windows = away_windows_s(tz, start.timestamp(), until)
        away = float(away_seconds(windows, np.asarray([start.timestamp()]), until)[0])
        driven = float(r[5]) * away / 3600.0
        charge = float(r[3]) - stored.get(r[0], 0.0) / 1000.0 + driven
        charge = min(max(charge, 0.0), float(r[2]))
        evs.append((r[0], r[1], r[2], charge, r[4], r[5], r[6], None, start, 0.0, *tuple(r)[10:]))
    return replace(rows, batteries=batteries, evs=evs)


def _with_changes(
    rows: FleetRows, changes: ScenarioChanges, scenario_id: uuid.UUID, start: datetime
) -> FleetRows:
    """The changed home as a second home of the same owner (same device keys where kept)."""
    keep = changes.remove

    def moved(kind_rows: Sequence[Any]) -> list[Any]:
        return [(r[0], scenario_id, *tuple(r)[2:]) for r in kind_rows if r[0] not in keep]

    home = rows.homes[0]
    n = 0

    def new_id() -> uuid.UUID:
        nonlocal n
        n += 1
        return uuid.uuid5(scenario_id, str(n))

    return FleetRows(
        homes=[(scenario_id, *tuple(home)[1:])],
        solar=moved(rows.solar)
        + [
            (
                new_id(),
                scenario_id,
                p["panel_area_m2"],
                p["efficiency"],
                p["max_capacity_w"],
                p["latitude"],
                p["longitude"],
            )
            for p in changes.solar_panels
        ],
        generators=moved(rows.generators),
        batteries=moved(rows.batteries)
        + [
            (
                new_id(),
                scenario_id,
                b["capacity_wh"],
                b["c_rate"],
                b["current_level_wh"],
                start,
                0.0,
            )
            for b in changes.batteries
        ],
        evs=moved(rows.evs)
        + [
            (
                new_id(),
                scenario_id,
                e["battery_capacity_kwh"],
                e["current_charge_kwh"],
                e["charge_rate_kw"],
                e["driving_consumption_kwh_per_hour"],
                "CHARGING",
                None,
                start,
                0.0,
            )
            for e in changes.electric_vehicles
        ],
        air_conditioners=moved(rows.air_conditioners),
        heaters=moved(rows.heaters),
        households=moved(rows.households),
    )


@dataclass
class _Cache:
    """Outcomes of this process's recent scenarios by what they were computed from (the home,
    its inputs' fingerprint, the window, the changes), and the owners with one running."""

    entries: OrderedDict[str, tuple[float, ScenarioOutcome]] = field(default_factory=OrderedDict)
    running: set[uuid.UUID] = field(default_factory=set)

    def get(self, key: str, now_s: float) -> ScenarioOutcome | None:
        hit = self.entries.get(key)
        if hit is None or hit[0] <= now_s:
            return None
        self.entries.move_to_end(key)
        return hit[1]

    def put(self, key: str, until_s: float, outcome: ScenarioOutcome, now_s: float) -> None:
        for k in [k for k, (until, _) in self.entries.items() if until <= now_s]:
            del self.entries[k]
        self.entries[key] = (until_s, outcome)
        while len(self.entries) > CACHE_ENTRIES:
            self.entries.popitem(last=False)


CACHE_ENTRIES = 256
CACHE = _Cache()


async def _cache_key(
    session: AsyncSession,
    home: models.Home,
    days: int,
    changes: ScenarioChanges,
    start: datetime,
    end: datetime,
) -> str:
    """What the outcome depends on: the home's devices, settings and tariff (the planning
    fingerprint), the uploaded prices of the window, the window and the changes. Storage
    levels are not in it: the replay rewinds them to the window's start from the history, so
    the same window gives the same outcome however the levels moved since."""
    from app.planning.due import home_states

    state = (await home_states(session, [home.owner_id], end)).get(home.id)
    slot = models.PriceSlotRow
    prices = (
        await session.execute(
            select(
                func.count(),
                func.sum(slot.import_price_per_kwh),
                func.sum(slot.export_price_per_kwh),
            ).where(slot.home_id == home.id, slot.start >= start, slot.start < end)
        )
    ).one()
    payload = repr(
        (
            str(home.id),
            None if state is None else state.fingerprint,
            tuple(prices),
            days,
            start.isoformat(),
            [sorted(d.items()) for d in changes.batteries],
            [sorted(d.items()) for d in changes.solar_panels],
            [sorted(d.items()) for d in changes.electric_vehicles],
            sorted(str(i) for i in changes.remove),
            changes.tariff,
        )
    )
    return hashlib.sha256(payload.encode()).hexdigest()


async def run_scenario(
    session: AsyncSession,
    home: models.Home,
    days: int,
    changes: ScenarioChanges,
    now: datetime,
    interval_s: int,
) -> ScenarioOutcome:
    """Replay the home's last `days` as it is and with `changes` (nothing is written).

    The same request within the hour gets the cached outcome; an owner with a scenario still
    running gets RATE_LIMITED (the replay is seconds of CPU: one at a time per owner)."""
    start, end = window(now, days)
    key = await _cache_key(session, home, days, changes, start, end)
    now_s = time.time()
    cached = CACHE.get(key, now_s)
    if cached is not None:
        return cached
    if home.owner_id in CACHE.running:
        raise TooManyRequests("a scenario of yours is still running; retry when it is done")
    CACHE.running.add(home.owner_id)
    try:
        outcome = await _replayed(session, home, changes, start, end, interval_s)
    finally:
        CACHE.running.discard(home.owner_id)
    # Valid while the window stays the same: until the next hour starts the next window.
    CACHE.put(key, now_s + 3600.0, outcome, now_s)
    return outcome


async def _replayed(
    session: AsyncSession,
    home: models.Home,
    changes: ScenarioChanges,
    start: datetime,
    end: datetime,
    interval_s: int,
) -> ScenarioOutcome:
    rows = (await FleetRepository(session).load([home.owner_id])).of_home(home.id)
    storage_ids = [r[0] for r in rows.batteries] + [r[0] for r in rows.evs]
    stored = await _stored_since(session, storage_ids, start)
    base = _rewound(rows, stored, start, end, home.timezone)
    scenario_id = uuid.uuid5(home.id, "scenario")
    changed = _with_changes(base, changes, scenario_id, start)
    row = await TariffRepository(session).get(home.id)
    current = None if row is None else to_domain(row)
    wanted = changes.tariff or current
    slots: list[tariffs.PriceSlot] = []
    if wanted is not None and wanted.kind is tariffs.TariffKind.DYNAMIC:
        found = await slots_between(session, [home.id], start, end)
        slots = [slot_to_domain(s) for s in found]
    tz = zone(home.timezone)
    # CPU-bound and pure: off the event loop, so the API keeps answering meanwhile.
    figures = await asyncio.to_thread(
        replay,
        base.joined(changed),
        instants(start, end, interval_s),
        interval_s,
        [tariffs.HomeTariff(current, tz, slots), tariffs.HomeTariff(wanted, tz, slots)],
    )
    return ScenarioOutcome(start, end, figures[0], figures[1])
