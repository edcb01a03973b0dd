"""A demo home with one device of every kind, for newcomers and manual checks."""

from __future__ import annotations

import asyncio
from typing import Any

import typer

from app.config import Settings
from app.db import create_engine, create_sessionmaker, is_sqlite
from app.errors import BadUserInput
from app.migrate import upgrade_head
from app.models import DeviceKind
from app.repositories.home import HomeRepository
from app.services import device as devices
from app.services import tariff as tariffs
from app.services import user as users
from app.tariffs import TariffInput, TariffKind, Weekday, WindowInput

#: The demo home: one device of every kind (API-style values; a panel at the default location).
DEMO_HOME: list[tuple[DeviceKind, dict[str, Any]]] = [
    (
        DeviceKind.SOLAR_PANEL,
        {"name": "Roof array", "panel_area_m2": 30, "efficiency": 0.21, "max_capacity_w": 6000},
    ),
    (DeviceKind.GENERATOR, {"name": "Backup generator", "rated_power_w": 2000}),
    (
        DeviceKind.BATTERY,
        {"name": "Home battery", "capacity_wh": 13500, "c_rate": 0.5, "initial_level_wh": 6750},
    ),
    (
        DeviceKind.ELECTRIC_VEHICLE,
        {
            "name": "Family EV",
            "battery_capacity_kwh": 75,
            "current_charge_kwh": 40,
            "charge_rate_kw": 7.2,
            "driving_consumption_kwh_per_hour": 2.0,
        },
    ),
    (DeviceKind.AIR_CONDITIONER, {"name": "Living room AC", "rated_power_w": 3500}),
    (DeviceKind.HEATER, {"name": "Bathroom heater", "rated_power_w": 1500}),
    # The home's base consumption (fridge, lighting, standby) on the BDEW H0 profile.
    (DeviceKind.HOUSEHOLD, {"name": "Household", "annual_consumption_kwh": 3500}),
]

_WEEKDAYS = [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY]
#: The demo home's tariff: time of use, cheap nights, a weekday evening peak, a daily charge.
DEMO_TARIFF = TariffInput(
    kind=TariffKind.TIME_OF_USE,
    currency="EUR",
    daily_fixed_charge=0.40,
    import_price_per_kwh=0.30,
    export_price_per_kwh=0.08,
    windows=[
        WindowInput(list(Weekday), "22:00", "06:00", 0.18, 0.05),
        WindowInput(_WEEKDAYS, "17:00", "21:00", 0.42, 0.10),
    ],
)


async def create_demo(settings: Settings, *, username: str, password: str) -> None:
    if is_sqlite(settings.database_url):
        await asyncio.to_thread(upgrade_head, settings.database_url)
    engine = create_engine(settings.database_url, application_name="hems-demo")
    try:
        async with create_sessionmaker(engine)() as session:
            try:
                auth = await users.register_user(
                    session, settings, username=username, password=password
                )
            except BadUserInput as exc:
                typer.echo(f"cannot create the demo user: {exc.message}", err=True)
                raise typer.Exit(1) from exc
            owner = auth.user
            location = devices.Location(settings.DEFAULT_LATITUDE, settings.DEFAULT_LONGITUDE)
            for kind, values in DEMO_HOME:
                await devices.create_device(session, owner, kind, values, location)
            home = await HomeRepository(session).first_for_owner(owner.id)
            assert home is not None  # every account starts with a home
            await tariffs.set_tariff(session, owner.id, str(home.id), DEMO_TARIFF)
            await session.commit()
    finally:
        await engine.dispose()
    typer.echo(
        f"Demo home created for '{username}' ({len(DEMO_HOME)} devices, a time-of-use tariff"
        " in EUR).\n"
        f"Log in at http://{settings.HOST}:{settings.PORT}/graphql with:\n"
        f'  mutation {{ loginUser(username: "{username}", password: "{password}") {{ token }} }}\n'
        "then send the token as 'Authorization: Bearer <token>'."
    )
