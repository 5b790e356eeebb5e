"""Who may see a figure: k answers to its own question a side, the differencing guard counted per
question, a raised k applied to stored results everywhere, forget-me clearing the guard's
fingerprints at once. Each test pins a hole of the "Trust I" issue (both backends)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import replace

from bot.core import Core
from bot.domain import AnswerRecord, Side
from bot.questions import default_question_set
from bot.score.disclosure import DisclosureState, Snapshot, advance, contributions
from bot.score.scoring import PollResult, compute_result
from tests.insight.conftest import Team, engineer, marketer, staffed
from tests.support.chat import Chat

QSET = default_question_set()
K = 3
ALL = {"trust": "4", "priority": "4", "lever": "speed", "rotating": "4", "mirror": "4"}


def export_rows(text_csv: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text_csv.decode("utf-8"))))


async def alignment(team: Team) -> str:
    return (await team.admin.says("/alignment")).card.text()


# --- 1. k counts answers per figure, not people per side --------------------------------------


def test_a_figure_needs_k_answers_to_its_own_question() -> None:
    records = [AnswerRecord("m0", Side.MARKETING, "trust", "5")]
    for n in range(3):
        records += [
            AnswerRecord(f"m{n}", Side.MARKETING, "lever", "speed"),
            AnswerRecord(f"i{n}", Side.IT, "lever", "speed"),
            AnswerRecord(f"i{n}", Side.IT, "trust", "1"),
        ]
    result = compute_result(records, question_set=QSET, poll_number=1, k=K)
    assert result.participation.marketing == 3 and result.participation.it == 3
    figures = result.figures
    assert figures is not None and set(figures.components) == {"lever"}
    assert "trust" not in figures.levels and "trust" not in figures.gaps
    assert result.not_enough("trust") == "not enough answers yet (1 of 3 per side)"
    # the counts are stored with the result, so a later read can check them
    stored = PollResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert stored.count("trust") == (1, 3) and stored.count("lever") == (3, 3)


async def test_one_marketers_answer_is_never_printed_as_marketings_level(team: Team) -> None:
    await staffed(team, m=3, i=3)
    week = {marketer(0): {**ALL, "trust": "5", "priority": "5"}}
    week |= {marketer(n): {"lever": "speed", "rotating": "4"} for n in (1, 2)}
    week |= {engineer(n): {**ALL, "trust": "1", "priority": "2"} for n in range(3)}
    summary = (await team.week(week)).text()
    assert "Marketing 5.0" not in summary
    trust, priority = QSET.by_role("trust").short, QSET.by_role("priority").short
    assert f"{trust}: not enough answers yet (1 of 3 per side)" in summary, summary
    assert f"{priority}: not enough answers yet (1 of 3 per side)" in summary
    reply = await team.admin.says("/pulse export")
    (row,) = export_rows(reply.card.attachments[0].content)
    assert row["level_marketing_trust"] == "" and row["gap_trust"] == ""
    assert row["component_trust"] == "" and row["level_marketing_priority"] == ""
    assert "trust not enough answers yet (1 of 3 per side)" in row["status"]
    assert row["component_lever"] != ""  # three answers a side to the lever: shown


# --- 2. the differencing guard counts people per question ---------------------------------------


def snap(given: list[AnswerRecord]) -> Snapshot:
    return Snapshot(
        contributions(given, poll_id=9, qset=QSET, poll_number=1),
        compute_result(given, question_set=QSET, poll_number=1, k=K),
    )


def test_people_who_answer_only_the_lever_do_not_refresh_the_trust_figures() -> None:
    first = [AnswerRecord(f"m{n}", Side.MARKETING, "trust", "4") for n in range(3)]
    first += [AnswerRecord(f"i{n}", Side.IT, "trust", "2") for n in range(3)]
    state = advance(DisclosureState(), snap(first), k=K)
    assert state.pending is not None and state.shown is None
    lever_only = [
        AnswerRecord(f"{p}{n}", side, "lever", "speed")
        for p, side in (("m", Side.MARKETING), ("i", Side.IT))
        for n in range(3, 6)
    ]
    assert advance(state, snap(first + lever_only), k=K) is state
    # three more trust answers a side do
    more = [AnswerRecord(f"m{n}", Side.MARKETING, "trust", "5") for n in range(3, 6)]
    more += [AnswerRecord(f"i{n}", Side.IT, "trust", "1") for n in range(3, 6)]
    shown = advance(state, snap(first + lever_only + more), k=K)
    assert shown.shown is not None and shown.shown.count("trust") == (3, 3)


async def test_alignment_so_far_is_not_refreshed_by_lever_only_answers(team: Team) -> None:
    await staffed(team, m=6, i=6)
    await team.open()
    await team.answer({p: ALL for p in [*map(marketer, range(3)), *map(engineer, range(3))]})
    await alignment(team)  # the candidate snapshot
    lever = {"lever": "privacy"}
    await team.answer(
        {p: lever for p in [*map(marketer, range(3, 6)), *map(engineer, range(3, 6))]}
    )
    text = await alignment(team)
    assert "so far" not in text and "/100" not in text


# --- 3. a raised k withholds old figures everywhere ----------------------------------------------


async def test_a_raised_k_withholds_an_old_pulse_in_follow_ups_and_exports(
    team: Team, core: Core
) -> None:
    await staffed(team, m=3, i=3)
    high = {"trust": "5", "priority": "5", "lever": "speed", "rotating": "5", "mirror": "5"}
    low_it = {engineer(n): {**high, "trust": "1"} for n in range(3)}
    first = await team.week({marketer(n): high for n in range(3)} | low_it)
    assert "trust gap 4.0 points" in first.text()
    # a restart with k = 5: the same database, a stricter rule
    strict = Core(replace(core.deps, k=5))
    later = Team(Chat(strict, team.chat.messenger), team.clock, team.admin)
    later.admin = later.chat.person("boss")
    await staffed(later, m=5, i=5)
    second = await later.week(
        {marketer(n): high for n in range(5)}
        | {engineer(n): {**high, "trust": "3"} for n in range(5)}
    )
    text = second.text()
    assert "Last nudge" not in text and "4.0" not in text, text
    rows = export_rows((await later.admin.says("/pulse export")).card.attachments[0].content)
    assert rows[0]["status"].startswith("withheld") and rows[0]["score"] == ""
    assert rows[1]["status"] == "published"
    await strict.polls.drain()


# --- 4. forget-me removes the guard's fingerprints at once -------------------------------------


async def test_forget_me_clears_the_persons_fingerprints_from_the_open_poll(team: Team) -> None:
    await staffed(team, m=6, i=6)
    await team.open()
    await team.answer({p: ALL for p in [*map(marketer, range(3)), *map(engineer, range(3))]})
    await alignment(team)
    await team.answer({p: ALL for p in [*map(marketer, range(3, 6)), *map(engineer, range(3, 6))]})
    assert "so far" in await alignment(team)
    poll = await team.chat.open_poll()
    assert poll is not None
    repo, hasher = team.chat.core.deps.repo, team.chat.core.deps.hasher
    respondent = hasher.of(team.people[marketer(0)].actor)
    name = hashlib.sha256(f"{poll.id}\x1f{respondent}".encode()).hexdigest()[:20]
    before = await repo.disclosure(poll_id=poll.id)
    assert before is not None and name in json.dumps(before.to_dict())
    await team.people[marketer(0)].says("/pulse forget-me")
    after = await repo.disclosure(poll_id=poll.id)
    assert after is not None
    stored = json.dumps(after.to_dict())
    assert name not in stored and respondent not in stored and after.pending is None
    # no digest of any answer the person could have given is left to guess against
    for question, value in [(q, str(v)) for q in ("trust", "priority") for v in range(1, 6)]:
        assert (
            hashlib.sha256(f"{respondent}\x1f{question}={value}".encode()).hexdigest()[:20]
            not in stored
        )
    # the published figures stay as they were, and the person still counts as a difference
    assert after.shown == before.shown
    published = after.published[0][Side.MARKETING]["trust"]
    assert len(published) == 3 and sum(1 for p in published if p.startswith("~")) == 1
