"""`homeEnergyStats(homeId)` over real websockets to real API processes (PostgreSQL + Redis)."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest

from app import models
from app.live import keys
from tests.fixtures.factories import create_device, create_home
from tests.subscriptions.client import gql_socket
from tests.subscriptions.test_live import run_batch, token_for

pytestmark = pytest.mark.slow

HOME_STATS = (
    "subscription($id: ID!) { homeEnergyStats(homeId: $id) "
    "{ currentProduction currentConsumption netGridFlow timestamp } }"
)


async def second_home(db_session, user: models.User) -> models.Home:
    home = models.Home(
        owner_id=user.id, name="Cabin", timezone="Asia/Tokyo", latitude=35.68, longitude=139.69
    )
    db_session.add(home)
    await db_session.flush()
    await create_device(db_session, models.DeviceKind.HEATER, user, home_id=home.id)
    await db_session.commit()
    return home


class TestHomeEnergyStats:
    async def test_one_home_figures_at_once_then_per_cycle(
        self, api_processes, db_session, ctx, first_cycle, redis
    ):
        user, _ = await create_home(db_session)
        cabin = await second_home(db_session, user)
        await run_batch(ctx, [user], first_cycle)
        async with gql_socket(api_processes[0].ws_url) as sock:
            assert (await sock.init(token_for(user)))["type"] == "connection_ack"
            await sock.subscribe(HOME_STATS, {"id": str(cabin.id)})
            first = (await sock.next(wait_s=3))["data"]["homeEnergyStats"]
            assert first["timestamp"] == first_cycle.isoformat()
            at = first_cycle + timedelta(minutes=1)
            await run_batch(ctx, [user], at)
            figures = (await sock.next())["data"]["homeEnergyStats"]
            stored = orjson.loads(await redis.get(keys.home_energy_stats_key(cabin.id)))
            assert figures["timestamp"] == stored["timestamp"] == at.isoformat()
            # The cabin's own figures: only its heater, not the first home's devices.
            assert figures["currentConsumption"] == stored["current_consumption"]
            assert figures["currentProduction"] == 0.0

    async def test_another_users_home_is_not_found(self, api_processes, db_session):
        alice, _ = await create_home(db_session)
        bob, _ = await create_home(db_session)
        bobs = await second_home(db_session, bob)
        async with gql_socket(api_processes[0].ws_url) as sock:
            await sock.init(token_for(alice))
            await sock.subscribe(HOME_STATS, {"id": str(bobs.id)})
            message = await sock.recv()
            payload = message["payload"]
            errors = payload.get("errors", payload)
            assert errors[0]["extensions"]["code"] == "NOT_FOUND"
