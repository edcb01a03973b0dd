"""The embedded default (SQLite + in-process store): the cycle wakes subscribers in-process.

Driven through httpx-ws against the ASGI app; plus the hub's bounded, latest-value mailboxes.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from httpx import AsyncClient
from httpx_ws import AsyncWebSocketSession, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from sqlalchemy import select

from app import models
from app.auth.jwt import issue_token
from app.live.pubsub import LiveHub, Mailbox, close_hub, decode_notice, encode_notice
from app.main import create_app
from app.pipeline.cycle import run_cycle
from tests.fixtures.factories import create_home

CYCLE = datetime(2026, 1, 12, 20, 0, tzinfo=UTC)
STATS = "subscription { energyStats { currentProduction timestamp } }"


async def recv(ws: AsyncWebSocketSession, wait_s: float = 5.0) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = orjson.loads(await ws.receive_text(timeout=wait_s))
        if message["type"] not in ("ka", "ping", "pong"):
            return message


class TestEmbedded:
    async def test_in_process_cycle_notifies_the_subscriber(self, state_sqlite):
        async with state_sqlite.sessionmaker() as session:
            user, _ = await create_home(session)
            await session.commit()
            user = (await session.scalars(select(models.User))).one()
        token, _ = issue_token(
            user.id, user.username, secret=os.environ["JWT_SECRET"], lifetime_s=600
        )
        app = create_app(state=state_sqlite)
        transport = ASGIWebSocketTransport(app=app)
        try:
            async with (
                AsyncClient(transport=transport, base_url="http://hems.test") as client,
                aconnect_ws(
                    "http://hems.test/graphql",
                    client,
                    subprotocols=["graphql-transport-ws"],
                    session_class=AsyncWebSocketSession,  # the default; names the type for mypy
                ) as ws,
            ):
                await ws.send_text(
                    orjson.dumps(
                        {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
                    ).decode()
                )
                assert (await recv(ws))["type"] == "connection_ack"
                await ws.send_text(
                    orjson.dumps(
                        {"id": "1", "type": "subscribe", "payload": {"query": STATS}}
                    ).decode()
                )
                first = await recv(ws)
                assert first["payload"]["data"]["energyStats"]["timestamp"] is None
                for n in range(2):
                    at = CYCLE + timedelta(minutes=n)
                    await run_cycle(
                        state_sqlite.sessionmaker, state_sqlite.live, at, batch_users=10
                    )
                    message = await recv(ws)
                    assert message["payload"]["data"]["energyStats"]["timestamp"] == at.isoformat()
        finally:
            await close_hub(state_sqlite.live)
            await transport.aclose()


class TestHub:
    async def test_a_slow_subscriber_keeps_only_the_latest_notice(self):
        hub = LiveHub()
        user = uuid.uuid4()
        with hub.subscribe(user) as box:
            for cycle in range(1000):
                hub.dispatch(cycle, [str(user)])
            assert await box.wait(0.1)
            assert box.cycle == 999
            assert not await box.wait(0.05)  # nothing else queued
        assert hub.subscriber_count == 0

    async def test_dispatch_wakes_only_the_listed_users(self):
        hub = LiveHub()
        alice, bob = uuid.uuid4(), uuid.uuid4()
        with hub.subscribe(alice) as a, hub.subscribe(bob) as b:
            assert hub.dispatch(1, [str(alice)]) == 1
            assert await a.wait(0.1)
            assert not await b.wait(0.05)

    def test_notice_round_trip(self):
        users = [uuid.uuid4(), uuid.uuid4()]
        assert decode_notice(encode_notice(CYCLE, users)) == (
            int(CYCLE.timestamp()),
            [str(u) for u in users],
        )
        assert decode_notice(b"garbage") is None

    async def test_mailbox_never_goes_back_to_an_older_cycle(self):
        box = Mailbox()
        box.put(5)
        box.put(3)
        assert await box.wait(0.1)
        assert box.cycle == 5
        await asyncio.sleep(0)
