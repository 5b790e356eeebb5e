"""Servers in their own processes for the benchmarks: `bridgepulse serve`, a bare Bolt app, and
the databases they run on (a SQLite file or a fresh PostgreSQL database), plus CPU load."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from sqlalchemy import text

from storage.engine import create_engine
from storage.migrate import migrate

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
SECRET = "bench-secret-0123456789abcdef0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def fresh_database(backend: str, folder: Path, name: str) -> AsyncIterator[str]:
    """A migrated, empty database: a SQLite file in `folder`, or PostgreSQL database `name`."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / f'{name}.db'}"
    else:
        admin = create_engine(PG_ADMIN)
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    await migrate(engine)
    await engine.dispose()
    try:
        yield url
    finally:
        if backend == "postgres":
            admin = create_engine(PG_ADMIN)
            async with admin.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()


@dataclass
class Server:
    """A server process listening on `url`."""

    process: asyncio.subprocess.Process
    url: str
    log: Path

    def peak_rss_mb(self) -> float:
        """The process's peak resident memory so far (VmHWM), in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()


@asynccontextmanager
async def server(argv: list[str], env: dict[str, str], *, log: Path) -> AsyncIterator[Server]:
    """Start `argv` with `env` (PORT picked here) and wait for GET /healthz to answer 200."""
    port = free_port()
    full_env = {**os.environ, **env, "PORT": str(port), "HOST": "127.0.0.1"}
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *argv, env=full_env, cwd=ROOT, stdout=out, stderr=out
        )
    running = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        await _wait_healthy(running)
        yield running
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _wait_healthy(running: Server, within: float = 60) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if running.process.returncode is not None:
                raise RuntimeError(f"server exited: {running.log.read_text()[-2000:]}")
            try:
                async with http.get(f"{running.url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server not healthy in {within} s: {running.log.read_text()[-2000:]}")


def bridgepulse(*args: str) -> list[str]:
    return [sys.executable, "-m", "server", *args]


def serve_env(
    database_url: str, slack_api_url: str, token: str, signing_secret: str
) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "BRIDGEPULSE_SECRET": SECRET,
        "BRIDGEPULSE_ENV": "production",
        "BRIDGEPULSE_LOG_LEVEL": "WARNING",
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": signing_secret,
        "SLACK_API_URL": slack_api_url,
    }


class CpuLoad:
    """Whole-machine CPU use between start() and stop(), from /proc/stat (other engineers'
    work on a shared machine shows up here)."""

    def __init__(self) -> None:
        self._start = self._read()

    @staticmethod
    def _read() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = values[3] + values[4]
        return sum(values), idle

    def busy_percent(self) -> float:
        total, idle = self._read()
        dt, di = total - self._start[0], idle - self._start[1]
        return 100.0 * (dt - di) / dt if dt else 0.0


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"
