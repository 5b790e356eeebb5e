"""The reminder sent by direct message 24 h before a pulse closes, with the poll's own buttons."""

from __future__ import annotations

from bot.cards import Actions, Block, Card, Context, Heading, Select, Text
from bot.channels.cadence import format_local
from bot.domain import Poll
from bot.polls.views import poll_card, question_count
from bot.questions import QuestionSet


def reminder_card(poll: Poll, qset: QuestionSet, *, channel_label: str) -> Card:
    """Sent only to people with a side who have not answered; the buttons answer the poll.

    Clicked in this direct message they count only for the person it was sent to: the store
    checks the reminder's delivery, recorded for that person and poll (`bot.polls.ballots`)."""
    closes = format_local(poll.closes_at, poll.timezone)
    where = channel_label or "your channel"
    text = (
        f"Weekly pulse #{poll.number} in {where} closes {closes}, and you haven't answered yet. "
        f"It takes {question_count(qset, poll)} clicks — right here if you like."
    )
    # The numbered questions and their rows of choices, exactly as on the channel's poll.
    questions = tuple(
        b
        for b in poll_card(poll, qset, answered=0, timezone=poll.timezone).blocks
        if isinstance(b, Text | Actions | Select)
    )
    blocks: list[Block] = [
        Heading(f"Reminder: pulse #{poll.number} closes soon"),
        Text(text),
        *questions,
        Context(
            "Answers are anonymous: only totals are ever shown. This is the only reminder for "
            "this pulse."
        ),
    ]
    return Card(summary=text, blocks=tuple(blocks))
