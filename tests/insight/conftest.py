"""A team that plays whole weeks through the real core: answers known in advance, polls closed,
summaries posted into a recording messenger."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from bot.cards import Card
from bot.imperatives import rotating_imperative
from tests.support.chat import Chat, Person
from tests.support.clock import FakeClock

#: per person, per question role ("trust", "priority", "lever", "rotating"): the answer
Week = Mapping[str, Mapping[str, str]]


@dataclass(eq=False)
class Team:
    chat: Chat
    clock: FakeClock
    admin: Person
    people: dict[str, Person] = field(default_factory=dict)
    polls: int = 0

    async def join(self, side: str, *names: str) -> None:
        for name in names:
            person = self.chat.person(name)
            self.people[name] = person
            await person.says(f"/pulse join {side}")

    async def answer(self, week: Week) -> None:
        poll = await self.chat.open_poll()
        assert poll is not None
        for name, answers in week.items():
            for role, value in answers.items():
                qid = (
                    f"imperative_{rotating_imperative(poll.number)}" if role == "rotating" else role
                )
                await self.people[name].clicks_answer(qid, value, poll=poll)

    async def open(self) -> None:
        reply = await self.admin.says("/pulse now")
        assert "is open" in reply.card.text(), reply.card.text()
        self.polls += 1

    async def close(self) -> Card:
        self.clock.advance(days=3)
        reply = await self.admin.says("/pulse close")
        assert "is closed" in reply.card.text(), reply.card.text()
        self.clock.advance(days=4)
        return self.chat.last_post()

    async def week(self, week: Week) -> Card:
        """Open a pulse, everyone answers, close it: the posted summary."""
        await self.open()
        await self.answer(week)
        return await self.close()


@pytest.fixture
async def team(chat: Chat, clock: FakeClock) -> Team:
    admin = chat.person("boss")
    await admin.says("/pulse setup mon 09:00 UTC 3")
    return Team(chat, clock, admin)


def uniform(
    marketing: Mapping[str, str], it: Mapping[str, str], *, m: int = 4, i: int = 4
) -> dict[str, dict[str, str]]:
    """Every marketing person (UM0..) gives `marketing`'s answers, every IT person (UI0..) `it`'s."""
    week: dict[str, dict[str, str]] = {}
    for n in range(m):
        week[marketer(n)] = dict(marketing)
    for n in range(i):
        week[engineer(n)] = dict(it)
    return week


def marketer(n: int) -> str:
    """User ids distinctive enough that finding one in a message is never a coincidence."""
    return f"UMKTQ{n}Z"


def engineer(n: int) -> str:
    return f"UITXQ{n}Z"


async def staffed(team: Team, *, m: int = 4, i: int = 4) -> Team:
    await team.join("marketing", *(marketer(n) for n in range(m)))
    await team.join("it", *(engineer(n) for n in range(i)))
    return team
