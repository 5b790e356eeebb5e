"""The async engine: URL validation, SQLite pragmas and transaction mode, PostgreSQL pooling."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.errors import ConfigError

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
#: Execution option that makes a SQLite transaction take the write lock at BEGIN.
WRITE = "bridgepulse_write"
#: Seconds a pooled PostgreSQL connection may sit unused before it is pinged at check-out.
IDLE_PING_SECONDS = 5.0
_IDLE_SINCE = "bridgepulse_idle_since"


def parse_database_url(url: str) -> URL:
    """Validate DATABASE_URL; every problem is one ConfigError line naming the variable."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise ConfigError(
            f"DATABASE_URL: cannot parse {display_url(url)!r}; expected e.g. "
            "sqlite+aiosqlite:///./bridgepulse.db or "
            "postgresql+asyncpg://user@host:5432/db"
        ) from None
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise ConfigError(
            f"DATABASE_URL: driver {parsed.drivername!r} is not supported; use "
            + " or ".join(SUPPORTED_DRIVERS)
        )
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).expanduser().resolve().parent
        if not folder.is_dir():
            raise ConfigError(f"DATABASE_URL: folder {folder} does not exist")
    return parsed


def display_url(url: str) -> str:
    """The URL as logs and errors may show it: the password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _PASSWORD.sub(r"\1***@", url)


_PASSWORD = re.compile(r"^([^:/]+://[^:/@]*:)[^@]*@")


def create_engine(
    url: str,
    *,
    schema: str | None = None,
    pool_size: int = 10,
    command_timeout: float | None = 30.0,
) -> AsyncEngine:
    """Build the engine. `schema` sets PostgreSQL's search_path (isolated test schemas);
    `command_timeout` bounds each PostgreSQL statement (None for migrations, whose index
    builds on a large table take minutes)."""
    parsed = parse_database_url(url)
    if parsed.drivername.startswith("sqlite"):
        engine = create_async_engine(parsed, connect_args={"timeout": 30}, **_CODEC)
        _sqlite_transactions(engine.sync_engine)
        return engine
    connect_args: dict[str, Any] = {"command_timeout": command_timeout, "timeout": 10}
    if schema:
        connect_args["server_settings"] = {"search_path": schema}
    engine = create_async_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        connect_args=connect_args,
        **_CODEC,
    )
    _ping_when_idle(engine)
    return engine


def _dumps(value: Any) -> str:
    """orjson for stored results: several times faster to read back than the json module."""
    return orjson.dumps(value).decode()


_CODEC: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": orjson.loads}


def sqlite_twin(engine: AsyncEngine) -> Engine | None:
    """A synchronous engine on the same SQLite file, for a transaction run whole in a worker
    thread; None for PostgreSQL and in-memory databases (which a second connection cannot see).

    Through aiosqlite every statement is three hops between its thread and the event loop, and
    under load each hop waits its turn in the loop: a click's batch of six statements took
    longer waiting than working. In one `asyncio.to_thread` call it is one hop. One pooled
    connection (its writer runs one transaction at a time), closed with the async engine.
    """
    url = engine.url
    if is_postgres(engine) or url.database in (None, "", ":memory:"):
        return None
    twin = sa_create_engine(
        url.set(drivername="sqlite"),
        pool_size=1,
        max_overflow=0,
        connect_args={"timeout": 30, "check_same_thread": False},
        **_CODEC,
    )
    _sqlite_transactions(twin)

    @event.listens_for(engine.sync_engine, "engine_disposed")
    def _disposed(_engine: Any) -> None:
        twin.dispose()

    return twin


def _sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not the driver, emit BEGIN, so that writes use BEGIN IMMEDIATE.

    A deferred transaction that reads and then writes fails with SQLITE_BUSY when another
    writer committed in between; taking the write lock up front makes concurrent clicks queue
    (bounded by busy_timeout) instead of failing.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=30000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a pooled PostgreSQL connection before use only if it sat idle for IDLE_PING_SECONDS.

    SQLAlchemy's `pool_pre_ping` pings at every check-out, and on asyncpg a ping is three round
    trips (BEGIN, a ping, ROLLBACK): under a burst of clicks a fifth of the server's database
    time. A connection used a moment ago has just shown it works; one idle longer (the database
    may have restarted meanwhile) is pinged, and one that fails is replaced, as with pre_ping.
    A connection that dies while busy fails its statement either way (StoreUnavailable: "try
    again"), and SQLAlchemy then replaces every pooled connection older than it.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:  # the pool replaces the connection and checks out again
            raise DisconnectionError("pooled connection failed its ping") from exc


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"
