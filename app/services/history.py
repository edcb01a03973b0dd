"""Energy history: calendar buckets, validation and cursor pagination over the history tables.

Buckets:
- MINUTE, QUARTER_HOUR, HOUR: fixed UTC-aligned spans (every current UTC offset is a whole number
  of quarter hours, so quarter hours are also local ones; hours are UTC hours). A device's
  quarter hours come from its quarter-hour rows; its minutes exist only with
  HISTORY_DEVICE_MINUTE.
- DAY, MONTH: the user's local calendar (IANA timezone): a day runs from local midnight to the
  next one, so it is 23 or 25 hours long when the clocks change.

A page lists every bucket overlapping [from, to), oldest first, including buckets with no data
(all zeros), at most `first` of them (capped at MAX_PAGE_SIZE); `after` continues after a cursor.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.energy import EnergyFigures
from app.errors import BadUserInput
from app.repositories.history import HistoryRepository, HistoryTable
from app.simulation.calendar import local_midnight, zone

#: Hard cap on buckets per page (a day of minutes fits in two pages).
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
#: Accepted range of `from`/`to` (keeps calendar arithmetic far from datetime's limits).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


class Resolution(StrEnum):
    MINUTE = "MINUTE"
    QUARTER_HOUR = "QUARTER_HOUR"
    HOUR = "HOUR"
    DAY = "DAY"
    MONTH = "MONTH"


_FIXED_S = {Resolution.MINUTE: 60, Resolution.QUARTER_HOUR: 900, Resolution.HOUR: 3600}
_SOURCE = {
    Resolution.MINUTE: HistoryTable.MINUTE,
    Resolution.QUARTER_HOUR: HistoryTable.MINUTE,
    Resolution.HOUR: HistoryTable.HOUR,
    Resolution.DAY: HistoryTable.DAY,
    Resolution.MONTH: HistoryTable.DAY,
}


def bucket_floor(instant: datetime, resolution: Resolution, tz: ZoneInfo) -> datetime:
    """Start (UTC) of the bucket containing `instant`."""
    span = _FIXED_S.get(resolution)
    if span is not None:
        epoch = int(instant.timestamp() // span) * span
        return datetime.fromtimestamp(epoch, UTC)
    local = instant.astimezone(tz).date()
    if resolution is Resolution.MONTH:
        local = local.replace(day=1)
    return local_midnight(local, tz)


def bucket_end(start: datetime, resolution: Resolution, tz: ZoneInfo) -> datetime:
    """End (UTC, exclusive) of the bucket starting at `start`: the next bucket's start."""
    span = _FIXED_S.get(resolution)
    if span is not None:
        return start + timedelta(seconds=span)
    local = start.astimezone(tz).date()
    if resolution is Resolution.DAY:
        return local_midnight(local + timedelta(days=1), tz)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return local_midnight(date(year, month, 1), tz)


@dataclass(kw_only=True)
class Bucket(EnergyFigures):
    """Energy in one bucket (Wh, >= 0); net_grid_wh > 0 means imported from the grid.

    Money in the tariff's currency as recorded (0 without a tariff and on device buckets):
    `fixed_charge` is the sum of the fixed charges the bucket's day rows keep, so only DAY and
    MONTH buckets have one, and `net_cost` includes it."""

    start: datetime
    end: datetime
    import_cost: float = 0.0
    export_revenue: float = 0.0
    fixed_charge: float = 0.0

    @property
    def net_grid_wh(self) -> float:
        return self.imported_wh - self.exported_wh

    @property
    def net_cost(self) -> float:
        """import_cost - export_revenue + fixed_charge: > 0 paying."""
        return self.import_cost - self.export_revenue + self.fixed_charge

    def add(self, row: Any) -> None:
        self.produced_wh += row.produced_wh
        self.consumed_wh += row.consumed_wh
        self.charged_wh += row.charged_wh
        self.discharged_wh += row.discharged_wh
        self.imported_wh += row.imported_wh
        self.exported_wh += row.exported_wh
        self.import_cost += row.import_cost
        self.export_revenue += row.export_revenue
        self.fixed_charge += getattr(row, "fixed_charge", 0.0)


@dataclass
class Page:
    buckets: list[Bucket] = field(default_factory=list)
    has_next_page: bool = False


def encode_cursor(start: datetime) -> str:
    """Opaque cursor of the bucket starting at `start`."""
    return base64.urlsafe_b64encode(f"b:{int(start.timestamp())}".encode()).decode()


def decode_cursor(cursor: str) -> datetime:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        prefix, _, epoch = text.partition(":")
        if prefix != "b":
            raise ValueError(cursor)
        instant = datetime.fromtimestamp(int(epoch), UTC)
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError, OSError):
        raise BadUserInput("after", "is not a cursor returned by this connection") from None
    if not EARLIEST <= instant < LATEST:
        raise BadUserInput("after", "is not a cursor returned by this connection")
    return instant


def _aware(name: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise BadUserInput(name, "must include a timezone offset (ISO 8601, e.g. ...Z)")
    value = value.astimezone(UTC)
    if not EARLIEST <= value <= LATEST:
        raise BadUserInput(name, "must be between 1970-01-01 and 2200-01-01")
    return value


def validate_range(
    start: datetime, end: datetime, first: int | None
) -> tuple[datetime, datetime, int]:
    """Checked (from, to, first); BAD_USER_INPUT names the argument at fault."""
    start, end = _aware("from", start), _aware("to", end)
    if end <= start:
        raise BadUserInput("to", "must be after from")
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise BadUserInput("first", f"must be between 1 and {MAX_PAGE_SIZE}")
    return start, end, size


def plan_page(
    resolution: Resolution,
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
    first: int,
    after: datetime | None,
) -> Page:
    """The empty buckets of one page (no I/O)."""
    cursor = bucket_floor(start, resolution, tz)
    if after is not None:
        cursor = max(cursor, bucket_end(bucket_floor(after, resolution, tz), resolution, tz))
    page = Page()
    while cursor < end and len(page.buckets) <= first:
        stop = bucket_end(cursor, resolution, tz)
        page.buckets.append(Bucket(start=cursor, end=stop))
        cursor = stop
    if len(page.buckets) > first:
        page.buckets.pop()
        page.has_next_page = True
    return page


def fill(page: Page, rows: Sequence[Any], resolution: Resolution, tz: ZoneInfo) -> None:
    """Add stored rows into the page's buckets (rows outside them are ignored)."""
    span = _FIXED_S.get(resolution)
    if span is not None and page.buckets:
        # Fixed spans: the page's buckets are consecutive from an aligned start, so a row's
        # bucket is found by arithmetic (what `bucket_floor` computes, without a datetime per
        # row: a month of hours is 744 rows).
        first = page.buckets[0].start.timestamp()
        n = len(page.buckets)
        for row in rows:
            k = int((row.bucket_start.timestamp() - first) // span)
            if 0 <= k < n:
                page.buckets[k].add(row)
        return
    by_start = {b.start: b for b in page.buckets}
    for row in rows:
        bucket = by_start.get(bucket_floor(row.bucket_start, resolution, tz))
        if bucket is not None:
            bucket.add(row)


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One checked page request (hashable: the key of the request's history DataLoader).

    `home_timezone`: set for a home's totals (the home tables, on the home's calendar); None
    for a user's totals or a device (on the user's calendar)."""

    subject_id: uuid.UUID
    resolution: Resolution
    start: datetime
    end: datetime
    first: int
    after: datetime | None
    home_timezone: str | None = None
    #: A device's history: QUARTER_HOUR reads the devices' quarter-hour rows.
    device: bool = False


def page_request(
    subject_id: uuid.UUID,
    resolution: Resolution,
    start: datetime,
    end: datetime,
    first: int | None,
    after: str | None,
    *,
    home_timezone: str | None = None,
    device: bool = False,
    device_minute: bool = False,
) -> PageRequest:
    """Validate a page request's arguments; BAD_USER_INPUT names the argument at fault. A
    device has MINUTE history only with `device_minute` (HISTORY_DEVICE_MINUTE)."""
    if device and resolution is Resolution.MINUTE and not device_minute:
        raise BadUserInput(
            "resolution",
            "MINUTE is not kept for devices (finest: QUARTER_HOUR; "
            "HISTORY_DEVICE_MINUTE=true keeps it)",
        )
    start, end, size = validate_range(start, end, first)
    cursor = decode_cursor(after) if after is not None else None
    return PageRequest(subject_id, resolution, start, end, size, cursor, home_timezone, device)


async def history_pages(
    session: AsyncSession, timezone: str, requests: Sequence[PageRequest]
) -> list[Page]:
    """Pages of many subjects (a user's totals, devices, homes) in request order; `timezone`
    is the user's, for requests without a home's.

    One query per distinct (table, time span) of the pages, whatever the number of subjects:
    a device list asking each device for the same page costs one query.
    """
    zones = [zone(r.home_timezone or timezone) for r in requests]
    pages = [
        plan_page(r.resolution, tz, r.start, r.end, r.first, r.after)
        for r, tz in zip(requests, zones, strict=True)
    ]
    spans: dict[tuple[HistoryTable, bool, datetime, datetime], list[int]] = defaultdict(list)
    for i, (request, page) in enumerate(zip(requests, pages, strict=True)):
        if page.buckets:
            home = request.home_timezone is not None
            kind = _SOURCE[request.resolution]
            if request.device and request.resolution is Resolution.QUARTER_HOUR:
                kind = HistoryTable.QUARTER
            spans[(kind, home, page.buckets[0].start, page.buckets[-1].end)].append(i)
    repo = HistoryRepository(session)
    for (kind, home, start, end), indexes in spans.items():
        subjects = {requests[i].subject_id for i in indexes}
        rows = await repo.rows(kind, subjects, start, end, home=home)
        by_subject: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in rows:
            by_subject[row.subject_id].append(row)
        for i in indexes:
            fill(pages[i], by_subject[requests[i].subject_id], requests[i].resolution, zones[i])
    return pages
