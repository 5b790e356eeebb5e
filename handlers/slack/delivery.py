"""Deliver the core's `Reply` to the person who acted, as its visibility says.

Ephemeral → the request's response_url (only they see it; a click on an ephemeral prompt
replaces the prompt), else chat.postEphemeral; channel → chat.postMessage; direct → a DM (with
any attachments) plus an ephemeral note where the command was typed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from dataclasses import dataclass

import aiohttp
import orjson

from bot.cards import Card
from bot.commands.direct import sent_directly
from bot.domain import Actor, ChannelRef, Visibility
from bot.ports import Telemetry
from bot.reply import Reply
from handlers.slack import render
from handlers.slack.messenger import SlackMessenger
from handlers.slack.webapi import TIMEOUT, record_call

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a command or click came from, i.e. where its answer goes."""

    actor: Actor
    channel: ChannelRef | None
    response_url: str | None
    replace_original: bool = False


class ReplyDelivery:
    def __init__(
        self, messenger: SlackMessenger, session: aiohttp.ClientSession, telemetry: Telemetry
    ) -> None:
        """`session`: a plain aiohttp session for response_url posts (timed here)."""
        self._messenger = messenger
        self._session = session
        self._telemetry = telemetry

    async def deliver(self, reply: Reply, origin: Origin) -> None:
        if reply.visibility is Visibility.CHANNEL and origin.channel is not None:
            await self._messenger.post(to=origin.channel, card=reply.card)
        elif reply.visibility is Visibility.DIRECT:
            await self._messenger.post(to=origin.actor.person, card=reply.card)
            await self.ephemeral(sent_directly(reply.card), origin)
        else:
            await self.ephemeral(reply.card, origin)

    async def ephemeral(self, card: Card, origin: Origin) -> None:
        if origin.response_url and await self._respond(card, origin):
            return
        if origin.channel is not None:
            await self._messenger.post_ephemeral(
                actor=origin.actor, channel=origin.channel, card=card
            )
        else:  # a click in the App Home: no channel to whisper in, so a direct message
            await self._messenger.post(to=origin.actor.person, card=card)

    async def _respond(self, card: Card, origin: Origin) -> bool:
        """Post to the response_url; False (and logged) if Slack did not take it. Posted with a
        plain session, timed here (a webhook client per reply, or aiohttp's trace hooks, cost a
        good part of what the post costs): a 429 waits `Retry-After`, 5xx and dropped
        connections are retried with back-off."""
        assert origin.response_url is not None
        body = _response_body(card, origin.replace_original)
        for attempt in range(_ATTEMPTS):
            last = attempt == _ATTEMPTS - 1
            started = time.perf_counter()
            try:
                async with self._session.post(
                    origin.response_url, data=body, headers=_JSON, timeout=_TIMEOUT
                ) as response:
                    await response.read()
                    self._timed(started, str(response.status))
                    if response.status == 200:
                        return True
                    retry = response.status == 429 or response.status >= 500
                    wait = _retry_after(response.headers.get("Retry-After"), attempt)
            except (aiohttp.ClientError, TimeoutError):
                self._timed(started, "connection_error")
                if last:
                    log.warning("response_url unreachable", exc_info=True)
                    break
                await asyncio.sleep(_backoff(attempt))
                continue
            if not retry or last:
                log.warning("response_url refused the reply (%s)", response.status)
                break
            await asyncio.sleep(wait)
        self._telemetry.count("errors", kind="slack_response_url")
        return False

    def _timed(self, started: float, status: str) -> None:
        record_call(self._telemetry, method="response_url", started=started, status=status)


_ATTEMPTS = 3
_JSON = {"Content-Type": "application/json; charset=utf-8"}
_TIMEOUT = aiohttp.ClientTimeout(total=TIMEOUT)


@functools.lru_cache(maxsize=512)
def _response_body(card: Card, replace_original: bool) -> bytes:
    """A reply's JSON, kept for the next person it fits: during a pulse most answers to a click
    are the same few hundred cards (question, choice, what is left to answer, closing time)."""
    rendered = render.message(card)
    return orjson.dumps(
        {
            "response_type": "ephemeral",
            "replace_original": replace_original,
            "text": rendered.text,
            "blocks": rendered.blocks,
        }
    )


def _backoff(attempt: int) -> float:
    return 0.2 * 2.0**attempt


def _retry_after(header: str | None, attempt: int) -> float:
    try:
        return min(float(header), 30.0) if header else _backoff(attempt)
    except ValueError:
        return _backoff(attempt)
