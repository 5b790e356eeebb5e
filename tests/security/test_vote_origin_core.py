"""Who may vote, at the core's door: the workspace an adapter verified (the installation Bolt
authorised, the tenant Teams names) must be the clicker's own, or the click is refused."""

from __future__ import annotations

from bot.domain import Actor, ClickOrigin
from bot.polls.action_values import VOTE, VoteValue
from tests.support.chat import PLATFORM, WORKSPACE, Chat


async def test_a_click_whose_person_is_not_of_the_verified_workspace_is_refused(
    chat: Chat,
) -> None:
    boss, ann = chat.person("boss"), chat.person("ann")
    await ann.says("/pulse join it")
    await boss.says("/pulse now")
    poll = await chat.open_poll()
    assert poll is not None
    value = VoteValue(poll.id, "trust", "4").encode()
    # Delivered by the poll's own installation, from the poll's channel, but the payload's
    # person is of another workspace: refused, and nothing is stored or kept waiting.
    here = ClickOrigin(PLATFORM, WORKSPACE, chat.channel.channel_id)
    stranger = Actor(PLATFORM, "W-other", "eve")
    refused = await chat.core.action(actor=stranger, action=VOTE, value=value, origin=here)
    assert "belongs to a pulse in another workspace" in refused.card.text()
    assert await chat.core.deps.repo.answers(poll_id=poll.id) == []
    counted = await ann.clicks(VOTE, value, origin=here)
    assert "Got it" in counted.card.text()
    assert len(await chat.core.deps.repo.answers(poll_id=poll.id)) == 1
