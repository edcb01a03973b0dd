"""Subscriptions over real websockets to real API processes (uvicorn) sharing PostgreSQL+Redis.

Cycles run through the worker's batch job (`simulate_user_batch`), which publishes the batch's
users on Redis; each API process fans the notice out to its own subscribers.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from app import models
from app.auth.jwt import issue_token
from tests.fixtures.factories import create_device, create_home
from tests.subscriptions.client import GRAPHQL_WS, Closed, gql_socket
from workers.jobs.simulate import simulate_user_batch

pytestmark = pytest.mark.slow

STATS = "subscription { energyStats { currentProduction netGridFlow timestamp } }"
READINGS = (
    "subscription($ids: [ID!]) { deviceReadings(ids: $ids) "
    "{ deviceId reading { powerW timestamp storage { flowW } } } }"
)


def token_for(user: models.User, lifetime_s: int = 3600) -> str:
    token, _ = issue_token(
        user.id, user.username, secret=os.environ["JWT_SECRET"], lifetime_s=lifetime_s
    )
    return token


async def run_batch(ctx, users, at: datetime) -> None:
    await simulate_user_batch(ctx, [str(u.id) for u in users], int(at.timestamp()))


async def home(db_session):
    user, devices = await create_home(db_session)
    await db_session.commit()
    return user, devices


class TestEnergyStats:
    async def test_first_message_at_once_then_one_per_cycle(
        self, api_processes, db_session, ctx, first_cycle
    ):
        user, _ = await home(db_session)
        await run_batch(ctx, [user], first_cycle)
        async with gql_socket(api_processes[0].ws_url) as sock:
            assert (await sock.init(token_for(user)))["type"] == "connection_ack"
            await sock.subscribe(STATS)
            first = (await sock.next(wait_s=3))["data"]["energyStats"]
            assert first["timestamp"] == first_cycle.isoformat()
            # Messages arrive in order: a second message for a cycle would come before the
            # next cycle's, so each next message being the newest cycle proves one per cycle.
            for n in (1, 2, 3):
                at = first_cycle + timedelta(minutes=n)
                await run_batch(ctx, [user], at)
                figures = (await sock.next())["data"]["energyStats"]
                assert figures["timestamp"] == at.isoformat()

    async def test_before_any_cycle_the_first_message_is_zeros(self, api_processes, db_session):
        user, _ = await home(db_session)
        async with gql_socket(api_processes[0].ws_url) as sock:
            await sock.init(token_for(user))
            await sock.subscribe(STATS)
            assert (await sock.next(wait_s=3))["data"]["energyStats"] == {
                "currentProduction": 0.0,
                "netGridFlow": 0.0,
                "timestamp": None,
            }

    async def test_the_old_graphql_ws_protocol_works_too(
        self, api_processes, db_session, ctx, first_cycle
    ):
        user, _ = await home(db_session)
        async with gql_socket(api_processes[1].ws_url, GRAPHQL_WS) as sock:
            assert (await sock.init(token_for(user)))["type"] == "connection_ack"
            await sock.subscribe(STATS)
            await sock.next(wait_s=3)
            await run_batch(ctx, [user], first_cycle)
            figures = (await sock.next())["data"]["energyStats"]
            assert figures["timestamp"] == first_cycle.isoformat()


class TestAuthentication:
    @pytest.mark.parametrize("token", [None, "not-a-token"])
    async def test_a_missing_or_bad_token_is_refused_with_4403(self, api_processes, token):
        async with gql_socket(api_processes[0].ws_url) as sock:
            with pytest.raises(Closed) as closed:
                await sock.init(token)
            assert closed.value.code == 4403

    async def test_graphql_ws_answers_connection_error(self, api_processes):
        async with gql_socket(api_processes[0].ws_url, GRAPHQL_WS) as sock:
            message = await sock.init("not-a-token")
            assert message["type"] == "connection_error"
            assert message["payload"]["code"] == "UNAUTHENTICATED"

    async def test_subscribing_without_connection_init_is_refused(self, api_processes):
        async with gql_socket(api_processes[0].ws_url) as sock:
            await sock.subscribe(STATS)
            with pytest.raises(Closed) as closed:
                await sock.recv()
            assert closed.value.code == 4401

    async def test_token_expiry_ends_the_stream(self, api_processes, db_session):
        user, _ = await home(db_session)
        async with gql_socket(api_processes[0].ws_url) as sock:
            await sock.init(token_for(user, lifetime_s=2))
            op = await sock.subscribe(STATS)
            await sock.next(wait_s=3)
            message = await sock.recv(wait_s=6)
            assert message["id"] == op
            errors = message["payload"]["errors"]
            assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert (await sock.recv())["type"] == "complete"


async def until_closed(sock) -> tuple[int | None, list[dict[str, Any]]]:
    """Every message until the server closes the socket, and the close code."""
    messages = []
    while True:
        try:
            messages.append(await sock.recv(wait_s=5))
        except Closed as closed:
            return closed.code, messages


class TestRevocation:
    async def test_a_revoked_users_socket_is_closed_at_the_next_message(
        self, api_processes, db_session, ctx, first_cycle
    ):
        user, _ = await home(db_session)
        token = token_for(user)
        async with gql_socket(api_processes[1].ws_url) as sock:
            await sock.init(token)
            await sock.subscribe(STATS)
            await sock.next(wait_s=3)
            # Logged out everywhere through the other API process.
            async with httpx.AsyncClient() as client:
                response = await client.post(
                    api_processes[0].http_url,
                    json={"query": 'mutation { logout(refreshToken: "-", everywhere: true) }'},
                    headers={"Authorization": f"Bearer {token}"},
                )
            assert response.json() == {"data": {"logout": True}}
            await asyncio.sleep(1.0)  # the contract's bound for the bump to reach every process
            await run_batch(ctx, [user], first_cycle)
            code, messages = await until_closed(sock)
            # No figures after the revocation: at most the stream's UNAUTHENTICATED error.
            assert not [m for m in messages if (m.get("payload") or {}).get("data")], messages
            assert code == 4403


class TestIsolationAndFanOut:
    async def test_a_user_never_receives_another_users_figures(
        self, api_processes, db_session, ctx, first_cycle
    ):
        alice, _ = await home(db_session)
        bob, _ = await create_home(db_session)
        await create_device(db_session, models.DeviceKind.SOLAR_PANEL, bob)
        await db_session.commit()
        async with (
            gql_socket(api_processes[0].ws_url) as a,
            gql_socket(api_processes[0].ws_url) as b,
        ):
            await a.init(token_for(alice))
            await b.init(token_for(bob))
            await a.subscribe(STATS)
            await b.subscribe(STATS)
            await a.next(wait_s=3)
            await b.next(wait_s=3)
            # Each socket's messages arrive in order: had Bob's socket been sent anything for
            # Alice's batch, that message would come before the one for his own batch.
            await run_batch(ctx, [alice], first_cycle)
            mine = (await a.next())["data"]["energyStats"]
            alice_stats = await ctx["live"].energy_stats(alice.id)
            await run_batch(ctx, [bob], first_cycle)
            theirs = (await b.next())["data"]["energyStats"]
            bob_stats = await ctx["live"].energy_stats(bob.id)
            # Likewise for Alice: her next message is her next cycle, not Bob's figures.
            later = first_cycle + timedelta(minutes=1)
            await run_batch(ctx, [alice], later)
            mine_later = (await a.next())["data"]["energyStats"]
            assert mine["currentProduction"] == alice_stats.current_production
            assert theirs["currentProduction"] == bob_stats.current_production
            assert mine["currentProduction"] != theirs["currentProduction"]
            assert mine_later["timestamp"] == later.isoformat()

    async def test_two_api_processes_both_deliver(
        self, api_processes, db_session, ctx, first_cycle
    ):
        user, _ = await home(db_session)
        async with (
            gql_socket(api_processes[0].ws_url) as one,
            gql_socket(api_processes[1].ws_url) as two,
        ):
            for sock in (one, two):
                await sock.init(token_for(user))
                await sock.subscribe(STATS)
                await sock.next(wait_s=3)
            await run_batch(ctx, [user], first_cycle)
            got = await asyncio.gather(one.next(), two.next())
            assert {g["data"]["energyStats"]["timestamp"] for g in got} == {first_cycle.isoformat()}


class TestDeviceReadings:
    async def test_all_devices_when_ids_are_omitted_then_one_message_per_cycle(
        self, api_processes, db_session, ctx, first_cycle
    ):
        user, devices = await home(db_session)
        async with gql_socket(api_processes[0].ws_url) as sock:
            await sock.init(token_for(user))
            await sock.subscribe(READINGS)
            first = (await sock.next(wait_s=3))["data"]["deviceReadings"]
            assert {r["deviceId"] for r in first} == {str(d.id) for d in devices}
            assert all(r["reading"] is None for r in first)
            for n in (0, 1, 2):
                at = first_cycle + timedelta(minutes=n)
                await run_batch(ctx, [user], at)
                # In order: an extra message for the previous cycle would arrive first.
                update = (await sock.next())["data"]["deviceReadings"]
                assert {r["reading"]["timestamp"] for r in update} == {at.isoformat()}

    async def test_all_devices_follows_devices_added_and_deleted_meanwhile(
        self, api_processes, db_session, ctx, first_cycle
    ):
        user, devices = await home(db_session)
        async with gql_socket(api_processes[0].ws_url) as sock:
            await sock.init(token_for(user))
            await sock.subscribe(READINGS)
            first = (await sock.next(wait_s=3))["data"]["deviceReadings"]
            assert {r["deviceId"] for r in first} == {str(d.id) for d in devices}
            added = await create_device(db_session, models.DeviceKind.HEATER, user)
            gone = devices[0]
            await db_session.delete(gone)
            await db_session.commit()
            await run_batch(ctx, [user], first_cycle)
            update = (await sock.next())["data"]["deviceReadings"]
            expected = {str(d.id) for d in devices[1:]} | {str(added.id)}
            assert {r["deviceId"] for r in update} == expected
            assert all(r["reading"] is not None for r in update)

    async def test_only_the_named_devices(self, api_processes, db_session, ctx, first_cycle):
        user, devices = await home(db_session)
        battery = next(d for d in devices if d.kind == models.DeviceKind.BATTERY)
        await run_batch(ctx, [user], first_cycle)
        async with gql_socket(api_processes[0].ws_url) as sock:
            await sock.init(token_for(user))
            await sock.subscribe(READINGS, {"ids": [str(battery.id)]})
            (reading,) = (await sock.next(wait_s=3))["data"]["deviceReadings"]
            assert reading["deviceId"] == str(battery.id)
            assert reading["reading"]["storage"] is not None

    async def test_another_users_device_is_not_found(self, api_processes, db_session):
        alice, _ = await home(db_session)
        _, bobs = await home(db_session)
        async with gql_socket(api_processes[0].ws_url) as sock:
            await sock.init(token_for(alice))
            await sock.subscribe(READINGS, {"ids": [str(bobs[0].id)]})
            message = await sock.recv()
            errors = (
                message["payload"]["errors"]
                if "errors" in message["payload"]
                else message["payload"]
            )
            assert errors[0]["extensions"]["code"] == "NOT_FOUND"


class TestLimits:
    async def test_connections_per_user_are_bounded(self, api_processes, db_session):
        user, _ = await home(db_session)
        token = token_for(user)
        async with (
            gql_socket(api_processes[0].ws_url) as s1,
            gql_socket(api_processes[0].ws_url) as s2,
            gql_socket(api_processes[0].ws_url) as s3,
            gql_socket(api_processes[0].ws_url) as s4,
        ):
            for sock in (s1, s2, s3):
                assert (await sock.init(token))["type"] == "connection_ack"
            with pytest.raises(Closed) as closed:
                await s4.init(token)
            assert closed.value.code == 4403
        # Closed connections are released.
        async with gql_socket(api_processes[0].ws_url) as again:
            assert (await again.init(token))["type"] == "connection_ack"

    async def test_subscriptions_per_connection_are_bounded(self, api_processes, db_session):
        user, _ = await home(db_session)
        async with gql_socket(api_processes[0].ws_url) as sock:
            await sock.init(token_for(user))
            for _ in range(10):
                await sock.subscribe(STATS)
                await sock.next(wait_s=3)
            await sock.subscribe(STATS)
            message = await sock.recv()
            assert message["type"] == "error"
            assert "limit" in message["payload"][0]["message"]
