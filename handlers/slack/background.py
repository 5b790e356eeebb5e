"""Work that goes on after Slack has its acknowledgement, owned here rather than left to Bolt.

Listeners ack first and hand the rest (core call, reply) to `Background`, which holds each task
in the core's `TaskSet` (asyncio keeps only weak references), logs and counts its failures, and
lets shutdown and tests wait until everything acknowledged has been answered.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

from bot.ports import Telemetry
from bot.tasks import TaskSet

log = logging.getLogger(__name__)


class Background:
    def __init__(self, telemetry: Telemetry) -> None:
        self._telemetry = telemetry
        self._tasks = TaskSet()

    def spawn(self, work: Coroutine[Any, Any, None], *, what: str) -> None:
        self._tasks.start(self._run(work, what))

    async def _run(self, work: Coroutine[Any, Any, None], what: str) -> None:
        try:
            await work
        except Exception:  # the person got an ack; the failure goes to the log and metrics
            log.exception("Slack %s failed after its acknowledgement", what)
            self._telemetry.count("errors", kind="slack_listener")

    async def drain(self) -> None:
        """Wait until every spawned task (and any they spawn) has finished."""
        await self._tasks.drain()
