"""`bridgepulse demo`: the offline demo, interactive (the `/_sim` page) or headless (a transcript
and the charts), on a fresh database, with no credentials and no network."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import ConfigError, StoreUnavailable
from demo import page
from demo.personas import TEAM
from demo.timeline import SETUP_BEFORE, Simulation
from demo.transcript import transcript, write_charts
from demo.world import DemoClock, running_world
from server.settings import Settings
from storage.engine import create_engine
from storage.migrate import migrate
from storage.repository import SqlRepository

log = logging.getLogger(__name__)
#: The simulated person the page starts as (a marketer whose answers are left to you).
YOU = "maya"


def first_monday(weeks_before: int, *, today: datetime | None = None) -> datetime:
    """Monday 09:00 UTC, `weeks_before` weeks before the current week's Monday."""
    now = today or datetime.now(UTC)
    monday = (now - timedelta(days=now.weekday())).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    return monday - timedelta(weeks=weeks_before)


async def prepare_database(settings: Settings) -> None:
    """Migrate the demo's database, which must hold no BridgePulse channels yet (the demo's
    calendar would collide with theirs)."""
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        if await SqlRepository(engine).scheduled_channels():
            raise ConfigError(
                "DATABASE_URL: the demo needs an empty database, and this one already has "
                "BridgePulse channels (unset DATABASE_URL to use a fresh SQLite file)"
            )
    except StoreUnavailable as exc:
        raise ConfigError(f"DATABASE_URL: cannot reach the database ({exc})") from None
    finally:
        await engine.dispose()


def _quiet() -> None:
    # The demo's Teams endpoint is local and unauthenticated by design; no need to warn about it.
    logging.getLogger("handlers.teams").setLevel(logging.ERROR)


async def headless(
    settings: Settings,
    *,
    weeks: int,
    out: Path,
    seed: int,
    stream: TextIO | None = None,
    engine: AsyncEngine | None = None,
) -> int:
    """Play `weeks` weeks as fast as the server answers; print the transcript, write the charts."""
    _quiet()
    started = time.perf_counter()
    monday = first_monday(weeks - 1)
    clock = DemoClock(monday - SETUP_BEFORE)
    async with running_world(settings, clock=clock, engine=engine) as world:
        simulation = Simulation(world, first_monday=monday, seed=seed)
        await simulation.setup()
        for _ in range(weeks):
            await simulation.play_week()
        charts = write_charts(world, simulation.journal, out)
        seconds = time.perf_counter() - started
        (stream or sys.stdout).write(transcript(simulation, charts=charts, seconds=seconds))
    return 0


async def interactive(settings: Settings, *, history: int, seed: int, stream: TextIO) -> None:
    """Serve the `/_sim` page until SIGINT/SIGTERM, after playing `history` weeks."""
    _quiet()
    monday = first_monday(history)
    clock = DemoClock(monday - SETUP_BEFORE)
    state = page.PageState(first_monday=monday, seed=seed, you=YOU)
    async with running_world(
        settings, clock=clock, host=settings.host, port=settings.port, mount=state.mount
    ):
        simulation = state.simulation
        assert simulation is not None
        shown = "localhost" if settings.host in ("0.0.0.0", "127.0.0.1", "::") else settings.host
        stream.write(
            f"\nBridgePulse demo: open http://{shown}:{settings.port}/_sim\n"
            f"  {len(TEAM)} simulated people in Slack and Teams; nothing leaves this machine.\n"
            f"  Database: {settings.database_url}\n  Ctrl+C stops it.\n\n"
        )
        stream.flush()
        warm_up = asyncio.create_task(_warm_up(simulation, history, you=state.you))
        try:
            await _until_stopped()
        finally:
            warm_up.cancel()
            with suppress(asyncio.CancelledError):
                await warm_up
    log.info("demo stopped")


async def _warm_up(simulation: Simulation, history: int, *, you: str) -> None:
    """Set up the channels, play the history, and open this week's poll (the page shows it);
    from this week on, your person's answers are yours to give."""
    try:
        await simulation.setup()
        for _ in range(history):
            await simulation.play_week()
        simulation.human = {you}
        await simulation.next_week()
    except Exception:  # the page says so; the terminal has the details
        log.exception("the demo could not warm up")
        simulation.problem = "The demo could not start its simulated team: see the terminal."
        return
    simulation.ready = True


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
