"""Neutral cards: what the core wants to show, rendered natively by each platform adapter.

Text uses a small markdown subset every renderer understands: ``**bold**``, ``_italic_``,
`` `code` ``, ``[label](url)`` and line breaks, plus a command written with `command` (a neutral
token each platform renders in the form its people type it: `/pulse join it` in Slack, `pulse
join it` in Teams). Actions carry an opaque ``value`` string that
only the core parses (see `bot.polls.action_values`), so renderers never interpret product semantics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

#: brackets of a neutral command token; they never reach a platform (renderers replace them)
#: and user text quoted back in a card is stripped of them (`plain_words`)
COMMAND_OPEN, COMMAND_CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧
_COMMAND = re.compile(f"{COMMAND_OPEN}([^{COMMAND_OPEN}{COMMAND_CLOSE}\n]*){COMMAND_CLOSE}")
_MARKERS = re.compile(f"[{COMMAND_OPEN}{COMMAND_CLOSE}]")
#: how the slash-command platform writes a command, and how `Card.text` shows one
SLASH = "/"


def command(words: str) -> str:
    """A command as a neutral token (`command("pulse join it")`); write it inside backticks for
    code formatting. Each renderer turns it into the platform's form with `typed_commands`."""
    return f"{COMMAND_OPEN}{plain_words(words)}{COMMAND_CLOSE}"


def typed_commands(text: str, *, lead: str) -> str:
    """`text` with each command token as people type it on a platform: `lead` (Slack's "/",
    Teams' "") before its words; a stray bracket is dropped, so no token ever leaks."""
    return _MARKERS.sub("", _COMMAND.sub(lambda m: lead + m.group(1), text))


def plain_words(text: str) -> str:
    """`text` unable to pose as a command token: the token's brackets removed (for user text
    quoted back in a card)."""
    return _MARKERS.sub("", text)


@dataclass(frozen=True, slots=True)
class Heading:
    text: str


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Context:
    """Small print: legends, privacy notes, footers."""

    text: str


@dataclass(frozen=True, slots=True)
class Facts:
    """Label/value pairs shown as a compact two-column list."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Divider:
    pass


@dataclass(frozen=True, slots=True)
class Image:
    """An image by URL, or by ``attachment:<filename>`` naming one of the card's attachments."""

    url: str
    alt: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: str
    value: str
    style: Literal["primary", "danger"] | None = None


@dataclass(frozen=True, slots=True)
class Actions:
    """One row of buttons; `block_id` is unique within the card."""

    block_id: str
    buttons: tuple[Button, ...]


@dataclass(frozen=True, slots=True)
class Option:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Select:
    """Pick one of `options`; choosing fires `action` with the option's value."""

    block_id: str
    action: str
    placeholder: str
    options: tuple[Option, ...]


@dataclass(frozen=True, slots=True)
class Series:
    """One named line: a value per category of its chart (None where there is no figure), and
    optionally a band around it (`low`/`high` per category, e.g. a 90% interval)."""

    name: str
    values: tuple[float | None, ...]
    low: tuple[float | None, ...] = ()
    high: tuple[float | None, ...] = ()


@dataclass(frozen=True, slots=True)
class Panel:
    """Series that share one y scale (the score 0–100; average answers 1–5)."""

    title: str
    y_label: str
    series: tuple[Series, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """Line charts over shared categories (pulses), one per panel. A platform draws them
    natively where it can (Slack's data_visualization block) and otherwise shows `image`
    (``attachment:<file>``, a picture of the same figures); `alt` says every figure in words."""

    title: str
    categories: tuple[str, ...]
    panels: tuple[Panel, ...]
    alt: str
    x_label: str = ""
    image: str = ""


Block = Heading | Text | Context | Facts | Divider | Image | Chart | Actions | Select


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with or instead of a card (chart PNG, CSV export)."""

    filename: str
    content: bytes
    mime: str
    title: str
    alt: str = ""


@dataclass(frozen=True, slots=True)
class Card:
    """A message: blocks in order, plus a plain-text `summary` for notifications and screen readers."""

    summary: str
    blocks: tuple[Block, ...]
    attachments: tuple[Attachment, ...] = field(default=())

    def text(self) -> str:
        """All visible text, for logs, transcripts and privacy checks in tests; commands in the
        slash form, as the documentation writes them."""
        parts: list[str] = [self.summary]
        for b in self.blocks:
            match b:
                case Heading(text=t) | Text(text=t) | Context(text=t):
                    parts.append(t)
                case Facts(items=items):
                    parts.extend(f"{k}: {v}" for k, v in items)
                case Image(alt=alt, title=title):
                    parts.append(f"[image: {title or alt}]")
                case Chart(alt=alt, title=title):
                    parts.append(f"[chart: {title or alt}]")
                case Actions(buttons=buttons):
                    parts.append(" ".join(f"[{x.label}]" for x in buttons))
                case Select(placeholder=p, options=opts):
                    parts.append(f"[{p}: " + " | ".join(o.label for o in opts) + "]")
        return typed_commands("\n".join(parts), lead=SLASH)


def simple(text: str, *, heading: str | None = None) -> Card:
    """A card of one paragraph, optionally under a heading."""
    blocks: tuple[Block, ...] = (Text(text),)
    if heading:
        blocks = (Heading(heading), *blocks)
    return Card(summary=text if not heading else f"{heading}: {text}", blocks=blocks)
