"""Groups mapped to sides: an admin maps a whole Slack user group or Teams team to a side."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from bot.cards import Card
from bot.commands.parsing import quoted
from bot.context import Deps
from bot.domain import Actor, Channel, Group, GroupSide, PersonRef, Side
from bot.errors import StoreUnavailable
from bot.people import group_views as views
from bot.ports import GroupDirectory, GroupStore, SideStore

log = logging.getLogger(__name__)

#: How long a group's member list is trusted before the platform is asked again.
MEMBERS_TTL_SECONDS = 300.0


class GroupService:
    """Mapping never overrides a side someone chose (`pulse join` always wins): at mapping
    time the group's members without a side get it, and a member who answers later without a
    side gets it then (instead of being asked to pick one)."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._groups: GroupStore = deps.repo
        self._sides: SideStore = deps.repo
        self._members: dict[_Key, tuple[float, frozenset[str]]] = {}
        #: people found in no fresh member list, so their next clicks don't ask again
        self._absent: dict[tuple[_Key, str], float] = {}

    def _directory(self, platform: str) -> GroupDirectory | None:
        messenger = self._deps.messengers.get(platform)
        return messenger if isinstance(messenger, GroupDirectory) else None

    async def _find(self, channel: Channel, name: str) -> tuple[GroupDirectory, Group] | Card:
        """The directory and the group `name` means, or the card saying why there is none."""
        directory = self._directory(channel.ref.platform)
        if directory is None:
            return views.not_available()
        group = await directory.find_group(channel=channel, name=name)
        if group is None:
            return views.no_such_group(quoted(name), hint=directory.group_hint)
        return directory, group

    async def map(self, channel: Channel, name: str, side: Side) -> Card:
        found = await self._find(channel, name)
        if isinstance(found, Card):
            return found
        (directory, group), ref, deps = found, channel.ref, self._deps
        mapping = GroupSide(ref.platform, ref.workspace_id, group, side)
        await self._groups.map_group(mapping=mapping, at=deps.clock.now())
        members = await self._fresh_members(directory, mapping)
        people = [deps.hasher.of(PersonRef(ref.platform, ref.workspace_id, u)) for u in members]
        adopted = await self._groups.adopt_sides(respondents=people, side=side, at=deps.clock.now())
        return views.mapped(mapping, members=len(members), adopted=adopted)

    async def unmap(self, channel: Channel, name: str) -> Card:
        found = await self._find(channel, name)
        if isinstance(found, Card):
            return found
        (_, group), ref = found, channel.ref
        removed = await self._groups.unmap_group(
            platform=ref.platform, workspace_id=ref.workspace_id, group_id=group.id
        )
        return views.unmapped(group.label, found=removed)

    async def listing(self, channel: Channel) -> Card:
        ref = channel.ref
        mappings = await self._groups.group_sides(
            platform=ref.platform, workspace_id=ref.workspace_id
        )
        return views.listing(mappings)

    async def adopt(self, actor: Actor) -> Side | None:
        """The side of the first mapped group `actor` is in, now given to them (None if none,
        or if the platform could not say: the person is then asked, as without groups)."""
        directory = self._directory(actor.platform)
        if directory is None:
            return None
        deps = self._deps
        for mapping in await self._groups.group_sides(
            platform=actor.platform, workspace_id=actor.workspace_id
        ):
            try:
                member = await self._is_member(directory, mapping, actor.user_id)
            except StoreUnavailable:
                raise
            except Exception:  # the vote is stored; asking for a side is the safe answer
                log.warning("members of group %s unavailable", mapping.group.id, exc_info=True)
                continue
            if member:
                respondent, now = deps.hasher.of(actor), deps.clock.now()
                if await self._groups.adopt_sides(
                    respondents=[respondent], side=mapping.side, at=now
                ):
                    return mapping.side
                # they chose a side in the meantime: theirs wins
                return await self._sides.side_of(respondent=respondent)
        return None

    async def _is_member(self, directory: GroupDirectory, mapping: GroupSide, user: str) -> bool:
        """From the cached member list when it has them; otherwise from a fresh one (people
        join groups), asked once per person and group within the TTL."""
        key, now = _key(mapping), time.monotonic()
        cached = self._members.get(key)
        if cached is not None and now - cached[0] < MEMBERS_TTL_SECONDS and user in cached[1]:
            return True
        if now - self._absent.get((key, user), -MEMBERS_TTL_SECONDS) < MEMBERS_TTL_SECONDS:
            return False
        if user in await self._fresh_members(directory, mapping):
            return True
        if len(self._absent) >= _MAX_ABSENT:
            self._absent.clear()
        self._absent[(key, user)] = now
        return False

    async def _fresh_members(self, directory: GroupDirectory, mapping: GroupSide) -> Sequence[str]:
        members = await directory.group_members(
            workspace_id=mapping.workspace_id, group_id=mapping.group.id
        )
        self._members[_key(mapping)] = (time.monotonic(), frozenset(members))
        return members


_Key = tuple[str, str, str]
_MAX_ABSENT = 10_000


def _key(mapping: GroupSide) -> _Key:
    return (mapping.platform, mapping.workspace_id, mapping.group.id)
