"""`/pulse export`: one CSV row per closed pulse, aggregates only, figures blank below the
threshold, numbers equal to the formula, a safe file name; through the real core."""

from __future__ import annotations

import csv
import io

from bot.domain import Visibility
from bot.export.service import export_filename
from tests.insight import reference
from tests.insight.conftest import Team, engineer, staffed, uniform

HIGH = {"trust": "5", "priority": "4", "lever": "speed", "rotating": "4", "mirror": "3"}
IT = {"trust": "3", "priority": "4", "lever": "privacy", "rotating": "5", "mirror": "2"}


async def test_export_rows_follow_the_formula_and_the_threshold(team: Team) -> None:
    await staffed(team, m=3, i=3)
    week1 = uniform(HIGH, IT, m=3, i=3)
    await team.week(week1)
    await team.week(uniform(HIGH, IT, m=3, i=2))  # only 2 IT answers: withheld
    await team.open()  # an open pulse is not exported
    reply = await team.admin.says("/pulse export")
    assert reply.visibility is Visibility.DIRECT
    (attachment,) = reply.card.attachments
    assert attachment.mime == "text/csv" and attachment.filename == "bridgepulse-campaigns.csv"
    rows = list(csv.DictReader(io.StringIO(attachment.content.decode("utf-8"))))
    assert [r["pulse"] for r in rows] == ["1", "2"]
    first, second = rows
    assert first["status"] == "published"
    assert first["score"] == str(reference.score(week1))
    assert first["respondents_marketing"] == "3" and first["respondents_it"] == "3"
    assert first["component_trust"] == f"{100 * float(reference.component(week1, 'trust')):.4f}"
    assert first["component_lever"] == "0.0000"
    assert first["level_marketing_trust"] == "5.0000" and first["level_it_trust"] == "3.0000"
    assert first["gap_trust"] == "2.0000"
    assert (
        first["lever_marketing_speed_pct"] == "100.0000"
        and first["lever_it_privacy_pct"] == "100.0000"
    )
    assert first["rotating_imperative"] == "1" and first["imperative_5"] != ""
    # marketing thinks IT answers 3 on priority (IT: 4); IT thinks marketing answers 2 (it: 4)
    assert (first["level_marketing_mirror"], first["level_it_mirror"]) == ("3.00", "2.00")
    assert first["perception_gap_marketing"] == "-1.00"
    assert first["perception_gap_it"] == "-2.00"
    assert list(first)[-4:] == [
        "level_marketing_mirror",
        "level_it_mirror",
        "perception_gap_marketing",
        "perception_gap_it",
    ]
    assert second["status"] == "withheld: not enough answers yet (2 of 3 per side)"
    assert second["respondents_it"] == "2"
    figure_columns = [
        c
        for c in second
        if c.startswith(
            ("score", "component_", "level_", "gap_", "lever_", "imperative_", "perception_")
        )
    ]
    assert figure_columns and all(second[c] == "" for c in figure_columns)
    text = reply.card.text()
    assert f"#1 · 23 Nov 2026: {reference.score(week1)}/100 · marketing 3 · IT 3" in text
    assert "#2 · 30 Nov 2026: no figures (fewer than 3 answers per side)" in text


async def test_the_perception_columns_stay_blank_when_the_mirror_question_lacks_k(
    team: Team,
) -> None:
    """The perception gap rests on the mirror and the priority question: with every other
    question at k, one IT mirror answer short of it blanks the perception cells only."""
    await staffed(team, m=3, i=3)
    week = uniform(HIGH, IT, m=3, i=3)
    week[engineer(2)] = {q: v for q, v in IT.items() if q != "mirror"}
    await team.week(week)
    reply = await team.admin.says("/pulse export")
    (row,) = list(csv.DictReader(io.StringIO(reply.card.attachments[0].content.decode("utf-8"))))
    assert row["status"] == "published; withheld: mirror not enough answers yet (2 of 3 per side)"
    assert row["score"] == str(reference.score(week)) and row["gap_trust"] == "2.0000"
    perception = [c for c in row if c.startswith("perception_") or c.endswith("_mirror")]
    assert len(perception) == 4 and all(row[c] == "" for c in perception)


def test_export_file_names_are_safe() -> None:
    assert export_filename("Q3 launch / EMEA") == "bridgepulse-Q3-launch-EMEA.csv"
    assert export_filename("../../etc/passwd") == "bridgepulse-etc-passwd.csv"
    assert export_filename("✨") == "bridgepulse-channel.csv"
