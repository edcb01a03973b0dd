"""simulate_fleet: generators, loads, batteries, per-user figures, determinism and replays."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from app.simulation.fleet import (
    EV_CHARGING,
    EV_DISCHARGING,
    STATUS_NAMES,
    BatteryArrays,
    EVArrays,
    FleetInput,
    FleetResult,
    GeneratorArrays,
    simulate_fleet,
)
from tests.simulation.homes import (
    LOS_ANGELES,
    PHOENIX,
    TROMSO,
    batteries,
    evs,
    fleet,
    generators,
    loads,
    panels,
    users,
)

# A Saturday, so EVs are at home; 10:30 UTC is mid-day in Europe and night in the Americas.
CYCLE_AT = datetime(2025, 1, 11, 10, 30, tzinfo=UTC)
CYCLE_S = CYCLE_AT.timestamp()
# Tromso in January: about -15 degC, heaters at full power, no sun.
COLD_NIGHT = datetime(2025, 1, 13, 2, 0, tzinfo=UTC)
# Phoenix in July at 15:00 solar time: about 32 degC, air conditioners running.
HOT_AFTERNOON = datetime(2025, 7, 21, 22, 30, tzinfo=UTC)


def _names(codes: np.ndarray) -> list[str]:
    return [STATUS_NAMES[c] for c in codes]


class TestGenerators:
    @pytest.mark.parametrize("hours", [0, 1, 24 * 30, 24 * 365])
    def test_output_within_5_percent_of_rated(self, hours):
        rated = np.linspace(100.0, 10_000.0, 500)
        result = simulate_fleet(
            fleet(CYCLE_AT + timedelta(hours=hours), generators=generators(rated.tolist()))
        )
        ratio = result.generators.power_w / rated
        assert ratio.min() >= 0.95
        assert ratio.max() <= 1.05
        assert ratio.max() - ratio.min() > 0.05  # it does vary
        assert set(_names(result.generators.status)) == {"online"}

    def test_zero_rated_generator_is_idle(self):
        result = simulate_fleet(fleet(CYCLE_AT, generators=generators([0.0])))
        assert result.generators.power_w.tolist() == [0.0]
        assert _names(result.generators.status) == ["idle"]


class TestLoads:
    def test_air_conditioner_runs_on_a_hot_afternoon_and_heater_is_idle(self):
        result = simulate_fleet(
            fleet(
                HOT_AFTERNOON,
                homes=users(PHOENIX),
                air_conditioners=loads([3_000.0]),
                heaters=loads([2_000.0]),
            )
        )
        assert 0.0 < result.air_conditioners.power_w[0] <= 3_000.0
        assert _names(result.air_conditioners.status) == ["online"]
        assert result.heaters.power_w.tolist() == [0.0]
        assert _names(result.heaters.status) == ["idle"]

    def test_heater_runs_at_full_power_on_a_cold_night_and_ac_is_idle(self):
        result = simulate_fleet(
            fleet(
                COLD_NIGHT,
                homes=users(TROMSO),
                air_conditioners=loads([3_000.0]),
                heaters=loads([2_000.0]),
            )
        )
        assert result.heaters.power_w.tolist() == [2_000.0]
        assert result.air_conditioners.power_w.tolist() == [0.0]
        assert result.users.consumption_w.tolist() == [2_000.0]


class TestBatteries:
    def test_charges_at_its_c_rate_from_a_large_surplus(self):
        result = simulate_fleet(
            fleet(
                CYCLE_AT,
                generators=generators([20_000.0]),
                batteries=batteries(simulated_at_s=CYCLE_S - 60.0),
            )
        )
        bat = result.batteries
        assert bat.flow_w[0] == pytest.approx(5_000.0)  # 10 kWh x 0.5 C
        assert bat.level_wh[0] == pytest.approx(5_000.0 + 5_000.0 * 60.0 / 3600.0)
        assert _names(bat.status) == ["charging"]
        assert bat.power_w[0] == bat.flow_w[0]

    def test_discharges_at_its_c_rate_into_a_large_deficit(self):
        result = simulate_fleet(
            fleet(
                COLD_NIGHT,
                homes=users(TROMSO),
                heaters=loads([20_000.0]),
                batteries=batteries(simulated_at_s=COLD_NIGHT.timestamp() - 60.0),
            )
        )
        bat = result.batteries
        assert bat.flow_w[0] == pytest.approx(-5_000.0)
        assert bat.level_wh[0] == pytest.approx(5_000.0 - 5_000.0 * 60.0 / 3600.0)
        assert _names(bat.status) == ["discharging"]
        assert bat.power_w[0] == pytest.approx(5_000.0)

    def test_charges_with_no_more_than_the_surplus(self):
        result = simulate_fleet(
            fleet(
                CYCLE_AT,
                generators=generators([2_000.0]),
                batteries=batteries(simulated_at_s=CYCLE_S - 60.0),
            )
        )
        assert result.batteries.flow_w[0] == pytest.approx(result.users.production_w[0])
        assert result.users.net_grid_flow_w[0] == pytest.approx(0.0, abs=1e-9)

    def test_discharges_no_more_than_the_deficit(self):
        result = simulate_fleet(
            fleet(
                COLD_NIGHT,
                homes=users(TROMSO),
                heaters=loads([1_500.0]),
                batteries=batteries(simulated_at_s=COLD_NIGHT.timestamp() - 60.0),
            )
        )
        assert result.batteries.flow_w[0] == pytest.approx(-1_500.0)
        assert result.users.net_grid_flow_w[0] == pytest.approx(0.0, abs=1e-9)

    def test_stops_exactly_full(self):
        result = simulate_fleet(
            fleet(
                CYCLE_AT,
                generators=generators([20_000.0]),
                batteries=batteries(level_wh=9_990.0, simulated_at_s=CYCLE_S - 60.0),
            )
        )
        assert result.batteries.flow_w[0] == pytest.approx(600.0)  # 10 Wh in 60 s
        assert result.batteries.level_wh[0] == pytest.approx(10_000.0)

    def test_stops_exactly_empty(self):
        result = simulate_fleet(
            fleet(
                COLD_NIGHT,
                homes=users(TROMSO),
                heaters=loads([20_000.0]),
                batteries=batteries(level_wh=5.0, simulated_at_s=COLD_NIGHT.timestamp() - 60.0),
            )
        )
        assert result.batteries.flow_w[0] == pytest.approx(-300.0)  # 5 Wh in 60 s
        assert result.batteries.level_wh[0] == pytest.approx(0.0, abs=1e-9)

    @pytest.mark.parametrize(("level_wh", "expected_wh"), [(12_000.0, 10_000.0), (-50.0, 0.0)])
    def test_out_of_range_stored_level_is_clamped(self, level_wh, expected_wh):
        result = simulate_fleet(
            fleet(CYCLE_AT, batteries=batteries(level_wh=level_wh, simulated_at_s=CYCLE_S - 60))
        )
        assert result.batteries.level_wh.tolist() == [expected_wh]
        assert result.batteries.flow_w.tolist() == [0.0]

    def test_full_battery_never_simulated_reports_no_charging(self):
        result = simulate_fleet(
            fleet(CYCLE_AT, generators=generators([5_000.0]), batteries=batteries(level_wh=1e4))
        )
        assert result.batteries.flow_w.tolist() == [0.0]
        assert _names(result.batteries.status) == ["idle"]
        assert result.batteries.simulated_at_s.tolist() == [CYCLE_S]

    def test_batteries_in_one_home_share_in_proportion_to_their_limits(self):
        result = simulate_fleet(
            fleet(
                CYCLE_AT,
                generators=generators([3_000.0]),
                batteries=batteries(
                    2,
                    capacity_wh=[10_000.0, 5_000.0],
                    level_wh=[5_000.0, 2_500.0],
                    simulated_at_s=CYCLE_S - 60.0,
                ),
            )
        )
        flow = result.batteries.flow_w
        assert flow.sum() == pytest.approx(result.users.production_w[0])
        assert flow[0] / flow[1] == pytest.approx(2.0)

    def test_batteries_only_see_their_own_home(self):
        result = simulate_fleet(
            fleet(
                CYCLE_AT,
                homes=users(LOS_ANGELES, LOS_ANGELES),
                generators=generators([3_000.0], user=0),
                batteries=batteries(2, user=[0, 1], simulated_at_s=CYCLE_S - 60.0),
            )
        )
        assert result.batteries.flow_w[0] > 0.0
        assert result.batteries.flow_w[1] == 0.0


class TestUserFigures:
    def test_figures_add_up_per_user(self):
        homes = users(PHOENIX, PHOENIX)
        result = simulate_fleet(
            fleet(
                HOT_AFTERNOON,
                homes=homes,
                solar=panels(2, user=[0, 1], latitude=33.45, longitude=-112.07),
                generators=generators([1_000.0], user=1),
                air_conditioners=loads([3_000.0, 2_000.0], user=[0, 0]),
                heaters=loads([1_000.0], user=1),
                batteries=batteries(user=1, simulated_at_s=HOT_AFTERNOON.timestamp() - 60),
            )
        )
        users_ = result.users
        assert users_.production_w[0] == pytest.approx(result.solar.power_w[0])
        assert users_.production_w[1] == pytest.approx(
            result.solar.power_w[1] + result.generators.power_w[0]
        )
        assert users_.consumption_w[0] == pytest.approx(result.air_conditioners.power_w.sum())
        assert users_.consumption_w[1] == pytest.approx(result.heaters.power_w[0])
        assert users_.storage_flow_w.tolist() == [0.0, result.batteries.flow_w[0]]
        np.testing.assert_allclose(
            users_.net_grid_flow_w,
            users_.consumption_w + users_.storage_flow_w - users_.production_w,
        )

    def test_a_home_with_only_loads_imports(self):
        result = simulate_fleet(fleet(COLD_NIGHT, homes=users(TROMSO), heaters=loads([2_000.0])))
        assert result.users.net_grid_flow_w.tolist() == [2_000.0]

    def test_a_home_with_only_production_exports(self):
        result = simulate_fleet(fleet(CYCLE_AT, generators=generators([4_000.0])))
        assert result.users.net_grid_flow_w[0] < 0.0
        assert result.users.net_grid_flow_w[0] == -result.generators.power_w[0]

    def test_an_ev_charging_from_the_grid_counts_as_storage_flow_and_imports(self):
        result = simulate_fleet(fleet(CYCLE_AT, evs=evs(simulated_at_s=CYCLE_S - 60.0)))
        assert result.users.consumption_w.tolist() == [0.0]
        assert result.users.storage_flow_w.tolist() == [7_000.0]
        assert result.users.net_grid_flow_w.tolist() == [7_000.0]

    def test_user_without_devices_has_zero_figures(self):
        result = simulate_fleet(fleet(CYCLE_AT, homes=users(LOS_ANGELES, TROMSO)))
        for figures in dataclasses.astuple(result.users):
            assert figures.tolist() == [0.0, 0.0]


def _mixed_fleet(cycle_at: datetime, seed: int = 3) -> FleetInput:
    rng = np.random.default_rng(seed)
    homes = users(LOS_ANGELES, PHOENIX, TROMSO, ("Australia/Sydney", -33.87, 151.21))
    n = 4
    cycle_s = cycle_at.timestamp()
    return fleet(
        cycle_at,
        homes=homes,
        solar=panels(
            8,
            user=np.arange(8) % n,
            latitude=homes.latitude[np.arange(8) % n],
            longitude=homes.longitude[np.arange(8) % n],
        ),
        generators=generators(rng.uniform(0, 3_000, 4).tolist(), user=[0, 1, 2, 3]),
        air_conditioners=loads(rng.uniform(500, 3_000, 4).tolist(), user=[0, 1, 2, 3]),
        heaters=loads(rng.uniform(500, 3_000, 4).tolist(), user=[0, 1, 2, 3]),
        batteries=batteries(
            6,
            user=[0, 0, 1, 2, 3, 3],
            level_wh=rng.uniform(0, 10_000, 6),
            simulated_at_s=cycle_s - 60.0,
        ),
        evs=evs(
            4,
            user=[0, 1, 2, 3],
            mode_setting=[EV_CHARGING, EV_DISCHARGING, EV_CHARGING, EV_DISCHARGING],
            simulated_at_s=cycle_s - 3_600.0,
        ),
    )


def _assert_same(a: FleetResult, b: FleetResult) -> None:
    for kind_a, kind_b in zip(dataclasses.astuple(a), dataclasses.astuple(b), strict=True):
        for column_a, column_b in zip(kind_a, kind_b, strict=True):
            np.testing.assert_array_equal(column_a, column_b)


def _carry_over(inp: FleetInput, result: FleetResult, cycle_at: datetime) -> FleetInput:
    """The next cycle's input, with the storage state the previous cycle produced."""
    bats, evs_ = inp.batteries, inp.evs
    return dataclasses.replace(
        inp,
        cycle_at=cycle_at,
        batteries=BatteryArrays(
            key=bats.key,
            user=bats.user,
            capacity_wh=bats.capacity_wh,
            c_rate=bats.c_rate,
            level_wh=result.batteries.level_wh,
            simulated_at_s=result.batteries.simulated_at_s,
            flow_w=result.batteries.flow_w,
        ),
        evs=EVArrays(
            key=evs_.key,
            user=evs_.user,
            capacity_kwh=evs_.capacity_kwh,
            charge_kwh=result.evs.charge_kwh,
            charge_rate_kw=evs_.charge_rate_kw,
            driving_kwh_per_h=evs_.driving_kwh_per_h,
            mode_setting=evs_.mode_setting,
            last_seen_at_s=result.evs.last_seen_at_s,
            simulated_at_s=result.evs.simulated_at_s,
            flow_w=result.evs.flow_w,
        ),
    )


class TestDeterminism:
    @pytest.mark.parametrize("hour", [0, 6, 12, 18])
    def test_same_inputs_give_the_same_outputs(self, hour):
        cycle_at = CYCLE_AT.replace(hour=hour)
        _assert_same(simulate_fleet(_mixed_fleet(cycle_at)), simulate_fleet(_mixed_fleet(cycle_at)))

    def test_inputs_are_not_modified(self):
        inp = _mixed_fleet(CYCLE_AT)
        before = dataclasses.astuple(inp.batteries), dataclasses.astuple(inp.evs)
        copies = [[c.copy() for c in kind] for kind in before]
        simulate_fleet(inp)
        for kind, copy in zip(before, copies, strict=True):
            for column, saved in zip(kind, copy, strict=True):
                np.testing.assert_array_equal(column, saved)

    def test_another_cycle_draws_other_cloud_factors(self):
        noon = datetime(2025, 6, 21, 19, 50, tzinfo=UTC)
        solar = panels(50, latitude=34.05, longitude=-118.24, max_capacity_w=1e9)
        first = simulate_fleet(fleet(noon, solar=solar)).solar.power_w
        later = simulate_fleet(fleet(noon + timedelta(seconds=1), solar=solar)).solar.power_w
        assert not np.allclose(first / later, first[0] / later[0])


class TestReplay:
    def test_re_running_a_cycle_changes_nothing(self):
        inp = _mixed_fleet(CYCLE_AT)
        first = simulate_fleet(inp)
        rerun = simulate_fleet(_carry_over(inp, first, CYCLE_AT))
        # A replay reports the same readings and state; only "what this call advanced" is zero.
        assert rerun.batteries.elapsed_s.tolist() == [0.0] * 6
        assert rerun.evs.elapsed_s.tolist() == [0.0] * 4
        assert rerun.evs.driven_kwh.tolist() == [0.0] * 4
        expected = dataclasses.replace(
            first,
            batteries=dataclasses.replace(first.batteries, elapsed_s=np.zeros(6)),
            evs=dataclasses.replace(
                first.evs, elapsed_s=np.zeros(4), connected_s=np.zeros(4), driven_kwh=np.zeros(4)
            ),
        )
        _assert_same(rerun, expected)

    def test_an_older_cycle_changes_nothing(self):
        inp = _mixed_fleet(CYCLE_AT)
        first = simulate_fleet(inp)
        older = simulate_fleet(_carry_over(inp, first, CYCLE_AT - timedelta(seconds=30)))
        np.testing.assert_array_equal(older.batteries.level_wh, first.batteries.level_wh)
        np.testing.assert_array_equal(older.batteries.flow_w, first.batteries.flow_w)
        np.testing.assert_array_equal(older.batteries.simulated_at_s, [CYCLE_S] * 6)
        np.testing.assert_array_equal(older.evs.charge_kwh, first.evs.charge_kwh)
        np.testing.assert_array_equal(older.evs.simulated_at_s, [CYCLE_S] * 4)

    def test_next_cycle_advances_by_its_own_elapsed_time(self):
        inp = _mixed_fleet(CYCLE_AT)
        first = simulate_fleet(inp)
        after = simulate_fleet(_carry_over(inp, first, CYCLE_AT + timedelta(seconds=90)))
        assert after.batteries.elapsed_s.tolist() == [90.0] * 6
        np.testing.assert_allclose(
            after.batteries.level_wh,
            first.batteries.level_wh + after.batteries.flow_w * 90.0 / 3600.0,
        )


class TestInputValidation:
    def test_user_index_out_of_range_is_refused(self):
        with pytest.raises(ValueError, match="generators.user"):
            simulate_fleet(fleet(CYCLE_AT, generators=generators([1.0], user=1)))

    def test_columns_of_different_lengths_are_refused(self):
        with pytest.raises(ValueError, match="rated_power_w"):
            GeneratorArrays(
                key=np.array([1], dtype=np.uint64),
                user=np.array([0]),
                rated_power_w=np.array([1.0, 2.0]),
            )

    def test_naive_cycle_time_is_refused(self):
        with pytest.raises(ValueError, match="timezone-aware"):
            simulate_fleet(fleet(datetime(2025, 1, 1)))

    def test_unknown_ev_mode_is_refused(self):
        with pytest.raises(ValueError, match="mode_setting"):
            simulate_fleet(fleet(CYCLE_AT, evs=evs(mode_setting=7)))

    def test_an_empty_batch_gives_empty_results(self):
        result = simulate_fleet(fleet(CYCLE_AT, homes=users()))
        assert result.users.net_grid_flow_w.shape == (0,)
        assert result.evs.charge_kwh.shape == (0,)
