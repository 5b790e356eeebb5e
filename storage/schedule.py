"""What the scheduler asks: what is due, and marks of what is done."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from bot.domain import Poll
from bot.ports import DueOpen, Horizon
from storage.base import (
    CHANNEL,
    POLL,
    WORKSPACE,
    RepositoryBase,
    aware,
    channel_from,
    channel_query,
    poll_from,
)


class SqlSchedule(RepositoryBase):
    """`ScheduleStore` over SQL."""

    async def set_next_open(self, *, channel_id: int, at: datetime | None) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                update(CHANNEL).where(CHANNEL.c.id == channel_id).values(next_open_at=at)
            )

    async def advance_next_open(self, *, channel_id: int, handled: datetime, to: datetime) -> bool:
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                update(CHANNEL)
                .where(CHANNEL.c.id == channel_id, CHANNEL.c.next_open_at <= handled)
                .values(next_open_at=to)
            )
        return bool(result.rowcount)

    async def due_opens(self, *, now: datetime) -> list[DueOpen]:
        due = (CHANNEL.c.next_open_at.is_(None)) | (CHANNEL.c.next_open_at <= now)
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    channel_query()
                    .where(*_active(), due)
                    .order_by(CHANNEL.c.next_open_at, CHANNEL.c.id)
                )
            ).all()
        return [DueOpen(channel_from(r), r.next_open_at) for r in rows]

    async def due_reminders(self, *, closing_before: datetime) -> list[Poll]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(POLL)
                    .where(
                        POLL.c.closed_at.is_(None),
                        POLL.c.reminded_at.is_(None),
                        POLL.c.closes_at <= closing_before,
                    )
                    .order_by(POLL.c.closes_at, POLL.c.id)
                )
            ).all()
        return [poll_from(r) for r in rows]

    async def mark_reminded(self, *, poll_id: int, at: datetime) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                update(POLL)
                .where(POLL.c.id == poll_id, POLL.c.reminded_at.is_(None))
                .values(reminded_at=at)
            )

    async def unfinished_polls(self) -> list[Poll]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(POLL)
                    .where(POLL.c.closed_at.is_not(None), POLL.c.finished_at.is_(None))
                    .order_by(POLL.c.closed_at, POLL.c.id)
                )
            ).all()
        return [poll_from(r) for r in rows]

    async def mark_finished(self, *, poll_id: int, at: datetime) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                update(POLL)
                .where(POLL.c.id == poll_id, POLL.c.finished_at.is_(None))
                .values(finished_at=at)
            )

    async def horizon(self) -> Horizon:
        open_polls = POLL.c.closed_at.is_(None)
        async with self._tx() as conn:
            next_open = (
                await conn.execute(select(func.min(CHANNEL.c.next_open_at)).where(*_active()))
            ).scalar_one()
            unset = (
                await conn.execute(
                    select(CHANNEL.c.id)
                    .where(*_active(), CHANNEL.c.next_open_at.is_(None))
                    .limit(1)
                )
            ).first()
            next_close = (
                await conn.execute(select(func.min(POLL.c.closes_at)).where(open_polls))
            ).scalar_one()
            next_reminder = (
                await conn.execute(
                    select(func.min(POLL.c.closes_at)).where(
                        open_polls, POLL.c.reminded_at.is_(None)
                    )
                )
            ).scalar_one()
            unfinished = (
                await conn.execute(
                    select(POLL.c.id)
                    .where(POLL.c.closed_at.is_not(None), POLL.c.finished_at.is_(None))
                    .limit(1)
                )
            ).first()
        return Horizon(
            next_open=aware(next_open),
            next_close=aware(next_close),
            next_reminder_close=aware(next_reminder),
            pending=unset is not None or unfinished is not None,
        )

    async def workspaces_closed_since(self, *, since: datetime) -> list[tuple[str, str]]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(WORKSPACE.c.platform, WORKSPACE.c.external_id)
                    .distinct()
                    .select_from(
                        POLL.join(CHANNEL, CHANNEL.c.id == POLL.c.channel_id).join(
                            WORKSPACE, WORKSPACE.c.id == CHANNEL.c.workspace_id
                        )
                    )
                    .where(POLL.c.closed_at > since)
                    .order_by(WORKSPACE.c.platform, WORKSPACE.c.external_id)
                )
            ).all()
        return [(r.platform, r.external_id) for r in rows]

    async def workspace_polls(
        self, *, platform: str, workspace_id: str, opened_since: datetime
    ) -> list[Poll]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(POLL)
                    .select_from(
                        POLL.join(CHANNEL, CHANNEL.c.id == POLL.c.channel_id).join(
                            WORKSPACE, WORKSPACE.c.id == CHANNEL.c.workspace_id
                        )
                    )
                    .where(
                        WORKSPACE.c.platform == platform,
                        WORKSPACE.c.external_id == workspace_id,
                        POLL.c.opened_at >= opened_since,
                    )
                    .order_by(POLL.c.opened_at, POLL.c.id)
                )
            ).all()
        return [poll_from(r) for r in rows]


def _active() -> tuple[Any, ...]:
    return (CHANNEL.c.schedule_weekday.is_not(None), CHANNEL.c.paused.is_(False))
