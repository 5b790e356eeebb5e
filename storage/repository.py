"""The repository: implements the core's store ports with SQLAlchemy Core on the SQLModel tables.

Every public method is one transaction. Writes that must not race (answers, poll creation and
closing, claims) rely on unique constraints and conditional statements, so replicas sharing a
database stay correct without locks held across network calls.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time
from functools import partial
from typing import Any, TypeVar

import orjson
from sqlalchemy import (
    Integer,
    String,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain import (
    AnswerOutcome,
    AnswerRecord,
    Channel,
    ChannelRef,
    ClickOrigin,
    Group,
    GroupSide,
    PersonRef,
    Poll,
    Schedule,
    Side,
)
from bot.errors import StoreUnavailable
from bot.imperatives import rotating_imperative
from bot.ports import (
    DueOpen,
    ForgetReport,
    Horizon,
    NudgeRecord,
    PollHistoryItem,
    RecordedVote,
)
from bot.score.disclosure_state import DisclosureState
from bot.score.scoring import Participation, PollResult
from storage.actions import ActionRepository
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
from storage.votes import SIDES, Click, Tables, VoteWriter


def _t(model: Any) -> Table:
    table: Table = model.__table__
    return table


WORKSPACE, CHANNEL, POLL, ANSWER = _t(WorkspaceRow), _t(ChannelRow), _t(PollRow), _t(AnswerRow)
SIDE, SUBSCRIPTION, CONVERSATION = _t(SideRow), _t(SubscriptionRow), _t(ConversationRow)
CLAIM, DELIVERY, NUDGE = _t(StepClaimRow), _t(DeliveryRow), _t(NudgeRow)
DISCLOSURE, GROUP_SIDE = _t(DisclosureRow), _t(SideMappingRow)
LATEST = POLL.alias("latest")
#: A poll's history item (`_history_item`) in the order of `Poll`'s fields, then its result;
#: times as they come (text on SQLite): `_utc` reads them at a fraction of UTCDateTime's cost.
HISTORY = (
    POLL.c.id,
    POLL.c.channel_id,
    POLL.c.number,
    POLL.c.question_set,
    POLL.c.question_set_version,
    POLL.c.rotating_imperative,
    type_coerce(POLL.c.opened_at, String).label("opened_at"),
    type_coerce(POLL.c.closes_at, String).label("closes_at"),
    type_coerce(POLL.c.closed_at, String).label("closed_at"),
    POLL.c.period,
    POLL.c.message_ref,
    POLL.c.timezone,
    # the score and k beside the result's text, which is parsed only if something reads more
    POLL.c.score,
    POLL.c.result["k"].as_integer().label("k"),
    cast(POLL.c.result, Text).label("result"),
)
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


class SqlRepository(ActionRepository):
    """All of the core's store ports over one `AsyncEngine` (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._pg = is_postgres(engine)
        # SQLite has one writer at a time. Queueing this process's writers here, in order,
        # keeps them out of sqlite3's busy handler, which sleeps with a growing back-off (a
        # burst of clicks waited up to seconds). Other processes still meet busy_timeout.
        self._sqlite_writer = None if self._pg else asyncio.Lock()
        self._twin = sqlite_twin(engine)
        self._votes = VoteWriter(
            self._run_in_thread if self._twin is not None else self._run_in_loop,
            tables=Tables(WORKSPACE, CHANNEL, POLL, SIDE, ANSWER, DELIVERY),
            upsert=self._upsert,
            postgres=self._pg,
        )

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

    # --- channels -----------------------------------------------------------------------

    async def ensure_channel(self, *, ref: ChannelRef, name: str = "") -> Channel:
        found = await self.find_channel(ref=ref)
        if found is not None and (not name or found.name == name):
            return found
        now = _utcnow()
        async with self._tx(write=True) as conn:
            await conn.execute(
                self._upsert(WORKSPACE)
                .values(
                    platform=ref.platform,
                    external_id=ref.workspace_id,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["platform", "external_id"])
            )
            workspace_id = (
                await conn.execute(
                    select(WORKSPACE.c.id).where(
                        WORKSPACE.c.platform == ref.platform,
                        WORKSPACE.c.external_id == ref.workspace_id,
                    )
                )
            ).scalar_one()
            stmt = self._upsert(CHANNEL).values(
                workspace_id=workspace_id,
                external_id=ref.channel_id,
                name=name,
                question_set="default",
                paused=False,
                created_at=now,
                updated_at=now,
            )
            if name:
                stmt = stmt.on_conflict_do_update(
                    index_elements=["workspace_id", "external_id"],
                    set_={"name": name, "updated_at": now},
                )
            else:
                stmt = stmt.on_conflict_do_nothing(index_elements=["workspace_id", "external_id"])
            await conn.execute(stmt)
        channel = await self.find_channel(ref=ref)
        assert channel is not None
        return channel

    def _channel_query(self) -> Any:
        return select(
            CHANNEL, WORKSPACE.c.platform, WORKSPACE.c.external_id.label("ws_external")
        ).join(WORKSPACE, WORKSPACE.c.id == CHANNEL.c.workspace_id)

    async def find_channel(self, *, ref: ChannelRef) -> Channel | None:
        async with self._tx() as conn:
            row = (
                await conn.execute(
                    self._channel_query().where(
                        WORKSPACE.c.platform == ref.platform,
                        WORKSPACE.c.external_id == ref.workspace_id,
                        CHANNEL.c.external_id == ref.channel_id,
                    )
                )
            ).first()
        return _channel(row) if row else None

    async def get_channel(self, *, channel_id: int) -> Channel | None:
        async with self._tx() as conn:
            row = (
                await conn.execute(self._channel_query().where(CHANNEL.c.id == channel_id))
            ).first()
        return _channel(row) if row else None

    async def configure_channel(
        self, *, channel_id: int, schedule: Schedule | None, owner_user_id: str | None
    ) -> Channel:
        values: dict[str, Any] = {"owner_user_id": owner_user_id, "updated_at": _utcnow()}
        if schedule is not None:
            values |= {
                "schedule_weekday": schedule.weekday,
                "schedule_time": schedule.at.strftime("%H:%M"),
                "schedule_timezone": schedule.timezone,
                "schedule_open_days": schedule.open_days,
                "paused": False,
            }
        async with self._tx(write=True) as conn:
            await conn.execute(update(CHANNEL).where(CHANNEL.c.id == channel_id).values(**values))
        return await self._must_channel(channel_id)

    async def set_paused(self, *, channel_id: int, paused: bool) -> Channel:
        async with self._tx(write=True) as conn:
            await conn.execute(
                update(CHANNEL)
                .where(CHANNEL.c.id == channel_id)
                .values(paused=paused, updated_at=_utcnow())
            )
        return await self._must_channel(channel_id)

    async def _must_channel(self, channel_id: int) -> Channel:
        channel = await self.get_channel(channel_id=channel_id)
        if channel is None:
            raise LookupError(f"channel {channel_id} does not exist")
        return channel

    async def scheduled_channels(self) -> list[Channel]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    self._channel_query()
                    .where(CHANNEL.c.schedule_weekday.is_not(None), CHANNEL.c.paused.is_(False))
                    .order_by(CHANNEL.c.id)
                )
            ).all()
        return [_channel(r) for r in rows]

    async def workspace_channels(self, *, platform: str, workspace_id: str) -> list[Channel]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    self._channel_query()
                    .where(
                        WORKSPACE.c.platform == platform, WORKSPACE.c.external_id == workspace_id
                    )
                    .order_by(CHANNEL.c.name, CHANNEL.c.id)
                )
            ).all()
        return [_channel(r) for r in rows]

    # --- polls --------------------------------------------------------------------------

    async def create_poll(
        self,
        *,
        channel_id: int,
        question_set: str,
        question_set_version: int,
        opened_at: datetime,
        closes_at: datetime,
        period: str,
        timezone: str,
    ) -> Poll | None:
        try:
            async with self._tx(write=True) as conn:
                number = (
                    await conn.execute(
                        select(func.coalesce(func.max(POLL.c.number), 0)).where(
                            POLL.c.channel_id == channel_id
                        )
                    )
                ).scalar_one() + 1
                poll_id = (
                    await conn.execute(
                        insert(POLL)
                        .values(
                            channel_id=channel_id,
                            number=number,
                            question_set=question_set,
                            question_set_version=question_set_version,
                            rotating_imperative=rotating_imperative(number),
                            opened_at=opened_at,
                            closes_at=closes_at,
                            period=period,
                            timezone=timezone,
                        )
                        .returning(POLL.c.id)
                    )
                ).scalar_one()
        except IntegrityError:
            return None  # one is open already, or this period was opened (maybe by a replica)
        return await self.get_poll(poll_id=poll_id)

    async def get_poll(self, *, poll_id: int) -> Poll | None:
        async with self._tx() as conn:
            row = (await conn.execute(select(POLL).where(POLL.c.id == poll_id))).first()
        return _poll(row) if row else None

    async def open_poll(self, *, channel_id: int) -> Poll | None:
        async with self._tx() as conn:
            row = (
                await conn.execute(
                    select(POLL).where(POLL.c.channel_id == channel_id, POLL.c.closed_at.is_(None))
                )
            ).first()
        return _poll(row) if row else None

    async def poll_for_period(self, *, channel_id: int, period: str) -> Poll | None:
        async with self._tx() as conn:
            row = (
                await conn.execute(
                    select(POLL).where(POLL.c.channel_id == channel_id, POLL.c.period == period)
                )
            ).first()
        return _poll(row) if row else None

    async def set_poll_message(self, *, poll_id: int, message_ref: str) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                update(POLL).where(POLL.c.id == poll_id).values(message_ref=message_ref)
            )

    async def mark_closed(self, *, poll_id: int, closed_at: datetime) -> bool:
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                update(POLL)
                .where(POLL.c.id == poll_id, POLL.c.closed_at.is_(None))
                .values(closed_at=closed_at)
            )
        return bool(result.rowcount)

    async def store_result(self, *, poll_id: int, result: PollResult) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                update(POLL)
                .where(POLL.c.id == poll_id)
                .values(result=result.to_dict(), score=result.score)
            )

    async def poll_history(self, *, channel_id: int, limit: int) -> list[PollHistoryItem]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(*HISTORY)
                    .where(POLL.c.channel_id == channel_id)
                    .order_by(POLL.c.number.desc())
                    .limit(limit)
                )
            ).all()
        return [_history_item(r) for r in reversed(rows)]

    async def poll_histories(
        self, *, channel_ids: Sequence[int], limit: int
    ) -> dict[int, list[PollHistoryItem]]:
        histories: dict[int, list[PollHistoryItem]] = {c: [] for c in channel_ids}
        async with self._tx() as conn:
            for chunk in _chunks(list(channel_ids)):
                rows = (await conn.execute(self._histories(chunk, limit))).all()
                for r in rows:
                    histories[r.channel_id].append(_history_item(r))
        for items in histories.values():  # PostgreSQL's come newest first
            items.sort(key=_number)
        return histories

    def _histories(self, channel_ids: list[int], limit: int) -> Any:
        """The newest `limit` polls of each channel as HISTORY rows (in no particular order)."""
        if not self._pg:
            newest = (
                select(func.max(LATEST.c.number))
                .where(LATEST.c.channel_id == POLL.c.channel_id)
                .scalar_subquery()
            )
            return (
                select(*HISTORY)
                .where(POLL.c.channel_id.in_(channel_ids), POLL.c.number > newest - limit)
                .order_by(POLL.c.channel_id, POLL.c.number)
            )
        # PostgreSQL runs that correlated max() once per candidate row (52 per channel, each a
        # heap visit once rows have changed: 0.14–0.2 s per 500 channels); a LATERAL LIMIT
        # reads just the newest rows of each channel off the (channel_id, number) key (8 ms).
        ids = bindparam("channel_ids", channel_ids, type_=postgresql.ARRAY(Integer))
        wanted = func.unnest(ids).table_valued("id").render_derived(name="wanted")
        latest = (
            select(*HISTORY)
            .where(POLL.c.channel_id == wanted.c.id)
            .order_by(POLL.c.number.desc())
            .limit(limit)
            .lateral("latest")
        )
        return select(latest).select_from(wanted).join(latest, true())

    async def due_polls(self, *, now: datetime) -> list[Poll]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(POLL)
                    .where(POLL.c.closed_at.is_(None), POLL.c.closes_at <= now)
                    .order_by(POLL.c.closes_at)
                )
            ).all()
        return [_poll(r) for r in rows]

    # --- answers ------------------------------------------------------------------------

    async def record_answer(
        self,
        *,
        poll_id: int,
        respondent: str,
        side: Side | None,
        question_id: str,
        value: str,
        at: datetime,
    ) -> AnswerOutcome:
        """One answer with a given side, in its own transaction. Not a core port (the core
        votes through `record_vote`): it seeds answers for tests and tools."""
        async with self._tx(write=True) as conn:
            query = select(POLL.c.closed_at).where(POLL.c.id == poll_id)
            if self._pg:  # a concurrent close waits for this vote to commit, and vice versa
                query = query.with_for_update(read=True)
            poll = (await conn.execute(query)).first()
            if poll is None:
                return AnswerOutcome.MISSING
            if poll.closed_at is not None:
                return AnswerOutcome.CLOSED
            key = and_(
                ANSWER.c.poll_id == poll_id,
                ANSWER.c.respondent == respondent,
                ANSWER.c.question_id == question_id,
            )
            before = (await conn.execute(select(ANSWER.c.value, ANSWER.c.side).where(key))).first()
            side_value = side.value if side else None
            if before is not None and before.value == value and before.side == side_value:
                return AnswerOutcome.UNCHANGED
            await conn.execute(
                self._upsert(ANSWER)
                .values(
                    poll_id=poll_id,
                    respondent=respondent,
                    side=side_value,
                    question_id=question_id,
                    value=value,
                    answered_at=at,
                    updated_at=at,
                )
                .on_conflict_do_update(
                    index_elements=["poll_id", "respondent", "question_id"],
                    set_={"value": value, "side": side_value, "updated_at": at},
                )
            )
        return AnswerOutcome.CREATED if before is None else AnswerOutcome.CHANGED

    async def record_vote(
        self,
        *,
        poll_id: int,
        respondent: str,
        question_id: str,
        value: str,
        at: datetime,
        origin: ClickOrigin,
        clicked_at: datetime,
    ) -> RecordedVote:
        click = Click(poll_id, respondent, question_id, value, at, origin, clicked_at)
        return await self._votes.record(click)

    async def answers(self, *, poll_id: int) -> list[AnswerRecord]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(
                        ANSWER.c.respondent, ANSWER.c.side, ANSWER.c.question_id, ANSWER.c.value
                    ).where(ANSWER.c.poll_id == poll_id)
                )
            ).all()
        return [_answer(r) for r in rows]

    async def answers_of_polls(self, *, poll_ids: Sequence[int]) -> dict[int, list[AnswerRecord]]:
        found: dict[int, list[AnswerRecord]] = {p: [] for p in poll_ids}
        async with self._tx() as conn:
            for chunk in _chunks(list(poll_ids)):
                rows = (
                    await conn.execute(
                        select(
                            ANSWER.c.poll_id,
                            ANSWER.c.respondent,
                            ANSWER.c.side,
                            ANSWER.c.question_id,
                            ANSWER.c.value,
                        ).where(ANSWER.c.poll_id.in_(chunk))
                    )
                ).all()
                for r in rows:
                    found[r.poll_id].append(_answer(r))
        return found

    async def answered(self, *, poll_id: int, respondent: str) -> dict[str, str]:
        """The respondent's current answers in the poll (tests and tools; not a core port)."""
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(ANSWER.c.question_id, ANSWER.c.value).where(
                        ANSWER.c.poll_id == poll_id, ANSWER.c.respondent == respondent
                    )
                )
            ).all()
        return {r.question_id: r.value for r in rows}

    async def participation(self, *, poll_id: int) -> Participation:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(ANSWER.c.side, func.count(func.distinct(ANSWER.c.respondent)))
                    .where(ANSWER.c.poll_id == poll_id)
                    .group_by(ANSWER.c.side)
                )
            ).all()
        counts = {side: int(n) for side, n in rows}
        return Participation(
            marketing=counts.get("marketing", 0),
            it=counts.get("it", 0),
            other=counts.get("other", 0),
            pending=counts.get(None, 0),
        )

    async def respondents(self, *, poll_id: int) -> set[str]:
        async with self._tx() as conn:
            rows = (
                (
                    await conn.execute(
                        select(ANSWER.c.respondent).distinct().where(ANSWER.c.poll_id == poll_id)
                    )
                )
                .scalars()
                .all()
            )
        return set(rows)

    # --- sides --------------------------------------------------------------------------

    async def side_of(self, *, respondent: str) -> Side | None:
        async with self._tx() as conn:
            value = (
                await conn.execute(select(SIDE.c.side).where(SIDE.c.respondent == respondent))
            ).scalar_one_or_none()
        return Side(value) if value else None

    async def set_side(self, *, respondent: str, side: Side, at: datetime) -> int:
        open_polls = select(POLL.c.id).where(POLL.c.closed_at.is_(None))
        async with self._tx(write=True) as conn:
            await conn.execute(
                self._upsert(SIDE)
                .values(
                    respondent=respondent,
                    side=side.value,
                    updated_at=at,
                )
                .on_conflict_do_update(
                    index_elements=["respondent"], set_={"side": side.value, "updated_at": at}
                )
            )
            waiting = await conn.execute(
                update(ANSWER)
                .where(
                    ANSWER.c.respondent == respondent,
                    ANSWER.c.side.is_(None),
                    ANSWER.c.poll_id.in_(open_polls),
                )
                .values(side=side.value, updated_at=at)
            )
            await conn.execute(
                update(ANSWER)
                .where(
                    ANSWER.c.respondent == respondent,
                    ANSWER.c.side != side.value,
                    ANSWER.c.poll_id.in_(open_polls),
                )
                .values(side=side.value, updated_at=at)
            )
        return int(waiting.rowcount or 0)

    async def with_side(self, *, respondents: Iterable[str]) -> set[str]:
        wanted = list(set(respondents))
        found: set[str] = set()
        async with self._tx() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                found.update(
                    (
                        await conn.execute(
                            select(SIDE.c.respondent).where(SIDE.c.respondent.in_(chunk))
                        )
                    )
                    .scalars()
                    .all()
                )
        return found

    async def adopt_sides(self, *, respondents: Iterable[str], side: Side, at: datetime) -> int:
        wanted = sorted(set(respondents))
        open_polls = select(POLL.c.id).where(POLL.c.closed_at.is_(None))
        adopted = 0
        async with self._tx(write=True) as conn:
            for chunk in _chunks(wanted):
                rows = [{"respondent": r, "side": side.value, "updated_at": at} for r in chunk]
                inserted = await conn.execute(
                    self._upsert(SIDE)
                    .values(rows)
                    .on_conflict_do_nothing(index_elements=["respondent"])
                    .returning(SIDE.c.respondent)
                )
                given = list(inserted.scalars())
                adopted += len(given)
                if given:  # their clicks that waited for a side now count
                    await conn.execute(
                        update(ANSWER)
                        .where(
                            ANSWER.c.respondent.in_(given),
                            ANSWER.c.side.is_(None),
                            ANSWER.c.poll_id.in_(open_polls),
                        )
                        .values(side=side.value, updated_at=at)
                    )
        return adopted

    # --- groups mapped to sides ---------------------------------------------------------

    async def map_group(self, *, mapping: GroupSide, at: datetime) -> None:
        values = {"label": mapping.group.label[:200], "side": mapping.side.value}
        async with self._tx(write=True) as conn:
            await conn.execute(
                self._upsert(GROUP_SIDE)
                .values(
                    platform=mapping.platform,
                    workspace_id=mapping.workspace_id,
                    group_id=mapping.group.id,
                    created_at=at,
                    **values,
                )
                .on_conflict_do_update(
                    index_elements=["platform", "workspace_id", "group_id"], set_=values
                )
            )

    async def unmap_group(self, *, platform: str, workspace_id: str, group_id: str) -> bool:
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                delete(GROUP_SIDE).where(
                    GROUP_SIDE.c.platform == platform,
                    GROUP_SIDE.c.workspace_id == workspace_id,
                    GROUP_SIDE.c.group_id == group_id,
                )
            )
        return bool(result.rowcount)

    async def group_sides(self, *, platform: str, workspace_id: str) -> list[GroupSide]:
        async with self._tx() as conn:
            rows = await conn.execute(
                select(GROUP_SIDE.c.group_id, GROUP_SIDE.c.label, GROUP_SIDE.c.side)
                .where(GROUP_SIDE.c.platform == platform, GROUP_SIDE.c.workspace_id == workspace_id)
                .order_by(GROUP_SIDE.c.id)
            )
            return [
                GroupSide(platform, workspace_id, Group(r.group_id, r.label), Side(r.side))
                for r in rows
            ]

    async def forget(self, *, respondent: str) -> ForgetReport:
        async with self._tx(write=True) as conn:
            await self._forget_fingerprints(conn, respondent=respondent)
            answers = await conn.execute(delete(ANSWER).where(ANSWER.c.respondent == respondent))
            side = await conn.execute(delete(SIDE).where(SIDE.c.respondent == respondent))
            await conn.execute(delete(DELIVERY).where(DELIVERY.c.recipient == respondent))
        return ForgetReport(answers=int(answers.rowcount or 0), had_side=bool(side.rowcount))

    # --- digest subscriptions -----------------------------------------------------------

    async def subscribe(self, *, person: PersonRef, at: datetime) -> bool:
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                self._upsert(SUBSCRIPTION)
                .values(
                    platform=person.platform,
                    workspace_id=person.workspace_id,
                    user_id=person.user_id,
                    created_at=at,
                )
                .on_conflict_do_nothing(index_elements=["platform", "workspace_id", "user_id"])
            )
        return bool(result.rowcount)

    async def unsubscribe(self, *, person: PersonRef) -> bool:
        async with self._tx(write=True) as conn:
            result = await conn.execute(delete(SUBSCRIPTION).where(*_person_key(person)))
        return bool(result.rowcount)

    async def is_subscribed(self, *, person: PersonRef) -> bool:
        async with self._tx() as conn:
            row = (
                await conn.execute(select(SUBSCRIPTION.c.id).where(*_person_key(person)))
            ).first()
        return row is not None

    async def subscribers(self) -> list[PersonRef]:
        async with self._tx() as conn:
            rows = (await conn.execute(select(SUBSCRIPTION).order_by(SUBSCRIPTION.c.id))).all()
        return [PersonRef(r.platform, r.workspace_id, r.user_id) for r in rows]

    # --- conversation references --------------------------------------------------------

    async def save_conversation(
        self,
        *,
        platform: str,
        workspace_id: str,
        key: str,
        reference: Mapping[str, Any],
        at: datetime,
    ) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                self._upsert(CONVERSATION)
                .values(
                    platform=platform,
                    workspace_id=workspace_id,
                    key=key,
                    reference=dict(reference),
                    updated_at=at,
                    gone_at=None,
                )
                .on_conflict_do_update(
                    index_elements=["platform", "workspace_id", "key"],
                    set_={"reference": dict(reference), "updated_at": at, "gone_at": None},
                )
            )

    async def get_conversation(
        self, *, platform: str, workspace_id: str, key: str
    ) -> dict[str, Any] | None:
        async with self._tx() as conn:
            row = (
                await conn.execute(
                    select(CONVERSATION.c.reference).where(
                        CONVERSATION.c.platform == platform,
                        CONVERSATION.c.workspace_id == workspace_id,
                        CONVERSATION.c.key == key,
                        CONVERSATION.c.gone_at.is_(None),
                    )
                )
            ).first()
        return dict(row.reference) if row else None

    async def mark_conversation_gone(
        self, *, platform: str, workspace_id: str, key: str, at: datetime
    ) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                update(CONVERSATION)
                .where(
                    CONVERSATION.c.platform == platform,
                    CONVERSATION.c.workspace_id == workspace_id,
                    CONVERSATION.c.key == key,
                )
                .values(gone_at=at)
            )

    # --- step claims and deliveries -----------------------------------------------------

    async def claim(self, *, scope: str, step: str, period: str, by: str, at: datetime) -> bool:
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                self._upsert(CLAIM)
                .values(
                    scope=scope,
                    step=step,
                    period=period,
                    claimed_by=by,
                    claimed_at=at,
                )
                .on_conflict_do_nothing(index_elements=["scope", "step", "period"])
            )
        return bool(result.rowcount)

    async def complete(self, *, scope: str, step: str, period: str, at: datetime) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                update(CLAIM).where(*_claim_key(scope, step, period)).values(completed_at=at)
            )

    async def is_complete(self, *, scope: str, step: str, period: str) -> bool:
        async with self._tx() as conn:
            done = (
                await conn.execute(
                    select(CLAIM.c.completed_at).where(*_claim_key(scope, step, period))
                )
            ).scalar_one_or_none()
        return done is not None

    async def record_delivery(
        self, *, scope: str, step: str, period: str, recipient: str, at: datetime
    ) -> bool:
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                self._upsert(DELIVERY)
                .values(
                    scope=scope,
                    step=step,
                    period=period,
                    recipient=recipient,
                    delivered_at=at,
                )
                .on_conflict_do_nothing(index_elements=["scope", "step", "period", "recipient"])
            )
        return bool(result.rowcount)

    async def deliveries(self, *, scope: str, step: str, period: str) -> set[str]:
        async with self._tx() as conn:
            rows = (
                (
                    await conn.execute(
                        select(DELIVERY.c.recipient).where(
                            DELIVERY.c.scope == scope,
                            DELIVERY.c.step == step,
                            DELIVERY.c.period == period,
                        )
                    )
                )
                .scalars()
                .all()
            )
        return set(rows)

    async def take_over(
        self,
        *,
        scope: str,
        step: str,
        period: str,
        by: str,
        at: datetime,
        stale_before: datetime,
        held_by: str | None = None,
    ) -> bool:
        stale = CLAIM.c.claimed_at < stale_before
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                update(CLAIM)
                .where(
                    *_claim_key(scope, step, period),
                    CLAIM.c.completed_at.is_(None),
                    stale if held_by is None else or_(stale, CLAIM.c.claimed_by == held_by),
                )
                .values(claimed_by=by, claimed_at=at)
            )
        return bool(result.rowcount)

    async def holder(self, *, scope: str, step: str, period: str) -> str | None:
        async with self._tx() as conn:
            found = (
                await conn.execute(
                    select(CLAIM.c.claimed_by).where(
                        *_claim_key(scope, step, period), CLAIM.c.completed_at.is_(None)
                    )
                )
            ).scalar_one_or_none()
        return str(found) if found is not None else None

    async def renew(self, *, scope: str, step: str, period: str, by: str, at: datetime) -> bool:
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                update(CLAIM)
                .where(
                    *_claim_key(scope, step, period),
                    CLAIM.c.claimed_by == by,
                    CLAIM.c.completed_at.is_(None),
                )
                .values(claimed_at=at)
            )
        return bool(result.rowcount)

    async def release(self, *, scope: str, step: str, period: str, by: str) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                delete(CLAIM).where(
                    *_claim_key(scope, step, period),
                    CLAIM.c.claimed_by == by,
                    CLAIM.c.completed_at.is_(None),
                )
            )

    async def forget_delivery(self, *, scope: str, step: str, period: str, recipient: str) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                delete(DELIVERY).where(
                    DELIVERY.c.scope == scope,
                    DELIVERY.c.step == step,
                    DELIVERY.c.period == period,
                    DELIVERY.c.recipient == recipient,
                )
            )

    async def forget_claims(self, *, step: str, claimed_before: datetime) -> int:
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                delete(CLAIM).where(CLAIM.c.step == step, CLAIM.c.claimed_at < claimed_before)
            )
        return int(result.rowcount)

    # --- schedule -----------------------------------------------------------------------

    def _active(self) -> tuple[Any, ...]:
        return (CHANNEL.c.schedule_weekday.is_not(None), CHANNEL.c.paused.is_(False))

    async def set_next_open(self, *, channel_id: int, at: datetime | None) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                update(CHANNEL).where(CHANNEL.c.id == channel_id).values(next_open_at=at)
            )

    async def advance_next_open(self, *, channel_id: int, handled: datetime, to: datetime) -> bool:
        async with self._tx(write=True) as conn:
            result = await conn.execute(
                update(CHANNEL)
                .where(CHANNEL.c.id == channel_id, CHANNEL.c.next_open_at <= handled)
                .values(next_open_at=to)
            )
        return bool(result.rowcount)

    async def due_opens(self, *, now: datetime) -> list[DueOpen]:
        due = (CHANNEL.c.next_open_at.is_(None)) | (CHANNEL.c.next_open_at <= now)
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    self._channel_query()
                    .where(*self._active(), due)
                    .order_by(CHANNEL.c.next_open_at, CHANNEL.c.id)
                )
            ).all()
        return [DueOpen(_channel(r), r.next_open_at) for r in rows]

    async def due_reminders(self, *, closing_before: datetime) -> list[Poll]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(POLL)
                    .where(
                        POLL.c.closed_at.is_(None),
                        POLL.c.reminded_at.is_(None),
                        POLL.c.closes_at <= closing_before,
                    )
                    .order_by(POLL.c.closes_at, POLL.c.id)
                )
            ).all()
        return [_poll(r) for r in rows]

    async def mark_reminded(self, *, poll_id: int, at: datetime) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                update(POLL)
                .where(POLL.c.id == poll_id, POLL.c.reminded_at.is_(None))
                .values(reminded_at=at)
            )

    async def unfinished_polls(self) -> list[Poll]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(POLL)
                    .where(POLL.c.closed_at.is_not(None), POLL.c.finished_at.is_(None))
                    .order_by(POLL.c.closed_at, POLL.c.id)
                )
            ).all()
        return [_poll(r) for r in rows]

    async def mark_finished(self, *, poll_id: int, at: datetime) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                update(POLL)
                .where(POLL.c.id == poll_id, POLL.c.finished_at.is_(None))
                .values(finished_at=at)
            )

    async def horizon(self) -> Horizon:
        open_polls = POLL.c.closed_at.is_(None)
        async with self._tx() as conn:
            next_open = (
                await conn.execute(select(func.min(CHANNEL.c.next_open_at)).where(*self._active()))
            ).scalar_one()
            unset = (
                await conn.execute(
                    select(CHANNEL.c.id)
                    .where(*self._active(), CHANNEL.c.next_open_at.is_(None))
                    .limit(1)
                )
            ).first()
            next_close = (
                await conn.execute(select(func.min(POLL.c.closes_at)).where(open_polls))
            ).scalar_one()
            next_reminder = (
                await conn.execute(
                    select(func.min(POLL.c.closes_at)).where(
                        open_polls, POLL.c.reminded_at.is_(None)
                    )
                )
            ).scalar_one()
            unfinished = (
                await conn.execute(
                    select(POLL.c.id)
                    .where(POLL.c.closed_at.is_not(None), POLL.c.finished_at.is_(None))
                    .limit(1)
                )
            ).first()
        return Horizon(
            next_open=_aware(next_open),
            next_close=_aware(next_close),
            next_reminder_close=_aware(next_reminder),
            pending=unset is not None or unfinished is not None,
        )

    async def workspaces_closed_since(self, *, since: datetime) -> list[tuple[str, str]]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(WORKSPACE.c.platform, WORKSPACE.c.external_id)
                    .distinct()
                    .select_from(
                        POLL.join(CHANNEL, CHANNEL.c.id == POLL.c.channel_id).join(
                            WORKSPACE, WORKSPACE.c.id == CHANNEL.c.workspace_id
                        )
                    )
                    .where(POLL.c.closed_at > since)
                    .order_by(WORKSPACE.c.platform, WORKSPACE.c.external_id)
                )
            ).all()
        return [(r.platform, r.external_id) for r in rows]

    async def workspace_polls(
        self, *, platform: str, workspace_id: str, opened_since: datetime
    ) -> list[Poll]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    select(POLL)
                    .select_from(
                        POLL.join(CHANNEL, CHANNEL.c.id == POLL.c.channel_id).join(
                            WORKSPACE, WORKSPACE.c.id == CHANNEL.c.workspace_id
                        )
                    )
                    .where(
                        WORKSPACE.c.platform == platform,
                        WORKSPACE.c.external_id == workspace_id,
                        POLL.c.opened_at >= opened_since,
                    )
                    .order_by(POLL.c.opened_at, POLL.c.id)
                )
            ).all()
        return [_poll(r) for r in rows]

    # --- nudges -------------------------------------------------------------------------

    async def record_nudge(self, *, nudge: NudgeRecord) -> None:
        async with self._tx(write=True) as conn:
            await conn.execute(
                insert(NUDGE).values(
                    channel_id=nudge.channel_id,
                    poll_id=nudge.poll_id,
                    nudge_id=nudge.nudge_id,
                    imperative=nudge.imperative,
                    metric=nudge.metric,
                    value=nudge.value,
                    created_at=nudge.created_at,
                )
            )

    async def nudges_since(self, *, channel_id: int, since: datetime) -> list[NudgeRecord]:
        return (await self.nudges_since_many(channel_ids=[channel_id], since=since))[channel_id]

    async def nudges_since_many(
        self, *, channel_ids: Sequence[int], since: datetime
    ) -> dict[int, list[NudgeRecord]]:
        found: dict[int, list[NudgeRecord]] = {c: [] for c in channel_ids}
        async with self._tx() as conn:
            for chunk in _chunks(list(channel_ids)):
                rows = await conn.execute(
                    select(NUDGE)
                    .where(NUDGE.c.channel_id.in_(chunk), NUDGE.c.created_at >= since)
                    .order_by(NUDGE.c.created_at, NUDGE.c.id)
                )
                for r in rows:
                    found[r.channel_id].append(
                        NudgeRecord(
                            r.channel_id,
                            r.poll_id,
                            r.nudge_id,
                            r.imperative,
                            r.metric,
                            r.value,
                            r.created_at,
                        )
                    )
        return found

    # --- disclosure (the differencing guard's memory of an open poll) ---------------------

    async def disclosure(self, *, poll_id: int) -> DisclosureState | None:
        async with self._tx() as conn:
            row = (
                await conn.execute(select(DISCLOSURE).where(DISCLOSURE.c.poll_id == poll_id))
            ).first()
        return DisclosureState.from_dict(row.state, version=row.version) if row else None

    async def disclosures(self, *, poll_ids: Sequence[int]) -> dict[int, DisclosureState]:
        found: dict[int, DisclosureState] = {}
        async with self._tx() as conn:
            for chunk in _chunks(list(poll_ids)):
                rows = await conn.execute(select(DISCLOSURE).where(DISCLOSURE.c.poll_id.in_(chunk)))
                for row in rows:
                    found[row.poll_id] = DisclosureState.from_dict(row.state, version=row.version)
        return found

    async def save_disclosure(
        self, *, poll_id: int, state: DisclosureState, expected_version: int, at: datetime
    ) -> bool:
        saved = await self.save_disclosures(changes=[(poll_id, state, expected_version)], at=at)
        return poll_id in saved

    async def save_disclosures(
        self, *, changes: Sequence[tuple[int, DisclosureState, int]], at: datetime
    ) -> set[int]:
        saved: set[int] = set()
        async with self._tx(write=True) as conn:
            for poll_id, state, expected in changes:
                values = {"state": state.to_dict(), "version": expected + 1, "updated_at": at}
                statement: Any
                if expected == 0:
                    statement = (
                        self._upsert(DISCLOSURE)
                        .values(poll_id=poll_id, **values)
                        .on_conflict_do_nothing(index_elements=["poll_id"])
                    )
                else:
                    statement = (
                        update(DISCLOSURE)
                        .where(DISCLOSURE.c.poll_id == poll_id, DISCLOSURE.c.version == expected)
                        .values(**values)
                    )
                if (await conn.execute(statement)).rowcount:
                    saved.add(poll_id)
        return saved

    async def _forget_fingerprints(self, conn: Any, *, respondent: str) -> None:
        """In the forget-me transaction: the guard's fingerprints of the person's answers to
        open polls go at once (DESIGN.md, Privacy), not when those polls close. Only polls the
        person answered can hold them: fingerprints are taken from stored answers."""
        answered = select(ANSWER.c.poll_id).where(ANSWER.c.respondent == respondent).distinct()
        rows = (
            await conn.execute(select(DISCLOSURE).where(DISCLOSURE.c.poll_id.in_(answered)))
        ).all()
        for row in rows:
            state = DisclosureState.from_dict(row.state, version=row.version)
            scrubbed = state.forgetting(poll_id=row.poll_id, respondent=respondent)
            if scrubbed is state:
                continue
            # the version moves on, so a replica's compare-and-set of the old state fails
            await conn.execute(
                update(DISCLOSURE)
                .where(DISCLOSURE.c.poll_id == row.poll_id)
                .values(state=scrubbed.to_dict(), version=row.version + 1)
            )

    async def take_disclosure(self, *, poll_id: int) -> DisclosureState | None:
        async with self._tx(write=True) as conn:
            row = (
                await conn.execute(
                    delete(DISCLOSURE)
                    .where(DISCLOSURE.c.poll_id == poll_id)
                    .returning(DISCLOSURE.c.state, DISCLOSURE.c.version)
                )
            ).first()
        return DisclosureState.from_dict(row.state, version=row.version) if row else None


def _chunks(items: list[T], size: int = 500) -> Iterator[list[T]]:
    """Keep IN lists well under SQLite's and asyncpg's parameter limits."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _answer(row: Any) -> AnswerRecord:
    return AnswerRecord(row.respondent, SIDES[row.side], row.question_id, row.value)


def _history_item(row: Any) -> PollHistoryItem:
    """A row of HISTORY (positional: a trend reads thousands of them at once)."""
    (id_, channel_id, number, qset, version, rotating, opened, closes, closed, *rest) = row
    period, message_ref, timezone, score, k, result = rest
    poll = Poll(
        id_,
        channel_id,
        number,
        qset,
        version,
        rotating,
        _utc(opened),
        _utc(closes),
        _utc(closed) if closed is not None else None,
        period,
        message_ref,
        timezone,
    )
    if result is None or closed is None:
        return PollHistoryItem(poll, None)
    return PollHistoryItem(poll, PollResult.stored(k, score, partial(orjson.loads, result)))


def _number(item: PollHistoryItem) -> int:
    return item.poll.number


def _utc(moment: datetime | str) -> datetime:
    """PostgreSQL hands back aware UTC times; SQLite keeps UTC as text without an offset."""
    if isinstance(moment, datetime):
        return moment
    try:
        return datetime.fromisoformat(moment + "+00:00")
    except ValueError:  # written with an offset after all
        return datetime.fromisoformat(moment).astimezone(UTC)


def _utcnow() -> datetime:
    """Bookkeeping timestamps (created/updated); product times come from the core's clock."""
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """Aggregates (min) bypass the column type, so SQLite hands back text or naive values."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _person_key(person: PersonRef) -> tuple[Any, ...]:
    return (
        SUBSCRIPTION.c.platform == person.platform,
        SUBSCRIPTION.c.workspace_id == person.workspace_id,
        SUBSCRIPTION.c.user_id == person.user_id,
    )


def _claim_key(scope: str, step: str, period: str) -> tuple[Any, ...]:
    return (CLAIM.c.scope == scope, CLAIM.c.step == step, CLAIM.c.period == period)


def _channel(row: Row[Any]) -> Channel:
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


def _poll(row: Row[Any]) -> Poll:
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
