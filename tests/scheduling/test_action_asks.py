"""The owner of an action is asked "Done?" once, when the next pulse opens: part of the opening
step under its claim, so a restart, a failed send or a second replica never sends it twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.actions.model import DONE, TAKE
from bot.cards import Card
from bot.domain import ClickOrigin, PersonRef
from storage.repository import SqlRepository
from tests.scheduling.conftest import FakePlatform, Replica, make_replica, run_until
from tests.scheduling.test_restarts import CLOSE, MEMBERS, MONDAY_9, restart, set_up
from tests.support.chat import PLATFORM, WORKSPACE, poll_actions
from tests.support.clock import FakeClock

NEXT_MONDAY_9 = MONDAY_9 + timedelta(days=7)


async def take_on_the_next_step(replica: Replica, platform: FakePlatform, clock: FakeClock) -> int:
    """A scheduled week with a wide trust gap and low trust; m0 takes the summary's next step
    on."""
    await set_up(replica.chat, clock)
    await run_until(clock, MONDAY_9 + timedelta(hours=1), replica)
    for user in MEMBERS:
        person = replica.chat.person(user)
        await person.clicks_answer("trust", "4" if user[0] == "m" else "1")
        await person.clicks_answer("priority", "4")
    await run_until(clock, CLOSE + timedelta(hours=1), replica)
    (summary,) = platform.of_kind("summary")
    action_id = dict(poll_actions(summary.sent.card))[TAKE]
    reply = await replica.chat.person("m0").clicks(TAKE, action_id)
    assert "will try this" in reply.card.text()
    return int(action_id)


def asks(platform: FakePlatform) -> list[tuple[str, Card]]:
    found = []
    for d in platform.of_kind("ask"):
        assert isinstance(d.to, PersonRef)
        found.append((d.to.user_id, d.sent.card))
    return found


async def test_the_owner_is_asked_once_at_the_next_opening_across_restarts(
    replica: Replica, repo: SqlRepository, platform: FakePlatform, clock: FakeClock
) -> None:
    action_id = await take_on_the_next_step(replica, platform, clock)
    assert asks(platform) == []  # not before the next pulse opens
    second = restart(repo, clock, platform, 1)
    await run_until(clock, NEXT_MONDAY_9 + timedelta(hours=1), second)
    third = restart(repo, clock, platform, 2)
    await run_until(clock, NEXT_MONDAY_9 + timedelta(days=8), third)  # and the week after
    ((owner, card),) = asks(platform)
    assert owner == "m0" and "Done?" in card.text()
    assert [d.at for d in platform.of_kind("ask")] == [NEXT_MONDAY_9]
    assert dict(poll_actions(card)) == {DONE: str(action_id), "act_notyet": str(action_id)}
    dm = ClickOrigin(PLATFORM, WORKSPACE, "D-m0", direct=True)
    done = await third.chat.person("m0").clicks(DONE, str(action_id), origin=dm)
    assert "marked done" in done.card.text()
    listed = await third.chat.person("boss").says("/pulse actions")
    assert "done" in listed.card.text()


async def test_a_failed_ask_is_retried_without_asking_anyone_twice(
    replica: Replica, platform: FakePlatform, clock: FakeClock
) -> None:
    await take_on_the_next_step(replica, platform, clock)
    boss = replica.chat.person("boss")
    await boss.says("/pulse now")  # a second pulse this week, whose next step i0 takes on
    for user in MEMBERS:
        await replica.chat.person(user).clicks_answer("trust", "4" if user[0] == "m" else "1")
    await boss.says("/pulse close")
    second = dict(poll_actions(platform.of_kind("summary")[-1].sent.card))[TAKE]
    assert "will try this" in (await replica.chat.person("i0").clicks(TAKE, second)).card.text()
    asked: list[str] = []

    def refuse_the_second_ask_once(to: object, card: Card) -> bool:
        if isinstance(to, PersonRef) and "Done?" in card.text():
            asked.append(to.user_id)
            return len(asked) == 2
        return False

    platform.refuse = refuse_the_second_ask_once
    await run_until(clock, NEXT_MONDAY_9 + timedelta(hours=2), replica)
    assert len(asked) == 3  # the second failed once, and was retried
    assert sorted(owner for owner, _ in asks(platform)) == ["i0", "m0"]
    assert len(platform.of_kind("poll")) == 3  # the week's poll posted once all the same


async def test_two_replicas_at_the_opening_ask_once(
    two_repos: tuple[SqlRepository, SqlRepository], clock: FakeClock
) -> None:
    platform = FakePlatform(clock=clock, latency=0.005)
    a = make_replica(two_repos[0], clock, platform, owner="replica-a")
    b = make_replica(two_repos[1], clock, platform, owner="replica-b")
    await take_on_the_next_step(a, platform, clock)
    clock.set(NEXT_MONDAY_9)
    await asyncio.gather(a.runner.run_due(), b.runner.run_due(), a.runner.run_due())
    await run_until(clock, NEXT_MONDAY_9 + timedelta(days=1), a, b)
    assert [owner for owner, _ in asks(platform)] == ["m0"]
    assert len(platform.of_kind("poll")) == 2
