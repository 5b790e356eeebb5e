"""The instant between the platform taking a channel post and the bot recording it: a step
resumed after a crash there asks the platform (posts carry a marker) instead of posting twice.
Here the "crash" is an error right after the platform took the post; the step is then resumed
the way the scheduler resumes it. (`test_kill_restart.py` does it with a real SIGKILL.)"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.cards import Card
from bot.core import SORRY
from bot.domain import ChannelRef
from bot.ports import MarkedPosts
from tests.support.chat import Chat, RecordingMessenger


@dataclass
class MarkedMessenger(RecordingMessenger):
    """A platform that keeps each post's marker and can be asked for it, and whose first
    marked post of each of `crash_after` "kills the bot" once the post went out."""

    markers: dict[str, str] = field(default_factory=dict)
    crash_after: set[str] = field(default_factory=set)
    asked: list[str] = field(default_factory=list)

    async def post_marked(self, *, to: ChannelRef, card: Card, marker: str) -> str:
        ref = await self.post(to=to, card=card)
        self.markers[marker] = ref
        if marker in self.crash_after:
            self.crash_after.discard(marker)
            raise ConnectionResetError("the process died before it heard back")
        return ref

    async def find_marked(self, *, to: ChannelRef, marker: str) -> str | None:
        self.asked.append(marker)
        return self.markers.get(marker)


@pytest.fixture
def messenger() -> MarkedMessenger:
    return MarkedMessenger()


async def test_a_summary_posted_just_before_a_crash_is_not_posted_again(
    chat: Chat, messenger: MarkedMessenger
) -> None:
    assert isinstance(messenger, MarkedPosts)
    boss = chat.person("boss")
    await boss.says("/pulse setup mon 09:00 UTC 3")
    assert "Pulse #1 is open" in (await boss.says("/pulse now")).card.text()
    poll = await chat.open_poll()
    assert poll is not None
    messenger.crash_after.add(f"summary:{poll.id}")

    crashed = await boss.says("/pulse close")
    assert SORRY in crashed.card.text()  # the close stopped half-way, after Slack took it
    summaries = [m for m in messenger.markers if m.startswith("summary:")]
    assert summaries == [f"summary:{poll.id}"]
    posts_before = len(messenger.posts)

    await chat.core.polls.finish(poll.id)  # what the scheduler does with an unfinished close
    assert messenger.asked == [f"summary:{poll.id}"]
    assert len(messenger.posts) == posts_before  # found, recorded, not posted again
    await chat.core.polls.finish(poll.id)  # and a finished close stays finished
    assert len(messenger.posts) == posts_before


async def test_a_close_that_never_reached_the_platform_posts_its_summary(
    chat: Chat, messenger: MarkedMessenger
) -> None:
    boss = chat.person("boss")
    await boss.says("/pulse now")
    poll = await chat.open_poll()
    assert poll is not None
    closed = await chat.core.deps.repo.mark_closed(
        poll_id=poll.id, closed_at=chat.core.deps.clock.now()
    )
    assert closed  # the process died right after closing, before any post
    await chat.core.polls.finish(poll.id)
    assert messenger.asked == []  # nothing was attempted, so nothing to ask about
    assert f"summary:{poll.id}" in messenger.markers
