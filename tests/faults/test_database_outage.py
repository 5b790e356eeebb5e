"""The database unavailable for a few seconds: clicks and commands get a clear "try again",
nothing is half-written, and the bot recovers on its own once the database is back.

The shared PostgreSQL server must stay up for everyone else, so the outage is a TCP proxy
between the bot and PostgreSQL that this test cuts (dropping every open connection and
refusing new ones) and restores.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.core import TRY_AGAIN
from demo.slack_api import FakeSlack
from handlers.slack.app import SLACK
from server.app import build_application
from storage.engine import create_engine
from storage.migrate import migrate
from tests.slack.conftest import slack_settings
from tests.support.db import database
from tests.support.slack import SlackWorkspace

OUTAGE_SECONDS = 3.0


class TcpProxy:
    """Forwards loopback connections to `target`; `cut()` drops them all and refuses new
    ones until `restore()`."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._up = True
        self._open: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def cut(self) -> None:
        self._up = False
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    def restore(self) -> None:
        self._up = True

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._up:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._open |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._open.discard(writer)
            writer.transport.abort()


@pytest.fixture
async def proxied(tmp_path: Path) -> AsyncIterator[tuple[str, str | None, TcpProxy]]:
    """A fresh PostgreSQL schema, and a proxy in front of the server holding it."""
    async with database("postgres", tmp_path) as (url, schema):
        parsed = make_url(url)
        proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
        await proxy.start()
        try:
            yield url, schema, proxy
        finally:
            await proxy.close()


async def count(url: str, schema: str | None, table: str) -> int:
    """Rows in `table`, read directly (not through the proxy)."""
    engine = create_engine(url, schema=schema)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
    finally:
        await engine.dispose()


async def health(http: aiohttp.ClientSession, base: str) -> int:
    async with http.get(f"{base}/healthz") as response:
        return response.status


async def test_a_database_outage_says_try_again_writes_nothing_and_recovers(
    proxied: tuple[str, str | None, TcpProxy],
) -> None:
    url, schema, proxy = proxied
    direct = create_engine(url, schema=schema)
    await migrate(direct)
    await direct.dispose()
    through = make_url(url).set(host="127.0.0.1", port=proxy.port)
    engine = create_engine(through.render_as_string(hide_password=False), schema=schema)
    fake = FakeSlack()
    await fake.start()
    application = await build_application(slack_settings(fake), refresh_delay=0.0, engine=engine)
    server = TestServer(application.web)
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    try:
        async with aiohttp.ClientSession() as http:
            ws = SlackWorkspace(http, base, fake)
            await ws.person("UBOSS", admin=True).types("/pulse now")
            alice, bob = ws.person("UALICE"), ws.person("UBOB")
            await alice.types("/pulse join it")
            await bob.types("/pulse join marketing")
            poll = ws.poll_message()
            assert "Got it" in (await alice.clicks(poll, "trust", 4)).text

            proxy.cut()
            assert TRY_AGAIN in (await bob.clicks(poll, "trust", 2)).text
            assert TRY_AGAIN in (await ws.person("UCAROL").types("/pulse join it")).text
            assert TRY_AGAIN in (await alice.clicks(poll, "priority", 5)).text
            assert await health(http, base) == 503
            assert await count(url, schema, "answer") == 1  # only alice's trust, before
            assert await count(url, schema, "member_side") == 2  # carol's join was not half-done
            await asyncio.sleep(OUTAGE_SECONDS)
            proxy.restore()

            async with asyncio.timeout(30):  # no restart: the next check-outs reconnect
                while await health(http, base) != 200:  # noqa: ASYNC110 (polled over HTTP)
                    await asyncio.sleep(0.2)
            assert "Got it" in (await bob.clicks(poll, "trust", 2)).text
            assert "Got it" in (await alice.clicks(poll, "priority", 5)).text
            assert "Welcome" in (await ws.person("UCAROL").types("/pulse join it")).text
            await application.web[SLACK].drain()
            await application.core.polls.drain()
            assert await count(url, schema, "answer") == 3
            assert await count(url, schema, "member_side") == 3
    finally:
        await server.close()
        with contextlib.suppress(Exception):
            await application.close()
        await fake.close()
