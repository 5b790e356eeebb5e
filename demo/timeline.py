"""Demo time: the accelerated clock drives the real scheduler's steps week by week, while the
simulated people answer polls at their own moments, through the real Slack and Teams routes.

A week: Monday 09:00 UTC the poll opens in both channels; people answer over Monday and Tuesday;
Wednesday 09:00 the reminders go out and the stragglers answer from their reminder; Thursday 09:00
the poll closes, the summary is posted and the manager's digest follows.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.domain import ChannelRef, Side
from demo import slack_client, teams_client
from demo.actions import answer_asks, take_on
from demo.journal import Journal, Platform
from demo.personas import LAUNCH, MANAGER, RELAUNCH, Answering, Mood, Persona
from demo.world import SLACK_CHANNEL, SLACK_TEAM, TEAMS_CHANNEL, TENANT, World, slack_user_id

log = logging.getLogger(__name__)
Json = dict[str, Any]
SETUP = "setup mon 09:00 UTC 3"
#: When the channels are set up: the Sunday noon before the first poll.
SETUP_BEFORE = timedelta(hours=21)
#: Stragglers answer an hour after Wednesday's reminder (24 h before Thursday's close).
AFTER_REMINDER = timedelta(days=2, hours=1)
CLOSES = timedelta(days=3)
#: Where "run next week" stops: Wednesday noon, everyone but you has answered.
STANDING = timedelta(days=2, hours=3)
#: The loop never moves the clock by less than this (a retrying step asks for 15 s).
MIN_STEP = timedelta(minutes=5)
#: The scheduler may sleep a whole week when nothing is due before then.
MAX_SLEEP = 8 * 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Story:
    """Something that happened to the team (not a message): a bad week, a nudge followed."""

    at: datetime
    platform: Platform
    text: str


@dataclass(order=True)
class _Due:
    at: datetime
    order: int
    platform: Platform = field(compare=False)
    answering: Answering = field(compare=False)


@dataclass
class Simulation:
    world: World
    first_monday: datetime
    seed: int = 7
    #: Personas whose answers are left to the person at the `/_sim` page.
    human: set[str] = field(default_factory=set)
    journal: Journal = field(init=False)
    moods: dict[Platform, Mood] = field(init=False)
    story: list[Story] = field(default_factory=list)
    week: int = 0
    #: What the simulation is doing right now ("" when idle), for the page.
    doing: str = ""
    #: Set once the team is set up and the page may act (the demo sets it after warming up).
    ready: bool = False
    #: What went wrong, for the page, if the simulation cannot go on.
    problem: str = ""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _due: list[_Due] = field(default_factory=list)
    _order: itertools.count[int] = field(default_factory=itertools.count)
    _nudges_seen: datetime | None = None
    #: "Done?" messages the simulated people have answered
    _answered: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.journal = Journal(self.world)
        self.moods = {"slack": Mood(LAUNCH, self.seed), "teams": Mood(RELAUNCH, self.seed)}
        scheduler = self.world.application.scheduler
        assert scheduler is not None, "the demo drives the scheduler's steps itself"
        scheduler.max_sleep = MAX_SLEEP

    @property
    def week_start(self) -> datetime:
        """Monday 09:00 of the current week (week 0: the one before the first poll)."""
        return self.first_monday + timedelta(weeks=self.week - 1)

    @property
    def poll_open(self) -> bool:
        now = self.world.clock.now()
        return self.week > 0 and self.week_start <= now < self.week_start + CLOSES

    # ---- the moves the page and the CLI make -------------------------------------------------

    async def setup(self) -> None:
        """Sunday noon: BridgePulse is set up in both channels; everyone picks a side."""
        async with self._doing("Setting up the channels"):
            self.world.clock.set(self.first_monday - SETUP_BEFORE)
            await self._slack_setup()
            await self._teams_setup()
            await self.world.settle()
            self.journal.observe()

    async def play_week(self) -> None:
        """A whole week: open, answers, reminders, close, summary, digest."""
        async with self._doing(f"Playing week {self.week + 1}"):
            await self._start_week()
            await self._run_until(self.week_start + CLOSES + MIN_STEP)

    async def next_week(self) -> None:
        """Close this week (if open) and play the next up to Wednesday noon."""
        async with self._doing(f"Playing week {self.week + 1}"):
            if self.week:
                await self._run_until(self.week_start + CLOSES + MIN_STEP)
            await self._start_week()
            await self._run_until(self.week_start + STANDING)

    async def close_now(self) -> None:
        """Skip to Thursday 09:00: the last answers come in and the poll closes."""
        async with self._doing(f"Closing pulse #{self.week}"):
            if self.week:
                await self._run_until(self.week_start + CLOSES + MIN_STEP)

    # ---- the week ---------------------------------------------------------------------------

    async def _start_week(self) -> None:
        await self._follow_nudges()
        self.week += 1
        start = self.week_start
        self.world.clock.set(start - MIN_STEP)
        for platform, mood in self.moods.items():
            plan = mood.plan_week()
            if plan.incident is not None:
                side = "IT" if plan.incident.side.value == "it" else "marketing"
                text = f"Bad week: {plan.incident.story}; {side}'s {plan.incident.question} dips."
                self.story.append(Story(start, platform, text))
            for answering in plan.answering:
                at = start + (
                    timedelta(hours=answering.after_hours)
                    if answering.after_hours is not None
                    else AFTER_REMINDER
                )
                heapq.heappush(self._due, _Due(at, next(self._order), platform, answering))

    async def _follow_nudges(self) -> None:
        """The team reads last week's summary; with some luck it acts on the nudge."""
        await self._answer_asks()
        repo, since = self.world.application.repo, self._nudges_seen
        channels: tuple[tuple[Platform, ChannelRef], ...] = (
            ("slack", ChannelRef("slack", SLACK_TEAM, SLACK_CHANNEL)),
            ("teams", ChannelRef("teams", TENANT, TEAMS_CHANNEL.id)),
        )
        for platform, ref in channels:
            channel = await repo.find_channel(ref=ref)
            if channel is None or since is None:
                continue
            nudges = await repo.nudges_since(channel_id=channel.id, since=since)
            if nudges:
                latest = nudges[-1]
                story = self.moods[platform].nudged(latest.metric, latest.imperative)
                if story:
                    self.story.append(Story(self.world.clock.now(), platform, story))
                    await self._take_on(platform)
        self._nudges_seen = self.world.clock.now()

    def _doers(self) -> list[Persona]:
        """Who may take a step on or answer "Done?" (the person at the page decides alone)."""
        return [
            p for p in self.world.people if p.side is not Side.OTHER and p.key not in self.human
        ]

    async def _take_on(self, platform: Platform) -> None:
        """Someone takes the followed step on in the channel ("Maya will try this")."""
        people = self._doers()
        if people and await take_on(self.world, platform, people[self.week % len(people)]):
            await self.world.settle()
            self.journal.observe()

    async def _answer_asks(self) -> None:
        """Whoever took a step on says it is done, when asked at the pulse's opening."""
        answered = 0
        for person in self._doers():
            answered += await answer_asks(self.world, person, self._answered)
        if answered:
            await self.world.settle()
            self.journal.observe()

    async def _run_until(self, until: datetime) -> None:
        """Run the scheduler's due steps and the people's answers in time order up to `until`."""
        clock, scheduler = self.world.clock, self.world.application.scheduler
        assert scheduler is not None
        step_at = clock.now()
        while True:
            now = clock.now()
            if now >= step_at:
                # Let the poll counts refreshed by the last answers land before a step.
                await self.world.settle()
                delay = await scheduler.tick()
                step_at = now + max(timedelta(seconds=delay), MIN_STEP)
                self.journal.observe()
            batch = []
            while self._due and self._due[0].at <= now:
                batch.append(heapq.heappop(self._due))
            if batch:
                await asyncio.gather(*(self._answer(d.platform, d.answering) for d in batch))
                self.journal.observe()
            elif now >= until:
                break
            clock.set(min([step_at, until, *(d.at for d in self._due[:1])]))
        await self.world.settle()
        self.journal.observe()

    async def _answer(self, platform: Platform, answering: Answering) -> None:
        if answering.persona.key in self.human:
            return  # left to the person at the page
        if platform == "slack":
            await self._slack_answer(answering)
        else:
            await self._teams_answer(answering)

    # ---- Slack ------------------------------------------------------------------------------

    async def _slack_setup(self) -> None:
        world = self.world
        await world.slack_command(MANAGER, f"/pulse {SETUP}")
        await world.slack_command(MANAGER, "/pulse digest on")
        # Slack: the IT people are the workspace's @it-team user group, mapped to IT in one go
        it_team = [p for p in world.people if p.side is Side.IT]
        world.slack.usergroup(
            SLACK_TEAM, "S0ITTEAM", handle="it-team", users=[slack_user_id(p) for p in it_team]
        )
        await world.slack_command(MANAGER, "/pulse map @it-team it")
        await _all(
            world.slack_command(p, f"/pulse join {p.side.value}")
            for p in world.people
            if p not in it_team
        )

    async def _slack_answer(self, answering: Answering) -> None:
        world, person = self.world, answering.persona
        channel = SLACK_CHANNEL
        if answering.after_hours is None:  # from the reminder, if one came
            channel = world.slack.dm_channel(SLACK_TEAM, slack_user_id(person))
        message = _latest_slack_poll(world, channel) or _latest_slack_poll(world, SLACK_CHANNEL)
        if message is None:
            return
        for block in [b for b in message["blocks"] if slack_client.is_vote_block(b)]:
            block_id = str(block["block_id"])
            choice = answering.answers.get(block_id.removeprefix("q_"))
            action = slack_client.choose(message["blocks"], block_id, choice or "")
            if action is not None:
                await world.slack_click(person, message=message, action=action)

    # ---- Teams ------------------------------------------------------------------------------

    async def _teams_setup(self) -> None:
        world = self.world
        await world.teams_install(MANAGER)
        self.journal.observe()  # the welcome came before anyone typed
        await world.teams_say(MANAGER, f"pulse {SETUP}", private=False)
        self.journal.observe()
        await world.teams_say(MANAGER, "pulse digest on", private=True)
        await _all(
            world.teams_say(p, f"pulse join {p.side.value}", private=True) for p in world.people
        )

    async def _teams_answer(self, answering: Answering) -> None:
        world, person = self.world, answering.persona
        chats = [TEAMS_CHANNEL.id]
        if answering.after_hours is None:
            chats = [*world.teams_private_chat(person), TEAMS_CHANNEL.id]
        for conversation in chats:
            found = _latest_teams_poll(world, conversation)
            if found is not None:
                break
        else:
            return
        message_id, conversation_id, cards = found
        for row in teams_client.question_rows(cards):
            choice = answering.answers.get(row.removeprefix("q_"), "")
            data = teams_client.choose(cards, row, choice)
            if data is not None:
                await world.teams_click(
                    person, conversation_id=conversation_id, message_id=message_id, data=data
                )

    # ---- bookkeeping ------------------------------------------------------------------------

    @asynccontextmanager
    async def _doing(self, what: str) -> AsyncIterator[None]:
        """One move at a time; the page shows what it is while it runs."""
        async with self.lock:
            self.doing = what
            try:
                yield
            finally:
                self.doing = ""


def _latest_slack_poll(world: World, channel: str) -> Json | None:
    for message in reversed(world.slack.messages.get(channel, [])):
        if any(slack_client.is_vote_block(b) for b in message.blocks):
            return {
                "channel": channel,
                "ts": message.ts,
                "text": message.text,
                "blocks": message.blocks,
            }
    return None


def _latest_teams_poll(world: World, conversation_id: str) -> tuple[str, str, list[Json]] | None:
    messages = world.connector.in_conversation(conversation_id)
    for message in sorted(messages, key=lambda m: int(m.id), reverse=True):
        if teams_client.question_rows(message.cards):
            return message.id, message.conversation_id, message.cards
    return None


async def _all(work: Iterable[Awaitable[object]]) -> None:
    await asyncio.gather(*work)
