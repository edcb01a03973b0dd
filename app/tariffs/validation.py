"""Check client input and build validated tariffs, price slots and price ranges.

Every function collects the problems of one input (each naming its field, see `errors.py`) and
raises one `TariffInputError` with all of them, so the caller writes nothing. Work is linear in
the input size: one pass over fields and slots, and window overlaps by sorting the windows'
weekly segments once and sweeping them (no pairwise comparison). Rules: docs/tariffs.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache

import pycountry

from app.tariffs.clock import quarter_index, week_segments
from app.tariffs.errors import FieldError, TariffInputError
from app.tariffs.model import (
    MAX_ABS_PRICE,
    MAX_PRICE_RANGE,
    MAX_SLOTS_PER_UPLOAD,
    MAX_WINDOWS,
    MINUTES_PER_DAY,
    PriceSlot,
    SlotInput,
    Tariff,
    TariffInput,
    TariffKind,
    Weekday,
    Window,
    WindowInput,
    format_minute,
)

MAX_REPORTED_ERRORS = 100
"""Problems listed in one error at most (a 1,000-slot upload of garbage needs no 2,000 lines)."""
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
"""Instants (slot starts, range ends) must lie in [EARLIEST, LATEST]."""

# ISO 4217 codes that do not denote money a household is billed in: precious metals, bond-market
# and accounting units, the testing code and "no currency".
NON_MONEY_CODES = frozenset(
    {"XAG", "XAU", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XAD", "XTS"}
    | {"XXX"}
)
_TIME = re.compile(r"(?P<h>[0-9]{2}):(?P<m>[0-9]{2})")


class _Problems:
    """Collects FieldErrors, up to MAX_REPORTED_ERRORS."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, problem: str) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(FieldError(field, problem))

    def raise_any(self) -> None:
        if self.errors:
            raise TariffInputError(self.errors)


@cache
def currency_codes() -> frozenset[str]:
    """Active ISO 4217 codes (from pycountry's copy of the ISO list) that are money."""
    return frozenset(c.alpha_3 for c in pycountry.currencies) - NON_MONEY_CODES


def _currency(value: object, problems: _Problems) -> str:
    if not isinstance(value, str):
        problems.add("currency", "must be an ISO 4217 code such as EUR")
        return ""
    code = value.strip().upper()
    if code not in currency_codes():
        problems.add("currency", f"{value!r} is not an ISO 4217 currency code (such as EUR, USD)")
    return code


def _amount(
    value: object, field: str, problems: _Problems, *, allow_negative: bool, what: str = "price"
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.add(field, f"must be a number, got {value!r}")
        return 0.0
    amount = float(value)
    if not math.isfinite(amount):
        problems.add(field, f"must be a finite number, got {value!r}")
    elif abs(amount) > MAX_ABS_PRICE:
        problems.add(field, f"{amount:g} is out of range (at most {MAX_ABS_PRICE:,.0f} by size)")
    elif amount < 0 and not allow_negative:
        problems.add(field, f"must not be negative ({what}), got {amount:g}")
    return amount


def _optional_amount(
    value: object, field: str, problems: _Problems, *, allow_negative: bool, what: str = "price"
) -> float | None:
    if value is None:
        return None
    return _amount(value, field, problems, allow_negative=allow_negative, what=what)


def parse_time(value: object, field: str, problems: _Problems, *, is_end: bool) -> int | None:
    """Minute of the day of an 'HH:MM' on the quarter hour; an end of '00:00' is 1440."""
    if not isinstance(value, str) or (match := _TIME.fullmatch(value)) is None:
        problems.add(field, f"{value!r} is not a time 'HH:MM'")
        return None
    hours, minutes = int(match["h"]), int(match["m"])
    if hours == 24 and minutes == 0:
        problems.add(field, "'24:00' is not a time; use '00:00' for midnight")
        return None
    if hours > 23 or minutes > 59:
        problems.add(field, f"{value!r} is not a time 'HH:MM'")
        return None
    if minutes % 15:
        problems.add(field, f"{value!r} is not on the quarter hour (:00, :15, :30 or :45)")
        return None
    minute = hours * 60 + minutes
    return MINUTES_PER_DAY if is_end and minute == 0 else minute


def _weekday(value: object) -> Weekday | None:
    if isinstance(value, Weekday):
        return value
    if isinstance(value, str) and value in Weekday.__members__:
        return Weekday[value]
    return None


def _window(index: int, value: WindowInput, problems: _Problems) -> Window | None:
    path = f"windows[{index}]"
    ok = True
    days: list[Weekday] = []
    if not value.days:
        problems.add(f"{path}.days", "must name at least one weekday")
        ok = False
    for d, raw in enumerate(value.days or ()):
        day = _weekday(raw)
        if day is None:
            problems.add(f"{path}.days[{d}]", f"{raw!r} is not a weekday (MONDAY ... SUNDAY)")
            ok = False
        elif day not in days:
            days.append(day)
    start = parse_time(value.start_time, f"{path}.startTime", problems, is_end=False)
    end = parse_time(value.end_time, f"{path}.endTime", problems, is_end=True)
    if start is not None and end is not None and start == end:
        # "07:00"-"07:00" is either empty or 24 hours by mistake; a whole day is "00:00"-"00:00".
        problems.add(
            f"{path}.endTime",
            f"equals startTime {value.start_time!r}: a window cannot be empty "
            "(a whole day is '00:00' to '00:00')",
        )
        ok = False
    import_price = _amount(
        value.import_price_per_kwh,
        f"{path}.importPricePerKwh",
        problems,
        allow_negative=False,
        what="negative import prices are for DYNAMIC slots only",
    )
    export_price = _amount(
        value.export_price_per_kwh, f"{path}.exportPricePerKwh", problems, allow_negative=True
    )
    if not ok or start is None or end is None:
        return None
    return Window(
        days=tuple(sorted(days)),
        start_minute=start,
        end_minute=end,
        import_price_per_kwh=import_price,
        export_price_per_kwh=export_price,
    )


def _describe_minute_of_week(minute: int) -> str:
    day, rest = divmod(minute, MINUTES_PER_DAY)
    return f"{Weekday(day).name} {format_minute(rest)}"


def _check_overlaps(windows: Sequence[Window], problems: _Problems) -> None:
    """Report each window that overlaps another (same local weekday and time), sort then sweep."""
    segments = week_segments(windows)  # sorted by start: (start, end, window index)
    active_end = -1
    active_index = -1
    reported: set[tuple[int, int]] = set()
    for start, end, index in segments:
        if start < active_end and index != active_index:
            pair = (min(index, active_index), max(index, active_index))
            if pair not in reported:
                reported.add(pair)
                problems.add(
                    f"windows[{pair[1]}]",
                    f"overlaps windows[{pair[0]}] at {_describe_minute_of_week(start)}",
                )
        if end > active_end:
            active_end, active_index = end, index


def validate_tariff(value: TariffInput) -> Tariff:
    """The validated Tariff for `value`, or TariffInputError naming every bad field."""
    problems = _Problems()
    kind: TariffKind | None
    try:
        kind = TariffKind(value.kind)
    except ValueError:
        problems.add("kind", f"{value.kind!r} is not one of FIXED, TIME_OF_USE, DYNAMIC")
        kind = None
    currency = _currency(value.currency, problems)
    daily = _amount(
        value.daily_fixed_charge,
        "dailyFixedCharge",
        problems,
        allow_negative=False,
        what="a standing charge",
    )
    import_price = _optional_amount(
        value.import_price_per_kwh,
        "importPricePerKwh",
        problems,
        allow_negative=False,
        what="negative import prices are for DYNAMIC slots only",
    )
    export_price = _optional_amount(
        value.export_price_per_kwh, "exportPricePerKwh", problems, allow_negative=True
    )
    if kind is TariffKind.FIXED and value.import_price_per_kwh is None:
        problems.add("importPricePerKwh", "is required for a FIXED tariff")
    windows: list[Window] = []
    raw_windows = value.windows or ()
    if kind is TariffKind.TIME_OF_USE:
        if not raw_windows:
            problems.add("windows", "a TIME_OF_USE tariff needs at least one window")
        elif len(raw_windows) > MAX_WINDOWS:
            problems.add("windows", f"{len(raw_windows)} windows; at most {MAX_WINDOWS}")
        else:
            parsed = [_window(i, w, problems) for i, w in enumerate(raw_windows)]
            windows = [w for w in parsed if w is not None]
            if len(windows) == len(parsed):
                _check_overlaps(windows, problems)
    elif kind is not None and raw_windows:
        problems.add("windows", f"only a TIME_OF_USE tariff has windows (this one is {kind})")
    problems.raise_any()
    assert kind is not None  # an unknown kind was reported above
    if kind is TariffKind.FIXED and export_price is None:
        export_price = 0.0
    return Tariff(
        kind=kind,
        currency=currency,
        daily_fixed_charge=daily,
        import_price_per_kwh=import_price,
        export_price_per_kwh=export_price,
        windows=tuple(windows),
    )


def _instant(value: object, field: str, problems: _Problems) -> datetime | None:
    if not isinstance(value, datetime):
        problems.add(field, f"must be a date-time, got {value!r}")
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        problems.add(field, "needs a UTC offset (such as 2026-03-29T00:00:00+01:00 or ...Z)")
        return None
    utc = value.astimezone(UTC)
    if not EARLIEST <= utc <= LATEST:
        problems.add(field, f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
        return None
    return utc


def validate_upload(slots: Sequence[SlotInput], tariff: Tariff | None) -> tuple[PriceSlot, ...]:
    """The validated DYNAMIC price slots of one upload (UTC starts), or TariffInputError.

    At most MAX_SLOTS_PER_UPLOAD slots; starts on :00/:15/:30/:45 UTC, no start twice; prices
    finite, negative allowed (import and export). The home's tariff must be DYNAMIC.
    """
    problems = _Problems()
    if tariff is None:
        problems.add("prices", "the home has no tariff; set a DYNAMIC tariff first")
    elif tariff.kind is not TariffKind.DYNAMIC:
        problems.add("prices", f"the home's tariff is {tariff.kind}; prices are for DYNAMIC")
    if len(slots) > MAX_SLOTS_PER_UPLOAD:
        problems.add("prices", f"{len(slots):,} slots; at most {MAX_SLOTS_PER_UPLOAD:,} per upload")
    problems.raise_any()
    seen: dict[int, int] = {}
    out: list[PriceSlot] = []
    for i, slot in enumerate(slots):
        path = f"prices[{i}]"
        start = _instant(slot.start, f"{path}.start", problems)
        if start is not None:
            if start.second or start.microsecond or start.minute % 15:
                problems.add(
                    f"{path}.start",
                    f"{start:%H:%M:%S} UTC is not on a quarter hour (:00, :15, :30 or :45)",
                )
                start = None
            else:
                quarter = quarter_index(start)
                if (first := seen.setdefault(quarter, i)) != i:
                    problems.add(f"{path}.start", f"the same slot as prices[{first}].start")
        import_price = _amount(
            slot.import_price_per_kwh, f"{path}.importPricePerKwh", problems, allow_negative=True
        )
        export_price = _optional_amount(
            slot.export_price_per_kwh, f"{path}.exportPricePerKwh", problems, allow_negative=True
        )
        if start is not None:
            out.append(PriceSlot(start, import_price, export_price))
    problems.raise_any()
    return tuple(out)


def validate_range(start: object, end: object) -> tuple[datetime, datetime]:
    """(from, to) as UTC instants for `prices(from, to)`: to after from, at most MAX_PRICE_RANGE."""
    problems = _Problems()
    utc_start = _instant(start, "from", problems)
    utc_end = _instant(end, "to", problems)
    if utc_start is not None and utc_end is not None:
        if utc_end <= utc_start:
            problems.add("to", "must be after from")
        elif utc_end - utc_start > MAX_PRICE_RANGE:
            days = (utc_end - utc_start) / timedelta(days=1)
            problems.add("to", f"the range is {days:.4g} days; at most {MAX_PRICE_RANGE.days} days")
    problems.raise_any()
    assert utc_start is not None
    assert utc_end is not None
    return utc_start, utc_end
