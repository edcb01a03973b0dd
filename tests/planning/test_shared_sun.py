"""The sun's position computed once for many instants (a replay's window, a planning round's
horizon) gives each cycle and each forecast what computing it per instant gives."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from app.pipeline.arrays import build_input
from app.planning.forecast import Horizon, forecast_homes, horizon_sun, sample_instants
from app.repositories.fleet import FleetRows
from app.simulation.fleet import simulate_fleet
from app.simulation.solar import geocentric_sun, sun_instant
from tests.planning.builders import reference_home

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _rows() -> FleetRows:
    home, owner = uuid.UUID(int=7), uuid.UUID(int=8)
    lat, lon = 37.77, -122.42
    return FleetRows(
        homes=[(home, owner, "America/Los_Angeles", lat, lon)],
        solar=[
            (uuid.UUID(int=10 + i), home, 10.0 + i, 0.2, 2500.0, lat + i, lon - i) for i in range(3)
        ],
        generators=[],
        batteries=[(uuid.UUID(int=20), home, 10_000.0, 0.5, 5000.0, START, 0.0)],
        evs=[],
        air_conditioners=[],
        heaters=[(uuid.UUID(int=30), home, 2000.0)],
    )


def test_a_cycle_given_its_precomputed_sun_equals_one_computing_it():
    rows = _rows()
    at = [START + timedelta(minutes=37 * k) for k in range(40)]
    sun = geocentric_sun(np.asarray([t.timestamp() for t in at]))
    produced = 0.0
    for k, t in enumerate(at):
        fleet, _ = build_input(rows, t)
        alone = simulate_fleet(fleet)
        shared = simulate_fleet(replace(fleet, sun=sun_instant(sun, k)))
        np.testing.assert_allclose(shared.solar.power_w, alone.solar.power_w, rtol=1e-12, atol=0)
        np.testing.assert_allclose(shared.batteries.flow_w, alone.batteries.flow_w, rtol=1e-12)
        produced += float(alone.solar.power_w.sum())
    assert produced > 0.0


def test_a_horizons_sun_is_computed_once_and_forecasts_are_unchanged():
    horizon = Horizon.at(START, 48)
    assert horizon_sun(horizon) is horizon_sun(Horizon.at(START + timedelta(minutes=5), 48))
    direct = geocentric_sun(sample_instants(horizon).reshape(-1))
    np.testing.assert_array_equal(horizon_sun(horizon).declination_deg, direct.declination_deg)
    homes = [reference_home(key=1), reference_home(key=2, pv_w=3000.0)]
    first = forecast_homes(homes, horizon)
    again = forecast_homes(homes[::-1], horizon)[::-1]
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a.production_wh, b.production_wh)
    assert first[0].production_wh.sum() > first[1].production_wh.sum() > 0.0
