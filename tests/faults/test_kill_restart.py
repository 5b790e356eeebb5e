"""`kill -9` of the server in the middle of a fan-out, then a restart: every poll posted once.

The server runs in its own process against the fake Slack in this one. Many channels fall due
at once; the fake answers the first few posts, then carries out the next ones but holds their
answers, which is the worst moment for a crash: Slack has the message, the bot never heard.
The server is killed with SIGKILL right then and started again; afterwards every channel has
exactly one poll message, and the database points at it.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from sqlalchemy import text

from demo.slack_api import FakeSlack
from storage.engine import create_engine
from tests.support.db import database
from tests.support.due import due_channels
from tests.support.slack import SIGNING_SECRET, TEAM

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = 40
ANSWERED_FIRST = 10
WITHIN = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def server_process(
    url: str, schema: str | None, fake: FakeSlack
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    port = free_port()
    env = {
        **os.environ,
        "BRIDGEPULSE_ENV": "test",
        "BRIDGEPULSE_LOG_LEVEL": "WARNING",
        "SLACK_BOT_TOKEN": fake.workspace(TEAM).token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.faults.server_process",
        url,
        schema or "-",
        str(port),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), WITHIN)
        assert line.strip() == b"ready", line
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def poll_refs(url: str, schema: str | None) -> dict[str, str | None]:
    engine = create_engine(url, schema=schema)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT c.external_id, p.message_ref FROM poll p "
                    "JOIN channel c ON c.id = p.channel_id"
                )
            )
        ).all()
    await engine.dispose()
    return {r[0]: r[1] for r in rows}


async def all_recorded(url: str, schema: str | None) -> dict[str, str | None]:
    """Poll refs once every channel's poll is posted and recorded (the database is another
    process's, so it is looked at every 100 ms)."""
    async with asyncio.timeout(WITHIN):
        while True:
            refs = await poll_refs(url, schema)
            if len(refs) == CHANNELS and None not in refs.values():
                return refs
            await asyncio.sleep(0.1)  # noqa: ASYNC110 (nothing to wait on across processes)


def poll_posts(fake: FakeSlack, channel: str) -> list[str]:
    return [m.ts for m in fake.channel_messages(channel) if m.blocks]


async def test_a_server_killed_mid_fan_out_posts_every_poll_exactly_once_after_restart(
    backend: str, tmp_path: Path
) -> None:
    fake = FakeSlack()
    fake.workspace(TEAM)
    await fake.start()
    try:
        async with database(backend, tmp_path) as (url, schema):
            channels = await due_channels(url, CHANNELS, team=TEAM, schema=schema)
            for channel in channels:
                fake.channel(TEAM, channel)
            hold = fake.hold("chat.postMessage", after=ANSWERED_FIRST)
            async with server_process(url, schema, fake) as (first, _):
                async with asyncio.timeout(WITHIN):
                    await fake.wait_for(lambda: hold.waiting >= 3 or None)
                first.send_signal(signal.SIGKILL)
                await first.wait()
            await asyncio.sleep(0.5)  # posts already on the wire reach the fake
            hold.release()
            assert first.returncode == -signal.SIGKILL
            # Slack has these posts but the dead server never recorded them.
            before = await poll_refs(url, schema)
            in_the_gap = {c for c, ref in before.items() if ref is None and poll_posts(fake, c)}
            assert len(in_the_gap) >= hold.waiting >= 3

            async with server_process(url, schema, fake) as (_, server_url):
                refs = await all_recorded(url, schema)
                async with aiohttp.ClientSession() as http:
                    async with http.get(f"{server_url}/metrics") as response:
                        metrics = await response.text()

            posts = {channel: poll_posts(fake, channel) for channel in channels}
            assert Counter(len(p) for p in posts.values()) == Counter({1: CHANNELS}), posts
            assert refs == {channel: posts[channel][0] for channel in channels}
            recovered = re.search(r"bridgepulse_posts_recovered_total ([0-9.]+)", metrics)
            assert recovered is not None and int(float(recovered.group(1))) == len(in_the_gap)
            assert fake.calls_to("conversations.history"), "the restart asked Slack"
    finally:
        await fake.close()
