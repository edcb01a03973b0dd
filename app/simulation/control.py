"""Owner controls of the engine: EV charge modes and weekly schedules, battery and generator modes.

Pure and vectorized like the rest of `app.simulation`. `FleetInput` carries these as optional
columns (`ev_controls`, `battery_controls`, `generator_controls`, `prices`); left out (None) a kind
behaves exactly as before controls existed, and so do the defaults (NOW, the weekday commute,
limit 90 %, SELF_CONSUMPTION with reserve 0 and efficiency 1.0, generator ON). See
docs/control.md for each model and its reference.

EV charge modes (evcc's off / now / pv / smart):

- OFF: never charges.
- NOW: charges at its rate up to `limit_soc` while at home (the original behaviour).
- SOLAR: charges only from the home's PV surplus after its loads and the EVs that charge from the
  grid (solar production - consumption - grid EV charging, shared over the home's SOLAR EVs in
  proportion to their rates): it never draws from the grid nor from the home battery.
- SMART: charges in the cheapest quarter hours of the home's import prices that still reach the
  next departure's target (capped at `limit_soc`): at each cycle it charges when the energy the
  strictly cheaper quarters before departure could deliver is less than what is still needed.
  Without prices (no tariff) it behaves as NOW. With a plan for its home
  (`FleetInput.planned_ev_w`, not NaN) it follows the plan instead: the home's planned EV power
  shared over its SMART EVs at home in proportion to what each can take (rate, room to
  `limit_soc`).

Whatever the mode (OFF excepted), an EV below `min_soc` charges at once, from any source, up to it.

Schedules: per EV a tuple of `ScheduleRule` (weekdays, local departure and return minute, target
share). Away from `depart` on a listed local day until `return` (the next day when return <=
depart: a rule across midnight); local wall times of the home's zone, so DST moves them like the
original commute.

Battery modes: SELF_CONSUMPTION (the original dispatch), HOLD (flow 0), CHARGE (from the grid at
its max power up to full, taking any PV surplus first), OPTIMIZED (follows the planner: with
`FleetInput.planned_battery_w` for its home, the home's planned flow is split over its OPTIMIZED
batteries in proportion to their C-rate power, each clamped to what it can take or give over the
interval; without a plan, NaN, it is SELF_CONSUMPTION). A battery never discharges below
`reserve_soc`; round-trip efficiency splits as sqrt(eff) each way: the level changes by
charged * sqrt(eff) - discharged / sqrt(eff) (flows are what the home sees).

Generator modes: OFF (0 W), ON (the original), AUTO: runs while the home would otherwise import
more than `auto_start_import_w` (loads + grid EV charging + CHARGE batteries - solar - ON
generators - what its self-consumption batteries can discharge), and once started runs at least
`MIN_RUN_S` (15 minutes). Its run state (`run_started_at_s`, NaN = stopped, as of
`simulated_at_s`) is durable state like a battery level; a replayed cycle keeps it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import numpy as np

from app.simulation.arrays import (
    BoolArray,
    CodeArray,
    FloatArray,
    IndexArray,
    as_code,
    as_float,
    as_index,
    group_rows,
)
from app.simulation.calendar import zone

EV_OFF = 0
EV_NOW = 1
EV_SOLAR = 2
EV_SMART = 3
CHARGE_MODE_NAMES = ("OFF", "NOW", "SOLAR", "SMART")

BATTERY_SELF_CONSUMPTION = 0
BATTERY_HOLD = 1
BATTERY_CHARGE = 2
BATTERY_OPTIMIZED = 3
BATTERY_MODE_NAMES = ("SELF_CONSUMPTION", "HOLD", "CHARGE", "OPTIMIZED")

GENERATOR_OFF = 0
GENERATOR_ON = 1
GENERATOR_AUTO = 2
GENERATOR_MODE_NAMES = ("OFF", "ON", "AUTO")

MIN_RUN_S = 900.0
"""An AUTO generator, once started, runs at least this long (s)."""
QUARTER_S = 900.0
"""Price slots are UTC quarter hours."""
LOOKAHEAD_DAYS = 8
"""Schedules are searched this many local days ahead for the next departure."""


@dataclass(frozen=True, slots=True)
class ScheduleRule:
    """Away on local `days` (Monday = 0) from minute `depart_min` until `return_min` (the next
    day when return_min <= depart_min); `target` share of capacity wanted at departure."""

    days: frozenset[int]
    depart_min: int
    return_min: int
    target: float

    @property
    def across_midnight(self) -> bool:
        return self.return_min <= self.depart_min


Schedule = tuple[ScheduleRule, ...]

DEFAULT_SCHEDULE: Schedule = (ScheduleRule(frozenset({0, 1, 2, 3, 4}), 7 * 60, 18 * 60, 0.9),)
"""The original commute: Monday-Friday away 07:00-18:00, 90 % at departure."""


@dataclass(frozen=True, slots=True)
class EVControls:
    """Per EV (rows of `EVArrays`): `charge_mode` code, `min_soc`/`limit_soc` shares of capacity
    in [0, 1], `schedule_id` indexing `schedules` (one entry per distinct schedule)."""

    charge_mode: CodeArray
    min_soc: FloatArray
    limit_soc: FloatArray
    schedule_id: IndexArray
    schedules: tuple[Schedule, ...] = (DEFAULT_SCHEDULE,)

    def __post_init__(self) -> None:
        object.__setattr__(self, "charge_mode", as_code(self.charge_mode))
        object.__setattr__(self, "min_soc", as_float(self.min_soc))
        object.__setattr__(self, "limit_soc", as_float(self.limit_soc))
        object.__setattr__(self, "schedule_id", as_index(self.schedule_id))

    @classmethod
    def defaults(cls, n: int) -> EVControls:
        """n EVs on the original behaviour."""
        return cls(
            charge_mode=np.full(n, EV_NOW, dtype=np.int8),
            min_soc=np.zeros(n),
            limit_soc=np.full(n, 0.9),
            schedule_id=np.zeros(n, dtype=np.int64),
        )


@dataclass(frozen=True, slots=True)
class BatteryControls:
    """Per battery: `mode` code, `reserve_soc` share in [0, 1], `efficiency` round trip (0, 1]."""

    mode: CodeArray
    reserve_soc: FloatArray
    efficiency: FloatArray

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", as_code(self.mode))
        object.__setattr__(self, "reserve_soc", as_float(self.reserve_soc))
        object.__setattr__(self, "efficiency", as_float(self.efficiency))

    @classmethod
    def defaults(cls, n: int) -> BatteryControls:
        return cls(
            mode=np.full(n, BATTERY_SELF_CONSUMPTION, dtype=np.int8),
            reserve_soc=np.zeros(n),
            efficiency=np.ones(n),
        )


@dataclass(frozen=True, slots=True)
class GeneratorControls:
    """Per generator: `mode` code, `auto_start_import_w` W, and the AUTO run state from the
    previous cycle: `run_started_at_s` (NaN = stopped) as of `simulated_at_s` (NaN = never)."""

    mode: CodeArray
    auto_start_import_w: FloatArray
    run_started_at_s: FloatArray
    simulated_at_s: FloatArray

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", as_code(self.mode))
        object.__setattr__(self, "auto_start_import_w", as_float(self.auto_start_import_w))
        object.__setattr__(self, "run_started_at_s", as_float(self.run_started_at_s))
        object.__setattr__(self, "simulated_at_s", as_float(self.simulated_at_s))

    @classmethod
    def defaults(cls, n: int) -> GeneratorControls:
        nan = np.full(n, np.nan)
        return cls(np.full(n, GENERATOR_ON, dtype=np.int8), np.zeros(n), nan, nan.copy())


@dataclass(frozen=True, slots=True)
class GeneratorState:
    """AUTO run state after the cycle (per generator; NaN for the other modes' run start)."""

    running: BoolArray
    run_started_at_s: FloatArray
    simulated_at_s: FloatArray


@dataclass(frozen=True, slots=True)
class PriceHorizon:
    """Import prices per home (rows of `UserArrays`) and UTC quarter hour from `start_s` (a
    quarter start): `import_price[home, j]` for [start_s + 900 j, start_s + 900 (j + 1)); NaN
    where unknown. A home whose row is all NaN has no tariff (SMART behaves as NOW)."""

    start_s: float
    import_price: FloatArray

    def __post_init__(self) -> None:
        object.__setattr__(self, "import_price", np.asarray(self.import_price, dtype=np.float64))


# Schedules ------------------------------------------------------------------------------------

WEEKDAY_NAMES = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def minutes(hhmm: str) -> int:
    """Minute of the day of "HH:MM"."""
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def parse_schedule(value: Any) -> Schedule:
    """A schedule from its stored JSON: a list of rules `{"days": [weekday names], "departAt":
    "HH:MM", "returnAt": "HH:MM", "targetSocPercent": float}` (or that list's text)."""
    rules = json.loads(value) if isinstance(value, str | bytes) else value
    return tuple(
        ScheduleRule(
            days=frozenset(WEEKDAY_NAMES.index(str(d)) for d in rule["days"]),
            depart_min=minutes(str(rule["departAt"])),
            return_min=minutes(str(rule["returnAt"])),
            target=float(rule["targetSocPercent"]) / 100.0,
        )
        for rule in rules or ()
    )


def schedule_windows(schedule: Schedule, timezone: str, start_s: float, end_s: float) -> FloatArray:
    """Away windows touching [start_s, end_s]: (k, 3) rows [leave_s, back_s, target], sorted by
    leave. Local days from the day before `start_s` (a rule across midnight) to `end_s`'s."""
    tz = zone(timezone)
    day = datetime.fromtimestamp(start_s, tz).date() - timedelta(days=1)
    last = datetime.fromtimestamp(end_s, tz).date()
    return _schedule_windows_on(schedule, timezone, day, last)


@lru_cache(maxsize=4096)
def _schedule_windows_on(schedule: Schedule, timezone: str, day: date, last: date) -> FloatArray:
    """The windows of the local dates day..last (read-only). Cached: every cycle of a day asks
    for the same dates, and the zoneinfo conversions are most of a schedule's cost."""
    tz = zone(timezone)
    rows: list[tuple[float, float, float]] = []
    while day <= last:
        for rule in schedule:
            if day.weekday() not in rule.days:
                continue
            back_day = day + timedelta(days=1) if rule.across_midnight else day
            leave = datetime.combine(day, time(rule.depart_min // 60, rule.depart_min % 60), tz)
            back = datetime.combine(back_day, time(rule.return_min // 60, rule.return_min % 60), tz)
            rows.append((leave.timestamp(), back.timestamp(), rule.target))
        day += timedelta(days=1)
    out = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    out = out[np.argsort(out[:, 0], kind="stable")]
    out.flags.writeable = False
    return out


def away_now_and_seconds(
    windows: FloatArray, start_s: FloatArray, end_s: float
) -> tuple[bool, FloatArray]:
    """(away at `end_s`, seconds of each (start_s, end_s] inside the windows)."""
    total = np.zeros(start_s.shape, dtype=np.float64)
    away = False
    for leave, back, _ in windows:
        total += np.maximum(np.minimum(back, end_s) - np.maximum(leave, start_s), 0.0)
        away = away or bool(leave <= end_s < back)
    return away, total


def next_departure(windows: FloatArray, after_s: float) -> tuple[float, float]:
    """(leave_s, target) of the first window leaving after `after_s`; (NaN, 0) when none."""
    later = windows[windows[:, 0] > after_s]
    if later.shape[0] == 0:
        return float("nan"), 0.0
    return float(later[0, 0]), float(later[0, 2])


def next_departure_s(schedule: Schedule, timezone: str, after_s: float) -> float:
    """The next departure instant (epoch s) after `after_s`, NaN when the schedule is empty."""
    windows = schedule_windows(schedule, timezone, after_s, after_s + LOOKAHEAD_DAYS * 86_400.0)
    return next_departure(windows, after_s)[0]


# SMART charging -------------------------------------------------------------------------------


def smart_room_wh(
    prices: FloatArray,
    start_s: float,
    decision_s: FloatArray,
    departure_s: FloatArray,
    needed_wh: FloatArray,
    rate_w: FloatArray,
) -> FloatArray:
    """Per EV (rows of `prices`, quarter prices from `start_s`): the energy (Wh, >= 0) to charge
    during the quarter holding `decision_s`: what is still `needed_wh` beyond what the strictly
    cheaper quarters after it and before `departure_s` can deliver at `rate_w` (unknown prices are
    never cheaper). Greedy by price, so the target is reached at the lowest cost."""
    n, horizon = prices.shape
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    j = np.arange(horizon, dtype=np.float64)
    slot_start = start_s + QUARTER_S * j  # (H,)
    current = np.clip(np.floor((decision_s - start_s) / QUARTER_S), 0, horizon - 1).astype(np.int64)
    now_price = prices[np.arange(n), current]
    now_price = np.where(np.isnan(now_price), np.inf, now_price)
    usable_s = np.clip(
        np.minimum(slot_start[None, :] + QUARTER_S, departure_s[:, None]) - slot_start[None, :],
        0.0,
        QUARTER_S,
    )
    later = j[None, :] > current[:, None]
    with np.errstate(invalid="ignore"):
        cheaper = later & (prices < now_price[:, None])
    capacity_wh = (usable_s * cheaper).sum(axis=1) * rate_w / 3600.0
    return np.asarray(np.maximum(needed_wh - capacity_wh, 0.0), dtype=np.float64)


# Generators -----------------------------------------------------------------------------------


def auto_generator(
    running_before: BoolArray,
    run_started_at_s: FloatArray,
    would_import_w: FloatArray,
    threshold_w: FloatArray,
    cycle_s: float,
) -> tuple[BoolArray, FloatArray]:
    """(running, run start) of AUTO generators at `cycle_s`: start while the home would import
    more than the threshold, keep running until it no longer would and the run lasted MIN_RUN_S."""
    wanted = would_import_w > threshold_w
    with np.errstate(invalid="ignore"):
        young = running_before & (cycle_s - run_started_at_s < MIN_RUN_S)
    running = wanted | young
    started = np.where(running_before, run_started_at_s, cycle_s)
    return running, np.where(running, started, np.nan)


def efficiency_split(efficiency: FloatArray) -> FloatArray:
    """sqrt of the round-trip efficiency, clipped to (0, 1]: the one-way efficiency."""
    return np.sqrt(np.clip(efficiency, 1e-6, 1.0))


def schedule_state(
    schedules: Sequence[Schedule],
    timezones: Sequence[str],
    zone_code: IndexArray,
    schedule_id: IndexArray,
    cycle_s: float,
    dt_s: FloatArray,
    want_departure: BoolArray,
) -> tuple[BoolArray, FloatArray, FloatArray, FloatArray]:
    """Per EV: (away now, seconds away in (cycle - dt, cycle], next departure s, its target) for
    EVs on schedules; departures only where `want_departure` (else NaN)."""
    n = zone_code.size
    away_now = np.zeros(n, dtype=np.bool_)
    away_s = np.zeros(n, dtype=np.float64)
    depart = np.full(n, np.nan)
    target = np.zeros(n, dtype=np.float64)
    n_sched = max(len(schedules), 1)
    for code, rows in group_rows(zone_code * n_sched + schedule_id):
        name, schedule = timezones[code // n_sched], schedules[code % n_sched]
        start = cycle_s - dt_s[rows]
        horizon = cycle_s + (LOOKAHEAD_DAYS * 86_400.0 if want_departure[rows].any() else 0.0)
        windows = schedule_windows(schedule, name, float(start.min()), horizon)
        now, seconds = away_now_and_seconds(windows, start, cycle_s)
        away_now[rows] = now
        away_s[rows] = seconds
        if want_departure[rows].any():
            leave, goal = next_departure(windows, cycle_s)
            depart[rows] = leave
            target[rows] = goal
    return away_now, away_s, depart, target
