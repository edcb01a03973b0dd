"""Tariff types and inputs (API.md "Tariffs and cost"): what a home pays and earns per kWh."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry

from app import tariffs
from app.graphql.context import Info
from app.services import tariff as tariff_service

strawberry.enum(tariffs.TariffKind, name="TariffKind")
strawberry.enum(tariffs.Weekday, name="Weekday")

TariffKind = tariffs.TariffKind
Weekday = tariffs.Weekday


@strawberry.type(name="TariffWindow")
class TariffWindow:
    days: list[Weekday]
    start_time: str = strawberry.field(description='Local wall-clock "HH:MM".')
    end_time: str = strawberry.field(description='Exclusive; "00:00" = midnight.')
    import_price_per_kwh: float
    export_price_per_kwh: float


@strawberry.type(name="PriceSlot")
class PriceSlot:
    start: datetime
    end: datetime
    import_price_per_kwh: float
    export_price_per_kwh: float


@strawberry.type(name="Tariff")
class Tariff:
    kind: TariffKind
    currency: str
    daily_fixed_charge: float
    import_price_per_kwh: float | None = strawberry.field(
        description="FIXED: the price; the other kinds: the fallback where no window/slot applies."
    )
    export_price_per_kwh: float | None = strawberry.field(
        description="FIXED: the price; the other kinds: the fallback where no window/slot applies."
    )
    windows: list[TariffWindow]
    _home_id: strawberry.Private[uuid.UUID]
    _timezone: strawberry.Private[str]
    _tariff: strawberry.Private[tariffs.Tariff]

    @classmethod
    def from_domain(cls, t: tariffs.Tariff, home_id: uuid.UUID, timezone: str) -> Tariff:
        return cls(
            kind=t.kind,
            currency=t.currency,
            daily_fixed_charge=t.daily_fixed_charge,
            import_price_per_kwh=t.import_price_per_kwh,
            export_price_per_kwh=t.export_price_per_kwh,
            windows=[
                TariffWindow(
                    days=list(w.days),
                    start_time=w.start_time,
                    end_time=w.end_time,
                    import_price_per_kwh=w.import_price_per_kwh,
                    export_price_per_kwh=w.export_price_per_kwh,
                )
                for w in t.windows
            ],
            _home_id=home_id,
            _timezone=timezone,
            _tariff=t,
        )

    @strawberry.field(
        description="The price in force per 15-minute slot overlapping [from, to), at most "
        f"{tariffs.MAX_PRICE_RANGE.days} days; a local day has 92, 96 or 100 slots."
    )
    async def prices(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> list[PriceSlot]:
        home_id, timezone, tariff = self._home_id, self._timezone, self._tariff
        rows = await info.context.db.run(
            lambda s: tariff_service.home_prices(s, home_id, timezone, tariff, from_, to)
        )
        return [
            PriceSlot(
                start=p.start,
                end=p.end,
                import_price_per_kwh=p.import_price_per_kwh,
                export_price_per_kwh=p.export_price_per_kwh,
            )
            for p in rows
        ]


@strawberry.input(name="TariffWindowInput")
class TariffWindowInput:
    days: list[Weekday]
    start_time: str
    end_time: str
    import_price_per_kwh: float
    export_price_per_kwh: float


@strawberry.input(name="TariffInput")
class TariffInput:
    kind: TariffKind
    currency: str
    daily_fixed_charge: float | None = 0.0
    import_price_per_kwh: float | None = None
    export_price_per_kwh: float | None = None
    windows: list[TariffWindowInput] | None = None

    def to_domain(self) -> tariffs.TariffInput:
        return tariffs.TariffInput(
            kind=self.kind,
            currency=self.currency,
            daily_fixed_charge=0.0 if self.daily_fixed_charge is None else self.daily_fixed_charge,
            import_price_per_kwh=self.import_price_per_kwh,
            export_price_per_kwh=self.export_price_per_kwh,
            windows=None
            if self.windows is None
            else [
                tariffs.WindowInput(
                    days=list(w.days),
                    start_time=w.start_time,
                    end_time=w.end_time,
                    import_price_per_kwh=w.import_price_per_kwh,
                    export_price_per_kwh=w.export_price_per_kwh,
                )
                for w in self.windows
            ],
        )


@strawberry.input(name="PriceSlotInput", description="Starts on :00/:15/:30/:45.")
class PriceSlotInput:
    start: datetime
    import_price_per_kwh: float
    export_price_per_kwh: float | None = None

    def to_domain(self) -> tariffs.SlotInput:
        return tariffs.SlotInput(self.start, self.import_price_per_kwh, self.export_price_per_kwh)
