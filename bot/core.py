"""The core's front door: what platform adapters call, with one error boundary for all of it.

Adapters hand over a neutral `Actor`, the `ChannelRef` and the raw text or action value; they
get back a `Reply` to render. Nothing here raises to an adapter: a store outage becomes a
"try again" reply, anything unexpected a polite apology (logged with its traceback, never shown).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Literal

from bot.actions.digest import DigestActions
from bot.actions.model import ACTION_WORDS
from bot.cards import Card, simple
from bot.channels.service import ChannelService
from bot.commands.dispatch import Dispatcher
from bot.commands.parsing import Command, parse_alignment, parse_pulse, parse_text_command
from bot.context import Deps
from bot.digest.service import DigestService
from bot.domain import Actor, ChannelRef, ClickOrigin
from bot.errors import PlatformRefused, StoreUnavailable
from bot.export.service import ExportService
from bot.people.groups import GroupService
from bot.people.service import PeopleService
from bot.polls.action_values import JOIN, VOTE, parse_join
from bot.polls.service import PollService
from bot.polls.views import stale_button
from bot.reply import Reply
from bot.score.results import ResultService

log = logging.getLogger(__name__)

TRY_AGAIN = (
    "BridgePulse can't reach its database right now, so nothing was saved. "
    "Please try again in a minute."
)
SORRY = "Sorry, something went wrong on our side and nothing was changed. Please try again."


class Core:
    """Every use case, composed once from `Deps` in the composition root."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.results = ResultService(deps)
        self.groups = GroupService(deps)
        self.polls = PollService(deps, self.results, self.groups)
        self.actions = self.polls.actions
        self.channels = ChannelService(deps, self.polls)
        self.people = PeopleService(deps)
        self.digests = DigestService(deps, self.results, DigestActions(deps))
        self.exports = ExportService(deps, self.results)
        self.dispatcher = Dispatcher(
            deps,
            results=self.results,
            channels=self.channels,
            people=self.people,
            digests=self.digests,
            exports=self.exports,
            groups=self.groups,
            actions=self.actions,
        )

    async def command(
        self,
        *,
        actor: Actor,
        channel: ChannelRef,
        text: str,
        name: Literal["alignment", "pulse"] | None = None,
        channel_name: str = "",
    ) -> Reply:
        """A slash command (`name` given) or a command typed as a message (`name` None)."""
        parsed: Command
        if name == "alignment":
            parsed = parse_alignment(text)
        elif name == "pulse":
            parsed = parse_pulse(text)
        else:
            parsed = parse_text_command(text)

        async def run() -> Reply:
            resolved = await self.channels.resolve(channel, name=channel_name)
            return await self.dispatcher.run(actor, resolved, parsed)

        return await self._guard(f"command {type(parsed).__name__}", run)

    async def action(self, *, actor: Actor, action: str, value: str, origin: ClickOrigin) -> Reply:
        """A click on a button or a choice in a select that the core rendered, made where
        `origin` says (a vote counts only from where its poll lives)."""

        async def run() -> Reply:
            if action == VOTE:
                return await self.polls.vote(actor, value, origin=origin)
            if action in ACTION_WORDS:
                return await self.actions.click(actor, action, value, origin=origin)
            side = parse_join(value) if action == JOIN else None
            if side is None:
                return Reply(stale_button())
            return Reply(await self.people.join(actor, side))

        return await self._guard(f"action {action[:20]!r}", run)

    async def home(self, *, actor: Actor) -> Card:
        async def run() -> Reply:
            side = await self.people.side_of(actor)
            return Reply(await self.digests.home(actor, side=side))

        return (await self._guard("home", run)).card

    async def _guard(self, what: str, run: Callable[[], Awaitable[Reply]]) -> Reply:
        started = time.perf_counter()
        try:
            return await run()
        except StoreUnavailable:
            log.warning("%s: database unavailable", what)
            self.deps.telemetry.count("errors", kind="store_unavailable")
            return Reply(simple(TRY_AGAIN))
        except PlatformRefused as exc:
            log.warning("%s: the platform refused: %s", what, exc)
            return Reply(simple(str(exc)))
        except Exception:
            log.exception("%s failed", what)
            self.deps.telemetry.count("errors", kind="internal")
            return Reply(simple(SORRY))
        finally:
            self.deps.telemetry.observe(
                "core_seconds", time.perf_counter() - started, what=what.split(" ")[0]
            )
