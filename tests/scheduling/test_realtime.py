"""Real time, real APScheduler: a channel set up to open a minute from now gets its poll."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.cards import Card
from bot.channels.cadence import WEEKDAY_NAMES
from bot.context import NoScheduler
from bot.domain import Actor, ChannelRef, Destination
from server.app import build_application
from server.scheduler import Scheduler
from server.settings import load_settings
from storage.engine import create_engine
from storage.migrate import migrate
from tests.support.chat import PLATFORM, RecordingMessenger


class StampingMessenger(RecordingMessenger):
    """Notes the real time of the first post."""

    def __init__(self) -> None:
        super().__init__()
        self.first: datetime | None = None
        self.posted = asyncio.Event()

    async def post(self, *, to: Destination, card: Card) -> str:
        self.first = self.first or datetime.now(UTC)
        self.posted.set()
        return await super().post(to=to, card=card)


async def migrated_sqlite(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'realtime.db'}"
    engine = create_engine(url)
    await migrate(engine)
    await engine.dispose()
    return url


async def test_a_channel_set_up_to_open_in_a_minute_gets_its_poll_within_the_minute(
    tmp_path: Path,
) -> None:
    settings = load_settings(database_url=await migrated_sqlite(tmp_path), mode="test")
    application = await build_application(settings)
    scheduler = application.scheduler
    assert isinstance(scheduler, Scheduler)
    assert application.core.deps.schedule_listener is scheduler
    # Sleep an hour when idle: only the setup waking the running scheduler gets the poll in time.
    scheduler.max_sleep = 3600
    messenger = StampingMessenger()
    application.messengers[PLATFORM] = messenger
    scheduler.start()
    try:
        await asyncio.sleep(0.5)  # the start-up run finds nothing due and goes to sleep
        now = datetime.now(UTC)
        target = (now + timedelta(seconds=65)).replace(second=0, microsecond=0)
        words = f"setup {WEEKDAY_NAMES[target.weekday()]} {target:%H:%M} UTC 1"
        reply = await application.core.command(
            actor=Actor(PLATFORM, "W1", "boss"),
            channel=ChannelRef(PLATFORM, "W1", "C1"),
            text=words,
            name="pulse",
        )
        assert f"{target:%H:%M}" in reply.card.text()
        await asyncio.wait_for(messenger.posted.wait(), (target - now).total_seconds() + 60)
        assert messenger.first is not None and messenger.first >= target
        assert "Weekly pulse #1" in messenger.posts[0].card.text()
    finally:
        await application.close()
    assert not scheduler.running


async def test_a_replica_with_the_scheduler_off_has_none(tmp_path: Path) -> None:
    settings = load_settings(
        database_url=await migrated_sqlite(tmp_path), mode="test", scheduler="off"
    )
    application = await build_application(settings)
    try:
        assert application.scheduler is None
        assert isinstance(application.core.deps.schedule_listener, NoScheduler)
    finally:
        await application.close()
