"""Polls: opened once per period, closed once, their results and history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

import orjson
from sqlalchemy import (
    Integer,
    String,
    Text,
    bindparam,
    cast,
    func,
    insert,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from bot.domain import Poll
from bot.imperatives import rotating_imperative
from bot.ports import PollHistoryItem
from bot.score.scoring import PollResult
from storage.base import POLL, RepositoryBase, chunks, poll_from

LATEST = POLL.alias("latest")
#: A poll's history item (`_history_item`) in the order of `Poll`'s fields, then its result;
#: times as they come (text on SQLite): `_utc` reads them at a fraction of UTCDateTime's cost.
HISTORY = (
    POLL.c.id,
    POLL.c.channel_id,
    POLL.c.number,
    POLL.c.question_set,
    POLL.c.question_set_version,
    POLL.c.rotating_imperative,
    type_coerce(POLL.c.opened_at, String).label("opened_at"),
    type_coerce(POLL.c.closes_at, String).label("closes_at"),
    type_coerce(POLL.c.closed_at, String).label("closed_at"),
    POLL.c.period,
    POLL.c.message_ref,
    POLL.c.timezone,
    # the score and k beside the result's text, which is parsed only if something reads more
    POLL.c.score,
    POLL.c.result["k"].as_integer().label("k"),
    cast(POLL.c.result, Text).label("result"),
)


class SqlPolls(RepositoryBase):
    """`PollStore` over SQL."""

    async def create_poll(
        self,
        *,
        channel_id: int,
        question_set: str,
        question_set_version: int,
        opened_at: datetime,
        closes_at: datetime,
        period: str,
        timezone: str,
    ) -> Poll | None:
        try:
            async with self._tx(write=True) as conn:
                number = (
                    await conn.execute(
                        select(func.coalesce(func.max(POLL.c.number), 0)).where(
                            POLL.c.channel_id == channel_id
                        )
                    )
                ).scalar_one() + 1
                poll_id = (
                    await conn.execute(
                        insert(POLL)
                        .values(
                            channel_id=channel_id,
                            number=number,
                            question_set=question_set,
                            question_set_version=question_set_version,
                            rotating_imperative=rotating_imperative(number),
                            opened_at=opened_at,
                            closes_at=closes_at,
                            period=period,
                            timezone=timezone,
                        )
                        .returning(POLL.c.id)
                    )
                ).scalar_one()
        except IntegrityError:
            return None  # one is open already, or this period was opened (maybe by a replica)
        return await self.get_poll(poll_id=poll_id)

    async def get_poll(self, *, poll_id: int) -> Poll | None:
        async with self._tx() as conn:
            row = (await conn.execute(select(POLL).where(POLL.c.id == poll_id))).first()
        return poll_from(row) if row else None

    async def open_poll(self, *, channel_id: int) -> Poll | None:
        async with self._tx() as conn:
            row = (
                await conn.execute(
                    select(POLL).where(POLL.c.channel_id == channel_id, POLL.c.closed_at.is_(None))
                )
            ).first()
        return poll_from(row) if row else None

    async def poll_for_period(self, *, channel_id: int, period: str) -> Poll | None:
        async with self._tx() as conn:
            row = (
                await conn.execute(
                    select(POLL).where(POLL.c.channel_id == channel_id, POLL.c.period == period)
                )
            ).first()
        return poll_from(row) if row else None

    async def set_poll_message(self, *, poll_id: int, message_ref: str) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                update(POLL).where(POLL.c.id == poll_id).values(message_ref=message_ref)
            )

    async def mark_closed(self, *, poll_id: int, closed_at: datetime) -> bool:
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                update(POLL)
                .where(POLL.c.id == poll_id, POLL.c.closed_at.is_(None))
                .values(closed_at=closed_at)
            )
        return bool(result.rowcount)

    async def store_result(self, *, poll_id: int, result: PollResult) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                update(POLL)
                .where(POLL.c.id == poll_id)
                .values(result=result.to_dict(), score=result.score)
            )

    async def poll_history(self, *, channel_id: int, limit: int) -> list[PollHistoryItem]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(*HISTORY)
                    .where(POLL.c.channel_id == channel_id)
                    .order_by(POLL.c.number.desc())
                    .limit(limit)
                )
            ).all()
        return [_history_item(r) for r in reversed(rows)]

    async def poll_histories(
        self, *, channel_ids: Sequence[int], limit: int
    ) -> dict[int, list[PollHistoryItem]]:
        histories: dict[int, list[PollHistoryItem]] = {c: [] for c in channel_ids}
        async with self._tx() as conn:
            for chunk in chunks(list(channel_ids)):
                rows = (await conn.execute(self._histories(chunk, limit))).all()
                for r in rows:
                    histories[r.channel_id].append(_history_item(r))
        for items in histories.values():  # PostgreSQL's come newest first
            items.sort(key=_number)
        return histories

    def _histories(self, channel_ids: list[int], limit: int) -> Any:
        """The newest `limit` polls of each channel as HISTORY rows (in no particular order)."""
        if not self._pg:
            newest = (
                select(func.max(LATEST.c.number))
                .where(LATEST.c.channel_id == POLL.c.channel_id)
                .scalar_subquery()
            )
            return (
                select(*HISTORY)
                .where(POLL.c.channel_id.in_(channel_ids), POLL.c.number > newest - limit)
                .order_by(POLL.c.channel_id, POLL.c.number)
            )
        # PostgreSQL runs that correlated max() once per candidate row (52 per channel, each a
        # heap visit once rows have changed: 0.14–0.2 s per 500 channels); a LATERAL LIMIT
        # reads just the newest rows of each channel off the (channel_id, number) key (8 ms).
        ids = bindparam("channel_ids", channel_ids, type_=postgresql.ARRAY(Integer))
        wanted = func.unnest(ids).table_valued("id").render_derived(name="wanted")
        latest = (
            select(*HISTORY)
            .where(POLL.c.channel_id == wanted.c.id)
            .order_by(POLL.c.number.desc())
            .limit(limit)
            .lateral("latest")
        )
        return select(latest).select_from(wanted).join(latest, true())

    async def due_polls(self, *, now: datetime) -> list[Poll]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(POLL)
                    .where(POLL.c.closed_at.is_(None), POLL.c.closes_at <= now)
                    .order_by(POLL.c.closes_at)
                )
            ).all()
        return [poll_from(r) for r in rows]


def _history_item(row: Any) -> PollHistoryItem:
    """A row of HISTORY (positional: a trend reads thousands of them at once)."""
    (id_, channel_id, number, qset, version, rotating, opened, closes, closed, *rest) = row
    period, message_ref, timezone, score, k, result = rest
    poll = Poll(
        id_,
        channel_id,
        number,
        qset,
        version,
        rotating,
        _utc(opened),
        _utc(closes),
        _utc(closed) if closed is not None else None,
        period,
        message_ref,
        timezone,
    )
    if result is None or closed is None:
        return PollHistoryItem(poll, None)
    return PollHistoryItem(poll, PollResult.stored(k, score, partial(orjson.loads, result)))


def _number(item: PollHistoryItem) -> int:
    return item.poll.number


def _utc(moment: datetime | str) -> datetime:
    """PostgreSQL hands back aware UTC times; SQLite keeps UTC as text without an offset."""
    if isinstance(moment, datetime):
        return moment
    try:
        return datetime.fromisoformat(moment + "+00:00")
    except ValueError:  # written with an offset after all
        return datetime.fromisoformat(moment).astimezone(UTC)
