"""After a crash: did a channel post in doubt go out? One bounded history read, within Slack's limits.

Since 29 May 2025 Slack allows commercially distributed apps outside the Marketplace one
`conversations.history` call a minute per workspace, of at most 15 messages (a customer's own
internal app is exempt). So history is read only for a post that is truly in doubt: each marked
post first stores when it was attempted (before chat.postMessage), and a resumed step asks
history only about a marker that has such an attempt, between just before the attempt and a
few minutes after it, at most 15 messages a call. A call is spaced per workspace (`interval`:
60 s for multi-workspace installs) and a 429 pauses the workspace for its `Retry-After`; while
a workspace must wait, the question is not waited on: `PostInDoubt` is raised at once and the
scheduler retries the step later, so no step sits idle holding a worker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import PlatformRefused
from bot.ports import Clock, ConversationStore
from handlers.slack import PLATFORM

log = logging.getLogger(__name__)

#: Slack's cap on one history call for non-Marketplace commercial apps.
HISTORY_LIMIT = 15
#: The window searched around an attempt: clocks differ a little, and a post may land late
#: (a 20 s timeout, retries, `Retry-After` waits inside the client).
BEFORE, AFTER = 10.0, 300.0
#: Attempts remembered per channel (a poll and a summary or two are ever in doubt at once).
REMEMBERED = 8
#: Spacing of history calls per workspace when none is configured and no 429 was seen.
DEFAULT_INTERVAL = 60.0
MARKER_EVENT = "bridgepulse_post"


class PostInDoubt(PlatformRefused):
    """Slack cannot be asked yet whether a post went out; the step is retried later."""


class MarkedPosts:
    """Attempts of marked posts, and the history reads that settle them."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        conversations: ConversationStore,
        clock: Clock,
        interval: float = DEFAULT_INTERVAL,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        # History questions are never retried inside the client (a 429 would make the step
        # sleep for `Retry-After`); only a dropped connection is tried again.
        self._client = AsyncWebClient(
            base_url=client.base_url,
            session=client.session,
            timeout=client.timeout,
            retry_handlers=[AsyncConnectionErrorRetryHandler(max_retry_count=1)],
        )
        self._conversations, self._clock = conversations, clock
        self._interval, self._monotonic, self._wall = interval, monotonic, wall
        #: per workspace: when its next history call may be made (monotonic seconds)
        self._next_call: dict[str, float] = {}

    async def attempting(self, *, workspace_id: str, channel_id: str, marker: str) -> None:
        """Remember that `marker` is about to be posted (Slack's clock: wall time)."""
        attempts = await self._attempts(workspace_id, channel_id)
        attempts.pop(marker, None)
        attempts[marker] = {"at": self._wall()}
        await self._save(workspace_id, channel_id, dict(list(attempts.items())[-REMEMBERED:]))

    async def find(
        self, *, token: str, workspace_id: str, channel_id: str, marker: str
    ) -> str | None:
        """The ts of our post carrying `marker`, None if it did not go out (post it), or
        `PostInDoubt` when Slack may not be asked now."""
        attempts = await self._attempts(workspace_id, channel_id)
        attempt = attempts.get(marker)
        if attempt is None:
            return None  # never handed to Slack: nothing to look for
        now = self._monotonic()
        if now < self._next_call.get(workspace_id, 0.0):
            raise PostInDoubt("Slack's history may not be read yet; BridgePulse tries again later")
        self._next_call[workspace_id] = now + self._interval
        at = float(attempt["at"])
        latest = float(attempt.get("latest") or at + AFTER)
        try:
            page = await self._client.conversations_history(
                token=token,
                channel=channel_id,
                limit=HISTORY_LIMIT,
                oldest=f"{at - BEFORE:.6f}",
                latest=f"{latest:.6f}",
                inclusive=True,
                include_all_metadata=True,
            )
        except SlackApiError as exc:
            self._refused(exc, workspace_id, channel_id)
            return None
        messages: list[dict[str, Any]] = page.get("messages") or []
        for message in messages:
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == MARKER_EVENT and payload.get("marker") == marker:
                return str(message["ts"])
        if page.get("has_more") and messages:
            # a busy window: next time, only what is older than the oldest message seen
            attempt["latest"] = min(float(m["ts"]) for m in messages) - 0.000001
            await self._save(workspace_id, channel_id, attempts)
            raise PostInDoubt("more of Slack's history to read; BridgePulse tries again later")
        return None

    def _refused(self, exc: SlackApiError, workspace_id: str, channel_id: str) -> None:
        """A 429 pauses the workspace and raises `PostInDoubt`; any other refusal returns."""
        if exc.response.status_code == 429:
            wait = float(exc.response.headers.get("Retry-After", self._interval) or 0)
            self._next_call[workspace_id] = self._monotonic() + max(wait, 1.0)
            log.info("Slack asked to wait %.0f s before reading %s's history", wait, channel_id)
            raise PostInDoubt("Slack asked BridgePulse to wait; it tries again later") from exc
        # no history scope, or not a member: Slack cannot say, so post (a rare repeat beats a
        # lost poll)
        log.warning("cannot read %s's history (%s): posting", channel_id, exc)

    async def _attempts(self, workspace_id: str, channel_id: str) -> dict[str, dict[str, Any]]:
        stored = await self._conversations.get_conversation(
            platform=PLATFORM, workspace_id=workspace_id, key=f"marked:{channel_id}"
        )
        attempts = (stored or {}).get("attempts")
        return dict(attempts) if isinstance(attempts, dict) else {}

    async def _save(
        self, workspace_id: str, channel_id: str, attempts: dict[str, dict[str, Any]]
    ) -> None:
        await self._conversations.save_conversation(
            platform=PLATFORM,
            workspace_id=workspace_id,
            key=f"marked:{channel_id}",
            reference={"attempts": attempts},
            at=self._clock.now(),
        )
