"""Small builders and an independent reference for tariff tests."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, tzinfo

from app.tariffs import (
    PriceSlot,
    SlotColumns,
    Tariff,
    TariffInput,
    TariffKind,
    Weekday,
    WindowInput,
    validate_tariff,
)
from app.tariffs.clock import quarter_start

ALL_DAYS = tuple(Weekday)


def window(
    days: Sequence[Weekday | str], start: str, end: str, imp: float = 0.1, exp: float = 0.05
) -> WindowInput:
    return WindowInput(list(days), start, end, imp, exp)  # type: ignore[arg-type]


def tou(
    *windows: WindowInput, imp: float | None = 0.30, exp: float | None = 0.08, daily: float = 0.0
) -> Tariff:
    return validate_tariff(
        TariffInput(TariffKind.TIME_OF_USE, "EUR", daily, imp, exp, list(windows))
    )


def fixed(imp: float = 0.30, exp: float | None = 0.08, daily: float = 0.0) -> Tariff:
    return validate_tariff(TariffInput(TariffKind.FIXED, "EUR", daily, imp, exp))


def dynamic(imp: float | None = 0.25, exp: float | None = 0.07) -> Tariff:
    return validate_tariff(TariffInput(TariffKind.DYNAMIC, "EUR", 0.0, imp, exp))


def reference_tou_price(tariff: Tariff, when: datetime, tz: tzinfo) -> tuple[float, float]:
    """The TIME_OF_USE price at `when` straight from the windows' definition (no week table)."""
    local = when.astimezone(tz)
    weekday = local.weekday()
    minute = local.hour * 60 + local.minute
    previous_day = (weekday - 1) % 7
    for w in tariff.windows:
        days = {int(d) for d in w.days}
        if w.crosses_midnight:
            hit = (weekday in days and minute >= w.start_minute) or (
                previous_day in days and minute < w.end_minute
            )
        else:
            hit = weekday in days and w.start_minute <= minute < w.end_minute
        if hit:
            return w.import_price_per_kwh, w.export_price_per_kwh
    return tariff.fallback_import, tariff.fallback_export


def coverage_count(windows: Sequence[WindowInput]) -> list[int]:
    """How many windows cover each quarter hour of the week (672 entries), by brute force."""
    counts = [0] * 672
    for w in windows:
        sh, sm = map(int, w.start_time.split(":"))
        eh, em = map(int, w.end_time.split(":"))
        start = (sh * 60 + sm) // 15
        end = (eh * 60 + em) // 15 or 96
        length = end - start if end > start else end + 96 - start
        for day in set(w.days):
            for k in range(length):
                counts[(int(day) * 96 + start + k) % 672] += 1
    return counts


def as_price_slots(slots: Sequence[PriceSlot] | SlotColumns) -> list[PriceSlot]:
    """A HomeTariff's slots as PriceSlots, whichever form they were given in."""
    if not isinstance(slots, SlotColumns):
        return list(slots)
    return [
        PriceSlot(quarter_start(int(q)), float(i), None if math.isnan(e) else float(e))
        for q, i, e in zip(slots.quarters, slots.import_prices, slots.export_prices, strict=True)
    ]
