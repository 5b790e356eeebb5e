"""`SlackMessenger` against the fake Slack: attachments, DMs, members, admins, limits, scopes."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from bot.cards import Attachment, Card, Heading, Image, Text
from bot.domain import Actor, ChannelRef, PersonRef
from handlers.slack.messenger import SlackMessenger
from tests.slack.conftest import SlackStack
from tests.support.slack import TEAM, block_texts

CHANNEL = ChannelRef("slack", TEAM, "C1")


def messenger(stack: SlackStack) -> SlackMessenger:
    found = stack.application.messengers["slack"]
    assert isinstance(found, SlackMessenger)
    return found


async def test_a_chart_attachment_is_uploaded_right_after_its_card(stack: SlackStack) -> None:
    card = Card(
        summary="Pulse #3 results: 71/100",
        blocks=(
            Heading("Pulse #3 results"),
            Text("**71/100**"),
            Image(url="attachment:trend.png", alt="Score over 8 weeks", title="Trend"),
        ),
        attachments=(
            Attachment(
                "trend.png", b"\x89PNG fake", "image/png", "Trend", alt="Score over 8 weeks"
            ),
        ),
    )
    ts = await messenger(stack).post(to=CHANNEL, card=card)
    card_message, file_message = stack.fake.channel_messages("C1")
    assert card_message.ts == ts and "*71/100*" in block_texts(card_message.blocks)
    assert all(b["type"] != "image" for b in card_message.blocks)
    (shared,) = file_message.files
    upload = stack.fake.files[shared["id"]]
    assert (upload.filename, upload.title, upload.alt_txt) == (
        "trend.png",
        "Trend",
        "Score over 8 weeks",
    )
    assert upload.content == b"\x89PNG fake"


async def test_direct_messages_open_the_conversation_once(stack: SlackStack) -> None:
    stack.fake.user(TEAM, "UANN")
    person = PersonRef("slack", TEAM, "UANN")
    for n in range(3):
        await messenger(stack).post(
            to=person, card=Card(summary=f"hello {n}", blocks=(Text("hi"),))
        )
    assert len(stack.fake.direct_messages(TEAM, "UANN")) == 3
    assert len(stack.fake.calls_to("conversations.open")) == 1


async def test_members_are_read_page_by_page(stack: SlackStack) -> None:
    people = [f"U{i:04d}" for i in range(450)]
    stack.fake.channel(TEAM, "C1", members=people)
    members = await messenger(stack).members(channel=CHANNEL)
    assert members == [f"UB{TEAM}", *people]  # the bot joined first
    assert len(stack.fake.calls_to("conversations.members")) == 3


async def test_workspace_admins_and_owners_are_admins(stack: SlackStack) -> None:
    fake = stack.fake
    fake.user(TEAM, "UADMIN", admin=True)
    fake.user(TEAM, "UOWNER").is_owner = True
    fake.user(TEAM, "UPLAIN")
    slack = messenger(stack)
    verdicts = {
        user: await slack.is_workspace_admin(actor=Actor("slack", TEAM, user))
        for user in ("UADMIN", "UOWNER", "UPLAIN")
    }
    assert verdicts == {"UADMIN": True, "UOWNER": True, "UPLAIN": False}
    fake.user(TEAM, "UPLAIN", admin=True)  # promoted: the minute-long cache still says no
    assert not await slack.is_workspace_admin(actor=Actor("slack", TEAM, "UPLAIN"))
    assert len(fake.calls_to("users.info")) == 3


async def test_a_workspace_rate_limit_is_waited_out(stack: SlackStack) -> None:
    stack.fake.rate_limits.workspace_per_second = 3
    for n in range(5):
        await messenger(stack).post(to=CHANNEL, card=Card(summary=f"m{n}", blocks=(Text("x"),)))
    statuses = [c.status for c in stack.fake.calls_to("chat.postMessage")]
    assert 429 in statuses and statuses.count(200) == 5
    assert len(stack.fake.channel_messages("C1")) == 5


async def test_a_missing_scope_fails_like_slack(stack: SlackStack) -> None:
    stack.fake.workspace(TEAM).scopes.discard("files:write")
    card = Card(
        summary="export",
        blocks=(Text("x"),),
        attachments=(Attachment("a.csv", b"a", "text/csv", "A"),),
    )
    with pytest.raises(SlackApiError) as failure:
        await messenger(stack).post(to=CHANNEL, card=card)
    assert failure.value.response["error"] == "missing_scope"
    assert failure.value.response["needed"] == "files:write"
