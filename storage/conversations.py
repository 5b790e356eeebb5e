"""Conversation references (Teams), kept to message people and channels later."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from storage.base import CONVERSATION, RepositoryBase


class SqlConversations(RepositoryBase):
    """`ConversationStore` over SQL."""

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
