"""Deterministic per-(device, cycle, stream) uniforms."""

from __future__ import annotations

import numpy as np
import pytest

from app.simulation.rng import STREAM_CLOUD, STREAM_GENERATOR, splitmix64, uniform

KEYS = np.arange(1, 100_001, dtype=np.uint64)
CYCLE_S = 1_750_000_000


class TestSplitmix64:
    def test_matches_the_reference_sequence(self):
        # SplitMix64 seeded with 0 (Vigna's splitmix64.c): the first output.
        assert int(splitmix64(np.array([0], dtype=np.uint64))[0]) == 0xE220A8397B1DCDAF


class TestUniform:
    def test_same_inputs_give_the_same_numbers(self):
        np.testing.assert_array_equal(
            uniform(KEYS, CYCLE_S, STREAM_CLOUD), uniform(KEYS.copy(), CYCLE_S, STREAM_CLOUD)
        )

    def test_values_lie_in_the_unit_interval_and_look_uniform(self):
        u = uniform(KEYS, CYCLE_S, STREAM_CLOUD)
        assert u.min() >= 0.0
        assert u.max() < 1.0
        assert u.mean() == pytest.approx(0.5, abs=0.005)
        histogram, _ = np.histogram(u, bins=10, range=(0.0, 1.0))
        assert histogram.min() > 9_500

    @pytest.mark.parametrize(
        ("other_cycle_s", "other_stream"),
        [(CYCLE_S, STREAM_GENERATOR), (CYCLE_S + 1, STREAM_CLOUD), (CYCLE_S - 60, STREAM_CLOUD)],
    )
    def test_other_streams_and_cycles_are_uncorrelated(self, other_cycle_s, other_stream):
        u = uniform(KEYS, CYCLE_S, STREAM_CLOUD)
        v = uniform(KEYS, other_cycle_s, other_stream)
        assert abs(np.corrcoef(u, v)[0, 1]) < 0.02
        assert np.mean(u == v) < 1e-4

    def test_instants_before_1970_are_accepted(self):
        u = uniform(KEYS[:10], -86_400 * 365 * 20, STREAM_CLOUD)
        assert np.all((u >= 0.0) & (u < 1.0))
