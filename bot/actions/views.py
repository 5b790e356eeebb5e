"""What actions say: the buttons under a next step, the channel's "Maya will try this", the
owner's "Done?" message, and the `/pulse actions` list. Names may show: taking on an action
is not an answer."""

from __future__ import annotations

from collections.abc import Sequence

from bot.actions.model import DECLINE, DONE, NOT_YET, TAKE, ActionReport
from bot.cards import Actions, Block, Button, Card, Context, Heading, Text, command, simple
from bot.domain import ActionState

#: what a channel's announcement calls someone whose platform gave no name
SOMEONE = "Someone"


def action_buttons(action_id: int) -> Actions:
    """ "We'll try this" / "Not for us" under a next step."""
    value = str(action_id)
    return Actions(
        f"action-{action_id}",
        (
            Button("We'll try this", TAKE, value, style="primary"),
            Button("Not for us", DECLINE, value),
        ),
    )


def _quoted(text: str) -> str:
    """A step in quotes inside a sentence (without its own full stop)."""
    return f"“{text.rstrip('.')}”"


def owner_label(name: str) -> str:
    return name.strip() or SOMEONE


def taken(name: str, text: str) -> Card:
    who = owner_label(name)
    return Card(
        summary=f"{who} will try this: {text}",
        blocks=(
            Text(f"**{who} will try this:** {text}"),
            Context("When the next pulse opens, BridgePulse asks them privately how it went."),
        ),
    )


def already_taken(name: str, text: str, *, yours: bool) -> Card:
    if yours:
        return simple(f"You've already taken this on: {text}")
    return simple(f"{owner_label(name)} has already taken this on: {text}")


def set_aside(text: str, *, instead: str | None) -> Card:
    more = f" Offered in its place: {instead}" if instead else ""
    return simple(f"This next step was set aside ({_quoted(text)}), so it can't be taken on.{more}")


def declined(name: str, text: str, next_step: Sequence[Block], action_id: int) -> Card:
    """The channel's message when a next step is declined: the next-best one, with buttons."""
    who = owner_label(name)
    head = f"Not for us: {who} set aside {_quoted(text)}. Here is another next step."
    return Card(summary=head, blocks=(Text(head), *next_step, action_buttons(action_id)))


def no_other_step(name: str, text: str) -> Card:
    who = owner_label(name)
    return simple(
        f"Not for us: {who} set aside {_quoted(text)}. No other next step fits this pulse's figures "
        "that the channel has not had in the last four weeks; the next pulse will suggest one."
    )


def elsewhere() -> Card:
    return simple(
        "This button belongs to a next step in another channel; take it on there. "
        "Nothing was changed."
    )


def foreign() -> Card:
    return simple("This button belongs to another workspace, so nothing was changed.")


def ask(text: str, *, channel_label: str, action_id: int) -> Card:
    """The one direct message to whoever took an action on, when the next pulse opens."""
    where = f" in {channel_label}" if channel_label else ""
    value = str(action_id)
    return Card(
        summary=f"Done? You took on a next step{where}: {text}",
        blocks=(
            Heading("Done?"),
            Text(f"You took this on{where}: **{text}**"),
            Actions(
                f"done-{action_id}",
                (Button("Yes", DONE, value, style="primary"), Button("Not yet", NOT_YET, value)),
            ),
            Context(
                f"Only you can answer this; the channel's `{command('pulse actions')}` list "
                "shows it."
            ),
        ),
    )


def answered(state: ActionState, text: str) -> Card:
    if state is ActionState.DONE:
        return simple(
            f"Thanks: marked done. {_quoted(text)}. The next summaries follow up its effect."
        )
    return simple(f"Noted: not yet. {_quoted(text)} stays open; the next summary reports it.")


def not_yours() -> Card:
    return simple("Only the person who took this on can answer it, in their own direct messages.")


def action_line(report: ActionReport, *, judged: str | None) -> str:
    """One action in a summary or the list: what, from which pulse, who, its state, effect."""
    record = report.record
    pulse = f" (pulse #{report.number})" if report.number else ""
    who = f" · {owner_label(record.owner_name)}" if record.owner_user_id else ""
    line = f"{_quoted(record.text)}{pulse}{who} · {record.state.label}"
    return line + (f" — {judged}" if judged else "")


def listing(lines: Sequence[str], *, channel_label: str) -> Card:
    where = f" in {channel_label}" if channel_label else ""
    if not lines:
        return simple(
            f"No actions{where} yet. When a summary suggests a next step, click “We'll try "
            f"this” to take it on, or “Not for us” for another one ({command('pulse help')})."
        )
    return Card(
        summary=f"Actions{where}: {len(lines)}",
        blocks=(
            Heading(f"Actions{where}"),
            Text("\n".join(f"• {line}" for line in lines)),
            Context(
                "Who took each on, its state, and how its measure moved against the mean of "
                "the pulses before it (a change counts only when larger than chance)."
            ),
        ),
    )
