"""`SlackMessenger`: the core's Messenger port over the Slack Web API, one workspace token each.

A card's `Chart` is drawn by Slack itself (`render`, data_visualization blocks). Its other
attachments (CSV exports, pictures Slack cannot draw) are uploaded with files_upload_v2 into the same
conversation right after the card, so they appear as the next message; an
``Image(url="attachment:<name>")`` block is therefore not drawn inside the card itself, where
Slack could refuse a file that is still being processed.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards import Attachment, Card
from bot.domain import Actor, Channel, ChannelRef, Destination, Group, PersonRef
from bot.errors import PlatformRefused
from bot.ports import Clock, ConversationStore
from handlers.slack import PLATFORM, recovery, render
from handlers.slack.pacing import Pacer
from handlers.slack.recovery import MARKER_EVENT

_MEMBERS_PAGE = 200
#: a user group as Slack writes it in escaped command text: <!subteam^S0123|@handle>
_SUBTEAM = re.compile(r"^<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>$")
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
    """Multi-workspace mode: each workspace's token as its OAuth installation stored it.

    With token rotation (manifest `token_rotation_enabled`) a bot token expires after 12 hours:
    one that expires within `rotate_minutes` is refreshed first (oauth.v2.access with the
    stored refresh token) and the new one stored, as Bolt does for the requests it handles;
    the scheduler's posts come through here without any request."""

    def __init__(
        self,
        store: AsyncInstallationStore,
        rotator: AsyncTokenRotator | None = None,
        *,
        rotate_minutes: int = 120,
    ) -> None:
        self._store = store
        self._rotator = rotator
        self._rotate_minutes = rotate_minutes
        self._locks: dict[str, asyncio.Lock] = {}

    async def bot_token(self, team_id: str) -> str:
        bot = await self._find(team_id)
        if self._rotator is None or not bot.bot_refresh_token or not self._expiring(bot):
            return str(bot.bot_token)
        # one refresh per workspace at a time: the others wait and read the token it stored
        async with self._locks.setdefault(team_id, asyncio.Lock()):
            bot = await self._find(team_id)
            if not self._expiring(bot):
                return str(bot.bot_token)
            refreshed = await self._rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=self._rotate_minutes
            )
            if refreshed is None:
                return str(bot.bot_token)
            await self._store.async_save_bot(refreshed)
            log.info("refreshed the bot token of Slack workspace %s", team_id)
            return str(refreshed.bot_token)

    async def _find(self, team_id: str) -> Bot:
        bot = await self._store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            raise NotInstalled(f"BridgePulse is not installed in Slack workspace {team_id}")
        return bot

    def _expiring(self, bot: Bot) -> bool:
        expires = bot.bot_token_expires_at
        return expires is not None and expires <= time.time() + self._rotate_minutes * 60


class SlackMessenger:
    """Posts, updates and reads through one AsyncWebClient (shared session, retry handlers)."""

    #: Slack draws a card's Chart itself (data_visualization): the core draws no PNG for it.
    native_charts = True

    def __init__(
        self,
        client: AsyncWebClient,
        tokens: TokenSource,
        *,
        conversations: ConversationStore,
        clock: Clock,
        pacer: Pacer | None = None,
        history_interval: float = recovery.DEFAULT_INTERVAL,
        history_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._marked = recovery.MarkedPosts(
            client,
            conversations=conversations,
            clock=clock,
            interval=history_interval,
            monotonic=history_clock,
        )
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
        """A post carrying `marker` as message metadata, so `find_marked` can find it again;
        its attempt is remembered first, so only a post really in doubt is looked for."""
        await self._marked.attempting(
            workspace_id=to.workspace_id, channel_id=to.channel_id, marker=marker
        )
        metadata = {"event_type": MARKER_EVENT, "event_payload": {"marker": marker}}
        return await self._post(to, card, metadata=metadata)

    async def find_marked(self, *, to: ChannelRef, marker: str) -> str | None:
        """Our post carrying `marker` if an earlier attempt went out, else None (post it).
        Reads at most 15 messages around that attempt, within Slack's history limits; raises
        `recovery.PostInDoubt` when Slack may not be asked yet (the step is retried later)."""
        token = await self._tokens.bot_token(to.workspace_id)
        return await self._marked.find(
            token=token, workspace_id=to.workspace_id, channel_id=to.channel_id, marker=marker
        )

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
