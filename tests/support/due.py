"""Channels whose weekly poll fell due a minute ago, seeded straight into the database (fan-out
tests and benchmarks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from storage.engine import create_engine
from storage.migrate import migrate
from storage.repository import CHANNEL, WORKSPACE


async def due_channels(url: str, count: int, *, team: str, schema: str | None = None) -> list[str]:
    """Migrate, then add `count` channels of workspace `team` whose weekly poll is due."""
    engine = create_engine(url, schema=schema)
    await migrate(engine)
    now = datetime.now(UTC)
    due = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    ids = [f"C{n:05d}" for n in range(count)]
    async with engine.begin() as conn:
        await conn.execute(
            insert(WORKSPACE).values(platform="slack", external_id=team, created_at=now)
        )
        await conn.execute(
            insert(CHANNEL),
            [
                {
                    "workspace_id": 1,
                    "external_id": channel,
                    "name": channel.lower(),
                    "question_set": "default",
                    "schedule_weekday": due.weekday(),
                    "schedule_time": due.strftime("%H:%M"),
                    "schedule_timezone": "UTC",
                    "schedule_open_days": 3,
                    "paused": False,
                    "next_open_at": due,
                    "created_at": now,
                    "updated_at": now,
                }
                for channel in ids
            ],
        )
    await engine.dispose()
    return ids
