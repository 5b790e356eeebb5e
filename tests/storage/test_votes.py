"""`record_vote`: clicks written in batches (group commit) keep each click's own outcome, the
voter's current side, and "the last click counts", on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.domain import AnswerOutcome, Side
from storage.repository import SqlRepository
from tests.storage.test_repository import REF, T0, new_poll


async def test_one_vote_stores_the_side_and_reports_what_was_answered(
    repo: SqlRepository,
) -> None:
    _, poll = await new_poll(repo)
    await repo.set_side(respondent="h1", side=Side.IT, at=T0)
    kw = dict(poll_id=poll.id, respondent="h1", at=T0)
    first = await repo.record_vote(question_id="trust", value="4", **kw)  # type: ignore[arg-type]
    assert (first.outcome, first.side, dict(first.answered)) == (
        AnswerOutcome.CREATED,
        Side.IT,
        {"trust": "4"},
    )
    second = await repo.record_vote(question_id="lever", value="speed", **kw)  # type: ignore[arg-type]
    assert dict(second.answered) == {"trust": "4", "lever": "speed"}
    again = await repo.record_vote(question_id="trust", value="4", **kw)  # type: ignore[arg-type]
    assert again.outcome is AnswerOutcome.UNCHANGED
    changed = await repo.record_vote(question_id="trust", value="2", **kw)  # type: ignore[arg-type]
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
    results = await asyncio.gather(
        *(
            repo.record_vote(poll_id=poll.id, respondent=p, question_id=q, value=v, at=T0)
            for p, q, v in clicks
        )
    )
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
        repo.record_vote(poll_id=poll.id, respondent="h1", question_id="trust", value="3", at=T0),
        repo.record_vote(poll_id=closed.id, respondent="h1", question_id="trust", value="3", at=T0),
        repo.record_vote(poll_id=999_999, respondent="h1", question_id="trust", value="3", at=T0),
    )
    assert [r.outcome for r in results] == [
        AnswerOutcome.CREATED,
        AnswerOutcome.CLOSED,
        AnswerOutcome.MISSING,
    ]
    assert await repo.answers(poll_id=closed.id) == []
