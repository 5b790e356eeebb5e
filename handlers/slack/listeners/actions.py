"""Clicks on buttons and choices in selects: acknowledged at once, then handed to the core.

Every block action is ours to answer: an unknown or stale one gets the core's polite "out of
date" reply rather than Bolt's 404 (which Slack shows as an error on the button). Clicks are
most of the traffic, so over HTTP `routes.py` hands a checked click straight to `Clicks.take`
(Bolt's dispatch was a tenth of the server's time per click and decides nothing for a click);
Socket Mode delivers through Bolt, to the same `take`.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.core import Core
from handlers.slack.background import Background
from handlers.slack.delivery import Origin, ReplyDelivery
from handlers.slack.payloads import click_origin, click_source, clicked, clicked_in_ephemeral

ANY_ACTION = re.compile(r".+")


class Clicks:
    """Answers a checked `block_actions` payload after its acknowledgement."""

    def __init__(self, *, core: Core, replies: ReplyDelivery, background: Background) -> None:
        self._core = core
        self._replies = replies
        self._background = background

    def take(self, body: dict[str, Any], *, installed_team: str | None = None) -> None:
        """Answer the payload's first action (as Bolt would: Slack sends one per click).

        Over HTTP the signature is the verification: Slack signed the payload, team and all.
        Through Bolt, `installed_team` is the workspace of the installation Bolt authorised;
        a payload naming another team is refused by the core."""
        action = body["actions"][0]
        self._background.spawn(self._answer(body, action, installed_team), what="click")

    def register(self, app: AsyncApp) -> None:
        async def on_click(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
            await ack()
            authorized = context.authorize_result
            self.take(body, installed_team=authorized.team_id if authorized else None)

        app.block_action(ANY_ACTION)(on_click)

    async def _answer(
        self, body: dict[str, Any], action: dict[str, Any], installed_team: str | None
    ) -> None:
        actor, channel = click_source(body)
        made = click_origin(body, action, team=installed_team or actor.workspace_id)
        name, value = clicked(action)
        reply = await self._core.action(actor=actor, action=name, value=value, origin=made)
        origin = Origin(actor, channel, body.get("response_url"), clicked_in_ephemeral(body))
        await self._replies.deliver(reply, origin)
