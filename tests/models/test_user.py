"""Users: unique usernames, cascade to devices and kind tables, UTC timestamps on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, StatementError

from app import models
from tests.fixtures.factories import create_device, create_home, create_user

TABLES: list[type[models.Device]] = [models.Device, *(kind.model for kind in models.DeviceKind)]


async def _counts(session):
    return {
        model.__tablename__: await session.scalar(select(func.count()).select_from(model))
        for model in TABLES
    }


class TestUserCascade:
    async def test_deleting_a_user_through_the_orm_removes_every_device_row(self, session):
        user, _ = await create_home(session)
        other, _ = await create_home(session)
        await session.commit()
        await session.delete(user)
        await session.commit()
        session.expunge_all()
        assert await _counts(session) == {model.__tablename__: 0 for model in TABLES} | {
            "device": len(models.DeviceKind)
        } | {kind.model.__tablename__: 1 for kind in models.DeviceKind}
        remaining = (await session.scalars(select(models.Device.owner_id))).all()
        assert set(remaining) == {other.id}

    async def test_deleting_a_user_in_sql_removes_every_device_row(self, session):
        user, _ = await create_home(session)
        await session.commit()
        await session.execute(delete(models.User).where(models.User.id == user.id))
        await session.commit()
        assert await _counts(session) == {model.__tablename__: 0 for model in TABLES}

    async def test_deleting_a_base_device_row_removes_its_kind_row(self, session):
        user = await create_user(session)
        battery = await create_device(session, models.DeviceKind.BATTERY, user)
        await session.commit()
        await session.execute(delete(models.Device).where(models.Device.id == battery.id))
        await session.commit()
        assert await _counts(session) == {model.__tablename__: 0 for model in TABLES}


class TestUsername:
    async def test_is_unique(self, session):
        await create_user(session, username="alice")
        await session.commit()
        with pytest.raises(IntegrityError):
            await create_user(session, username="alice")

    async def test_is_unique_whatever_the_case(self, session):
        user = await create_user(session, username="Alice")
        await session.commit()
        assert user.username_key == "alice"
        with pytest.raises(IntegrityError):
            await create_user(session, username="aLICE")
        await session.rollback()
        assert await session.scalar(select(func.count()).select_from(models.User)) == 1


class TestTimestamps:
    async def test_read_back_as_aware_utc(self, session):
        user = await create_user(session)
        device = await create_device(
            session,
            models.DeviceKind.HEATER,
            user,
            created_at=datetime(2026, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))),
        )
        await session.commit()
        session.expunge_all()
        stored = await session.scalar(
            select(models.Device.created_at).where(models.Device.id == device.id)
        )
        assert stored == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
        assert stored.utcoffset() == timedelta(0)

    async def test_naive_datetimes_are_refused(self, session):
        user = await create_user(session)
        with pytest.raises(StatementError, match="naive datetime"):
            await create_device(
                session, models.DeviceKind.HEATER, user, created_at=datetime(2026, 6, 1, 12, 0)
            )
