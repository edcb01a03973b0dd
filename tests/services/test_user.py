"""app/services/user.py: registration and login at the service level."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import models
from app.auth import passwords
from app.errors import BadUserInput, Unauthenticated
from app.services.user import LOGIN_FAILED, login_user, register_user
from tests.fixtures.app import make_settings


@pytest.fixture
def settings():
    return make_settings()


class TestRegisterUser:
    async def test_creates_the_account_at_the_default_home(self, db_session, settings):
        result = await register_user(
            db_session, settings, username="alice", password="correct horse battery"
        )
        assert (result.user.username, result.user.timezone) == ("alice", "America/Los_Angeles")
        assert (result.user.latitude, result.user.longitude) == (37.77, -122.42)

    async def test_takes_a_given_home(self, db_session, settings):
        result = await register_user(
            db_session,
            settings,
            username="bert",
            password="correct horse battery",
            timezone="Europe/Berlin",
            latitude=52.52,
            longitude=13.405,
        )
        assert (result.user.timezone, result.user.latitude) == ("Europe/Berlin", 52.52)

    async def test_duplicate_is_refused(self, db_session, settings):
        await register_user(db_session, settings, username="alice", password="long enough")
        with pytest.raises(BadUserInput, match="^username: is already taken$"):
            await register_user(db_session, settings, username="alice", password="long enough")
        count = await db_session.scalar(select(func.count()).select_from(models.User))
        assert count == 1

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"username": "alice\n"}, "username"),
            ({"password": "short"}, "password"),
            ({"timezone": "Nowhere/Special"}, "timezone"),
            ({"latitude": -90.5}, "latitude"),
            ({"longitude": 200.0}, "longitude"),
        ],
    )
    async def test_bad_input_names_the_field_and_writes_nothing(
        self, db_session, settings, fields, field, monkeypatch
    ):
        hashed: list[str] = []
        original = passwords.hash_password

        async def counting(password: str) -> str:
            hashed.append(password)
            return await original(password)

        monkeypatch.setattr(passwords, "hash_password", counting)
        values = {"username": "alice", "password": "long enough", **fields}
        with pytest.raises(BadUserInput) as info:
            await register_user(db_session, settings, **values)
        assert info.value.field == field
        assert await db_session.scalar(select(func.count()).select_from(models.User)) == 0
        assert hashed == [], "argon2 ran for a registration refused anyway"


class TestLoginUser:
    async def test_right_password_logs_in(self, db_session, settings):
        registered = await register_user(
            db_session, settings, username="alice", password="long enough"
        )
        result = await login_user(db_session, settings, username="alice", password="long enough")
        assert result.user.id == registered.user.id

    @pytest.mark.parametrize(
        ("username", "password"),
        [
            ("alice", "wrong password"),
            ("nobody", "long enough"),
            ("alice\n", "long enough"),
            ("al\x00ice", "long enough"),
            ("x" * 65, "long enough"),
            ("alice", "p" * 257),
        ],
    )
    async def test_everything_else_gets_the_same_refusal(
        self, db_session, settings, username, password
    ):
        await register_user(db_session, settings, username="alice", password="long enough")
        with pytest.raises(Unauthenticated) as info:
            await login_user(db_session, settings, username=username, password=password)
        assert info.value.message == LOGIN_FAILED
