"""PriceBook: many homes' prices for one cycle interval, the same as prices() gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from app.tariffs import SLOT, HomeTariff, PriceBook, PriceSlot, SlotColumns, Weekday, prices
from app.tariffs.clock import quarter_index
from tests.tariffs.builders import ALL_DAYS, as_price_slots, dynamic, fixed, tou, window

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
AT = datetime(2026, 6, 15, 16, tzinfo=UTC)  # 18:00 in Berlin, 12:00 in New York
MINUTE = timedelta(minutes=1)
PEAK = tou(window(ALL_DAYS, "17:00", "20:00", 0.45, 0.02), imp=0.30, exp=0.08)


def mixed_homes() -> list[HomeTariff]:
    slots = [PriceSlot(AT, -0.04, -0.01), PriceSlot(AT + SLOT, 0.2)]
    return [
        HomeTariff(fixed(0.31, 0.07), BERLIN),
        HomeTariff(PEAK, BERLIN),
        HomeTariff(PEAK, NEW_YORK),
        HomeTariff(None, BERLIN),
        HomeTariff(dynamic(0.25, 0.06), BERLIN, slots),
        HomeTariff(dynamic(None, None), BERLIN),
    ]


class TestIntervalPrices:
    def test_each_kind_for_an_aligned_minute(self) -> None:
        book = PriceBook.build(mixed_homes())
        got = book.interval_prices(AT, AT + MINUTE)
        assert got.import_price_per_kwh.tolist() == [0.31, 0.45, 0.30, 0.0, -0.04, 0.0]
        assert got.export_price_per_kwh.tolist() == [0.07, 0.02, 0.08, 0.0, -0.01, 0.0]
        assert book.priced.tolist() == [True, True, True, False, True, True]
        assert book.currencies == ("EUR", "EUR", "EUR", None, "EUR", "EUR")

    def test_the_next_quarter_and_a_missing_export_price(self) -> None:
        got = PriceBook.build(mixed_homes()).interval_prices(AT + SLOT, AT + SLOT + MINUTE)
        assert got.import_price_per_kwh[4] == 0.2
        assert got.export_price_per_kwh[4] == 0.06  # the slot had no export price: fallback
        got = PriceBook.build(mixed_homes()).interval_prices(AT + 2 * SLOT, AT + 2 * SLOT + MINUTE)
        assert (got.import_price_per_kwh[4], got.export_price_per_kwh[4]) == (0.25, 0.06)

    def test_an_interval_across_a_slot_boundary_is_time_weighted(self) -> None:
        t0 = AT + SLOT - timedelta(seconds=30)
        got = PriceBook.build(mixed_homes()).interval_prices(t0, t0 + MINUTE)
        assert got.import_price_per_kwh[4] == pytest.approx((-0.04 + 0.2) / 2)
        assert got.import_price_per_kwh[0] == pytest.approx(0.31)

    def test_a_longer_interval_weights_each_quarter(self) -> None:
        # 16:50 to 17:10 local in Berlin: 10 minutes off-peak, 10 minutes peak.
        t0 = datetime(2026, 6, 15, 14, 50, tzinfo=UTC)
        got = PriceBook.build([HomeTariff(PEAK, BERLIN)]).interval_prices(t0, t0 + 20 * MINUTE)
        assert got.import_price_per_kwh[0] == pytest.approx((0.30 + 0.45) / 2)

    def test_homes_sharing_a_tariff_share_one_schedule(self) -> None:
        book = PriceBook.build([HomeTariff(PEAK, BERLIN), HomeTariff(PEAK, NEW_YORK)] * 50)
        # one row for 100 homes: 7 peaks and the 8 off-peak stretches around them
        assert set(book.tou_row_base.tolist()) == {0}
        assert book.tou_keys.shape[0] == 15
        assert len(book.zones) == 2

    def test_a_later_duplicate_slot_wins_as_in_prices(self) -> None:
        slots = [PriceSlot(AT, 0.1), PriceSlot(AT, 0.2), PriceSlot(AT - SLOT, 0.3)]
        book = PriceBook.build([HomeTariff(dynamic(), BERLIN, slots)])
        assert book.interval_prices(AT, AT + MINUTE).import_price_per_kwh[0] == 0.2
        assert book.interval_prices(AT - SLOT, AT - SLOT + MINUTE).import_price_per_kwh[0] == 0.3
        assert prices(dynamic(), slots, BERLIN, AT, AT + SLOT)[0].import_price_per_kwh == 0.2

    def test_slot_columns_price_like_slots(self) -> None:
        slots = [PriceSlot(AT, -0.04, -0.01), PriceSlot(AT + SLOT, 0.2), PriceSlot(AT, 0.3)]
        columns = SlotColumns.from_slots(slots)
        assert np.isnan(columns.export_prices[1])
        as_slots = PriceBook.build([HomeTariff(dynamic(0.25, 0.06), BERLIN, slots)])
        as_columns = PriceBook.build([HomeTariff(dynamic(0.25, 0.06), BERLIN, columns)])
        for at in (AT, AT + SLOT, AT + 2 * SLOT):
            a, b = (
                as_slots.quarter_prices(quarter_index(at)),
                as_columns.quarter_prices(quarter_index(at)),
            )
            assert (a[0].tolist(), a[1].tolist()) == (b[0].tolist(), b[1].tolist())
        assert as_columns.quarter_prices(quarter_index(AT))[0].tolist() == [0.3]
        assert as_columns.quarter_prices(quarter_index(AT + SLOT))[1].tolist() == [0.06]

    def test_dynamic_homes_do_not_see_each_others_slots(self) -> None:
        mine = [PriceSlot(AT, -0.5)]
        book = PriceBook.build(
            [HomeTariff(dynamic(0.25), BERLIN), HomeTariff(dynamic(0.26), BERLIN, mine)]
        )
        got = book.interval_prices(AT, AT + MINUTE).import_price_per_kwh
        assert got.tolist() == [0.25, -0.5]

    def test_dst_day_in_the_book(self) -> None:
        tariff = tou(window([Weekday.SUNDAY], "02:00", "03:00", 0.1, 0.0), imp=0.3)
        book = PriceBook.build([HomeTariff(tariff, BERLIN)])
        # 25 October 2026: 00:00-01:00 UTC and 01:00-02:00 UTC are both 02:00-03:00 in Berlin.
        for hour in (0, 1):
            at = datetime(2026, 10, 25, hour, 30, tzinfo=UTC)
            assert book.interval_prices(at, at + MINUTE).import_price_per_kwh[0] == 0.1
        at = datetime(2026, 10, 25, 2, 30, tzinfo=UTC)
        assert book.interval_prices(at, at + MINUTE).import_price_per_kwh[0] == 0.3

    def test_an_empty_book(self) -> None:
        got = PriceBook.build([]).interval_prices(AT, AT + MINUTE)
        assert got.import_price_per_kwh.shape == (0,)
        assert got.export_price_per_kwh.dtype == np.float64

    def test_bad_intervals(self) -> None:
        book = PriceBook.build(mixed_homes())
        with pytest.raises(ValueError, match="after its start"):
            book.interval_prices(AT, AT)
        with pytest.raises(ValueError, match="timezone-aware"):
            book.interval_prices(AT.replace(tzinfo=None), AT + MINUTE)

    def test_the_book_agrees_with_prices_over_a_dst_week(self) -> None:
        homes = mixed_homes() + [
            HomeTariff(tou(window([Weekday.SATURDAY], "22:00", "06:00", 0.1, 0.05)), BERLIN),
            HomeTariff(tou(window([Weekday.SUNDAY], "23:00", "01:00", 0.1, 0.05)), NEW_YORK),
        ]
        book = PriceBook.build(homes)
        start = datetime(2026, 10, 22, tzinfo=UTC)  # a week around Berlin's autumn change
        end = start + timedelta(days=7)
        expected: list[list[tuple[float, float]]] = []
        for home in homes:
            if home.tariff is None:
                expected.append([(0.0, 0.0)] * 7 * 96)
            else:
                got = prices(home.tariff, as_price_slots(home.slots), home.tz, start, end)
                expected.append([(s.import_price_per_kwh, s.export_price_per_kwh) for s in got])
        first = quarter_index(start)
        for k in range(7 * 96):
            imp, exp = book.quarter_prices(first + k)
            assert list(zip(imp.tolist(), exp.tolist(), strict=True)) == [e[k] for e in expected]
