"""The price in force at an instant, and `prices(tariff, slots, tz, start, end)`.

A TIME_OF_USE tariff is compiled once into a `WeekSchedule`: the week (Monday 00:00 to the next
Monday 00:00, local wall clock, in minutes) cut into segments, each with its prices; the gaps
between windows carry the fallback prices. The price at an instant is the segment holding the
instant's local minute of the week, so windows follow the home's clock across DST: on the day
clocks go forward the skipped hour has no slots, on the day they go back the repeated hour is
priced twice by the same window (a local day has 92, 96 or 100 quarter-hour slots).

Slots are UTC quarter hours ([k * 900 s, (k + 1) * 900 s) since the epoch); a slot is priced at its
start. Every zone in use today has an offset of whole quarter hours, so a UTC quarter hour is a
local quarter hour and windows (on the quarter hour) never cut a slot.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache

from app.tariffs.clock import (
    minute_of_week,
    quarter_ceil,
    quarter_index,
    quarter_start,
    week_segments,
)
from app.tariffs.model import (
    MINUTES_PER_WEEK,
    SLOT,
    PricedSlot,
    PriceSlot,
    Tariff,
    TariffKind,
)
from app.tariffs.validation import validate_range


@dataclass(frozen=True, slots=True)
class WeekSchedule:
    """Segments covering the whole week: segment i is [starts[i], starts[i + 1]) (the last one
    ends at 10080), minutes of the local week from Monday 00:00."""

    starts: tuple[int, ...]
    import_prices: tuple[float, ...]
    export_prices: tuple[float, ...]

    def index_at(self, minute_of_week: int) -> int:
        return bisect.bisect_right(self.starts, minute_of_week) - 1


@lru_cache(maxsize=8192)
def week_schedule(tariff: Tariff) -> WeekSchedule:
    """The tariff's week (one fallback segment unless TIME_OF_USE); windows must not overlap."""
    fallback = (tariff.fallback_import, tariff.fallback_export)
    starts: list[int] = []
    prices: list[tuple[float, float]] = []

    def push(start: int, price: tuple[float, float]) -> None:
        if prices and prices[-1] == price:
            return  # merge equal neighbours: fewer segments to search
        starts.append(start)
        prices.append(price)

    cursor = 0
    if tariff.kind is TariffKind.TIME_OF_USE:
        for start, end, index in week_segments(tariff.windows):
            window = tariff.windows[index]
            if start > cursor:
                push(cursor, fallback)
            push(start, (window.import_price_per_kwh, window.export_price_per_kwh))
            cursor = end
    if cursor < MINUTES_PER_WEEK or not starts:
        push(cursor, fallback)
    return WeekSchedule(
        starts=tuple(starts),
        import_prices=tuple(p[0] for p in prices),
        export_prices=tuple(p[1] for p in prices),
    )


def slot_map(slots: Iterable[PriceSlot]) -> dict[int, PriceSlot]:
    """Uploaded slots by quarter index (a later slot for the same quarter wins)."""
    return {quarter_index(slot.start): slot for slot in slots}


def price_at(
    tariff: Tariff, slots: dict[int, PriceSlot], tz: tzinfo, quarter: int
) -> tuple[float, float]:
    """(import, export) price per kWh in force during UTC quarter hour `quarter` at a home in tz."""
    if tariff.kind is TariffKind.DYNAMIC:
        slot = slots.get(quarter)
        if slot is None:
            return tariff.fallback_import, tariff.fallback_export
        export = slot.export_price_per_kwh
        return slot.import_price_per_kwh, tariff.fallback_export if export is None else export
    schedule = week_schedule(tariff)
    if len(schedule.starts) == 1:
        return schedule.import_prices[0], schedule.export_prices[0]
    i = schedule.index_at(minute_of_week(quarter_start(quarter), tz))
    return schedule.import_prices[i], schedule.export_prices[i]


def prices(
    tariff: Tariff, slots: Iterable[PriceSlot], tz: tzinfo, start: datetime, end: datetime
) -> list[PricedSlot]:
    """The prices in force per 15-minute slot for every slot overlapping [start, end).

    The range is checked first (`validation.validate_range`: aware, end after start, at most
    31 days; TariffInputError naming `from`/`to`). The first slot starts at `start` floored to
    the quarter hour, the last ends at `end` rounded up. For a local day (local midnight to the
    next), 92, 96 or 100 slots.
    """
    start, end = validate_range(start, end)
    by_quarter = slot_map(slots) if tariff.kind is TariffKind.DYNAMIC else {}
    out: list[PricedSlot] = []
    for quarter in range(quarter_index(start), quarter_ceil(end)):
        slot_start = quarter_start(quarter)
        import_price, export_price = price_at(tariff, by_quarter, tz, quarter)
        out.append(PricedSlot(slot_start, slot_start + SLOT, import_price, export_price))
    return out
