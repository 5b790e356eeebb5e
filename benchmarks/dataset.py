"""A synthetic BridgePulse history, bulk-loaded fast (COPY on PostgreSQL, executemany on SQLite).

Shape: `channels` channels in workspaces of 500, each with `polls` weekly polls (all closed with a
stored result except the newest, which is open) and `respondents` people per channel
(half marketing, the rest IT and one `other`), each answering the poll's four questions.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain import AnswerRecord, Side
from bot.imperatives import rotating_imperative
from bot.questions import QuestionSets
from bot.score.scoring import compute_result

#: version 1 of the default set (four questions): the polls here are stored as asked with it, and
#: the mirror question of version 2 is not part of the score
QS = QuestionSets.load().get("default", 1)
LEVERS = [o.value for o in QS.by_role("lever").options]
START = datetime(2025, 11, 24, 8, 0, tzinfo=UTC)  # a Monday, 52 weeks before the newest poll
WORKSPACE_SIZE = 500
K = 5
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
#: What `generate` stores, for `--reuse`: bumped when it changes (2: results keep the study
#: comparison's counts of 4–5 answers, `Figures.agreement`).
FORMAT = 2


@dataclass(frozen=True)
class Shape:
    channels: int
    polls: int
    respondents: int

    @property
    def answers(self) -> int:
        return self.channels * self.polls * self.respondents * 4


def respondent_hash(channel: int, person: int) -> str:
    return hashlib.blake2b(f"{channel}:{person}".encode(), digest_size=32).hexdigest()


def side_of(person: int, respondents: int) -> Side:
    marketing = respondents // 2
    if person < marketing:
        return Side.MARKETING
    return Side.IT if person < respondents - 1 else Side.OTHER


def member_id(channel: int, person: int) -> str:
    return f"U{channel:05d}{person:02d}"


@dataclass
class ChannelData:
    index: int
    polls: list[tuple[Any, ...]]
    answers: list[tuple[Any, ...]]


def generate(shape: Shape, *, seed: int = 7) -> Iterator[ChannelData]:
    """Channels one at a time: poll rows (with stored results) and answer rows."""
    rng = random.Random(seed)
    for c in range(shape.channels):
        people = [
            (respondent_hash(c, p), side_of(p, shape.respondents)) for p in range(shape.respondents)
        ]
        mood = {
            Side.MARKETING: rng.uniform(2.5, 4.5),
            Side.IT: rng.uniform(2.0, 4.5),
            Side.OTHER: 3.0,
        }
        favourite = {s: rng.choice(LEVERS) for s in Side}
        polls, answers = [], []
        for n in range(1, shape.polls + 1):
            opened = START + timedelta(days=7 * (n - 1))
            closes = opened + timedelta(days=3)
            is_open = n == shape.polls
            rotating = f"imperative_{rotating_imperative(n)}"
            records = []
            for rid, side in people:
                for q in ("trust", "priority", rotating):
                    v = min(5, max(1, round(rng.gauss(mood[side], 0.9))))
                    records.append(AnswerRecord(rid, side, q, str(v)))
                lever = favourite[side] if rng.random() < 0.6 else rng.choice(LEVERS)
                records.append(AnswerRecord(rid, side, "lever", lever))
            for side in (Side.MARKETING, Side.IT):
                mood[side] = min(4.8, max(1.5, mood[side] + rng.uniform(-0.2, 0.2)))
            result = (
                None if is_open else compute_result(records, question_set=QS, poll_number=n, k=K)
            )
            polls.append(
                (
                    c,
                    n,
                    rotating_imperative(n),
                    opened,
                    closes,
                    None if is_open else closes,
                    opened.date().isoformat(),
                    result.score if result else None,
                    json.dumps(result.to_dict()) if result else None,
                )
            )
            answers += [
                (
                    c,
                    n,
                    a.respondent,
                    a.side.value if a.side else None,
                    a.question_id,
                    a.value,
                    opened,
                )
                for a in records
            ]
        yield ChannelData(c, polls, answers)


# --- loaders ---------------------------------------------------------------------------------

ANSWER_INDEXES = ("uq_answer", "ix_answer_respondent")


def load_sqlite(path: str, shape: Shape, *, seed: int = 7) -> None:
    """Bulk-load into a migrated SQLite file (answer indexes dropped during the load)."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("DROP INDEX IF EXISTS ix_answer_respondent")
    _sqlite_channels(db, shape)
    _sqlite_history(db, shape, seed=seed)
    db.execute("CREATE INDEX ix_answer_respondent ON answer (respondent)")
    db.execute("ANALYZE")
    db.commit()
    db.close()


def _sqlite_channels(db: sqlite3.Connection, shape: Shape) -> None:
    """The workspaces (500 channels each) and their channels."""
    now = START.strftime(_SQLITE_TIME)
    workspaces = (shape.channels + WORKSPACE_SIZE - 1) // WORKSPACE_SIZE
    db.executemany(
        "INSERT INTO workspace (id, platform, external_id, created_at) VALUES (?, 'slack', ?, ?)",
        [(w + 1, f"T{w:04d}", now) for w in range(workspaces)],
    )
    db.executemany(
        "INSERT INTO channel (id, workspace_id, external_id, name, question_set, schedule_weekday,"
        " schedule_time, schedule_timezone, schedule_open_days, paused, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, 'default', 0, '09:00', 'UTC', 3, 0, ?, ?)",
        [
            (c + 1, c // WORKSPACE_SIZE + 1, f"C{c:05d}", f"team-{c:05d}", now, now)
            for c in range(shape.channels)
        ],
    )


def _sqlite_history(db: sqlite3.Connection, shape: Shape, *, seed: int) -> None:
    """Every channel's polls and answers, committed every 500 channels and at the end."""
    poll_id = 0
    for data in generate(shape, seed=seed):
        rows, ids = _sqlite_polls(data, first_id=poll_id + 1)
        poll_id += len(rows)
        db.executemany(
            "INSERT INTO poll (id, channel_id, number, question_set, question_set_version,"
            " rotating_imperative, opened_at, closes_at, closed_at, period, timezone, score,"
            " result) VALUES (?, ?, ?, 'default', 1, ?, ?, ?, ?, ?, 'UTC', ?, ?)",
            rows,
        )
        db.executemany(
            "INSERT INTO answer (poll_id, respondent, side, question_id, value, answered_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (ids[n], rid, side, q, v, at.strftime(_SQLITE_TIME), at.strftime(_SQLITE_TIME))
                for (_c, n, rid, side, q, v, at) in data.answers
            ],
        )
        if data.index % 500 == 499:
            db.commit()
    db.commit()


def _sqlite_polls(
    data: ChannelData, *, first_id: int
) -> tuple[list[tuple[Any, ...]], dict[int, int]]:
    """A channel's poll rows, numbered on from `first_id`, and poll number → row id."""
    ids = {}
    rows = []
    for poll_id, (c, n, rot, opened, closes, closed, period, score, result) in enumerate(
        data.polls, start=first_id
    ):
        ids[n] = poll_id
        rows.append(
            (
                poll_id,
                c + 1,
                n,
                rot,
                opened.strftime(_SQLITE_TIME),
                closes.strftime(_SQLITE_TIME),
                closed.strftime(_SQLITE_TIME) if closed else None,
                period,
                score,
                result,
            )
        )
    return rows, ids


#: index builds over 25 million answers outlast the engine's 30-second command timeout
BUILD_TIMEOUT = 3600.0
#: asyncpg's connection (asyncpg ships no type hints)
Pg = Any
#: every flush COPYs the polls and answers gathered so far once they pass this many answers
FLUSH_ANSWERS = 200_000

CHANNEL_COLUMNS = (
    "id",
    "workspace_id",
    "external_id",
    "name",
    "question_set",
    "schedule_weekday",
    "schedule_time",
    "schedule_timezone",
    "schedule_open_days",
    "paused",
    "created_at",
    "updated_at",
)
POLL_COLUMNS = (
    "id",
    "channel_id",
    "number",
    "question_set",
    "question_set_version",
    "rotating_imperative",
    "opened_at",
    "closes_at",
    "closed_at",
    "period",
    "timezone",
    "score",
    "result",
)
ANSWER_COLUMNS = (
    "poll_id",
    "respondent",
    "side",
    "question_id",
    "value",
    "answered_at",
    "updated_at",
)


async def load_postgres(engine: AsyncEngine, shape: Shape, *, seed: int = 7) -> None:
    """Bulk-load into a migrated PostgreSQL database with COPY."""
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        pg = raw.driver_connection
        assert pg is not None
        await pg.execute("DROP INDEX IF EXISTS ix_answer_respondent")
        await pg.execute("ALTER TABLE answer DROP CONSTRAINT IF EXISTS uq_answer")
        await _pg_channels(pg, shape)
        await _pg_history(pg, shape, seed=seed)
        await _pg_reset_sequences(pg)
        await _pg_finish(pg)


async def _pg_channels(pg: Pg, shape: Shape) -> None:
    """The workspaces (500 channels each) and their channels."""
    workspaces = (shape.channels + WORKSPACE_SIZE - 1) // WORKSPACE_SIZE
    await pg.copy_records_to_table(
        "workspace",
        columns=["id", "platform", "external_id", "created_at"],
        records=[(w + 1, "slack", f"T{w:04d}", START) for w in range(workspaces)],
    )
    await pg.copy_records_to_table(
        "channel",
        columns=list(CHANNEL_COLUMNS),
        records=[
            (
                c + 1,
                c // WORKSPACE_SIZE + 1,
                f"C{c:05d}",
                f"team-{c:05d}",
                "default",
                0,
                "09:00",
                "UTC",
                3,
                False,
                START,
                START,
            )
            for c in range(shape.channels)
        ],
    )


async def _pg_history(pg: Pg, shape: Shape, *, seed: int) -> None:
    """Every channel's polls and answers, COPYed in batches of about `FLUSH_ANSWERS` answers."""
    poll_id = 0
    poll_rows: list[tuple[Any, ...]] = []
    answer_rows: list[tuple[Any, ...]] = []
    for data in generate(shape, seed=seed):
        rows, ids = _pg_polls(data, first_id=poll_id + 1)
        poll_id += len(rows)
        poll_rows += rows
        answer_rows += [
            (ids[n], rid, side, q, v, at, at) for (_c, n, rid, side, q, v, at) in data.answers
        ]
        if len(answer_rows) > FLUSH_ANSWERS or data.index == shape.channels - 1:
            await _pg_flush(pg, poll_rows, answer_rows)
            poll_rows, answer_rows = [], []


def _pg_polls(data: ChannelData, *, first_id: int) -> tuple[list[tuple[Any, ...]], dict[int, int]]:
    """A channel's poll rows, numbered on from `first_id`, and poll number → row id."""
    ids = {}
    rows: list[tuple[Any, ...]] = []
    for poll_id, (c, n, rot, opened, closes, closed, period, score, result) in enumerate(
        data.polls, start=first_id
    ):
        ids[n] = poll_id
        rows.append(
            (
                poll_id,
                c + 1,
                n,
                "default",
                1,
                rot,
                opened,
                closes,
                closed,
                period,
                "UTC",
                score,
                result,
            )
        )
    return rows, ids


async def _pg_flush(
    pg: Pg, poll_rows: list[tuple[Any, ...]], answer_rows: list[tuple[Any, ...]]
) -> None:
    await pg.copy_records_to_table(
        "poll", columns=list(POLL_COLUMNS), records=poll_rows, timeout=BUILD_TIMEOUT
    )
    await pg.copy_records_to_table(
        "answer", columns=list(ANSWER_COLUMNS), records=answer_rows, timeout=BUILD_TIMEOUT
    )


async def _pg_reset_sequences(pg: Pg) -> None:
    """Id sequences past the COPYed ids, so later inserts (the benchmark's own) get new ones."""
    for table, column in (
        ("workspace", "id"),
        ("channel", "id"),
        ("poll", "id"),
        ("answer", "id"),
    ):
        await pg.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f"(SELECT max({column}) FROM {table}))"
        )


async def _pg_finish(pg: Pg) -> None:
    """The answer constraint and index dropped for the load, built again; then statistics."""
    await pg.execute(
        "ALTER TABLE answer ADD CONSTRAINT uq_answer UNIQUE (poll_id, respondent, question_id) "
        "INCLUDE (side, value)",
        timeout=BUILD_TIMEOUT,
    )
    await pg.execute(
        "CREATE INDEX ix_answer_respondent ON answer (respondent)", timeout=BUILD_TIMEOUT
    )
    # as autovacuum would in time: the visibility map lets answer reads skip the heap
    await pg.execute("VACUUM ANALYZE", timeout=BUILD_TIMEOUT)
