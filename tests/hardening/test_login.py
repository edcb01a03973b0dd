"""Login abuse: rate limits per username and address (shared via Redis), no probing or leaks."""

from __future__ import annotations

import asyncio

import pytest

from app.auth import passwords
from app.errors import TooManyRequests
from app.services.rate_limit import Attempt, LoginLimiter, backoff_delay_s
from app.services.user import LOGIN_FAILED
from tests.fixtures.app import _api, make_settings
from tests.hardening.conftest import error_code

LOGIN = "mutation($u: String!, $p: String!) { loginUser(username: $u, password: $p) { token } }"
PASSWORD = "correct horse battery"


async def _login(api, username, password):
    return await api.gql(LOGIN, {"u": username, "p": password})


class TestPerUsername:
    async def test_failures_slow_the_guesser_but_never_lock_the_owner_out(self, make_api):
        settings = {"LOGIN_MAX_FAILURES_PER_USERNAME": 3, "LOGIN_BACKOFF_BASE_S": 600}
        async with make_api(client=("203.0.113.7", 4000), **settings) as attacker:
            await attacker.register("alice", PASSWORD)
            codes = [error_code(await _login(attacker, "alice", f"guess {i}")) for i in range(6)]
            assert codes == ["UNAUTHENTICATED"] * 3 + ["RATE_LIMITED"] * 3
            # The guessing address is refused, whatever it sends, without a password check.
            body = await _login(attacker, "alice", PASSWORD)
            assert error_code(body) == "RATE_LIMITED"
            assert body["data"] is None
            # Another account from the same address is not affected.
            await attacker.register("bob", PASSWORD)
            assert (await _login(attacker, "bob", PASSWORD)).get("errors") is None
        async with make_api(client=("198.51.100.9", 4000), **settings) as owner:
            # The username's failures are full, but the owner's address has none: let through.
            assert (await _login(owner, "alice", PASSWORD)).get("errors") is None

    async def test_a_full_username_refuses_addresses_that_failed_on_it(self, make_api):
        settings = {"LOGIN_MAX_FAILURES_PER_USERNAME": 2, "LOGIN_BACKOFF_FREE_FAILURES": 10}
        async with make_api(client=("203.0.113.7", 4000), **settings) as first:
            await first.register("alice", PASSWORD)
            assert error_code(await _login(first, "alice", "guess 1")) == "UNAUTHENTICATED"
            async with make_api(client=("203.0.113.8", 4000), **settings) as second:
                assert error_code(await _login(second, "alice", "guess 2")) == "UNAUTHENTICATED"
                # Both guessing addresses have failed on the full username: refused.
                assert error_code(await _login(first, "alice", PASSWORD)) == "RATE_LIMITED"
                assert error_code(await _login(second, "alice", "guess 3")) == "RATE_LIMITED"
            async with make_api(client=("203.0.113.9", 4000), **settings) as fresh:
                # A new address gets its password checked (one guess, then it is refused too).
                assert error_code(await _login(fresh, "alice", "guess 4")) == "UNAUTHENTICATED"
                assert error_code(await _login(fresh, "alice", PASSWORD)) == "RATE_LIMITED"

    async def test_case_variants_share_the_limits(self, make_api):
        async with make_api(LOGIN_BACKOFF_FREE_FAILURES=2, LOGIN_BACKOFF_BASE_S=600) as api:
            await api.register("alice", PASSWORD)
            for name in ("ALICE", "Alice"):
                assert error_code(await _login(api, name, "guess")) == "UNAUTHENTICATED"
            assert error_code(await _login(api, "alice", PASSWORD)) == "RATE_LIMITED"

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


class TestConcurrentBursts:
    """Attempts are reserved before argon2 runs: a burst is bounded like a sequence."""

    @staticmethod
    async def _burst(api, monkeypatch, usernames):
        checked = []
        real = passwords.verify_password

        async def counting(password, password_hash):
            checked.append(1)
            return await real(password, password_hash)

        monkeypatch.setattr(passwords, "verify_password", counting)
        bodies = await asyncio.gather(*(_login(api, name, "wrong password") for name in usernames))
        codes = [error_code(body) for body in bodies]
        return len(checked), codes

    async def test_thirty_wrong_logins_from_one_address_get_five_checks(
        self, make_api, monkeypatch
    ):
        async with make_api(LOGIN_MAX_FAILURES_PER_ADDRESS=5) as api:
            checked, codes = await self._burst(api, monkeypatch, [f"user{i}" for i in range(30)])
        assert checked <= 5
        assert codes.count("UNAUTHENTICATED") == checked
        assert codes.count("RATE_LIMITED") == 30 - checked

    async def test_the_same_burst_in_the_embedded_default(self, state_sqlite, monkeypatch):
        state_sqlite.settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 5
        async for api in _api(state_sqlite):
            checked, codes = await self._burst(api, monkeypatch, [f"user{i}" for i in range(30)])
        assert checked <= 5
        assert codes.count("RATE_LIMITED") == 30 - checked

    async def test_a_burst_on_one_username_gets_its_free_failures(self, make_api, monkeypatch):
        async with make_api(LOGIN_BACKOFF_FREE_FAILURES=3, LOGIN_BACKOFF_BASE_S=600) as api:
            await api.register("alice", PASSWORD)
            checked, codes = await self._burst(api, monkeypatch, ["alice"] * 30)
        assert checked <= 3
        assert codes.count("RATE_LIMITED") == 30 - checked


class TestBackoff:
    """The wait of one (username, address) pair, on a clock the test moves."""

    @pytest.fixture(params=["redis", "memory"])
    def limiter(self, request, redis):
        now = [1_000_000.0]
        settings = make_settings(
            LOGIN_BACKOFF_FREE_FAILURES=2, LOGIN_BACKOFF_BASE_S=10, LOGIN_BACKOFF_MAX_S=40
        )
        limiter = LoginLimiter.from_settings(
            settings, redis if request.param == "redis" else None, clock=lambda: now[0]
        )
        return limiter, now

    async def _try(self, limiter, address="203.0.113.7"):
        try:
            return await limiter.begin("alice", address)
        except TooManyRequests as exc:
            return exc.message

    async def test_the_wait_doubles_up_to_its_cap_and_a_success_clears_it(self, limiter):
        limiter, now = limiter
        for _ in range(2):  # the free failures
            await (await self._try(limiter)).failed()
        start = now[0]
        waits = []
        for _ in range(4):
            refused = await self._try(limiter)
            assert isinstance(refused, str)
            assert "try again later (in " in refused
            waits.append(int(refused.rsplit("in ", 1)[1].split(" ")[0]))
            now[0] += waits[-1]
            await (await self._try(limiter)).failed()
        assert waits == [10, 20, 40, 40]
        # Another address is not slowed by this pair's failures.
        assert isinstance(await self._try(limiter, "198.51.100.9"), Attempt)
        assert now[0] > start
        now[0] += 40
        await (await self._try(limiter)).succeeded()
        for _ in range(2):
            await (await self._try(limiter)).failed()  # free failures again after a success

    async def test_backoff_delay(self):
        delays = [backoff_delay_s(n, free=3, base_s=1, max_s=5) for n in range(1, 8)]
        assert delays == [0, 0, 1, 2, 4, 5, 5]


class TestRegistration:
    REGISTER = (
        "mutation($u: String!) { registerUser(username: $u, password: "
        '"correct horse battery") { token } }'
    )

    async def test_registrations_are_limited_per_address_before_hashing(
        self, make_api, monkeypatch
    ):
        hashed = []
        real = passwords.hash_password

        async def counting(password):
            hashed.append(1)
            return await real(password)

        monkeypatch.setattr(passwords, "hash_password", counting)
        async with make_api(client=("203.0.113.7", 4000), REGISTRATION_MAX_PER_ADDRESS=3) as api:
            for i in range(3):
                assert (await api.gql(self.REGISTER, {"u": f"user{i}"})).get("errors") is None
            body = await api.gql(self.REGISTER, {"u": "user3"})
            assert error_code(body) == "RATE_LIMITED"
            assert body["data"] is None
            assert len(hashed) == 3
            # Nothing was written: the account does not exist.
            assert error_code(await _login(api, "user3", PASSWORD)) == "UNAUTHENTICATED"
        async with make_api(client=("198.51.100.9", 4000), REGISTRATION_MAX_PER_ADDRESS=3) as other:
            assert (await other.gql(self.REGISTER, {"u": "user3"})).get("errors") is None

    async def test_the_embedded_default_limits_registrations_too(self, state_sqlite):
        state_sqlite.settings.REGISTRATION_MAX_PER_ADDRESS = 2
        async for api in _api(state_sqlite):
            for i in range(2):
                assert (await api.gql(self.REGISTER, {"u": f"user{i}"})).get("errors") is None
            assert error_code(await api.gql(self.REGISTER, {"u": "user2"})) == "RATE_LIMITED"


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
