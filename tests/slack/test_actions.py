"""Actions in Slack over signed HTTP to the real server: the summary's "We'll try this" and
"Not for us" buttons, the owner's "Done?" buttons, `/pulse actions`, a click from another
channel or workspace refused, a double click changing nothing; every message's Block Kit
checked with slack_sdk's models."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from bot.channels.steps import StepRunner
from demo import slack_client
from demo.slack_api import Message
from tests.slack import conftest as slack_fixtures
from tests.slack.conftest import SlackStack
from tests.support.blockkit import problems
from tests.support.clock import FakeClock
from tests.support.slack import ANSWER_WITHIN, TEAM, SlackWorkspace, message_text

fake_slack, stack = slack_fixtures.fake_slack, slack_fixtures.stack
MARKETING, IT = ("UMAYA", "UM1", "UM2"), ("UOMAR", "UI1", "UI2")
#: the first scheduled opening after the clock's start (Mon 23 Nov 08:00) for `fri 09:00`
FRIDAY_9 = datetime(2026, 11, 27, 9, tzinfo=UTC)


def assert_valid_block_kit(blocks: list[dict[str, Any]]) -> None:
    """What Slack would accept: slack_sdk's models for every block and element it knows, and
    the reference's limits for the native charts it does not (tests/support/blockkit.py)."""
    assert blocks
    assert problems(blocks) == []


def button(message: Message, label: str) -> dict[str, Any]:
    for block in message.blocks:
        for element in block.get("elements", []):
            if element.get("type") == "button" and element["text"]["text"] == label:
                return slack_client.button_action(block["block_id"], element)
    raise AssertionError(f"no button {label!r} in {message.text!r}")


def with_button(messages: list[Message], label: str) -> Message:
    """The newest message with a button labelled `label`."""
    found = [
        m
        for m in messages
        for block in m.blocks
        if block.get("type") == "actions"
        and any(e.get("text", {}).get("text") == label for e in block["elements"])
    ]
    assert found, f"no message with a {label!r} button"
    return found[-1]


async def summary(stack: SlackStack) -> Message:
    """A pulse with a wide trust gap and low trust (two rules fire), closed: its summary."""
    ws = stack.workspace
    stack.fake.user(TEAM, "UMAYA", name="Maya Lopez")
    boss = ws.person("UBOSS")
    assert "Weekly pulse is on" in (await boss.types("/pulse setup fri 09:00 UTC 3")).text
    for side, people in (("marketing", MARKETING), ("it", IT)):
        for user in people:
            await ws.person(user).types(f"/pulse join {side}")
    await boss.types("/pulse now")
    poll = ws.poll_message()
    for user in (*MARKETING, *IT):
        await ws.person(user).clicks(poll, "trust", "4" if user in MARKETING else "1")
    await boss.types("/pulse close")
    await stack.settle()
    return with_button(ws.messages(), "We'll try this")


async def click(
    ws: SlackWorkspace,
    user: str,
    message: Message,
    label: str,
    *,
    channel_id: str | None = None,
    team_id: str | None = None,
) -> str:
    """Click a button of `message`; returns the response_url the bot may answer on."""
    response_url = ws.fake.new_response_url()
    where = ws.where(channel_id)
    if team_id is not None:
        where = slack_client.Where(team_id, where.channel_id, where.channel_name, where.app_id)
    payload = slack_client.block_actions(
        where,
        user_id=user,
        action=button(message, label),
        response_url=response_url,
        message={"ts": message.ts, "text": message.text, "blocks": message.blocks},
    )
    result = await ws.send(slack_client.interaction_body(payload))
    assert (result.status, result.text) == (200, "")
    return response_url


async def channel_post(stack: SlackStack, before: int) -> Message:
    ws = stack.workspace
    async with asyncio.timeout(ANSWER_WITHIN):
        await ws.fake.wait_for(lambda: len(ws.messages()) > before or None)
    await stack.settle()
    return ws.messages()[before]


async def test_we_will_try_this_names_the_person_and_a_double_click_changes_nothing(
    stack: SlackStack,
) -> None:
    ws = stack.workspace
    card = await summary(stack)
    assert_valid_block_kit(card.blocks)
    before = len(ws.messages())
    await click(ws, "UMAYA", card, "We'll try this")
    taken = await channel_post(stack, before)
    assert message_text(taken).startswith("Maya will try this:")
    assert_valid_block_kit(taken.blocks)
    again = await ws.answer(await click(ws, "UMAYA", card, "We'll try this"))
    assert "You've already taken this on" in again.text
    other = await ws.answer(await click(ws, "UOMAR", card, "Not for us"))
    assert "Maya has already taken this on" in other.text
    await stack.settle()
    assert len(ws.messages()) == before + 1  # one announcement, whatever the clicks
    listed = await ws.person("UOMAR").types("/pulse actions")
    assert "Maya · taken on" in listed.text
    assert_valid_block_kit(listed.blocks)


async def test_not_for_us_offers_the_next_best_with_its_own_buttons(stack: SlackStack) -> None:
    ws = stack.workspace
    card = await summary(stack)
    before = len(ws.messages())
    await click(ws, "UOMAR", card, "Not for us")
    offered = await channel_post(stack, before)
    assert_valid_block_kit(offered.blocks)
    text = message_text(offered)
    assert "Not for us:" in text and "Here is another next step" in text
    twice = await ws.answer(await click(ws, "UOMAR", card, "Not for us"))
    assert "was set aside" in twice.text
    await stack.settle()
    assert len(ws.messages()) == before + 1
    await click(ws, "UMAYA", offered, "We'll try this")
    taken = await channel_post(stack, before + 1)
    assert message_text(taken).startswith("Maya will try this:")
    listed = (await ws.person("UBOSS").types("/pulse actions")).text
    assert "declined" in listed and "Maya · taken on" in listed


async def test_a_summary_shared_into_another_channel_or_workspace_takes_no_clicks(
    stack: SlackStack,
) -> None:
    ws = stack.workspace
    card = await summary(stack)
    ws.fake.channel(ws.team_id, "C-SHARED", name="random", members=["UMAYA"])
    url = await click(ws, "UMAYA", card, "We'll try this", channel_id="C-SHARED")
    assert "belongs to a next step in another channel" in (await ws.answer(url)).text
    ws.fake.workspace("T-OTHER")
    ws.fake.channel("T-OTHER", ws.channel_id, name="campaigns", members=["UMAYA"])
    url = await click(ws, "UMAYA", card, "Not for us", team_id="T-OTHER")
    assert "another workspace" in (await ws.answer(url)).text
    await stack.settle()
    listed = (await ws.person("UBOSS").types("/pulse actions")).text
    assert "offered, nobody has taken it on yet" in listed


async def test_the_owner_is_asked_once_and_only_they_can_answer(
    stack: SlackStack, clock: FakeClock
) -> None:
    ws, fake, core = stack.workspace, stack.fake, stack.application.core
    card = await summary(stack)
    await click(ws, "UMAYA", card, "We'll try this")
    await stack.settle()
    clock.set(FRIDAY_9)  # the next scheduled pulse opens…
    await StepRunner(core.deps, core.polls, core.digests).run_due()
    await StepRunner(core.deps, core.polls, core.digests).run_due()  # …and after a restart
    (ask,) = fake.direct_messages(ws.team_id, "UMAYA")
    assert "Done?" in message_text(ask)
    assert_valid_block_kit(ask.blocks)
    in_channel = await ws.answer(await click(ws, "UMAYA", ask, "Yes"))
    assert "Only the person who took this on" in in_channel.text
    omar_dm = fake.dm_channel(ws.team_id, "UOMAR")
    forged = await ws.answer(await click(ws, "UOMAR", ask, "Yes", channel_id=omar_dm))
    assert "Only the person who took this on" in forged.text
    maya_dm = fake.dm_channel(ws.team_id, "UMAYA")
    not_yet = await ws.answer(await click(ws, "UMAYA", ask, "Not yet", channel_id=maya_dm))
    assert "Noted: not yet" in not_yet.text
    done = await ws.answer(await click(ws, "UMAYA", ask, "Yes", channel_id=maya_dm))
    assert "marked done" in done.text
    assert "Maya · done" in (await ws.person("UBOSS").types("/pulse actions")).text
