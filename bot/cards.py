"""Neutral cards: what the core wants to show, rendered natively by each platform adapter.

Text uses a small markdown subset every renderer understands: ``**bold**``, ``_italic_``,
`` `code` ``, ``[label](url)`` and line breaks. Actions carry an opaque ``value`` string that
only the core parses (see `bot.polls.action_values`), so renderers never interpret product semantics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


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
        """All visible text, for logs, transcripts and privacy checks in tests."""
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
        return "\n".join(parts)


def simple(text: str, *, heading: str | None = None) -> Card:
    """A card of one paragraph, optionally under a heading."""
    blocks: tuple[Block, ...] = (Text(text),)
    if heading:
        blocks = (Heading(heading), *blocks)
    return Card(summary=text if not heading else f"{heading}: {text}", blocks=blocks)
