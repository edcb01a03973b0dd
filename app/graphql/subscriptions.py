"""GraphQL subscriptions (graphql-transport-ws and graphql-ws): live figures once per cycle.

Authentication comes from the `connection_init` payload (`{"authorization": "Bearer ..."}`);
a missing or bad token is refused there (graphql-transport-ws closes with 4403 Forbidden,
graphql-ws answers `connection_error`). Each stream ends with UNAUTHENTICATED when the token
expires. Streams read the live store (Redis or memory), never the database, and are woken by
the process's `LiveHub` (one Redis subscription per process) only for the caller's own user id,
so a user never receives another user's data.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
import uuid
from collections import Counter
from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType

from app.auth.jwt import TokenClaims
from app.errors import BadUserInput, NotFound, Unauthenticated
from app.graphql.context import Context, Info
from app.graphql.types.readings import DeviceReading, EnergyStats
from app.live.pubsub import hub_for
from app.live.readings import EMPTY_STATS
from app.repositories.device import DeviceRepository
from app.repositories.home import HomeRepository
from app.services.device import owned_device_ids
from app.services.home import parse_home_id

#: Most device ids one `deviceReadings` subscription may name.
MAX_DEVICE_IDS = 500


@strawberry.type(name="DeviceReadingUpdate")
class DeviceReadingUpdate:
    device_id: strawberry.ID
    reading: DeviceReading | None = strawberry.field(
        description="Null before the device's first cycle or once its reading has expired."
    )


def _claims(info: Info) -> TokenClaims:
    """The caller's verified token (from connection_init, or the request header)."""
    header = info.context.authorization
    info.context.principal  # noqa: B018 - raises UNAUTHENTICATED with the precise reason
    assert header is not None
    return info.context.verifier.verify(header.partition(" ")[2].strip())


def _remaining_s(claims: TokenClaims) -> float:
    return claims.expires_at.timestamp() - time.time()


#: graphql-transport-ws close code for a connection whose credentials no longer hold.
REVOKED_CLOSE_CODE = 4403


async def _end_if_revoked(info: Info, claims: TokenClaims) -> None:
    """Before each message: a revoked token (password changed, logged out everywhere, account
    deleted) closes the socket with 4403 and ends the stream with UNAUTHENTICATED."""
    if not info.context.verifier.revocations.is_revoked(claims):
        return
    websocket = info.context.extra.get("websocket")
    if websocket is not None:
        with contextlib.suppress(Exception):  # already closing: the error below still ends it
            await websocket.close(REVOKED_CLOSE_CODE, "Forbidden: token revoked")
    raise Unauthenticated("token revoked: sign in again")


async def _owned_devices(
    info: Info, owner: uuid.UUID, ids: Sequence[strawberry.ID] | None
) -> list[uuid.UUID]:
    """The caller's device ids (all of them when `ids` is None); foreign ids are NOT_FOUND."""
    if ids is not None and len(ids) > MAX_DEVICE_IDS:
        raise BadUserInput("ids", f"at most {MAX_DEVICE_IDS} ids per subscription")
    db = info.context.db
    # One short read; the session is closed at once, not held for the socket's lifetime.
    async with db.lock:
        try:
            owned = await DeviceRepository(db.session).ids_for_owner(owner)
        finally:
            await db.close()
    if ids is None:
        return owned
    return owned_device_ids(ids, set(owned))


async def _owned_home(info: Info, owner: uuid.UUID, home_id: strawberry.ID) -> uuid.UUID:
    """The caller's home id; unknown, malformed or foreign ids are NOT_FOUND."""
    parsed = parse_home_id(str(home_id))
    db = info.context.db
    async with db.lock:  # one short read, not a session held for the socket's lifetime
        try:
            home = await HomeRepository(db.session).get_for_owner(parsed, owner)
        finally:
            await db.close()
    if home is None:
        raise NotFound(f"home {home_id!r} not found")
    return parsed


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The caller's figures: the current ones at once, then once per cycle."
    )
    async def energy_stats(self, info: Info) -> AsyncGenerator[EnergyStats, None]:
        claims = _claims(info)
        live = info.context.live
        hub = hub_for(live)
        with hub.subscribe(claims.user_id) as mailbox:
            await hub.ready()
            stats = await live.energy_stats(claims.user_id) or EMPTY_STATS
            last: datetime | None = stats.timestamp
            yield EnergyStats.from_live(stats)
            while True:
                if not await mailbox.wait(_remaining_s(claims)) or _remaining_s(claims) <= 0:
                    raise Unauthenticated("token expired")
                await _end_if_revoked(info, claims)
                stats = await live.energy_stats(claims.user_id) or EMPTY_STATS
                if stats.timestamp is not None and stats.timestamp == last:
                    continue  # already sent (the first message raced the notice)
                last = stats.timestamp
                yield EnergyStats.from_live(stats)

    @strawberry.subscription(
        description="One of the caller's homes' figures: the current ones at once, then once "
        "per cycle. An unknown or foreign homeId is NOT_FOUND."
    )
    async def home_energy_stats(
        self, info: Info, home_id: strawberry.ID
    ) -> AsyncGenerator[EnergyStats, None]:
        claims = _claims(info)
        home = await _owned_home(info, claims.user_id, home_id)
        live = info.context.live
        hub = hub_for(live)
        # Cycles announce users; a home's figures are written with its owner's.
        with hub.subscribe(claims.user_id) as mailbox:
            await hub.ready()
            stats = await live.home_energy_stats(home) or EMPTY_STATS
            last: datetime | None = stats.timestamp
            yield EnergyStats.from_live(stats)
            while True:
                if not await mailbox.wait(_remaining_s(claims)) or _remaining_s(claims) <= 0:
                    raise Unauthenticated("token expired")
                stats = await live.home_energy_stats(home) or EMPTY_STATS
                if stats.timestamp is not None and stats.timestamp == last:
                    continue
                last = stats.timestamp
                yield EnergyStats.from_live(stats)

    @strawberry.subscription(
        description="Readings of the caller's devices (all of them, as they are at each cycle, "
        "when `ids` is omitted): the current ones at once, then once per cycle. Unknown or "
        "foreign ids are NOT_FOUND."
    )
    async def device_readings(
        self, info: Info, ids: list[strawberry.ID] | None = None
    ) -> AsyncGenerator[list[DeviceReadingUpdate], None]:
        claims = _claims(info)
        device_ids = await _owned_devices(info, claims.user_id, ids)
        live = info.context.live
        hub = hub_for(live)

        async def snapshot() -> tuple[datetime | None, list[DeviceReadingUpdate]]:
            readings = await live.device_readings(device_ids)
            stamps = [r.timestamp for r in readings if r is not None]
            updates = [
                DeviceReadingUpdate(
                    device_id=strawberry.ID(str(device_id)),
                    reading=DeviceReading.from_live(r) if r is not None else None,
                )
                for device_id, r in zip(device_ids, readings, strict=True)
            ]
            return (max(stamps) if stamps else None), updates

        with hub.subscribe(claims.user_id) as mailbox:
            await hub.ready()
            last, updates = await snapshot()
            yield updates
            while True:
                if not await mailbox.wait(_remaining_s(claims)) or _remaining_s(claims) <= 0:
                    raise Unauthenticated("token expired")
                await _end_if_revoked(info, claims)
                if ids is None:
                    # "All my devices" follows the home: devices added or deleted since the last
                    # message are in or out of this one (one short query per cycle).
                    device_ids = await _owned_devices(info, claims.user_id, None)
                stamp, updates = await snapshot()
                if stamp is not None and stamp == last:
                    continue
                last = stamp
                yield updates


# The users whose connections one websocket `run()` opened (shared with child tasks).
_opened: contextvars.ContextVar[list[uuid.UUID]] = contextvars.ContextVar("hems_ws_opened")


class SubscriptionAuth:
    """Strawberry view mixin: authenticate `connection_init`, bound connections per user.

    Mix in before the view class, e.g. `class Router(SubscriptionAuth, GraphQLRouter)`.
    """

    max_connections_per_user: int = 5

    def _open_connections(self) -> Counter[uuid.UUID]:
        counter: Counter[uuid.UUID] | None = getattr(self, "_hems_connections", None)
        if counter is None:
            counter = Counter()
            self._hems_connections = counter
        return counter

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        header = params.get("authorization") or params.get("Authorization")
        if not isinstance(header, str):
            header = None
        try:
            principal = context.verifier.principal_from_header(header)
        except Unauthenticated as exc:
            raise ConnectionRejectionError({"message": exc.message, "code": exc.code}) from None
        counter = self._open_connections()
        if counter[principal.user_id] >= self.max_connections_per_user:
            raise ConnectionRejectionError(
                {"message": "too many open subscription connections", "code": "RATE_LIMITED"}
            )
        counter[principal.user_id] += 1
        opened = _opened.get(None)
        if opened is not None:
            opened.append(principal.user_id)
        # Resolvers read the principal from here, as for HTTP requests.
        context.authorization = header
        context.__dict__.pop("_principal", None)
        return cast(UnsetType, UNSET)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        token = _opened.set([])
        try:
            return await super().run(request, context, root_value)  # type: ignore[misc]
        finally:
            counter = self._open_connections()
            for user_id in _opened.get():
                counter[user_id] -= 1
                if counter[user_id] <= 0:
                    del counter[user_id]
            _opened.reset(token)
