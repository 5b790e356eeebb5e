"""Exactly-once steps: hold a unique (scope, step, period) claim with a lease while doing one.

The first worker to insert the claim row does the step; everyone else leaves it alone while
the holder's lease is fresh. A holder that dies mid-step stops renewing, so after `LEASE`
another worker takes the claim over and resumes the step: the step itself skips what its
deliveries show was already sent. A step that fails with an error gives its claim back, so the
next attempt retries at once.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.ports import ClaimStore, Clock

#: How long a silent holder keeps its claim; steps renew it while they work.
LEASE = timedelta(minutes=10)


def replica_id() -> str:
    """Who holds a claim: host, process and a random part (pids repeat across restarts)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class StepKey:
    scope: str
    step: str
    period: str


class Outcome(StrEnum):
    HELD = "held"  # this worker holds the claim and must do the step
    DONE = "done"  # someone completed the step
    BUSY = "busy"  # someone else holds a fresh claim


class Claim:
    """A held claim: renew it during long steps; the context manager completes or releases it."""

    def __init__(self, claims: Claims, key: StepKey) -> None:
        self.key = key
        self._claims = claims
        self._renewed = claims.clock.now()

    async def renew(self) -> None:
        """Extend the lease when a quarter of it has passed; raise LostClaim if taken over."""
        now = self._claims.clock.now()
        if now - self._renewed < LEASE / 4:
            return
        k = self.key
        if not await self._claims.store.renew(
            scope=k.scope, step=k.step, period=k.period, by=self._claims.owner, at=now
        ):
            raise LostClaim(f"{k} was taken over")
        self._renewed = now

    async def delivered(self) -> set[str]:
        k = self.key
        return await self._claims.store.deliveries(scope=k.scope, step=k.step, period=k.period)

    async def reserve(self, recipient: str) -> bool:
        """Record a delivery before sending it: False if it was recorded already."""
        k = self.key
        return await self._claims.store.record_delivery(
            scope=k.scope,
            step=k.step,
            period=k.period,
            recipient=recipient,
            at=self._claims.clock.now(),
        )

    async def unreserve(self, recipient: str) -> None:
        k = self.key
        await self._claims.store.forget_delivery(
            scope=k.scope, step=k.step, period=k.period, recipient=recipient
        )


class LostClaim(Exception):
    """Another worker took the claim over (this one was silent longer than the lease)."""


class Claims:
    def __init__(self, store: ClaimStore, clock: Clock, *, owner: str | None = None) -> None:
        self.store = store
        self.clock = clock
        self.owner = owner or replica_id()

    async def acquire(self, key: StepKey) -> Outcome:
        now, store = self.clock.now(), self.store
        scope, step, period = key.scope, key.step, key.period
        if await store.claim(scope=scope, step=step, period=period, by=self.owner, at=now):
            return Outcome.HELD
        if await store.is_complete(scope=scope, step=step, period=period):
            return Outcome.DONE
        if await store.take_over(
            scope=scope, step=step, period=period, by=self.owner, at=now, stale_before=now - LEASE
        ):
            return Outcome.HELD
        return Outcome.BUSY

    @asynccontextmanager
    async def hold(self, key: StepKey) -> AsyncIterator[tuple[Outcome, Claim | None]]:
        """Claim the step; on a clean exit mark it complete, on an error give it back."""
        outcome = await self.acquire(key)
        if outcome is not Outcome.HELD:
            yield outcome, None
            return
        scope, step, period = key.scope, key.step, key.period
        try:
            yield outcome, Claim(self, key)
        except Exception:
            await self.store.release(scope=scope, step=step, period=period, by=self.owner)
            raise
        await self.store.complete(scope=scope, step=step, period=period, at=self.clock.now())


#: Step names, one claim per (scope, step, period).
OPEN, REMIND, CLOSE, DIGEST = "open", "remind", "close", "digest"


def channel_step(channel_id: int, step: str, period: str) -> StepKey:
    """A channel's step in one period (a scheduled poll's local opening date, or a manual
    poll's own period)."""
    return StepKey(f"channel:{channel_id}", step, period)
