"""What an open pulse still needs before its figures can be shown (for `/pulse status`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain import SCORED_SIDES, AnswerRecord, Poll, Side
from bot.questions import QuestionSet
from bot.score.disclosure_state import DisclosureState
from bot.score.scoring import Participation


@dataclass(frozen=True, slots=True)
class Readiness:
    """An open pulse against the privacy rules, in counts only (counts may always be shown)."""

    k: int
    #: how many more people each scored side needs before any figure (sides that are short)
    short: dict[Side, int]
    #: questions some side answered fewer than k times: (short label, side → how many more)
    thin: tuple[tuple[str, dict[Side, int]], ...]
    #: the counts the "so far" figures date from; None while the differencing guard holds them
    shown: Participation | None


def readiness(
    poll: Poll,
    qset: QuestionSet,
    answers: Iterable[AnswerRecord],
    state: DisclosureState | None,
    *,
    participation: Participation,
    k: int,
) -> Readiness:
    """Counts per side and per question, and whether the guard has published figures yet."""
    asked = qset.for_poll(poll.number)
    by_question: dict[str, dict[Side, set[str]]] = {
        q.id: {s: set() for s in SCORED_SIDES} for q in asked
    }
    questions = {q.id: q for q in asked}
    for a in answers:
        question = questions.get(a.question_id)
        if (
            question is None
            or a.side not in SCORED_SIDES
            or not qset.is_valid_answer(question, a.value)
        ):
            continue
        by_question[a.question_id][a.side].add(a.respondent)
    short = {s: k - participation.of(s) for s in SCORED_SIDES if participation.of(s) < k}
    thin = tuple(
        (questions[qid].short, missing)
        for qid, sides in by_question.items()
        if (missing := {s: k - len(people) for s, people in sides.items() if len(people) < k})
    )
    shown = state.shown if state is not None else None
    return Readiness(
        k=k,
        short=short,
        thin=() if short else thin,
        shown=shown.participation if shown is not None and shown.participation.meets(k) else None,
    )
