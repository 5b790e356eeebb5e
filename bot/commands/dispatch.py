"""Route a parsed command to its use case and wrap the answer as a reply."""

from __future__ import annotations

from bot.channels import views as channel_views
from bot.channels.service import ChannelService
from bot.commands.help import help_card
from bot.commands.parsing import (
    ADMIN_WORDS,
    Alignment,
    Command,
    Digest,
    Invalid,
    Join,
    MapGroup,
    Setup,
    Simple,
    UnmapGroup,
)
from bot.context import Deps
from bot.digest.service import DigestService
from bot.domain import Actor, Channel, Visibility
from bot.export.service import ExportService
from bot.people.groups import GroupService
from bot.people.service import PeopleService
from bot.polls.service import PollService
from bot.reply import Reply
from bot.score.results import ResultService
from bot.score.views import explain_card, score_card


class Dispatcher:
    def __init__(
        self,
        deps: Deps,
        *,
        results: ResultService,
        polls: PollService,
        channels: ChannelService,
        people: PeopleService,
        digests: DigestService,
        exports: ExportService,
        groups: GroupService,
    ) -> None:
        self._deps = deps
        self._results = results
        self._polls = polls
        self._channels = channels
        self._people = people
        self._digests = digests
        self._exports = exports
        self._groups = groups

    async def run(self, actor: Actor, channel: Channel, command: Command, *, prefix: str) -> Reply:
        word = _admin_word(command)
        if word in WORKSPACE_WORDS:
            # These change sides across the whole workspace, so owning a channel is not enough.
            if not await self._channels.is_workspace_admin(actor):
                platform_admins = self._channels.platform_admins(actor.platform)
                card = channel_views.workspace_admin_only(
                    word, prefix=prefix, platform_admins=platform_admins
                )
                return Reply(card)
            return await self._admin(actor, channel, command, prefix=prefix)
        if word is not None:
            if not await self._channels.is_admin(actor, channel):
                return Reply(channel_views.admin_only(word, prefix=prefix))
            return await self._admin(actor, channel, command, prefix=prefix)
        match command:
            case Invalid(reason=reason):
                return Reply(help_card(prefix=prefix, reason=reason or _unknown()))
            case Alignment(explain=True):
                return Reply(explain_card(k=self._deps.k, prefix=prefix))
            case Alignment():
                report = await self._results.report(channel)
                zone = channel.schedule.timezone if channel.schedule else "UTC"
                return Reply(
                    score_card(
                        report,
                        channel_label=self._deps.channel_label(channel),
                        timezone=zone,
                        prefix=prefix,
                    )
                )
            case Join(side=side):
                return Reply(await self._people.join(actor, side))
            case Digest(action="now"):
                return Reply(await self._digests.send_now(actor, prefix=prefix))
            case Digest(action=action):
                return Reply(await self._people.subscribe(actor, on=action == "on"))
            case Simple(word="forget-me"):
                return Reply(await self._people.forget(actor))
            case Simple(word="status"):
                return Reply(await self._channels.status(channel, prefix=prefix))
            case Simple(word="groups"):
                return Reply(await self._groups.listing(channel, prefix=prefix))
            case Simple(word="actions"):
                return Reply(await self._polls.actions.listing(channel, prefix=prefix))
        return Reply(help_card(prefix=prefix))

    async def _admin(
        self, actor: Actor, channel: Channel, command: Command, *, prefix: str
    ) -> Reply:
        zone = channel.schedule.timezone if channel.schedule else "UTC"
        match command:
            case Setup(schedule=schedule):
                return Reply(await self._channels.setup(actor, channel, schedule, prefix=prefix))
            case Simple(word="now"):
                channel = await self._channels.claim(actor, channel)
                now = self._deps.clock.now()
                poll, opened = await self._polls.open(channel, period=f"manual-{now.isoformat()}")
                if poll is None:
                    return Reply(channel_views.nothing_open(prefix=prefix))
                card = (
                    channel_views.opened(poll, timezone=zone)
                    if opened
                    else channel_views.already_open(poll, timezone=zone)
                )
                return Reply(card)
            case Simple(word="close"):
                open_poll = await self._deps.repo.open_poll(channel_id=channel.id)
                if open_poll is None or not await self._polls.close(open_poll):
                    return Reply(channel_views.nothing_open(prefix=prefix))
                return Reply(channel_views.closed_now(open_poll))
            case Simple(word="pause"):
                return Reply(await self._channels.pause(channel, prefix=prefix))
            case Simple(word="resume"):
                return Reply(await self._channels.resume(channel, prefix=prefix))
            case Simple(word="export"):
                return Reply(await self._exports.export(channel), Visibility.DIRECT)
            case MapGroup(group=group, side=side):
                return Reply(await self._groups.map(channel, group, side, prefix=prefix))
            case UnmapGroup(group=group):
                return Reply(await self._groups.unmap(channel, group))
        return Reply(help_card(prefix=prefix))


#: Admin commands that act on the whole workspace rather than one channel.
WORKSPACE_WORDS = frozenset({"map", "unmap"})


def _admin_word(command: Command) -> str | None:
    if isinstance(command, Setup):
        return "setup"
    if isinstance(command, MapGroup):
        return "map"
    if isinstance(command, UnmapGroup):
        return "unmap"
    if isinstance(command, Simple) and command.word in ADMIN_WORDS:
        return command.word
    return None


def _unknown() -> str:
    return "I didn't catch that. Here is what I can do:"
