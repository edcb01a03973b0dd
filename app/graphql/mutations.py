"""Mutation resolvers; each runs in one unit of work that commits only on success."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.permission import BasePermission

from app import models
from app.auth import revocation
from app.errors import Unauthenticated
from app.graphql.context import Info
from app.graphql.inputs import (
    AirConditionerInput,
    BatteryInput,
    ElectricVehicleInput,
    GeneratorInput,
    HeaterInput,
    SolarPanelInput,
    given,
    optional,
)
from app.graphql.permissions import IsAuthenticated
from app.graphql.types import device as types
from app.graphql.types.enums import EVMode
from app.graphql.types.user import AuthPayload, User
from app.repositories.user import UserRepository
from app.services import accounts
from app.services import device as devices
from app.services import user as users
from app.services.accounts import AuthResult

T = TypeVar("T")
AUTH: list[type[BasePermission]] = [IsAuthenticated]


async def unit_of_work(info: Info, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `fn` in the request's session; commit on success, roll back on any error.

    Strawberry turns resolver exceptions into `errors[]`, so no outer dependency could tell
    success from failure: the resolver owns the transaction.
    """

    async def work(session: AsyncSession) -> T:
        try:
            result = await fn(session)
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        return result

    return await info.context.db.run(work)


def _payload(result: AuthResult) -> AuthPayload:
    return AuthPayload(
        token=result.token,
        expires_at=result.expires_at,
        user=User.from_model(result.user),
        refresh_token=result.refresh_token,
        refresh_expires_at=result.refresh_expires_at,
    )


async def _revoked(info: Info, bump: accounts.Bump) -> None:
    """A committed bump: refuse earlier tokens here at once, and tell the other processes."""
    info.context.verifier.revocations.apply(bump.user_id, bump.generation, bump.at)
    await revocation.publish(info.context.redis, bump.user_id, bump.generation, bump.at)


async def _owner(session: AsyncSession, info: Info) -> models.User:
    user = await UserRepository(session).get(info.context.principal.user_id)
    if user is None:
        raise Unauthenticated("account no longer exists")
    return user


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def register_user(
        self,
        info: Info,
        username: str,
        password: str,
        timezone: str | None = strawberry.UNSET,
        latitude: float | None = strawberry.UNSET,
        longitude: float | None = strawberry.UNSET,
    ) -> AuthPayload:
        settings = info.context.settings
        result = await unit_of_work(
            info,
            lambda s: users.register_user(
                s,
                settings,
                username=username,
                password=password,
                timezone=None if timezone is strawberry.UNSET else timezone,
                latitude=optional(latitude),
                longitude=optional(longitude),
                user_agent=info.context.user_agent,
            ),
        )
        return _payload(result)

    @strawberry.mutation
    async def login_user(self, info: Info, username: str, password: str) -> AuthPayload:
        settings = info.context.settings
        result = await unit_of_work(
            info,
            lambda s: users.login_user(
                s,
                settings,
                username=username,
                password=password,
                user_agent=info.context.user_agent,
            ),
        )
        return _payload(result)

    @strawberry.mutation(
        description="A new access token and refresh token for a refresh token, which stops "
        "working (no access token needed). A refresh token used twice revokes its family."
    )
    async def refresh_token(self, info: Info, refresh_token: str) -> AuthPayload:
        settings = info.context.settings

        async def work(session: AsyncSession) -> AuthResult:
            try:
                result = await accounts.rotate(
                    session, settings, refresh_token, user_agent=info.context.user_agent
                )
            except accounts.RefreshTokenReused:
                await session.commit()  # the family's revocation stands
                raise
            except BaseException:
                await session.rollback()
                raise
            await session.commit()
            return result

        return _payload(await info.context.db.run(work))

    @strawberry.mutation(
        permission_classes=AUTH,
        description="End the refresh token's session; everywhere: revoke every access and "
        "refresh token of the account. False when the refresh token is not the caller's.",
    )
    async def logout(self, info: Info, refresh_token: str, everywhere: bool = False) -> bool:
        settings = info.context.settings

        async def work(s: AsyncSession) -> tuple[bool, accounts.Bump | None]:
            return await accounts.logout(
                s, settings, await _owner(s, info), refresh_token, everywhere=everywhere
            )

        done, bump = await unit_of_work(info, work)
        if bump is not None:
            await _revoked(info, bump)
        return done

    @strawberry.mutation(
        permission_classes=AUTH,
        description="Every earlier access and refresh token of the account stops working; "
        "the payload is the new session.",
    )
    async def change_password(
        self, info: Info, current_password: str, new_password: str
    ) -> AuthPayload:
        settings = info.context.settings

        async def work(s: AsyncSession) -> tuple[AuthResult, accounts.Bump]:
            return await accounts.change_password(
                s,
                settings,
                await _owner(s, info),
                current_password=current_password,
                new_password=new_password,
                user_agent=info.context.user_agent,
            )

        result, bump = await unit_of_work(info, work)
        await _revoked(info, bump)
        return _payload(result)

    @strawberry.mutation(
        permission_classes=AUTH,
        description="Delete the account and everything of it; its username becomes free.",
    )
    async def delete_account(self, info: Info, password: str) -> bool:
        settings = info.context.settings

        async def work(s: AsyncSession) -> accounts.Deleted:
            return await accounts.delete_account(
                s, settings, await _owner(s, info), password=password
            )

        deleted = await unit_of_work(info, work)
        await _revoked(info, deleted.bump)
        await info.context.live.forget_user(deleted.bump.user_id, deleted.device_ids)
        return True

    @strawberry.mutation(permission_classes=AUTH)
    async def create_solar_panel(self, info: Info, input: SolarPanelInput) -> types.SolarPanel:
        settings = info.context.settings

        async def create(s: AsyncSession) -> models.SolarPanel:
            return await devices.create_solar_panel(
                s,
                await _owner(s, info),
                name=input.name,
                panel_area_m2=input.panel_area_m2,
                efficiency=given(input.efficiency, 0.2),
                max_capacity_w=input.max_capacity_w,
                latitude=optional(input.latitude),
                longitude=optional(input.longitude),
                default_latitude=settings.DEFAULT_LATITUDE,
                default_longitude=settings.DEFAULT_LONGITUDE,
            )

        return types.SolarPanel.from_model(await unit_of_work(info, create))

    @strawberry.mutation(permission_classes=AUTH)
    async def create_generator(self, info: Info, input: GeneratorInput) -> types.Generator:
        async def create(s: AsyncSession) -> models.Generator:
            return await devices.create_generator(
                s, await _owner(s, info), name=input.name, rated_power_w=input.rated_power_w
            )

        return types.Generator.from_model(await unit_of_work(info, create))

    @strawberry.mutation(permission_classes=AUTH)
    async def create_battery(self, info: Info, input: BatteryInput) -> types.Battery:
        async def create(s: AsyncSession) -> models.Battery:
            return await devices.create_battery(
                s,
                await _owner(s, info),
                name=input.name,
                capacity_wh=input.capacity_wh,
                c_rate=given(input.c_rate, 0.5),
                initial_level_wh=given(input.initial_level_wh, 0.0),
            )

        return types.Battery.from_model(await unit_of_work(info, create))

    @strawberry.mutation(permission_classes=AUTH)
    async def create_electric_vehicle(
        self, info: Info, input: ElectricVehicleInput
    ) -> types.ElectricVehicle:
        async def create(s: AsyncSession) -> models.ElectricVehicle:
            return await devices.create_electric_vehicle(
                s,
                await _owner(s, info),
                name=input.name,
                battery_capacity_kwh=input.battery_capacity_kwh,
                current_charge_kwh=optional(input.current_charge_kwh),
                charge_rate_kw=given(input.charge_rate_kw, 7.2),
                driving_consumption_kwh_per_hour=given(input.driving_consumption_kwh_per_hour, 2.0),
            )

        return types.ElectricVehicle.from_model(await unit_of_work(info, create))

    @strawberry.mutation(permission_classes=AUTH)
    async def create_air_conditioner(
        self, info: Info, input: AirConditionerInput
    ) -> types.AirConditioner:
        async def create(s: AsyncSession) -> models.AirConditioner:
            return await devices.create_air_conditioner(
                s, await _owner(s, info), name=input.name, rated_power_w=input.rated_power_w
            )

        return types.AirConditioner.from_model(await unit_of_work(info, create))

    @strawberry.mutation(permission_classes=AUTH)
    async def create_heater(self, info: Info, input: HeaterInput) -> types.Heater:
        async def create(s: AsyncSession) -> models.Heater:
            return await devices.create_heater(
                s, await _owner(s, info), name=input.name, rated_power_w=input.rated_power_w
            )

        return types.Heater.from_model(await unit_of_work(info, create))

    @strawberry.mutation(permission_classes=AUTH)
    async def rename_device(self, info: Info, id: strawberry.ID, name: str) -> types.Device:
        owner = info.context.principal.user_id
        row = await unit_of_work(info, lambda s: devices.rename_device(s, owner, str(id), name))
        return types.device_from_model(row)

    @strawberry.mutation(permission_classes=AUTH)
    async def delete_device(self, info: Info, id: strawberry.ID) -> bool:
        owner = info.context.principal.user_id
        deleted: uuid.UUID = await unit_of_work(
            info, lambda s: devices.delete_device(s, owner, str(id))
        )
        # Readings of a deleted device must not outlive it, even for one TTL.
        await info.context.live.forget_device(deleted)
        return True

    @strawberry.mutation(permission_classes=AUTH, description="DISCHARGING = vehicle-to-home.")
    async def set_electric_vehicle_mode(
        self, info: Info, id: strawberry.ID, mode: EVMode
    ) -> types.ElectricVehicle:
        owner = info.context.principal.user_id
        row = await unit_of_work(
            info,
            lambda s: devices.set_electric_vehicle_mode(s, owner, str(id), models.EVMode(mode)),
        )
        return types.ElectricVehicle.from_model(row)
