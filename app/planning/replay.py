"""Replay a stretch of the past through the deterministic engine, writing nothing (pure).

The engine (`simulate_fleet`) runs at every cycle instant of the stretch, exactly as the live
cycle ran it: the same device keys (so the same cloud and generator draws), the same dispatch,
storage advanced by the elapsed time. The engine's input is built once (`build_input`) and only
the storage columns move from one cycle to the next; the sun's position at every instant is
computed once, in one vectorised call, and handed to each cycle (`FleetInput.sun`).
Each home's energy per interval is counted as the history records it (app/pipeline/history.py):
producers and loads at power x interval, batteries at flow x elapsed, EVs at flow x time
connected, and the grid from the home's balance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from app import tariffs
from app.energy import EnergyFigures
from app.pipeline.arrays import build_input
from app.repositories.fleet import FleetRows
from app.simulation.arrays import FloatArray, IndexArray
from app.simulation.cycles import simulate_cycles
from app.simulation.solar import geocentric_sun
from app.tariffs.clock import quarter_index


@dataclass
class Figures(EnergyFigures):
    """One home's totals over the replay (Wh; money in its tariff's currency, None: no tariff).

    `storage_wh_hours` integrates the stored energy (batteries and EVs at home) over the
    stretch, so storage_wh_hours / hours is its average level.
    """

    cost: float | None = None
    storage_wh_hours: float = 0.0
    hours: float = 0.0

    @property
    def self_sufficiency(self) -> float:
        """1 - imported / consumed, consumption counting storage charged (from the grid too)."""
        demand = self.consumed_wh + self.charged_wh
        if demand <= 0.0:
            return 1.0
        return float(min(max(1.0 - self.imported_wh / demand, 0.0), 1.0))

    @property
    def autonomy_hours(self) -> float:
        """Hours the average stored energy carries the average load with the grid down."""
        if self.hours <= 0.0 or self.consumed_wh <= 0.0:
            return 0.0
        return (self.storage_wh_hours / self.hours) / (self.consumed_wh / self.hours)


def _sum(user: IndexArray, values: FloatArray, n: int) -> FloatArray:
    return np.bincount(user, weights=values, minlength=n).astype(np.float64, copy=False)


def _sum_grid(user: IndexArray, values: FloatArray, n: int) -> FloatArray:
    """`_sum` of every row of a (cycles x devices) grid: (cycles x n). One bincount over the
    flattened grid adds each bin's devices in the same order as one bincount per row."""
    k = values.shape[0]
    index = (np.arange(k, dtype=np.int64)[:, None] * n + user[None, :]).reshape(-1)
    out = np.bincount(index, weights=values.reshape(-1), minlength=k * n)
    return out.astype(np.float64, copy=False).reshape(k, n)


def _total(per_cycle: FloatArray) -> FloatArray:
    """Sum over the cycles (axis 0) in cycle order, as a running total adds them."""
    return np.asarray(np.cumsum(per_cycle, axis=0)[-1], dtype=np.float64)


def _split(energy: FloatArray) -> tuple[FloatArray, FloatArray]:
    return np.maximum(energy, 0.0), np.maximum(-energy, 0.0)


def replay(
    rows: FleetRows,
    instants: Sequence[datetime],
    interval_s: int,
    home_tariffs: Sequence[tariffs.HomeTariff],
) -> list[Figures]:
    """Figures per home row of `rows` over the cycles at `instants` (oldest first)."""
    n = len(rows.homes)
    if not instants:
        return [Figures() for _ in range(n)]
    fleet, _ = build_input(rows, instants[0])
    book = tariffs.PriceBook.build(home_tariffs)
    hours = interval_s / 3600.0
    bats, evs = fleet.batteries, fleet.evs
    prices: dict[int, tuple[FloatArray, FloatArray]] = {}
    # The sun of every cycle in one vectorised call (the costly half of SPA), not one per cycle;
    # the engine steps the cycles itself, the stateless inputs computed for all at once.
    sun = geocentric_sun(np.asarray([at.timestamp() for at in instants], dtype=np.float64))
    kept: dict[str, list[FloatArray]] = {
        k: [] for k in ("solar", "gen", "ac", "heat", "house", "bat", "ev", "level", "home")
    }
    imp_rows: list[FloatArray] = []
    exp_rows: list[FloatArray] = []
    for at, result in zip(instants, simulate_cycles(fleet, instants, sun), strict=True):
        b, e = result.batteries, result.evs
        kept["solar"].append(result.solar.power_w)
        kept["gen"].append(result.generators.power_w)
        kept["ac"].append(result.air_conditioners.power_w)
        kept["heat"].append(result.heaters.power_w)
        if result.households is not None:
            kept["house"].append(result.households.power_w)
        kept["bat"].append(b.flow_w * b.elapsed_s)
        kept["ev"].append(e.flow_w * e.connected_s)
        kept["level"].append(b.level_wh)
        kept["home"].append(np.where(e.mode != 2, e.charge_kwh * 1000.0, 0.0))
        quarter = quarter_index(at - timedelta(seconds=interval_s))
        if quarter not in prices:
            prices[quarter] = book.quarter_prices(quarter)
        imp_rows.append(prices[quarter][0])
        exp_rows.append(prices[quarter][1])
    # The accounting of every cycle at once, on (cycles x devices) grids: the same per-cycle
    # arithmetic and sums in the same order (`_sum_grid`), then added up over the cycles in order.
    k = len(instants)

    def grid(name: str, width: int) -> FloatArray:
        return np.vstack(kept[name]) if width else np.zeros((k, 0))

    produced = _sum_grid(fleet.solar.user, grid("solar", len(fleet.solar)), n) + _sum_grid(
        fleet.generators.user, grid("gen", len(fleet.generators)), n
    )
    consumed = _sum_grid(
        fleet.air_conditioners.user, grid("ac", len(fleet.air_conditioners)), n
    ) + _sum_grid(fleet.heaters.user, grid("heat", len(fleet.heaters)), n)
    if fleet.households is not None:
        house = fleet.households
        consumed = consumed + _sum_grid(house.user, grid("house", len(house.user)), n)
    bc, bd = _split(np.nan_to_num(grid("bat", len(bats)) / 3600.0))
    ec, ed = _split(np.nan_to_num(grid("ev", len(evs)) / 3600.0))
    charged = _sum_grid(bats.user, bc, n) + _sum_grid(evs.user, ec, n)
    discharged = _sum_grid(bats.user, bd, n) + _sum_grid(evs.user, ed, n)
    produced = produced * hours
    consumed = consumed * hours
    net = consumed + charged - discharged - produced
    imported, exported = np.maximum(net, 0.0), np.maximum(-net, 0.0)
    totals = np.stack(
        [_total(x) for x in (produced, consumed, charged, discharged, imported, exported)]
    )
    money = _total(
        imported / 1000.0 * np.vstack(imp_rows) - exported / 1000.0 * np.vstack(exp_rows)
    )
    storage = _total(
        (
            _sum_grid(bats.user, grid("level", len(bats)), n)
            + _sum_grid(evs.user, grid("home", len(evs)), n)
        )
        * hours
    )
    start = instants[0] - timedelta(seconds=interval_s)
    out: list[Figures] = []
    for i in range(n):
        tariff = home_tariffs[i].tariff
        cost = None
        if tariff is not None:
            fixed = tariffs.fixed_charges(tariff, home_tariffs[i].tz, start, instants[-1])
            cost = float(money[i]) + fixed
        out.append(
            Figures(
                produced_wh=float(totals[0, i]),
                consumed_wh=float(totals[1, i]),
                charged_wh=float(totals[2, i]),
                discharged_wh=float(totals[3, i]),
                imported_wh=float(totals[4, i]),
                exported_wh=float(totals[5, i]),
                cost=cost,
                storage_wh_hours=float(storage[i]),
                hours=len(instants) * hours,
            )
        )
    return out
