"""Default controls reproduce the engine's numbers from before device controls, exactly."""

from __future__ import annotations

import numpy as np

from tests.simulation import golden


def test_two_days_reproduce_the_golden_readings_exactly() -> None:
    expected = np.load(golden.PATH)
    got = golden.run()
    assert sorted(got) == sorted(expected.files)
    for name in expected.files:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    # The run exercises what it pins: storage moves, the EV commutes, the generator runs.
    assert np.ptp(expected["battery_level_wh"], axis=0).min() > 0.0
    assert (expected["ev_mode"] == 2).any()
    assert (expected["ev_mode"] != 2).any()
    assert (expected["generator_power_w"] > 0.0).all()
