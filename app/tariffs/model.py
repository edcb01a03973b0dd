"""Tariff value types: what a home pays for grid energy and earns for feeding it in.

Pure data (frozen dataclasses, no I/O). Inputs (`TariffInput`, `WindowInput`, `SlotInput`) carry
what a client sent, unchecked; `validation.py` turns them into the validated `Tariff`, `Window`
and `PriceSlot` that every other module takes. Prices are money per kWh in the tariff's currency
(import: paid per kWh drawn from the grid; export: earned per kWh fed in); the daily fixed charge is
money per local day. See docs/tariffs.md for the rules and caps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum

SLOT = timedelta(minutes=15)
"""Length of one price slot; slots start on :00/:15/:30/:45 UTC (and so on the local quarter hour
in every zone whose offset is a whole number of quarter hours, i.e. every zone in use today)."""
SLOT_S = 900
MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

MAX_WINDOWS = 200
"""Windows per TIME_OF_USE tariff (real tariffs have fewer than 20)."""
MAX_SLOTS_PER_UPLOAD = 1_000
"""Slots per `uploadPrices` call: 10 days of quarter hours, enough for any day-ahead feed."""
MAX_PRICE_RANGE = timedelta(days=31)
"""Longest `prices(from, to)` range (2,976 slots on a 31-day month)."""
MAX_ABS_PRICE = 1_000_000.0
"""Largest |price| per kWh and daily charge accepted, in any currency (guards against unit
slips and overflow; the largest real prices, in currencies like IRR or VND, are far below it)."""


class TariffKind(StrEnum):
    FIXED = "FIXED"
    TIME_OF_USE = "TIME_OF_USE"
    DYNAMIC = "DYNAMIC"


class Weekday(IntEnum):
    """ISO weekday names with `datetime.weekday()` values (Monday = 0)."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


# --- inputs (unchecked, as a client sent them) --------------------------------------------------


@dataclass(frozen=True, slots=True)
class WindowInput:
    days: Sequence[Weekday]
    start_time: str
    end_time: str
    import_price_per_kwh: float
    export_price_per_kwh: float


@dataclass(frozen=True, slots=True)
class TariffInput:
    kind: TariffKind
    currency: str
    daily_fixed_charge: float = 0.0
    import_price_per_kwh: float | None = None
    export_price_per_kwh: float | None = None
    windows: Sequence[WindowInput] | None = None


@dataclass(frozen=True, slots=True)
class SlotInput:
    start: datetime
    import_price_per_kwh: float
    export_price_per_kwh: float | None = None


# --- validated values ----------------------------------------------------------------------------


def format_minute(minute_of_day: int) -> str:
    """'HH:MM' for a minute of the day; 1440 (the end of the day) is '00:00'."""
    hours, minutes = divmod(minute_of_day % MINUTES_PER_DAY, 60)
    return f"{hours:02d}:{minutes:02d}"


@dataclass(frozen=True, slots=True)
class Window:
    """A weekly time-of-use window on the home's wall clock.

    `days` are the weekdays on which the window *starts*; `start_minute` is in [0, 1440) and
    `end_minute` in (0, 1440] (exclusive; 1440 is midnight). `end_minute < start_minute` means the
    window crosses midnight into the next day (e.g. SATURDAY 22:00-06:00 ends Sunday 06:00).
    """

    days: tuple[Weekday, ...]
    start_minute: int
    end_minute: int
    import_price_per_kwh: float
    export_price_per_kwh: float

    @property
    def start_time(self) -> str:
        return format_minute(self.start_minute)

    @property
    def end_time(self) -> str:
        return format_minute(self.end_minute)

    @property
    def crosses_midnight(self) -> bool:
        return self.end_minute < self.start_minute


@dataclass(frozen=True, slots=True)
class Tariff:
    """A validated tariff.

    FIXED: `import_price_per_kwh` is set (export defaults to 0). TIME_OF_USE: `windows` is not
    empty; `import_price_per_kwh`/`export_price_per_kwh` (None = 0) apply where no window does.
    DYNAMIC: no windows; the prices are uploaded slots, the two fallbacks apply where none is.
    """

    kind: TariffKind
    currency: str
    daily_fixed_charge: float = 0.0
    import_price_per_kwh: float | None = None
    export_price_per_kwh: float | None = None
    windows: tuple[Window, ...] = field(default=())

    @property
    def fallback_import(self) -> float:
        """Import price where no window or slot applies (the FIXED price for FIXED), else 0."""
        return 0.0 if self.import_price_per_kwh is None else self.import_price_per_kwh

    @property
    def fallback_export(self) -> float:
        """Export price where no window or slot applies (the FIXED price for FIXED), else 0."""
        return 0.0 if self.export_price_per_kwh is None else self.export_price_per_kwh


@dataclass(frozen=True, slots=True)
class PriceSlot:
    """An uploaded DYNAMIC price for [start, start + 15 min); start is UTC-aware on the quarter
    hour. `export_price_per_kwh` None means the tariff's fallback export price applies."""

    start: datetime
    import_price_per_kwh: float
    export_price_per_kwh: float | None = None


@dataclass(frozen=True, slots=True)
class PricedSlot:
    """The prices in force for [start, end) (one 15-minute slot; UTC-aware instants)."""

    start: datetime
    end: datetime
    import_price_per_kwh: float
    export_price_per_kwh: float
