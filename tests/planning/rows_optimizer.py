"""The plan's LP as it was assembled before it was vectorised: one row at a time, solved by
`scipy.optimize.linprog`. Kept as the oracle of tests/planning/test_lp_assembly.py only."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.planning.forecast import SLOT_H, Forecast
from app.planning.model import PlanHome
from app.planning.optimizer import (
    EPS_CYCLING,
    TARGET_TOLERANCE_KWH,
    Flows,
    PlanResult,
    _Battery,
    _final_ev_levels,
    baseline_flows,
    grid_cost,
)
from app.planning.schedule import ev_slots
from app.simulation.arrays import FloatArray


class _Program:
    """Columns and rows of the LP, added block by block."""

    def __init__(self) -> None:
        self.n = 0
        self.cost: list[FloatArray] = []
        self.lower: list[FloatArray] = []
        self.upper: list[FloatArray] = []
        self.eq: tuple[list[int], list[int], list[float]] = ([], [], [])
        self.eq_rhs: list[float] = []
        self.ub: tuple[list[int], list[int], list[float]] = ([], [], [])
        self.ub_rhs: list[float] = []

    def block(
        self, size: int, cost: FloatArray | float, lo: FloatArray | float, hi: FloatArray | float
    ) -> int:
        start = self.n
        self.n += size
        self.cost.append(np.broadcast_to(np.asarray(cost, dtype=np.float64), (size,)))
        self.lower.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (size,)))
        self.upper.append(np.broadcast_to(np.asarray(hi, dtype=np.float64), (size,)))
        return start

    def row(self, which: str, cols: list[int], vals: list[float], rhs: float) -> None:
        rows, c, v = self.eq if which == "eq" else self.ub
        rhs_list = self.eq_rhs if which == "eq" else self.ub_rhs
        r = len(rhs_list)
        rows.extend([r] * len(cols))
        c.extend(cols)
        v.extend(vals)
        rhs_list.append(rhs)

    def matrix(self, which: str) -> Any:
        from scipy import sparse

        rows, c, v = self.eq if which == "eq" else self.ub
        count = len(self.eq_rhs if which == "eq" else self.ub_rhs)
        if not count:
            return None
        return sparse.csr_matrix((v, (rows, c)), shape=(count, self.n))


def optimize(
    home: PlanHome,
    forecast: Forecast,
    import_price: FloatArray,
    export_price: FloatArray,
) -> PlanResult:
    """The minimum-cost plan of `home` over the forecast's horizon at the slot prices."""
    t_n = forecast.horizon.slots
    dt = SLOT_H
    evs = [ev_slots(ev, home.timezone, forecast.horizon) for ev in home.evs]
    base = baseline_flows(home, forecast, evs)
    base_cost = grid_cost(base.grid_w, import_price, export_price)
    bat = _Battery.of(home.batteries)
    if bat is None and not any(ev.chargeable for ev in home.evs):
        return PlanResult(base, base, base_cost, base_cost, False, True)

    net = (forecast.consumption_wh - forecast.production_wh) / 1000.0 / dt
    pi = np.asarray(import_price, dtype=np.float64)
    pe = np.minimum(np.asarray(export_price, dtype=np.float64), pi)
    big = 1000.0 * (float(np.max(np.abs(pi), initial=0.0)) + 1.0)
    lp = _Program()
    # The import gi = g + ge is substituted out: g (the net grid flow) is a sum of flows,
    # priced at pi, and ge >= max(0, -g) earns pe' instead of pi, at a cost of (pi - pe') >= 0.
    ge = lp.block(t_n, dt * (pi - pe), 0.0, np.inf)
    balance: list[tuple[list[int], list[float]]] = [([ge + t], [-1.0]) for t in range(t_n)]
    bc = bd = sb = -1
    if bat is not None:
        reserve = min(bat.reserve, bat.level)
        bc = lp.block(t_n, dt * (pi + EPS_CYCLING), 0.0, bat.power)
        bd = lp.block(t_n, dt * (EPS_CYCLING - pi), 0.0, bat.power)
        sb = lp.block(t_n, 0.0, reserve, bat.capacity)
        for t in range(t_n):
            balance[t][0].extend([bc + t, bd + t])
            balance[t][1].extend([-1.0, 1.0])
            cols = [sb + t, bc + t, bd + t]
            vals = [1.0, -bat.eta * dt, dt / bat.eta]
            rhs = bat.level if t == 0 else 0.0
            if t > 0:
                cols.append(sb + t - 1)
                vals.append(-1.0)
            lp.row("eq", cols, vals, rhs)
        final = float(base.battery_level_wh[-1]) / 1000.0
        lp.row("ub", [sb + t_n - 1], [-1.0], -min(final, bat.capacity))
    ev_cols: list[tuple[int, int]] = []
    shortfalls: list[int] = []
    base_final = _final_ev_levels(home, forecast, evs)
    for i, ev in enumerate(home.evs):
        slots = evs[i]
        home_now = ~slots.away
        rate = ev.rate_w / 1000.0 if ev.chargeable else 0.0
        limit = max(ev.limit_wh, ev.level_wh) / 1000.0
        drive = np.where(slots.away, ev.driving_w / 1000.0 * dt, 0.0)
        ec = lp.block(t_n, dt * pi, 0.0, np.where(home_now, rate, 0.0))
        se = lp.block(t_n, 0.0, 0.0, limit)
        dz = lp.block(t_n, 2.0 * big, 0.0, drive)
        ev_cols.append((ec, se))
        for t in range(t_n):
            balance[t][0].append(ec + t)
            balance[t][1].append(-1.0)
            cols = [se + t, ec + t, dz + t]
            vals = [1.0, -dt, -1.0]
            rhs = -float(drive[t]) + (ev.level_wh / 1000.0 if t == 0 else 0.0)
            if t > 0:
                cols.append(se + t - 1)
                vals.append(-1.0)
            lp.row("eq", cols, vals, rhs)
        wants = [(t, min(target / 1000.0, limit)) for t, target in slots.departures]
        wants.append((t_n, min(base_final[i], limit)))
        for t, target in wants:
            u = lp.block(1, big, 0.0, np.inf)
            shortfalls.append(u)
            lp.row("ub", [se + t - 1, u], [-1.0, -1.0], -target)
    for t in range(t_n):
        lp.row("ub", balance[t][0], balance[t][1], float(net[t]))

    # Imported on first use: a worker that only simulates never loads scipy (see
    # tests/workers/test_footprint.py).
    from scipy.optimize import linprog

    lower, upper = np.concatenate(lp.lower), np.concatenate(lp.upper)
    result = linprog(
        np.concatenate(lp.cost),
        A_ub=lp.matrix("ub"),
        b_ub=np.asarray(lp.ub_rhs) if lp.ub_rhs else None,
        A_eq=lp.matrix("eq"),
        b_eq=np.asarray(lp.eq_rhs),
        bounds=np.column_stack([lower, upper]),
        method="highs",
    )
    if result.status != 0 or result.x is None:
        return PlanResult(base, base, base_cost, base_cost, False, False)
    # HiGHS meets bounds within its feasibility tolerance (~1e-7 kWh), so a level can come back
    # a hair below zero; a plan shown to users and followed by the cycle keeps every bound.
    x = np.clip(result.x, lower, upper)
    bat_w = np.zeros(t_n)
    bat_level = np.full(t_n, np.nan)
    if bat is not None:
        bat_w = (x[bc : bc + t_n] - x[bd : bd + t_n]) * 1000.0
        bat_level = x[sb : sb + t_n] * 1000.0
    ev_w = np.zeros(t_n)
    ev_level = np.full(t_n, np.nan)
    if home.evs:
        ev_level = np.zeros(t_n)
        for ec, se in ev_cols:
            ev_w += x[ec : ec + t_n] * 1000.0
            ev_level += x[se : se + t_n] * 1000.0
    grid_w = (net * 1000.0) + bat_w + ev_w
    flows = Flows(bat_w, ev_w, grid_w, bat_level, ev_level)
    missed = any(x[u] > TARGET_TOLERANCE_KWH for u in shortfalls)
    cost = grid_cost(grid_w, import_price, export_price)
    return PlanResult(flows, base, cost, base_cost, missed, True)
