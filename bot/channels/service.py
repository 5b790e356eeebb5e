"""Channel use cases: who administers a channel, setup, pause, resume, status, and opening or
closing its poll by hand."""

from __future__ import annotations

from bot.cards import Card
from bot.channels import views
from bot.channels.cadence import next_open
from bot.channels.readiness import readiness
from bot.context import Deps
from bot.domain import Actor, Channel, ChannelRef, Schedule
from bot.polls.service import PollService
from bot.ports import (
    AnswerStore,
    ChannelStore,
    DisclosureStore,
    PollStore,
    ScheduleStore,
    WorkspaceAdmins,
)

#: Admin commands that act on the whole workspace rather than one channel.
WORKSPACE_WORDS = frozenset({"map", "unmap"})


class ChannelService:
    def __init__(self, deps: Deps, polls: PollService) -> None:
        self._deps = deps
        self._channels: ChannelStore = deps.repo
        self._polls: PollStore = deps.repo
        self._answers: AnswerStore = deps.repo
        self._disclosures: DisclosureStore = deps.repo
        self._schedule: ScheduleStore = deps.repo
        self._poll_service = polls

    async def resolve(self, ref: ChannelRef, *, name: str = "") -> Channel:
        return await self._channels.ensure_channel(ref=ref, name=name)

    async def admin_refusal(self, actor: Actor, channel: Channel, word: str) -> Card | None:
        """Why the actor may not run the admin command `word` here, or None when they may."""
        if word in WORKSPACE_WORDS:
            # These change sides across the whole workspace, so owning a channel is not enough.
            if await self.is_workspace_admin(actor):
                return None
            platform_admins = self.platform_admins(actor.platform)
            return views.workspace_admin_only(word, platform_admins=platform_admins)
        if await self.is_admin(actor, channel):
            return None
        return views.admin_only(word)

    async def is_admin(self, actor: Actor, channel: Channel) -> bool:
        """Channel admins: whoever first set the channel up (anyone, until someone has), and
        the workspace's admins (`is_workspace_admin`)."""
        if channel.owner_user_id is None or channel.owner_user_id == actor.user_id:
            return True
        return await self.is_workspace_admin(actor)

    async def is_workspace_admin(self, actor: Actor) -> bool:
        """Who may run commands that act on the whole workspace (`pulse map`): a person listed
        in BRIDGEPULSE_ADMINS, or one the platform makes a workspace admin or owner. Setting
        a channel up never makes anyone one: any member can set up a fresh channel."""
        if actor.user_id in self._deps.admins:
            return True
        messenger = self._deps.messengers.get(actor.platform)
        if not isinstance(messenger, WorkspaceAdmins):
            return False
        return await messenger.is_workspace_admin(actor=actor)

    def platform_admins(self, platform: str) -> bool:
        """Whether the platform itself names workspace admins (else only BRIDGEPULSE_ADMINS)."""
        return isinstance(self._deps.messengers.get(platform), WorkspaceAdmins)

    async def setup(self, actor: Actor, channel: Channel, schedule: Schedule) -> Card:
        deps = self._deps
        updated = await self._channels.configure_channel(
            channel_id=channel.id,
            schedule=schedule,
            owner_user_id=channel.owner_user_id or actor.user_id,
        )
        # Setup never opens a poll for a time already past: the first is the next one.
        first_open = next_open(schedule, deps.clock.now())
        await self._schedule.set_next_open(channel_id=channel.id, at=first_open)
        deps.schedule_listener.schedule_changed(updated)
        open_poll = await self._polls.open_poll(channel_id=channel.id)
        return views.setup_done(
            schedule,
            first_open=first_open,
            open_poll=open_poll,
        )

    async def claim(self, actor: Actor, channel: Channel) -> Channel:
        """Make the actor the owner of a channel nobody owns yet (on their first admin action)."""
        if channel.owner_user_id is not None or channel.schedule is not None:
            return channel
        return await self._channels.configure_channel(
            channel_id=channel.id, schedule=None, owner_user_id=actor.user_id
        )

    async def open_now(self, actor: Actor, channel: Channel) -> Card:
        """`pulse now`: open a poll outside the schedule (its own period, so it never takes a
        scheduled one's place); the actor claims a channel nobody owns yet."""
        channel = await self.claim(actor, channel)
        now = self._deps.clock.now()
        poll, opened = await self._poll_service.open(channel, period=f"manual-{now.isoformat()}")
        if poll is None:
            return views.nothing_open()
        zone = channel.schedule.timezone if channel.schedule else "UTC"
        if opened:
            return views.opened(poll, timezone=zone)
        return views.already_open(poll, timezone=zone)

    async def close_now(self, channel: Channel) -> Card:
        """`pulse close`: close the channel's open poll and post its summary."""
        open_poll = await self._polls.open_poll(channel_id=channel.id)
        if open_poll is None or not await self._poll_service.close(open_poll):
            return views.nothing_open()
        return views.closed_now(open_poll)

    async def pause(self, channel: Channel) -> Card:
        if channel.paused:
            return views.paused(already=True)
        updated = await self._channels.set_paused(channel_id=channel.id, paused=True)
        self._deps.schedule_listener.schedule_changed(updated)
        return views.paused(already=False)

    async def resume(self, channel: Channel) -> Card:
        if channel.schedule is None:
            return views.resumed(None, first_open=None)
        updated = await self._channels.set_paused(channel_id=channel.id, paused=False)
        # Like setup, resuming never opens a poll whose time passed while paused.
        first_open = next_open(channel.schedule, self._deps.clock.now())
        await self._schedule.set_next_open(channel_id=channel.id, at=first_open)
        self._deps.schedule_listener.schedule_changed(updated)
        return views.resumed(channel.schedule, first_open=first_open)

    async def status(self, channel: Channel) -> Card:
        deps = self._deps
        open_poll = await self._polls.open_poll(channel_id=channel.id)
        participation = (
            await self._answers.participation(poll_id=open_poll.id) if open_poll else None
        )
        ready = None
        if open_poll is not None and participation is not None:
            # read only: asking for the status takes no "so far" snapshot (only /alignment does)
            answers = await self._answers.answers(poll_id=open_poll.id)
            states = await self._disclosures.disclosures(poll_ids=[open_poll.id])
            qset = deps.question_sets.get(open_poll.question_set, open_poll.question_set_version)
            ready = readiness(
                open_poll,
                qset,
                answers,
                states.get(open_poll.id),
                participation=participation,
                k=deps.k,
            )
        return views.status_card(
            channel,
            channel_label=deps.channel_label(channel),
            open_poll=open_poll,
            participation=participation,
            readiness=ready,
            now=deps.clock.now(),
            k=deps.k,
        )
