"""Slash commands `/alignment` and `/pulse`: acknowledged at once, answered through the core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.core import Core
from handlers.slack.background import Background
from handlers.slack.delivery import Origin, ReplyDelivery
from handlers.slack.payloads import command_source

CommandName = Literal["alignment", "pulse"]
#: Every slash command BridgePulse declares in manifest.yml, without the slash.
COMMANDS: tuple[CommandName, ...] = ("alignment", "pulse")


def register(app: AsyncApp, *, core: Core, replies: ReplyDelivery, background: Background) -> None:
    for name in COMMANDS:
        app.command(f"/{name}")(_listener(name, core, replies, background))


def _listener(
    name: CommandName, core: Core, replies: ReplyDelivery, background: Background
) -> Callable[..., Awaitable[None]]:
    async def answer(command: dict[str, Any]) -> None:
        actor, channel = command_source(command)
        reply = await core.command(
            actor=actor,
            channel=channel,
            text=str(command.get("text") or ""),
            name=name,
            channel_name=str(command.get("channel_name") or ""),
        )
        await replies.deliver(reply, Origin(actor, channel, command.get("response_url")))

    async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        background.spawn(answer(command), what=f"/{name}")

    on_command.__name__ = f"on_{name}_command"
    return on_command
