"""Render the core's neutral cards as Block Kit, within Slack's limits, validated before sending."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from typing import Any

import orjson
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block as SlackBlock
from slack_sdk.models.blocks import BlockElement

from bot.cards import (
    Actions,
    Attachment,
    Block,
    Card,
    Chart,
    Context,
    Divider,
    Facts,
    Heading,
    Image,
    Select,
    Text,
    typed_commands,
)
from handlers.slack import dataviz

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
SECTION_CHARS = 3000
FIELD_CHARS = 2000
CONTEXT_CHARS = 2000
HEADER_CHARS = 150
BUTTON_CHARS = 75
OPTION_CHARS = 75
PLACEHOLDER_CHARS = 150
FALLBACK_TEXT_CHARS = 3000
#: Separates the neutral action from the part that makes an action_id unique.
ACTION_SEPARATOR = ":"
ATTACHMENT_PREFIX = "attachment:"
#: what comes before a command's words: Slack's commands are slash commands (`/pulse join it`)
COMMAND_LEAD = "/"

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """What chat.postMessage needs: fallback text, blocks, and files to upload beside them."""

    text: str
    blocks: list[JsonDict]
    files: tuple[Attachment, ...] = ()


def neutral_action(action_id: str) -> str:
    """The core's action name inside one of our action_ids (`vote:q_trust:3` → `vote`)."""
    return action_id.partition(ACTION_SEPARATOR)[0]


def message(card: Card) -> SlackMessage:
    """A card as a channel or DM message; `attachment:` images become uploaded files, except
    the picture of a chart Slack draws itself."""
    blocks, drawn = _blocks(card)
    files = tuple(a for a in card.attachments if a.filename not in drawn)
    return SlackMessage(
        text=fallback_text(card),
        blocks=_checked(blocks, limit=MAX_MESSAGE_BLOCKS, card=card),
        files=files,
    )


def home_view(card: Card) -> JsonDict:
    blocks, _ = _blocks(card)
    return {"type": "home", "blocks": _checked(blocks, limit=MAX_VIEW_BLOCKS, card=card)}


def fallback_text(card: Card) -> str:
    """The notification / screen-reader text of a message."""
    return _cut(mrkdwn(card.summary), FALLBACK_TEXT_CHARS)


def mrkdwn(text: str) -> str:
    """The neutral markdown subset as Slack mrkdwn, with &, < and > escaped as Slack requires."""
    escaped = typed(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    bold = _BOLD.sub(r"*\1*", escaped)
    return _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1).replace('|', '¦')}>", bold)


def plain(text: str) -> str:
    """Markdown markers removed, for plain_text fields (headers, buttons)."""
    return _LINK.sub(r"\1", typed(text)).replace("**", "").replace("`", "")


def typed(text: str) -> str:
    """Command tokens as Slack users type them: `/pulse join it`."""
    return typed_commands(text, lead=COMMAND_LEAD)


def _blocks(card: Card) -> tuple[list[JsonDict], frozenset[str]]:
    """The blocks, and the attachments a native chart made unnecessary."""
    out: list[JsonDict] = []
    drawn: set[str] = set()
    room = dataviz.MAX_PER_MESSAGE
    for block in card.blocks:
        if not isinstance(block, Chart):
            out.extend(_render(block))
            continue
        native = dataviz.chart_blocks(block, room=room)
        if native is not None:
            room -= len(native)
            out.extend(native)
            drawn.add(block.image.removeprefix(ATTACHMENT_PREFIX))
        # the figures in words as well: clients without charts, and screen readers
        out.extend(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": chunk}]}
            for chunk in _chunks(mrkdwn(block.alt), CONTEXT_CHARS)
        )
    return out, frozenset(drawn)


def _render(block: Block) -> list[JsonDict]:
    match block:
        case Heading(text=text):
            return [{"type": "header", "text": _plain_text(text, HEADER_CHARS)}]
        case Text(text=text):
            return [_section(chunk) for chunk in _chunks(mrkdwn(text), SECTION_CHARS)]
        case Context(text=text):
            return [
                {"type": "context", "elements": [{"type": "mrkdwn", "text": chunk}]}
                for chunk in _chunks(mrkdwn(text), CONTEXT_CHARS)
            ]
        case Facts(items=items):
            return _facts(items)
        case Divider():
            return [{"type": "divider"}]
        case Image():
            return _image(block)
        case Actions():
            return [_buttons(block)]
        case Select():
            return [_select(block)]
    return []


def _section(text: str) -> JsonDict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _plain_text(text: str, limit: int) -> JsonDict:
    return {"type": "plain_text", "text": _cut(plain(text), limit) or " ", "emoji": True}


def _facts(items: tuple[tuple[str, str], ...]) -> list[JsonDict]:
    fields = [
        {"type": "mrkdwn", "text": _cut(f"*{mrkdwn(label)}*\n{mrkdwn(value)}", FIELD_CHARS)}
        for label, value in items
    ]
    return [{"type": "section", "fields": fields[i : i + 10]} for i in range(0, len(fields), 10)]


def _image(image: Image) -> list[JsonDict]:
    if image.url.startswith(ATTACHMENT_PREFIX) or not image.url.startswith(("https://", "http://")):
        return []  # an attachment is uploaded as a file beside the message (see messenger)
    block: JsonDict = {
        "type": "image",
        "image_url": image.url,
        "alt_text": _cut(plain(image.alt), 2000),
    }
    if image.title:
        block["title"] = _plain_text(image.title, 2000)
    return [block]


def _buttons(actions: Actions) -> JsonDict:
    elements = []
    for index, button in enumerate(actions.buttons[:25]):
        element: JsonDict = {
            "type": "button",
            "text": _plain_text(button.label, BUTTON_CHARS),
            "action_id": _action_id(button.action, actions.block_id, str(index)),
            "value": button.value,
        }
        if button.style:
            element["style"] = button.style
        elements.append(element)
    return {"type": "actions", "block_id": actions.block_id, "elements": elements}


def _select(select: Select) -> JsonDict:
    options = [
        {"text": _plain_text(o.label, OPTION_CHARS), "value": o.value} for o in select.options[:100]
    ]
    element = {
        "type": "static_select",
        "action_id": _action_id(select.action, select.block_id, "select"),
        "placeholder": _plain_text(select.placeholder, PLACEHOLDER_CHARS),
        "options": options,
    }
    return {"type": "actions", "block_id": select.block_id, "elements": [element]}


def _action_id(action: str, block_id: str, suffix: str) -> str:
    return ACTION_SEPARATOR.join((action, block_id, suffix))[:255]


def _checked(blocks: list[JsonDict], *, limit: int, card: Card) -> list[JsonDict]:
    """Blocks Slack will accept; if a card cannot be rendered within the rules, its summary
    alone (a message that says less beats one Slack refuses with `invalid_blocks`)."""
    if len(blocks) > limit:
        note = {"type": "context", "elements": [{"type": "mrkdwn", "text": "(shortened)"}]}
        blocks = [*blocks[: limit - 1], note]
    problem = block_problem(blocks)
    if problem is None:
        return blocks
    log.error(
        "card %r renders to invalid Block Kit (%s); sending its summary", card.summary, problem
    )
    return [_section(chunk) for chunk in _chunks(fallback_text(card), SECTION_CHARS)][:limit]


def block_problem(blocks: list[JsonDict]) -> str | None:
    """Why Slack would refuse these blocks, checked with slack_sdk's models, or None."""
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        return "duplicate block_id"
    if sum(b.get("type") == dataviz.BLOCK_TYPE for b in blocks) > dataviz.MAX_PER_MESSAGE:
        return f"more than {dataviz.MAX_PER_MESSAGE} charts"
    for raw in blocks:
        try:
            canonical = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            return "malformed block"
        problem = _verdict(canonical)
        if problem is not None:
            return problem
    return None


@functools.lru_cache(maxsize=4096)
def _verdict(canonical: bytes) -> str | None:
    """One block's verdict, memoised: the same blocks (a vote's answer, a poll's rows) are
    rendered again and again, and slack_sdk's model check is the costly part of rendering."""
    raw = orjson.loads(canonical)
    return _one_block_problem(raw) if isinstance(raw, dict) else "malformed block"


def _one_block_problem(raw: JsonDict) -> str | None:
    if raw.get("type") == dataviz.BLOCK_TYPE:
        return dataviz.chart_problem(raw)  # slack_sdk has no model for it
    try:
        parsed = SlackBlock.parse(raw)
        if parsed is None:
            return f"unknown block {raw.get('type')!r}"
        parsed.validate_json()
        elements = [
            *raw.get("elements", ()),
            *([raw["accessory"]] if "accessory" in raw else []),
        ]
        action_ids = [e["action_id"] for e in elements if "action_id" in e]
        if len(action_ids) != len(set(action_ids)):
            return "duplicate action_id"
        for element in elements:
            if element.get("type") in ("mrkdwn", "plain_text"):
                continue
            parsed_element = BlockElement.parse(element)
            if parsed_element is None:
                return f"unknown element {element.get('type')!r}"
            parsed_element.validate_json()
    except SlackObjectFormationError as exc:
        return str(exc)
    except (AttributeError, KeyError, TypeError):
        return "malformed block"
    return None


def _chunks(text: str, limit: int) -> list[str]:
    """Split at line breaks into pieces of at most `limit` characters."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            candidate = line
        current = candidate
    if current or not pieces:
        pieces.append(current or " ")
    return pieces


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
