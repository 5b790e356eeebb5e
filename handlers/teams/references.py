"""Conversation references kept in the database, so proactive messages survive restarts.

Keys, per tenant: a channel or chat by its conversation id; ``chat:<user>`` for the 1:1 chat
with a person; ``account:<user>`` for what opening that chat needs (their Teams account id and
the service URL); ``service`` for the tenant's service URL and bot account.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from bot.ports import Clock, ConversationStore
from handlers.teams.activities import PLATFORM

SERVICE = "service"
#: Seconds a reference this process wrote is trusted to be unchanged in the database (another
#: replica may have marked it gone meanwhile).
WRITTEN_TTL = 600.0
#: References remembered at most (least recently written dropped first): bounds memory however
#: many people and chats a tenant has.
WRITTEN_MAX = 5_000


def chat_key(user_id: str) -> str:
    return f"chat:{user_id}"


def account_key(user_id: str) -> str:
    return f"account:{user_id}"


class ConversationBook:
    """Saves and loads references; an unchanged reference is not rewritten on every message."""

    def __init__(self, store: ConversationStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._written: OrderedDict[tuple[str, str], tuple[float, dict[str, Any]]] = OrderedDict()

    async def remember(self, tenant: str, key: str, reference: dict[str, Any]) -> None:
        written = self._written.get((tenant, key))
        if written and written[1] == reference and time.monotonic() - written[0] < WRITTEN_TTL:
            return
        await self._store.save_conversation(
            platform=PLATFORM,
            workspace_id=tenant,
            key=key,
            reference=reference,
            at=self._clock.now(),
        )
        self._written[(tenant, key)] = (time.monotonic(), reference)
        self._written.move_to_end((tenant, key))
        if len(self._written) > WRITTEN_MAX:
            self._written.popitem(last=False)

    async def recall(self, tenant: str, key: str) -> dict[str, Any] | None:
        return await self._store.get_conversation(platform=PLATFORM, workspace_id=tenant, key=key)

    async def gone(self, tenant: str, key: str) -> None:
        """Record that the bot can no longer reach this conversation (removed or blocked)."""
        self._written.pop((tenant, key), None)
        await self._store.mark_conversation_gone(
            platform=PLATFORM, workspace_id=tenant, key=key, at=self._clock.now()
        )
