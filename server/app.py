"""Composition root: settings → engine → repository → core → platform adapters → web server.

Everything is built here and passed down; no module keeps a global engine, app or settings.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.steps import StepRunner
from bot.context import Deps, SystemClock
from bot.core import Core
from bot.errors import ConfigError
from bot.ports import Clock, Messenger
from bot.privacy import RespondentHasher
from bot.questions import QuestionSets
from handlers import teams
from handlers.slack.app import SlackMode, build_slack, slack_mode
from server.heap import settle_after_startup
from server.scheduler import Scheduler
from server.settings import Settings, TeamsMode
from server.telemetry import PrometheusTelemetry
from storage.engine import create_engine, display_url
from storage.repository import SqlRepository
from storage.startup import migrate_at_start

log = logging.getLogger(__name__)
#: Largest request body accepted (Slack payloads are far smaller; this bounds hostile input).
MAX_BODY = 1_500_000


@dataclass
class Application:
    """A running BridgePulse: the pieces tests and the CLI need to reach."""

    settings: Settings
    repo: SqlRepository
    core: Core
    telemetry: PrometheusTelemetry
    web: web.Application
    messengers: dict[str, Messenger] = field(default_factory=dict)
    #: None when this replica runs without one (BRIDGEPULSE_SCHEDULER=off).
    scheduler: Scheduler | None = None
    #: Run at close, after pending poll refreshes and before the engine goes (adapter sessions).
    on_close: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def close(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        await self.core.polls.drain()
        for close in self.on_close:
            await close()
        await self.repo.engine.dispose()


async def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    refresh_delay: float = 1.0,
    engine: AsyncEngine | None = None,
) -> Application:
    """Build every part of the server from validated settings (the schema must be migrated).

    `engine` replaces the one DATABASE_URL would give (tests on an isolated PostgreSQL schema).
    """
    engine = engine or create_engine(settings.database_url)
    repo = SqlRepository(engine)
    telemetry = PrometheusTelemetry()
    messengers: dict[str, Messenger] = {}
    deps = Deps(
        repo=repo,
        hasher=RespondentHasher(settings.hashing_secret),
        question_sets=QuestionSets.load(settings.question_sets),
        k=settings.min_responses,
        messengers=messengers,
        clock=clock or SystemClock(),
        telemetry=telemetry,
        refresh_delay=refresh_delay,
        admins=settings.admins,
    )
    core = Core(deps)
    scheduler = None
    if settings.scheduler == "on":
        scheduler = Scheduler(StepRunner(deps, core.polls, core.digests), clock=deps.clock)
        deps.schedule_listener = scheduler  # setup, pause and resume take effect at once
    app = web.Application(client_max_size=MAX_BODY)
    application = Application(
        settings=settings,
        repo=repo,
        core=core,
        telemetry=telemetry,
        web=app,
        messengers=messengers,
        scheduler=scheduler,
    )
    if settings.teams is not TeamsMode.OFF:  # off: /api/messages is not mounted (404)
        messengers["teams"] = teams.register(
            app, core=core, store=repo, settings=settings, clock=deps.clock, telemetry=telemetry
        )
    app.router.add_get("/healthz", _healthz(application))
    app.router.add_get("/metrics", _metrics(application))
    if slack_mode(settings) is not SlackMode.OFF:
        slack = await build_slack(settings, core=core, engine=engine)
        slack.mount(app)
        messengers["slack"] = slack.messenger
        application.on_close.append(slack.close)
    return application


def _healthz(application: Application) -> Handler:
    async def handler(_request: web.Request) -> web.Response:
        try:
            async with application.repo.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # any failure means "not healthy"; the reason goes to the log
            log.warning("health check: database unreachable", exc_info=True)
            return web.json_response({"status": "degraded", "database": "unreachable"}, status=503)
        return web.json_response({"status": "ok", "database": "ok"})

    return handler


def _metrics(application: Application) -> Handler:
    async def handler(_request: web.Request) -> web.Response:
        return web.Response(
            body=application.telemetry.exposition(), content_type="text/plain", charset="utf-8"
        )

    return handler


async def serve(settings: Settings) -> None:
    """Migrate, build and run the HTTP server until SIGINT/SIGTERM.

    Every failure to start (database, address in use) is a ConfigError of one line."""
    await migrate_at_start(settings.database_url)
    application = await build_application(settings)
    # Everything built so far lives as long as the process: move it out of the collector's
    # sight, so a full collection under load walks only what requests allocate (a full walk
    # of the libraries' objects paused every request in flight, tens of milliseconds).
    settle_after_startup()
    runner = web.AppRunner(application.web, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
    except OSError as exc:
        await runner.cleanup()
        await application.close()
        raise ConfigError(
            f"HOST/PORT: cannot listen on {settings.host}:{settings.port} "
            f"({os.strerror(exc.errno).lower() if exc.errno else exc}); "
            "choose another PORT or stop what uses it"
        ) from None
    if application.scheduler is not None:
        application.scheduler.start()
    log.info("%s", startup_summary(settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await runner.cleanup()
        await application.close()


_SLACK = {
    SlackMode.OFF: "off (no SLACK_* settings)",
    SlackMode.SINGLE: "one workspace over HTTP",
    SlackMode.OAUTH: "OAuth install over HTTP",
    SlackMode.SOCKET: "Socket Mode",
}


def startup_summary(settings: Settings) -> str:
    """The one line `serve` logs once it listens: what runs, where, on which database."""
    return (
        f"BridgePulse listening on {settings.host}:{settings.port}"
        f" | Slack: {_SLACK[slack_mode(settings)]}"
        f" | Teams: {settings.teams.value} ({settings.teams_reason})"
        f" | scheduler: {settings.scheduler}"
        f" | database: {display_url(settings.database_url)}"
    )
