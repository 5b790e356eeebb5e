"""Restarts and crashes: the schedule comes back from the database, missed steps run once if
still relevant, and a step stopped half-way is resumed without repeating what was sent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.channels.claims import LEASE
from bot.domain import PersonRef
from storage.repository import SqlRepository
from tests.scheduling.conftest import FakePlatform, Replica, is_summary, make_replica, run_until
from tests.support.chat import Chat
from tests.support.clock import FakeClock

SUNDAY = datetime(2026, 11, 22, 12, tzinfo=UTC)
MONDAY_9 = datetime(2026, 11, 23, 9, tzinfo=UTC)
REMIND = datetime(2026, 11, 25, 9, tzinfo=UTC)  # 24 h before Thursday 09:00
CLOSE = datetime(2026, 11, 26, 9, tzinfo=UTC)
MEMBERS = [f"m{i}" for i in range(4)] + [f"i{i}" for i in range(4)]


async def set_up(chat: Chat, clock: FakeClock) -> None:
    clock.set(SUNDAY)
    await chat.person("boss").says("/pulse setup mon 09:00 UTC 3")
    for user in MEMBERS:
        await chat.person(user).says(f"/pulse join {'marketing' if user[0] == 'm' else 'it'}")


def restart(repo: SqlRepository, clock: FakeClock, platform: FakePlatform, n: int) -> Replica:
    """A new process on the same database: nothing carried over in memory."""
    return make_replica(repo, clock, platform, owner=f"restarted-{n}")


def reminded(platform: FakePlatform) -> list[str]:
    users = []
    for d in platform.of_kind("reminder"):
        assert isinstance(d.to, PersonRef)
        users.append(d.to.user_id)
    return users


async def test_a_restart_between_each_step_repeats_nothing(
    replica: Replica, repo: SqlRepository, platform: FakePlatform, clock: FakeClock
) -> None:
    await set_up(replica.chat, clock)
    await run_until(clock, MONDAY_9 + timedelta(hours=1), replica)
    second = restart(repo, clock, platform, 1)
    await run_until(clock, REMIND + timedelta(hours=1), second)
    third = restart(repo, clock, platform, 2)
    await run_until(clock, CLOSE + timedelta(hours=1), third)
    fourth = restart(repo, clock, platform, 3)
    await run_until(clock, CLOSE + timedelta(days=2), fourth)
    assert [d.at for d in platform.of_kind("poll")] == [MONDAY_9]
    assert sorted(reminded(platform)) == sorted(MEMBERS)  # the boss has no side
    assert {d.at for d in platform.of_kind("reminder")} == {REMIND}
    assert [d.at for d in platform.of_kind("summary")] == [CLOSE]


async def test_a_missed_open_runs_late_while_the_poll_would_still_be_open(
    replica: Replica, repo: SqlRepository, platform: FakePlatform, clock: FakeClock
) -> None:
    await set_up(replica.chat, clock)
    await replica.tick()
    clock.set(MONDAY_9 + timedelta(hours=3))  # down from Sunday until Monday noon
    back = restart(repo, clock, platform, 1)
    await run_until(clock, CLOSE + timedelta(hours=1), back)
    assert [d.at for d in platform.of_kind("poll")] == [MONDAY_9 + timedelta(hours=3)]
    polls = await repo.poll_history(channel_id=1, limit=5)
    assert [p.poll.closes_at for p in polls] == [CLOSE]  # keeps the scheduled closing time
    assert [d.at for d in platform.of_kind("summary")] == [CLOSE]


async def test_a_missed_open_is_skipped_once_the_poll_would_have_closed(
    replica: Replica, repo: SqlRepository, platform: FakePlatform, clock: FakeClock
) -> None:
    await set_up(replica.chat, clock)
    await replica.tick()
    clock.set(CLOSE + timedelta(hours=1))  # down for the whole week's poll
    back = restart(repo, clock, platform, 1)
    await run_until(clock, MONDAY_9 + timedelta(days=7, hours=1), back)
    assert [d.at for d in platform.of_kind("poll")] == [MONDAY_9 + timedelta(days=7)]
    assert platform.of_kind("reminder") == [] and platform.of_kind("summary") == []


async def test_a_missed_reminder_runs_within_the_grace_but_never_after_close(
    replica: Replica, repo: SqlRepository, platform: FakePlatform, clock: FakeClock
) -> None:
    await set_up(replica.chat, clock)
    await run_until(clock, MONDAY_9 + timedelta(hours=1), replica)
    clock.set(REMIND + timedelta(hours=2))  # two hours late: still worth it
    await run_until(clock, CLOSE + timedelta(hours=1), restart(repo, clock, platform, 1))
    assert {d.at for d in platform.of_kind("reminder")} == {REMIND + timedelta(hours=2)}
    assert len(platform.of_kind("reminder")) == len(MEMBERS)

    # Next week the bot is down from before the reminder until after the close.
    await run_until(clock, MONDAY_9 + timedelta(days=7, hours=1), restart(repo, clock, platform, 2))
    clock.set(CLOSE + timedelta(days=7, hours=2))
    await run_until(clock, CLOSE + timedelta(days=8), restart(repo, clock, platform, 3))
    assert len(platform.of_kind("reminder")) == len(MEMBERS)  # none sent after close
    assert [d.at for d in platform.of_kind("summary")] == [
        CLOSE,
        CLOSE + timedelta(days=7, hours=2),  # the overdue close does run
    ]


async def test_reminders_failing_half_way_send_the_rest_once(
    replica: Replica, platform: FakePlatform, clock: FakeClock
) -> None:
    await set_up(replica.chat, clock)
    await run_until(clock, MONDAY_9 + timedelta(hours=1), replica)
    sent_ok: list[str] = []

    def platform_gives_up_after_four(to: object, _card: object) -> bool:
        if isinstance(to, PersonRef) and len(sent_ok) < 4:
            sent_ok.append(to.user_id)
            return False
        return isinstance(to, PersonRef) and platform.refuse is not None

    platform.refuse = platform_gives_up_after_four
    await run_until(clock, REMIND, replica)
    assert len(reminded(platform)) == 4
    platform.refuse = None  # the platform recovers; the step is retried on a later wake-up
    await run_until(clock, REMIND + timedelta(minutes=5), replica)
    users = reminded(platform)
    assert sorted(users) == sorted(MEMBERS) and len(users) == len(set(users))
    assert users[:4] == sent_ok  # the first half was not sent again


async def test_a_replica_killed_mid_reminders_is_taken_over_after_its_lease(
    replica: Replica, repo: SqlRepository, platform: FakePlatform, clock: FakeClock
) -> None:
    await set_up(replica.chat, clock)
    await run_until(clock, MONDAY_9 + timedelta(hours=1), replica)
    clock.set(REMIND)
    platform.hang = lambda to, _card: isinstance(to, PersonRef) and len(reminded(platform)) == 4
    killed = asyncio.create_task(replica.tick())
    await asyncio.wait_for(platform.hung.wait(), timeout=30)
    killed.cancel()  # the process dies while its fifth reminder is on the wire
    platform.hang = None
    survivor = restart(repo, clock, platform, 1)
    await survivor.tick()
    assert len(reminded(platform)) == 4  # the dead replica's claim still looks alive
    clock.advance(seconds=LEASE.total_seconds() + 60)
    await survivor.tick()
    users = reminded(platform)
    assert len(users) == len(set(users)) == len(MEMBERS) - 1
    # The reminder that was on the wire is not repeated: a DM is recorded before it is sent,
    # so an ambiguous send counts as sent ("never more than one reminder per poll").


async def test_a_summary_that_failed_is_posted_once_on_a_later_wake(
    replica: Replica, platform: FakePlatform, clock: FakeClock
) -> None:
    await set_up(replica.chat, clock)
    platform.refuse = is_summary
    await run_until(clock, CLOSE + timedelta(minutes=1), replica)
    assert platform.of_kind("summary") == []
    poll = await replica.chat.core.deps.repo.get_poll(poll_id=1)
    assert poll is not None and not poll.is_open  # closed; only the summary is outstanding
    platform.refuse = None
    await run_until(clock, CLOSE + timedelta(hours=1), replica)
    assert len(platform.of_kind("summary")) == 1
    await run_until(clock, CLOSE + timedelta(days=1), replica)
    assert len(platform.of_kind("summary")) == 1
