"""Nudges given, read back per channel to space them out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select

from bot.ports import NudgeRecord
from storage.base import NUDGE, RepositoryBase, chunks


class SqlNudges(RepositoryBase):
    """`NudgeStore` over SQL."""

    async def record_nudge(self, *, nudge: NudgeRecord) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                insert(NUDGE).values(
                    channel_id=nudge.channel_id,
                    poll_id=nudge.poll_id,
                    nudge_id=nudge.nudge_id,
                    imperative=nudge.imperative,
                    metric=nudge.metric,
                    value=nudge.value,
                    created_at=nudge.created_at,
                )
            )

    async def nudges_since(self, *, channel_id: int, since: datetime) -> list[NudgeRecord]:
        return (await self.nudges_since_many(channel_ids=[channel_id], since=since))[channel_id]

    async def nudges_since_many(
        self, *, channel_ids: Sequence[int], since: datetime
    ) -> dict[int, list[NudgeRecord]]:
        found: dict[int, list[NudgeRecord]] = {c: [] for c in channel_ids}
        async with self._tx() as conn:
            for chunk in chunks(list(channel_ids)):
                rows = await conn.execute(
                    select(NUDGE)
                    .where(NUDGE.c.channel_id.in_(chunk), NUDGE.c.created_at >= since)
                    .order_by(NUDGE.c.created_at, NUDGE.c.id)
                )
                for r in rows:
                    found[r.channel_id].append(
                        NudgeRecord(
                            r.channel_id,
                            r.poll_id,
                            r.nudge_id,
                            r.imperative,
                            r.metric,
                            r.value,
                            r.created_at,
                        )
                    )
        return found
