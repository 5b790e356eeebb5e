"""Database failures at start-up and `migrate`, each told as one line naming DATABASE_URL."""

from __future__ import annotations

import socket
import sqlite3

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import ConfigError, StoreUnavailable
from storage.engine import create_engine, display_url
from storage.migrate import migrate

#: PostgreSQL error codes a wrong DATABASE_URL produces (asyncpg's `sqlstate`).
_DATABASE_MISSING = "3D000"
_ROLE_REFUSED = ("28000", "28P01")


async def migrate_at_start(url: str, *, engine: AsyncEngine | None = None) -> str | None:
    """Migrate DATABASE_URL; every failure becomes a ConfigError of one line, never a trace.

    Without `engine` one is made for the migration (no statement timeout) and disposed."""
    own = engine is None
    engine = engine or create_engine(url, command_timeout=None)
    try:
        return await migrate(engine)
    except (OSError, SQLAlchemyError, StoreUnavailable, sqlite3.Error) as exc:
        raise ConfigError(explain(url, exc)) from None
    finally:
        if own:
            await engine.dispose()


def explain(url: str, exc: BaseException) -> str:
    """What went wrong connecting to DATABASE_URL, and what to check, in one line."""
    parsed = make_url(url)
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    causes = list(_chain(exc))
    state = next((str(s) for c in causes if (s := getattr(c, "sqlstate", None))), "")
    text = _first_line(causes[-1]) if causes else ""
    shown = display_url(url)
    if parsed.drivername.startswith("sqlite"):
        return (
            f"DATABASE_URL: cannot use the SQLite database {parsed.database!r} ({text}); "
            "check that the path is a SQLite file (or does not exist yet) in a folder this "
            "user may write"
        )
    if state == _DATABASE_MISSING:
        return (
            f"DATABASE_URL: database {parsed.database!r} does not exist on {where}; "
            f"create it (createdb {parsed.database}) or fix the name in {shown}"
        )
    if state in _ROLE_REFUSED:
        return (
            f"DATABASE_URL: {where} refused the role {parsed.username!r} ({text}); "
            "check the user name and password, and that the role exists and may log in"
        )
    if any(isinstance(c, (OSError, socket.gaierror, TimeoutError)) for c in causes):
        return (
            f"DATABASE_URL: cannot reach PostgreSQL at {where} ({text}); check the host and "
            "port, and that PostgreSQL is running and accepts connections from here"
        )
    return (
        f"DATABASE_URL: the database at {where} failed at start ({text}); check {shown}, "
        "the server's log and the role's rights"
    )


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, the driver error SQLAlchemy wrapped, and their causes, outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        if isinstance(current, DBAPIError) and isinstance(current.orig, BaseException):
            current = current.orig
        else:
            current = current.__cause__ or current.__context__
    return seen


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    if line.startswith("(") and ") " in line:  # SQLAlchemy's "(sqlite3.Error) message"
        line = line.split(") ", 1)[1]
    return line[:200]
