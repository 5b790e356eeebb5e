"""Coalesce repeated requests to redo the same work (re-rendering a poll's answer count).

A burst of clicks on one poll turns into one message update per `delay` seconds, which keeps
the bot inside the platforms' rate limits for message updates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable

from bot.tasks import TaskSet

log = logging.getLogger(__name__)


class Coalescer:
    def __init__(self, delay: float) -> None:
        self._delay = delay
        self._waiting: set[Hashable] = set()
        self._tasks = TaskSet()

    def request(self, key: Hashable, job: Callable[[], Awaitable[None]]) -> None:
        """Run `job` after the delay unless a run for `key` is already waiting (it will see
        the newest state, since jobs read state when they run)."""
        if key in self._waiting:
            return
        self._waiting.add(key)
        self._tasks.start(self._run(key, job))

    async def _run(self, key: Hashable, job: Callable[[], Awaitable[None]]) -> None:
        try:
            await asyncio.sleep(self._delay)
        finally:
            self._waiting.discard(key)
        try:
            await job()
        except Exception:  # a failed refresh must never break voting
            log.exception("coalesced job %r failed", key)

    async def drain(self) -> None:
        """Wait for every waiting or running job (tests, shutdown)."""
        await self._tasks.drain()
