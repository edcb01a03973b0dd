"""Electric vehicles: commute schedule (DST-aware), driving, charging to 90 %, vehicle-to-home."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from app.simulation.electric_vehicle import away_windows_s, is_away
from app.simulation.fleet import (
    EV_CHARGING,
    EV_DISCHARGING,
    EV_MODE_NAMES,
    EV_OFFLINE,
    STATUS_NAMES,
    FleetResult,
    simulate_fleet,
)
from tests.simulation.homes import (
    LOS_ANGELES,
    TROMSO,
    batteries,
    evs,
    fleet,
    generators,
    loads,
    local,
    users,
)

LA = LOS_ANGELES[0]
OSLO = TROMSO[0]
HOUR = 3600.0
DAY = 24 * HOUR


def _run(cycle_at: datetime, *, home=LOS_ANGELES, max_elapsed_s=DAY, **ev_fields) -> FleetResult:
    return simulate_fleet(
        fleet(cycle_at, homes=users(home), evs=evs(**ev_fields), max_elapsed_s=max_elapsed_s)
    )


def _mode(result: FleetResult) -> str:
    return EV_MODE_NAMES[result.evs.mode[0]]


def _status(result: FleetResult) -> str:
    return STATUS_NAMES[result.evs.status[0]]


class TestIsAway:
    @pytest.mark.parametrize(
        ("timezone", "when", "expected"),
        [
            (LA, (2025, 1, 13, 10, 0), True),  # Monday 10:00
            (LA, (2025, 1, 13, 19, 0), False),  # Monday 19:00
            (LA, (2025, 1, 11, 10, 0), False),  # Saturday 10:00
            (LA, (2025, 1, 12, 12, 0), False),  # Sunday noon
            (LA, (2025, 1, 13, 6, 59), False),  # just before leaving
            (LA, (2025, 1, 13, 7, 0), True),  # leaving time is away
            (LA, (2025, 1, 17, 17, 59), True),  # Friday, just before coming back
            (LA, (2025, 1, 17, 18, 0), False),  # coming-back time is home
            ("Australia/Sydney", (2025, 1, 13, 10, 0), True),
            ("Europe/Berlin", (2025, 3, 31, 7, 30), True),  # Monday after spring forward
            ("Asia/Kolkata", (2025, 1, 11, 10, 0), False),
        ],
    )
    def test_away_07_to_18_local_on_weekdays(self, timezone, when, expected):
        assert is_away(timezone, local(timezone, *when).timestamp()) is expected


class TestAwayWindows:
    @pytest.mark.parametrize(
        ("start", "end"),
        [((2024, 3, 8, 0), (2024, 3, 12, 0)), ((2024, 11, 1, 0), (2024, 11, 5, 0))],
        ids=["spring_forward_week", "fall_back_week"],
    )
    def test_windows_are_11_local_hours_on_weekdays_across_dst(self, start, end):
        windows = away_windows_s(LA, local(LA, *start).timestamp(), local(LA, *end).timestamp())
        assert windows.shape == (3, 2)  # Friday, Monday, Tuesday
        np.testing.assert_array_equal(windows[:, 1] - windows[:, 0], 11 * HOUR)


class TestSchedule:
    def test_monday_10_local_is_offline(self):
        cycle = local(LA, 2025, 1, 13, 10)
        seen = cycle.timestamp() - 3 * HOUR
        result = _run(cycle, simulated_at_s=cycle.timestamp() - 60, last_seen_at_s=seen)
        assert _mode(result) == "OFFLINE"
        assert _status(result) == "offline"
        assert result.evs.flow_w.tolist() == [0.0]
        assert result.evs.last_seen_at_s.tolist() == [seen]
        assert result.evs.driven_kwh[0] == pytest.approx(2.0 * 60 / HOUR)
        assert result.users.storage_flow_w.tolist() == [0.0]

    def test_monday_19_local_is_charging(self):
        cycle = local(LA, 2025, 1, 13, 19)
        result = _run(cycle, simulated_at_s=cycle.timestamp() - 60)
        assert _mode(result) == "CHARGING"
        assert _status(result) == "charging"
        assert result.evs.flow_w.tolist() == [7_000.0]
        assert result.evs.last_seen_at_s.tolist() == [cycle.timestamp()]
        assert result.evs.charge_kwh[0] == pytest.approx(30.0 + 7.0 * 60 / HOUR)

    def test_saturday_10_local_is_charging(self):
        cycle = local(LA, 2025, 1, 11, 10)
        result = _run(cycle, simulated_at_s=cycle.timestamp() - 60)
        assert _mode(result) == "CHARGING"
        assert result.evs.flow_w.tolist() == [7_000.0]

    def test_owner_set_offline_at_home_is_offline_but_seen(self):
        cycle = local(LA, 2025, 1, 11, 10)
        result = _run(cycle, simulated_at_s=cycle.timestamp() - 60, mode_setting=EV_OFFLINE)
        assert _status(result) == "offline"
        assert result.evs.flow_w.tolist() == [0.0]
        assert result.evs.last_seen_at_s.tolist() == [cycle.timestamp()]

    def test_first_cycle_reports_charging_without_moving_energy(self):
        result = _run(local(LA, 2025, 1, 11, 10))
        assert result.evs.flow_w.tolist() == [7_000.0]
        assert result.evs.elapsed_s.tolist() == [0.0]
        assert result.evs.charge_kwh.tolist() == [30.0]


class TestChargingTarget:
    def test_charging_stops_at_90_percent(self):
        cycle = local(LA, 2025, 1, 11, 10)
        result = _run(cycle, charge_kwh=53.99, simulated_at_s=cycle.timestamp() - 60)
        assert result.evs.flow_w[0] == pytest.approx(0.01 * 3.6e6 / 60)  # only 10 Wh fit
        assert result.evs.charge_kwh[0] == pytest.approx(54.0)
        next_cycle = simulate_fleet(
            fleet(
                cycle.replace(minute=1),
                evs=evs(
                    charge_kwh=float(result.evs.charge_kwh[0]), simulated_at_s=cycle.timestamp()
                ),
            )
        )
        assert next_cycle.evs.flow_w.tolist() == [0.0]
        assert _status(next_cycle) == "idle"
        assert _mode(next_cycle) == "CHARGING"
        assert next_cycle.evs.charge_kwh[0] == pytest.approx(54.0)

    def test_above_90_percent_stays_idle(self):
        cycle = local(LA, 2025, 1, 11, 10)
        result = _run(cycle, charge_kwh=58.0, simulated_at_s=cycle.timestamp() - 60)
        assert result.evs.flow_w.tolist() == [0.0]
        assert result.evs.charge_kwh.tolist() == [58.0]


class TestDriving:
    def test_driving_is_deducted_across_a_missed_day(self):
        # Last simulated Monday 19:00, next cycle Tuesday 19:00: 11 h away on Tuesday.
        cycle = local(LA, 2025, 1, 14, 19)
        result = _run(
            cycle,
            simulated_at_s=local(LA, 2025, 1, 13, 19).timestamp(),
            mode_setting=EV_OFFLINE,
        )
        assert result.evs.elapsed_s.tolist() == [DAY]
        assert result.evs.driven_kwh[0] == pytest.approx(22.0)
        assert result.evs.charge_kwh[0] == pytest.approx(8.0)

    def test_two_missed_weekdays_count_both_commutes(self):
        cycle = local(LA, 2025, 1, 15, 6)  # Wednesday 06:00, last seen Monday 06:00
        result = _run(
            cycle,
            simulated_at_s=local(LA, 2025, 1, 13, 6).timestamp(),
            max_elapsed_s=2 * DAY,
            charge_kwh=50.0,
            mode_setting=EV_OFFLINE,
        )
        assert result.evs.driven_kwh[0] == pytest.approx(44.0)
        assert result.evs.charge_kwh[0] == pytest.approx(6.0)

    def test_charge_never_drops_below_zero(self):
        cycle = local(LA, 2025, 1, 13, 17)
        result = _run(
            cycle, charge_kwh=5.0, driving_kwh_per_h=10.0, simulated_at_s=cycle.timestamp() - DAY
        )
        assert result.evs.driven_kwh.tolist() == [5.0]
        assert result.evs.charge_kwh.tolist() == [0.0]

    def test_charging_applies_only_to_the_time_at_home(self):
        # Back at 18:00, cycle at 18:30 after an hour without cycles: 30 min away, 30 min home.
        cycle = local(LA, 2025, 1, 13, 18, 30)
        result = _run(cycle, simulated_at_s=cycle.timestamp() - HOUR)
        assert result.evs.connected_s.tolist() == [1800.0]
        assert result.evs.driven_kwh[0] == pytest.approx(1.0)
        assert result.evs.charge_kwh[0] == pytest.approx(30.0 - 1.0 + 7.0 * 0.5)


class TestDaylightSavingTime:
    @pytest.mark.parametrize(
        ("utc_hour", "day", "expected_mode"),
        [
            (14, 8, "CHARGING"),  # Friday before spring forward: 06:30 PST
            (14, 11, "OFFLINE"),  # Monday after spring forward: 07:30 PDT
            (14, 10, "CHARGING"),  # the change day itself is a Sunday
        ],
    )
    def test_us_spring_forward(self, utc_hour, day, expected_mode):
        cycle = datetime.fromisoformat(f"2024-03-{day:02d}T{utc_hour:02d}:30:00+00:00")
        assert _mode(_run(cycle, simulated_at_s=cycle.timestamp() - 60)) == expected_mode

    @pytest.mark.parametrize(
        ("utc_hour", "day", "expected_mode"),
        [
            (14, 1, "OFFLINE"),  # Friday before fall back: 07:30 PDT
            (14, 4, "CHARGING"),  # Monday after fall back: 06:30 PST
            (15, 4, "OFFLINE"),  # Monday after fall back: 07:30 PST
        ],
    )
    def test_us_fall_back(self, utc_hour, day, expected_mode):
        cycle = datetime.fromisoformat(f"2024-11-{day:02d}T{utc_hour:02d}:30:00+00:00")
        assert _mode(_run(cycle, simulated_at_s=cycle.timestamp() - 60)) == expected_mode

    @pytest.mark.parametrize(
        ("last", "cycle", "elapsed_h"),
        [
            ((2024, 3, 8, 18), (2024, 3, 11, 18), 71),  # spring forward weekend
            ((2024, 11, 1, 18), (2024, 11, 4, 18), 73),  # fall back weekend
        ],
    )
    def test_driving_across_a_dst_weekend_is_one_11_hour_day(self, last, cycle, elapsed_h):
        result = _run(
            local(LA, *cycle),
            simulated_at_s=local(LA, *last).timestamp(),
            max_elapsed_s=4 * DAY,
            mode_setting=EV_OFFLINE,
        )
        assert result.evs.elapsed_s.tolist() == [elapsed_h * HOUR]
        assert result.evs.driven_kwh[0] == pytest.approx(22.0)

    def test_the_spring_forward_day_has_23_hours_and_no_commute(self):
        result = _run(
            local(LA, 2024, 3, 10, 12),
            simulated_at_s=local(LA, 2024, 3, 9, 12).timestamp(),
            mode_setting=EV_OFFLINE,
        )
        assert result.evs.elapsed_s.tolist() == [23 * HOUR]
        assert result.evs.driven_kwh.tolist() == [0.0]


# Tromso, Monday 03:00 local in January: heaters at full power, EVs at home.
COLD_NIGHT = local(OSLO, 2025, 1, 13, 3)
COLD_S = COLD_NIGHT.timestamp()


def _v2h_home(heater_w: float, *, bats=None, gens=None, **ev_fields) -> FleetResult:
    return simulate_fleet(
        fleet(
            COLD_NIGHT,
            homes=users(TROMSO),
            heaters=loads([heater_w]),
            batteries=bats,
            generators=gens,
            evs=evs(mode_setting=EV_DISCHARGING, simulated_at_s=COLD_S - 60, **ev_fields),
        )
    )


class TestVehicleToHome:
    def test_v2h_covers_a_deficit(self):
        result = _v2h_home(2_000.0)
        assert result.evs.flow_w[0] == pytest.approx(-2_000.0)
        assert _status(result) == "discharging"
        assert _mode(result) == "DISCHARGING"
        assert result.users.net_grid_flow_w[0] == pytest.approx(0.0, abs=1e-9)
        assert result.evs.charge_kwh[0] == pytest.approx(30.0 - 2.0 * 60 / HOUR)

    def test_v2h_is_limited_by_the_charge_rate(self):
        result = _v2h_home(20_000.0)
        assert result.evs.flow_w.tolist() == [-7_000.0]
        assert result.users.net_grid_flow_w[0] == pytest.approx(13_000.0)

    def test_v2h_stops_at_the_20_percent_floor(self):
        at_floor = _v2h_home(2_000.0, charge_kwh=12.0)
        assert at_floor.evs.flow_w.tolist() == [0.0]
        assert _status(at_floor) == "idle"
        near_floor = _v2h_home(2_000.0, charge_kwh=12.01)
        assert near_floor.evs.flow_w[0] == pytest.approx(-600.0)  # 10 Wh in 60 s
        assert near_floor.evs.charge_kwh[0] == pytest.approx(12.0)

    def test_v2h_covers_what_the_battery_leaves(self):
        result = _v2h_home(8_000.0, bats=batteries(simulated_at_s=COLD_S - 60))
        assert result.batteries.flow_w.tolist() == [-5_000.0]
        assert result.evs.flow_w[0] == pytest.approx(-3_000.0)

    def test_v2h_does_not_discharge_into_a_surplus(self):
        result = _v2h_home(0.0, gens=generators([3_000.0]))
        assert result.evs.flow_w.tolist() == [0.0]
        assert _status(result) == "idle"

    def test_v2h_is_offline_while_away(self):
        cycle = local(OSLO, 2025, 1, 13, 10)
        result = simulate_fleet(
            fleet(
                cycle,
                homes=users(TROMSO),
                heaters=loads([2_000.0]),
                evs=evs(mode_setting=EV_DISCHARGING, simulated_at_s=cycle.timestamp() - 60),
            )
        )
        assert _mode(result) == "OFFLINE"
        assert result.evs.flow_w.tolist() == [0.0]


class TestChargingAsALoad:
    def test_ev_charging_is_covered_by_the_battery_before_the_grid(self):
        cycle = local(LA, 2025, 1, 11, 10)
        result = simulate_fleet(
            fleet(
                cycle,
                evs=evs(mode_setting=EV_CHARGING, simulated_at_s=cycle.timestamp() - 60),
                batteries=batteries(c_rate=1.0, simulated_at_s=cycle.timestamp() - 60),
            )
        )
        assert result.evs.flow_w.tolist() == [7_000.0]
        assert result.batteries.flow_w.tolist() == [-7_000.0]
        assert result.users.net_grid_flow_w[0] == pytest.approx(0.0, abs=1e-9)
