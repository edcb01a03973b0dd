"""Default controls reproduce the engine's numbers from before device controls, exactly."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from app.simulation.control import (
    BatteryControls,
    EVControls,
    GeneratorControls,
    PriceHorizon,
)
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


def test_explicit_default_controls_reproduce_the_golden_readings_exactly() -> None:
    """The pipeline always passes controls: their defaults are the original engine too."""
    expected = np.load(golden.PATH)
    base = golden.fleet(golden.START)
    got = golden.run(
        replace(
            base,
            ev_controls=EVControls.defaults(len(base.evs)),
            battery_controls=BatteryControls.defaults(len(base.batteries)),
            generator_controls=GeneratorControls.defaults(len(base.generators)),
            prices=PriceHorizon(golden.START.timestamp(), np.full((len(base.users), 4), np.nan)),
        )
    )
    for name in expected.files:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
