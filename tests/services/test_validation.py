"""app/services/validation.py: every check names its field and refuses what it must."""

from __future__ import annotations

import math

import pytest

from app.errors import BadUserInput
from app.services import validation as v


def _refused(fn, *args, **kwargs) -> str:
    with pytest.raises(BadUserInput) as info:
        fn(*args, **kwargs)
    return info.value.message


class TestName:
    @pytest.mark.parametrize("value", ["", " ", "\t\n ", "x" * 101, "a\x00b"])
    def test_refuses_blank_overlong_and_nul(self, value):
        assert _refused(v.name, "name", value).startswith("name: ")

    def test_trims_surrounding_whitespace(self):
        assert v.name("name", "  Roof south \n") == "Roof south"

    def test_length_is_checked_after_trimming(self):
        assert v.name("name", " " + "x" * 100 + " ") == "x" * 100


class TestNumbers:
    @pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
    def test_non_finite_is_refused(self, value):
        assert _refused(v.positive, "capacityWh", value) == "capacityWh: must be a finite number"

    @pytest.mark.parametrize("value", [0.0, -0.0, -1e-9])
    def test_positive_refuses_zero_and_below(self, value):
        assert _refused(v.positive, "capacityWh", value) == "capacityWh: must be greater than 0"

    def test_positive_refuses_above_the_maximum(self):
        message = _refused(v.positive, "capacityWh", 11.0, maximum=10.0)
        assert message == "capacityWh: must be at most 10"

    def test_non_negative_accepts_zero_and_refuses_below(self):
        assert v.non_negative("level", 0.0) == 0.0
        assert _refused(v.non_negative, "level", -0.5) == "level: must not be negative"

    def test_integers_come_back_as_floats(self):
        assert isinstance(v.positive("capacityWh", 5), float)

    @pytest.mark.parametrize(
        ("value", "ok"), [(0.0, False), (1e-12, True), (1.0, True), (1.0000001, False)]
    )
    def test_open_low_bound(self, value, ok):
        if ok:
            assert v.in_range("efficiency", value, 0.0, 1.0, low_open=True) == value
        else:
            message = _refused(v.in_range, "efficiency", value, 0.0, 1.0, low_open=True)
            assert message == "efficiency: must be within (0, 1]"

    @pytest.mark.parametrize(("fn", "bad"), [(v.latitude, 90.5), (v.longitude, -180.5)])
    def test_coordinates(self, fn, bad):
        assert fn("where", 0.0) == 0.0
        assert _refused(fn, "where", bad).startswith("where: must be within [")


class TestUsername:
    @pytest.mark.parametrize("value", ["alice", "a.b-c_d@e", "abc", "x" * 64])
    def test_accepts_letters_digits_and_punctuation(self, value):
        assert v.username(value) == value

    @pytest.mark.parametrize(
        "value", ["ab", "x" * 65, "al ice", "alice\n", "\nalice", "ali\x00ce", "Ωmega", ""]
    )
    def test_refuses_everything_else(self, value):
        assert _refused(v.username, value).startswith("username: ")


class TestPassword:
    def test_length_bounds(self):
        assert v.password("x" * 8) == "x" * 8
        assert v.password("x" * 256) == "x" * 256
        assert _refused(v.password, "x" * 7) == "password: must be at least 8 characters"
        assert _refused(v.password, "x" * 257) == "password: must be at most 256 characters"


class TestTimezone:
    @pytest.mark.parametrize("value", ["Europe/Berlin", "UTC", "America/Los_Angeles"])
    def test_accepts_iana_names(self, value):
        assert v.timezone("timezone", value) == value

    @pytest.mark.parametrize("value", ["Mars/Olympus", "", "../../etc/passwd", "a\x00b", "+01:00"])
    def test_refuses_others(self, value):
        assert _refused(v.timezone, "timezone", value).startswith("timezone: ")
