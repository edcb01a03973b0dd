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
from app.pipeline.arrays import build_input
from app.repositories.fleet import FleetRows
from app.simulation.arrays import FloatArray, IndexArray
from app.simulation.cycles import simulate_cycles
from app.simulation.solar import geocentric_sun
from app.tariffs.clock import quarter_index


@dataclass
class Figures:
    """One home's totals over the replay (Wh; money in its tariff's currency, None: no tariff).

    `storage_wh_hours` integrates the stored energy (batteries and EVs at home) over the
    stretch, so storage_wh_hours / hours is its average level.
    """

    produced_wh: float = 0.0
    consumed_wh: float = 0.0
    charged_wh: float = 0.0
    discharged_wh: float = 0.0
    imported_wh: float = 0.0
    exported_wh: float = 0.0
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
    totals = np.zeros((6, n))
    money = np.zeros(n)
    storage = np.zeros(n)
    hours = interval_s / 3600.0
    bats, evs = fleet.batteries, fleet.evs
    prices: dict[int, tuple[FloatArray, FloatArray]] = {}
    # The sun of every cycle in one vectorised call (the costly half of SPA), not one per cycle;
    # the engine steps the cycles itself, the stateless inputs computed for all at once.
    sun = geocentric_sun(np.asarray([at.timestamp() for at in instants], dtype=np.float64))
    for at, result in zip(instants, simulate_cycles(fleet, instants, sun), strict=True):
        b, e = result.batteries, result.evs
        produced = _sum(fleet.solar.user, result.solar.power_w, n) + _sum(
            fleet.generators.user, result.generators.power_w, n
        )
        consumed = _sum(fleet.air_conditioners.user, result.air_conditioners.power_w, n) + _sum(
            fleet.heaters.user, result.heaters.power_w, n
        )
        bc, bd = _split(np.nan_to_num(b.flow_w * b.elapsed_s / 3600.0))
        ec, ed = _split(np.nan_to_num(e.flow_w * e.connected_s / 3600.0))
        charged = _sum(bats.user, bc, n) + _sum(evs.user, ec, n)
        discharged = _sum(bats.user, bd, n) + _sum(evs.user, ed, n)
        produced = produced * hours
        consumed = consumed * hours
        net = consumed + charged - discharged - produced
        imported, exported = np.maximum(net, 0.0), np.maximum(-net, 0.0)
        totals += np.vstack([produced, consumed, charged, discharged, imported, exported])
        quarter = quarter_index(at - timedelta(seconds=interval_s))
        if quarter not in prices:
            prices[quarter] = book.quarter_prices(quarter)
        imp, exp = prices[quarter]
        money += imported / 1000.0 * imp - exported / 1000.0 * exp
        at_home = np.where(e.mode != 2, e.charge_kwh * 1000.0, 0.0)
        storage += (_sum(bats.user, b.level_wh, n) + _sum(evs.user, at_home, n)) * hours
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
