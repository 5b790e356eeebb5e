"""A channel's score over time: the current published score, the change, the trend, imperatives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain import Poll
from bot.imperatives import IMPERATIVES
from bot.score.scoring import Participation, PollResult
from bot.score.uncertainty import Change, change_between

TREND_POLLS = 12


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One poll on the trend: its result (figures only when it met the threshold)."""

    poll: Poll
    result: PollResult
    #: for an open poll: the counts its "so far" figures date from (see bot.score.disclosure)
    as_of: Participation | None = None

    @property
    def score(self) -> int | None:
        return self.result.score

    @property
    def published(self) -> bool:
        return self.result.score is not None

    @property
    def held_back(self) -> bool:
        """An open poll that meets the threshold but has no "so far" figures it may show yet."""
        return (
            self.poll.is_open
            and self.result.figures is None
            and self.result.participation.meets(self.result.k)
        )


@dataclass(frozen=True, slots=True)
class SincePrevious:
    """A pulse (`point`), the latest published pulse before it, and the change between them."""

    point: TrendPoint | None
    previous: TrendPoint | None

    @property
    def change(self) -> int | None:
        """Score points since `previous` (None unless both have a score)."""
        cur, prev = self.point, self.previous
        if cur is None or prev is None or cur.score is None or prev.score is None:
            return None
        return cur.score - prev.score

    @property
    def judged(self) -> Change | None:
        """The like-for-like change judged against chance (None unless both have figures).
        Worked out when asked: it decodes both pulses' figures."""
        return judged_change(self.previous, self.point)


@dataclass(frozen=True, slots=True)
class ScoreReport:
    """What `/alignment` shows for one channel; figures only from polls that met the threshold."""

    k: int
    points: tuple[TrendPoint, ...]

    @property
    def per_imperative(self) -> dict[int, tuple[int, int]]:
        """Each imperative's latest published score and the pulse it is from. Worked out when
        asked: it decodes older pulses' figures, which summaries and digests do not need."""
        found: dict[int, tuple[int, int]] = {}
        for point in reversed(self.points):
            figures = point.result.figures
            if figures is None:
                continue
            for imperative, score in figures.per_imperative.items():
                found.setdefault(imperative, (score, point.poll.number))
            if len(found) == len(IMPERATIVES):  # older pulses cannot change any of them
                break
        return dict(sorted(found.items()))

    @property
    def current(self) -> TrendPoint | None:
        """The latest poll, open or closed, with a published score."""
        return next((p for p in reversed(self.points) if p.published), None)

    def since(self, point: TrendPoint | None) -> SincePrevious:
        """The latest published pulse before `point` (by number) among the report's points,
        and the change since it: the one place summaries, digests and `/alignment` get it."""
        if point is None:
            return SincePrevious(None, None)
        number = point.poll.number
        previous = next(
            (p for p in reversed(self.points) if p.published and p.poll.number < number), None
        )
        return SincePrevious(point, previous)

    @property
    def previous(self) -> TrendPoint | None:
        """The published poll before `current`, for the change."""
        return self.since(self.current).previous

    @property
    def change(self) -> int | None:
        return self.since(self.current).change

    @property
    def judged_change(self) -> Change | None:
        """The like-for-like change since the previous published pulse, judged against chance
        (None without two published pulses)."""
        return self.since(self.current).judged

    @property
    def open_point(self) -> TrendPoint | None:
        last = self.points[-1] if self.points else None
        return last if last is not None and last.poll.is_open else None

    @property
    def scores(self) -> list[int | None]:
        return [p.score for p in self.points]


def judged_change(previous: TrendPoint | None, current: TrendPoint | None) -> Change | None:
    """`change_between` of two trend points' figures (None unless both are published)."""
    if previous is None or current is None:
        return None
    before, after = previous.result.figures, current.result.figures
    if before is None or after is None or before.score is None or after.score is None:
        return None
    return change_between(before, after)


def formula_breaks(points: Sequence[TrendPoint]) -> list[int]:
    """Indexes of points scored with a different formula from the published point before them
    (a trend across them shows a marker). Reads only stored figures' `formula`."""
    breaks, last = [], None
    for i, point in enumerate(points):
        figures = point.result.figures if point.published else None
        if figures is None:
            continue
        if last is not None and figures.formula != last:
            breaks.append(i)
        last = figures.formula
    return breaks


def build_report(points: list[TrendPoint], *, k: int) -> ScoreReport:
    """Assemble the report from the channel's latest polls, oldest first (the caller chose how
    many: TREND_POLLS for messages, every poll for an export)."""
    return ScoreReport(k=k, points=tuple(points))


def opened_label(moment: datetime) -> str:
    return f"{moment:%d %b}"
