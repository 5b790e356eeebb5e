"""`SlackMessenger`: the core's Messenger port over the Slack Web API, one workspace token each.

A card's attachments (chart PNGs, CSV exports) are uploaded with files_upload_v2 into the same
conversation right after the card, so they appear as the next message; an
``Image(url="attachment:<name>")`` block is therefore not drawn inside the card itself, where
Slack could refuse a file that is still being processed.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards import Attachment, Card
from bot.domain import Actor, Channel, ChannelRef, Destination, Group, PersonRef
from bot.errors import PlatformRefused
from bot.ports import Clock, ConversationStore
from handlers.slack import PLATFORM, render
from handlers.slack.pacing import Pacer

_MEMBERS_PAGE = 200
#: a user group as Slack writes it in escaped command text: <!subteam^S0123|@handle>
_SUBTEAM = re.compile(r"^<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>$")
#: How far back `find_marked` looks: this many pages of this many messages.
_HISTORY_PAGES, _HISTORY_PAGE = 5, 200
#: The metadata event type of BridgePulse's marked posts.
MARKER_EVENT = "bridgepulse_post"
#: How long users.info's word on who is a workspace admin is trusted.
ADMIN_TTL_SECONDS = 60.0
_MAX_ADMIN_ENTRIES = 10_000
log = logging.getLogger(__name__)


class NotInstalled(Exception):
    """A workspace without a stored installation (multi-workspace mode)."""


class TokenSource(Protocol):
    """Where the bot token of a workspace comes from."""

    async def bot_token(self, team_id: str) -> str: ...


class StaticToken:
    """Single-workspace mode: one bot token from SLACK_BOT_TOKEN."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def bot_token(self, team_id: str) -> str:
        return self._token


class InstalledTokens:
    """Multi-workspace mode: each workspace's token as its OAuth installation stored it."""

    def __init__(self, store: AsyncInstallationStore) -> None:
        self._store = store

    async def bot_token(self, team_id: str) -> str:
        bot = await self._store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            raise NotInstalled(f"BridgePulse is not installed in Slack workspace {team_id}")
        return bot.bot_token


class SlackMessenger:
    """Posts, updates and reads through one AsyncWebClient (shared session, retry handlers)."""

    def __init__(
        self,
        client: AsyncWebClient,
        tokens: TokenSource,
        *,
        conversations: ConversationStore,
        clock: Clock,
        pacer: Pacer | None = None,
    ) -> None:
        self._client = client
        self._pacer = pacer or Pacer()
        self._tokens = tokens
        self._conversations = conversations
        self._clock = clock
        #: (workspace, user) → (when asked, whether an admin or owner)
        self._admins: dict[tuple[str, str], tuple[float, bool]] = {}

    def channel_label(self, name: str) -> str:
        return f"#{name}"

    group_hint = "a user group by its handle, like `@it-team`"

    async def find_group(self, *, channel: Channel, name: str) -> Group | None:
        """A user group by handle or name (`@it-team`, `it-team`, `IT Team`), or as Slack
        escapes a mention (`<!subteam^S0123|@it-team>`)."""
        escaped = _SUBTEAM.match(name.strip())
        token = await self._tokens.bot_token(channel.ref.workspace_id)
        try:
            response = await self._client.usergroups_list(token=token)
        except SlackApiError as exc:
            raise _refused(exc) from exc
        groups: list[dict[str, Any]] = response.get("usergroups") or []
        wanted = name.strip().lstrip("@").casefold()
        for group in groups:
            handle = str(group.get("handle") or "")
            names = (handle.casefold(), str(group.get("name", "")).casefold())
            found = group.get("id") == escaped.group(1) if escaped else wanted in names
            if found:
                return Group(str(group["id"]), f"@{handle}")
        return None

    async def group_members(self, *, workspace_id: str, group_id: str) -> Sequence[str]:
        token = await self._tokens.bot_token(workspace_id)
        try:
            response = await self._client.usergroups_users_list(token=token, usergroup=group_id)
        except SlackApiError as exc:
            raise _refused(exc) from exc
        return [str(u) for u in response.get("users") or []]

    async def post(self, *, to: Destination, card: Card) -> str:
        return await self._post(to, card, metadata=None)

    async def post_marked(self, *, to: ChannelRef, card: Card, marker: str) -> str:
        """A post carrying `marker` as message metadata, so `find_marked` can find it again."""
        metadata = {"event_type": MARKER_EVENT, "event_payload": {"marker": marker}}
        return await self._post(to, card, metadata=metadata)

    async def find_marked(self, *, to: ChannelRef, marker: str) -> str | None:
        """Look through the channel's latest messages for one of ours carrying `marker`.
        Without the history scope or channel membership Slack cannot say: None (post)."""
        token = await self._tokens.bot_token(to.workspace_id)
        cursor = ""
        for _ in range(_HISTORY_PAGES):
            try:
                page = await self._client.conversations_history(
                    token=token,
                    channel=to.channel_id,
                    limit=_HISTORY_PAGE,
                    include_all_metadata=True,
                    cursor=cursor or None,
                )
            except SlackApiError as exc:
                log.warning("cannot read %s's history (%s): posting", to.channel_id, exc)
                return None
            for message in page.get("messages") or []:
                meta = message.get("metadata") or {}
                payload = meta.get("event_payload") or {}
                if meta.get("event_type") == MARKER_EVENT and payload.get("marker") == marker:
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return None
        return None

    async def _post(self, to: Destination, card: Card, *, metadata: dict[str, Any] | None) -> str:
        token = await self._tokens.bot_token(to.workspace_id)
        channel = to.channel_id if isinstance(to, ChannelRef) else await self._dm(to, token)
        rendered = render.message(card)
        await self._pacer.turn(token)
        response = await self._client.chat_postMessage(
            token=token,
            channel=channel,
            text=rendered.text,
            blocks=rendered.blocks,
            metadata=metadata,
        )
        self._pacer.accepted(token)
        if rendered.files:
            await self._upload(token, channel, rendered.files)
        return str(response["ts"])

    async def update(self, *, to: ChannelRef, message_ref: str, card: Card) -> None:
        rendered = render.message(card)
        token = await self._tokens.bot_token(to.workspace_id)
        await self._pacer.turn(token)
        await self._client.chat_update(
            token=token,
            channel=to.channel_id,
            ts=message_ref,
            text=rendered.text,
            blocks=rendered.blocks,
        )
        self._pacer.accepted(token)

    async def members(self, *, channel: ChannelRef) -> Sequence[str]:
        token = await self._tokens.bot_token(channel.workspace_id)
        found: list[str] = []
        cursor = ""
        while True:
            page = await self._client.conversations_members(
                token=token, channel=channel.channel_id, limit=_MEMBERS_PAGE, cursor=cursor
            )
            found += page.get("members") or []
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return found

    async def is_workspace_admin(self, *, actor: Actor) -> bool:
        """A workspace admin or owner, as users.info says; kept for a minute, so a run of admin
        commands costs one rate-limited call and a demoted admin loses the right soon after."""
        key, now = (actor.workspace_id, actor.user_id), time.monotonic()
        cached = self._admins.get(key)
        if cached is not None and now - cached[0] < ADMIN_TTL_SECONDS:
            return cached[1]
        response = await self._client.users_info(
            token=await self._tokens.bot_token(actor.workspace_id), user=actor.user_id
        )
        user: dict[str, Any] = response.get("user") or {}
        verdict = any(user.get(flag) for flag in ("is_admin", "is_owner", "is_primary_owner"))
        if len(self._admins) >= _MAX_ADMIN_ENTRIES:
            self._admins.clear()
        self._admins[key] = (now, verdict)
        return verdict

    async def display_name(self, *, person: PersonRef) -> str | None:
        """The name Slack shows for a person (display name, else real name), from users.info."""
        response = await self._client.users_info(
            token=await self._tokens.bot_token(person.workspace_id), user=person.user_id
        )
        user: dict[str, Any] = response.get("user") or {}
        profile: dict[str, Any] = user.get("profile") or {}
        name = profile.get("display_name") or user.get("real_name") or profile.get("real_name")
        return str(name)[:100] if name else None

    async def publish_home(self, *, actor: Actor, card: Card) -> None:
        """Show the card as the person's App Home tab."""
        await self._client.views_publish(
            token=await self._tokens.bot_token(actor.workspace_id),
            user_id=actor.user_id,
            view=render.home_view(card),
        )

    async def post_ephemeral(self, *, actor: Actor, channel: ChannelRef, card: Card) -> None:
        rendered = render.message(card)
        await self._client.chat_postEphemeral(
            token=await self._tokens.bot_token(actor.workspace_id),
            channel=channel.channel_id,
            user=actor.user_id,
            text=rendered.text,
            blocks=rendered.blocks,
        )

    async def _dm(self, person: PersonRef, token: str) -> str:
        """The DM channel with a person; opened once, then remembered in the database (the
        reminder fan-out would otherwise spend one rate-limited call per person per week)."""
        key = f"im:{person.user_id}"
        known = await self._conversations.get_conversation(
            platform=PLATFORM, workspace_id=person.workspace_id, key=key
        )
        if known and isinstance(known.get("channel"), str):
            return str(known["channel"])
        opened = await self._client.conversations_open(token=token, users=person.user_id)
        channel = str(opened["channel"]["id"])
        await self._conversations.save_conversation(
            platform=PLATFORM,
            workspace_id=person.workspace_id,
            key=key,
            reference={"channel": channel},
            at=self._clock.now(),
        )
        return channel

    async def _upload(self, token: str, channel: str, files: tuple[Attachment, ...]) -> None:
        await self._client.files_upload_v2(
            token=token,
            channel=channel,
            file_uploads=[
                {
                    "content": f.content,
                    "filename": f.filename,
                    "title": f.title,
                    **({"alt_txt": f.alt} if f.alt else {}),
                }
                for f in files
            ],
        )


def _refused(exc: SlackApiError) -> Exception:
    """What a person can do when Slack refuses to show user groups; other errors stay as
    they are (the core's boundary answers those)."""
    error = str(exc.response.get("error", ""))
    if error == "missing_scope":
        return PlatformRefused(
            "BridgePulse may not read user groups yet: a workspace admin reinstalls the app "
            "(its install link) to grant `usergroups:read`."
        )
    if error in {"paid_teams_only", "plan_upgrade_required", "not_allowed_token_type"}:
        return PlatformRefused(
            "This workspace has no user groups to map (Slack keeps them for paid plans); "
            "people choose a side with `/pulse join`."
        )
    return exc
