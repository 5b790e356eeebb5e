"""Migrations: idempotent, in step with the models, and run by `bridgepulse migrate`."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from storage.engine import create_engine
from storage.migrate import current_revision, head_revision, migrate
from tests.support.db import _require_pg, database, pg_url

TABLES = {
    "workspace",
    "channel",
    "poll",
    "answer",
    "member_side",
    "side_mapping",
    "subscription",
    "conversation_ref",
    "step_claim",
    "step_delivery",
    "nudge",
    "action",
}


async def test_migrate_creates_every_table_and_is_idempotent(backend: str, tmp_path: Path) -> None:
    async with database(backend, tmp_path) as (url, schema):
        engine = create_engine(url, schema=schema)
        try:
            assert await migrate(engine) == head_revision()
            assert await migrate(engine) == head_revision()  # second run: no-op
            assert await current_revision(engine) == head_revision()
            async with engine.connect() as conn:
                names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
                diff = await conn.run_sync(
                    lambda c: compare_metadata(MigrationContext.configure(c), SQLModel.metadata)
                )
            assert TABLES <= names
            assert diff == [], f"models and migrations differ: {diff}"
        finally:
            await engine.dispose()


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )


def test_cli_migrate_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    first = run_cli("migrate", env={"DATABASE_URL": url, "BRIDGEPULSE_ENV": "test"})
    assert first.returncode == 0, first.stderr
    assert f"database is at revision {head_revision()}" in first.stdout
    second = run_cli("migrate", env={"DATABASE_URL": url, "BRIDGEPULSE_ENV": "test"})
    assert second.returncode == 0 and head_revision() in second.stdout


async def test_cli_migrate_on_a_fresh_postgres_database() -> None:
    await _require_pg(pg_url())
    name = f"bp_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url())
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = pg_url().rsplit("/", 1)[0] + f"/{name}"
        result = run_cli("migrate", env={"DATABASE_URL": url, "BRIDGEPULSE_ENV": "test"})
        assert result.returncode == 0, result.stderr
        assert head_revision() in result.stdout
    finally:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


def test_cli_names_database_url_when_it_is_bad(tmp_path: Path) -> None:
    for url, fragment in (
        ("mysql://root@localhost/db", "driver 'mysql' is not supported"),
        ("not a url", "DATABASE_URL"),
        (f"sqlite+aiosqlite:///{tmp_path}/missing/x.db", "does not exist"),
        ("postgresql+asyncpg://nobody@127.0.0.1:1/none", "cannot reach PostgreSQL at 127.0.0.1:1"),
    ):
        result = run_cli("migrate", env={"DATABASE_URL": url, "BRIDGEPULSE_ENV": "test"})
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "DATABASE_URL" in lines[0] and fragment in lines[0], lines
        assert "Traceback" not in result.stderr
