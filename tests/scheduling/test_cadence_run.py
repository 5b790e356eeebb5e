"""The week's steps fire in order, at local wall-clock time, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import PersonRef
from tests.scheduling.conftest import TEST_MAX_SLEEP, FakePlatform, Replica, run_until
from tests.support.chat import Chat
from tests.support.clock import FakeClock


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def team(chat: Chat) -> dict[str, str]:
    """Three marketing, three IT, one person without a side; returns user → side."""
    sides = {"m0": "marketing", "m1": "marketing", "m2": "marketing"}
    sides |= {"i0": "it", "i1": "it", "i2": "it"}
    for user, side in sides.items():
        await chat.person(user).says(f"/pulse join {side}")
    chat.person("newcomer")  # a member with no side: never reminded
    return sides


async def test_three_weeks_in_berlin_across_the_spring_change(
    replica: Replica, platform: FakePlatform, clock: FakeClock
) -> None:
    clock.set(utc(2027, 3, 14, 12))  # Sunday; Berlin moves to CEST on Sunday 28 March
    chat = replica.chat
    boss = chat.person("boss")
    await boss.says("/pulse setup mon 09:00 Europe/Berlin 3")
    await boss.says("/pulse join other")
    await boss.says("/pulse digest on")
    await team(chat)

    # Week 1: m0 and i0 answer before the reminder; they must not be reminded.
    await run_until(clock, utc(2027, 3, 15, 12), replica)
    for user in ("m0", "i0"):
        await chat.person(user).clicks_answer("trust", "4")
    await run_until(clock, utc(2027, 4, 2), replica)

    polls = [d.at for d in platform.of_kind("poll")]
    summaries = [d.at for d in platform.of_kind("summary")]
    digests = [d.at for d in platform.of_kind("digest")]
    # 09:00 Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
    assert polls == [utc(2027, 3, 15, 8), utc(2027, 3, 22, 8), utc(2027, 3, 29, 7)]
    assert summaries == [utc(2027, 3, 18, 8), utc(2027, 3, 25, 8), utc(2027, 4, 1, 7)]
    assert digests == summaries  # each digest right after the week's only poll closed

    reminders = platform.of_kind("reminder")
    by_week: dict[datetime, set[str]] = {}
    for d in reminders:
        assert isinstance(d.to, PersonRef)
        by_week.setdefault(d.at, set()).add(d.to.user_id)
    assert list(by_week) == [utc(2027, 3, 17, 8), utc(2027, 3, 24, 8), utc(2027, 3, 31, 7)]
    everyone = {"m0", "m1", "m2", "i0", "i1", "i2", "boss"}
    assert by_week[utc(2027, 3, 17, 8)] == everyone - {"m0", "i0"}
    assert by_week[utc(2027, 3, 24, 8)] == everyone
    assert len(reminders) == 5 + 7 + 7  # one each, never twice
    assert all("Reminder: pulse #" in d.sent.card.text() for d in reminders)

    # Each week in order: poll, then reminders, then summary, then digest.
    kinds = [d.kind for d in platform.log]
    week = ["poll"] + ["reminder"] * 5 + ["summary", "digest"]
    assert kinds[: len(week)] == week
    assert [d.sent.to for d in platform.of_kind("digest")] == [boss.actor.person] * 3


async def test_a_poll_open_across_the_change_keeps_local_times(
    replica: Replica, platform: FakePlatform, clock: FakeClock
) -> None:
    clock.set(utc(2027, 3, 25, 12))
    chat = replica.chat
    await chat.person("boss").says("/pulse setup fri 09:00 Europe/Berlin 3")
    await team(chat)
    await run_until(clock, utc(2027, 3, 30), replica)
    # Opens Fri 09:00 CET; reminder Sun 09:00 CEST (24 h before close); closes Mon 09:00 CEST.
    assert [d.at for d in platform.of_kind("poll")] == [utc(2027, 3, 26, 8)]
    assert {d.at for d in platform.of_kind("reminder")} == {utc(2027, 3, 28, 7)}
    assert [d.at for d in platform.of_kind("summary")] == [utc(2027, 3, 29, 7)]


async def test_the_scheduler_sleeps_until_the_next_step(
    replica: Replica, platform: FakePlatform, clock: FakeClock
) -> None:
    clock.set(utc(2026, 11, 22, 12))  # Sunday noon UTC
    assert await replica.tick() == TEST_MAX_SLEEP  # nothing scheduled: sleep the longest
    await replica.chat.person("boss").says("/pulse setup mon 09:00 America/New_York 2")
    # Monday 09:00 in New York (EST) is 14:00 UTC: 26 hours away.
    assert await replica.tick() == 26 * 3600
    await replica.chat.person("boss").says("/pulse pause")
    assert await replica.tick() == TEST_MAX_SLEEP
    await replica.chat.person("boss").says("/pulse resume")
    assert await replica.tick() == 26 * 3600
    clock.advance(hours=26)
    delay = await replica.tick()
    assert [d.at for d in platform.of_kind("poll")] == [utc(2026, 11, 23, 14)]
    # Next: the reminder 24 h before Wednesday 09:00 EST.
    assert delay == timedelta(hours=24).total_seconds()


async def test_setup_and_resume_never_open_a_poll_for_a_time_already_past(
    replica: Replica, platform: FakePlatform, clock: FakeClock
) -> None:
    clock.set(utc(2026, 11, 23, 9, 30))  # Monday, 30 minutes after 09:00 UTC
    boss = replica.chat.person("boss")
    await boss.says("/pulse setup mon 09:00 UTC 3")
    await run_until(clock, utc(2026, 11, 29), replica)
    assert platform.of_kind("poll") == []
    await run_until(clock, utc(2026, 11, 30, 9, 1), replica)
    assert [d.at for d in platform.of_kind("poll")] == [utc(2026, 11, 30, 9)]

    await run_until(clock, utc(2026, 12, 5), replica)
    await boss.says("/pulse pause")
    await run_until(clock, utc(2026, 12, 7, 10), replica)  # Monday 09:00 passes while paused
    await boss.says("/pulse resume")
    await run_until(clock, utc(2026, 12, 10), replica)
    assert len(platform.of_kind("poll")) == 1  # the paused week is not opened late
    await run_until(clock, utc(2026, 12, 14, 9), replica)
    assert len(platform.of_kind("poll")) == 2
