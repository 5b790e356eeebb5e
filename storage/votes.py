"""Group commit for poll clicks: the clicks that arrive while one transaction is writing are
written together by the next, with a handful of statements whatever their number.

A burst of clicks is the bot's hottest path. One transaction per click paid for a connection
check-out, BEGIN, three statements and COMMIT each, and on SQLite a thread hop for every one of
those; under load, clicks queued for the single writer. Here one writer task drains the queue:
each batch reads the polls with their place (platform, workspace, channel), the voters' sides,
their answers and, for clicks from direct messages, whether the bot reminded them of the poll
(one statement on PostgreSQL); decides every click in arrival order by the core's rules
(`bot.polls.ballots`: a click counts only from where the poll lives, and the later click by the
platform's time wins, so two clicks on one question in one batch still leave the later one
counting); and upserts the changes in one statement. A failed batch fails each of its clicks
with the same error, so every caller still gets an answer for its own click.

The batch is written by one synchronous function, run by a `Runner`: on PostgreSQL inside the
async connection (`run_sync`), on a SQLite file whole in a worker thread (see
`engine.sqlite_twin`), so a batch waits for the event loop once, not at every statement.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    FromClause,
    Integer,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    cast,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel.sql.sqltypes import UTCDateTime

from bot.channels.claims import REMIND, channel_step
from bot.domain import AnswerOutcome, ChannelRef, ClickOrigin, Side
from bot.polls.ballots import later_counts, refusal
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
    origin: ClickOrigin
    #: the platform's time of the click (the server's when the platform gave none)
    clicked_at: datetime


@dataclass(frozen=True, slots=True)
class Tables:
    """The tables a vote batch reads and writes."""

    workspace: Table
    channel: Table
    poll: Table
    side: Table
    answer: Table
    delivery: Table


#: A reminder's delivery scope is the channel's step scope, ``channel:<id>`` (`bot.channels.claims`).
_SCOPE_PREFIX = channel_step(0, REMIND, "").scope.removesuffix("0")

T = TypeVar("T")
#: Runs a function with a synchronous connection inside one write transaction.
Runner = Callable[[Callable[[Connection], T]], Awaitable[T]]


class VoteWriter:
    """Queues clicks and writes them in batches, one transaction per batch."""

    def __init__(
        self,
        run: Runner[list[RecordedVote]],
        *,
        tables: Tables,
        upsert: Callable[[Table], Any],
        postgres: bool,
    ) -> None:
        self._run = run
        self._queue: list[tuple[Click, asyncio.Future[RecordedVote]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._postgres = postgres
        t = tables
        self._polls = _polls_at(t).where(t.poll.c.id.in_(bindparam("polls", expanding=True)))
        self._all_reads = _reads_in_one(t)
        self._sides = select(t.side.c.respondent, t.side.c.side).where(
            t.side.c.respondent.in_(bindparam("people", expanding=True))
        )
        self._answers = select(
            t.answer.c.poll_id,
            t.answer.c.respondent,
            t.answer.c.question_id,
            t.answer.c.value,
            t.answer.c.side,
            t.answer.c.clicked_at,
        ).where(
            t.answer.c.poll_id.in_(bindparam("polls", expanding=True)),
            t.answer.c.respondent.in_(bindparam("people", expanding=True)),
        )
        self._reminded = _reminded(t).where(
            t.poll.c.id.in_(bindparam("polls", expanding=True)),
            t.delivery.c.recipient.in_(bindparam("direct", expanding=True)),
        )
        answer = t.answer
        insert = upsert(answer)
        self._upsert = insert.on_conflict_do_update(
            index_elements=["poll_id", "respondent", "question_id"],
            set_={
                "value": insert.excluded.value,
                "side": insert.excluded.side,
                "updated_at": insert.excluded.updated_at,
                "clicked_at": insert.excluded.clicked_at,
            },
            # the later click wins here too: a batch of another replica may have written a
            # later click of the same person since this batch read the answer
            where=or_(
                answer.c.clicked_at.is_(None), answer.c.clicked_at <= insert.excluded.clicked_at
            ),
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
        keys = _Keys(
            polls=sorted({c.poll_id for c in clicks}),
            people=sorted({c.respondent for c in clicks}),
            direct=sorted({c.respondent for c in clicks if c.origin.direct}),
        )
        read = self._read_in_one if self._postgres else self._read_in_several
        results, changes = _decide(clicks, read(conn, keys))
        if changes:
            conn.execute(self._upsert, list(changes.values()))
        return results

    def _read_in_several(self, conn: Connection, keys: _Keys) -> _Read:
        read = _Read()
        for r in conn.execute(self._polls, {"polls": keys.polls}):
            read.polls[r.id] = (r.closed_at, ChannelRef(r.platform, r.workspace, r.channel))
        for r in conn.execute(self._sides, {"people": keys.people}):
            read.sides[r.respondent] = SIDES[r.side]
        for r in conn.execute(self._answers, {"polls": keys.polls, "people": keys.people}):
            mine = read.current.setdefault((r.poll_id, r.respondent), {})
            mine[r.question_id] = (r.value, r.side, r.clicked_at)
        if keys.direct:  # only clicks in direct messages need to know who was reminded
            found = conn.execute(self._reminded, {"polls": keys.polls, "direct": keys.direct})
            read.reminded.update((r.poll_id, r.recipient) for r in found)
        return read

    def _read_in_one(self, conn: Connection, keys: _Keys) -> _Read:
        """PostgreSQL: the same reads in one round trip (each is a wait for the event loop
        under load), the polls locked FOR SHARE so that a concurrent close waits for these
        votes to commit, and vice versa."""
        read = _Read()
        bound = {"polls": keys.polls, "people": keys.people, "direct": keys.direct}
        for r in conn.execute(self._all_reads, bound):
            if r.kind == _POLL:
                where = ChannelRef(r.platform, r.workspace, r.channel)
                read.polls[r.poll_id] = (r.closed_at, where)
            elif r.kind == _SIDE:
                read.sides[r.respondent] = SIDES[r.side]
            elif r.kind == _ANSWER:
                mine = read.current.setdefault((r.poll_id, r.respondent), {})
                mine[r.question_id] = (r.value, r.side, r.clicked_at)
            else:
                read.reminded.add((r.poll_id, r.respondent))
        return read


@dataclass(frozen=True, slots=True)
class _Keys:
    polls: list[int]
    people: list[str]
    #: the people among `people` who clicked in a direct message
    direct: list[str]


#: (poll, respondent) → question → (value, side, clicked_at)
_Current = dict[tuple[int, str], dict[str, tuple[str, str | None, datetime | None]]]


@dataclass
class _Read:
    """What a batch reads before deciding: each poll's closing time and place, the voters'
    sides, their current answers, and which (poll, respondent) the bot reminded."""

    polls: dict[int, tuple[datetime | None, ChannelRef]] = field(default_factory=dict)
    sides: dict[str, Side | None] = field(default_factory=dict)
    current: _Current = field(default_factory=dict)
    reminded: set[tuple[int, str]] = field(default_factory=set)


_POLL, _SIDE, _ANSWER, _REMINDED = 0, 1, 2, 3


def _polls_at(t: Tables, *more: ColumnElement[Any]) -> Select[Any]:
    """Polls with the platform, workspace and channel they were posted in (and `more`)."""
    places = t.poll.join(t.channel, t.channel.c.id == t.poll.c.channel_id).join(
        t.workspace, t.workspace.c.id == t.channel.c.workspace_id
    )
    return select(
        t.poll.c.id,
        t.poll.c.closed_at,
        t.workspace.c.platform,
        t.workspace.c.external_id.label("workspace"),
        t.channel.c.external_id.label("channel"),
        *more,
    ).select_from(places)


def _reminded(t: Tables, poll: FromClause | None = None) -> Select[Any]:
    """(poll, recipient) of the reminders sent for the polls: the reminder step's deliveries,
    recorded by respondent hash under the channel's scope and the poll's period."""
    p = poll if poll is not None else t.poll
    d = t.delivery
    scope: ColumnElement[str] = literal(_SCOPE_PREFIX, String) + cast(p.c.channel_id, String)
    on = and_(d.c.scope == scope, d.c.step == REMIND, d.c.period == p.c.period)
    return select(p.c.id.label("poll_id"), d.c.recipient).select_from(p.join(d, on))


def _reads_in_one(t: Tables) -> CompoundSelect[Any]:
    """Polls with their place (locked FOR SHARE), sides, current answers and reminders as one
    PostgreSQL statement, told apart by `kind`; arrays bound with `= ANY` keep it one prepared
    statement at any size."""
    polls = bindparam("polls", type_=ARRAY(Integer))
    people = bindparam("people", type_=ARRAY(String))
    direct = bindparam("direct", type_=ARRAY(String))
    locked = (
        _polls_at(t, t.poll.c.channel_id, t.poll.c.period)
        .where(t.poll.c.id == any_(polls))
        .with_for_update(read=True, of=t.poll)
        .cte("locked")
    )
    no_time = cast(null(), UTCDateTime())  # typed: the first row fixes the UNION's types
    reminded = _reminded(t, locked).subquery("reminded")
    return union_all(
        select(
            literal_column(str(_POLL)).label("kind"),
            locked.c.id.label("poll_id"),
            null().label("respondent"),
            null().label("question_id"),
            null().label("value"),
            null().label("side"),
            locked.c.closed_at.label("closed_at"),
            no_time.label("clicked_at"),
            locked.c.platform.label("platform"),
            locked.c.workspace.label("workspace"),
            locked.c.channel.label("channel"),
        ),
        select(
            literal_column(str(_SIDE)),
            null(),
            t.side.c.respondent,
            *_nulls(2),
            t.side.c.side,
            *_nulls(5),
        ).where(t.side.c.respondent == any_(people)),
        select(
            literal_column(str(_ANSWER)),
            t.answer.c.poll_id,
            t.answer.c.respondent,
            t.answer.c.question_id,
            t.answer.c.value,
            t.answer.c.side,
            null(),
            t.answer.c.clicked_at,
            *_nulls(3),
        ).where(t.answer.c.poll_id == any_(polls), t.answer.c.respondent == any_(people)),
        select(
            literal_column(str(_REMINDED)),
            reminded.c.poll_id,
            reminded.c.recipient,
            *_nulls(8),
        ).where(reminded.c.recipient == any_(direct)),
    )


def _nulls(count: int) -> list[Any]:
    return [null() for _ in range(count)]


def _decide(
    clicks: Sequence[Click], read: _Read
) -> tuple[list[RecordedVote], dict[tuple[int, str, str], dict[str, Any]]]:
    """Each click's outcome, in arrival order, and the rows to upsert (of two clicks on one
    question, the later by the platform's time; at the same time, the one that came last)."""
    results: list[RecordedVote] = []
    changes: dict[tuple[int, str, str], dict[str, Any]] = {}
    for click in clicks:
        poll = read.polls.get(click.poll_id)
        if poll is None:
            results.append(RecordedVote(AnswerOutcome.MISSING, None, {}))
            continue
        closed_at, where = poll
        reminded = (click.poll_id, click.respondent) in read.reminded
        refused = refusal(where, click.origin, reminded=reminded)
        if refused is not None:  # nothing about the clicker or the poll goes back
            results.append(RecordedVote(refused, None, {}))
            continue
        side = read.sides.get(click.respondent)
        if closed_at is not None:
            results.append(RecordedVote(AnswerOutcome.CLOSED, side, {}))
            continue
        mine = read.current.setdefault((click.poll_id, click.respondent), {})
        outcome = _apply(click, mine, side.value if side else None, changes)
        answered = {q: value for q, (value, _, _) in mine.items()}
        results.append(RecordedVote(outcome, side, answered))
    return results, changes


def _apply(
    click: Click,
    mine: dict[str, tuple[str, str | None, datetime | None]],
    side: str | None,
    changes: dict[tuple[int, str, str], dict[str, Any]],
) -> AnswerOutcome:
    """Apply one click to the person's answers in the poll (`mine`, updated in place) and
    queue its row; returns what the click did."""
    before = mine.get(click.question_id)
    if before is not None and not later_counts(before[2], click.clicked_at):
        return AnswerOutcome.SUPERSEDED
    if before is not None and before[:2] == (click.value, side):
        if before[2] == click.clicked_at:
            return AnswerOutcome.UNCHANGED  # a double click, or the same request again
        outcome = AnswerOutcome.UNCHANGED  # same answer, clicked later: keep the later time
    else:
        outcome = AnswerOutcome.CREATED if before is None else AnswerOutcome.CHANGED
    mine[click.question_id] = (click.value, side, click.clicked_at)
    key = (click.poll_id, click.respondent, click.question_id)
    changes[key] = {
        "poll_id": click.poll_id,
        "respondent": click.respondent,
        "question_id": click.question_id,
        "value": click.value,
        "side": side,
        "answered_at": changes.get(key, {}).get("answered_at", click.at),
        "updated_at": click.at,
        "clicked_at": click.clicked_at,
    }
    return outcome
