"""Exactly-once steps: hold a unique (scope, step, period) claim with a lease while doing one.

The first worker to insert the claim row does the step; everyone else leaves it alone while
the holder's lease is fresh. A holder that dies mid-step stops renewing, so after `LEASE`
another worker takes the claim over and resumes the step (at once, when the holder was a
process on the same machine that is known to be gone: a restart after a crash): the step itself skips what its
deliveries show was already sent. A step that fails with an error gives its claim back, so the
next attempt retries at once.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.errors import RecipientUnreachable
from bot.ports import ClaimStore, Clock

#: How long a silent holder keeps its claim; steps renew it while they work.
LEASE = timedelta(minutes=10)


def replica_id() -> str:
    """Who holds a claim (a scheduled step's, or a Slack event's): host, process (pid, pid
    namespace, start time) and a random part. The one place a replica's name is made: anything
    that claims on this process's behalf takes its name from here, so `holder_is_gone` can read it."""
    pid = os.getpid()
    return f"{_host()}:{pid}:{_pid_namespace()}:{_started(pid)}:{uuid.uuid4().hex[:8]}"


def holder_is_gone(holder: str) -> bool:
    """Whether a claim's holder is a process on this machine that no longer runs (killed, say,
    and this is its restart). Anything that cannot be told for sure counts as alive: holders
    on other hosts or in other pid namespaces wait for their lease to run out."""
    parts, namespace = holder.rsplit(":", 4), _pid_namespace()
    if len(parts) != 5 or not namespace or (parts[0], parts[2]) != (_host(), namespace):
        return False
    if not parts[1].isdigit() or not parts[3]:
        return False
    return _started(int(parts[1])) != parts[3]  # gone, or its pid now names another process


def _host() -> str:
    return socket.gethostname()[:60]


def _pid_namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return ""


def _started(pid: int) -> str:
    """The process's start time (clock ticks since boot), "" if there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


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

    async def deliver_each(
        self,
        recipients: Iterable[str],
        send: Callable[[str], Awaitable[None]],
        *,
        unreachable: Callable[[], None],
    ) -> int:
        """Send to each recipient not recorded yet, recording it first so nobody gets two; a
        send that fails is un-recorded and the error raised (the step is retried), while an
        unreachable recipient stays recorded (a blocked bot is not retried forever) and is
        reported to `unreachable`. Renews the lease after each send; returns how many went."""
        sent = 0
        for recipient in recipients:
            if not await self.reserve(recipient):
                continue
            try:
                await send(recipient)
            except RecipientUnreachable:
                unreachable()
                continue
            except Exception:
                await self.unreserve(recipient)
                raise
            sent += 1
            await self.renew()
        return sent


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
        holder = await store.holder(scope=scope, step=step, period=period)
        if holder is not None and holder_is_gone(holder):
            # Our own predecessor, killed mid-step: resume now rather than after the lease.
            if await store.take_over(
                scope=scope,
                step=step,
                period=period,
                by=self.owner,
                at=now,
                stale_before=now - LEASE,
                held_by=holder,
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
#: Step of the claims that keep a platform's redelivered event to one effect.
EVENT = "event"
#: Platforms redeliver an event within the hour (Slack: after 1 and 5 minutes); older event
#: claims only take space, and the scheduler deletes them.
EVENT_CLAIM_RETENTION = timedelta(days=2)


def channel_step(channel_id: int, step: str, period: str) -> StepKey:
    """A channel's step in one period (a scheduled poll's local opening date, or a manual
    poll's own period)."""
    return StepKey(f"channel:{channel_id}", step, period)
