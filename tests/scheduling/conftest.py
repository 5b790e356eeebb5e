"""Scheduling fixtures: replicas of the core with their own step runner and scheduler, sharing
one database and one fake platform, driven by a fake clock (no sleeping through real time)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.actions.model import DONE
from bot.cards import Card
from bot.channels.steps import StepRunner
from bot.core import Core
from bot.domain import ChannelRef, Destination, PersonRef
from bot.polls.action_values import VOTE
from server.scheduler import Scheduler
from storage.engine import create_engine
from storage.migrate import migrate
from storage.repository import SqlRepository
from tests.support.chat import (
    PLATFORM,
    Chat,
    RecordingMessenger,
    Sent,
    deps_for_tests,
    poll_actions,
)
from tests.support.clock import FakeClock
from tests.support.db import database

#: Long enough that a test's scheduler wakes only when a step is due.
TEST_MAX_SLEEP = 8 * 24 * 3600.0


class PlatformDown(Exception):
    """What a messenger raises when the platform refused a send even after its own retries."""


def kind_of(to: Destination, card: Card) -> str:
    """poll / summary (in the channel), reminder / ask / digest (direct): told apart by their
    buttons (a poll's and a reminder's vote, an action owner's "Done?", none in a digest; a
    summary's next step carries action buttons)."""
    actions = {a for a, _ in poll_actions(card)}
    if isinstance(to, ChannelRef):
        return "poll" if VOTE in actions else "summary"
    if VOTE in actions:
        return "reminder"
    return "ask" if DONE in actions else "digest"


def is_summary(to: Destination, card: Card) -> bool:
    return kind_of(to, card) == "summary"


@dataclass
class Delivery:
    sent: Sent
    at: datetime

    @property
    def kind(self) -> str:
        return kind_of(self.sent.to, self.sent.card)

    @property
    def to(self) -> Destination:
        return self.sent.to


@dataclass
class FakePlatform(RecordingMessenger):
    """The platform as every replica sees it: notes the (fake) time of each post, and can be
    slow, refuse sends, or hang (a replica killed mid-send) on demand."""

    clock: FakeClock = field(default_factory=FakeClock)
    log: list[Delivery] = field(default_factory=list)
    #: Returns True to refuse this send (raise PlatformDown) instead of delivering it.
    refuse: Callable[[Destination, Card], bool] | None = None
    #: Returns True to hang this send forever (the replica dies while sending it).
    hang: Callable[[Destination, Card], bool] | None = None
    #: Set once a send hangs.
    hung: asyncio.Event = field(default_factory=asyncio.Event)
    #: When set, the first send waits (up to 5 s) for a second one to start: proves overlap.
    await_company: bool = False
    _company: asyncio.Event = field(default_factory=asyncio.Event)
    latency: float = 0.0
    in_flight: int = 0
    max_in_flight: int = 0

    async def post(self, *, to: Destination, card: Card) -> str:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.in_flight > 1:
            self._company.set()
        try:
            if self.await_company and self.in_flight == 1 and not self._company.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._company.wait(), 5)
            if self.latency:
                await asyncio.sleep(random.uniform(0, self.latency))
            if self.hang is not None and self.hang(to, card):
                self.hung.set()
                await asyncio.Event().wait()
            if self.refuse is not None and self.refuse(to, card):
                raise PlatformDown(f"refused a post to {to}")
            ref = await super().post(to=to, card=card)
            self.log.append(Delivery(self.posts[-1], self.clock.now()))
            return ref
        finally:
            self.in_flight -= 1

    def of_kind(self, kind: str) -> list[Delivery]:
        return [d for d in self.log if d.kind == kind]


@dataclass
class Replica:
    """One BridgePulse process: its own core, step runner and scheduler (not the APScheduler
    timer: tests call `tick()` where the timer would)."""

    core: Core
    runner: StepRunner
    scheduler: Scheduler
    chat: Chat

    async def tick(self) -> float:
        return await self.scheduler.tick()


def make_replica(
    repo: SqlRepository,
    clock: FakeClock,
    platform: FakePlatform,
    *,
    owner: str,
    channel_id: str = "C1",
    concurrency: int = 8,
) -> Replica:
    deps = deps_for_tests(repo, platform, clock)
    core = Core(deps)
    runner = StepRunner(deps, core.polls, core.digests, owner=owner, concurrency=concurrency)
    scheduler = Scheduler(runner, clock=clock, max_sleep=TEST_MAX_SLEEP)
    deps.schedule_listener = scheduler
    return Replica(core, runner, scheduler, Chat(core, platform, channel_id=channel_id))


async def run_until(clock: FakeClock, until: datetime, *replicas: Replica) -> None:
    """Let the replicas' schedulers run until `until`, waking when they asked to (all at once,
    like replicas whose timers fire together)."""
    while True:
        delays = await asyncio.gather(*(r.tick() for r in replicas))
        if clock.now() >= until:
            return
        clock.set(min(clock.now() + timedelta(seconds=min(delays)), until))


@pytest.fixture
def platform(clock: FakeClock) -> FakePlatform:
    return FakePlatform(clock=clock)


@pytest.fixture
def replica(repo: SqlRepository, clock: FakeClock, platform: FakePlatform) -> Replica:
    return make_replica(repo, clock, platform, owner="replica-a")


@pytest.fixture
async def two_repos(
    backend: str, tmp_path: Path
) -> AsyncIterator[tuple[SqlRepository, SqlRepository]]:
    """Two repositories with their own engines (connection pools) on one database, as two
    replicas have."""
    async with database(backend, tmp_path) as (url, schema):
        engines = [create_engine(url, schema=schema) for _ in range(2)]
        try:
            await migrate(engines[0])
            yield SqlRepository(engines[0]), SqlRepository(engines[1])
        finally:
            for engine in engines:
                await engine.dispose()


def person(user_id: str) -> PersonRef:
    return PersonRef(PLATFORM, "W1", user_id)
