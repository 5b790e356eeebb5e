"""Answers: votes go through the batching `VoteWriter`; reads per poll or many polls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain import AnswerRecord, ClickOrigin
from bot.ports import RecordedVote
from bot.score.scoring import Participation
from storage.base import ANSWER, CHANNEL, DELIVERY, POLL, SIDE, WORKSPACE, RepositoryBase, chunks
from storage.votes import SIDES, Click, Tables, VoteWriter


class SqlAnswers(RepositoryBase):
    """`AnswerStore` over SQL (votes through `storage.votes`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self._votes = VoteWriter(
            self._run_in_thread if self._twin is not None else self._run_in_loop,
            tables=Tables(WORKSPACE, CHANNEL, POLL, SIDE, ANSWER, DELIVERY),
            upsert=self._upsert,
            postgres=self._pg,
        )

    async def record_vote(
        self,
        *,
        poll_id: int,
        respondent: str,
        question_id: str,
        value: str,
        at: datetime,
        origin: ClickOrigin,
        clicked_at: datetime,
    ) -> RecordedVote:
        click = Click(poll_id, respondent, question_id, value, at, origin, clicked_at)
        return await self._votes.record(click)

    async def answers(self, *, poll_id: int) -> list[AnswerRecord]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(
                        ANSWER.c.respondent, ANSWER.c.side, ANSWER.c.question_id, ANSWER.c.value
                    ).where(ANSWER.c.poll_id == poll_id)
                )
            ).all()
        return [_answer(r) for r in rows]

    async def answers_of_polls(self, *, poll_ids: Sequence[int]) -> dict[int, list[AnswerRecord]]:
        found: dict[int, list[AnswerRecord]] = {p: [] for p in poll_ids}
        async with self._tx() as conn:
            for chunk in chunks(list(poll_ids)):
                rows = (
                    await conn.execute(
                        select(
                            ANSWER.c.poll_id,
                            ANSWER.c.respondent,
                            ANSWER.c.side,
                            ANSWER.c.question_id,
                            ANSWER.c.value,
                        ).where(ANSWER.c.poll_id.in_(chunk))
                    )
                ).all()
                for r in rows:
                    found[r.poll_id].append(_answer(r))
        return found

    async def participation(self, *, poll_id: int) -> Participation:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(ANSWER.c.side, func.count(func.distinct(ANSWER.c.respondent)))
                    .where(ANSWER.c.poll_id == poll_id)
                    .group_by(ANSWER.c.side)
                )
            ).all()
        counts = {side: int(n) for side, n in rows}
        return Participation(
            marketing=counts.get("marketing", 0),
            it=counts.get("it", 0),
            other=counts.get("other", 0),
            pending=counts.get(None, 0),
        )

    async def respondents(self, *, poll_id: int) -> set[str]:
        async with self._tx() as conn:
            rows = (
                (
                    await conn.execute(
                        select(ANSWER.c.respondent).distinct().where(ANSWER.c.poll_id == poll_id)
                    )
                )
                .scalars()
                .all()
            )
        return set(rows)


def _answer(row: Any) -> AnswerRecord:
    return AnswerRecord(row.respondent, SIDES[row.side], row.question_id, row.value)
