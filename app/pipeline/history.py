"""The history half of a batch: turn the engine's results into per-interval energy rows.

Energy of one cycle at instant t, over the interval it covers, [t - SIMULATION_INTERVAL_S, t):
- producers and loads: power_w x SIMULATION_INTERVAL_S (the reading holds for the interval);
- batteries: flow_w x elapsed_s, the engine's own step (0 on a replay or a first cycle), so the
  recorded Wh equal the change in stored level exactly;
- EVs: flow_w x connected_s (the time at home the flow applied to; driving is not a home flow);
- per home (subject = home id): the sums of its devices, and imported/exported from the energy
  balance net = consumed + charged - discharged - produced (> 0 imported, < 0 exported), the
  same sign as the contract's netGridFlow;
- per user (subject = user id): the sums of the user's homes (what `energyHistory` reads).
Rows whose six figures are all 0 are not stored (a panel at night, an idle device).
Money (homes and users): the interval's import cost and export revenue at the interval's prices
(`app.pipeline.prices`), written by the same statements as the energy.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.pipeline.arrays import BatchHomes
from app.pipeline.prices import BatchPrices, no_prices
from app.repositories.fleet import FleetRows
from app.repositories.history import PRUNE_CHUNK, DayCostRequest, HistoryRepository, HistoryRows
from app.repositories.partitions import (
    compact_days,
    drop_expired,
    ensure_partitions,
    window,
)
from app.repositories.rollup import HOUR, ROLLUP_LAG_HOURS, RollupRepository, hour_floor
from app.simulation.calendar import local_day_start, zone
from app.simulation.fleet import FleetResult
from app.tariffs import cost_of

logger = logging.getLogger("hems.history")

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

#: How often the in-process (embedded) retention loop prunes, in seconds.
RETENTION_EVERY_S = 3600


@lru_cache(maxsize=1)
def default_interval_s() -> int:
    """SIMULATION_INTERVAL_S of this process (read once)."""
    from app.config import get_settings

    return get_settings().SIMULATION_INTERVAL_S


@lru_cache(maxsize=1)
def device_minute_rows() -> bool:
    """HISTORY_DEVICE_MINUTE of this process (read once): devices also get interval rows."""
    from app.config import get_settings

    return get_settings().HISTORY_DEVICE_MINUTE


def _split(energy_wh: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Signed storage energy -> (charged, discharged), both >= 0."""
    return np.maximum(energy_wh, 0.0), np.maximum(-energy_wh, 0.0)


@dataclass(frozen=True, slots=True)
class CycleHistory:
    """A batch's interval as rows (energy_* and home_energy_*), and the homes whose day cost
    so far the write should answer (the priced ones)."""

    rows: HistoryRows
    home_rows: HistoryRows
    day_cost: DayCostRequest


@dataclass(frozen=True, slots=True)
class RecordedHistory:
    """What a batch recorded: its row count, and each priced home's day cost so far.

    Why the day cost comes from the write: the home day rows are upserted by this very statement
    anyway, so `RETURNING` them costs no round trip, and the live value then goes out with the
    cycle's pipelined live write. Computing `costToday` at read time instead would add a query to
    every `energyStats` read (the API's hottest field) and to every subscription message.
    """

    rows: int
    cost_today: dict[uuid.UUID, float]


def build_history_rows(
    rows: FleetRows,
    result: FleetResult,
    homes: BatchHomes,
    cycle_at: datetime,
    interval_s: int,
    prices: BatchPrices | None = None,
) -> CycleHistory:
    """Per-device and per-user energy, and per-home energy, of the interval ending at
    `cycle_at` (Wh), with its money for homes and users at `prices` (the interval prices).

    A device's and a home's day rows follow the home's local calendar; a user's totals are the
    sums of its homes, on the user's calendar (its first home's timezone). A home's money:
    imported kWh x interval import price, exported kWh x interval export price; a user's: the
    sums over its homes (whatever their currencies: see docs/tariffs.md). The day's fixed charge
    goes with the rows (kept by the row that creates the day): the home's tariff's, and for a
    user the sum over its homes.
    """
    minute_start = (cycle_at - timedelta(seconds=interval_s)).astimezone(UTC)
    hour_start = hour_floor(minute_start)
    n = len(homes.home_ids)
    index = {hid: i for i, hid in enumerate(homes.home_ids)}
    day_of_home = [local_day_start(minute_start, zone(str(r[2]))) for r in rows.homes]
    hours = interval_s / 3600.0

    subjects: list[uuid.UUID] = []
    owners: list[int] = []
    columns: list[list[FloatArray]] = [[] for _ in range(6)]
    totals = np.zeros((4, n))

    def add(
        kind_rows: Sequence[Any], figures: tuple[FloatArray, ...], slots: tuple[int, ...]
    ) -> None:
        if not len(kind_rows):
            return
        owner = np.fromiter((index[r[1]] for r in kind_rows), dtype=np.int64, count=len(kind_rows))
        subjects.extend(r[0] for r in kind_rows)
        owners.extend(owner.tolist())
        zero = np.zeros(len(kind_rows))
        for col in range(6):
            columns[col].append(zero)
        for slot, values in zip(slots, figures, strict=True):
            values = np.nan_to_num(values)
            columns[slot][-1] = values
            totals[slot] += np.bincount(owner, weights=values, minlength=n)

    add(rows.solar, (result.solar.power_w * hours,), (0,))
    add(rows.generators, (result.generators.power_w * hours,), (0,))
    add(rows.air_conditioners, (result.air_conditioners.power_w * hours,), (1,))
    add(rows.heaters, (result.heaters.power_w * hours,), (1,))
    if result.households is not None:
        add(rows.households, (result.households.power_w * hours,), (1,))
    b, e = result.batteries, result.evs
    add(rows.batteries, _split(b.flow_w * b.elapsed_s / 3600.0), (2, 3))
    add(rows.evs, _split(e.flow_w * e.connected_s / 3600.0), (2, 3))

    # Each home exchanges with the grid on its own; a user's import/export is its homes' sum
    # (a home exporting does not offset another one importing: they have separate meters).
    produced, consumed, charged, discharged = totals
    net = consumed + charged - discharged - produced
    home_cols = [
        produced,
        consumed,
        charged,
        discharged,
        np.maximum(net, 0.0),
        np.maximum(-net, 0.0),
    ]
    if prices is None:
        prices = no_prices(n)
    import_cost, export_revenue = cost_of(
        home_cols[4], home_cols[5], prices.interval_import, prices.interval_export
    )
    home_money = [import_cost, export_revenue, prices.fixed_charge]
    user_money = [homes.per_user(c) for c in home_money]
    user_cols = [homes.per_user(c) for c in home_cols]
    device_cols = [np.concatenate(c) if c else np.zeros(0) for c in columns]
    all_cols = [np.concatenate([device_cols[i], home_cols[i], user_cols[i]]) for i in range(6)]
    d = len(subjects)
    # Money of the home and user rows, indexed from the first home row (devices have none).
    money = [np.concatenate([home_money[i], user_money[i]]) for i in range(3)]
    users = homes.user_ids
    owner_of = homes.home_user.tolist()
    all_subjects = [*subjects, *homes.home_ids, *users]
    all_users = [users[owner_of[h]] for h in owners] + [users[u] for u in owner_of] + users
    all_days = (
        [day_of_home[h] for h in owners]
        + day_of_home
        + [day_of_home[f] for f in homes.first_home.tolist()]
    )

    def _rows(keep: list[int], priced: list[int]) -> HistoryRows:
        """Rows `keep`; its first len(priced) rows carry the money of `priced` (>= d)."""
        at = [i - d for i in priced]
        return HistoryRows(
            minute_start=minute_start,
            hour_start=hour_start,
            subject_id=[all_subjects[i] for i in keep],
            user_id=[all_users[i] for i in keep],
            day_start=[all_days[i] for i in keep],
            produced_wh=all_cols[0][keep].tolist(),
            consumed_wh=all_cols[1][keep].tolist(),
            charged_wh=all_cols[2][keep].tolist(),
            discharged_wh=all_cols[3][keep].tolist(),
            imported_wh=all_cols[4][keep].tolist(),
            exported_wh=all_cols[5][keep].tolist(),
            import_cost=money[0][at].tolist(),
            export_revenue=money[1][at].tolist(),
            fixed_charge=money[2][at].tolist(),
        )

    nonzero = np.any(np.vstack(all_cols) != 0.0, axis=0)
    kept_homes = np.flatnonzero(nonzero[d : d + n]) + d
    kept_users = (np.flatnonzero(nonzero[d + n :]) + d + n).tolist()
    kept_devices = np.flatnonzero(nonzero[:d]).tolist()
    # Users first: their money arrays then cover exactly the leading rows.
    priced_users = kept_users if prices.any_priced else []
    priced_homes = kept_homes.tolist() if prices.any_priced else []
    priced = [i for i, c in enumerate(prices.currency) if c is not None]
    return CycleHistory(
        rows=_rows(kept_users + kept_devices, priced_users),
        home_rows=_rows(kept_homes.tolist(), priced_homes),
        day_cost=DayCostRequest(
            home_id=[homes.home_ids[i] for i in priced],
            day_start=[day_of_home[i] for i in priced],
            fixed_charge=prices.fixed_charge[priced].tolist(),
        ),
    )


async def write_history(
    session: AsyncSession,
    rows: FleetRows,
    result: FleetResult,
    homes: BatchHomes,
    cycle_at: datetime,
    interval_s: int | None = None,
    prices: BatchPrices | None = None,
) -> RecordedHistory:
    """Record the batch's interval in the batch's transaction (the caller commits), with its
    money at `prices`; the row count and the priced homes' day cost so far."""
    cycle = build_history_rows(
        rows, result, homes, cycle_at, interval_s or default_interval_s(), prices
    )
    cost = await HistoryRepository(session).record(
        cycle.rows, cycle.home_rows, cycle.day_cost, device_minute=device_minute_rows()
    )
    return RecordedHistory(len(cycle.rows) + len(cycle.home_rows), cost)


#: Hours a maintenance run rolls up at most (each its own short transaction): an hourly job
#: catches up a day behind within the hour.
ROLL_UP_MAX_HOURS = 24


async def roll_up_devices(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    max_hours: int = ROLL_UP_MAX_HOURS,
) -> datetime | None:
    """Add the devices' quarter hours of each hour that ended ROLLUP_LAG_HOURS ago or earlier
    to their hour and day rows, an hour per transaction (the watermark row locked: a late cycle
    waits for it, an on-time one never touches those hours). Returns the watermark after (None:
    no `history_rollup` row, the cycles roll up themselves: SQLite)."""
    target = hour_floor(now - timedelta(hours=ROLLUP_LAG_HOURS))
    until: datetime | None = None
    for _ in range(max_hours):
        async with sessionmaker() as session:
            repo = RollupRepository(session)
            until = await repo.rolled_until(lock=True)
            if until is None or until >= target:
                return until
            if not await repo.has_quarters(until, until + HOUR):
                # An hour without quarters: on to the next hour that has some, or to `target`.
                first = await repo.first_quarter(until + HOUR, target)
                until = target if first is None else hour_floor(first)
                await repo.set_rolled_until(until)
                await session.commit()
                continue
            started = time.perf_counter()
            await repo.roll_up_hour(until)
            await session.commit()
        logger.info(
            "device history rolled up",
            extra={"hour": until.isoformat(), "seconds": round(time.perf_counter() - started, 3)},
        )
        until += HOUR
    return until


async def prune_history(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    retention_days: int,
    device_retention_days: int | None = None,
    quarter_retention_days: int | None = None,
) -> int:
    """The history maintenance: create the day partitions ahead, drop the expired ones, delete
    older rows that are not in a day partition; the number of `energy_minute` rows deleted.

    PostgreSQL: day partitions of yesterday .. today + AHEAD_DAYS are created; a day partition
    goes whole once its day is older than the retention period; finished days' quarter-hour
    partitions are compacted once; rows of the DEFAULT partition are deleted chunk by chunk.
    SQLite: rows are deleted chunk by chunk. Device minute rows (HISTORY_DEVICE_MINUTE) go
    after `device_retention_days` when that is shorter (row by row), device quarter hours after
    `quarter_retention_days` (None: kept). Hour and day rollups are kept for good.
    """
    before = now - timedelta(days=retention_days)
    rolled = await roll_up_devices(sessionmaker, now=now)
    async with sessionmaker() as session:
        created = await ensure_partitions(session, *window(now))
        await session.commit()
    dropped: dict[str, list[str]] = {}
    cutoffs = {"energy_minute": before, "home_energy_minute": before}
    if quarter_retention_days is not None:
        # Never a quarter hour the job has not added to its hour and day yet.
        quarters_before = now - timedelta(days=quarter_retention_days)
        cutoffs["energy_quarter_hour"] = min(quarters_before, rolled or quarters_before)
    for table, cutoff in cutoffs.items():
        async with sessionmaker() as session:
            days = await drop_expired(session, table, cutoff)
            await session.commit()
        if days:
            dropped[table] = [d.isoformat() for d in days]
    engine = sessionmaker.kw.get("bind")
    compacted = await compact_days(engine, now) if isinstance(engine, AsyncEngine) else {}
    if created or dropped or compacted:
        logger.info(
            "history partitions",
            extra={  # ("created" is a LogRecord attribute)
                "partitions_created": created,
                "partitions_dropped": dropped,
                "partitions_compacted": {
                    t: [d.isoformat() for d in days] for t, days in compacted.items()
                },
            },
        )
    total = await _prune(sessionmaker, before, devices_only=False)
    homes = await _chunks(sessionmaker, lambda repo: repo.prune_home_minutes(before))
    if homes:
        logger.info("pruned per-home energy history", extra={"rows": homes})
    if quarter_retention_days is not None:
        cutoff = cutoffs["energy_quarter_hour"]
        quarters = await _chunks(sessionmaker, lambda repo: repo.prune_quarters(cutoff))
        if quarters:
            logger.info("pruned device quarter hours", extra={"rows": quarters})
    if device_retention_days is not None and device_retention_days < retention_days:
        before = now - timedelta(days=device_retention_days)
        total += await _prune(sessionmaker, before, devices_only=True)
    return total


async def _chunks(
    sessionmaker: async_sessionmaker[AsyncSession],
    step: Callable[[HistoryRepository], Awaitable[int]],
) -> int:
    total = 0
    while True:
        async with sessionmaker() as session:
            deleted = await step(HistoryRepository(session))
            await session.commit()
        total += deleted
        if deleted < PRUNE_CHUNK:
            return total


async def _prune(
    sessionmaker: async_sessionmaker[AsyncSession], before: datetime, *, devices_only: bool
) -> int:
    return await _chunks(
        sessionmaker, lambda repo: repo.prune_minutes(before, devices_only=devices_only)
    )


async def retention_loop(
    sessionmaker: async_sessionmaker[AsyncSession],
    retention_days: int,
    device_retention_days: int | None = None,
    quarter_retention_days: int | None = None,
) -> None:
    """Embedded default: prune at start, then every RETENTION_EVERY_S (ARQ cron otherwise)."""
    while True:
        try:
            deleted = await prune_history(
                sessionmaker,
                now=datetime.now(UTC),
                retention_days=retention_days,
                device_retention_days=device_retention_days,
                quarter_retention_days=quarter_retention_days,
            )
            if deleted:
                logger.info("pruned energy history", extra={"rows": deleted})
        except Exception:  # keep the loop alive; the next run retries
            logger.exception("energy history pruning failed")
        await asyncio.sleep(RETENTION_EVERY_S)
