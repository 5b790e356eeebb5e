"""Trend summaries over several weeks with known answers, through the real core and repository
(SQLite and PostgreSQL): numbers equal the formula, change, nudge and follow-up, rotation, chart."""

from __future__ import annotations

import re
import struct
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.cards import Card, Chart, Facts
from bot.domain import AnswerRecord, Channel, ChannelRef, Poll, Side, Visibility
from bot.imperatives import IMPERATIVES
from bot.questions import default_question_set
from bot.score.scoring import Participation, PollResult, compute_result
from bot.score.trends import TrendPoint, build_report
from bot.summary.service import draft, needs_answers
from tests.insight import reference
from tests.insight.conftest import Team, engineer, marketer, staffed, uniform

QSET = default_question_set()
LEVERS = ("customer_data", "privacy", "speed", "reliability")
MOMENT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def varied(seed: int) -> dict[str, dict[str, str]]:
    """Four marketers and four IT people with different answers, changing every week."""
    week = {}
    for n in range(4):
        week[marketer(n)] = {
            "trust": str(1 + (seed + n) % 5),
            "priority": str(1 + (seed * 2 + n) % 5),
            "lever": LEVERS[(seed + n) % 2],
            "rotating": str(1 + (seed + 2 * n) % 5),
        }
        week[engineer(n)] = {
            "trust": str(1 + (seed * 3 + n) % 5),
            "priority": str(1 + (seed + 3 * n) % 5),
            "lever": LEVERS[(seed + n) % 3 + 1],
            "rotating": str(1 + (seed + n * n) % 5),
        }
    return week


def facts(card: Card) -> dict[str, str]:
    return {k: v for b in card.blocks if isinstance(b, Facts) for k, v in b.items}


async def test_the_numbers_equal_the_formula_week_after_week(team: Team) -> None:
    await staffed(team)
    previous: int | None = None
    for seed in range(4):
        week = varied(seed)
        card = await team.week(week)
        expected = reference.score(week)
        text = card.text()
        number = seed + 1
        head = re.search(
            rf"Pulse #{number} in #campaigns: (\d+)/100 \((\d+)–(\d+)\) \((.*?)\)\n", text
        )
        assert head is not None
        shown, low, high = (int(head[i]) for i in (1, 2, 3))
        assert shown == expected and low <= expected <= high
        if previous is None:
            assert head[4] == "first score"
        else:  # the change is like for like (trust and priority) and signed only beyond chance
            assert re.fullmatch(
                rf"(steady|[+−]\d+) since pulse #{number - 1} \(trust and priority(; mostly .*)?\)",
                head[4],
            )
        trust = facts(card)["Trust"]
        assert trust.startswith(
            f"Marketing {reference.on_scale(week, 'm', 'trust')} · "
            f"IT {reference.on_scale(week, 'i', 'trust')}"
        )
        assert "answers: marketing 4 · IT 4 · other 0" in text
        previous = expected
    assert re.search(r"Trend over the last 4 pulses: [▁▂▃▄▅▆▇█·]{4} \S+ → \S+ → \S+ → \S+ ·", text)


async def test_a_hand_worked_week(team: Team) -> None:
    await staffed(team)
    card = await team.week(
        uniform(
            {"trust": "5", "priority": "4", "lever": "customer_data", "rotating": "4"},
            {"trust": "3", "priority": "2", "lever": "privacy", "rotating": "3"},
        )
    )
    # trust: min(1, .5) = .5; priority: min(.75, .25) = .25; levers: no overlap, 0;
    # rotating: min(.75, .5) = .5; mean .3125 → 31; everyone alike on a side: no spread at all
    text = card.text()
    assert "Pulse #1 in #campaigns: 31/100 (31–31) (first score)" in text
    assert facts(card)["Trust"] == "Marketing 5.0 · IT 3.0 · gap 2.0, IT lower"
    assert facts(card)["Customer data access"] == "Marketing 100% · IT 0%"
    assert facts(card)["Privacy & security"] == "Marketing 0% · IT 100%"
    assert "the widest gap is on **Trust**: marketing 5.0, IT 3.0 — 2.0 points, IT lower." in text
    assert "(agreement 0%)" in text
    study = facts(card)
    assert study["IT making co-operation a top priority"].startswith("0 of 4 — 0–49% (95% range)")
    assert "45% of IT executives" in study["IT making co-operation a top priority"]
    assert study["Marketing making co-operation a top priority"].startswith("4 of 4 — 51–100%")
    assert study["Could count on the other team"].startswith("4 of 8 — 22–78%")


async def test_the_rotating_question_cycles_through_the_imperatives(team: Team) -> None:
    await staffed(team, m=3, i=3)
    answers = {"trust": "4", "priority": "4", "lever": "speed", "rotating": "4"}
    seen = []
    for _ in range(6):
        card = await team.week(uniform(answers, answers, m=3, i=3))
        rotating = [k for k in facts(card) if "this week's rotating question" in k]
        assert len(rotating) == 1
        seen.append(rotating[0])
    expected = [
        f"{QSET.rotating_item(i).short} (imperative {i}, this week's rotating question)"
        for i in (1, 2, 3, 4, 5, 1)
    ]
    assert seen == expected


async def test_a_nudge_names_its_imperative_is_followed_up_and_not_repeated_for_four_weeks(
    team: Team,
) -> None:
    """A wide trust gap gets its nudge; while it is not repeated, the summary says why there is
    no new step (naming the pulse that gave it); wide for a third pulse, it escalates."""
    await staffed(team, m=3, i=3)
    high = {"trust": "5", "priority": "5", "lever": "speed", "rotating": "5"}

    def trust_week(it_trust: str) -> dict[str, dict[str, str]]:
        return uniform(high, {**high, "trust": it_trust}, m=3, i=3)

    first = (await team.week(trust_week("1"))).text()
    imperative = IMPERATIVES[5].label
    assert (
        f"**Next step — imperative {imperative}:** Marketing: invite IT to your next retro" in first
    )
    assert "Why this one: trust gap 4.0 points, at or above 1.0 points." in first

    second = (await team.week(trust_week("4"))).text()
    assert "Next step —" not in second  # the only nudge that fits was given a week ago
    assert "**Next step:** none new this week" in second and "pulse #1 already suggested" in second
    assert (
        f"Last nudge (pulse #1), imperative {imperative}: the trust gap narrowed from "
        "4.0 to 1.0 points (−3.0) — good progress." in second
    )
    third = (await team.week(trust_week("4"))).text()  # wide (≥ 1 point) for the third pulse
    assert f"**Stronger next step — imperative {imperative}:**" in third
    assert "for the third pulse running (#1, #2, #3), IT lower each time" in third
    for _ in range(2):  # pulses #4 and #5: within four weeks of both nudges
        later = (await team.week(trust_week("4"))).text()
        assert "Next step —" not in later and "pulse #3 already suggested" in later


async def test_the_gap_widening_is_reported(team: Team) -> None:
    await staffed(team, m=3, i=3)
    high = {"trust": "5", "priority": "5", "lever": "speed", "rotating": "5"}
    await team.week(uniform(high, {**high, "priority": "3"}, m=3, i=3))
    text = (await team.week(uniform(high, {**high, "priority": "2"}, m=3, i=3))).text()
    assert (
        "Last nudge (pulse #1), imperative 2 · IT as strategic partner: the priority gap "
        "widened from 2.0 to 3.0 points (+1.0)." in text
    )


async def test_the_summary_carries_a_real_chart(team: Team) -> None:
    await staffed(team)
    for seed in range(3):
        card = await team.week(varied(seed))
    (attachment,) = card.attachments
    assert attachment.filename == "chart.png" and attachment.mime == "image/png"
    png = attachment.content
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (800, 500)
    # a drawn chart, not a blank canvas, and small enough to travel inline in a Teams card
    assert 4_000 < len(png) < 13_500
    (chart,) = [b for b in card.blocks if isinstance(b, Chart)]
    assert chart.image == "attachment:chart.png"  # its picture, for platforms without charts
    assert chart.alt == attachment.alt and chart.alt.startswith("Line chart of the alignment score")
    assert f"#3 {reference.score(varied(2))}" in chart.alt
    score, sides = chart.panels
    assert chart.categories == ("#1", "#2", "#3")
    assert score.series[0].values[-1] == reference.score(varied(2))
    assert [s.name for s in sides.series] == ["Marketing", "IT"]


async def test_below_the_threshold_the_summary_has_counts_and_a_next_step(team: Team) -> None:
    await staffed(team, m=3, i=2)
    card = await team.week(uniform({"trust": "5"}, {"trust": "1"}, m=3, i=2))
    text = card.text()
    assert "not enough answers yet (" in text
    assert "Marketing 3 and IT 2 answered; figures need 3 per side" in text
    assert "**Next step:** ask 1 more IT colleague to answer the next pulse." in text
    assert "/100" not in text and "5.0" not in text and not card.attachments


async def test_posting_a_summary_again_records_one_nudge(team: Team) -> None:
    await staffed(team, m=3, i=3)
    high = {"trust": "5", "priority": "5", "lever": "speed", "rotating": "5"}
    first = await team.week(uniform(high, {**high, "trust": "1"}, m=3, i=3))
    core = team.chat.core
    channel = await core.deps.repo.find_channel(ref=team.chat.channel)
    assert channel is not None
    history = await core.deps.repo.poll_history(channel_id=channel.id, limit=1)
    await core.polls.finish(history[-1].poll.id)
    again = team.chat.last_post()
    assert again.text() == first.text()
    nudges = await core.deps.repo.nudges_since(
        channel_id=channel.id, since=team.clock.moment.replace(year=2000)
    )
    assert [n.nudge_id for n in nudges] == ["trust-gap"]


async def test_alignment_after_close_agrees_with_the_summary(team: Team) -> None:
    await staffed(team)
    week = varied(7)
    await team.week(week)
    reply = await team.admin.says("/alignment")
    assert reply.visibility is Visibility.EPHEMERAL
    assert f"{reference.score(week)}/100" in reply.card.text()


async def test_the_study_comparison_is_the_same_from_stored_counts_and_from_old_results(
    team: Team,
) -> None:
    """Results stored before the counts of 4–5 answers were kept with them are summarised from
    the poll's answers, with the same figures."""
    await staffed(team)
    week = varied(4)
    first = await team.week(week)
    study = facts(first)
    marketing_priority = [a["priority"] for name, a in week.items() if name.startswith("UMKTQ")]
    agree = sum(v in ("4", "5") for v in marketing_priority)
    assert study["Marketing making co-operation a top priority"].startswith(
        f"{agree} of {len(marketing_priority)} — "
    )
    core = team.chat.core
    repo = core.deps.repo
    channel = await repo.find_channel(ref=team.chat.channel)
    assert channel is not None
    (item,) = await repo.poll_history(channel_id=channel.id, limit=1)
    stored = item.result
    assert stored is not None and stored.figures is not None
    assert stored.figures.agreement is not None
    old = replace(stored.figures, agreement=None)
    await repo.store_result(
        poll_id=item.poll.id,
        result=PollResult(stored.k, stored.participation, old),
    )
    (item,) = await repo.poll_history(channel_id=channel.id, limit=1)
    assert item.result is not None and needs_answers(item.result)
    await core.polls.finish(item.poll.id)
    again = team.chat.last_post()
    assert again.text() == first.text()
    assert facts(again) == study


def test_a_result_without_agreement_counts_needs_the_answers() -> None:
    figures = compute_result(
        [
            AnswerRecord(f"{side.value}{n}", side, "trust", "4")
            for side in (Side.MARKETING, Side.IT)
            for n in range(3)
        ],
        question_set=QSET,
        poll_number=1,
        k=3,
    ).figures
    assert figures is not None
    old = PollResult(3, Participation(marketing=3, it=3), replace(figures, agreement=None))
    poll = Poll(1, 1, 1, "default", 1, 1, MOMENT, MOMENT, MOMENT, "p", None)
    channel = Channel(1, ChannelRef("slack", "T", "C"), "c", "default", None, False, None)
    report = build_report([TrendPoint(poll, old)], k=3)
    with pytest.raises(ValueError, match="needs the poll's answers"):
        draft(channel, poll, report, None, QSET, nudges=(), channel_label="#c", k=3, now=MOMENT)
    summary, _ = draft(
        channel, poll, report, [], QSET, nudges=(), channel_label="#c", k=3, now=MOMENT
    )
    assert summary.comparisons == ()
