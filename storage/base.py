"""The repository's shared part: the tables, one transaction per call, connection errors as
StoreUnavailable, and the row conversions every aggregate uses."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time
from typing import Any, TypeVar

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain import Channel, ChannelRef, Poll, Schedule
from bot.errors import StoreUnavailable
from storage.engine import WRITE, is_postgres, sqlite_twin
from storage.models import (
    AnswerRow,
    ChannelRow,
    ConversationRow,
    DeliveryRow,
    DisclosureRow,
    NudgeRow,
    PollRow,
    SideMappingRow,
    SideRow,
    StepClaimRow,
    SubscriptionRow,
    WorkspaceRow,
)


def _t(model: Any) -> Table:
    table: Table = model.__table__
    return table


WORKSPACE, CHANNEL, POLL, ANSWER = _t(WorkspaceRow), _t(ChannelRow), _t(PollRow), _t(AnswerRow)
SIDE, SUBSCRIPTION, CONVERSATION = _t(SideRow), _t(SubscriptionRow), _t(ConversationRow)
CLAIM, DELIVERY, NUDGE = _t(StepClaimRow), _t(DeliveryRow), _t(NudgeRow)
DISCLOSURE, GROUP_SIDE = _t(DisclosureRow), _t(SideMappingRow)
_CONNECTION_ERRORS = (OSError, ConnectionError, asyncio.TimeoutError)
T = TypeVar("T")


@contextlib.contextmanager
def _store_errors() -> Iterator[None]:
    """Connection failures become StoreUnavailable (the core answers "try again")."""
    try:
        yield
    except IntegrityError:
        raise
    except (OperationalError, InterfaceError) as exc:
        raise StoreUnavailable(str(exc.orig)[:200]) from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise StoreUnavailable(str(exc.orig)[:200]) from exc
        raise
    except _CONNECTION_ERRORS as exc:
        raise StoreUnavailable(str(exc)[:200]) from exc


class RepositoryBase:
    """The engine and the transaction helpers the aggregates' mixins share."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._pg = is_postgres(engine)
        # SQLite has one writer at a time. Queueing this process's writers here, in order,
        # keeps them out of sqlite3's busy handler, which sleeps with a growing back-off (a
        # burst of clicks waited up to seconds). Other processes still meet busy_timeout.
        self._sqlite_writer = None if self._pg else asyncio.Lock()
        self._twin = sqlite_twin(engine)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @asynccontextmanager
    async def _tx(self, *, write: bool = False) -> AsyncIterator[AsyncConnection]:
        """One transaction; connection failures become StoreUnavailable."""
        with _store_errors():
            async with self._writer(write), self._engine.connect() as conn:
                if write:
                    conn = await conn.execution_options(**{WRITE: True})
                async with conn.begin():
                    yield conn

    async def _run_in_loop(self, work: Callable[[Connection], T]) -> T:
        """`work` in one write transaction of the async engine."""
        async with self._tx(write=True) as conn:
            return await conn.run_sync(work)

    async def _run_in_thread(self, work: Callable[[Connection], T]) -> T:
        """`work` in one write transaction on the SQLite twin, whole in a worker thread, after
        this process's other SQLite writers (the same queue as `_tx`)."""
        twin = self._twin
        assert twin is not None

        def transaction() -> T:
            with twin.connect() as conn:
                conn = conn.execution_options(**{WRITE: True})
                with conn.begin():
                    return work(conn)

        with _store_errors():
            async with self._writer(True):
                return await asyncio.to_thread(transaction)

    def _writer(self, write: bool) -> asyncio.Lock | contextlib.nullcontext[None]:
        if write and self._sqlite_writer is not None:
            return self._sqlite_writer
        return contextlib.nullcontext()

    def _upsert(self, table: Table) -> Any:
        return (postgresql.insert if self._pg else sqlite.insert)(table)


def chunks(items: list[T], size: int = 500) -> Iterator[list[T]]:
    """Keep IN lists well under SQLite's and asyncpg's parameter limits."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def utcnow() -> datetime:
    """Bookkeeping timestamps (created/updated); product times come from the core's clock."""
    return datetime.now(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """Aggregates (min) bypass the column type, so SQLite hands back text or naive values."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def channel_query() -> Any:
    """Channels with the platform and the workspace's external id (`channel_from` reads it)."""
    return select(CHANNEL, WORKSPACE.c.platform, WORKSPACE.c.external_id.label("ws_external")).join(
        WORKSPACE, WORKSPACE.c.id == CHANNEL.c.workspace_id
    )


def channel_from(row: Row[Any]) -> Channel:
    schedule = None
    if row.schedule_weekday is not None and row.schedule_time and row.schedule_timezone:
        schedule = Schedule(
            weekday=row.schedule_weekday,
            at=time.fromisoformat(row.schedule_time),
            timezone=row.schedule_timezone,
            open_days=row.schedule_open_days or 3,
        )
    return Channel(
        id=row.id,
        ref=ChannelRef(row.platform, row.ws_external, row.external_id),
        name=row.name,
        question_set=row.question_set,
        schedule=schedule,
        paused=row.paused,
        owner_user_id=row.owner_user_id,
    )


def poll_from(row: Row[Any]) -> Poll:
    return Poll(
        id=row.id,
        channel_id=row.channel_id,
        number=row.number,
        question_set=row.question_set,
        question_set_version=row.question_set_version,
        rotating_imperative=row.rotating_imperative,
        opened_at=row.opened_at,
        closes_at=row.closes_at,
        closed_at=row.closed_at,
        period=row.period,
        message_ref=row.message_ref,
        timezone=row.timezone,
    )
