"""Outdoor temperature model."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.simulation.weather import outdoor_temperature_c


def _t(
    lat: float, lon: float, year: int, month: int, day: int, hour: int, minute: int = 0
) -> float:
    when = datetime(year, month, day, hour, minute, tzinfo=UTC)
    return float(outdoor_temperature_c(lat, lon, when.timestamp()))


class TestOutdoorTemperatureC:
    def test_afternoon_is_warmer_than_night(self):
        # Phoenix (UTC-7 solar): 15:00 solar is about 22:30 UTC, 03:00 solar about 10:30 UTC.
        afternoon = _t(33.45, -112.07, 2025, 7, 21, 22, 30)
        night = _t(33.45, -112.07, 2025, 7, 21, 10, 30)
        assert afternoon - night == pytest.approx(10.0, abs=0.1)

    @pytest.mark.parametrize(("lat", "lon"), [(40.0, -75.0), (60.0, 10.0)])
    def test_northern_summer_is_warmer_than_winter(self, lat, lon):
        assert _t(lat, lon, 2025, 7, 20, 12) > _t(lat, lon, 2025, 1, 20, 12) + 10.0

    def test_southern_hemisphere_seasons_are_reversed(self):
        assert _t(-33.87, 151.21, 2025, 1, 20, 4) > _t(-33.87, 151.21, 2025, 7, 20, 4) + 10.0

    def test_equator_has_no_seasons(self):
        assert _t(0.0, 0.0, 2025, 1, 20, 12) == pytest.approx(_t(0.0, 0.0, 2025, 7, 20, 12))

    def test_poles_are_colder_than_the_tropics(self):
        assert _t(80.0, 0.0, 2025, 7, 20, 12) < _t(10.0, 0.0, 2025, 7, 20, 12)
