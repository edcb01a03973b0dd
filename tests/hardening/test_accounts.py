"""Accounts and tokens: refresh rotation and reuse, logout, password change, account deletion.

On the real stores (PostgreSQL + Redis); revocation across two API processes goes through Redis.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text

from app import models
from app.live import keys
from app.live.backends import RedisBackend
from app.live.store import LiveStore
from app.pipeline.cycle import cycle_instant
from tests.fixtures.app import _api
from tests.hardening.conftest import error_code
from workers.jobs.simulate import simulate_user_batch

PASSWORD = "correct horse battery"
PAYLOAD = "{ token expiresAt refreshToken refreshExpiresAt user { id username } }"
REGISTER = (
    "mutation($u: String!, $p: String!) { registerUser(username: $u, password: $p) "
    + PAYLOAD
    + " }"
)
LOGIN = (
    "mutation($u: String!, $p: String!) { loginUser(username: $u, password: $p) " + PAYLOAD + " }"
)
REFRESH = "mutation($r: String!) { refreshToken(refreshToken: $r) " + PAYLOAD + " }"
LOGOUT = "mutation($r: String!, $e: Boolean) { logout(refreshToken: $r, everywhere: $e) }"
CHANGE = (
    "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) "
    + PAYLOAD
    + " }"
)
DELETE = "mutation($p: String!) { deleteAccount(password: $p) }"
ME = "{ me { username } }"
STATS = "{ energyStats { currentProduction timestamp } }"


async def register(api: Any, username: str = "alice") -> dict[str, Any]:
    body = await api.gql(REGISTER, {"u": username, "p": PASSWORD})
    assert body.get("errors") is None, body
    payload: dict[str, Any] = body["data"]["registerUser"]
    return payload


async def ok(
    api: Any, query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> Any:
    body = await api.gql(query, variables, token)
    assert body.get("errors") is None, body
    return body["data"]


async def refused(api: Any, token: str) -> bool:
    body = await api.gql(ME, token=token)
    return bool(body.get("errors")) and error_code(body) == "UNAUTHENTICATED"


class TestRefreshTokens:
    async def test_register_and_login_return_a_30_day_refresh_token(self, api):
        payload = await register(api)
        login = (await ok(api, LOGIN, {"u": "alice", "p": PASSWORD}))["loginUser"]
        for p in (payload, login):
            expires = datetime.fromisoformat(p["refreshExpiresAt"])
            assert timedelta(days=29, hours=23) < expires - datetime.now(UTC) <= timedelta(days=30)
            assert len(p["refreshToken"]) >= 43  # 256 bits, url-safe base64
        assert payload["refreshToken"] != login["refreshToken"]

    async def test_stored_only_as_hashes_with_family_and_user_agent(self, api):
        payload = await register(api)
        async with api.state.sessionmaker() as s:
            rows = (await s.execute(text("SELECT * FROM refresh_token"))).mappings().all()
        assert len(rows) == 1
        assert payload["refreshToken"] not in str(dict(rows[0]))
        assert rows[0]["family_id"] is not None
        assert rows[0]["user_agent"].startswith("python-httpx")

    async def test_rotation_without_an_access_token_and_the_old_one_stops_working(self, api):
        first = await register(api)
        second = (await ok(api, REFRESH, {"r": first["refreshToken"]}))["refreshToken"]
        assert second["refreshToken"] != first["refreshToken"]
        assert (await ok(api, ME, token=second["token"]))["me"]["username"] == "alice"
        third = (await ok(api, REFRESH, {"r": second["refreshToken"]}))["refreshToken"]
        assert third["user"]["username"] == "alice"

    async def test_reusing_a_used_token_revokes_its_whole_family(self, api):
        first = await register(api)
        other_session = (await ok(api, LOGIN, {"u": "alice", "p": PASSWORD}))["loginUser"]
        second = (await ok(api, REFRESH, {"r": first["refreshToken"]}))["refreshToken"]
        # The stolen copy of the first token is presented again: refused, family revoked.
        body = await api.gql(REFRESH, {"r": first["refreshToken"]})
        assert error_code(body) == "UNAUTHENTICATED"
        assert body["data"] is None
        assert (
            error_code(await api.gql(REFRESH, {"r": second["refreshToken"]})) == "UNAUTHENTICATED"
        )
        # Another login's family is untouched.
        assert (await ok(api, REFRESH, {"r": other_session["refreshToken"]}))["refreshToken"]

    async def test_concurrent_uses_of_one_token_rotate_once(self, api):
        first = await register(api)
        bodies = await asyncio.gather(
            *(api.gql(REFRESH, {"r": first["refreshToken"]}) for _ in range(5))
        )
        assert sum(1 for b in bodies if b.get("errors") is None) <= 1

    async def test_unknown_expired_and_garbage_tokens_are_unauthenticated(self, api):
        first = await register(api)
        async with api.state.sessionmaker() as s:
            await s.execute(
                text("UPDATE refresh_token SET expires_at = :t"),
                {"t": datetime.now(UTC) - timedelta(seconds=1)},
            )
            await s.commit()
        for token in (first["refreshToken"], "nope", "x" * 2000, ""):
            assert error_code(await api.gql(REFRESH, {"r": token})) == "UNAUTHENTICATED"


class TestLogout:
    async def test_logout_ends_that_session_only(self, api):
        first = await register(api)
        other = (await ok(api, LOGIN, {"u": "alice", "p": PASSWORD}))["loginUser"]
        assert (await ok(api, LOGOUT, {"r": first["refreshToken"]}, first["token"]))["logout"]
        assert error_code(await api.gql(REFRESH, {"r": first["refreshToken"]})) == "UNAUTHENTICATED"
        assert (await ok(api, REFRESH, {"r": other["refreshToken"]}))["refreshToken"]

    async def test_logout_needs_an_access_token_and_another_users_token_is_unknown(self, api):
        alice = await register(api, "alice")
        bob = await register(api, "bob")
        body = await api.gql(LOGOUT, {"r": alice["refreshToken"]})
        assert error_code(body) == "UNAUTHENTICATED"
        assert (await ok(api, LOGOUT, {"r": alice["refreshToken"]}, bob["token"]))[
            "logout"
        ] is False
        assert (await ok(api, REFRESH, {"r": alice["refreshToken"]}))["refreshToken"]

    async def test_everywhere_revokes_every_token_in_every_process(self, make_api):
        async with make_api() as one, make_api() as two:
            first = await register(one)
            other = (await ok(two, LOGIN, {"u": "alice", "p": PASSWORD}))["loginUser"]
            for api in (one, two):
                assert (await ok(api, STATS, token=first["token"]))["energyStats"]
                await api.state.revocations_ready.wait()
            done = await ok(one, LOGOUT, {"r": first["refreshToken"], "e": True}, first["token"])
            assert done["logout"] is True
            assert await refused(one, first["token"])  # this process: at once
            deadline = time.monotonic() + 5  # the contract's bound is 1 s; generous on a busy box
            while not await refused(two, other["token"]):
                assert time.monotonic() < deadline, "the other process still accepts the token"
                await asyncio.sleep(0.05)
            assert error_code(await two.gql(STATS, token=first["token"])) == "UNAUTHENTICATED"
            for refresh in (first["refreshToken"], other["refreshToken"]):
                assert error_code(await one.gql(REFRESH, {"r": refresh})) == "UNAUTHENTICATED"
            # A new sign-in works as usual.
            fresh = (await ok(two, LOGIN, {"u": "alice", "p": PASSWORD}))["loginUser"]
            assert (await ok(one, ME, token=fresh["token"]))["me"]["username"] == "alice"
        # A process started afterwards knows of the revocation from the database.
        async with make_api() as later:
            await later.state.revocations_ready.wait()
            assert await refused(later, first["token"])
            assert not await refused(later, fresh["token"])

    async def test_the_embedded_default_revokes_without_redis(self, state_sqlite):
        async for api in _api(state_sqlite):
            await state_sqlite.revocations_ready.wait()
            first = await register(api)
            await ok(api, LOGOUT, {"r": first["refreshToken"], "e": True}, first["token"])
            assert await refused(api, first["token"])


class TestChangePassword:
    async def test_a_wrong_current_password_changes_nothing(self, api):
        first = await register(api)
        body = await api.gql(
            CHANGE, {"c": "not my password", "n": "a new password"}, first["token"]
        )
        assert error_code(body) == "BAD_USER_INPUT"
        assert "currentPassword" in body["errors"][0]["message"]
        body = await api.gql(CHANGE, {"c": PASSWORD, "n": "short"}, first["token"])
        assert error_code(body) == "BAD_USER_INPUT"
        assert "newPassword" in body["errors"][0]["message"]
        assert not await refused(api, first["token"])
        assert (await ok(api, LOGIN, {"u": "alice", "p": PASSWORD}))["loginUser"]

    async def test_a_change_revokes_earlier_tokens_and_signs_in_anew(self, api):
        first = await register(api)
        changed = (await ok(api, CHANGE, {"c": PASSWORD, "n": "a new password"}, first["token"]))[
            "changePassword"
        ]
        assert await refused(api, first["token"])
        assert error_code(await api.gql(REFRESH, {"r": first["refreshToken"]})) == "UNAUTHENTICATED"
        assert (await ok(api, ME, token=changed["token"]))["me"]["username"] == "alice"
        assert (await ok(api, REFRESH, {"r": changed["refreshToken"]}))["refreshToken"]
        old = await api.gql(LOGIN, {"u": "alice", "p": PASSWORD})
        assert error_code(old) == "UNAUTHENTICATED"
        assert (await ok(api, LOGIN, {"u": "alice", "p": "a new password"}))["loginUser"]


class TestDeleteAccount:
    CREATE = """mutation {
      createBattery(input: {name: "b", capacityWh: 10000}) { id }
      createHeater(input: {name: "h", ratedPowerW: 1500}) { id }
      createSolarPanel(input: {name: "s", panelAreaM2: 10, maxCapacityW: 2000}) { id }
    }"""

    async def _counts(self, api: Any, user_id: str) -> dict[str, int]:
        out = {}
        async with api.state.sessionmaker() as s:
            for table, column in (
                ("user", "id"),
                ("device", "owner_id"),
                ("refresh_token", "user_id"),
                ("energy_minute", "user_id"),
                ("energy_hour", "user_id"),
                ("energy_day", "user_id"),
            ):
                stmt = text(f'SELECT count(*) FROM "{table}" WHERE {column} = :u')
                out[table] = int((await s.execute(stmt, {"u": user_id})).scalar_one())
        return out

    async def test_everything_of_the_user_goes_and_the_next_cycle_writes_none(self, api, redis):
        alice = await register(api, "alice")
        bob = await register(api, "bob")
        for who in (alice, bob):
            await ok(api, self.CREATE, token=who["token"])
        settings = api.state.settings
        ctx: Any = {
            "settings": settings,
            "sessionmaker": api.state.sessionmaker,
            "live": LiveStore(RedisBackend(redis), ttl_s=settings.live_ttl_s),
            "redis": redis,
        }
        async with api.state.sessionmaker() as s:
            everyone = [str(u) for u in (await s.scalars(select(models.User.id))).all()]
        cycle = cycle_instant(datetime.now(UTC), 60)
        await simulate_user_batch(ctx, everyone, int(cycle.timestamp()))
        alice_id = alice["user"]["id"]
        before = await self._counts(api, alice_id)
        assert before["device"] == 3
        assert before["energy_minute"] > 0
        assert await redis.exists(keys.user_energy_stats_key(alice_id))

        wrong = await api.gql(DELETE, {"p": "not my password"}, alice["token"])
        assert error_code(wrong) == "BAD_USER_INPUT"
        assert await self._counts(api, alice_id) == before

        assert (await ok(api, DELETE, {"p": PASSWORD}, alice["token"]))["deleteAccount"] is True
        assert set((await self._counts(api, alice_id)).values()) == {0}
        async with api.state.sessionmaker() as s:
            assert await s.scalar(select(func.count()).select_from(models.Device)) == 3  # bob's
        live_keys = [k.decode() for k in await redis.keys("*")]
        assert not [k for k in live_keys if alice_id in k]
        assert [k for k in live_keys if k.startswith("device:")]  # bob's remain
        # The next cycle (over everyone the test knew of) writes nothing for her.
        await simulate_user_batch(ctx, everyone, int((cycle + timedelta(minutes=1)).timestamp()))
        assert set((await self._counts(api, alice_id)).values()) == {0}
        assert not await redis.exists(keys.user_energy_stats_key(alice_id))
        # Her tokens are refused, even for figures that need no database row.
        assert await refused(api, alice["token"])
        assert error_code(await api.gql(STATS, token=alice["token"])) == "UNAUTHENTICATED"
        assert error_code(await api.gql(REFRESH, {"r": alice["refreshToken"]})) == "UNAUTHENTICATED"
        # The username is free again; bob is untouched.
        again = await register(api, "Alice")
        assert again["user"]["id"] != alice_id
        assert not await refused(api, bob["token"])
