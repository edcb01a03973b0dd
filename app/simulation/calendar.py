"""Local calendars of homes: IANA zones and local midnights (pure; for history and the cycle)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; an unknown name falls back to UTC rather than failing a cycle."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """First instant (UTC) of local calendar day `day`; after a midnight DST gap, the transition."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def local_day_start(instant: datetime, tz: ZoneInfo) -> datetime:
    """Start (UTC) of the local calendar day containing `instant`."""
    return local_midnight(instant.astimezone(tz).date(), tz)
