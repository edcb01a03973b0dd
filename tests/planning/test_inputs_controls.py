"""`plan_homes` reads the devices' real controls (and the defaults for rows without them)."""

from __future__ import annotations

import uuid
from datetime import time
from typing import Any

import pytest

from app.planning.inputs import DEFAULT_SCHEDULE, plan_homes
from app.repositories.fleet import FleetRows

HOME = uuid.uuid4()


def _rows(battery: tuple[Any, ...], ev: tuple[Any, ...]) -> FleetRows:
    return FleetRows(
        homes=[(HOME, uuid.uuid4(), "Europe/Berlin", 52.5, 13.4)],
        solar=[],
        generators=[],
        batteries=[battery],
        evs=[ev],
        air_conditioners=[],
        heaters=[],
    )


def test_controls_are_read() -> None:
    battery = (uuid.uuid4(), HOME, 10_000.0, 0.5, 5_000.0, None, 0.0, "HOLD", 20.0, 0.81)
    rules = [
        {"days": ["SATURDAY"], "departAt": "22:00", "returnAt": "06:00", "targetSocPercent": 70.0}
    ]
    ev = (
        uuid.uuid4(),
        HOME,
        60.0,
        30.0,
        7.0,
        2.0,
        "CHARGING",
        None,
        None,
        0.0,
        "SMART",
        10.0,
        80.0,
        rules,
    )
    home = plan_homes(_rows(battery, ev))[0]
    b, e = home.batteries[0], home.evs[0]
    assert b.reserve_wh == pytest.approx(2_000.0)
    assert b.round_trip_efficiency == 0.81
    assert e.min_wh == pytest.approx(6_000.0)
    assert e.limit_wh == pytest.approx(48_000.0)
    assert len(e.schedule) == 1
    rule = e.schedule[0]
    assert (rule.days, rule.depart_at, rule.return_at, rule.target) == (
        frozenset({5}),
        time(22, 0),
        time(6, 0),
        0.7,
    )
    assert e.chargeable


def test_rows_without_controls_get_the_defaults() -> None:
    battery = (uuid.uuid4(), HOME, 10_000.0, 0.5, 5_000.0, None, 0.0)
    ev = (uuid.uuid4(), HOME, 60.0, 30.0, 7.0, 2.0, "CHARGING", None, None, 0.0)
    home = plan_homes(_rows(battery, ev))[0]
    assert (home.batteries[0].reserve_wh, home.batteries[0].round_trip_efficiency) == (0.0, 1.0)
    e = home.evs[0]
    assert (e.min_wh, e.limit_wh, e.schedule) == (0.0, 0.9 * 60_000.0, DEFAULT_SCHEDULE)


def test_an_ev_switched_off_is_not_chargeable() -> None:
    battery = (uuid.uuid4(), HOME, 10_000.0, 0.5, 5_000.0, None, 0.0)
    ev: tuple[Any, ...] = (
        uuid.uuid4(),
        HOME,
        60.0,
        30.0,
        7.0,
        2.0,
        "CHARGING",
        None,
        None,
        0.0,
        "OFF",
        0.0,
        90.0,
        [],
    )
    assert not plan_homes(_rows(battery, ev))[0].evs[0].chargeable
