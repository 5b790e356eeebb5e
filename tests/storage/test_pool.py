"""PostgreSQL's pool pings only connections that sat idle: an idle connection the server dropped
is replaced unseen; one dropped while in use fails once with StoreUnavailable, then heals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.errors import StoreUnavailable
from storage import engine as engine_module
from storage.engine import create_engine
from storage.repository import SqlRepository
from tests.support.db import migrated_engine, pg_url


@pytest.fixture
async def pg_repo(tmp_path: Path) -> AsyncIterator[SqlRepository]:
    async with migrated_engine("postgres", tmp_path) as engine:
        yield SqlRepository(engine)


async def _backend_pid(repo: SqlRepository) -> int:
    async with repo.engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(pid: int) -> None:
    admin = create_engine(pg_url())
    try:
        async with admin.connect() as conn:
            killed = await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            assert killed.scalar_one() is True
    finally:
        await admin.dispose()


async def test_an_idle_connection_the_server_dropped_is_replaced_unseen(
    pg_repo: SqlRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await _backend_pid(pg_repo)
    await _terminate(first)
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)  # "idle long enough"
    assert await pg_repo.scheduled_channels() == []  # no error reaches the caller
    assert await _backend_pid(pg_repo) != first


async def test_a_busy_connection_dropped_fails_once_then_the_pool_heals(
    pg_repo: SqlRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 3600.0)  # never "idle": no ping
    first = await _backend_pid(pg_repo)
    await _terminate(first)
    with pytest.raises(StoreUnavailable):
        await pg_repo.scheduled_channels()
    assert await pg_repo.scheduled_channels() == []
    assert await _backend_pid(pg_repo) != first
