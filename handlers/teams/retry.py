"""Retrying Bot Connector calls that Teams asks us to slow down on (429, 412, 502, 504)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")
#: Throttled (429), precondition failed on a concurrent update (412), gateway errors (502, 504).
RETRY_STATUSES = frozenset({412, 429, 502, 504})


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a failed connector call (msrest's HttpOperationError), if any."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def retry_after_of(exc: BaseException) -> float | None:
    """Seconds from a Retry-After header given as a number (HTTP dates are ignored)."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    try:
        value = float(headers.get("Retry-After", ""))
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter, never sooner than the server's Retry-After."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)
    on_retry: Callable[[int], None] = lambda status: None

    def delay(self, attempt: int, retry_after: float | None) -> float:
        backoff = self.rng.uniform(0, min(self.cap, self.base * 2**attempt))
        return min(self.cap, max(backoff, retry_after or 0.0))

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        for attempt in range(self.attempts):
            try:
                return await call()
            except Exception as exc:
                status = status_of(exc)
                if status not in RETRY_STATUSES or attempt == self.attempts - 1:
                    raise
                self.on_retry(status)
                await self.sleep(self.delay(attempt, retry_after_of(exc)))
        raise AssertionError("unreachable: the last attempt returns or raises")
