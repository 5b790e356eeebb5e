"""Digest subscriptions, one row per person."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from bot.domain import PersonRef
from storage.base import SUBSCRIPTION, RepositoryBase


class SqlSubscriptions(RepositoryBase):
    """`SubscriptionStore` over SQL."""

    async def subscribe(self, *, person: PersonRef, at: datetime) -> bool:
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                self._upsert(SUBSCRIPTION)
                .values(
                    platform=person.platform,
                    workspace_id=person.workspace_id,
                    user_id=person.user_id,
                    created_at=at,
                )
                .on_conflict_do_nothing(index_elements=["platform", "workspace_id", "user_id"])
            )
        return bool(result.rowcount)

    async def unsubscribe(self, *, person: PersonRef) -> bool:
        async with self._tx(write=True) as conn:
            result = await conn.execute(delete(SUBSCRIPTION).where(*_person_key(person)))
        return bool(result.rowcount)

    async def is_subscribed(self, *, person: PersonRef) -> bool:
        async with self._tx() as conn:
            row = (
                await conn.execute(select(SUBSCRIPTION.c.id).where(*_person_key(person)))
            ).first()
        return row is not None

    async def subscribers(self) -> list[PersonRef]:
        async with self._tx() as conn:
            rows = (await conn.execute(select(SUBSCRIPTION).order_by(SUBSCRIPTION.c.id))).all()
        return [PersonRef(r.platform, r.workspace_id, r.user_id) for r in rows]


def _person_key(person: PersonRef) -> tuple[Any, ...]:
    return (
        SUBSCRIPTION.c.platform == person.platform,
        SUBSCRIPTION.c.workspace_id == person.workspace_id,
        SUBSCRIPTION.c.user_id == person.user_id,
    )
