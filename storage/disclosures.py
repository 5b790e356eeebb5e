"""The differencing guard's memory of an open poll, compare-and-set by version."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from bot.score.disclosure_state import DisclosureState
from storage.base import ANSWER, DISCLOSURE, RepositoryBase, chunks


class SqlDisclosures(RepositoryBase):
    """`DisclosureStore` over SQL."""

    async def disclosure(self, *, poll_id: int) -> DisclosureState | None:
        async with self._tx() as conn:
            row = (
                await conn.execute(select(DISCLOSURE).where(DISCLOSURE.c.poll_id == poll_id))
            ).first()
        return DisclosureState.from_dict(row.state, version=row.version) if row else None

    async def disclosures(self, *, poll_ids: Sequence[int]) -> dict[int, DisclosureState]:
        found: dict[int, DisclosureState] = {}
        async with self._tx() as conn:
            for chunk in chunks(list(poll_ids)):
                rows = await conn.execute(select(DISCLOSURE).where(DISCLOSURE.c.poll_id.in_(chunk)))
                for row in rows:
                    found[row.poll_id] = DisclosureState.from_dict(row.state, version=row.version)
        return found

    async def save_disclosure(
        self, *, poll_id: int, state: DisclosureState, expected_version: int, at: datetime
    ) -> bool:
        saved = await self.save_disclosures(changes=[(poll_id, state, expected_version)], at=at)
        return poll_id in saved

    async def save_disclosures(
        self, *, changes: Sequence[tuple[int, DisclosureState, int]], at: datetime
    ) -> set[int]:
        saved: set[int] = set()
        async with self._tx(write=True) as conn:
            for poll_id, state, expected in changes:
                values = {"state": state.to_dict(), "version": expected + 1, "updated_at": at}
                statement: Any
                if expected == 0:
                    statement = (
                        self._upsert(DISCLOSURE)
                        .values(poll_id=poll_id, **values)
                        .on_conflict_do_nothing(index_elements=["poll_id"])
                    )
                else:
                    statement = (
                        update(DISCLOSURE)
                        .where(DISCLOSURE.c.poll_id == poll_id, DISCLOSURE.c.version == expected)
                        .values(**values)
                    )
                if (await conn.execute(statement)).rowcount:
                    saved.add(poll_id)
        return saved

    async def take_disclosure(self, *, poll_id: int) -> DisclosureState | None:
        async with self._tx(write=True) as conn:
            row = (
                await conn.execute(
                    delete(DISCLOSURE)
                    .where(DISCLOSURE.c.poll_id == poll_id)
                    .returning(DISCLOSURE.c.state, DISCLOSURE.c.version)
                )
            ).first()
        return DisclosureState.from_dict(row.state, version=row.version) if row else None


async def forget_fingerprints(conn: Any, *, respondent: str) -> None:
    """In the forget-me transaction: the guard's fingerprints of the person's answers to
    open polls go at once (docs/design.md, Privacy), not when those polls close. Only polls the
    person answered can hold them: fingerprints are taken from stored answers."""
    answered = select(ANSWER.c.poll_id).where(ANSWER.c.respondent == respondent).distinct()
    rows = (await conn.execute(select(DISCLOSURE).where(DISCLOSURE.c.poll_id.in_(answered)))).all()
    for row in rows:
        state = DisclosureState.from_dict(row.state, version=row.version)
        scrubbed = state.forgetting(poll_id=row.poll_id, respondent=respondent)
        if scrubbed is state:
            continue
        # the version moves on, so a replica's compare-and-set of the old state fails
        await conn.execute(
            update(DISCLOSURE)
            .where(DISCLOSURE.c.poll_id == row.poll_id)
            .values(state=scrubbed.to_dict(), version=row.version + 1)
        )
