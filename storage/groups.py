"""Platform groups mapped to a side, and giving their members that side."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select, update

from bot.domain import Group, GroupSide, Side
from storage.base import ANSWER, GROUP_SIDE, POLL, SIDE, RepositoryBase, chunks


class SqlGroups(RepositoryBase):
    """`GroupStore` over SQL."""

    async def adopt_sides(self, *, respondents: Iterable[str], side: Side, at: datetime) -> int:
        wanted = sorted(set(respondents))
        open_polls = select(POLL.c.id).where(POLL.c.closed_at.is_(None))
        adopted = 0
        async with self._tx(write=True) as conn:
            for chunk in chunks(wanted):
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
