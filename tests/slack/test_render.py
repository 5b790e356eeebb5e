"""Neutral cards as Block Kit: markdown, Slack's limits, and validation with slack_sdk's models."""

from __future__ import annotations

from bot.cards import (
    COMMAND_CLOSE,
    COMMAND_OPEN,
    Actions,
    Attachment,
    Button,
    Card,
    Context,
    Divider,
    Facts,
    Heading,
    Image,
    Option,
    Select,
    Text,
    command,
)
from handlers.slack import render


def test_markdown_subset_becomes_mrkdwn_with_escaping() -> None:
    text = "**Trust** is _up_ in `#campaigns` — see [the docs](https://example.com/a?b=1&c=2) <now> & then"
    assert render.mrkdwn(text) == (
        "*Trust* is _up_ in `#campaigns` — see <https://example.com/a?b=1&amp;c=2|the docs> "
        "&lt;now&gt; &amp; then"
    )
    assert render.plain("**Weekly** `pulse` [x](https://e.com)") == "Weekly pulse x"


def test_every_block_kind_renders_and_validates() -> None:
    card = Card(
        summary="summary",
        blocks=(
            Heading("Title"),
            Text("Body"),
            Context("small"),
            Facts((("Trust", "4.0"), ("Priority", "3.5"))),
            Divider(),
            Image(url="https://example.com/chart.png", alt="chart", title="Chart"),
            Image(url="attachment:chart.png", alt="chart"),
            Actions("q_trust", tuple(Button(str(v), "vote", f"1:trust:{v}") for v in range(1, 6))),
            Select("q_lever", "vote", "Choose", (Option("Speed", "1:lever:speed"),)),
        ),
        attachments=(Attachment("chart.png", b"png", "image/png", "Chart"),),
    )
    message = render.message(card)
    types = [b["type"] for b in message.blocks]
    assert types == [
        "header",
        "section",
        "context",
        "section",
        "divider",
        "image",
        "actions",
        "actions",
    ]
    assert render.block_problem(message.blocks) is None
    assert message.files == card.attachments  # the attachment image is uploaded, not drawn
    buttons = message.blocks[6]["elements"]
    assert [b["action_id"] for b in buttons] == [f"vote:q_trust:{i}" for i in range(5)]
    assert [b["value"] for b in buttons] == [f"1:trust:{v}" for v in range(1, 6)]
    assert render.neutral_action(buttons[0]["action_id"]) == "vote"
    select = message.blocks[7]["elements"][0]
    assert select["type"] == "static_select" and select["options"][0]["value"] == "1:lever:speed"


def test_long_content_is_split_or_cut_within_slacks_limits() -> None:
    long_lines = "\n".join("x" * 70 for _ in range(100))  # 7,099 characters
    card = Card(
        summary="s" * 5000,
        blocks=(
            Heading("h" * 400),
            Text(long_lines),
            Facts(tuple((f"k{i}", "v") for i in range(23))),
            Actions("row", (Button("b" * 200, "vote", "v"),)),
        ),
    )
    message = render.message(card)
    sections = [b for b in message.blocks if b["type"] == "section" and "text" in b]
    assert len(sections) == 3 and all(len(s["text"]["text"]) <= 3000 for s in sections)
    assert "\n".join(s["text"]["text"] for s in sections) == long_lines
    assert len(message.blocks[0]["text"]["text"]) == 150
    assert [len(b["fields"]) for b in message.blocks if "fields" in b] == [10, 10, 3]
    assert len(message.blocks[-1]["elements"][0]["text"]["text"]) == 75
    assert len(message.text) <= 3000
    assert render.block_problem(message.blocks) is None


def test_more_than_fifty_blocks_are_shortened_and_a_home_view_may_have_a_hundred() -> None:
    card = Card(summary="many", blocks=tuple(Text(f"line {i}") for i in range(120)))
    blocks = render.message(card).blocks
    assert len(blocks) == 50 and "shortened" in blocks[-1]["elements"][0]["text"]
    assert len(render.home_view(card)["blocks"]) == 100


def test_a_card_slack_would_refuse_falls_back_to_its_summary() -> None:
    broken = Card(
        summary="Pulse is open",
        blocks=(Select("q", "vote", "Choose", ()), Actions("q", (Button("1", "vote", "v"),))),
    )
    blocks = render.message(broken).blocks
    assert blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": "Pulse is open"}}]
    assert render.block_problem([{"type": "actions", "elements": [{"type": "button"}]}])
    duplicate = [
        {"type": "divider", "block_id": "same"},
        {"type": "divider", "block_id": "same"},
    ]
    assert render.block_problem(duplicate) == "duplicate block_id"


def _card_with_commands() -> Card:
    join = command("pulse join it")
    return Card(
        summary=f"Type {join} to join.",
        blocks=(
            Heading(f"Try {command('alignment')}"),
            Text(f"Say which team you are in: `{join}`."),
            Context(f"`{command('pulse help')}` lists every command."),
            Facts(((f"{command('pulse status')}", f"`{command('pulse resume')}`"),)),
            Actions("row", (Button(f"Run {command('pulse now')}", "go", "1"),)),
        ),
    )


def test_a_command_token_renders_as_the_slash_command_slack_users_type() -> None:
    card = _card_with_commands()
    sent = render.message(card)
    words = str(sent.blocks) + sent.text
    assert sent.text == "Type /pulse join it to join."
    assert sent.blocks[0]["text"]["text"] == "Try /alignment"
    assert sent.blocks[1]["text"]["text"] == "Say which team you are in: `/pulse join it`."
    assert sent.blocks[2]["elements"][0]["text"] == "`/pulse help` lists every command."
    assert sent.blocks[3]["fields"][0]["text"] == "*/pulse status*\n`/pulse resume`"
    assert sent.blocks[4]["elements"][0]["text"]["text"] == "Run /pulse now"
    assert render.home_view(card)["blocks"] == sent.blocks
    assert COMMAND_OPEN not in words and COMMAND_CLOSE not in words
