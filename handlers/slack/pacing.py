"""Pace each workspace's Web API calls once Slack has said "too many" (HTTP 429).

Slack limits a workspace's calls per minute and answers 429 with `Retry-After` when pushed.
Each caller backing off on its own wastes the window: every busy worker discovers the limit
separately, they all sleep, and they all burst again together. Instead, the first 429 pauses
the whole workspace for `Retry-After` and sets a pace from what Slack accepted in the second
before it; calls are then spaced at that pace (slowed a little on any further 429, sped up a
little after a quiet spell), so a Monday 09:00 fan-out runs close to the limit without
bouncing off it. Workspaces that never see a 429 are never slowed.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

#: How far back accepted calls count towards the pace learned at a 429.
WINDOW = 1.0
#: Pace this much below the rate Slack accepted: request timing jitters, and a call that
#: lands early in Slack's window costs a whole `Retry-After`.
MARGIN = 1.1
#: Slow down by this factor on each further 429; after `QUIET` seconds without one, speed up
#: by `FASTER`, so a pace set in a busy moment does not stay too slow for ever.
SLOWER, FASTER = 1.05, 1.02
QUIET = 10.0
#: A pace is learned only from at least this many accepted calls (a 429 on a quiet workspace,
#: e.g. Slack's per-channel limit, says nothing about the workspace's rate) and forgotten after
#: `FORGET` seconds without a 429.
LEARN_FROM = 3
FORGET = 60.0


@dataclass
class _Workspace:
    accepted: deque[float] = field(default_factory=deque)
    interval: float | None = None  # None: not paced (no 429 seen)
    next_slot: float = 0.0
    paused_until: float = 0.0
    last_change: float = 0.0  # the pace was last set, slowed or sped up
    last_refusal: float = 0.0


class Pacer:
    """Per-workspace pacing, keyed by the workspace's bot token."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._workspaces: dict[str, _Workspace] = {}

    async def turn(self, key: str) -> None:
        """Wait for this workspace's next free slot (at once when it is not paced)."""
        ws = self._workspaces.get(key)
        if ws is None:
            return
        now = self._clock()
        slot = max(now, ws.paused_until)
        if ws.interval is not None and now - ws.last_refusal > FORGET:
            ws.interval = None  # long quiet: unpaced again until the next 429
        if ws.interval is not None:
            if now - ws.last_change > QUIET:  # a quiet spell: try a little faster
                ws.interval /= FASTER
                ws.last_change = now
            slot = max(slot, ws.next_slot)
            ws.next_slot = slot + ws.interval
        if slot > now:
            await self._sleep(slot - now)

    def accepted(self, key: str) -> None:
        ws = self._workspaces.setdefault(key, _Workspace())
        now = self._clock()
        ws.accepted.append(now)
        while ws.accepted and now - ws.accepted[0] > WINDOW:
            ws.accepted.popleft()

    def refused(self, key: str, retry_after: float) -> None:
        """Slack answered 429: pause the workspace and (re)set its pace."""
        ws = self._workspaces.setdefault(key, _Workspace())
        now = self._clock()
        recent = sum(1 for t in ws.accepted if now - t <= WINDOW)
        if ws.interval is None:
            if recent >= LEARN_FROM:
                ws.interval = MARGIN * WINDOW / recent
        elif now - ws.last_change > ws.interval:  # one slow-down per burst of refusals
            ws.interval *= SLOWER
        ws.last_change = ws.last_refusal = now
        ws.paused_until = max(ws.paused_until, now + retry_after)
        ws.next_slot = max(ws.next_slot, ws.paused_until)


def token_of(request: HttpRequest) -> str:
    for name, values in request.headers.items():
        if name.lower() == "authorization" and values:
            return str(values[0]).removeprefix("Bearer ")
    token = (request.body_params or {}).get("token")
    return str(token or "")


class PacedRateLimitRetry(AsyncRetryHandler):
    """slack_sdk retry handler for 429: tells the pacer, then waits for the workspace's turn."""

    def __init__(self, pacer: Pacer, *, max_retry_count: int = 10) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._pacer = pacer

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code == 429

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        key = token_of(request)
        self._pacer.refused(key, _retry_after(response))
        await self._pacer.turn(key)
        state.next_attempt_requested = True
        state.increment_current_attempt()


def _retry_after(response: HttpResponse | None) -> float:
    headers: dict[str, Any] = dict(response.headers) if response is not None else {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                break
    return 1.0
