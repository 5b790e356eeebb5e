"""The real server in its own process, for the crash tests (`kill -9` needs a process):

    python -m tests.faults.server_process DATABASE_URL SCHEMA|- PORT

What `bridgepulse serve` runs (build_application, the aiohttp server, the scheduler), on a
database URL plus an optional PostgreSQL schema (the tests' isolated schemas), with settings
from the environment. It prints "ready" once it listens."""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

from server.app import build_application
from server.settings import load_settings
from storage.engine import create_engine


async def run(url: str, schema: str | None, port: int) -> None:
    settings = load_settings(DATABASE_URL=url)
    application = await build_application(settings, engine=create_engine(url, schema=schema))
    runner = web.AppRunner(application.web, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    assert application.scheduler is not None
    application.scheduler.start()
    print("ready", flush=True)
    await asyncio.Event().wait()  # until killed


def main() -> None:
    url, schema, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    asyncio.run(run(url, None if schema == "-" else schema, port))


if __name__ == "__main__":
    main()
