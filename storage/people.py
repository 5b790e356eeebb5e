"""People: the side each person chose, and forgetting a person entirely."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select, update

from bot.domain import Side
from bot.ports import ForgetReport
from storage.base import ANSWER, DELIVERY, POLL, SIDE, RepositoryBase
from storage.disclosures import forget_fingerprints


class SqlPeople(RepositoryBase):
    """`SideStore` over SQL."""

    async def side_of(self, *, respondent: str) -> Side | None:
        async with self._tx() as conn:
            value = (
                await conn.execute(select(SIDE.c.side).where(SIDE.c.respondent == respondent))
            ).scalar_one_or_none()
        return Side(value) if value else None

    async def set_side(self, *, respondent: str, side: Side, at: datetime) -> int:
        open_polls = select(POLL.c.id).where(POLL.c.closed_at.is_(None))
        async with self._tx(write=True) as conn:
            await conn.execute(
                self._upsert(SIDE)
                .values(
                    respondent=respondent,
                    side=side.value,
                    updated_at=at,
                )
                .on_conflict_do_update(
                    index_elements=["respondent"], set_={"side": side.value, "updated_at": at}
                )
            )
            waiting = await conn.execute(
                update(ANSWER)
                .where(
                    ANSWER.c.respondent == respondent,
                    ANSWER.c.side.is_(None),
                    ANSWER.c.poll_id.in_(open_polls),
                )
                .values(side=side.value, updated_at=at)
            )
            await conn.execute(
                update(ANSWER)
                .where(
                    ANSWER.c.respondent == respondent,
                    ANSWER.c.side != side.value,
                    ANSWER.c.poll_id.in_(open_polls),
                )
                .values(side=side.value, updated_at=at)
            )
        return int(waiting.rowcount or 0)

    async def with_side(self, *, respondents: Iterable[str]) -> set[str]:
        wanted = list(set(respondents))
        found: set[str] = set()
        async with self._tx() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                found.update(
                    (
                        await conn.execute(
                            select(SIDE.c.respondent).where(SIDE.c.respondent.in_(chunk))
                        )
                    )
                    .scalars()
                    .all()
                )
        return found

    async def forget(self, *, respondent: str) -> ForgetReport:
        async with self._tx(write=True) as conn:
            await forget_fingerprints(conn, respondent=respondent)
            answers = await conn.execute(delete(ANSWER).where(ANSWER.c.respondent == respondent))
            side = await conn.execute(delete(SIDE).where(SIDE.c.respondent == respondent))
            await conn.execute(delete(DELIVERY).where(DELIVERY.c.recipient == respondent))
        return ForgetReport(answers=int(answers.rowcount or 0), had_side=bool(side.rowcount))
