"""Clicks on buttons and choices in selects: acknowledged at once, then handed to the core.

Every block action is ours to answer: an unknown or stale one gets the core's polite "out of
date" reply rather than Bolt's 404 (which Slack shows as an error on the button).
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.core import Core
from handlers.slack.background import Background
from handlers.slack.payloads import click_source, clicked, clicked_in_ephemeral
from handlers.slack.replies import Origin, ReplyDelivery

ANY_ACTION = re.compile(r".+")


def register(app: AsyncApp, *, core: Core, replies: ReplyDelivery, background: Background) -> None:
    async def answer(body: dict[str, Any], action: dict[str, Any]) -> None:
        actor, channel = click_source(body)
        name, value = clicked(action)
        reply = await core.action(actor=actor, action=name, value=value, prefix="/")
        origin = Origin(actor, channel, body.get("response_url"), clicked_in_ephemeral(body))
        await replies.deliver(reply, origin)

    async def on_click(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        background.spawn(answer(body, action), what="click")

    app.block_action(ANY_ACTION)(on_click)
