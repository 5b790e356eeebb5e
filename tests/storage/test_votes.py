"""`record_vote`: clicks written in batches (group commit) keep each click's own outcome, the
voter's current side, "the later click counts" (by the platform's time of the click) and
"a click counts only from where its poll lives", on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.channels.claims import REMIND, channel_step
from bot.domain import AnswerOutcome, ClickOrigin, Side
from bot.ports import RecordedVote
from storage.repository import SqlRepository
from tests.storage.test_repository import REF, T0, new_poll
from tests.support.answers import answered

#: A click in the poll's own channel (REF).
HERE = ClickOrigin(REF.platform, REF.workspace_id, REF.channel_id)


def vote(
    repo: SqlRepository,
    poll_id: int,
    respondent: str,
    question_id: str,
    value: str,
    *,
    clicked_at: datetime = T0,
    origin: ClickOrigin = HERE,
) -> Any:
    return repo.record_vote(
        poll_id=poll_id,
        respondent=respondent,
        question_id=question_id,
        value=value,
        at=T0,
        origin=origin,
        clicked_at=clicked_at,
    )


async def test_one_vote_stores_the_side_and_reports_what_was_answered(
    repo: SqlRepository,
) -> None:
    _, poll = await new_poll(repo)
    await repo.set_side(respondent="h1", side=Side.IT, at=T0)
    first = await vote(repo, poll.id, "h1", "trust", "4")
    assert (first.outcome, first.side, dict(first.answered)) == (
        AnswerOutcome.CREATED,
        Side.IT,
        {"trust": "4"},
    )
    second = await vote(repo, poll.id, "h1", "lever", "speed")
    assert dict(second.answered) == {"trust": "4", "lever": "speed"}
    again = await vote(repo, poll.id, "h1", "trust", "4")
    assert again.outcome is AnswerOutcome.UNCHANGED
    changed = await vote(repo, poll.id, "h1", "trust", "2")
    assert changed.outcome is AnswerOutcome.CHANGED
    answers = await repo.answers(poll_id=poll.id)
    assert sorted((a.question_id, a.value, a.side) for a in answers) == [
        ("lever", "speed", Side.IT),
        ("trust", "2", Side.IT),
    ]


async def test_a_burst_of_clicks_is_written_together_and_the_last_click_counts(
    repo: SqlRepository,
) -> None:
    _, poll = await new_poll(repo)
    people = [f"h{i}" for i in range(30)]
    for person in people[:20]:
        await repo.set_side(respondent=person, side=Side.MARKETING, at=T0)
    clicks = [(p, "trust", str(1 + (i % 5))) for i, p in enumerate(people)]
    clicks += [("h0", "trust", "5"), ("h0", "trust", "5"), ("h0", "trust", "1")]  # one person
    results = await asyncio.gather(*(vote(repo, poll.id, p, q, v) for p, q, v in clicks))
    assert [r.outcome for r in results[:30]] == [AnswerOutcome.CREATED] * 30
    assert [r.outcome for r in results[30:]] == [
        AnswerOutcome.CHANGED,  # h0 first clicked 1, then 5
        AnswerOutcome.UNCHANGED,
        AnswerOutcome.CHANGED,  # and finally 1: the last click counts
    ]
    assert {r.side for r in results[:20]} == {Side.MARKETING}
    assert {r.side for r in results[20:30]} == {None}  # no side yet: the vote is kept
    stored = {a.respondent: a.value for a in await repo.answers(poll_id=poll.id)}
    assert len(stored) == 30 and stored["h0"] == "1"


async def test_votes_on_closed_or_missing_polls_are_refused_in_a_batch(
    repo: SqlRepository,
) -> None:
    _, poll = await new_poll(repo)
    _, closed = await new_poll(repo, ref=replace(REF, channel_id="C-other"))
    await repo.mark_closed(poll_id=closed.id, closed_at=T0)
    results = await asyncio.gather(
        vote(repo, poll.id, "h1", "trust", "3"),
        vote(repo, closed.id, "h1", "trust", "3", origin=replace(HERE, channel_id="C-other")),
        vote(repo, 999_999, "h1", "trust", "3"),
    )
    assert [r.outcome for r in results] == [
        AnswerOutcome.CREATED,
        AnswerOutcome.CLOSED,
        AnswerOutcome.MISSING,
    ]
    assert await repo.answers(poll_id=closed.id) == []


async def test_an_older_click_arriving_later_does_not_undo_a_newer_answer(
    repo: SqlRepository,
) -> None:
    _, poll = await new_poll(repo)
    newer = await vote(repo, poll.id, "h1", "trust", "2", clicked_at=T0 + timedelta(seconds=5))
    replayed = await vote(repo, poll.id, "h1", "trust", "5", clicked_at=T0)
    assert (newer.outcome, replayed.outcome) == (AnswerOutcome.CREATED, AnswerOutcome.SUPERSEDED)
    assert dict(replayed.answered) == {"trust": "2"}
    assert await answered(repo, poll_id=poll.id, respondent="h1") == {"trust": "2"}
    # the same moment again (a double click, a redelivered request) is a tie: the later
    # arrival counts, and the very same click changes nothing
    same = await vote(repo, poll.id, "h1", "trust", "2", clicked_at=T0 + timedelta(seconds=5))
    tie = await vote(repo, poll.id, "h1", "trust", "3", clicked_at=T0 + timedelta(seconds=5))
    assert (same.outcome, tie.outcome) == (AnswerOutcome.UNCHANGED, AnswerOutcome.CHANGED)
    assert await answered(repo, poll_id=poll.id, respondent="h1") == {"trust": "3"}


async def test_a_repeated_answer_keeps_its_later_time(repo: SqlRepository) -> None:
    """4 at t1, 4 again at t3, then a late 2 from t2: the 4 at t3 is the person's last word."""
    _, poll = await new_poll(repo)
    t1, t2, t3 = (T0 + timedelta(seconds=s) for s in (1, 2, 3))
    await vote(repo, poll.id, "h1", "trust", "4", clicked_at=t1)
    again = await vote(repo, poll.id, "h1", "trust", "4", clicked_at=t3)
    late = await vote(repo, poll.id, "h1", "trust", "2", clicked_at=t2)
    assert (again.outcome, late.outcome) == (AnswerOutcome.UNCHANGED, AnswerOutcome.SUPERSEDED)
    assert await answered(repo, poll_id=poll.id, respondent="h1") == {"trust": "4"}


async def test_within_one_batch_the_later_click_wins_whatever_the_arrival_order(
    repo: SqlRepository,
) -> None:
    _, poll = await new_poll(repo)
    t = [T0 + timedelta(milliseconds=10 * i) for i in range(4)]
    results: list[RecordedVote] = await asyncio.gather(
        vote(repo, poll.id, "h1", "trust", "5", clicked_at=t[2]),
        vote(repo, poll.id, "h1", "trust", "1", clicked_at=t[1]),  # older, arrives after
        vote(repo, poll.id, "h2", "trust", "3", clicked_at=t[0]),
        vote(repo, poll.id, "h2", "trust", "4", clicked_at=t[0]),  # a tie: arrived last
        vote(repo, poll.id, "h1", "lever", "speed", clicked_at=t[0]),  # another question
    )
    assert [r.outcome for r in results] == [
        AnswerOutcome.CREATED,
        AnswerOutcome.SUPERSEDED,
        AnswerOutcome.CREATED,
        AnswerOutcome.CHANGED,
        AnswerOutcome.CREATED,
    ]
    assert await answered(repo, poll_id=poll.id, respondent="h1") == {
        "trust": "5",
        "lever": "speed",
    }
    assert await answered(repo, poll_id=poll.id, respondent="h2") == {"trust": "4"}


async def test_clicks_count_only_from_the_polls_channel_or_a_reminder(
    repo: SqlRepository,
) -> None:
    channel, poll = await new_poll(repo)
    step = channel_step(channel.id, REMIND, poll.period)
    await repo.record_delivery(
        scope=step.scope, step=step.step, period=step.period, recipient="reminded", at=T0
    )
    dm = replace(HERE, channel_id="D-dm", direct=True)
    results: list[RecordedVote] = await asyncio.gather(
        vote(repo, poll.id, "h1", "trust", "3", origin=replace(HERE, channel_id="C-shared")),
        vote(repo, poll.id, "h2", "trust", "3", origin=replace(HERE, workspace_id="T2")),
        vote(repo, poll.id, "h3", "trust", "3", origin=replace(HERE, platform="teams")),
        vote(repo, poll.id, "h4", "trust", "3", origin=dm),  # never reminded
        vote(repo, poll.id, "h5", "trust", "3", origin=replace(HERE, channel_id=None)),
        vote(repo, poll.id, "reminded", "trust", "3", origin=dm),
        vote(repo, poll.id, "h6", "trust", "3"),
    )
    assert [r.outcome for r in results] == [
        AnswerOutcome.ELSEWHERE,
        AnswerOutcome.FOREIGN,
        AnswerOutcome.FOREIGN,
        AnswerOutcome.ELSEWHERE,
        AnswerOutcome.ELSEWHERE,
        AnswerOutcome.CREATED,
        AnswerOutcome.CREATED,
    ]
    assert all(r.side is None and not r.answered for r in results[:5])
    assert sorted(a.respondent for a in await repo.answers(poll_id=poll.id)) == ["h6", "reminded"]


async def test_a_reminder_for_one_poll_opens_no_other_polls_dm(repo: SqlRepository) -> None:
    channel, poll = await new_poll(repo)
    step = channel_step(channel.id, REMIND, "an-earlier-period")
    await repo.record_delivery(
        scope=step.scope, step=step.step, period=step.period, recipient="h1", at=T0
    )
    dm = replace(HERE, channel_id="D-dm", direct=True)
    refused = await vote(repo, poll.id, "h1", "trust", "3", origin=dm)
    assert refused.outcome is AnswerOutcome.ELSEWHERE
    assert await repo.answers(poll_id=poll.id) == []
