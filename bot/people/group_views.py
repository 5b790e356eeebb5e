"""Replies about groups mapped to sides: mapped, unmapped, the list, and what went wrong."""

from __future__ import annotations

from bot.cards import Card, Context, Facts, Heading, Text, command, simple
from bot.domain import GroupSide
from bot.formatting import plural


def mapped(mapping: GroupSide, *, members: int, adopted: int) -> Card:
    side, label = mapping.side.label, mapping.group.label
    kept = members - adopted
    text = (
        f"Mapped **{label}** to **{side}**: {plural(adopted, 'member')} without a side now "
        f"count for {side}"
        + (
            f"; {plural(kept, 'member')} had a side already and "
            + ("keeps it" if kept == 1 else "keep theirs")
            if kept
            else ""
        )
        + "."
    )
    return Card(
        summary=text.replace("**", ""),
        blocks=(
            Text(text),
            Context(
                f"People who join {label} later get {side} the first time they answer. Anyone "
                f"can still choose with `{command('pulse join')}`; a side someone chose always wins. "
                "Nobody's answers are shown: only totals per side, as always."
            ),
        ),
    )


def unmapped(label: str, *, found: bool) -> Card:
    if not found:
        return simple(f"{label} was not mapped to a side, so nothing changed.")
    return simple(
        f"Unmapped {label}: new members no longer get a side from it. Sides already given stay "
        "until each person changes theirs."
    )


def listing(mappings: list[GroupSide]) -> Card:
    if not mappings:
        text = (
            "No group is mapped to a side here. A workspace admin can map one with "
            f"`{command('pulse map <group> marketing|it|other')}`."
        )
        return simple(text)
    summary = "Groups mapped to sides: " + "; ".join(
        f"{m.group.label} → {m.side.label}" for m in mappings
    )
    return Card(
        summary=summary,
        blocks=(
            Heading("Groups mapped to sides"),
            Facts(tuple((m.group.label, m.side.label) for m in mappings)),
            Context(
                f"A side someone chose with `{command('pulse join')}` always wins over a group's."
            ),
        ),
    )


def no_such_group(name: str, *, hint: str) -> Card:
    return simple(f"I couldn't find the group “{name}”. Name {hint}.")


def not_available() -> Card:
    return simple(
        f"This platform has no groups BridgePulse can map; use `{command('pulse join')}` instead."
    )
