"""The poll message and the replies to a click on it."""

from __future__ import annotations

from bot.cards import (
    Actions,
    Block,
    Button,
    Card,
    Context,
    Divider,
    Heading,
    Option,
    Select,
    Text,
    command,
    simple,
)
from bot.channels.cadence import format_local
from bot.domain import Poll, Side
from bot.formatting import plural
from bot.imperatives import IMPERATIVES
from bot.polls.action_values import JOIN, VOTE, VoteValue
from bot.questions import LIKERT_VALUES, Question, QuestionSet


def poll_card(poll: Poll, qset: QuestionSet, *, answered: int, timezone: str) -> Card:
    """The poll as posted in the channel: questions in order, one row of choices each."""
    closes = format_local(poll.closes_at, timezone)
    if not poll.is_open:
        return _closed_card(poll, qset, answered=answered)
    legend = " · ".join(f"{v} {qset.likert_label(v)}" for v in LIKERT_VALUES)
    blocks: list[Block] = [
        Heading(f"Weekly pulse #{poll.number}: marketing × IT"),
        Context(
            f"One click per question; change your mind until {closes}. "
            "Answers are anonymous: only totals are ever shown."
        ),
    ]
    for index, question in enumerate(qset.for_poll(poll.number), start=1):
        blocks.append(
            Text(f"**{index}. {question.short}** — {question.text}" + _imperative_tag(question))
        )
        blocks.append(_choices(poll, question, qset))
    blocks += [Context(f"Scale: {legend}"), Divider(), Context(_answered_text(answered))]
    return Card(
        summary=f"Weekly pulse #{poll.number} is open until {closes}: "
        f"{question_count(qset, poll)} one-click questions on how marketing and IT work together.",
        blocks=tuple(blocks),
    )


_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}


def question_count(qset: QuestionSet, poll: Poll) -> str:
    """How many questions the poll asks, in words ("five"): a pulse opened under an older
    question set, or a set without the mirror question, asks four."""
    n = len(qset.for_poll(poll.number))
    return _NUMBERS.get(n, str(n))


def _closed_card(poll: Poll, qset: QuestionSet, *, answered: int) -> Card:
    names = ", ".join(q.short for q in qset.for_poll(poll.number))
    return Card(
        summary=f"Weekly pulse #{poll.number} is closed.",
        blocks=(
            Heading(f"Weekly pulse #{poll.number}: closed"),
            Text(
                f"Thanks to the {plural(answered, 'person', 'people')} who answered "
                f"({names}). The summary is posted below."
            ),
            Context("Answers are anonymous: only totals are ever shown."),
        ),
    )


def _imperative_tag(question: Question) -> str:
    if question.role != "rotating":
        return ""
    return f"  _(imperative {IMPERATIVES[question.imperative].label})_"


def _choices(poll: Poll, question: Question, qset: QuestionSet) -> Actions | Select:
    block_id = f"q_{question.id}"
    if question.is_likert:
        return Actions(
            block_id=block_id,
            buttons=tuple(
                Button(label=v, action=VOTE, value=VoteValue(poll.id, question.id, v).encode())
                for v in LIKERT_VALUES
            ),
        )
    return Select(
        block_id=block_id,
        action=VOTE,
        placeholder="Choose a lever",
        options=tuple(
            Option(o.label, VoteValue(poll.id, question.id, o.value).encode())
            for o in question.options
        ),
    )


def _answered_text(answered: int) -> str:
    if answered == 0:
        return "No answers yet — be the first."
    return f"{plural(answered, 'person has', 'people have')} answered so far."


def answer_label(qset: QuestionSet, question: Question, value: str) -> str:
    if question.is_likert:
        return f"{value} · {qset.likert_label(value)}"
    return question.option_label(value) or value


def vote_recorded(
    qset: QuestionSet,
    question: Question,
    value: str,
    *,
    changed: bool,
    remaining: list[Question],
    closes: str,
    asked: int,
) -> Card:
    label = answer_label(qset, question, value)
    head = (
        f"Changed: **{question.short}** is now {label}."
        if changed
        else f"Got it: **{question.short}** — {label}."
    )
    if remaining:
        tail = "Still open for you: " + ", ".join(q.short for q in remaining) + "."
    else:
        every = _NUMBERS.get(asked, str(asked))
        tail = f"That's all {every} — thank you! You can change any answer until {closes}."
    return Card(summary=head, blocks=(Text(head), Context(tail)))


def vote_unchanged(qset: QuestionSet, question: Question, value: str) -> Card:
    text = (
        f"You had already answered **{question.short}** with {answer_label(qset, question, value)}."
    )
    return simple(text)


def vote_superseded(question: Question) -> Card:
    """A click older than the person's stored answer (a slow or replayed request)."""
    text = (
        f"You answered **{question.short}** again after that click, so your later answer "
        "stands and nothing was changed."
    )
    return simple(text)


def vote_elsewhere() -> Card:
    """A click on a poll's buttons away from the poll's channel (a shared message), or in a
    direct message the bot did not send that person for that pulse."""
    return simple(
        "This button belongs to a pulse in another channel; answer it there. Nothing was recorded."
    )


def vote_foreign() -> Card:
    """A click naming a poll of another workspace, tenant or platform."""
    return simple(
        "This button belongs to a pulse in another workspace, so nothing was recorded. "
        "Answer the pulse in your own workspace's channel."
    )


def poll_closed(poll: Poll) -> Card:
    text = (
        f"Weekly pulse #{poll.number} is closed, so that click was not recorded. "
        "The next pulse will open on schedule."
    )
    return simple(text)


def choose_side(*, kept: bool) -> Card:
    """Asked of a person with no side; their click is already saved and waits for the answer."""
    first = (
        "Your answer is saved and will count as soon as you say which team you are in."
        if kept
        else "Which team are you in?"
    )
    return Card(
        summary="Which team are you in? " + first,
        blocks=(
            Text(f"**Which team are you in?** {first}" if kept else f"**{first}**"),
            Actions(
                block_id="join_side",
                buttons=(
                    Button("Marketing", JOIN, Side.MARKETING.value, style="primary"),
                    Button("IT", JOIN, Side.IT.value, style="primary"),
                    Button("Other", JOIN, Side.OTHER.value),
                ),
            ),
            Context(
                f"You only need to do this once (or type `{command('pulse join marketing|it|other')}`). "
                "Your team is used for totals only; nobody sees who answered what."
            ),
        ),
    )


def stale_button() -> Card:
    text = "That button is out of date or not one of mine; nothing was recorded."
    return simple(text)
