"""Route a parsed command to its use case and wrap the answer as a reply."""

from __future__ import annotations

from bot.actions.service import ActionService
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
from bot.reply import Reply
from bot.score.results import ResultService
from bot.score.views import explain_card


class Dispatcher:
    def __init__(
        self,
        deps: Deps,
        *,
        results: ResultService,
        channels: ChannelService,
        people: PeopleService,
        digests: DigestService,
        exports: ExportService,
        groups: GroupService,
        actions: ActionService,
    ) -> None:
        self._deps = deps
        self._results = results
        self._channels = channels
        self._people = people
        self._digests = digests
        self._exports = exports
        self._groups = groups
        self._actions = actions

    async def run(self, actor: Actor, channel: Channel, command: Command) -> Reply:
        word = _admin_word(command)
        if word is not None:
            refused = await self._channels.admin_refusal(actor, channel, word)
            if refused is not None:
                return Reply(refused)
            return await self._admin(actor, channel, command)
        match command:
            case Invalid(reason=reason):
                return Reply(help_card(reason=reason or _unknown()))
            case Alignment(explain=True):
                return Reply(explain_card(k=self._deps.k))
            case Alignment():
                return Reply(await self._results.alignment(channel))
            case Join(side=side):
                return Reply(await self._people.join(actor, side))
            case Digest(action="now"):
                return Reply(await self._digests.send_now(actor))
            case Digest(action=action):
                return Reply(await self._people.subscribe(actor, on=action == "on"))
            case Simple(word="forget-me"):
                return Reply(await self._people.forget(actor))
            case Simple(word="status"):
                return Reply(await self._channels.status(channel))
            case Simple(word="groups"):
                return Reply(await self._groups.listing(channel))
            case Simple(word="actions"):
                return Reply(await self._actions.listing(channel))
        return Reply(help_card())

    async def _admin(self, actor: Actor, channel: Channel, command: Command) -> Reply:
        match command:
            case Setup(schedule=schedule):
                return Reply(await self._channels.setup(actor, channel, schedule))
            case Simple(word="now"):
                return Reply(await self._channels.open_now(actor, channel))
            case Simple(word="close"):
                return Reply(await self._channels.close_now(channel))
            case Simple(word="pause"):
                return Reply(await self._channels.pause(channel))
            case Simple(word="resume"):
                return Reply(await self._channels.resume(channel))
            case Simple(word="export"):
                return Reply(await self._exports.export(channel), Visibility.DIRECT)
            case MapGroup(group=group, side=side):
                return Reply(await self._groups.map(channel, group, side))
            case UnmapGroup(group=group):
                return Reply(await self._groups.unmap(channel, group))
        return Reply(help_card())


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
