"""A tiny GraphQL-over-websocket client (graphql-transport-ws and graphql-ws) for the tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

TRANSPORT_WS = "graphql-transport-ws"
GRAPHQL_WS = "graphql-ws"


class Closed(Exception):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code} {reason}")
        self.code = code
        self.reason = reason


class GqlSocket:
    """One websocket speaking either subscription protocol."""

    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self._ids = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(orjson.dumps(message).decode())

    async def recv(self, wait_s: float = 10.0) -> dict[str, Any]:
        """The next message, skipping keep-alives; raises Closed when the server closed."""
        while True:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), wait_s)
            except ConnectionClosed as exc:
                rcvd = exc.rcvd
                raise Closed(rcvd.code if rcvd else None, rcvd.reason if rcvd else "") from None
            message: dict[str, Any] = orjson.loads(raw)
            if message.get("type") in ("ka", "ping", "pong"):
                continue
            return message

    async def init(self, token: str | None) -> dict[str, Any]:
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": payload})
        return await self.recv()

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._ids += 1
        op = str(self._ids)
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": op, "type": kind, "payload": payload})
        return op

    async def next(self, wait_s: float = 10.0) -> dict[str, Any]:
        """The payload of the next result message (`next` / `data`)."""
        message = await self.recv(wait_s)
        assert message["type"] in ("next", "data"), message
        payload: dict[str, Any] = message["payload"]
        return payload


@asynccontextmanager
async def gql_socket(url: str, protocol: str = TRANSPORT_WS) -> AsyncIterator[GqlSocket]:
    async with connect(url, subprotocols=[protocol], open_timeout=10) as ws:  # type: ignore[list-item]
        yield GqlSocket(ws, protocol)
