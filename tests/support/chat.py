"""A chat-style harness for the core: people type commands and click, tests read like a chat.

    chat = Chat(core, messenger)
    alice = chat.person("alice")
    await alice.says("/pulse join marketing")
    await alice.clicks_answer("trust", "4")

It drives the real core and repository; only the platform is replaced by `RecordingMessenger`,
which keeps every card the core posted, updated or sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.cards import Actions, Card, Select
from bot.context import Deps
from bot.core import Core
from bot.domain import Actor, ChannelRef, ClickOrigin, Destination, Poll
from bot.polls.action_values import VOTE, VoteValue
from bot.ports import Clock, Messenger, Repository
from bot.privacy import RespondentHasher
from bot.questions import QuestionSets
from bot.reply import Reply

PLATFORM = "test"
WORKSPACE = "W1"


@dataclass
class Sent:
    to: Destination
    card: Card
    ref: str


@dataclass
class RecordingMessenger:
    """Implements the core's Messenger port in memory, for core-level tests."""

    members_by_channel: dict[str, list[str]] = field(default_factory=dict)
    admins: set[str] = field(default_factory=set)
    posts: list[Sent] = field(default_factory=list)
    updates: list[Sent] = field(default_factory=list)

    async def post(self, *, to: Destination, card: Card) -> str:
        ref = f"m{len(self.posts) + 1}"
        self.posts.append(Sent(to, card, ref))
        return ref

    async def update(self, *, to: ChannelRef, message_ref: str, card: Card) -> None:
        self.updates.append(Sent(to, card, message_ref))

    async def members(self, *, channel: ChannelRef) -> Sequence[str]:
        return self.members_by_channel.get(channel.channel_id, [])

    async def is_workspace_admin(self, *, actor: Actor) -> bool:
        return actor.user_id in self.admins

    def texts(self) -> list[str]:
        return [s.card.text() for s in self.posts]


@dataclass
class Person:
    chat: Chat
    user_id: str
    channel: ChannelRef

    @property
    def actor(self) -> Actor:
        return Actor(PLATFORM, WORKSPACE, self.user_id)

    async def says(self, text: str) -> Reply:
        """A slash command such as `/pulse join it` or `/alignment explain`."""
        name, _, rest = text.lstrip("/").partition(" ")
        assert name in ("pulse", "alignment"), f"not a command: {text}"
        return await self.chat.core.command(
            actor=self.actor,
            channel=self.channel,
            text=rest,
            name=name,  # type: ignore[arg-type]
            channel_name=self.chat.channel_name,
        )

    async def clicks(self, action: str, value: str, *, origin: ClickOrigin | None = None) -> Reply:
        """A click in the person's channel, unless `origin` says where else."""
        where = origin or ClickOrigin(PLATFORM, WORKSPACE, self.channel.channel_id)
        return await self.chat.core.action(
            actor=self.actor, action=action, value=value, origin=where
        )

    async def clicks_answer(self, question_id: str, value: str, poll: Poll | None = None) -> Reply:
        target = poll or await self.chat.open_poll()
        assert target is not None, "no open poll to answer"
        return await self.clicks(VOTE, VoteValue(target.id, question_id, value).encode())


class Chat:
    def __init__(
        self,
        core: Core,
        messenger: RecordingMessenger,
        *,
        channel_id: str = "C1",
        channel_name: str = "campaigns",
    ) -> None:
        self.core = core
        self.messenger = messenger
        self.channel = ChannelRef(PLATFORM, WORKSPACE, channel_id)
        self.channel_name = channel_name

    def person(self, user_id: str) -> Person:
        members = self.messenger.members_by_channel.setdefault(self.channel.channel_id, [])
        if user_id not in members:
            members.append(user_id)
        return Person(self, user_id, self.channel)

    async def open_poll(self) -> Poll | None:
        channel = await self.core.deps.repo.find_channel(ref=self.channel)
        return await self.core.deps.repo.open_poll(channel_id=channel.id) if channel else None

    def last_post(self) -> Card:
        return self.messenger.posts[-1].card


def poll_actions(card: Card) -> list[tuple[str, str]]:
    """Every (action, value) a card offers, in order."""
    found: list[tuple[str, str]] = []
    for block in card.blocks:
        if isinstance(block, Actions):
            found += [(b.action, b.value) for b in block.buttons]
        elif isinstance(block, Select):
            found += [(block.action, o.value) for o in block.options]
    return found


def deps_for_tests(repo: Repository, messenger: Messenger, clock: Clock) -> Deps:
    """The core's dependencies as tests use them: k = 3, a fixed secret, one platform."""
    return Deps(
        repo=repo,
        hasher=RespondentHasher("test-secret"),
        question_sets=QuestionSets.load(),
        k=3,
        messengers={PLATFORM: messenger},
        clock=clock,
        refresh_delay=0.0,
    )
