"""Database backends for tests: a SQLite file, or an isolated schema on PostgreSQL.

PostgreSQL comes from TEST_DATABASE_URL (default: CI's server on 127.0.0.1). When it cannot be
reached the test is skipped locally but fails under CI=true, so a green CI run always includes it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import create_engine
from storage.migrate import migrate

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgres")


def pg_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


async def _require_pg(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "no PostgreSQL here"
        message = f"PostgreSQL not reachable at {url}: {type(exc).__name__}: {exc}"
        if in_ci():
            pytest.fail(f"CI=true requires PostgreSQL. {message}")
        pytest.skip(message)
    finally:
        await engine.dispose()


@asynccontextmanager
async def database(backend: str, tmp_path: Path) -> AsyncIterator[tuple[str, str | None]]:
    """Yield (url, schema) of a fresh, empty database for one test, and clean it up after."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}", None
        return
    url = pg_url()
    await _require_pg(url)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url, schema
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@asynccontextmanager
async def migrated_engine(backend: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with database(backend, tmp_path) as (url, schema):
        engine = create_engine(url, schema=schema)
        try:
            await migrate(engine)
            yield engine
        finally:
            await engine.dispose()
