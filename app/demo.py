"""A demo home with one device of every kind, for newcomers and manual checks."""

from __future__ import annotations

import asyncio

import typer

from app.config import Settings
from app.db import create_engine, create_sessionmaker, is_sqlite
from app.errors import BadUserInput
from app.migrate import upgrade_head
from app.services import device as devices
from app.services import user as users


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
            await devices.create_solar_panel(
                session,
                owner,
                name="Roof array",
                panel_area_m2=30,
                efficiency=0.21,
                max_capacity_w=6000,
                latitude=None,
                longitude=None,
                default_latitude=settings.DEFAULT_LATITUDE,
                default_longitude=settings.DEFAULT_LONGITUDE,
            )
            await devices.create_generator(
                session, owner, name="Backup generator", rated_power_w=2000
            )
            await devices.create_battery(
                session,
                owner,
                name="Home battery",
                capacity_wh=13500,
                c_rate=0.5,
                initial_level_wh=6750,
            )
            await devices.create_electric_vehicle(
                session,
                owner,
                name="Family EV",
                battery_capacity_kwh=75,
                current_charge_kwh=40,
                charge_rate_kw=7.2,
                driving_consumption_kwh_per_hour=2.0,
            )
            await devices.create_air_conditioner(
                session, owner, name="Living room AC", rated_power_w=3500
            )
            await devices.create_heater(session, owner, name="Bathroom heater", rated_power_w=1500)
            await session.commit()
    finally:
        await engine.dispose()
    typer.echo(
        f"Demo home created for '{username}' (6 devices).\n"
        f"Log in at http://{settings.HOST}:{settings.PORT}/graphql with:\n"
        f'  mutation {{ loginUser(username: "{username}", password: "{password}") {{ token }} }}\n'
        "then send the token as 'Authorization: Bearer <token>'."
    )
