"""The differencing guard: no two published figures of one poll may isolate fewer than k people.

The threshold k stops a figure from describing fewer than k people. It does not stop someone
from subtracting two figures: if pulse #8's marketing trust level was published from six people
and later from seven, the difference is the seventh person's answer. Within one poll this can
happen with the "so far" figures `/alignment` (and the digest and home view) show while the poll
is open, followed by more answers, changed answers, a `forget-me`, or the final summary.

The rule, per poll and per scored side (marketing, IT). A *contribution* is one person's set of
answers; two snapshots differ in a person when that person answered in one and not the other,
or answered differently. Two snapshots are *separable* when on each side they differ in no one
or in at least k people.

* The final result at close always counts every answer (the last click counts).
* "So far" figures are never the live state. A snapshot is taken when someone asks and the poll
  meets k; it is published only once the live answers differ from it in at least k people on
  each side, and only if it is separable from every snapshot published before. So any later
  state, including the final one, is at least k people away from every published snapshot,
  unless answers are withdrawn or changed back afterwards.
* That rare case is checked at close: when the final figures are not separable from a published
  snapshot, the summary says so.
* Snapshot fingerprints (a per-poll pseudonym and a digest of the answers, both derived from the
  keyed respondent hash) exist only while the poll is open and are deleted when it closes.

Different polls are different answers, so each is thresholded on its own; closed results are
stored once and never recomputed from fewer answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.domain import SCORED_SIDES, AnswerRecord, Poll, Side
from bot.questions import QuestionSet
from bot.score.disclosure_state import Contributions, DisclosureState, Snapshot
from bot.score.scoring import Participation, PollResult, compute_result

if TYPE_CHECKING:
    from bot.context import Deps


def contributions(
    answers: Iterable[AnswerRecord], *, poll_id: int, qset: QuestionSet, poll_number: int
) -> Contributions:
    """Each scored respondent's answers, reduced to a pseudonym and a digest."""
    asked = {q.id: q for q in qset.for_poll(poll_number)}
    by_person: dict[tuple[Side, str], list[str]] = {}
    for a in answers:
        question = asked.get(a.question_id)
        if a.side not in SCORED_SIDES or question is None:
            continue
        if not qset.is_valid_answer(question, a.value):
            continue
        by_person.setdefault((a.side, a.respondent), []).append(f"{a.question_id}={a.value}")
    found: Contributions = {s: {} for s in SCORED_SIDES}
    for (side, respondent), parts in by_person.items():
        pseudonym = _digest(f"{poll_id}\x1f{respondent}")
        found[side][pseudonym] = _digest(f"{respondent}\x1f" + "\x1f".join(sorted(parts)))
    return found


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def distance(a: Contributions, b: Contributions, side: Side) -> int:
    """How many people's contributions on `side` differ between two snapshots."""
    left, right = a.get(side, {}), b.get(side, {})
    return sum(1 for p in left.keys() | right.keys() if left.get(p) != right.get(p))


def separable(a: Contributions, b: Contributions, *, k: int) -> bool:
    """On each side the snapshots differ in no one or in at least k people."""
    return all(distance(a, b, s) == 0 or distance(a, b, s) >= k for s in SCORED_SIDES)


def far_apart(a: Contributions, b: Contributions, *, k: int) -> bool:
    """On each side the snapshots differ in at least k people."""
    return all(distance(a, b, s) >= k for s in SCORED_SIDES)


def advance(state: DisclosureState, live: Snapshot, *, k: int) -> DisclosureState:
    """The next state after looking at the live answers (pure; returns `state` if unchanged)."""
    if not live.result.published:
        return state
    pending = state.pending
    if pending is None:
        return replace(state, pending=live)
    if not all(separable(pending.contributions, p, k=k) for p in state.published):
        # answers were withdrawn or changed back since the candidate was taken: start again
        return replace(state, pending=live)
    if far_apart(pending.contributions, live.contributions, k=k):
        return replace(
            state,
            published=(*state.published, pending.contributions),
            shown=pending.result,
            pending=live,
        )
    return state


def _live(poll: Poll, qset: QuestionSet, answers: list[AnswerRecord], *, k: int) -> Snapshot:
    result = compute_result(answers, question_set=qset, poll_number=poll.number, k=k)
    return Snapshot(
        contributions(answers, poll_id=poll.id, qset=qset, poll_number=poll.number), result
    )


def _publishable(state: DisclosureState | None, live: PollResult, *, k: int) -> SoFar:
    """Live counts always; figures only from the latest snapshot the rule let us show."""
    shown = state.shown if state else None
    if shown is None or not live.published or not shown.participation.meets(k):
        return SoFar(PollResult(k=k, participation=live.participation), None)
    return SoFar(
        PollResult(k=k, participation=live.participation, figures=shown.figures),
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
            states = await deps.repo.disclosures(poll_ids=list(lives))
        else:
            states = dict(states)
        changes = []
        for poll_id, live in lives.items():
            state = states.get(poll_id) or DisclosureState()
            nxt = advance(state, live, k=deps.k)
            if nxt is not state:
                changes.append((poll_id, nxt, state.version))
        saved = (
            await deps.repo.save_disclosures(changes=changes, at=deps.clock.now())
            if changes
            else set()
        )
        for poll_id, nxt, _version in changes:
            if poll_id in saved:
                states[poll_id] = nxt
            else:  # another replica moved it first: start from what it stored
                states[poll_id] = await self._settle(poll_id, lives[poll_id])
        return {
            poll_id: _publishable(states.get(poll_id), live.result, k=deps.k)
            for poll_id, live in lives.items()
        }

    async def _settle(self, poll_id: int, live: Snapshot) -> DisclosureState:
        deps = self._deps
        state = DisclosureState()
        for _ in range(self.ATTEMPTS):
            state = await deps.repo.disclosure(poll_id=poll_id) or DisclosureState()
            nxt = advance(state, live, k=deps.k)
            if nxt is state:
                break
            if await deps.repo.save_disclosure(
                poll_id=poll_id, state=nxt, expected_version=state.version, at=deps.clock.now()
            ):
                return nxt
        return state

    async def close(self, poll: Poll, qset: QuestionSet, answers: list[AnswerRecord]) -> bool:
        """Forget the poll's snapshots; True if the final figures are not separable from one
        that was published (only possible when answers were withdrawn or changed back)."""
        deps = self._deps
        state = await deps.repo.take_disclosure(poll_id=poll.id)
        if state is None:
            return False
        final = contributions(answers, poll_id=poll.id, qset=qset, poll_number=poll.number)
        return any(not separable(final, p, k=deps.k) for p in state.published)
