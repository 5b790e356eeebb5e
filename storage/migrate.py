"""Apply Alembic migrations to the configured database (idempotent; safe for concurrent replicas)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import StoreUnavailable
from storage.engine import is_postgres

MIGRATIONS = Path(__file__).parent / "migrations"
#: Arbitrary constant key of the PostgreSQL advisory lock that serialises migrating replicas.
_LOCK_KEY = 0x42_50_4D_49  # "BPMI"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _upgrade(connection: Connection) -> str | None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")
    return MigrationContext.configure(connection).get_current_revision()


async def migrate(engine: AsyncEngine) -> str | None:
    """Bring the schema to the newest revision; returns that revision.

    Raises StoreUnavailable when the database cannot be reached."""
    try:
        async with engine.begin() as conn:
            if is_postgres(engine):
                await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
            return await conn.run_sync(_upgrade)
    except (OSError, OperationalError, InterfaceError) as exc:
        raise StoreUnavailable(str(exc)[:300]) from exc


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
