"""Login abuse: rate limits per username and address (shared via Redis), no probing or leaks."""

from __future__ import annotations

import pytest

from app.auth import passwords
from app.services.user import LOGIN_FAILED
from tests.fixtures.app import _api
from tests.hardening.conftest import error_code

LOGIN = "mutation($u: String!, $p: String!) { loginUser(username: $u, password: $p) { token } }"
PASSWORD = "correct horse battery"


async def _login(api, username, password):
    return await api.gql(LOGIN, {"u": username, "p": password})


class TestPerUsername:
    async def test_failures_lock_the_username_even_for_the_right_password(self, make_api):
        async with make_api(LOGIN_MAX_FAILURES_PER_USERNAME=3) as api:
            await api.register("alice", PASSWORD)
            for i in range(3):
                body = await _login(api, "alice", f"wrong password {i}")
                assert error_code(body) == "UNAUTHENTICATED"
            body = await _login(api, "alice", PASSWORD)
            assert error_code(body) == "RATE_LIMITED"
            assert body["data"] is None
            # Another account from the same address is not affected.
            await api.register("bob", PASSWORD)
            assert (await _login(api, "bob", PASSWORD)).get("errors") is None

    async def test_a_success_clears_the_count(self, make_api):
        async with make_api(LOGIN_MAX_FAILURES_PER_USERNAME=3) as api:
            await api.register("alice", PASSWORD)
            for _ in range(2):
                await _login(api, "alice", "wrong password")
            assert (await _login(api, "alice", PASSWORD)).get("errors") is None
            for _ in range(2):
                await _login(api, "alice", "wrong password")
            assert (await _login(api, "alice", PASSWORD)).get("errors") is None


class TestPerAddress:
    async def test_spraying_many_usernames_from_one_address_is_limited(self, make_api):
        settings = {"LOGIN_MAX_FAILURES_PER_ADDRESS": 4, "LOGIN_MAX_FAILURES_PER_USERNAME": 100}
        async with make_api(client=("203.0.113.7", 4000), **settings) as attacker:
            await attacker.register("alice", PASSWORD)
            for i in range(4):
                assert error_code(await _login(attacker, f"user{i}", "guess")) == "UNAUTHENTICATED"
            assert error_code(await _login(attacker, "alice", PASSWORD)) == "RATE_LIMITED"
        async with make_api(client=("198.51.100.9", 4000), **settings) as other:
            assert (await _login(other, "alice", PASSWORD)).get("errors") is None


class TestShared:
    async def test_two_api_processes_share_the_counters_through_redis(self, make_api):
        async with (
            make_api(LOGIN_MAX_FAILURES_PER_USERNAME=2) as first,
            make_api(LOGIN_MAX_FAILURES_PER_USERNAME=2) as second,
        ):
            assert first.state is not second.state
            await first.register("alice", PASSWORD)
            await _login(first, "alice", "wrong password")
            await _login(second, "alice", "wrong password")
            assert error_code(await _login(first, "alice", PASSWORD)) == "RATE_LIMITED"
            assert error_code(await _login(second, "alice", PASSWORD)) == "RATE_LIMITED"
            assert await first.state.redis.keys("hems:login:*")
            assert not await first.state.redis.keys("*alice*")  # usernames are hashed

    async def test_the_embedded_default_limits_in_process(self, state_sqlite):
        state_sqlite.settings.LOGIN_MAX_FAILURES_PER_USERNAME = 2
        async for api in _api(state_sqlite):
            await api.register("alice", PASSWORD)
            for _ in range(2):
                await _login(api, "alice", "wrong password")
            assert error_code(await _login(api, "alice", PASSWORD)) == "RATE_LIMITED"


class TestNoProbing:
    async def test_unknown_user_and_wrong_password_look_the_same(self, api, monkeypatch):
        await api.register("alice", PASSWORD)
        verified = []
        real = passwords.verify_password

        async def spy(password, password_hash):
            verified.append(password_hash is None)
            return await real(password, password_hash)

        monkeypatch.setattr(passwords, "verify_password", spy)
        wrong = await _login(api, "alice", "not the password")
        unknown = await _login(api, "nobody-here", "not the password")
        assert wrong == unknown
        assert wrong["errors"][0]["message"] == LOGIN_FAILED
        # Both paths ran one argon2 verification (the unknown user against a dummy hash).
        assert verified == [False, True]


class TestSecrets:
    async def test_passwords_never_reach_logs_or_answers(self, api, json_logs, caplog):
        secret = "s3cret-Pa55word-zebra"
        caplog.set_level("DEBUG")
        register = await api.gql(
            'mutation($p: String!) { registerUser(username: "alice", password: $p) '
            "{ token user { username } } }",
            {"p": secret},
        )
        ok = await _login(api, "alice", secret)
        bad = await _login(api, "alice", secret + "x")
        for body in (register, ok, bad):
            assert secret not in str(body)
        assert '"event":"request"' in json_logs.getvalue()  # the requests were logged
        assert secret not in json_logs.getvalue()
        assert secret not in caplog.text
        assert all(secret not in str(r.__dict__) for r in caplog.records)


class TestLengthLimits:
    @pytest.mark.parametrize(
        ("username", "password"),
        [("a" * 65, PASSWORD), ("alice", "short"), ("alice", "p" * 257)],
    )
    async def test_registration_refuses_out_of_bounds_credentials(self, api, username, password):
        body = await api.gql(
            "mutation($u: String!, $p: String!) { registerUser(username: $u, password: $p) "
            "{ token } }",
            {"u": username, "p": password},
        )
        assert error_code(body) == "BAD_USER_INPUT"

    async def test_an_enormous_password_is_refused_without_hashing(self, api, monkeypatch):
        await api.register("alice", PASSWORD)
        calls = []
        monkeypatch.setattr(passwords, "verify_password", lambda *a: calls.append(a))
        body = await _login(api, "alice", "p" * 20_000)
        assert error_code(body) == "UNAUTHENTICATED"
        assert calls == []
