"""Fire-and-forget tasks held until they finish, and one drain that waits for them all.

asyncio keeps only weak references to tasks, so a task nobody holds can be collected
mid-flight; the poll-count refreshes and the Slack adapter's after-acknowledgement work both
keep theirs here, and shutdown and tests drain it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class TaskSet:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()  # strong references until done

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` as a task, held until it finishes."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every started task (and any they start meanwhile) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
