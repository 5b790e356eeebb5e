"""Step claims (one replica runs each step) and per-recipient deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update

from storage.base import CLAIM, DELIVERY, RepositoryBase


class SqlClaims(RepositoryBase):
    """`ClaimStore` over SQL."""

    async def claim(self, *, scope: str, step: str, period: str, by: str, at: datetime) -> bool:
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                self._upsert(CLAIM)
                .values(
                    scope=scope,
                    step=step,
                    period=period,
                    claimed_by=by,
                    claimed_at=at,
                )
                .on_conflict_do_nothing(index_elements=["scope", "step", "period"])
            )
        return bool(result.rowcount)

    async def complete(self, *, scope: str, step: str, period: str, at: datetime) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                update(CLAIM).where(*_claim_key(scope, step, period)).values(completed_at=at)
            )

    async def is_complete(self, *, scope: str, step: str, period: str) -> bool:
        async with self._tx() as conn:
            done = (
                await conn.execute(
                    select(CLAIM.c.completed_at).where(*_claim_key(scope, step, period))
                )
            ).scalar_one_or_none()
        return done is not None

    async def record_delivery(
        self, *, scope: str, step: str, period: str, recipient: str, at: datetime
    ) -> bool:
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                self._upsert(DELIVERY)
                .values(
                    scope=scope,
                    step=step,
                    period=period,
                    recipient=recipient,
                    delivered_at=at,
                )
                .on_conflict_do_nothing(index_elements=["scope", "step", "period", "recipient"])
            )
        return bool(result.rowcount)

    async def deliveries(self, *, scope: str, step: str, period: str) -> set[str]:
        async with self._tx() as conn:
            rows = (
                (
                    await conn.execute(
                        select(DELIVERY.c.recipient).where(
                            DELIVERY.c.scope == scope,
                            DELIVERY.c.step == step,
                            DELIVERY.c.period == period,
                        )
                    )
                )
                .scalars()
                .all()
            )
        return set(rows)

    async def take_over(
        self,
        *,
        scope: str,
        step: str,
        period: str,
        by: str,
        at: datetime,
        stale_before: datetime,
        held_by: str | None = None,
    ) -> bool:
        stale = CLAIM.c.claimed_at < stale_before
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                update(CLAIM)
                .where(
                    *_claim_key(scope, step, period),
                    CLAIM.c.completed_at.is_(None),
                    stale if held_by is None else or_(stale, CLAIM.c.claimed_by == held_by),
                )
                .values(claimed_by=by, claimed_at=at)
            )
        return bool(result.rowcount)

    async def holder(self, *, scope: str, step: str, period: str) -> str | None:
        async with self._tx() as conn:
            found = (
                await conn.execute(
                    select(CLAIM.c.claimed_by).where(
                        *_claim_key(scope, step, period), CLAIM.c.completed_at.is_(None)
                    )
                )
            ).scalar_one_or_none()
        return str(found) if found is not None else None

    async def renew(self, *, scope: str, step: str, period: str, by: str, at: datetime) -> bool:
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                update(CLAIM)
                .where(
                    *_claim_key(scope, step, period),
                    CLAIM.c.claimed_by == by,
                    CLAIM.c.completed_at.is_(None),
                )
                .values(claimed_at=at)
            )
        return bool(result.rowcount)

    async def release(self, *, scope: str, step: str, period: str, by: str) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                delete(CLAIM).where(
                    *_claim_key(scope, step, period),
                    CLAIM.c.claimed_by == by,
                    CLAIM.c.completed_at.is_(None),
                )
            )

    async def forget_delivery(self, *, scope: str, step: str, period: str, recipient: str) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                delete(DELIVERY).where(
                    DELIVERY.c.scope == scope,
                    DELIVERY.c.step == step,
                    DELIVERY.c.period == period,
                    DELIVERY.c.recipient == recipient,
                )
            )

    async def forget_claims(self, *, step: str, claimed_before: datetime) -> int:
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                delete(CLAIM).where(CLAIM.c.step == step, CLAIM.c.claimed_at < claimed_before)
            )
        return int(result.rowcount)


def _claim_key(scope: str, step: str, period: str) -> tuple[Any, ...]:
    return (CLAIM.c.scope == scope, CLAIM.c.step == step, CLAIM.c.period == period)
