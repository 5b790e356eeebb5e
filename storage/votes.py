"""Group commit for poll clicks: the clicks that arrive while one transaction is writing are
written together by the next, with a handful of statements whatever their number.

A burst of clicks is the bot's hottest path. One transaction per click paid for a connection
check-out, BEGIN, three statements and COMMIT each, and on SQLite a thread hop for every one of
those; under load, clicks queued for the single writer. Here one writer task drains the queue:
each batch reads the polls, the voters' sides and their answers in three statements, decides
every click in arrival order (so two clicks on one question in one batch still leave the last
one counting), and upserts the changes in one statement. A failed batch fails each of its
clicks with the same error, so every caller still gets an answer for its own click.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import AnswerOutcome, Side
from bot.ports import RecordedVote

log = logging.getLogger(__name__)

#: Most clicks written by one transaction (bounded by SQLite's host-parameter limit).
MAX_BATCH = 400
#: stored side values back to the domain type (None: not joined yet)
SIDES: dict[str | None, Side | None] = {None: None, **{s.value: s for s in Side}}


@dataclass(frozen=True, slots=True)
class Click:
    poll_id: int
    respondent: str
    question_id: str
    value: str
    at: datetime


Transaction = Callable[[], AbstractAsyncContextManager[AsyncConnection]]


class VoteWriter:
    """Queues clicks and writes them in batches, one transaction per batch."""

    def __init__(
        self,
        transaction: Transaction,
        *,
        poll: Table,
        side: Table,
        answer: Table,
        upsert: Callable[[Table], Any],
        postgres: bool,
    ) -> None:
        self._transaction = transaction
        self._queue: list[tuple[Click, asyncio.Future[RecordedVote]]] = []
        self._writer: asyncio.Task[None] | None = None
        polls = select(poll.c.id, poll.c.closed_at).where(
            poll.c.id.in_(bindparam("polls", expanding=True))
        )
        # A concurrent close waits for these votes to commit, and vice versa.
        self._polls = polls.with_for_update(read=True) if postgres else polls
        self._sides = select(side.c.respondent, side.c.side).where(
            side.c.respondent.in_(bindparam("people", expanding=True))
        )
        self._answers = select(
            answer.c.poll_id,
            answer.c.respondent,
            answer.c.question_id,
            answer.c.value,
            answer.c.side,
        ).where(
            answer.c.poll_id.in_(bindparam("polls", expanding=True)),
            answer.c.respondent.in_(bindparam("people", expanding=True)),
        )
        insert = upsert(answer)
        self._upsert = insert.on_conflict_do_update(
            index_elements=["poll_id", "respondent", "question_id"],
            set_={
                "value": insert.excluded.value,
                "side": insert.excluded.side,
                "updated_at": insert.excluded.updated_at,
            },
        )

    async def record(self, click: Click) -> RecordedVote:
        future: asyncio.Future[RecordedVote] = asyncio.get_running_loop().create_future()
        self._queue.append((click, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                results = await self._write([click for click, _ in batch])
            except BaseException as exc:  # each caller gets its own click's failure
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _write(self, clicks: Sequence[Click]) -> list[RecordedVote]:
        polls = sorted({c.poll_id for c in clicks})
        people = sorted({c.respondent for c in clicks})
        async with self._transaction() as conn:
            closed = dict((await conn.execute(self._polls, {"polls": polls})).all())
            sides = {
                r.respondent: SIDES[r.side]
                for r in await conn.execute(self._sides, {"people": people})
            }
            current: dict[tuple[int, str], dict[str, tuple[str, str | None]]] = {}
            for r in await conn.execute(self._answers, {"polls": polls, "people": people}):
                current.setdefault((r.poll_id, r.respondent), {})[r.question_id] = (r.value, r.side)
            results, changes = _decide(clicks, closed, sides, current)
            if changes:
                await conn.execute(self._upsert, list(changes.values()))
        return results


def _decide(
    clicks: Sequence[Click],
    closed: dict[int, datetime | None],
    sides: dict[str, Side | None],
    current: dict[tuple[int, str], dict[str, tuple[str, str | None]]],
) -> tuple[list[RecordedVote], dict[tuple[int, str, str], dict[str, Any]]]:
    """Each click's outcome, in arrival order, and the rows to upsert (the last click of a
    question wins)."""
    results: list[RecordedVote] = []
    changes: dict[tuple[int, str, str], dict[str, Any]] = {}
    for click in clicks:
        side = sides.get(click.respondent)
        if click.poll_id not in closed:
            results.append(RecordedVote(AnswerOutcome.MISSING, None, {}))
            continue
        if closed[click.poll_id] is not None:
            results.append(RecordedVote(AnswerOutcome.CLOSED, side, {}))
            continue
        mine = current.setdefault((click.poll_id, click.respondent), {})
        side_value = side.value if side else None
        before = mine.get(click.question_id)
        if before == (click.value, side_value):
            outcome = AnswerOutcome.UNCHANGED
        else:
            outcome = AnswerOutcome.CREATED if before is None else AnswerOutcome.CHANGED
            mine[click.question_id] = (click.value, side_value)
            key = (click.poll_id, click.respondent, click.question_id)
            changes[key] = {
                "poll_id": click.poll_id,
                "respondent": click.respondent,
                "question_id": click.question_id,
                "value": click.value,
                "side": side_value,
                "answered_at": changes.get(key, {}).get("answered_at", click.at),
                "updated_at": click.at,
            }
        answered = {q: value for q, (value, _) in mine.items()}
        results.append(RecordedVote(outcome, side, answered))
    return results, changes
