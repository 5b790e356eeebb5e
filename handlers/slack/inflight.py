"""Count listener work still running after its ack, so shutdown and tests can wait for it."""

from __future__ import annotations

import asyncio
from types import TracebackType


class InFlight:
    """`async with inflight:` around work that continues after Slack got its acknowledgement."""

    def __init__(self) -> None:
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __aenter__(self) -> None:
        self._running += 1
        self._idle.clear()

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self._running -= 1
        if self._running == 0:
            self._idle.set()

    async def wait(self) -> None:
        """Wait until nothing runs."""
        await self._idle.wait()
