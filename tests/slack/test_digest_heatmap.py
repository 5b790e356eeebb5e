"""The digest's heatmap in Slack, over signed HTTP and the real scheduled step: the picture
uploaded beside the message, the cells as text, every block valid for Slack."""

from __future__ import annotations

import re

from slack_sdk.models.blocks import Block, BlockElement

from bot.channels.steps import StepRunner
from bot.digest.heatmap_chart import FILENAME, MAX_BYTES, render
from bot.digest.views import digest_card, fitted, picture_budget
from demo.slack_api import Message
from handlers.slack.render import MAX_MESSAGE_BLOCKS, SECTION_CHARS, block_problem
from handlers.slack.render import message as render_message
from tests.insight.test_digest_heatmap import crowded
from tests.slack.conftest import SlackStack
from tests.support.clock import FakeClock
from tests.support.slack import SlackPerson, message_text


async def three_pulses(stack: SlackStack, clock: FakeClock, *, steps: bool = False) -> SlackPerson:
    """Three weekly pulses in which IT trusts marketing one point less than the reverse; with
    `steps`, the scheduler's step runner runs after every close (as the scheduler would)."""
    ws, core = stack.workspace, stack.application.core
    boss = ws.person("UBOSS")
    await boss.types("/pulse setup")
    marketing = [ws.person(f"UM{i}") for i in range(3)]
    it = [ws.person(f"UI{i}") for i in range(3)]
    for person in marketing:
        await person.types("/pulse join marketing")
    for person in it:
        await person.types("/pulse join it")
    await boss.types("/pulse digest on")
    for _ in range(3):
        await boss.types("/pulse now")
        poll = ws.poll_message()
        for person in marketing + it:
            await person.clicks(poll, "trust", 5 if person in marketing else 4)
            await person.clicks(poll, "priority", 4)
        clock.advance(days=3)
        await boss.types("/pulse close")
        if steps:
            await StepRunner(core.deps, core.polls, core.digests).run_due()
        clock.advance(days=4)
    await stack.settle()
    return boss


def assert_valid_for_slack(message: Message) -> None:
    assert len(message.blocks) <= MAX_MESSAGE_BLOCKS
    for raw in message.blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()
        for element in raw.get("elements", []):
            if element.get("type") not in ("mrkdwn", "plain_text"):
                parsed = BlockElement.parse(element)
                assert parsed is not None
                parsed.validate_json()
        assert len(raw.get("text", {}).get("text", "")) <= SECTION_CHARS


def the_digest(stack: SlackStack) -> tuple[Message, bytes]:
    """The digest DM and the heatmap uploaded right after it."""
    ws, fake = stack.workspace, stack.fake
    dms = fake.direct_messages(ws.team_id, "UBOSS")
    digests = [i for i, m in enumerate(dms) if "Your BridgePulse digest" in message_text(m)]
    assert digests, [message_text(m)[:80] for m in dms]
    message, upload = dms[digests[-1]], dms[digests[-1] + 1]
    ((shared,),) = [upload.files]
    assert shared["name"] == FILENAME
    content = fake.files[shared["id"]].content
    assert content is not None
    return message, content


async def test_digest_now_over_signed_http_sends_the_heatmap_and_its_cells(
    stack: SlackStack, clock: FakeClock
) -> None:
    boss = await three_pulses(stack, clock)
    sent = await boss.types("/pulse digest now")
    assert "Sent: your digest is in your direct messages" in sent.text
    await stack.settle()
    message, png = the_digest(stack)
    assert_valid_for_slack(message)
    text = message_text(message)
    assert "**" not in text  # Slack's own bold, not the neutral markdown
    assert "*#campaigns* · pulse #3: *" in text
    assert "a gap of 1.0+ for 3 pulses, ⚑ escalated: trust · trust IT 4.0 (−1.0) ⚑" in text
    assert "priority both 4.0" in text
    # Asked but not answered (the lever, the mirror): withheld with each question's own count.
    assert (
        "levers not enough answers (0 of 3) · perception gap not enough answers (0 of 3) · " in text
    )
    assert re.search(r"\nNext step (\(pulse #\d+\)|still open \(from pulse #\d+\))", text)
    assert png.startswith(b"\x89PNG") and len(png) <= MAX_BYTES


async def test_the_weekly_digest_step_sends_the_heatmap(
    stack: SlackStack, clock: FakeClock
) -> None:
    await three_pulses(stack, clock, steps=True)
    message, png = the_digest(stack)
    assert_valid_for_slack(message)
    assert "pulse #3: *" in message_text(message)
    assert png.startswith(b"\x89PNG")


def test_a_forty_row_digest_is_valid_block_kit_within_slacks_limits() -> None:
    grid = crowded(60)
    assert len(grid.rows) == 40
    for shown in (grid, fitted(grid)):
        picture = render(shown, picture_budget(digest_card(shown)))
        rendered = render_message(digest_card(shown, picture=picture))
        assert block_problem(rendered.blocks) is None
        assert len(rendered.blocks) <= MAX_MESSAGE_BLOCKS
        assert rendered.blocks[-1]["type"] == "context"  # not cut: the legend is still there
        assert "(shortened)" not in str(rendered.blocks)
        sections = [b["text"]["text"] for b in rendered.blocks if b["type"] == "section"]
        assert all(len(t) <= SECTION_CHARS for t in sections)
        assert sum(t.startswith("*#marketing-it-programme-") for t in sections) == len(shown.rows)
        # The service always fits the grid first; unfitted, these rows leave no room for one.
        assert [f.filename for f in rendered.files] == ([FILENAME] if shown is not grid else [])
