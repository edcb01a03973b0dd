"""Vectorised prices for the simulation cycle: many homes, one interval.

`PriceBook.build(homes)` compiles every home's tariff once (per distinct TIME_OF_USE week, per
home's uploaded DYNAMIC slots) into flat sorted NumPy arrays; `book.interval_prices(t0, t1)` then
answers the import/export price of every home for [t0, t1) with a handful of array operations per
quarter hour the interval touches, a Python loop only over the distinct time zones of
TIME_OF_USE homes (no Python per home or device). Results agree with `schedule.prices`.

Lookups: TIME_OF_USE keys are `row * 10080 + segment start minute` (row = distinct schedule), one
sorted array over all rows, so `searchsorted(keys, row * 10080 + local minute of week) - 1` is each
home's segment. DYNAMIC keys are `row << 32 | quarter index` (row = home), searched for equality;
a missing slot takes the home's fallback prices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

import numpy as np

from app.simulation.arrays import BoolArray, FloatArray, IndexArray, require_aware
from app.tariffs.clock import EPOCH, minute_of_week, quarter_ceil, quarter_index, quarter_start
from app.tariffs.model import MINUTES_PER_WEEK, SLOT, PriceSlot, Tariff, TariffKind
from app.tariffs.schedule import week_schedule

_DYN_SHIFT = 32
_NO_SLOTS = np.empty(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class SlotColumns:
    """A home's uploaded slots as columns (what a query over the stored slots gives cheaply):
    UTC quarter indices (epoch seconds // 900), import prices, export prices (NaN: fallback)."""

    quarters: IndexArray
    import_prices: FloatArray
    export_prices: FloatArray

    @classmethod
    def from_slots(cls, slots: Sequence[PriceSlot]) -> SlotColumns:
        return cls(
            quarters=np.asarray([quarter_index(s.start) for s in slots], dtype=np.int64),
            import_prices=np.asarray([s.import_price_per_kwh for s in slots], dtype=np.float64),
            export_prices=np.asarray(
                [
                    np.nan if s.export_price_per_kwh is None else s.export_price_per_kwh
                    for s in slots
                ],
                dtype=np.float64,
            ),
        )


@dataclass(frozen=True, slots=True)
class HomeTariff:
    """One home's pricing inputs: its tariff (None: no tariff, prices 0), its zone, and for a
    DYNAMIC tariff the uploaded slots the book should know (e.g. today's and tomorrow's), as
    PriceSlots or, cheaper to compile for many homes, as SlotColumns. The later of two slots for
    the same quarter wins."""

    tariff: Tariff | None
    tz: tzinfo
    slots: Sequence[PriceSlot] | SlotColumns = ()


@dataclass(frozen=True, slots=True)
class IntervalPrices:
    """Per home (in book order): time-weighted mean price per kWh in force over the interval."""

    import_price_per_kwh: FloatArray
    export_price_per_kwh: FloatArray


def _empty_float() -> FloatArray:
    return np.empty(0, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class PriceBook:
    """Compiled prices of a list of homes; build with `PriceBook.build`."""

    base_import: FloatArray
    base_export: FloatArray
    priced: BoolArray
    """True for homes with a tariff."""
    currencies: tuple[str | None, ...]
    zones: tuple[tzinfo, ...]
    # TIME_OF_USE
    tou_home: IndexArray = field(default_factory=lambda: _NO_SLOTS)
    tou_row_base: IndexArray = field(default_factory=lambda: _NO_SLOTS)
    tou_zone: IndexArray = field(default_factory=lambda: _NO_SLOTS)
    tou_keys: IndexArray = field(default_factory=lambda: _NO_SLOTS)
    tou_import: FloatArray = field(default_factory=_empty_float)
    tou_export: FloatArray = field(default_factory=_empty_float)
    # DYNAMIC
    dyn_home: IndexArray = field(default_factory=lambda: _NO_SLOTS)
    dyn_row_base: IndexArray = field(default_factory=lambda: _NO_SLOTS)
    dyn_keys: IndexArray = field(default_factory=lambda: _NO_SLOTS)
    dyn_import: FloatArray = field(default_factory=_empty_float)
    dyn_export: FloatArray = field(default_factory=_empty_float)

    @property
    def size(self) -> int:
        return int(self.base_import.shape[0])

    @classmethod
    def build(cls, homes: Sequence[HomeTariff]) -> PriceBook:
        """Compile `homes` (linear in homes + windows + slots)."""
        n = len(homes)
        base_import = np.zeros(n, dtype=np.float64)
        base_export = np.zeros(n, dtype=np.float64)
        priced = np.zeros(n, dtype=np.bool_)
        zone_code: dict[tzinfo, int] = {}
        schedule_row: dict[object, int] = {}
        tou_home: list[int] = []
        tou_row: list[int] = []
        tou_zone: list[int] = []
        tou_keys: list[int] = []
        tou_import: list[float] = []
        tou_export: list[float] = []
        dyn_home: list[int] = []
        dyn_keys: list[IndexArray] = [_NO_SLOTS]
        dyn_import: list[FloatArray] = [_empty_float()]
        dyn_export: list[FloatArray] = [_empty_float()]
        for h, home in enumerate(homes):
            tariff = home.tariff
            if tariff is None:
                continue
            priced[h] = True
            base_import[h] = tariff.fallback_import
            base_export[h] = tariff.fallback_export
            if tariff.kind is TariffKind.TIME_OF_USE:
                schedule = week_schedule(tariff)
                row = schedule_row.get(schedule)
                if row is None:
                    row = schedule_row[schedule] = len(schedule_row)
                    tou_keys.extend(row * MINUTES_PER_WEEK + s for s in schedule.starts)
                    tou_import.extend(schedule.import_prices)
                    tou_export.extend(schedule.export_prices)
                tou_home.append(h)
                tou_row.append(row)
                tou_zone.append(zone_code.setdefault(home.tz, len(zone_code)))
            elif tariff.kind is TariffKind.DYNAMIC:
                columns = home.slots
                if not isinstance(columns, SlotColumns):
                    columns = SlotColumns.from_slots(columns)
                if not columns.quarters.shape[0]:
                    continue
                dyn_keys.append((len(dyn_home) << _DYN_SHIFT) | columns.quarters)
                dyn_home.append(h)
                dyn_import.append(columns.import_prices)
                exports = columns.export_prices
                dyn_export.append(np.where(np.isnan(exports), tariff.fallback_export, exports))
        keys = np.concatenate(dyn_keys)
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        # The same quarter twice for one home: the later slot wins (as in schedule.slot_map).
        keep = np.ones(keys.shape[0], dtype=np.bool_)
        keep[:-1] = keys[1:] != keys[:-1]
        order = order[keep]
        return cls(
            base_import=base_import,
            base_export=base_export,
            priced=priced,
            currencies=tuple(
                None if home.tariff is None else home.tariff.currency for home in homes
            ),
            zones=tuple(zone_code),
            tou_home=np.asarray(tou_home, dtype=np.int64),
            tou_row_base=np.asarray(tou_row, dtype=np.int64) * MINUTES_PER_WEEK,
            tou_zone=np.asarray(tou_zone, dtype=np.int64),
            tou_keys=np.asarray(tou_keys, dtype=np.int64),
            tou_import=np.asarray(tou_import, dtype=np.float64),
            tou_export=np.asarray(tou_export, dtype=np.float64),
            dyn_home=np.asarray(dyn_home, dtype=np.int64),
            dyn_row_base=np.arange(len(dyn_home), dtype=np.int64) << _DYN_SHIFT,
            dyn_keys=keys[keep],
            dyn_import=np.concatenate(dyn_import)[order],
            dyn_export=np.concatenate(dyn_export)[order],
        )

    def quarter_prices(self, quarter: int) -> tuple[FloatArray, FloatArray]:
        """(import, export) price per kWh of every home during UTC quarter hour `quarter`."""
        import_price = self.base_import.copy()
        export_price = self.base_export.copy()
        if self.tou_home.shape[0]:
            at = quarter_start(quarter)
            minute = np.fromiter(
                (minute_of_week(at, tz) for tz in self.zones), dtype=np.int64, count=len(self.zones)
            )
            pos = np.searchsorted(self.tou_keys, self.tou_row_base + minute[self.tou_zone], "right")
            pos -= 1
            import_price[self.tou_home] = self.tou_import[pos]
            export_price[self.tou_home] = self.tou_export[pos]
        if self.dyn_keys.shape[0]:
            query = self.dyn_row_base | quarter
            pos = np.searchsorted(self.dyn_keys, query)
            np.minimum(pos, self.dyn_keys.shape[0] - 1, out=pos)
            found = self.dyn_keys[pos] == query
            homes = self.dyn_home[found]
            import_price[homes] = self.dyn_import[pos[found]]
            export_price[homes] = self.dyn_export[pos[found]]
        return import_price, export_price

    def interval_prices(self, t0: datetime, t1: datetime) -> IntervalPrices:
        """Per home, the mean price in force over [t0, t1), weighted by time (an interval inside
        one quarter hour, like an aligned cycle minute, gets exactly that quarter's prices)."""
        require_aware(t0)
        require_aware(t1)
        if t1 <= t0:
            raise ValueError(f"interval end {t1} must be after its start {t0}")
        first, last = quarter_index(t0), quarter_ceil(t1)
        if last - first == 1:
            import_price, export_price = self.quarter_prices(first)
            return IntervalPrices(import_price, export_price)
        total = t1 - t0
        import_price = np.zeros(self.size, dtype=np.float64)
        export_price = np.zeros(self.size, dtype=np.float64)
        for quarter in range(first, last):
            start = max(t0, EPOCH + quarter * SLOT)
            end = min(t1, EPOCH + (quarter + 1) * SLOT)
            weight = (end - start) / total
            quarter_import, quarter_export = self.quarter_prices(quarter)
            import_price += weight * quarter_import
            export_price += weight * quarter_export
        return IntervalPrices(import_price, export_price)
