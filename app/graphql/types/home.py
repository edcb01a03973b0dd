"""The `Home` type: a place with its own clock and location, its devices and figures."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import strawberry

from app import models
from app.graphql.context import Info
from app.graphql.history import history_field
from app.graphql.types.device import Device, device_from_model
from app.graphql.types.enums import DeviceKind
from app.graphql.types.planning import ForecastSlot, Plan
from app.graphql.types.readings import EnergyStats
from app.graphql.types.tariff import Tariff
from app.live.readings import EMPTY_STATS
from app.repositories.device import DeviceRepository
from app.services import planning as planning_service


@strawberry.type(name="Home")
class Home:
    id: strawberry.ID
    name: str
    timezone: str = strawberry.field(description="IANA timezone: EV schedule, local days.")
    latitude: float = strawberry.field(description="Degrees north (weather, sun).")
    longitude: float = strawberry.field(description="Degrees east (weather, sun).")
    created_at: datetime
    _uuid: strawberry.Private[uuid.UUID]
    _owner: strawberry.Private[uuid.UUID | None] = None

    @classmethod
    def from_model(cls, m: models.Home) -> Home:
        return cls(
            id=strawberry.ID(str(m.id)),
            _uuid=m.id,
            name=m.name,
            timezone=m.timezone,
            latitude=m.latitude,
            longitude=m.longitude,
            created_at=m.created_at,
            _owner=m.owner_id,
        )

    @strawberry.field(description="This home's devices, oldest first.")
    async def devices(self, info: Info, kind: DeviceKind | None = strawberry.UNSET) -> list[Device]:
        home_id = self._uuid
        rows = await info.context.db.run(
            lambda s: DeviceRepository(s).records_for_home(
                home_id, models.DeviceKind(kind) if kind else None
            )
        )
        return [device_from_model(d) for d in rows]

    @strawberry.field(description="This home's tariff; null when it has none.")
    async def tariff(self, info: Info) -> Tariff | None:
        home_id = self._uuid
        found = await info.context.loaders.tariff.load(home_id)
        return None if found is None else Tariff.from_domain(found, home_id, self.timezone)

    @strawberry.field(description="This home's figures of the latest cycle.")
    async def energy_stats(self, info: Info) -> EnergyStats:
        stats = await info.context.loaders.home_stats.load(self._uuid)
        return EnergyStats.from_live(stats or EMPTY_STATS)

    # The home was resolved through the caller's own homes, so it is theirs.
    energy_history = history_field(
        lambda home, _: home._uuid,
        lambda home: home.timezone,
        description="This home's energy per bucket; DAY and MONTH follow the home's calendar.",
    )

    @strawberry.field(
        description="The coming hours (1..48) in 15-minute slots: expected production and "
        "consumption from the engine's models, and the tariff's prices (null without one)."
    )
    async def forecast(self, info: Info, hours: int | None = 24) -> list[ForecastSlot]:
        home_id, owner = self._uuid, self._owner or info.context.principal.user_id
        hours = 24 if hours is None else hours
        planning_service.check_hours(hours)
        now = datetime.now(UTC)
        slots = await info.context.db.run(
            lambda s: planning_service.home_forecast(s, owner, home_id, hours, now)
        )
        return [
            ForecastSlot(
                start=v.start,
                end=v.end,
                production_wh=v.production_wh,
                consumption_wh=v.consumption_wh,
                import_price_per_kwh=v.import_price_per_kwh,
                export_price_per_kwh=v.export_price_per_kwh,
            )
            for v in slots
        ]

    @strawberry.field(description="This home's latest plan; null until it has been planned.")
    async def plan(self, info: Info) -> Plan | None:
        home_id = self._uuid
        row = await info.context.db.run(lambda s: planning_service.get_plan(s, home_id))
        return None if row is None else Plan.from_row(row)
