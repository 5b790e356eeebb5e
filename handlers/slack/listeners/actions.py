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

from bot.core import Core
from handlers.slack.background import Background
from handlers.slack.delivery import Origin, ReplyDelivery
from handlers.slack.payloads import click_source, clicked, clicked_in_ephemeral

ANY_ACTION = re.compile(r".+")


class Clicks:
    """Answers a checked `block_actions` payload after its acknowledgement."""

    def __init__(self, *, core: Core, replies: ReplyDelivery, background: Background) -> None:
        self._core = core
        self._replies = replies
        self._background = background

    def take(self, body: dict[str, Any]) -> None:
        """Answer the payload's first action (as Bolt would: Slack sends one per click)."""
        self._background.spawn(self._answer(body, body["actions"][0]), what="click")

    def register(self, app: AsyncApp) -> None:
        async def on_click(ack: AsyncAck, body: dict[str, Any]) -> None:
            await ack()
            self.take(body)

        app.block_action(ANY_ACTION)(on_click)

    async def _answer(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        actor, channel = click_source(body)
        name, value = clicked(action)
        reply = await self._core.action(actor=actor, action=name, value=value, prefix="/")
        origin = Origin(actor, channel, body.get("response_url"), clicked_in_ephemeral(body))
        await self._replies.deliver(reply, origin)
