"""Mutation resolvers; each runs in one unit of work that commits only on success."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.permission import BasePermission

from app import models, tariffs
from app.auth import revocation
from app.errors import Unauthenticated
from app.graphql.context import Info
from app.graphql.inputs import (
    INPUTS,
    HomeInput,
    optional,
    optional_id,
    optional_str,
    type_name,
    values_of,
)
from app.graphql.permissions import IsAuthenticated
from app.graphql.types import device as types
from app.graphql.types.control import (
    BatteryMode,
    DepartureRuleInput,
    EVChargeMode,
    GeneratorMode,
)
from app.graphql.types.enums import EVMode
from app.graphql.types.home import Home
from app.graphql.types.tariff import PriceSlotInput, Tariff, TariffInput
from app.graphql.types.user import AuthPayload, User
from app.live import keys
from app.repositories.user import UserRepository
from app.services import accounts, control
from app.services import device as devices
from app.services import home as homes
from app.services import tariff as tariff_service
from app.services import thermostat as thermostats
from app.services import user as users
from app.services.accounts import AuthResult

T = TypeVar("T")
AUTH: list[type[BasePermission]] = [IsAuthenticated]


async def _ev_mode_recorded(
    s: AsyncSession, owner: uuid.UUID, device_id: str, mode: models.EVMode
) -> models.ElectricVehicle:
    ev = await devices.set_electric_vehicle_mode(s, owner, device_id, mode)
    await control.record_ev_mode(s, owner, ev)
    return ev


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


async def _on_device(
    info: Info,
    id: strawberry.ID,
    change: Callable[[AsyncSession, uuid.UUID, str], Awaitable[T]],
) -> T:
    """Run `change(session, owner, device_id)` for the caller's device in one unit of work: the
    services look the device up by owner, so another user's id is NOT_FOUND."""
    owner = info.context.principal.user_id
    return await unit_of_work(info, lambda s: change(s, owner, str(id)))


def _ev(row: models.ElectricVehicle) -> types.ElectricVehicle:
    return cast(types.ElectricVehicle, types.device_from_model(row))


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


def create_mutation(kind: models.DeviceKind) -> Any:
    """`create<Type>(input: <Type>Input!): <Type>!` for one kind, driven by the service's table
    of that kind's fields (`app.services.device.KINDS`), into the input's home (NOT_FOUND for
    a foreign homeId; default: the caller's first home)."""
    output = types.TYPE_BY_KIND[kind]

    async def create(self: Any, info: Info, input: Any) -> Any:
        values = values_of(kind, input)
        home_id = optional_id(input.home_id)

        async def add(s: AsyncSession) -> models.Device:
            owner = await _owner(s, info)
            home = await homes.home_for_new_device(s, owner.id, home_id)
            # Devices without a location of their own sit at their home's.
            location = devices.Location(home.latitude, home.longitude)
            return await devices.create_device(s, owner, kind, values, location, home)

        return output.from_model(await unit_of_work(info, add))

    # Strawberry reads the argument and result types from the annotations.
    create.__annotations__ = {"info": Info, "input": INPUTS[kind], "return": output}
    return strawberry.mutation(create, name=f"create{type_name(kind)}", permission_classes=AUTH)


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
        home_keys = [
            key
            for home_id in deleted.home_ids
            for key in (
                keys.home_energy_stats_key(home_id),
                keys.home_plan_slot_key(home_id),
                keys.home_plan_flows_key(home_id),
            )
        ]
        await info.context.live.forget_user(deleted.bump.user_id, deleted.device_ids, home_keys)
        return True

    # One generic resolver per kind, in the schema's order (see create_mutation).
    create_solar_panel = create_mutation(models.DeviceKind.SOLAR_PANEL)
    create_generator = create_mutation(models.DeviceKind.GENERATOR)
    create_battery = create_mutation(models.DeviceKind.BATTERY)
    create_electric_vehicle = create_mutation(models.DeviceKind.ELECTRIC_VEHICLE)
    create_air_conditioner = create_mutation(models.DeviceKind.AIR_CONDITIONER)
    create_heater = create_mutation(models.DeviceKind.HEATER)
    create_household_load = create_mutation(models.DeviceKind.HOUSEHOLD)

    @strawberry.mutation(permission_classes=AUTH)
    async def rename_device(self, info: Info, id: strawberry.ID, name: str) -> types.Device:
        row = await _on_device(
            info, id, lambda s, owner, d: devices.rename_device(s, owner, d, name)
        )
        return types.device_from_model(row)

    @strawberry.mutation(permission_classes=AUTH)
    async def delete_device(self, info: Info, id: strawberry.ID) -> bool:
        deleted = await _on_device(info, id, devices.delete_device)
        # Readings of a deleted device must not outlive it, even for one TTL.
        await info.context.live.forget_device(deleted)
        return True

    @strawberry.mutation(permission_classes=AUTH, description="DISCHARGING = vehicle-to-home.")
    async def set_electric_vehicle_mode(
        self, info: Info, id: strawberry.ID, mode: EVMode
    ) -> types.ElectricVehicle:
        row = await _on_device(
            info, id, lambda s, owner, d: _ev_mode_recorded(s, owner, d, models.EVMode(mode))
        )
        return _ev(row)

    @strawberry.mutation(
        permission_classes=AUTH,
        description="Charge mode and SoC bounds; omitted or null arguments stay as they are.",
    )
    async def set_electric_vehicle_charging(
        self,
        info: Info,
        id: strawberry.ID,
        charge_mode: EVChargeMode | None = strawberry.UNSET,
        min_soc_percent: float | None = strawberry.UNSET,
        limit_soc_percent: float | None = strawberry.UNSET,
    ) -> types.ElectricVehicle:
        mode = charge_mode if isinstance(charge_mode, models.EVChargeMode) else None
        minimum, limit = optional(min_soc_percent), optional(limit_soc_percent)
        row = await _on_device(
            info, id, lambda s, owner, d: control.set_ev_charging(s, owner, d, mode, minimum, limit)
        )
        return _ev(row)

    @strawberry.mutation(
        permission_classes=AUTH,
        description="Replace the weekly departure rules (an empty list: the EV never leaves).",
    )
    async def set_electric_vehicle_schedule(
        self, info: Info, id: strawberry.ID, rules: list[DepartureRuleInput]
    ) -> types.ElectricVehicle:
        given = [
            control.RuleInput(
                days=[d.name for d in r.days],
                depart_at=r.depart_at,
                return_at=r.return_at,
                target_soc_percent=r.target_soc_percent,
            )
            for r in rules
        ]
        row = await _on_device(
            info, id, lambda s, owner, d: control.set_ev_schedule(s, owner, d, given)
        )
        return _ev(row)

    @strawberry.mutation(permission_classes=AUTH)
    async def set_battery_mode(
        self,
        info: Info,
        id: strawberry.ID,
        mode: BatteryMode,
        reserve_soc_percent: float | None = strawberry.UNSET,
    ) -> types.Battery:
        chosen, reserve = models.BatteryMode(mode), optional(reserve_soc_percent)
        row = await _on_device(
            info, id, lambda s, owner, d: control.set_battery_mode(s, owner, d, chosen, reserve)
        )
        return cast(types.Battery, types.device_from_model(row))

    @strawberry.mutation(permission_classes=AUTH)
    async def set_generator_mode(
        self,
        info: Info,
        id: strawberry.ID,
        mode: GeneratorMode,
        auto_start_import_w: float | None = strawberry.UNSET,
    ) -> types.Generator:
        chosen, start_w = models.GeneratorMode(mode), optional(auto_start_import_w)
        row = await _on_device(
            info, id, lambda s, owner, d: control.set_generator_mode(s, owner, d, chosen, start_w)
        )
        return cast(types.Generator, types.device_from_model(row))

    @strawberry.mutation(
        permission_classes=AUTH,
        description="Switch an air conditioner or heater and/or set its setpoint (degC, 5-35); "
        "engages its thermostat from the next cycle.",
    )
    async def set_thermostat(
        self,
        info: Info,
        id: strawberry.ID,
        on: bool | None = strawberry.UNSET,
        setpoint_c: float | None = strawberry.UNSET,
    ) -> types.Device:
        switch = None if on is strawberry.UNSET else on
        setpoint = optional(setpoint_c)
        row = await _on_device(
            info,
            id,
            lambda s, owner, d: thermostats.set_thermostat(s, owner, d, switch, setpoint),
        )
        return types.device_from_model(row)

    @strawberry.mutation(permission_classes=AUTH)
    async def create_home(self, info: Info, input: HomeInput) -> Home:
        settings = info.context.settings

        async def create(s: AsyncSession) -> models.Home:
            return await homes.create_home(
                s,
                settings,
                await _owner(s, info),
                name=input.name,
                timezone=optional_str(input.timezone),
                latitude=optional(input.latitude),
                longitude=optional(input.longitude),
            )

        return Home.from_model(await unit_of_work(info, create))

    @strawberry.mutation(
        permission_classes=AUTH,
        description="Rename or relocate a home: the next cycles follow, the past stays.",
    )
    async def update_home(self, info: Info, id: strawberry.ID, input: HomeInput) -> Home:
        owner = info.context.principal.user_id
        row = await unit_of_work(
            info,
            lambda s: homes.update_home(
                s,
                owner,
                str(id),
                name=input.name,
                timezone=optional_str(input.timezone),
                latitude=optional(input.latitude),
                longitude=optional(input.longitude),
            ),
        )
        return Home.from_model(row)

    @strawberry.mutation(
        permission_classes=AUTH,
        description="Delete a home with its devices, their history and live figures; "
        "the last home cannot be deleted (BAD_USER_INPUT).",
    )
    async def delete_home(self, info: Info, id: strawberry.ID) -> bool:
        owner = info.context.principal.user_id
        deleted = await unit_of_work(info, lambda s: homes.delete_home(s, owner, str(id)))
        await info.context.live.forget_home(deleted.home_id, deleted.device_ids)
        return True

    @strawberry.mutation(permission_classes=AUTH, description="Move a device to another home.")
    async def move_device(
        self, info: Info, id: strawberry.ID, home_id: strawberry.ID
    ) -> types.Device:
        owner = info.context.principal.user_id
        row = await unit_of_work(info, lambda s: homes.move_device(s, owner, str(id), str(home_id)))
        return types.device_from_model(row)

    @strawberry.mutation(
        permission_classes=AUTH,
        description="Set (replace) a home's tariff; uploaded DYNAMIC prices are kept.",
    )
    async def set_tariff(self, info: Info, home_id: strawberry.ID, input: TariffInput) -> Tariff:
        owner = info.context.principal.user_id
        value = input.to_domain()

        async def put(s: AsyncSession) -> tuple[Any, models.Home]:
            tariff = await tariff_service.set_tariff(s, owner, str(home_id), value)
            return tariff, await homes.get_owned_home(s, owner, str(home_id))

        tariff, home = await unit_of_work(info, put)
        return Tariff.from_domain(tariff, home.id, home.timezone)

    @strawberry.mutation(
        permission_classes=AUTH,
        description="Remove a home's tariff and its uploaded prices; false when it had none.",
    )
    async def clear_tariff(self, info: Info, home_id: strawberry.ID) -> bool:
        owner = info.context.principal.user_id
        return await unit_of_work(
            info, lambda s: tariff_service.clear_tariff(s, owner, str(home_id))
        )

    @strawberry.mutation(
        permission_classes=AUTH,
        description="DYNAMIC: upsert 15-minute price slots (negative prices allowed), at most "
        f"{tariffs.MAX_SLOTS_PER_UPLOAD:,} per call; returns the slots stored.",
    )
    async def upload_prices(
        self, info: Info, home_id: strawberry.ID, prices: list[PriceSlotInput]
    ) -> int:
        owner = info.context.principal.user_id
        slots = [p.to_domain() for p in prices]
        return await unit_of_work(
            info, lambda s: tariff_service.upload_prices(s, owner, str(home_id), slots)
        )
