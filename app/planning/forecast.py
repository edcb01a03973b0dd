"""What a home will produce and consume over its coming 15-minute slots (pure, NumPy).

The forecast runs the engine's own models at the slot's instants, without randomness:
- production: the solar model (NREL SPA elevation, clear-sky irradiance, area, efficiency,
  max output) times the expected cloud factor, the mean of the engine's uniform cloud draw
  ((CLOUD_MIN + CLOUD_MAX) / 2); generators at their rated power (their +/-5 % draw has mean 0);
- consumption: air conditioners and heaters from the temperature model (already deterministic);
  those on a thermostat by the engine's room model (`thermostat.step_rooms`) stepped from their
  latest state through the sample instants (one switched off draws nothing),
  and household loads on the BDEW H0 profile in the home's local time (the engine's
  `household.profile_w_per_kwh` times the annual kWh; the engine's +-20 % noise has mean 1).
Each slot's energy is the mean power of SAMPLES instants spread over the slot, times its length,
the midpoint rule for the per-minute cycles the slot will hold. Slots are UTC quarter hours, like
tariff slots, so a forecast of `hours` has 4 * hours slots on any day, DST changes included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import numpy as np

from app.planning.model import PlanHome
from app.simulation.arrays import FloatArray, require_aware
from app.simulation.calendar import zone
from app.simulation.household import profile_w_per_kwh
from app.simulation.loads import air_conditioner_fraction, heater_fraction
from app.simulation.solar import GeocentricSun, geocentric_sun, topocentric_elevation_deg
from app.simulation.solar_panel import CLOUD_MAX, CLOUD_MIN, panel_power_w
from app.simulation.thermostat import step_rooms
from app.simulation.weather import outdoor_temperature_c

SLOT_S = 900
SLOT_H = SLOT_S / 3600.0
SAMPLES = 5
"""Instants per slot at which the models are evaluated (midpoints of equal parts)."""
EXPECTED_CLOUD = (CLOUD_MIN + CLOUD_MAX) / 2.0
MIN_HOURS = 1
MAX_HOURS = 48


@dataclass(frozen=True, slots=True)
class Horizon:
    """Consecutive UTC quarter hours from `start_s` (epoch seconds, on a quarter hour)."""

    start_s: int
    slots: int

    @classmethod
    def at(cls, now: datetime, hours: int) -> Horizon:
        """The horizon of `hours` starting with the quarter hour that holds `now`."""
        epoch = int(require_aware(now).timestamp())
        return cls(epoch - epoch % SLOT_S, hours * 4)

    @property
    def starts_s(self) -> FloatArray:
        return self.start_s + SLOT_S * np.arange(self.slots, dtype=np.float64)

    @property
    def end_s(self) -> int:
        return self.start_s + SLOT_S * self.slots

    def instant(self, slot: int) -> datetime:
        return datetime.fromtimestamp(self.start_s + SLOT_S * slot, UTC)


@dataclass(frozen=True, slots=True)
class Forecast:
    """Per slot of the horizon: energy produced and consumed by the home (Wh, >= 0)."""

    horizon: Horizon
    production_wh: FloatArray
    consumption_wh: FloatArray


def sample_instants(horizon: Horizon) -> FloatArray:
    """(slots, SAMPLES) epoch seconds at which each slot is evaluated."""
    offsets = (np.arange(SAMPLES, dtype=np.float64) + 0.5) * (SLOT_S / SAMPLES)
    return horizon.starts_s[:, None] + offsets[None, :]


@lru_cache(maxsize=4)
def horizon_sun(horizon: Horizon) -> GeocentricSun:
    """The geocentric sun at every sample instant of `horizon`, computed once per process and
    horizon: every batch of a planning round (same quarter hour, same 48 h) shares it."""
    return geocentric_sun(sample_instants(horizon).reshape(-1))


def thermostat_wh(
    homes: Sequence[PlanHome], horizon: Horizon, temperature: FloatArray
) -> FloatArray:
    """(homes, slots) Wh of the homes' thermostat loads: each room stepped by the engine's
    thermal model (`thermostat.step_rooms`) from its latest state through the sample instants,
    the device drawing its rated power at an instant while it runs there, as the engine reports
    it at a cycle. `temperature` is the outdoor temperature (samples, homes)."""
    out = np.zeros((len(homes), horizon.slots), dtype=np.float64)
    rows = [(i, t) for i, home in enumerate(homes) for t in home.thermostats]
    if not rows:
        return out
    owner = np.asarray([i for i, _ in rows], dtype=np.int64)
    step = np.full(owner.size, SLOT_S / SAMPLES)
    power = np.zeros((horizon.slots * SAMPLES, owner.size), dtype=np.float64)
    for cooling in (True, False):
        pick = np.asarray([t.cooling == cooling for _, t in rows], dtype=np.bool_)
        if not pick.any():
            continue
        ts = [t for (_, t), p in zip(rows, pick, strict=True) if p]
        rated = np.asarray([t.rated_w for t in ts], dtype=np.float64)
        on = np.asarray([t.switched_on for t in ts], dtype=np.bool_)
        setpoint = np.asarray([t.setpoint_c for t in ts], dtype=np.float64)
        band = np.asarray([t.hysteresis_c for t in ts], dtype=np.float64)
        indoor = np.asarray([t.indoor_c for t in ts], dtype=np.float64)
        running = np.asarray([t.running for t in ts], dtype=np.bool_)
        homes_of = owner[pick]
        for k in range(horizon.slots * SAMPLES):
            # The first step runs from the horizon's start to its first sample instant.
            dt = step[: homes_of.size] * (0.5 if k == 0 else 1.0)
            state = step_rooms(
                cooling=cooling,
                rated_power_w=rated,
                switched_on=on,
                setpoint_c=setpoint,
                hysteresis_c=band,
                indoor_c=indoor,
                running=running,
                outdoor_c=temperature[k, homes_of],
                dt_s=dt,
            )
            indoor, running = state.indoor_c, state.running
            power[k, pick] = np.where(running, np.maximum(rated, 0.0), 0.0)
    per_slot = power.reshape(horizon.slots, SAMPLES, owner.size).mean(axis=1) * SLOT_H
    np.add.at(out, owner, per_slot.T)
    return out


@lru_cache(maxsize=64)
def household_w_per_kwh(horizon: Horizon, timezone: str) -> FloatArray:
    """Per slot: the H0 household energy (Wh) per kWh/a of annual consumption in `timezone`,
    the mean of the slot's sample instants (computed once per zone and horizon)."""
    tz = zone(timezone)
    instants = sample_instants(horizon).reshape(-1)
    power = np.fromiter(
        (profile_w_per_kwh(datetime.fromtimestamp(float(t), tz)) for t in instants),
        dtype=np.float64,
        count=instants.size,
    )
    out: FloatArray = power.reshape(horizon.slots, SAMPLES).mean(axis=1) * SLOT_H
    out.flags.writeable = False
    return out


def forecast_homes(homes: Sequence[PlanHome], horizon: Horizon) -> list[Forecast]:
    """The forecast of every home over the same horizon (the sun's position is computed once
    per horizon, `horizon_sun`)."""
    instants = sample_instants(horizon).reshape(-1)
    n, t = len(homes), horizon.slots
    production = np.zeros((n, t), dtype=np.float64)
    has_panels = [i for i, h in enumerate(homes) if h.panel_key.size]
    if has_panels:
        owner = np.concatenate(
            [np.full(homes[i].panel_key.size, i, dtype=np.int64) for i in has_panels]
        )

        def cat(name: str) -> FloatArray:
            return np.concatenate([getattr(homes[i], name) for i in has_panels])

        sun = horizon_sun(horizon)
        elevation = topocentric_elevation_deg(
            sun,
            cat("panel_latitude")[None, :],
            cat("panel_longitude")[None, :],
            instant=np.arange(instants.size)[:, None],
        )
        power = panel_power_w(
            elevation,
            cat("panel_area_m2")[None, :],
            cat("panel_efficiency")[None, :],
            cat("panel_max_w")[None, :],
            np.full((1, owner.size), EXPECTED_CLOUD),
        )
        # Mean over the slot's samples, then summed per home.
        per_slot = power.reshape(t, SAMPLES, owner.size).mean(axis=1)
        summed = np.zeros((t, n), dtype=np.float64)
        np.add.at(summed.T, owner, per_slot.T)
        production = summed.T * SLOT_H
    generator = np.asarray([h.generator_w for h in homes], dtype=np.float64)
    production = production + generator[:, None] * SLOT_H
    lat = np.asarray([h.latitude for h in homes], dtype=np.float64)
    lon = np.asarray([h.longitude for h in homes], dtype=np.float64)
    temperature = outdoor_temperature_c(lat[None, :], lon[None, :], instants[:, None])
    ac = air_conditioner_fraction(temperature).reshape(t, SAMPLES, n).mean(axis=1).T
    heat = heater_fraction(temperature).reshape(t, SAMPLES, n).mean(axis=1).T
    ac_w = np.asarray([h.air_conditioner_w for h in homes], dtype=np.float64)
    heat_w = np.asarray([h.heater_w for h in homes], dtype=np.float64)
    consumption = (ac * ac_w[:, None] + heat * heat_w[:, None]) * SLOT_H
    consumption += thermostat_wh(homes, horizon, temperature)
    for i, home in enumerate(homes):
        if home.household_kwh > 0.0:
            consumption[i] += home.household_kwh * household_w_per_kwh(horizon, home.timezone)
    return [Forecast(horizon, production[i], consumption[i]) for i in range(n)]


def forecast_home(home: PlanHome, horizon: Horizon) -> Forecast:
    return forecast_homes([home], horizon)[0]
