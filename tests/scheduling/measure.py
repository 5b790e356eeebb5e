"""Measure the scheduler with many channels (not a test; speed and memory belong in benchmarks):

    .venv/bin/python -m tests.scheduling.measure [channels] [DATABASE_URL]

Creates `channels` scheduled channels (default 10,000; all Monday 09:00 UTC, in 100
workspaces), then times one quiet scheduler run and the Monday 09:00 run that opens every poll,
and prints the peak resident memory of the process."""

from __future__ import annotations

import asyncio
import resource
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import insert

from bot.cards import Card
from bot.channels.steps import StepRunner
from bot.context import Deps
from bot.core import Core
from bot.domain import ChannelRef, Destination
from bot.privacy import RespondentHasher
from bot.questions import QuestionSets
from server.scheduler import Scheduler
from storage.engine import create_engine
from storage.migrate import migrate
from storage.repository import CHANNEL, WORKSPACE, SqlRepository
from tests.support.clock import FakeClock

SUNDAY = datetime(2026, 11, 22, 12, tzinfo=UTC)
MONDAY_9 = datetime(2026, 11, 23, 9, tzinfo=UTC)


class CountingMessenger:
    def __init__(self) -> None:
        self.posts = 0

    async def post(self, *, to: Destination, card: Card) -> str:
        self.posts += 1
        return f"m{self.posts}"

    async def update(self, *, to: ChannelRef, message_ref: str, card: Card) -> None:
        return None

    async def members(self, *, channel: ChannelRef) -> Sequence[str]:
        return []


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(channels: int, url: str) -> None:
    engine = create_engine(url)
    await migrate(engine)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(
            insert(WORKSPACE),
            [{"platform": "slack", "external_id": f"T{w}", "created_at": now} for w in range(100)],
        )
        await conn.execute(
            insert(CHANNEL),
            [
                {
                    "workspace_id": 1 + c % 100,
                    "external_id": f"C{c}",
                    "name": f"channel-{c}",
                    "question_set": "default",
                    "schedule_weekday": 0,
                    "schedule_time": "09:00",
                    "schedule_timezone": "UTC",
                    "schedule_open_days": 3,
                    "paused": False,
                    "next_open_at": MONDAY_9,
                    "created_at": now,
                    "updated_at": now,
                }
                for c in range(channels)
            ],
        )
    clock, messenger = FakeClock(SUNDAY), CountingMessenger()
    deps = Deps(
        repo=SqlRepository(engine),
        hasher=RespondentHasher("measure"),
        question_sets=QuestionSets.load(),
        k=5,
        messengers={"slack": messenger},
        clock=clock,
    )
    core = Core(deps)
    scheduler = Scheduler(StepRunner(deps, core.polls, core.digests), clock=clock)
    print(f"{channels} channels created; peak RSS so far {peak_mb():.0f} MB")
    started = time.perf_counter()
    delay = await scheduler.tick()
    print(f"quiet run: {time.perf_counter() - started:.3f} s, next wake in {delay:.0f} s")
    clock.set(MONDAY_9)
    started = time.perf_counter()
    await scheduler.tick()
    elapsed = time.perf_counter() - started
    print(f"Monday 09:00 run: {messenger.posts} polls posted in {elapsed:.1f} s")
    started = time.perf_counter()
    await scheduler.tick()
    print(f"next run (nothing due): {time.perf_counter() - started:.3f} s")
    print(f"peak RSS {peak_mb():.0f} MB")
    await engine.dispose()


def main() -> None:
    channels = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with TemporaryDirectory() as folder:
        url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite+aiosqlite:///{Path(folder) / 'm.db'}"
        asyncio.run(measure(channels, url))


if __name__ == "__main__":
    main()
