"""Time arithmetic of tariffs: UTC quarter-hour indices, local minutes of the week, and the
weekly segments of time-of-use windows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from app.tariffs.model import MINUTES_PER_DAY, MINUTES_PER_WEEK, SLOT, Window


def week_segments(windows: Sequence[Window]) -> list[tuple[int, int, int]]:
    """(start, end, window index) in minutes of the week for every day of every window, sorted.

    A window starting on SUNDAY and crossing midnight wraps into Monday morning: it gives two
    segments, [start, 10080) and [0, end).
    """
    segments: list[tuple[int, int, int]] = []
    for index, window in enumerate(windows):
        for day in window.days:
            start = day * MINUTES_PER_DAY + window.start_minute
            end = day * MINUTES_PER_DAY + window.end_minute
            if window.crosses_midnight:
                end += MINUTES_PER_DAY
            if end > MINUTES_PER_WEEK:
                segments.append((start, MINUTES_PER_WEEK, index))
                segments.append((0, end - MINUTES_PER_WEEK, index))
            else:
                segments.append((start, end, index))
    segments.sort()
    return segments


def minute_of_week(when: datetime, tz: tzinfo) -> int:
    """Minutes since the local Monday 00:00 of the week holding `when` (aware) in `tz`."""
    local = when.astimezone(tz)
    return local.weekday() * MINUTES_PER_DAY + local.hour * 60 + local.minute


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def quarter_index(when: datetime) -> int:
    """Index of the UTC quarter hour holding `when` (aware): floor(epoch seconds / 900)."""
    return (when - EPOCH) // SLOT


def quarter_ceil(when: datetime) -> int:
    """Index of the first UTC quarter hour starting at or after `when` (aware)."""
    return -((EPOCH - when) // SLOT)


def quarter_start(index: int) -> datetime:
    """UTC start of quarter hour `index`."""
    return EPOCH + index * SLOT
