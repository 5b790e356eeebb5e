"""A channel's report: each imperative's latest published score, from the newest pulse back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import AnswerRecord, Poll, Side
from bot.questions import default_question_set
from bot.score.scoring import Participation, PollResult, compute_result
from bot.score.trends import TrendPoint, build_report

QS = default_question_set()
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def point(number: int, value: str, *, published: bool = True) -> TrendPoint:
    opened = START + timedelta(days=7 * (number - 1))
    poll = Poll(number, 1, number, "default", 1, 1, opened, opened, opened, f"p{number}", None)
    if not published:
        return TrendPoint(poll, PollResult(5, Participation(marketing=2, it=1)))
    rotating = QS.rotating_item((number - 1) % 5 + 1).id
    records = [
        AnswerRecord(f"{side.value}{n}", side, q, value)
        for side in (Side.MARKETING, Side.IT)
        for n in range(5)
        for q in ("trust", "priority", rotating)
    ]
    result = compute_result(records, question_set=QS, poll_number=number, k=5)
    # as read back from the database: figures decoded when first asked for
    return TrendPoint(poll, PollResult.from_dict(result.to_dict()))


def test_each_imperative_comes_from_its_latest_published_pulse() -> None:
    # pulse n answers (n − 1) % 5 + 1 everywhere and asks imperative (n − 1) % 5 + 1's item;
    # pulse 7 stayed below k
    points = [point(n, str((n - 1) % 5 + 1), published=n != 7) for n in range(1, 9)]
    report = build_report(points, k=5)
    by_level = {"1": 0, "2": 25, "3": 50, "4": 75, "5": 100}
    # trust (5), priority (2) and item 3 from pulse 8; item 1 from pulse 6 (7 is skipped);
    # item 4 from pulse 4; the lever (3) was never answered, item 3 stands for imperative 3
    assert report.per_imperative == {
        1: (by_level["1"], 6),
        2: (by_level["3"], 8),
        3: (by_level["3"], 8),
        4: (by_level["4"], 4),
        5: (by_level["3"], 8),
    }
