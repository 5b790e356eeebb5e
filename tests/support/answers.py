"""Answers seeded in tests through the real vote path (`record_vote`, `storage.votes`), so
tests never exercise a second implementation of the vote rules."""

from __future__ import annotations

from datetime import datetime

from bot.domain import AnswerOutcome, ClickOrigin, Side
from bot.ports import Repository

#: Where a click on a poll that does not exist comes from (the poll's absence decides first).
NOWHERE = ClickOrigin("slack", "-", "-")


async def record_answer(
    repo: Repository,
    *,
    poll_id: int,
    respondent: str,
    side: Side | None,
    question_id: str,
    value: str,
    at: datetime,
) -> AnswerOutcome:
    """One click at `at` in the poll's own channel by someone on `side` (joined first, through
    `set_side`; None leaves the person as they are), as `record_vote` decides it."""
    if side is not None:
        await repo.set_side(respondent=respondent, side=side, at=at)
    vote = await repo.record_vote(
        poll_id=poll_id,
        respondent=respondent,
        question_id=question_id,
        value=value,
        at=at,
        origin=await _origin(repo, poll_id),
        clicked_at=at,
    )
    return vote.outcome


async def answered(repo: Repository, *, poll_id: int, respondent: str) -> dict[str, str]:
    """The respondent's current answers in the poll, by question id."""
    answers = await repo.answers(poll_id=poll_id)
    return {a.question_id: a.value for a in answers if a.respondent == respondent}


async def _origin(repo: Repository, poll_id: int) -> ClickOrigin:
    """A click in the channel the poll was posted in (the only place it counts from)."""
    poll = await repo.get_poll(poll_id=poll_id)
    channel = await repo.get_channel(channel_id=poll.channel_id) if poll else None
    if channel is None:
        return NOWHERE
    ref = channel.ref
    return ClickOrigin(ref.platform, ref.workspace_id, ref.channel_id)
