"""Query resolvers: every field needs a valid token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.permission import BasePermission

from app import models
from app.errors import NotFound, Unauthenticated
from app.graphql.context import Info
from app.graphql.history import history_field
from app.graphql.permissions import IsAuthenticated
from app.graphql.types.device import Device, device_from_model
from app.graphql.types.enums import DeviceKind
from app.graphql.types.home import Home
from app.graphql.types.planning import (
    ScenarioFigures,
    ScenarioInput,
    ScenarioResult,
    scenario_request,
)
from app.graphql.types.readings import EnergyStats
from app.graphql.types.user import User
from app.live.readings import EMPTY_STATS
from app.repositories.device import DeviceRepository
from app.repositories.home import HomeRepository
from app.repositories.user import UserRepository
from app.services import planning as planning_service
from app.services.device import get_owned
from app.services.home import get_owned_home

AUTH: list[type[BasePermission]] = [IsAuthenticated]


@strawberry.type
class Query:
    @strawberry.field(permission_classes=AUTH)
    async def me(self, info: Info) -> User:
        principal = info.context.principal
        user = await info.context.db.run(lambda s: UserRepository(s).get(principal.user_id))
        if user is None:  # a valid token for an account that no longer exists
            raise Unauthenticated("account no longer exists")
        return User.from_model(user)

    @strawberry.field(
        permission_classes=AUTH, description="The caller's devices only, oldest first."
    )
    async def devices(self, info: Info, kind: DeviceKind | None = strawberry.UNSET) -> list[Device]:
        owner = info.context.principal.user_id
        rows = await info.context.db.run(
            lambda s: DeviceRepository(s).records_for_owner(
                owner, models.DeviceKind(kind) if kind else None
            )
        )
        # No devices: tell an empty home from a token whose account was deleted (as `me` does);
        # the extra query only runs for empty lists.
        if not rows and await info.context.db.run(lambda s: UserRepository(s).get(owner)) is None:
            raise Unauthenticated("account no longer exists")
        return [device_from_model(d) for d in rows]

    @strawberry.field(
        permission_classes=AUTH, description="NOT_FOUND for ids the caller does not own."
    )
    async def device(self, info: Info, id: strawberry.ID) -> Device | None:
        owner = info.context.principal.user_id
        row = await info.context.db.run(lambda s: get_owned(s, owner, str(id)))
        if row is None:
            raise NotFound(f"device {id!r} not found")
        return device_from_model(row)

    @strawberry.field(permission_classes=AUTH)
    async def energy_stats(self, info: Info) -> EnergyStats:
        stats = await info.context.live.energy_stats(info.context.principal.user_id)
        return EnergyStats.from_live(stats or EMPTY_STATS)

    energy_history = history_field(
        lambda _, info: info.context.principal.user_id,
        permission_classes=AUTH,
        description="The caller's home energy per bucket (produced, consumed, storage, grid).",
    )

    @strawberry.field(permission_classes=AUTH, description="The caller's homes, first home first.")
    async def homes(self, info: Info) -> list[Home]:
        owner = info.context.principal.user_id
        rows = await info.context.db.run(lambda s: HomeRepository(s).list_for_owner(owner))
        if not rows:  # every account has a home: none means the account was deleted
            raise Unauthenticated("account no longer exists")
        return [Home.from_model(h) for h in rows]

    @strawberry.field(
        permission_classes=AUTH, description="NOT_FOUND for ids the caller does not own."
    )
    async def home(self, info: Info, id: strawberry.ID) -> Home | None:
        owner = info.context.principal.user_id
        row = await info.context.db.run(lambda s: get_owned_home(s, owner, str(id)))
        return Home.from_model(row)

    @strawberry.field(
        permission_classes=AUTH,
        description="The home's last `days` (1..31) replayed through the engine as it is "
        "(baseline) and with the input's changes (scenario). Nothing is written.",
    )
    async def scenario(
        self,
        info: Info,
        home_id: strawberry.ID,
        input: ScenarioInput,
        days: int | None = 7,
    ) -> ScenarioResult:
        owner = info.context.principal.user_id
        request = scenario_request(input)
        interval = info.context.settings.SIMULATION_INTERVAL_S
        now = datetime.now(UTC)

        async def run(s: Any) -> Any:
            return await planning_service.scenario(
                s, owner, str(home_id), 7 if days is None else days, request, now, interval
            )

        outcome = await info.context.db.run(run)
        return ScenarioResult(
            from_=outcome.start,
            to=outcome.end,
            baseline=ScenarioFigures.of(outcome.baseline),
            scenario=ScenarioFigures.of(outcome.scenario),
        )
