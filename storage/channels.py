"""Channels: created on first sight, configured, paused, listed per workspace."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from bot.domain import Channel, ChannelRef, Schedule
from storage.base import CHANNEL, WORKSPACE, RepositoryBase, channel_from, channel_query, utcnow


class SqlChannels(RepositoryBase):
    """`ChannelStore` over SQL."""

    async def ensure_channel(self, *, ref: ChannelRef, name: str = "") -> Channel:
        found = await self.find_channel(ref=ref)
        if found is not None and (not name or found.name == name):
            return found
        now = utcnow()
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

    async def find_channel(self, *, ref: ChannelRef) -> Channel | None:
        async with self._tx() as conn:
            row = (
                await conn.execute(
                    channel_query().where(
                        WORKSPACE.c.platform == ref.platform,
                        WORKSPACE.c.external_id == ref.workspace_id,
                        CHANNEL.c.external_id == ref.channel_id,
                    )
                )
            ).first()
        return channel_from(row) if row else None

    async def get_channel(self, *, channel_id: int) -> Channel | None:
        async with self._tx() as conn:
            row = (await conn.execute(channel_query().where(CHANNEL.c.id == channel_id))).first()
        return channel_from(row) if row else None

    async def configure_channel(
        self, *, channel_id: int, schedule: Schedule | None, owner_user_id: str | None
    ) -> Channel:
        values: dict[str, Any] = {"owner_user_id": owner_user_id, "updated_at": utcnow()}
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
                .values(paused=paused, updated_at=utcnow())
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
                    channel_query()
                    .where(CHANNEL.c.schedule_weekday.is_not(None), CHANNEL.c.paused.is_(False))
                    .order_by(CHANNEL.c.id)
                )
            ).all()
        return [channel_from(r) for r in rows]

    async def workspace_channels(self, *, platform: str, workspace_id: str) -> list[Channel]:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    channel_query()
                    .where(
                        WORKSPACE.c.platform == platform, WORKSPACE.c.external_id == workspace_id
                    )
                    .order_by(CHANNEL.c.name, CHANNEL.c.id)
                )
            ).all()
        return [channel_from(r) for r in rows]
