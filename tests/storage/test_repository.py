"""The repository on SQLite and PostgreSQL: every port method, constraints, and real concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.domain import (
    AnswerOutcome,
    AnswerRecord,
    ChannelRef,
    Group,
    GroupSide,
    PersonRef,
    Schedule,
    Side,
)
from bot.ports import NudgeRecord
from bot.questions import default_question_set
from bot.score.results import ResultService
from bot.score.scoring import Participation, compute_result
from storage.repository import SqlRepository
from tests.support.answers import answered, record_answer
from tests.support.chat import RecordingMessenger, deps_for_tests
from tests.support.clock import FakeClock

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
REF = ChannelRef("slack", "T1", "C1")


async def new_poll(repo: SqlRepository, *, period: str = "2026-11-23", ref: ChannelRef = REF):
    channel = await repo.ensure_channel(ref=ref, name="campaigns")
    poll = await repo.create_poll(
        channel_id=channel.id,
        question_set="default",
        question_set_version=1,
        opened_at=T0,
        closes_at=T0 + timedelta(days=3),
        period=period,
        timezone="Europe/Berlin",
    )
    assert poll is not None
    return channel, poll


async def test_channels_are_created_once_and_configured(repo: SqlRepository) -> None:
    a = await repo.ensure_channel(ref=REF, name="campaigns")
    b = await repo.ensure_channel(ref=REF)
    assert a == b and a.schedule is None and a.name == "campaigns"
    renamed = await repo.ensure_channel(ref=REF, name="campaigns-2026")
    assert renamed.id == a.id and renamed.name == "campaigns-2026"
    schedule = Schedule(weekday=2, at=time(14, 30), timezone="America/New_York", open_days=2)
    configured = await repo.configure_channel(
        channel_id=a.id, schedule=schedule, owner_user_id="U1"
    )
    assert configured.schedule == schedule and configured.owner_user_id == "U1"
    assert [c.id for c in await repo.scheduled_channels()] == [a.id]
    paused = await repo.set_paused(channel_id=a.id, paused=True)
    assert paused.paused and await repo.scheduled_channels() == []
    other = await repo.ensure_channel(ref=ChannelRef("slack", "T2", "C1"))
    assert other.id != a.id
    assert [c.id for c in await repo.workspace_channels(platform="slack", workspace_id="T1")] == [
        a.id
    ]


async def test_concurrent_first_contact_creates_one_channel(repo: SqlRepository) -> None:
    channels = await asyncio.gather(*(repo.ensure_channel(ref=REF) for _ in range(8)))
    assert len({c.id for c in channels}) == 1


async def test_polls_are_numbered_and_only_one_is_open(repo: SqlRepository) -> None:
    channel, first = await new_poll(repo)
    assert (first.number, first.rotating_imperative, first.timezone) == (1, 1, "Europe/Berlin")
    assert (
        await repo.create_poll(
            channel_id=channel.id,
            question_set="default",
            question_set_version=1,
            opened_at=T0,
            closes_at=T0,
            period="other",
            timezone="UTC",
        )
        is None
    )
    assert await repo.mark_closed(poll_id=first.id, closed_at=T0 + timedelta(days=3))
    assert not await repo.mark_closed(poll_id=first.id, closed_at=T0 + timedelta(days=4))
    again = await repo.create_poll(
        channel_id=channel.id,
        question_set="default",
        question_set_version=1,
        opened_at=T0,
        closes_at=T0,
        period="2026-11-23",
        timezone="UTC",
    )
    assert again is None  # same period: never a second poll for one week
    _, second = await new_poll(repo, period="2026-11-30")
    assert (second.number, second.rotating_imperative) == (2, 2)
    assert await repo.open_poll(channel_id=channel.id) == second
    assert await repo.poll_for_period(channel_id=channel.id, period="2026-11-23") is not None


async def test_concurrent_opens_for_one_period_make_one_poll(repo: SqlRepository) -> None:
    channel = await repo.ensure_channel(ref=REF)
    results = await asyncio.gather(
        *(
            repo.create_poll(
                channel_id=channel.id,
                question_set="default",
                question_set_version=1,
                opened_at=T0,
                closes_at=T0 + timedelta(days=3),
                period="2026-11-23",
                timezone="UTC",
            )
            for _ in range(6)
        )
    )
    assert sum(r is not None for r in results) == 1


async def test_a_changed_answer_replaces_the_old_one(repo: SqlRepository) -> None:
    _, poll = await new_poll(repo)
    kw = dict(poll_id=poll.id, respondent="h1", side=Side.IT, question_id="trust", at=T0)
    assert await record_answer(repo, value="4", **kw) is AnswerOutcome.CREATED  # type: ignore[arg-type]
    assert await record_answer(repo, value="4", **kw) is AnswerOutcome.UNCHANGED  # type: ignore[arg-type]
    assert await record_answer(repo, value="2", **kw) is AnswerOutcome.CHANGED  # type: ignore[arg-type]
    answers = await repo.answers(poll_id=poll.id)
    assert [(a.respondent, a.side, a.question_id, a.value) for a in answers] == [
        ("h1", Side.IT, "trust", "2")
    ]
    assert await answered(repo, poll_id=poll.id, respondent="h1") == {"trust": "2"}


async def test_concurrent_changed_answers_leave_exactly_one(repo: SqlRepository) -> None:
    _, poll = await new_poll(repo)
    values = [str(1 + i % 5) for i in range(20)]
    outcomes = await asyncio.gather(
        *(
            record_answer(
                repo,
                poll_id=poll.id,
                respondent="h1",
                side=Side.MARKETING,
                question_id="trust",
                value=v,
                at=T0,
            )
            for v in values
        )
    )
    assert all(
        o in (AnswerOutcome.CREATED, AnswerOutcome.CHANGED, AnswerOutcome.UNCHANGED)
        for o in outcomes
    )
    answers = await repo.answers(poll_id=poll.id)
    assert len(answers) == 1 and answers[0].value in values


async def test_answers_to_closed_or_missing_polls_are_refused(repo: SqlRepository) -> None:
    _, poll = await new_poll(repo)
    await repo.mark_closed(poll_id=poll.id, closed_at=T0)
    kw = dict(respondent="h1", side=Side.IT, question_id="trust", value="4", at=T0)
    assert await record_answer(repo, poll_id=poll.id, **kw) is AnswerOutcome.CLOSED  # type: ignore[arg-type]
    assert await record_answer(repo, poll_id=999_999, **kw) is AnswerOutcome.MISSING  # type: ignore[arg-type]
    assert await repo.answers(poll_id=poll.id) == []


async def test_participation_counts_distinct_people_per_side(repo: SqlRepository) -> None:
    _, poll = await new_poll(repo)
    rows = [
        ("m1", Side.MARKETING),
        ("m2", Side.MARKETING),
        ("i1", Side.IT),
        ("o1", Side.OTHER),
        ("p1", None),
    ]
    for respondent, side in rows:
        for q in ("trust", "priority"):
            await record_answer(
                repo,
                poll_id=poll.id,
                respondent=respondent,
                side=side,
                question_id=q,
                value="3",
                at=T0,
            )
    assert await repo.participation(poll_id=poll.id) == Participation(
        marketing=2, it=1, other=1, pending=1
    )
    assert await repo.respondents(poll_id=poll.id) == {"m1", "m2", "i1", "o1", "p1"}


async def test_joining_a_side_keeps_waiting_clicks(repo: SqlRepository) -> None:
    _, poll = await new_poll(repo)
    for q in ("trust", "lever"):
        await record_answer(
            repo,
            poll_id=poll.id,
            respondent="h1",
            side=None,
            question_id=q,
            value="3" if q == "trust" else "speed",
            at=T0,
        )
    assert await repo.side_of(respondent="h1") is None
    assert await repo.set_side(respondent="h1", side=Side.IT, at=T0) == 2
    assert await repo.side_of(respondent="h1") is Side.IT
    assert {a.side for a in await repo.answers(poll_id=poll.id)} == {Side.IT}
    # switching sides moves the open poll's answers too, and keeps nothing waiting
    assert await repo.set_side(respondent="h1", side=Side.MARKETING, at=T0) == 0
    assert {a.side for a in await repo.answers(poll_id=poll.id)} == {Side.MARKETING}
    assert await repo.with_side(respondents=["h1", "h2"]) == {"h1"}


async def test_a_mapped_group_gives_sides_only_to_people_without_one(
    repo: SqlRepository,
) -> None:
    _, poll = await new_poll(repo)
    for respondent in ("h1", "h2"):  # clicks waiting for a side
        await record_answer(
            repo,
            poll_id=poll.id,
            respondent=respondent,
            side=None,
            question_id="trust",
            value="4",
            at=T0,
        )
    await repo.set_side(respondent="h2", side=Side.MARKETING, at=T0)
    await repo.set_side(respondent="h3", side=Side.OTHER, at=T0)
    adopted = await repo.adopt_sides(
        respondents=["h1", "h2", "h3", "h4", "h1"], side=Side.IT, at=T0
    )
    assert adopted == 2  # h1 and h4; a side someone chose is kept
    sides = {r: await repo.side_of(respondent=r) for r in ("h1", "h2", "h3", "h4")}
    assert sides == {"h1": Side.IT, "h2": Side.MARKETING, "h3": Side.OTHER, "h4": Side.IT}
    answers = {a.respondent: a.side for a in await repo.answers(poll_id=poll.id)}
    assert answers == {"h1": Side.IT, "h2": Side.MARKETING}  # h1's waiting click now counts
    assert await repo.adopt_sides(respondents=[], side=Side.IT, at=T0) == 0


async def test_group_mappings_are_per_workspace_and_can_change_side(repo: SqlRepository) -> None:
    it_team = GroupSide("slack", "T1", Group("S1", "@it-team"), Side.IT)
    await repo.map_group(mapping=it_team, at=T0)
    await repo.map_group(mapping=GroupSide("slack", "T2", Group("S1", "@x"), Side.OTHER), at=T0)
    await repo.map_group(
        mapping=GroupSide("slack", "T1", Group("S2", "@mkt"), Side.MARKETING), at=T0
    )
    moved = GroupSide("slack", "T1", Group("S1", "@it-ops"), Side.OTHER)
    await repo.map_group(mapping=moved, at=T0)  # mapped again: the new side and label
    found = await repo.group_sides(platform="slack", workspace_id="T1")
    assert found == [moved, GroupSide("slack", "T1", Group("S2", "@mkt"), Side.MARKETING)]
    assert await repo.unmap_group(platform="slack", workspace_id="T1", group_id="S1")
    assert not await repo.unmap_group(platform="slack", workspace_id="T1", group_id="S1")
    assert [m.group.id for m in await repo.group_sides(platform="slack", workspace_id="T1")] == [
        "S2"
    ]
    assert len(await repo.group_sides(platform="slack", workspace_id="T2")) == 1


async def test_switching_sides_leaves_closed_polls_alone(repo: SqlRepository) -> None:
    _, poll = await new_poll(repo)
    await repo.set_side(respondent="h1", side=Side.IT, at=T0)
    await record_answer(
        repo, poll_id=poll.id, respondent="h1", side=Side.IT, question_id="trust", value="4", at=T0
    )
    await repo.mark_closed(poll_id=poll.id, closed_at=T0)
    await repo.set_side(respondent="h1", side=Side.MARKETING, at=T0)
    assert [a.side for a in await repo.answers(poll_id=poll.id)] == [Side.IT]


async def test_forget_removes_every_row_of_a_person(repo: SqlRepository) -> None:
    _, poll1 = await new_poll(repo)
    await repo.set_side(respondent="h1", side=Side.IT, at=T0)
    for q in ("trust", "priority", "lever"):
        await record_answer(
            repo,
            poll_id=poll1.id,
            respondent="h1",
            side=Side.IT,
            question_id=q,
            value="speed" if q == "lever" else "4",
            at=T0,
        )
    await record_answer(
        repo, poll_id=poll1.id, respondent="h2", side=Side.IT, question_id="trust", value="5", at=T0
    )
    await repo.mark_closed(poll_id=poll1.id, closed_at=T0)
    _, poll2 = await new_poll(repo, period="2026-11-30")
    await record_answer(
        repo, poll_id=poll2.id, respondent="h1", side=Side.IT, question_id="trust", value="1", at=T0
    )
    await repo.record_delivery(scope="channel:1", step="remind", period="p", recipient="h1", at=T0)
    report = await repo.forget(respondent="h1")
    assert (report.answers, report.had_side) == (4, True)
    assert await repo.side_of(respondent="h1") is None
    assert [a.respondent for a in await repo.answers(poll_id=poll1.id)] == ["h2"]
    assert await repo.answers(poll_id=poll2.id) == []
    assert await repo.deliveries(scope="channel:1", step="remind", period="p") == set()
    again = await repo.forget(respondent="h1")
    assert (again.answers, again.had_side) == (0, False)


async def test_results_are_stored_and_history_is_oldest_first(repo: SqlRepository) -> None:
    channel, poll = await new_poll(repo)
    records = []
    for i in range(3):
        for side in (Side.MARKETING, Side.IT):
            await record_answer(
                repo,
                poll_id=poll.id,
                respondent=f"{side}{i}",
                side=side,
                question_id="trust",
                value="4",
                at=T0,
            )
    records = await repo.answers(poll_id=poll.id)
    result = compute_result(records, question_set=default_question_set(), poll_number=1, k=3)
    assert result.score == 75
    await repo.mark_closed(poll_id=poll.id, closed_at=T0 + timedelta(days=3))
    await repo.store_result(poll_id=poll.id, result=result)
    _, second = await new_poll(repo, period="2026-11-30")
    history = await repo.poll_history(channel_id=channel.id, limit=12)
    assert [h.poll.number for h in history] == [1, 2]
    assert history[0].result == result and history[1].result is None
    assert [h.poll.number for h in await repo.poll_history(channel_id=channel.id, limit=1)] == [2]


async def test_a_stored_result_is_withheld_when_k_was_raised_since(repo: SqlRepository) -> None:
    channel, poll = await new_poll(repo)
    records = [
        AnswerRecord(f"{side}{i}", side, "trust", "4")
        for side in (Side.MARKETING, Side.IT)
        for i in range(4)
    ]
    result = compute_result(records, question_set=default_question_set(), poll_number=1, k=4)
    await repo.mark_closed(poll_id=poll.id, closed_at=T0 + timedelta(days=3))
    await repo.store_result(poll_id=poll.id, result=result)
    (item,) = await repo.poll_history(channel_id=channel.id, limit=1)
    assert item.result is not None and item.result.score == 75 and item.result == result
    clock, messenger = FakeClock(), RecordingMessenger()
    for k, published in ((3, True), (4, True), (5, False)):
        deps = deps_for_tests(repo, messenger, clock)
        deps.k = k
        (point,) = (await ResultService(deps).report(channel)).points
        assert point.published is published and point.result.published is published
        assert point.result.participation == Participation(marketing=4, it=4)
        assert point.score == (75 if published else None)


async def test_due_polls(repo: SqlRepository) -> None:
    _, poll = await new_poll(repo)
    assert await repo.due_polls(now=T0) == []
    assert [p.id for p in await repo.due_polls(now=T0 + timedelta(days=3))] == [poll.id]


async def test_claims_are_exclusive_even_when_concurrent(repo: SqlRepository) -> None:
    wins = await asyncio.gather(
        *(
            repo.claim(
                scope="channel:1", step="open", period="2026-11-23", by=f"replica-{i}", at=T0
            )
            for i in range(10)
        )
    )
    assert sum(wins) == 1
    assert not await repo.is_complete(scope="channel:1", step="open", period="2026-11-23")
    await repo.complete(scope="channel:1", step="open", period="2026-11-23", at=T0)
    assert await repo.is_complete(scope="channel:1", step="open", period="2026-11-23")
    assert await repo.claim(scope="channel:1", step="open", period="2026-11-30", by="r", at=T0)


async def test_deliveries_are_recorded_once(repo: SqlRepository) -> None:
    key = dict(scope="channel:1", step="remind", period="2026-11-23")
    assert await repo.record_delivery(recipient="h1", at=T0, **key)  # type: ignore[arg-type]
    assert not await repo.record_delivery(recipient="h1", at=T0, **key)  # type: ignore[arg-type]
    assert await repo.record_delivery(recipient="h2", at=T0, **key)  # type: ignore[arg-type]
    assert await repo.deliveries(**key) == {"h1", "h2"}  # type: ignore[arg-type]


async def test_subscriptions(repo: SqlRepository) -> None:
    boss = PersonRef("slack", "T1", "U9")
    assert await repo.subscribe(person=boss, at=T0)
    assert not await repo.subscribe(person=boss, at=T0)
    assert await repo.is_subscribed(person=boss)
    assert await repo.subscribers() == [boss]
    assert await repo.unsubscribe(person=boss)
    assert not await repo.unsubscribe(person=boss)
    assert await repo.subscribers() == []


async def test_conversation_references(repo: SqlRepository) -> None:
    ref = {"serviceUrl": "http://127.0.0.1:1/", "conversation": {"id": "19:abc"}}
    await repo.save_conversation(
        platform="teams", workspace_id="tenant", key="19:abc", reference=ref, at=T0
    )
    assert await repo.get_conversation(platform="teams", workspace_id="tenant", key="19:abc") == ref
    await repo.mark_conversation_gone(platform="teams", workspace_id="tenant", key="19:abc", at=T0)
    assert (
        await repo.get_conversation(platform="teams", workspace_id="tenant", key="19:abc") is None
    )
    await repo.save_conversation(
        platform="teams", workspace_id="tenant", key="19:abc", reference=ref, at=T0
    )  # a re-install revives it
    assert await repo.get_conversation(platform="teams", workspace_id="tenant", key="19:abc") == ref


async def test_nudges(repo: SqlRepository) -> None:
    channel, poll = await new_poll(repo)
    nudge = NudgeRecord(channel.id, poll.id, "trust_gap", 5, "gap:trust", 1.5, T0)
    await repo.record_nudge(nudge=nudge)
    assert await repo.nudges_since(channel_id=channel.id, since=T0 - timedelta(days=28)) == [nudge]
    assert await repo.nudges_since(channel_id=channel.id, since=T0 + timedelta(seconds=1)) == []


@pytest.mark.parametrize("n", [40])
async def test_many_concurrent_voters_are_all_counted(repo: SqlRepository, n: int) -> None:
    _, poll = await new_poll(repo)
    await asyncio.gather(
        *(
            record_answer(
                repo,
                poll_id=poll.id,
                respondent=f"h{i}",
                side=Side.IT if i % 2 else Side.MARKETING,
                question_id=q,
                value="3",
                at=T0,
            )
            for i in range(n)
            for q in ("trust", "priority")
        )
    )
    assert len(await repo.answers(poll_id=poll.id)) == 2 * n
    assert (await repo.participation(poll_id=poll.id)).total == n


async def test_batch_reads_match_the_single_ones(repo: SqlRepository) -> None:
    refs = [ChannelRef("slack", "T1", f"C{i}") for i in range(3)]
    polls = {}
    for i, ref in enumerate(refs):
        for week in range(i + 2):  # channel i has i + 2 polls, the newest open
            channel, poll = await new_poll(repo, period=f"w{week}", ref=ref)
            polls[(i, week)] = poll
            await record_answer(
                repo,
                poll_id=poll.id,
                respondent=f"h{i}",
                side=Side.IT,
                question_id="trust",
                value=str(1 + week),
                at=T0,
            )
            if week < i + 1:
                await repo.mark_closed(poll_id=poll.id, closed_at=T0)
    channels = [await repo.find_channel(ref=ref) for ref in refs]
    ids = [c.id for c in channels if c is not None]
    histories = await repo.poll_histories(channel_ids=[*ids, 999_999], limit=2)
    assert histories[999_999] == []
    for channel_id in ids:
        assert histories[channel_id] == await repo.poll_history(channel_id=channel_id, limit=2)
    assert [h.poll.number for h in histories[ids[2]]] == [3, 4]
    poll_ids = [p.id for p in polls.values()]
    batch = await repo.answers_of_polls(poll_ids=poll_ids)
    for poll_id in poll_ids:
        assert batch[poll_id] == await repo.answers(poll_id=poll_id)


async def test_batch_nudges_and_disclosures(repo: SqlRepository) -> None:
    from bot.score.disclosure_state import DisclosureState

    a, poll_a = await new_poll(repo, ref=ChannelRef("slack", "T1", "CA"))
    b, poll_b = await new_poll(repo, ref=ChannelRef("slack", "T1", "CB"))
    for channel, poll, rule in ((a, poll_a, "trust_gap"), (b, poll_b, "lever_gap")):
        await repo.record_nudge(
            nudge=NudgeRecord(channel.id, poll.id, rule, 5, "gap:trust", 1.0, T0)
        )
    many = await repo.nudges_since_many(channel_ids=[a.id, b.id, 999], since=T0)
    assert [n.nudge_id for n in many[a.id]] == ["trust_gap"]
    assert [n.nudge_id for n in many[b.id]] == ["lever_gap"] and many[999] == []
    assert many[a.id] == await repo.nudges_since(channel_id=a.id, since=T0)

    state = DisclosureState()
    saved = await repo.save_disclosures(
        changes=[(poll_a.id, state, 0), (poll_b.id, state, 0)], at=T0
    )
    assert saved == {poll_a.id, poll_b.id}
    stored = await repo.disclosures(poll_ids=[poll_a.id, poll_b.id, 999])
    assert set(stored) == {poll_a.id, poll_b.id} and stored[poll_a.id].version == 1
    # compare-and-set: a stale expected version loses, the current one wins
    again = await repo.save_disclosures(
        changes=[(poll_a.id, state, 0), (poll_b.id, state, 1)], at=T0
    )
    assert again == {poll_b.id}
    assert (await repo.disclosure(poll_id=poll_b.id)).version == 2  # type: ignore[union-attr]
