"""The digest's heatmap grid: cells, the lower side, withheld reasons per question, the ranking by
gaps that persist over 3 pulses, the 40-row cap, and the PNG's size and drawing time."""

from __future__ import annotations

import io
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

from PIL import Image

from bot.digest.entries import DigestEntry
from bot.digest.heatmap import COLUMNS, MAX_ROWS, Grid, build_grid, persistent_gap
from bot.digest.heatmap_chart import MAX_BYTES, render
from bot.digest.views import digest_card
from bot.domain import AnswerRecord, Poll, Side
from bot.imperatives import rotating_imperative
from bot.nudges.rules import RULES
from bot.nudges.service import Nudge, nudge_for
from bot.questions import default_question_set
from bot.score.scoring import compute_result
from bot.score.trends import ScoreReport, TrendPoint

QSET = default_question_set()
MOMENT = datetime(2026, 11, 23, tzinfo=UTC)
K = 3
COL = {c.key: i for i, c in enumerate(COLUMNS)}

#: per side: role → answer, and how many people of the side give it
Answers = Mapping[str, str]


def answers(
    marketing: Answers, it: Answers, *, number: int, m: int = 3, i: int = 3
) -> list[AnswerRecord]:
    """`m` marketers answer `marketing`, `i` IT people `it` (a role left out: not answered)."""
    rotating = f"imperative_{rotating_imperative(number)}"
    out = []
    for side, given, n in ((Side.MARKETING, marketing, m), (Side.IT, it, i)):
        for person in range(n):
            for role, value in given.items():
                qid = rotating if role == "rotating" else role
                out.append(AnswerRecord(f"{side.value}{person}", side, qid, value))
    return out


def point(channel: int, number: int, records: list[AnswerRecord], k: int = K) -> TrendPoint:
    poll = Poll(
        channel * 100 + number, channel, number, "default", 1, 1, MOMENT, MOMENT, MOMENT, "p", None
    )
    return TrendPoint(poll, compute_result(records, question_set=QSET, poll_number=number, k=k))


def entry(name: str, points: list[TrendPoint], *, escalated: tuple[str, ...] = ()) -> DigestEntry:
    asked = {p.poll.id: QSET.for_poll(p.poll.number) for p in points}
    return DigestEntry(
        name, ScoreReport(k=K, points=tuple(points)), asked=asked, escalated=escalated
    )


HIGH = {"trust": "5", "priority": "5", "lever": "speed", "rotating": "5"}


def test_a_likert_cell_shows_the_lower_sides_level_and_the_gap() -> None:
    records = answers(HIGH, {**HIGH, "trust": "3", "priority": "5"}, number=1)
    shown = point(1, 1, records)
    grid = build_grid([entry("#a", [shown])], k=K)
    cells = grid.rows[0].cells
    trust = cells[COL["trust"]]
    assert trust.text == "IT 3.0 (−2.0)" and trust.lower is Side.IT and trust.gap == 2.0
    assert cells[COL["priority"]].text == "both 5.0" and cells[COL["priority"]].lower is None
    assert cells[COL["lever"]].text == "100%"
    # Trust counts once in imperative 5 and priority in imperative 2: each shows its figure.
    assert cells[COL["imperative5"]].text == "50" and cells[COL["imperative2"]].text == "100"
    # The score carries its value (no interval: this result was not closed by the service).
    assert cells[COL["score"]].text == str(shown.score) and shown.score is not None
    # The mirror question was asked but nobody answered it: the perception cell says why.
    perception = cells[COL["perception"]]
    assert perception.text == "0 of 3" and perception.shade is None
    assert perception.withheld == "not enough answers yet (0 of 3 per side)"


def test_withheld_cells_give_each_questions_own_n_of_k() -> None:
    # Everyone answers trust; only two IT people answer the lever, one the priority question.
    records = answers(HIGH, {"trust": "4", "rotating": "4"}, number=1)
    records += [AnswerRecord("it0", Side.IT, "lever", "speed")]
    records += [AnswerRecord("it1", Side.IT, "lever", "speed")]
    records += [AnswerRecord("it0", Side.IT, "priority", "5")]
    grid = build_grid([entry("#a", [point(1, 1, records)])], k=K)
    cells = grid.rows[0].cells
    assert cells[COL["trust"]].withheld is None
    assert cells[COL["lever"]].withheld == "not enough answers yet (2 of 3 per side)"
    assert cells[COL["lever"]].text == "2 of 3"
    assert cells[COL["priority"]].withheld == "not enough answers yet (1 of 3 per side)"
    assert cells[COL["imperative3"]].withheld == "not enough answers yet (2 of 3 per side)"
    text = digest_card(grid).text()
    assert "trust IT 4.0 (−1.0) · priority not enough answers (1 of 3) · " in text
    assert (
        "levers not enough answers (2 of 3) · perception gap not enough answers (0 of 3) · " in text
    )
    assert (
        "imperatives 1–5: 75 · not enough answers (1 of 3) · not enough answers (2 of 3) · — · 75"
        in text
    )
    # A raised k withholds what was shown: trust's 3 answers a side no longer make a figure.
    raised = point(1, 1, records).result.at_k(4, QSET.for_poll(1))
    poll = point(1, 1, records).poll
    stricter = build_grid([entry("#a", [TrendPoint(poll, raised)])], k=4).rows[0].cells
    assert stricter[COL["trust"]].withheld == "not enough answers yet (3 of 4 per side)"
    assert stricter[COL["score"]].withheld is not None


def pulses(channel: int, weeks: list[tuple[Answers, Answers]]) -> list[TrendPoint]:
    return [point(channel, n, answers(m, it, number=n)) for n, (m, it) in enumerate(weeks, start=1)]


def test_a_gap_held_for_three_pulses_outranks_one_weeks_drop() -> None:
    held = {**HIGH, "trust": "4"}
    steady = pulses(1, [(HIGH, held), (HIGH, held), (HIGH, held)])
    low = {**HIGH, "trust": "1", "priority": "2", "lever": "privacy", "rotating": "1"}
    falling = pulses(2, [(HIGH, HIGH), (HIGH, HIGH), (HIGH, low)])
    flipping = pulses(3, [(HIGH, held), (held, HIGH), (HIGH, held)])
    assert persistent_gap(steady) == 1.0
    assert persistent_gap(falling) == 0.0  # one bad week is not a persistent gap
    assert persistent_gap(flipping) == 0.0  # the lower side changed: not the same gap
    assert persistent_gap(steady[1:]) == 0.0  # two pulses are not three

    drop = falling[-1].score - falling[-2].score  # type: ignore[operator]
    assert drop < -40  # the old digest put the biggest drop first
    grid = build_grid(
        [entry("#falling", falling), entry("#steady", steady), entry("#flip", flipping)], k=K
    )
    assert [r.channel_label for r in grid.rows] == ["#steady", "#falling", "#flip"]
    text = digest_card(grid).text()
    assert "**#steady** · pulse #3: **" in text
    assert "/100**, a gap of 1.0+ for 3 pulses · trust IT 4.0 (−1.0) · priority both 5.0" in text


def test_a_withheld_pulse_breaks_the_persistence_and_escalated_gaps_are_flagged() -> None:
    held = {**HIGH, "trust": "4"}
    gap = pulses(1, [(HIGH, held), (HIGH, held), (HIGH, held)])
    # The middle pulse had two IT answers: its figures may not be shown, so they do not count.
    middle = answers(HIGH, held, number=2, i=2)
    broken = [gap[0], point(2, 2, middle), point(2, 3, answers(HIGH, held, number=3))]
    assert persistent_gap(broken) == 0.0
    grid = build_grid([entry("#broken", broken, escalated=("trust",)), entry("#gap", gap)], k=K)
    assert [r.channel_label for r in grid.rows] == ["#gap", "#broken"]
    flagged = grid.rows[1].cells[COL["trust"]]
    assert flagged.escalated and not grid.rows[0].cells[COL["trust"]].escalated
    assert "⚑ escalated: trust" in digest_card(grid).text()


def test_forty_rows_are_listed_and_the_rest_counted() -> None:
    entries = []
    for c in range(55):
        it = {**HIGH, "trust": str(1 + c % 5)}
        entries.append(entry(f"#team-{c:03d}", pulses(c, [(HIGH, it)] * 3)))
    grid = build_grid(entries, k=K)
    assert len(grid.rows) == MAX_ROWS and len(grid.more) == 55 - MAX_ROWS
    # The widest held gaps (trust 1 against 5) come first, the level ones last.
    assert grid.rows[0].persistent_gap == 4.0 and grid.more[-1] == "#team-054"
    card = digest_card(grid)
    assert "…and 15 more, in order: " in card.text() and "55 channels" in card.text()


def test_the_picture_of_forty_rows_is_small_quick_and_colour_blind_safe() -> None:
    entries = []
    for c in range(40):
        it = {**HIGH, "trust": str(1 + c % 5), "priority": str(1 + (c // 5) % 5)}
        entries.append(entry(f"#channel-number-{c:03d}", pulses(c, [(HIGH, it)] * 3)))
    grid = build_grid(entries, k=K)
    render(grid)  # fonts loaded once per process
    started = time.perf_counter()
    picture = render(grid)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5, elapsed
    assert len(picture.png) <= MAX_BYTES and picture.rows >= 20
    image = Image.open(io.BytesIO(picture.png))
    assert image.mode == "P" and len(image.getcolors() or []) <= 16


def test_a_channel_without_figures_says_why() -> None:
    few = point(1, 1, answers(HIGH, HIGH, number=1, i=1))
    grid = build_grid([entry("#quiet", [few]), entry("#new", [])], k=K)
    text = digest_card(grid).text()
    assert "**#quiet** · pulse #1: not enough answers yet (1 of 3 per side)." in text
    assert "**#new** · no pulse has closed yet." in text


def crowded(channels: int = 60) -> Grid:
    """A worst case for the message's size: long names, every row with a withheld figure, an
    escalated gap, a next step and two open actions (shared by the Slack and Teams tests)."""
    entries = []
    for c in range(channels):
        it = {**HIGH, "trust": str(1 + c % 5), "priority": str(1 + (c // 5) % 5)}
        last = [
            r
            for r in answers(HIGH, it, number=3)
            if (r.respondent, r.question_id) != ("it0", "lever")
        ]
        name = f"#marketing-it-programme-{c:03d}"
        points = pulses(c, [(HIGH, it)] * 2) + [point(c, 3, last)]
        entries.append(entry(name, points, escalated=("trust",)))
    grid = build_grid(entries, k=K)
    step = "Next step (pulse #3): _5 · Build trust by trusting_ — " + "x" * 80
    actions = ("Maya will try: a joint retro (open)", "Sam will try: a shared roadmap (open)")
    rows = tuple(replace(r, next_step=step, open_actions=actions) for r in grid.rows)
    return replace(grid, rows=rows)


def test_the_next_step_names_the_pulse_it_came_from() -> None:
    """A channel's latest nudge may be older than its latest pulse: the digest says which."""
    points = pulses(1, [(HIGH, HIGH)] * 3)
    rule = RULES[0]
    older = Nudge(rule, 0.0, 0.0, "Do the thing.", "Do it", pulse=2)
    base = entry("#a", points)
    grid = build_grid([replace(base, nudge=older)], k=K)
    assert grid.rows[0].pulse == 3
    assert grid.rows[0].next_step == (
        f"Next step still open (from pulse #2): _{older.imperative.label}_ — Do it"
    )
    figures = points[-1].result.figures
    assert figures is not None
    worded = [n for n in (nudge_for(r, figures, QSET, 3) for r in RULES) if n is not None]
    assert worded and all(n.pulse == 3 for n in worded)  # every nudge knows its pulse


def test_the_perception_column_reads_a_perception_gap_once_there_is_one() -> None:
    """Withheld with its n of k until the mirror question has k answers a side; then each
    side's gap, shaded by the wider one."""
    shown = point(1, 1, answers(HIGH, HIGH, number=1))
    assert build_grid([entry("#a", [shown])], k=K).rows[0].cells[COL["perception"]].text == "0 of 3"
    mirrored = point(1, 1, answers({**HIGH, "mirror": "3"}, {**HIGH, "mirror": "4"}, number=1))
    cell = build_grid([entry("#a", [mirrored])], k=K).rows[0].cells[COL["perception"]]
    # marketing reads IT's 5.0 as 3.0 (−2.0), IT reads marketing's 5.0 as 4.0 (−1.0)
    assert cell.text == "Mkt \u22122.0 · IT \u22121.0" and cell.shade == 0.5


def test_a_long_cell_is_compacted_to_fit_its_box_in_the_picture() -> None:
    from bot.digest.heatmap_chart import CELL_W, FONT_SIZE, _fitted, font

    long = "Mkt \u22120.2 · IT \u22121.1"
    assert font(FONT_SIZE).getlength(long) > CELL_W - 6, "the full form is too wide"
    short = _fitted(long)
    assert short == "M \u22120.2 IT \u22121.1" and font(FONT_SIZE).getlength(short) <= CELL_W - 6
    assert _fitted("IT 3.0 (\u22120.5)") == "IT 3.0 (\u22120.5)"  # what fits stays as it is
