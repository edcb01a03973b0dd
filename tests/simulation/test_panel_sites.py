"""The engine evaluates the sun once per home and gathers it per panel (`physics.PanelSites`):
a panel's output must not depend on which other panels share its batch or its home, nor on
whether it sits at its home's location or at its own."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import numpy as np
import pytest

from app.simulation.fleet import simulate_fleet
from app.simulation.physics import panel_sites
from app.simulation.physics_devices import OrientationArrays
from tests.simulation.homes import fleet, local, panels, users

BERLIN = ("Europe/Berlin", 52.5, 13.4)
MUNICH = ("Europe/Berlin", 48.1, 11.6)


def _orientation(tilt: list[float]) -> OrientationArrays:
    n = len(tilt)
    return OrientationArrays(np.asarray(tilt), np.linspace(100.0, 260.0, n), np.full(n, -0.004))


def _power(when: datetime, lat: list[float], lon: list[float], tilt: list[float] | None):
    """Panels of one Berlin home at the given locations (keys 1_000_000...)."""
    n = len(lat)
    inp = fleet(
        when,
        homes=users(BERLIN),
        solar=panels(n, latitude=lat, longitude=lon, max_capacity_w=1e6),
    )
    if tilt is not None:
        inp = dataclasses.replace(inp, solar_orientation=_orientation(tilt))
    return simulate_fleet(inp).solar.power_w


def test_a_panel_away_from_its_home_gets_its_own_site() -> None:
    s = panels(3, latitude=[52.5, 48.1, 52.5], longitude=[13.4, 11.6, 13.4])
    sites = panel_sites(s, np.array([52.5]), np.array([13.4]))
    assert sites.site.tolist() == [0, 1, 0]
    assert sites.latitude.tolist() == [52.5, 48.1]
    assert sites.n_homes == 1
    at_home = panel_sites(
        panels(2, latitude=52.5, longitude=13.4), np.array([52.5]), np.array([13.4])
    )
    assert at_home.site.tolist() == [0, 0]
    assert at_home.latitude.size == 1


@pytest.mark.parametrize("hour", [5, 9, 13, 17, 21])
@pytest.mark.parametrize("tilt", [None, [0.0, 30.0, 30.0, 0.0]])
def test_each_panel_is_as_if_it_were_alone_at_its_location(hour, tilt) -> None:
    when = local("Europe/Berlin", 2026, 6, 21, hour)
    lat = [BERLIN[1], MUNICH[1], BERLIN[1], MUNICH[1]]
    lon = [BERLIN[2], MUNICH[2], BERLIN[2], MUNICH[2]]
    together = _power(when, lat, lon, tilt)
    for i in range(4):
        home = BERLIN if lat[i] == BERLIN[1] else MUNICH
        alone = fleet(
            when,
            homes=users(home),
            solar=panels(
                1,
                first_key=1_000_000 + i,
                latitude=lat[i],
                longitude=lon[i],
                max_capacity_w=1e6,
            ),
        )
        if tilt is not None:
            o = _orientation(tilt)
            alone = dataclasses.replace(
                alone,
                solar_orientation=OrientationArrays(
                    o.tilt_deg[i : i + 1],
                    o.azimuth_deg[i : i + 1],
                    o.temperature_coefficient_per_k[i : i + 1],
                ),
            )
        assert simulate_fleet(alone).solar.power_w[0] == together[i]
