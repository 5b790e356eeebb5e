"""`TeamsMessenger`: the core's Messenger port over the Bot Connector, with stored references.

Channel posts and updates go through `continue_conversation` with the reference saved when the
bot was installed or first spoken to. A message to a person goes to their 1:1 chat, which is
created on first use. A 403 (bot removed or blocked) marks the reference gone, so later sends
fail fast with `RecipientUnreachable` instead of retrying forever; 429/412/502/504 are retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationParameters,
)

from bot.cards import Card
from bot.domain import Channel, ChannelRef, Destination, Group, PersonRef
from bot.errors import RecipientUnreachable
from handlers.teams.activities import PLATFORM, load_reference
from handlers.teams.references import SERVICE, ConversationBook, account_key, chat_key
from handlers.teams.render import attachment, summary
from handlers.teams.retry import RetryPolicy, status_of

log = logging.getLogger(__name__)
T = TypeVar("T")
TEAMS_CHANNEL = "msteams"
#: Seconds a channel's roster is reused (digests ask for it once per subscriber).
ROSTER_TTL = 60.0
#: what a person types for "the people here" in `pulse map … side`
_HERE = frozenset({"this team", "team", "this chat", "chat", "here", "everyone here"})
ROSTER_PAGE = 200
GONE = 403
BLOCKED = "blocked"


def message(card: Card) -> Activity:
    return Activity(
        type=ActivityTypes.message, summary=summary(card), attachments=[attachment(card)]
    )


async def close_connector(context: TurnContext) -> None:
    """Close the turn's connector client: botframework-connector leaves its aiohttp session open."""
    client = context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
    if client is not None:
        await client.__aexit__(None, None, None)


class TeamsMessenger:
    def __init__(
        self,
        adapter: CloudAdapter,
        book: ConversationBook,
        *,
        app_id: str,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._adapter = adapter
        self._book = book
        self._app_id = app_id
        self.retry = retry or RetryPolicy()
        self._rosters: dict[ChannelRef, tuple[float, list[str]]] = {}

    def channel_label(self, name: str) -> str:
        """Teams names a channel without Slack's "#"."""
        return name

    group_hint = "`this team`, typed in one of the team's channels (`this chat` in a group chat)"

    async def find_group(self, *, channel: Channel, name: str) -> Group | None:
        """The people of the team (or group chat) the command was typed in: its roster is
        what the Bot Framework can list without Microsoft Graph."""
        if " ".join(name.casefold().split()) not in _HERE:
            return None
        where = channel.name or "this conversation"
        return Group(channel.ref.channel_id, f"the members of {where}")

    async def group_members(self, *, workspace_id: str, group_id: str) -> Sequence[str]:
        """The roster as it is now (the core keeps its own cache of group members)."""
        return await self._fresh_roster(ChannelRef(PLATFORM, workspace_id, group_id))

    async def post(self, *, to: Destination, card: Card) -> str:
        if isinstance(to, PersonRef):
            return await self.direct(to, card)
        return await self._in(to.workspace_id, to.channel_id, lambda ctx: _send(ctx, card))

    async def update(self, *, to: ChannelRef, message_ref: str, card: Card) -> None:
        activity = message(card)
        activity.id = message_ref

        async def edit(ctx: TurnContext) -> None:
            await ctx.update_activity(activity)

        await self._in(to.workspace_id, to.channel_id, edit)

    async def members(self, *, channel: ChannelRef) -> Sequence[str]:
        cached = self._rosters.get(channel)
        if cached and time.monotonic() - cached[0] < ROSTER_TTL:
            return cached[1]
        return await self._fresh_roster(channel)

    async def _fresh_roster(self, channel: ChannelRef) -> list[str]:
        ids = await self._in(channel.workspace_id, channel.channel_id, self._roster)
        self._rosters[channel] = (time.monotonic(), ids)
        return ids

    # No `is_workspace_admin` (bot.ports.WorkspaceAdmins): the Bot Framework roster does not
    # say who owns a team or administers the tenant (only Microsoft Graph does, with extra
    # consent), so in Teams only BRIDGEPULSE_ADMINS may run workspace-wide commands, and a
    # channel's admin is whoever first set it up.

    async def direct(self, person: PersonRef, card: Card) -> str:
        """Send to the person's 1:1 chat with the bot, opening it first if needed. A person who
        blocked the bot is recorded and not tried again until they write to it."""
        tenant, key = person.workspace_id, chat_key(person.user_id)
        stored = await self._book.recall(tenant, key)
        if stored is not None and stored.get(BLOCKED):
            raise RecipientUnreachable(f"Teams user {person.user_id} blocked the bot")
        try:
            if stored is not None:
                return await self._in(tenant, key, lambda ctx: _send(ctx, card), stored=stored)
            return await self._open_chat(person, card)
        except RecipientUnreachable as exc:
            if exc.__cause__ is not None:  # Teams itself refused, not a missing reference
                await self._book.remember(tenant, key, {BLOCKED: True})
            raise

    async def _open_chat(self, person: PersonRef, card: Card) -> str:
        tenant = person.workspace_id
        account = await self._book.recall(tenant, account_key(person.user_id))
        service = account or await self._book.recall(tenant, SERVICE)
        if service is None:
            raise RecipientUnreachable(f"no way to reach Teams user {person.user_id} yet")
        # Without their account id, Teams also accepts the person's Entra object id.
        member = str(account["id"]) if account else person.user_id
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount().deserialize(service["bot"]),
            members=[ChannelAccount(id=member)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}},
        )

        async def first(ctx: TurnContext) -> str:
            reference = TurnContext.get_conversation_reference(ctx.activity).serialize()
            reference.pop("user", None)
            await self._book.remember(tenant, chat_key(person.user_id), reference)
            return await _send(ctx, card)

        async def run(logic: Callable[[TurnContext], Awaitable[None]]) -> None:
            await self._adapter.create_conversation(
                self._app_id,
                logic,
                parameters,
                channel_id=TEAMS_CHANNEL,
                service_url=str(service["serviceUrl"]),
            )

        try:
            return await self._turn(run, first)
        except Exception as exc:
            if status_of(exc) in (GONE, 404):
                raise RecipientUnreachable(f"Teams refused a chat with {person.user_id}") from exc
            raise

    async def _in(
        self,
        tenant: str,
        key: str,
        op: Callable[[TurnContext], Awaitable[T]],
        *,
        stored: dict[str, Any] | None = None,
    ) -> T:
        """Run `op` in a proactive turn of a stored conversation."""
        stored = stored or await self._book.recall(tenant, key)
        if stored is None:
            raise RecipientUnreachable(f"no usable Teams conversation for {key!r}")
        reference = load_reference(stored)

        async def run(logic: Callable[[TurnContext], Awaitable[None]]) -> None:
            await self._adapter.continue_conversation(reference, logic, self._app_id)

        try:
            return await self._turn(run, op)
        except Exception as exc:
            if status_of(exc) == GONE:
                log.warning("Teams refused %s in tenant %s (403): marked gone", key, tenant)
                await self._book.gone(tenant, key)
                raise RecipientUnreachable(f"the bot can no longer post to {key!r}") from exc
            raise

    async def _turn(
        self,
        run: Callable[[Callable[[TurnContext], Awaitable[None]]], Awaitable[None]],
        op: Callable[[TurnContext], Awaitable[T]],
    ) -> T:
        # The adapter hands a turn's exception to its on_turn_error hook, so carry the
        # outcome out of the turn ourselves.
        outcome: list[T] = []
        failure: list[BaseException] = []

        async def logic(ctx: TurnContext) -> None:
            try:
                outcome.append(await self.retry.run(lambda: op(ctx)))
            except Exception as exc:
                failure.append(exc)
            finally:
                await close_connector(ctx)

        await run(logic)
        if failure:
            raise failure[0]
        if not outcome:
            raise RuntimeError("the Teams turn ended without running")
        return outcome[0]

    async def _roster(self, ctx: TurnContext) -> list[str]:
        client = ctx.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY]
        conversation_id = ctx.activity.conversation.id
        ids: list[str] = []
        token: str | None = None
        while True:
            page = await client.conversations.get_teams_conversation_paged_members(
                conversation_id, page_size=ROSTER_PAGE, continuation_token=token
            )
            ids += [str(m.aad_object_id or m.id) for m in page.members or [] if m.id]
            token = page.continuation_token
            if not token:
                return ids


async def _send(ctx: TurnContext, card: Card) -> str:
    """Post a new message in the turn's conversation (a new thread in a channel).

    Not `ctx.send_activity`: in a proactive turn it would reply to the made-up id of the
    continuation activity instead of starting a post of its own.
    """
    activity = TurnContext.apply_conversation_reference(
        message(card), TurnContext.get_conversation_reference(ctx.activity)
    )
    activity.reply_to_id = None
    client = ctx.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY]
    response = await client.conversations.send_to_conversation(activity.conversation.id, activity)
    return str(response.id) if response and response.id else ""
