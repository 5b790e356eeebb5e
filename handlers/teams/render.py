"""Neutral cards → Adaptive Cards 1.4 for Microsoft Teams, and plain text for invoke toasts.

Mapping: Heading/Text/Context → TextBlock, Facts → FactSet, Divider → a separator on the next
element, Actions → ActionSet of `Action.Execute` (Teams shows at most six per set), Select → an
ActionSet of buttons when it has six options or fewer, otherwise Input.ChoiceSet plus a button.

Attachments: Teams bots cannot attach files to channel messages, so an image attachment named by
an ``attachment:<file>`` Image becomes an inline ``data:`` URI, and other files (the CSV export)
are shown inline as monospace text. Both are kept under a byte budget so the whole message
stays below Teams' ~28 KB activity limit; anything larger is replaced by a short note.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from bot.cards import (
    Actions,
    Attachment,
    Button,
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

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"
#: Teams renders at most this many actions in one ActionSet.
MAX_ACTIONS = 6
#: Bytes of inline attachment content (base64 or text) one card may carry.
ATTACHMENT_BUDGET = 18_000
_CODE = re.compile(r"`([^`\n]*)`")
_MARKUP = re.compile(r"\*\*|(?<!\w)_|_(?!\w)|`")
#: what comes before a command's words: Teams users type the words to the bot (`pulse join it`)
COMMAND_LEAD = ""
_STYLES = {"primary": "positive", "danger": "destructive"}

Json = dict[str, Any]


def attachment(card: Card) -> Json:
    """The activity attachment carrying the card."""
    return {"contentType": ADAPTIVE_CARD, "content": adaptive_card(card)}


def adaptive_card(card: Card) -> Json:
    body: list[Json] = []
    separate = False
    budget = _Budget(ATTACHMENT_BUDGET)
    for block in card.blocks:
        if isinstance(block, Divider):
            separate = True
            continue
        elements = _elements(block, card.attachments, budget)
        if elements and separate:
            elements[0]["separator"] = True
            separate = False
        body.extend(elements)
    referenced = {
        b.url.removeprefix("attachment:") for b in card.blocks if isinstance(b, Image)
    } | {b.image.removeprefix("attachment:") for b in card.blocks if isinstance(b, Chart)}
    for extra in card.attachments:
        if extra.filename not in referenced:
            body.extend(_file(extra, budget))
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body or [_text_block(card.summary)],
        "msteams": {"width": "Full"},
    }


def plain_text(card: Card, *, limit: int = 400) -> str:
    """The card's words without markup, for an invoke's message reply (a toast on the card)."""
    parts = [
        _MARKUP.sub("", b.text).replace("\n", " ")
        for b in card.blocks
        if isinstance(b, Heading | Text | Context)
    ]
    text = typed(" ".join(p.strip() for p in parts if p.strip()) or card.summary)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def has_actions(card: Card) -> bool:
    return any(isinstance(b, Actions | Select) for b in card.blocks)


def summary(card: Card) -> str:
    """The card's notification text (an activity's `summary`)."""
    return typed(card.summary)


def typed(text: str) -> str:
    """Command tokens as Teams users type them to the bot: `pulse join it`."""
    return typed_commands(text, lead=COMMAND_LEAD)


def teams_markdown(text: str) -> str:
    """The neutral markdown subset in Teams' dialect: **bold**, _italic_ and links carry over;
    Adaptive Card text has no inline code, so `code` keeps its words without the backticks."""
    return _CODE.sub(r"\1", typed(text))


def _elements(block: object, files: tuple[Attachment, ...], budget: _Budget) -> list[Json]:
    match block:
        case Heading(text=text):
            return [_text_block(text, weight="Bolder", size="Medium")]
        case Text(text=text):
            lines = [line for line in text.split("\n") if line.strip()]
            blocks = [_text_block(line) for line in lines]
            for later in blocks[1:]:
                later["spacing"] = "None"
            return blocks
        case Context(text=text):
            return [_text_block(text, isSubtle=True, size="Small")]
        case Facts(items=items):
            facts = [{"title": teams_markdown(k), "value": teams_markdown(v)} for k, v in items]
            return [{"type": "FactSet", "facts": facts}] if facts else []
        case Image():
            return _image(block, files, budget)
        case Chart(image=image, alt=alt, title=title):
            # Adaptive Cards have no chart element: Teams shows the chart's picture (its PNG)
            return _image(Image(image, alt, title), files, budget) if image else [_text_block(alt)]
        case Actions(block_id=block_id, buttons=buttons):
            return _action_sets(block_id, [_execute(b) for b in buttons])
        case Select():
            return _select(block)
    return []


def _text_block(text: str, **style: Any) -> Json:
    return {"type": "TextBlock", "text": teams_markdown(text) or " ", "wrap": True, **style}


def _execute(button: Button) -> Json:
    action: Json = {
        "type": "Action.Execute",
        "title": typed(button.label),
        "verb": button.action,
        "data": {"action": button.action, "value": button.value},
    }
    if button.style:
        action["style"] = _STYLES[button.style]
    return action


def _action_sets(block_id: str, actions: list[Json]) -> list[Json]:
    sets = []
    for start in range(0, len(actions), MAX_ACTIONS):
        suffix = "" if start == 0 else f"_{start // MAX_ACTIONS + 1}"
        sets.append(
            {
                "type": "ActionSet",
                "id": block_id + suffix,
                "actions": actions[start : start + MAX_ACTIONS],
            }
        )
    return sets


def _select(select: Select) -> list[Json]:
    if len(select.options) <= MAX_ACTIONS:
        buttons = [Button(o.label, select.action, o.value) for o in select.options]
        return _action_sets(select.block_id, [_execute(b) for b in buttons])
    choices = [{"title": typed(o.label), "value": o.value} for o in select.options]
    submit = {
        "type": "Action.Execute",
        "title": "Choose",
        "verb": select.action,
        "data": {"action": select.action, "input": select.block_id},
    }
    return [
        {
            "type": "Input.ChoiceSet",
            "id": select.block_id,
            "placeholder": typed(select.placeholder),
            "style": "compact",
            "choices": choices,
        },
        {"type": "ActionSet", "id": f"{select.block_id}_submit", "actions": [submit]},
    ]


def _image(image: Image, files: tuple[Attachment, ...], budget: _Budget) -> list[Json]:
    url = image.url
    if url.startswith("attachment:"):
        name = url.removeprefix("attachment:")
        found = next((f for f in files if f.filename == name), None)
        encoded = base64.b64encode(found.content).decode("ascii") if found else ""
        if found is None or not budget.take(len(encoded)):
            return [_text_block(f"({image.title or image.alt}: chart not shown in Teams)")]
        url = f"data:{found.mime};base64,{encoded}"
    element: Json = {"type": "Image", "url": url, "altText": typed(image.alt or image.title)}
    caption = [_text_block(image.title, isSubtle=True, size="Small")] if image.title else []
    return [*caption, element]


def _file(file: Attachment, budget: _Budget) -> list[Json]:
    head = _text_block(f"**{file.title or file.filename}**")
    if file.mime.startswith("image/"):
        return _image(Image(f"attachment:{file.filename}", file.alt, file.title), (file,), budget)
    text = file.content.decode("utf-8", errors="replace")
    if not budget.take(len(text.encode("utf-8"))):
        note = (
            f"{file.filename} is too large to show in a Teams message ({len(file.content)} bytes)."
        )
        return [head, _text_block(note, isSubtle=True, size="Small")]
    rows = [
        _text_block(_escape(line), fontType="Monospace", size="Small", spacing="None")
        for line in text.splitlines()
        if line
    ]
    return [head, *rows]


def _escape(text: str) -> str:
    """Literal text inside a TextBlock, which would otherwise read `_` and `*` as markdown."""
    return re.sub(r"([\\*_\[\]`])", r"\\\1", text)


class _Budget:
    """Bytes left for inline attachment content in one card."""

    def __init__(self, left: int) -> None:
        self.left = left

    def take(self, size: int) -> bool:
        if size > self.left:
            return False
        self.left -= size
        return True
