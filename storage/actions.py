"""The action store: a summary's next steps and what became of them (`bot.ports.ActionStore`).

A mixin of `SqlRepository`, which supplies the transaction (`_tx`) and the dialect's upsert.
Every change of state is one conditional UPDATE, so of two clicks (a double click, a retry, two
replicas) exactly one moves an action and the other is told it already moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import ActionState, PersonRef
from bot.ports import ActionOwner, ActionRecord, NudgeRecord
from storage.base import CHANNEL, WORKSPACE
from storage.models import ActionRow

ACTION: Table = ActionRow.__table__  # type: ignore[attr-defined]
_TEXT_CHARS = 400


class ActionRepository:
    """`ActionStore` over the `action` table."""

    def _tx(self, *, write: bool = False) -> AbstractAsyncContextManager[AsyncConnection]:
        raise NotImplementedError  # SqlRepository's

    def _upsert(self, table: Table) -> Any:
        raise NotImplementedError  # SqlRepository's

    async def offer_action(
        self, *, nudge: NudgeRecord, text: str, replaces: int | None = None
    ) -> ActionRecord:
        key = (
            ACTION.c.channel_id == nudge.channel_id,
            ACTION.c.poll_id == nudge.poll_id,
            ACTION.c.nudge_id == nudge.nudge_id,
        )
        async with self._tx(write=True) as conn:
            await conn.execute(
                self._upsert(ACTION)
                .values(
                    channel_id=nudge.channel_id,
                    poll_id=nudge.poll_id,
                    nudge_id=nudge.nudge_id,
                    imperative=nudge.imperative,
                    metric=nudge.metric,
                    value=nudge.value,
                    text=text[:_TEXT_CHARS],
                    state=ActionState.OFFERED.value,
                    owner_name="",
                    replaces=replaces,
                    created_at=nudge.created_at,
                    updated_at=nudge.created_at,
                )
                .on_conflict_do_nothing(index_elements=["channel_id", "poll_id", "nudge_id"])
            )
            row = (await conn.execute(select(ACTION).where(*key))).one()
        return _action(row)

    async def get_action(self, *, action_id: int) -> ActionRecord | None:
        async with self._tx() as conn:
            row = (await conn.execute(select(ACTION).where(ACTION.c.id == action_id))).first()
        return _action(row) if row else None

    async def replacement_of(self, *, action_id: int) -> ActionRecord | None:
        async with self._tx() as conn:
            row = (
                await conn.execute(
                    select(ACTION).where(ACTION.c.replaces == action_id).order_by(ACTION.c.id)
                )
            ).first()
        return _action(row) if row else None

    async def move_action(
        self,
        *,
        action_id: int,
        expected: Sequence[ActionState],
        state: ActionState,
        at: datetime,
        owner: ActionOwner | None = None,
    ) -> bool:
        values: dict[str, Any] = {"state": state.value, "updated_at": at}
        if owner is not None:
            values |= {"owner_user_id": owner.user_id, "owner_name": owner.name[:100]}
        async with self._tx(write=True) as conn:
            moved = await conn.execute(
                update(ACTION)
                .where(ACTION.c.id == action_id, ACTION.c.state.in_([s.value for s in expected]))
                .values(**values)
            )
        return bool(moved.rowcount)

    async def channel_actions(self, *, channel_id: int, since: datetime) -> list[ActionRecord]:
        async with self._tx() as conn:
            rows = await conn.execute(
                select(ACTION)
                .where(ACTION.c.channel_id == channel_id, ACTION.c.created_at >= since)
                .order_by(ACTION.c.created_at, ACTION.c.id)
            )
            return [_action(r) for r in rows]

    async def open_actions(
        self, *, channel_ids: Sequence[int], since: datetime
    ) -> list[ActionRecord]:
        """The taken-on actions (taken on, or "not yet") of many channels, in one read."""
        if not channel_ids:
            return []
        open_states = [ActionState.TAKEN.value, ActionState.NOT_YET.value]
        async with self._tx() as conn:
            rows = await conn.execute(
                select(ACTION)
                .where(
                    ACTION.c.channel_id.in_(list(channel_ids)),
                    ACTION.c.created_at >= since,
                    ACTION.c.state.in_(open_states),
                )
                .order_by(ACTION.c.created_at, ACTION.c.id)
            )
            return [_action(r) for r in rows]

    async def forget_owner(self, *, person: PersonRef) -> int:
        """forget-me: the person's id and name leave every action they took on in their
        workspace (the actions stay, owned by nobody, so nobody asks them "Done?")."""
        channels = (
            select(CHANNEL.c.id)
            .join(WORKSPACE, WORKSPACE.c.id == CHANNEL.c.workspace_id)
            .where(
                WORKSPACE.c.platform == person.platform,
                WORKSPACE.c.external_id == person.workspace_id,
            )
        )
        async with self._tx(write=True) as conn:
            done = await conn.execute(
                update(ACTION)
                .where(ACTION.c.owner_user_id == person.user_id, ACTION.c.channel_id.in_(channels))
                .values(owner_user_id=None, owner_name="")
            )
        return int(done.rowcount or 0)

    async def actions_to_ask(self, *, channel_id: int) -> list[ActionRecord]:
        async with self._tx() as conn:
            rows = await conn.execute(
                select(ACTION)
                .where(
                    ACTION.c.channel_id == channel_id,
                    ACTION.c.state == ActionState.TAKEN.value,
                    ACTION.c.asked_poll_id.is_(None),
                )
                .order_by(ACTION.c.created_at, ACTION.c.id)
            )
            return [_action(r) for r in rows]

    async def mark_asked(self, *, action_ids: Sequence[int], poll_id: int, at: datetime) -> None:
        if not action_ids:
            return
        async with self._tx(write=True) as conn:
            await conn.execute(
                update(ACTION)
                .where(ACTION.c.id.in_(list(action_ids)), ACTION.c.asked_poll_id.is_(None))
                .values(asked_poll_id=poll_id, updated_at=at)
            )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _action(row: Row[Any]) -> ActionRecord:
    return ActionRecord(
        id=row.id,
        channel_id=row.channel_id,
        poll_id=row.poll_id,
        nudge_id=row.nudge_id,
        imperative=row.imperative,
        metric=row.metric,
        value=float(row.value),
        text=row.text,
        state=ActionState(row.state),
        created_at=_aware(row.created_at),
        owner_user_id=row.owner_user_id,
        owner_name=row.owner_name,
        replaces=row.replaces,
        asked_poll_id=row.asked_poll_id,
    )
