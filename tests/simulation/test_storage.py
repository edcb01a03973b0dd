"""Storage stepping helpers: elapsed time, replays, power limits, sharing, level bookkeeping."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.simulation.storage import (
    advance_level_wh,
    battery_power_limits_w,
    elapsed_s,
    energy_limited_power_w,
    replay_mask,
    share_by_limit,
)

CYCLE_S = 1_750_000_000.0
NAN = math.nan


class TestElapsedS:
    @pytest.mark.parametrize(
        ("simulated_at_s", "expected_s"),
        [
            (CYCLE_S - 60.0, 60.0),  # the usual one-cycle step
            (CYCLE_S - 3 * 86_400.0, 86_400.0),  # capped at max_elapsed_s
            (CYCLE_S, 0.0),  # the same cycle again
            (CYCLE_S + 60.0, 0.0),  # an older cycle: never negative
            (NAN, 0.0),  # never simulated
        ],
    )
    def test_clips_to_zero_and_the_cap(self, simulated_at_s, expected_s):
        result = elapsed_s(CYCLE_S, np.array([simulated_at_s]), 86_400.0)
        assert result.tolist() == [expected_s]


class TestReplayMask:
    @pytest.mark.parametrize(
        ("simulated_at_s", "expected"),
        [(CYCLE_S - 1.0, False), (CYCLE_S, True), (CYCLE_S + 1.0, True), (NAN, False)],
    )
    def test_replays_cycles_not_after_the_last_simulated_instant(self, simulated_at_s, expected):
        assert replay_mask(CYCLE_S, np.array([simulated_at_s])).tolist() == [expected]


class TestEnergyLimitedPowerW:
    @pytest.mark.parametrize(
        ("room_wh", "dt_s", "expected_w"),
        [
            (10.0, 60.0, 600.0),
            (0.0, 60.0, 0.0),
            (-5.0, 60.0, 0.0),
            (10.0, 0.0, math.inf),
            (0.0, 0.0, 0.0),
        ],
    )
    def test_moves_at_most_the_room_over_the_interval(self, room_wh, dt_s, expected_w):
        result = energy_limited_power_w(np.array([room_wh]), np.array([dt_s]))
        assert result.tolist() == [expected_w]


class TestBatteryPowerLimitsW:
    @pytest.mark.parametrize(
        ("level_wh", "dt_s", "expected_charge_w", "expected_discharge_w"),
        [
            (5_000.0, 60.0, 5_000.0, 5_000.0),  # C-rate both ways: 10 kWh x 0.5 /h
            (9_990.0, 60.0, 600.0, 5_000.0),  # nearly full: only 10 Wh fit in a minute
            (5.0, 60.0, 5_000.0, 300.0),  # nearly empty: only 5 Wh left
            (10_000.0, 0.0, 0.0, 5_000.0),  # full and no time: no charging
            (0.0, 0.0, 5_000.0, 0.0),  # empty and no time: no discharging
        ],
    )
    def test_c_rate_and_energy_limits(
        self, level_wh, dt_s, expected_charge_w, expected_discharge_w
    ):
        charge, discharge = battery_power_limits_w(
            np.array([10_000.0]), np.array([0.5]), np.array([level_wh]), np.array([dt_s])
        )
        assert charge[0] == pytest.approx(expected_charge_w)
        assert discharge[0] == pytest.approx(expected_discharge_w)


class TestShareByLimit:
    def test_splits_in_proportion_to_limits_within_each_home(self):
        user = np.array([0, 0, 1, 1])
        limit = np.array([5_000.0, 2_500.0, 1_000.0, 1_000.0])
        demand = np.array([3_000.0, 10_000.0])
        np.testing.assert_allclose(
            share_by_limit(demand, limit, user, 2), [2_000.0, 1_000.0, 1_000.0, 1_000.0]
        )

    def test_home_without_capacity_gets_nothing(self):
        result = share_by_limit(np.array([500.0]), np.array([0.0, 0.0]), np.array([0, 0]), 1)
        assert result.tolist() == [0.0, 0.0]


class TestAdvanceLevelWh:
    @pytest.mark.parametrize(
        ("level_wh", "flow_w", "dt_s", "expected_wh"),
        [
            (5_000.0, 3_600.0, 60.0, 5_060.0),
            (5_000.0, -1_800.0, 3_600.0, 3_200.0),
            (5_000.0, 1_000.0, 0.0, 5_000.0),
        ],
    )
    def test_energy_is_flow_times_elapsed(self, level_wh, flow_w, dt_s, expected_wh):
        result = advance_level_wh(
            np.array([level_wh]), np.array([flow_w]), np.array([dt_s]), np.array([10_000.0])
        )
        assert result[0] == pytest.approx(expected_wh)
