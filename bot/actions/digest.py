"""What the manager's digest shows of a channel's actions: who took on which step (its
`FollowUps`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from bot.context import Deps
from bot.ports import ActionStore

#: Actions taken on within this many days are listed as open in the digest.
OPEN_FOR = timedelta(days=28)


class DigestActions:
    """The channels' open actions, one line each: "Maya: <the step> (taken on)"."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._store: ActionStore = deps.repo

    async def open_actions(self, *, channel_ids: Sequence[int]) -> Mapping[int, Sequence[str]]:
        since = self._deps.clock.now() - OPEN_FOR
        found: dict[int, list[str]] = {}
        for action in await self._store.open_actions(channel_ids=channel_ids, since=since):
            who = action.owner_name or "someone"
            found.setdefault(action.channel_id, []).append(
                f"{who}: {action.text} ({action.state.label})"
            )
        return found
