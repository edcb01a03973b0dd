"""History tables and their owner: deleting users deletes their rows, on both backends.

`energy_minute` has no foreign key (a trigger on "user" deletes its rows); the rollups keep
theirs. Both paths must leave nothing of a deleted user and everything of the others.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app import models
from tests.fixtures.factories import create_user

START = datetime(2026, 1, 12, 20, 0, tzinfo=UTC)
HISTORY = (models.EnergyMinute, models.EnergyHour, models.EnergyDay)


def _rows(user: models.User, minutes: int) -> list[object]:
    rows: list[object] = []
    for n in range(minutes):
        rows.append(
            models.EnergyMinute(
                subject_id=user.id,
                bucket_start=START + timedelta(minutes=n),
                user_id=user.id,
                produced_wh=1.0,
            )
        )
    rows.append(
        models.EnergyHour(
            subject_id=user.id, bucket_start=START, user_id=user.id, produced_wh=float(minutes)
        )
    )
    rows.append(
        models.EnergyDay(
            subject_id=user.id, bucket_start=START, user_id=user.id, produced_wh=float(minutes)
        )
    )
    return rows


async def _owners(session) -> dict[str, list[object]]:
    return {
        model.__tablename__: sorted(
            set((await session.scalars(select(model.user_id))).all()), key=str
        )
        for model in HISTORY
    }


@pytest.mark.parametrize("how", ["orm", "sql"])
async def test_deleting_users_deletes_their_history_only(session, how):
    gone, also_gone, kept = [await create_user(session, username=n) for n in ("a", "b", "c")]
    for user in (gone, also_gone, kept):
        session.add_all(_rows(user, 3))
    await session.commit()
    if how == "orm":
        await session.delete(gone)
        await session.delete(also_gone)
    else:  # one statement deleting several users (the statement-level trigger on PostgreSQL)
        await session.execute(
            delete(models.User).where(models.User.id.in_([gone.id, also_gone.id]))
        )
    await session.commit()
    session.expunge_all()
    assert await _owners(session) == {model.__tablename__: [kept.id] for model in HISTORY}
    minutes = select(func.count()).select_from(models.EnergyMinute)
    assert await session.scalar(minutes) == 3


async def test_rollups_refuse_an_unknown_owner(session):
    user = await create_user(session)
    await session.commit()
    session.add(models.EnergyHour(subject_id=user.id, bucket_start=START, user_id=uuid.uuid4()))
    with pytest.raises(IntegrityError):
        await session.commit()
