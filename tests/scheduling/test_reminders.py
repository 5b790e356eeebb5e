"""Reminders: who gets one, what it says, and that its buttons answer the poll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import PersonRef
from bot.errors import RecipientUnreachable
from tests.scheduling.conftest import FakePlatform, Replica, run_until
from tests.support.chat import poll_actions
from tests.support.clock import FakeClock

SUNDAY = datetime(2026, 11, 22, 12, tzinfo=UTC)
REMIND = datetime(2026, 11, 25, 9, tzinfo=UTC)


async def test_only_members_with_a_side_who_have_not_answered_are_reminded(
    replica: Replica, platform: FakePlatform, clock: FakeClock
) -> None:
    clock.set(SUNDAY)
    chat = replica.chat
    await chat.person("boss").says("/pulse setup mon 09:00 UTC 3")
    for user, side in (("ann", "marketing"), ("bob", "it"), ("cy", "it"), ("dee", "other")):
        await chat.person(user).says(f"/pulse join {side}")
    chat.person("eve")  # no side
    await run_until(clock, REMIND - timedelta(hours=1), replica)
    await chat.person("bob").clicks_answer("lever", "speed")  # one answer is enough
    await run_until(clock, REMIND + timedelta(hours=1), replica)

    reminders = platform.of_kind("reminder")
    assert sorted(d.to.user_id for d in reminders if isinstance(d.to, PersonRef)) == [
        "ann",
        "cy",
        "dee",
    ]
    card = reminders[0].sent.card
    assert "closes Thu 26 Nov 09:00 UTC" in card.text() and "/100" not in card.text()

    # The DM carries the poll's own buttons: answering from it counts.
    poll = await chat.open_poll()
    assert poll is not None
    action, value = next(a for a in poll_actions(card) if a[1].endswith(":trust:4"))
    reply = await chat.person("ann").clicks(action, value)
    assert "Got it" in reply.card.text()
    assert (await replica.core.deps.repo.participation(poll_id=poll.id)).total == 2


async def test_a_poll_open_for_a_day_gets_no_reminder(
    replica: Replica, platform: FakePlatform, clock: FakeClock
) -> None:
    clock.set(SUNDAY)
    await replica.chat.person("boss").says("/pulse setup mon 09:00 UTC 1")
    await replica.chat.person("ann").says("/pulse join marketing")
    await run_until(clock, SUNDAY + timedelta(days=3), replica)
    assert [d.kind for d in platform.log] == ["poll", "summary"]


async def test_an_unreachable_member_is_skipped_not_retried_forever(
    replica: Replica, platform: FakePlatform, clock: FakeClock
) -> None:
    """A person who blocked the bot (Teams 403) costs one attempt; the others get theirs."""
    clock.set(SUNDAY)
    chat = replica.chat
    await chat.person("boss").says("/pulse setup mon 09:00 UTC 3")
    for user in ("ann", "bob", "cy"):
        await chat.person(user).says("/pulse join it")
    attempts: list[str] = []

    def blocked(to: object, card: object) -> bool:
        if isinstance(to, PersonRef) and to.user_id == "bob":
            attempts.append(to.user_id)
            raise RecipientUnreachable("bob blocked the bot")
        return False

    platform.refuse = blocked
    await run_until(clock, REMIND + timedelta(hours=6), replica)
    reminded = sorted(
        d.to.user_id for d in platform.of_kind("reminder") if isinstance(d.to, PersonRef)
    )
    assert reminded == ["ann", "cy"]  # boss has no side
    assert attempts == ["bob"], "one attempt, then the step completed without retrying bob"
