"""Claims and the schedule queries on SQLite and PostgreSQL: leases, take-overs, deliveries."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.channels.claims import (
    EVENT,
    EVENT_CLAIM_RETENTION,
    LEASE,
    Claims,
    LostClaim,
    Outcome,
    StepKey,
)
from bot.domain import ChannelRef, Schedule
from bot.errors import RecipientUnreachable
from storage.repository import SqlRepository
from tests.scheduling.conftest import FakePlatform, make_replica
from tests.support.clock import FakeClock

KEY = StepKey("channel:1", "remind", "2026-11-23")
T0 = datetime(2026, 11, 25, 9, tzinfo=UTC)


async def test_one_claimant_at_a_time_and_a_dead_ones_claim_is_taken_over(
    repo: SqlRepository,
) -> None:
    clock = FakeClock(T0)
    a, b = Claims(repo, clock, owner="a"), Claims(repo, clock, owner="b")
    outcomes = await asyncio.gather(*(c.acquire(KEY) for c in (a, b, a, b)))
    assert sorted(outcomes) == [Outcome.BUSY, Outcome.BUSY, Outcome.BUSY, Outcome.HELD]
    clock.advance(seconds=LEASE.total_seconds() - 1)
    assert await b.acquire(KEY) is Outcome.BUSY  # still within the holder's lease
    clock.advance(seconds=2)
    both = await asyncio.gather(b.acquire(KEY), Claims(repo, clock, owner="c").acquire(KEY))
    assert sorted(both) == [Outcome.BUSY, Outcome.HELD]  # exactly one takes it over


async def test_a_held_claim_completes_or_is_given_back(repo: SqlRepository) -> None:
    clock = FakeClock(T0)
    a, b = Claims(repo, clock, owner="a"), Claims(repo, clock, owner="b")
    with pytest.raises(RuntimeError):
        async with a.hold(KEY) as (outcome, claim):
            assert outcome is Outcome.HELD and claim is not None
            assert await claim.reserve("r1") and not await claim.reserve("r1")
            raise RuntimeError("the platform refused")
    async with b.hold(KEY) as (outcome, claim):  # given back: the next attempt claims at once
        assert outcome is Outcome.HELD and claim is not None
        assert await claim.delivered() == {"r1"}  # deliveries survive the hand-over
        await claim.unreserve("r1")
        assert await claim.delivered() == set()
    async with a.hold(KEY) as (outcome, claim):
        assert outcome is Outcome.DONE and claim is None
    assert await repo.is_complete(scope=KEY.scope, step=KEY.step, period=KEY.period)


async def test_deliver_each_sends_once_keeps_the_unreachable_and_gives_back_a_failure(
    repo: SqlRepository,
) -> None:
    clock = FakeClock(T0)
    claims = Claims(repo, clock, owner="a")
    sends: list[str] = []
    unreachable: list[str] = []
    failing = {"flaky"}  # fails once, then goes through

    async def send(recipient: str) -> None:
        sends.append(recipient)
        if recipient == "blocked":
            raise RecipientUnreachable("the bot was blocked")
        if recipient in failing:
            failing.discard(recipient)
            raise RuntimeError("the platform refused")

    with pytest.raises(RuntimeError):
        async with claims.hold(KEY) as (_, claim):
            assert claim is not None
            await claim.reserve("earlier")  # a delivery recorded by a previous attempt
            everyone = ["earlier", "r1", "blocked", "r1", "flaky", "r2"]
            await claim.deliver_each(everyone, send, unreachable=lambda: unreachable.append("x"))
    assert sends == ["r1", "blocked", "flaky"] and unreachable == ["x"]
    sends.clear()
    async with claims.hold(KEY) as (_, claim):  # the retry: only what never went out
        assert claim is not None
        assert await claim.delivered() == {"earlier", "r1", "blocked"}
        assert await claim.deliver_each(everyone, send, unreachable=lambda: None) == 2
        assert await claim.delivered() == {"earlier", "r1", "blocked", "flaky", "r2"}
    assert sends == ["flaky", "r2"]  # the failed send was given back and retried; no doubles


async def test_a_slow_holder_renews_and_notices_a_take_over(repo: SqlRepository) -> None:
    clock = FakeClock(T0)
    a, b = Claims(repo, clock, owner="a"), Claims(repo, clock, owner="b")
    async with a.hold(KEY) as (_, claim):
        assert claim is not None
        for _ in range(8):  # renewing keeps the claim alive far beyond one lease
            clock.advance(seconds=LEASE.total_seconds() / 2)
            await claim.renew()
            assert await b.acquire(KEY) is Outcome.BUSY
        clock.advance(seconds=LEASE.total_seconds() + 1)
        assert await b.acquire(KEY) is Outcome.HELD
        with pytest.raises(LostClaim):
            await claim.renew()
        # The exception-free exit still completes; the work is idempotent either way.


async def test_schedule_queries(repo: SqlRepository) -> None:
    channel = await repo.ensure_channel(ref=ChannelRef("slack", "T1", "C1"), name="campaigns")
    assert await repo.due_opens(now=T0) == []  # no schedule yet
    schedule = Schedule(weekday=0, at=time(9), timezone="UTC", open_days=3)
    await repo.configure_channel(channel_id=channel.id, schedule=schedule, owner_user_id="U1")
    [unset] = await repo.due_opens(now=T0)
    assert unset.at is None and (await repo.horizon()).pending
    monday = datetime(2026, 11, 30, 9, tzinfo=UTC)
    await repo.set_next_open(channel_id=channel.id, at=monday)
    assert await repo.due_opens(now=T0) == []
    assert [d.at for d in await repo.due_opens(now=monday)] == [monday]
    horizon = await repo.horizon()
    assert horizon.next_open == monday and not horizon.pending and horizon.next_close is None
    # Advancing is refused when a setup moved the next opening past the one handled.
    assert not await repo.advance_next_open(
        channel_id=channel.id, handled=monday - timedelta(days=7), to=monday
    )
    assert await repo.advance_next_open(
        channel_id=channel.id, handled=monday, to=monday + timedelta(days=7)
    )
    await repo.set_paused(channel_id=channel.id, paused=True)
    assert await repo.due_opens(now=monday + timedelta(days=30)) == []
    assert (await repo.horizon()).next_open is None

    poll = await repo.create_poll(
        channel_id=channel.id,
        question_set="default",
        question_set_version=1,
        opened_at=T0,
        closes_at=T0 + timedelta(days=3),
        period="2026-11-25",
        timezone="UTC",
    )
    assert poll is not None
    horizon = await repo.horizon()
    assert horizon.next_close == horizon.next_reminder_close == poll.closes_at
    assert await repo.due_reminders(closing_before=poll.closes_at - timedelta(seconds=1)) == []
    assert [p.id for p in await repo.due_reminders(closing_before=poll.closes_at)] == [poll.id]
    await repo.mark_reminded(poll_id=poll.id, at=T0)
    assert await repo.due_reminders(closing_before=poll.closes_at) == []
    assert (await repo.horizon()).next_reminder_close is None

    await repo.mark_closed(poll_id=poll.id, closed_at=T0 + timedelta(days=3))
    assert [p.id for p in await repo.unfinished_polls()] == [poll.id]
    assert (await repo.horizon()).pending
    assert await repo.workspaces_closed_since(since=T0) == [("slack", "T1")]
    assert await repo.workspaces_closed_since(since=T0 + timedelta(days=3)) == []
    await repo.mark_finished(poll_id=poll.id, at=T0 + timedelta(days=3))
    assert await repo.unfinished_polls() == [] and not (await repo.horizon()).pending
    polls = await repo.workspace_polls(platform="slack", workspace_id="T1", opened_since=T0)
    assert [p.id for p in polls] == [poll.id]
    assert await repo.workspace_polls(platform="slack", workspace_id="T2", opened_since=T0) == []


async def test_the_scheduler_deletes_event_claims_past_any_redelivery(
    repo: SqlRepository, clock: FakeClock, platform: FakePlatform
) -> None:
    replica = make_replica(repo, clock, platform, owner="a")
    clock.set(T0)
    old, fresh = T0 - EVENT_CLAIM_RETENTION - timedelta(minutes=1), T0 - timedelta(hours=1)
    for period, at in (("Ev-old", old), ("Ev-fresh", fresh)):
        assert await repo.claim(scope="slack-event:T1", step=EVENT, period=period, by="a", at=at)
    assert await repo.claim(scope=KEY.scope, step=KEY.step, period=KEY.period, by="a", at=old)
    await replica.tick()
    # the old event may be claimed again (nothing redelivers it now); the rest still hold
    assert await repo.claim(scope="slack-event:T1", step=EVENT, period="Ev-old", by="b", at=T0)
    assert not await repo.claim(
        scope="slack-event:T1", step=EVENT, period="Ev-fresh", by="b", at=T0
    )
    assert not await repo.claim(scope=KEY.scope, step=KEY.step, period=KEY.period, by="b", at=T0)
    # within the hour the runner does not look again; after it, expired claims go again
    assert await repo.claim(scope="slack-event:T1", step=EVENT, period="Ev-late", by="a", at=old)
    clock.advance(seconds=1800)
    await replica.tick()
    assert not await repo.claim(
        scope="slack-event:T1", step=EVENT, period="Ev-late", by="c", at=clock.now()
    )
    clock.set(fresh + EVENT_CLAIM_RETENTION + timedelta(hours=1, minutes=1))
    await replica.tick()
    for period in ("Ev-late", "Ev-fresh"):
        assert await repo.claim(
            scope="slack-event:T1", step=EVENT, period=period, by="c", at=clock.now()
        )
