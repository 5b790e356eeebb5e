"""Group commit for poll clicks: the clicks that arrive while one transaction is writing are
written together by the next, with a handful of statements whatever their number.

A burst of clicks is the bot's hottest path. One transaction per click paid for a connection
check-out, BEGIN, three statements and COMMIT each, and on SQLite a thread hop for every one of
those; under load, clicks queued for the single writer. Here one writer task drains the queue:
each batch reads the polls, the voters' sides and their answers in three statements, decides
every click in arrival order (so two clicks on one question in one batch still leave the last
one counting), and upserts the changes in one statement. A failed batch fails each of its
clicks with the same error, so every caller still gets an answer for its own click.

The batch is written by one synchronous function, run by a `Runner`: on PostgreSQL inside the
async connection (`run_sync`), on a SQLite file whole in a worker thread (see
`engine.sqlite_twin`), so a batch waits for the event loop once, not at every statement.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Integer,
    String,
    Table,
    any_,
    bindparam,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY

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


T = TypeVar("T")
#: Runs a function with a synchronous connection inside one write transaction.
Runner = Callable[[Callable[[Connection], T]], Awaitable[T]]


class VoteWriter:
    """Queues clicks and writes them in batches, one transaction per batch."""

    def __init__(
        self,
        run: Runner[list[RecordedVote]],
        *,
        poll: Table,
        side: Table,
        answer: Table,
        upsert: Callable[[Table], Any],
        postgres: bool,
    ) -> None:
        self._run = run
        self._queue: list[tuple[Click, asyncio.Future[RecordedVote]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._postgres = postgres
        self._polls = select(poll.c.id, poll.c.closed_at).where(
            poll.c.id.in_(bindparam("polls", expanding=True))
        )
        self._all_reads = _reads_in_one(poll, side, answer)
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
        return await self._run(lambda conn: self._write_with(conn, clicks))

    def _write_with(self, conn: Connection, clicks: Sequence[Click]) -> list[RecordedVote]:
        polls = sorted({c.poll_id for c in clicks})
        people = sorted({c.respondent for c in clicks})
        read = self._read_in_one if self._postgres else self._read_in_three
        results, changes = _decide(clicks, *read(conn, polls, people))
        if changes:
            conn.execute(self._upsert, list(changes.values()))
        return results

    def _read_in_three(self, conn: Connection, polls: list[int], people: list[str]) -> _Read:
        closed = dict(conn.execute(self._polls, {"polls": polls}).all())
        sides = {r.respondent: SIDES[r.side] for r in conn.execute(self._sides, {"people": people})}
        current: _Current = {}
        for r in conn.execute(self._answers, {"polls": polls, "people": people}):
            current.setdefault((r.poll_id, r.respondent), {})[r.question_id] = (r.value, r.side)
        return closed, sides, current

    def _read_in_one(self, conn: Connection, polls: list[int], people: list[str]) -> _Read:
        """PostgreSQL: the same three reads in one round trip (each is a wait for the event
        loop under load), the polls locked FOR SHARE so that a concurrent close waits for
        these votes to commit, and vice versa."""
        closed: dict[int, datetime | None] = {}
        sides: dict[str, Side | None] = {}
        current: _Current = {}
        for r in conn.execute(self._all_reads, {"polls": polls, "people": people}):
            if r.kind == _POLL:
                closed[r.poll_id] = r.closed_at
            elif r.kind == _SIDE:
                sides[r.respondent] = SIDES[r.side]
            else:
                mine = current.setdefault((r.poll_id, r.respondent), {})
                mine[r.question_id] = (r.value, r.side)
        return closed, sides, current


_Current = dict[tuple[int, str], dict[str, tuple[str, str | None]]]
_Read = tuple[dict[int, datetime | None], dict[str, Side | None], _Current]
_POLL, _SIDE, _ANSWER = 0, 1, 2


def _reads_in_one(poll: Table, side: Table, answer: Table) -> CompoundSelect[Any]:
    """Polls (locked FOR SHARE), sides and current answers as one PostgreSQL statement, told
    apart by `kind`; arrays bound with `= ANY` keep it one prepared statement at any size."""
    polls = bindparam("polls", type_=ARRAY(Integer))
    people = bindparam("people", type_=ARRAY(String))
    locked = (
        select(poll.c.id, poll.c.closed_at)
        .where(poll.c.id == any_(polls))
        .with_for_update(read=True)
        .cte("locked")
    )
    return union_all(
        select(
            literal_column(str(_POLL)).label("kind"),
            locked.c.id.label("poll_id"),
            null().label("respondent"),
            null().label("question_id"),
            null().label("value"),
            null().label("side"),
            locked.c.closed_at.label("closed_at"),
        ),
        select(
            literal_column(str(_SIDE)),
            null(),
            side.c.respondent,
            null(),
            null(),
            side.c.side,
            null(),
        ).where(side.c.respondent == any_(people)),
        select(
            literal_column(str(_ANSWER)),
            answer.c.poll_id,
            answer.c.respondent,
            answer.c.question_id,
            answer.c.value,
            answer.c.side,
            null(),
        ).where(answer.c.poll_id == any_(polls), answer.c.respondent == any_(people)),
    )


def _decide(
    clicks: Sequence[Click],
    closed: dict[int, datetime | None],
    sides: dict[str, Side | None],
    current: _Current,
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
