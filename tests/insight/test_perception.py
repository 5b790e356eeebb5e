"""The perception gap through the real core: the summary, `/alignment`, the App Home and the
digest say it in words; below k on the mirror question they say why, and never a number."""

from __future__ import annotations

from bot.core import Core
from tests.insight.conftest import Team, engineer, staffed, uniform
from tests.support.chat import RecordingMessenger

# marketing thinks IT rates the partnership 2 (IT says 4); IT thinks marketing rates it 4 (5)
MARKETING = {"trust": "4", "priority": "5", "lever": "speed", "rotating": "4", "mirror": "2"}
IT = {"trust": "4", "priority": "4", "lever": "speed", "rotating": "4", "mirror": "4"}
SENTENCE = (
    "Marketing thinks IT rates this partnership 2.0 — IT's own answer is 4.0: marketing "
    "underestimates IT by 2.0 points. IT thinks marketing rates this partnership 4.0 — "
    "marketing's own answer is 5.0: IT underestimates marketing by 1.0 points."
)
LINE = (
    "Perception gap: marketing underestimates IT by 2.0 points; IT underestimates marketing by "
    "1.0 points."
)


async def test_every_view_says_how_each_side_reads_the_other(
    team: Team, core: Core, messenger: RecordingMessenger
) -> None:
    await staffed(team, m=3, i=3)
    summary = (await team.week(uniform(MARKETING, IT, m=3, i=3))).text()
    assert SENTENCE in summary
    # the widest gap is 2 points: the perception nudge of imperative 5 comes first
    assert "Each side posts its top three priorities for next week" in summary
    assert LINE in (await team.admin.says("/alignment")).card.text()
    home = await core.home(actor=team.admin.actor)
    assert LINE in home.text()
    await team.admin.says("/pulse digest now")
    assert LINE in messenger.posts[-1].card.text()


async def test_a_mirror_question_below_k_is_withheld_with_its_count(team: Team) -> None:
    await staffed(team, m=3, i=3)
    week = uniform(MARKETING, IT, m=3, i=3)
    week[engineer(0)] = {q: v for q, v in IT.items() if q != "mirror"}
    summary = (await team.week(week)).text()
    assert "/100" in summary  # the score does not need the mirror question
    assert (
        "**How each side reads the other:** perception gap withheld: not enough answers yet "
        "(2 of 3 per side)." in summary
    )
    assert "underestimates" not in summary and "Perception gap:" not in summary
    alignment = (await team.admin.says("/alignment")).card.text()
    assert "Perception gap" not in alignment
