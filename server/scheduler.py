"""The scheduler decides *when* to try: one APScheduler job, re-aimed after each run at the next
moment the database says a step falls due (the database, through `bot.channels.steps`, decides *whether*).

One job rather than one per channel and step keeps memory flat with thousands of channels, and
means nothing is lost when the job store is not shared between replicas: every replica may
run a scheduler, and the step claims keep each step to one of them.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.channels.steps import MISFIRE_GRACE, StepRunner
from bot.domain import Channel
from bot.errors import StoreUnavailable
from bot.ports import Clock

log = logging.getLogger(__name__)

WAKE = "bridgepulse-wake"
#: Wake at least this often: other replicas' `/pulse setup` and closes show up within it.
MAX_SLEEP = 60.0
#: While a step is overdue (held by another replica, or failing), look again this often.
RETRY_SLEEP = 15.0
#: Never re-aim closer than this: the job must finish before its next run can start.
MIN_SLEEP = 0.2
#: How long `stop()` waits for a run in progress, so no send is cut off half-way.
STOP_TIMEOUT = 60.0


class Scheduler:
    """Implements the core's `ScheduleListener`: a setup, pause or resume wakes it at once."""

    def __init__(self, runner: StepRunner, *, clock: Clock, max_sleep: float = MAX_SLEEP) -> None:
        self._runner = runner
        self._clock = clock
        self.max_sleep = max_sleep
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._lock = asyncio.Lock()
        self._dirty = False

    @property
    def running(self) -> bool:
        return bool(self._aps.running)

    def start(self) -> None:
        """Start in the running event loop; the first run happens at once (missed steps)."""
        self._aps.add_job(
            self._wake,
            "interval",
            seconds=self.max_sleep,
            id=WAKE,
            next_run_time=datetime.now(UTC),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(MISFIRE_GRACE.total_seconds()),
        )
        self._aps.start()
        # APScheduler logs every run at INFO; its warnings (misfires, overlaps) still show.
        logging.getLogger("apscheduler").setLevel(max(logging.WARNING, log.getEffectiveLevel()))
        log.info("scheduler %s started", self._runner.owner)

    def schedule_changed(self, channel: Channel) -> None:
        self._dirty = True
        if self.running and not self._lock.locked():  # a run in progress re-aims when done
            self._aim(0.0)

    async def tick(self) -> float:
        """Run every due step; returns the seconds to sleep before the next run."""
        async with self._lock:
            self._dirty = False
            judged = await self._runner.run_due()
            plan = await self._runner.plan(after=judged)
            delay = self.max_sleep
            if plan.next_at is not None:
                delay = min(delay, (plan.next_at - self._clock.now()).total_seconds())
            if plan.overdue:
                delay = min(delay, RETRY_SLEEP)
            if self._dirty:
                delay = 0.0
            return max(delay, MIN_SLEEP)

    async def _wake(self) -> None:
        try:
            delay = await self.tick()
        except StoreUnavailable as exc:
            log.warning("scheduler: database unavailable (%s); retrying", exc)
            delay = RETRY_SLEEP
        except Exception:  # the scheduler must outlive any one failure
            log.exception("scheduler run failed; retrying")
            delay = RETRY_SLEEP
        if self.running:
            self._aim(delay)

    def _aim(self, seconds: float) -> None:
        when = datetime.now(UTC) + timedelta(seconds=max(seconds, MIN_SLEEP))
        self._aps.modify_job(WAKE, next_run_time=when)

    async def stop(self) -> None:
        """Stop waking; wait for a run in progress so that no send is cut off half-way."""
        if not self.running:
            return
        self._aps.pause()
        try:
            await asyncio.wait_for(self._lock.acquire(), STOP_TIMEOUT)
        except TimeoutError:
            log.warning("scheduler: a run is still going after %ss; stopping anyway", STOP_TIMEOUT)
        else:
            self._lock.release()
        self._aps.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
