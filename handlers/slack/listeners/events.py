"""Events API: the App Home tab and uninstalls, each delivery acted on once.

Slack redelivers an event it thinks failed (`X-Slack-Retry-Num`), possibly to another replica,
so every event first claims its `event_id` in the shared database; a redelivery finds the claim
taken and is acknowledged without doing anything again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

from bot.channels.claims import EVENT
from bot.core import Core
from bot.domain import Actor
from bot.ports import ClaimStore, Clock
from handlers.slack import PLATFORM
from handlers.slack.background import Background
from handlers.slack.messenger import SlackMessenger

log = logging.getLogger(__name__)
#: Every bot event BridgePulse subscribes to in manifest.yml.
EVENTS = ("app_home_opened", "app_uninstalled", "tokens_revoked")


def register(
    app: AsyncApp,
    *,
    core: Core,
    messenger: SlackMessenger,
    claims: ClaimStore,
    clock: Clock,
    background: Background,
    replica: str,
    installations: AsyncInstallationStore | None,
) -> None:
    revocations = AsyncTokenRevocationListeners(installations) if installations else None

    async def show_home(actor: Actor) -> None:
        card = await core.home(actor=actor)
        await messenger.publish_home(actor=actor, card=card)

    async def on_home_opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab") == "home":
            actor = Actor(PLATFORM, str(body["team_id"]), str(event["user"]))
            background.spawn(show_home(actor), what="App Home")

    async def on_uninstalled(context: AsyncBoltContext) -> None:
        log.warning("BridgePulse was uninstalled from Slack workspace %s", context.team_id)
        if revocations is not None:  # multi-workspace: forget the workspace's tokens
            background.spawn(revocations.handle_app_uninstalled_events(context), what="uninstall")

    async def on_tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
        log.warning("Slack tokens revoked in workspace %s", context.team_id)
        if revocations is not None:
            work = revocations.handle_tokens_revoked_events(event, context)
            background.spawn(work, what="token revocation")

    app.middleware(OncePerEvent(claims, clock, replica))
    app.event("app_home_opened")(on_home_opened)
    app.event("app_uninstalled")(on_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)


class OncePerEvent(AsyncMiddleware):
    """Claims each event's id before its listener runs; a redelivery finds it taken. A class,
    not a function: Bolt inspects a function middleware's parameters on every request, clicks
    included, and this one only concerns events."""

    def __init__(self, claims: ClaimStore, clock: Clock, replica: str) -> None:
        self._claims, self._clock, self._replica = claims, clock, replica

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        body = req.body
        if body.get("type") == "event_callback" and not await self._claims.claim(
            scope=f"slack-event:{body['team_id']}",
            step=EVENT,
            period=str(body["event_id"]),
            by=self._replica,
            at=self._clock.now(),
        ):
            return BoltResponse(status=200, body="")  # a redelivery: already handled
        return await next()
