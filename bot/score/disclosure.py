"""The differencing guard: no two published figures of one poll may isolate fewer than k people.

The threshold k stops a figure from describing fewer than k people. It does not stop someone
from subtracting two figures: if pulse #8's marketing trust level was published from six people
and later from seven, the difference is the seventh person's answer. Within one poll this can
happen with the "so far" figures `/alignment` (and the digest and home view) show while the poll
is open, followed by more answers, changed answers, a `forget-me`, or the final summary.

The rule, per poll, per scored side (marketing, IT) and per question. A *contribution* is one
person's answer to one question; two snapshots differ in a person on a question when that person
answered it in one and not the other, or answered it differently. A figure rests on the questions
behind it (one for a level, gap or share, every passing one for the score), so it is the
questions, not the people, that are compared: three people who answer only the lever do not make
the trust figures safe to refresh.

* The final result at close always counts every answer (the last click counts).
* "So far" figures are never the live state. A snapshot is taken when someone asks and the poll
  has a score; it is published only once, for every question its figures rest on (the questions
  with k answers a side in it), the live answers differ from it in at least k people on each
  side, and only if on each such question it differs from every snapshot published before in
  no one or in at least k people. So any later state, including the final one, is at least k
  people away on every published question, unless answers are withdrawn or changed back.
* That rare case is checked at close: when the final figures are not separable from a published
  snapshot, the summary says so.
* Snapshot fingerprints (a per-poll pseudonym and a digest of one answer, both derived from the
  keyed respondent hash) exist only while the poll is open and are deleted when it closes; a
  `forget-me` replaces the person's at once with random tokens that keep only the count.

Different polls are different answers, so each is thresholded on its own; closed results are
stored once and never recomputed from fewer answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.domain import SCORED_SIDES, AnswerRecord, Poll, Side
from bot.ports import DisclosureStore
from bot.questions import QuestionSet
from bot.score.disclosure_state import (
    TOMBSTONE,
    Contributions,
    DisclosureState,
    Snapshot,
    digest,
    pseudonym,
)
from bot.score.scoring import Participation, PollResult, compute_result

if TYPE_CHECKING:
    from bot.context import Deps


def contributions(
    answers: Iterable[AnswerRecord], *, poll_id: int, qset: QuestionSet, poll_number: int
) -> Contributions:
    """Each scored answer, reduced to its respondent's pseudonym and a digest, per question."""
    asked = {q.id: q for q in qset.for_poll(poll_number)}
    found: Contributions = {s: {} for s in SCORED_SIDES}
    for a in answers:
        question = asked.get(a.question_id)
        if a.side not in SCORED_SIDES or question is None:
            continue
        if not qset.is_valid_answer(question, a.value):
            continue
        per = found[a.side].setdefault(a.question_id, {})
        per[pseudonym(poll_id, a.respondent)] = digest(
            f"{a.respondent}\x1f{a.question_id}={a.value}"
        )
    return found


def _bounds(a: Contributions, b: Contributions, side: Side, question: str) -> tuple[int, int]:
    """(at least, as counted) how many people's answers differ. A forgotten person's tombstone
    cannot be matched with the same person answering again, so each differing one may hide a
    pair that is really the same answer: it lowers the sure count by two."""
    left, right = a.get(side, {}).get(question, {}), b.get(side, {}).get(question, {})
    differ = [p for p in left.keys() | right.keys() if left.get(p) != right.get(p)]
    unsure = sum(1 for p in differ if p.startswith(TOMBSTONE))
    return max(0, len(differ) - 2 * unsure), len(differ)


def distance(a: Contributions, b: Contributions, side: Side, question: str) -> int:
    """How many people's answers to `question` on `side` surely differ between two snapshots."""
    return _bounds(a, b, side, question)[0]


def separable(a: Contributions, b: Contributions, *, questions: Iterable[str], k: int) -> bool:
    """On each side and each of `questions` the snapshots differ in no one or in at least k."""
    for q in questions:
        for s in SCORED_SIDES:
            sure, counted = _bounds(a, b, s, q)
            if counted and sure < k:
                return False
    return True


def far_apart(a: Contributions, b: Contributions, *, questions: Iterable[str], k: int) -> bool:
    """On each side and each of `questions` the snapshots differ in at least k people."""
    return all(distance(a, b, s, q) >= k for q in questions for s in SCORED_SIDES)


def questions_of(c: Contributions) -> set[str]:
    return {q for per in c.values() for q in per}


def figure_questions(result: PollResult, *, k: int) -> frozenset[str]:
    """The questions a published result's figures rest on: those with k answers a side."""
    counts = result.counts
    if not result.published or counts is None:
        return frozenset()
    return frozenset(q for q in counts if result.passes(q, k))


def _only(c: Contributions, questions: Iterable[str]) -> Contributions:
    keep = set(questions)
    return {s: {q: dict(p) for q, p in per.items() if q in keep} for s, per in c.items()}


def advance(state: DisclosureState, live: Snapshot, *, k: int) -> DisclosureState:
    """The next state after looking at the live answers (pure; returns `state` if unchanged)."""
    if not live.result.published:
        return state
    pending = state.pending
    if pending is None:
        return replace(state, pending=live)
    behind = figure_questions(pending.result, k=k)
    if not behind or not all(
        separable(pending.contributions, p, questions=behind & questions_of(p), k=k)
        for p in state.published
    ):
        # answers were withdrawn or changed back since the candidate was taken, or k was
        # raised: start again
        return replace(state, pending=live)
    if far_apart(pending.contributions, live.contributions, questions=behind, k=k):
        return replace(
            state,
            published=(*state.published, _only(pending.contributions, behind)),
            shown=pending.result,
            pending=live,
        )
    return state


def _live(poll: Poll, qset: QuestionSet, answers: list[AnswerRecord], *, k: int) -> Snapshot:
    result = compute_result(answers, question_set=qset, poll_number=poll.number, k=k)
    return Snapshot(
        contributions(answers, poll_id=poll.id, qset=qset, poll_number=poll.number), result
    )


def _publishable(
    state: DisclosureState | None, live: PollResult, *, k: int, qset: QuestionSet, number: int
) -> SoFar:
    """Live counts always; figures only from the latest snapshot the rule let us show, and only
    those that meet the k in force (it may have been raised since)."""
    shown = state.shown.at_k(k, qset.for_poll(number)) if state and state.shown else None
    if shown is None or not shown.published:
        return SoFar(PollResult(k=k, participation=live.participation, counts=live.counts), None)
    return SoFar(
        PollResult(
            k=k, participation=live.participation, figures=shown.figures, counts=shown.counts
        ),
        shown.participation,
    )


@dataclass(frozen=True, slots=True)
class SoFar:
    """An open poll's publishable result: live counts, figures from the latest safe snapshot."""

    result: PollResult
    #: participation of the snapshot the figures come from (None when there are no figures)
    as_of: Participation | None


class DisclosureGuard:
    """Applies the rule above to an open poll's "so far" figures and checks the final ones."""

    #: attempts at a compare-and-set before showing what another replica stored
    ATTEMPTS = 3

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._disclosures: DisclosureStore = deps.repo

    async def so_far_many(
        self,
        polls: Sequence[tuple[Poll, QuestionSet, list[AnswerRecord]]],
        *,
        states: dict[int, DisclosureState] | None = None,
    ) -> dict[int, SoFar]:
        """`so_far` for many open polls: one read of their states (unless the caller read them
        alongside the answers), and one write for those whose state advances (a compare-and-set
        lost to another replica is retried alone)."""
        deps = self._deps
        lives = {poll.id: _live(poll, qset, answers, k=deps.k) for poll, qset, answers in polls}
        if states is None:
            states = await self._disclosures.disclosures(poll_ids=list(lives))
        else:
            states = dict(states)
        changes = []
        for poll_id, live in lives.items():
            state = states.get(poll_id) or DisclosureState()
            nxt = advance(state, live, k=deps.k)
            if nxt is not state:
                changes.append((poll_id, nxt, state.version))
        saved = (
            await self._disclosures.save_disclosures(changes=changes, at=deps.clock.now())
            if changes
            else set()
        )
        for poll_id, nxt, _version in changes:
            if poll_id in saved:
                states[poll_id] = nxt
            else:  # another replica moved it first: start from what it stored
                states[poll_id] = await self._settle(poll_id, lives[poll_id])
        found = {}
        for poll, qset, _answers in polls:
            found[poll.id] = _publishable(
                states.get(poll.id), lives[poll.id].result, k=deps.k, qset=qset, number=poll.number
            )
        return found

    async def _settle(self, poll_id: int, live: Snapshot) -> DisclosureState:
        deps = self._deps
        state = DisclosureState()
        for _ in range(self.ATTEMPTS):
            state = await self._disclosures.disclosure(poll_id=poll_id) or DisclosureState()
            nxt = advance(state, live, k=deps.k)
            if nxt is state:
                break
            if await self._disclosures.save_disclosure(
                poll_id=poll_id, state=nxt, expected_version=state.version, at=deps.clock.now()
            ):
                return nxt
        return state

    async def close(self, poll: Poll, qset: QuestionSet, answers: list[AnswerRecord]) -> bool:
        """Forget the poll's snapshots; True if the final figures are not separable from one
        that was published (only possible when answers were withdrawn or changed back)."""
        deps = self._deps
        state = await self._disclosures.take_disclosure(poll_id=poll.id)
        if state is None:
            return False
        final = contributions(answers, poll_id=poll.id, qset=qset, poll_number=poll.number)
        result = compute_result(answers, question_set=qset, poll_number=poll.number, k=deps.k)
        behind = figure_questions(result, k=deps.k)
        return any(
            not separable(final, p, questions=behind & questions_of(p), k=deps.k)
            for p in state.published
        )
