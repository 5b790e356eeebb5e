"""The differencing guard: "so far" figures never let anyone subtract one aggregate from another
to isolate fewer than k people; the final summary is checked against what was shown; the
guard's memory is deleted at close. Pure rules first, then the real core on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.domain import AnswerRecord, ChannelRef, Side
from bot.questions import default_question_set
from bot.score.disclosure import (
    advance,
    contributions,
    distance,
    far_apart,
    separable,
)
from bot.score.disclosure_state import DisclosureState, Snapshot
from bot.score.scoring import compute_result
from storage.repository import SqlRepository
from tests.insight import reference
from tests.insight.conftest import Team, engineer, marketer, staffed, uniform

QSET = default_question_set()
K = 3


def answers(m: dict[str, str], i: dict[str, str]) -> list[AnswerRecord]:
    """People "m…" and "i…" with their trust answers."""
    return [AnswerRecord(p, Side.MARKETING, "trust", v) for p, v in m.items()] + [
        AnswerRecord(p, Side.IT, "trust", v) for p, v in i.items()
    ]


def snap(m: dict[str, str], i: dict[str, str]) -> Snapshot:
    given = answers(m, i)
    return Snapshot(
        contributions(given, poll_id=7, qset=QSET, poll_number=1),
        compute_result(given, question_set=QSET, poll_number=1, k=K),
    )


def people(prefix: str, n: int, value: str = "4") -> dict[str, str]:
    return {f"{prefix}{x}": value for x in range(n)}


def test_contributions_are_pseudonyms_per_poll() -> None:
    given = answers({"alice-hash": "4"}, {"bob-hash": "2"})
    found = contributions(given, poll_id=7, qset=QSET, poll_number=1)
    flat = repr(found)
    assert "alice-hash" not in flat and "bob-hash" not in flat
    other_poll = contributions(given, poll_id=8, qset=QSET, poll_number=1)
    assert set(found[Side.MARKETING]["trust"]) != set(other_poll[Side.MARKETING]["trust"])


def test_distance_counts_people_who_joined_left_or_changed() -> None:
    a = snap(people("m", 3), people("i", 3)).contributions
    joined = snap(people("m", 4), people("i", 3)).contributions
    changed = snap({**people("m", 3), "m0": "1"}, people("i", 3)).contributions
    assert distance(a, joined, Side.MARKETING, "trust") == 1
    assert distance(a, joined, Side.IT, "trust") == 0
    assert distance(a, changed, Side.MARKETING, "trust") == 1
    assert not separable(a, joined, questions=["trust"], k=K)
    assert separable(a, a, questions=["trust"], k=K)
    three_more = snap(people("m", 6), people("i", 6)).contributions
    assert separable(a, three_more, questions=["trust"], k=K)
    assert far_apart(a, three_more, questions=["trust"], k=K)
    only_marketing = snap(people("m", 6), people("i", 3)).contributions
    assert not far_apart(a, only_marketing, questions=["trust"], k=K)


def test_nothing_is_shown_until_a_snapshot_is_k_people_behind() -> None:
    state = DisclosureState()
    first = advance(state, snap(people("m", 3), people("i", 3)), k=K)
    assert first.pending is not None and first.shown is None  # a candidate, not shown
    nearly = advance(first, snap(people("m", 5), people("i", 6)), k=K)
    assert nearly is first  # 2 more marketers only: still nothing
    later = snap(people("m", 6), people("i", 6))
    shown = advance(first, later, k=K)
    assert shown.shown is not None and shown.shown.participation.marketing == 3
    assert first.pending is not None and shown.published == (first.pending.contributions,)
    assert shown.pending == later


def test_below_the_threshold_nothing_changes() -> None:
    state = DisclosureState()
    assert advance(state, snap(people("m", 2), people("i", 5)), k=K) is state


def test_a_candidate_too_close_to_a_published_snapshot_is_replaced() -> None:
    published = snap(people("m", 3), people("i", 3))
    # the candidate was taken at 6+6, then answers were withdrawn down to 4+4
    state = DisclosureState(
        published=(published.contributions,),
        shown=published.result,
        pending=snap(people("m", 4), people("i", 4)),
    )
    live = snap(people("m", 9), people("i", 9))
    nxt = advance(state, live, k=K)
    assert nxt.shown == published.result and nxt.pending == live


def test_state_round_trips_through_json() -> None:
    s = advance(DisclosureState(), snap(people("m", 3), people("i", 3)), k=K)
    s = advance(s, snap(people("m", 6), people("i", 6)), k=K)
    again = DisclosureState.from_dict(json.loads(json.dumps(s.to_dict())), version=4)
    assert again.published == s.published and again.shown == s.shown
    assert again.pending == s.pending and again.version == 4


async def test_the_store_compares_and_sets(repo: SqlRepository) -> None:
    channel = await repo.ensure_channel(ref=ChannelRef("test", "W", "C"))
    at = datetime(2026, 11, 23, tzinfo=UTC)
    poll = await repo.create_poll(
        channel_id=channel.id,
        question_set="default",
        question_set_version=1,
        opened_at=at,
        closes_at=at,
        period="p1",
        timezone="UTC",
    )
    assert poll is not None
    state = advance(DisclosureState(), snap(people("m", 3), people("i", 3)), k=K)
    assert await repo.disclosure(poll_id=poll.id) is None
    assert await repo.save_disclosure(poll_id=poll.id, state=state, expected_version=0, at=at)
    assert not await repo.save_disclosure(poll_id=poll.id, state=state, expected_version=0, at=at)
    stored = await repo.disclosure(poll_id=poll.id)
    assert stored is not None and stored.version == 1 and stored.pending == state.pending
    assert not await repo.save_disclosure(poll_id=poll.id, state=state, expected_version=7, at=at)
    assert await repo.save_disclosure(poll_id=poll.id, state=state, expected_version=1, at=at)
    taken = await repo.take_disclosure(poll_id=poll.id)
    assert taken is not None and taken.version == 2 and taken.pending == state.pending
    assert await repo.disclosure(poll_id=poll.id) is None
    assert await repo.take_disclosure(poll_id=poll.id) is None


ANSWERS = {"trust": "4", "priority": "3", "lever": "speed", "rotating": "4"}


def early_and_late(m: int, i: int, *, start: int = 0) -> dict[str, dict[str, str]]:
    week = {}
    for n in range(start, start + m):
        week[marketer(n)] = {**ANSWERS, "trust": str(1 + n % 5)}
    for n in range(start, start + i):
        week[engineer(n)] = {**ANSWERS, "priority": str(1 + (n * 2) % 5)}
    return week


async def alignment(team: Team) -> str:
    return (await team.admin.says("/alignment")).card.text()


async def test_so_far_figures_lag_k_people_behind_and_never_follow_single_answers(
    team: Team,
) -> None:
    await staffed(team, m=7, i=7)
    await team.open()
    first = early_and_late(3, 3)
    await team.answer(first)
    text = await alignment(team)
    assert "its figures appear when it closes" in text and "/100" not in text
    shown = []
    for n in range(3, 7):  # one more person per side at a time, asking after each
        await team.answer(early_and_late(1, 1, start=n))
        shown.append(await alignment(team))
    # after 4+4, 5+5: still nothing; at 6+6 (3 more per side than the 3+3 candidate) the
    # figures of the first 3+3 answers appear, and stay the same at 7+7
    assert all("/100" not in t for t in shown[:2])
    expected = f"{reference.score(first)}/100 so far (from the first 3 marketing and 3 IT answers)"
    assert expected in shown[2] and expected in shown[3]
    # changing one answer does not move the figures either
    await team.people[marketer(0)].clicks_answer("trust", "5", poll=await team.chat.open_poll())
    assert expected in await alignment(team)


async def test_the_final_summary_needs_no_note_when_late_answers_are_k_or_more(
    team: Team,
) -> None:
    await staffed(team, m=6, i=6)
    await team.open()
    await team.answer(early_and_late(3, 3))
    await alignment(team)
    await team.answer(early_and_late(3, 3, start=3))
    assert "so far" in await alignment(team)
    poll = await team.chat.open_poll()
    assert poll is not None
    assert await team.chat.core.deps.repo.disclosure(poll_id=poll.id) is not None
    summary = (await team.close()).text()
    everyone = early_and_late(6, 6)
    assert f"{reference.score(everyone)}/100" in summary
    assert "Note: fewer than" not in summary
    assert await team.chat.core.deps.repo.disclosure(poll_id=poll.id) is None


async def test_withdrawn_answers_that_undo_the_margin_are_disclosed(team: Team) -> None:
    await staffed(team, m=6, i=6)
    await team.open()
    await team.answer(early_and_late(3, 3))
    await alignment(team)
    await team.answer(early_and_late(3, 3, start=3))
    assert "so far" in await alignment(team)
    await team.people[marketer(5)].says("/pulse forget-me")  # 2 late marketers remain
    summary = (await team.close()).text()
    assert "Note: fewer than 3 people's answers differ between these final figures" in summary


async def test_nobody_asking_means_nothing_is_remembered(team: Team) -> None:
    await staffed(team, m=3, i=3)
    await team.open()
    await team.answer(uniform(ANSWERS, ANSWERS, m=3, i=3))
    poll = await team.chat.open_poll()
    assert poll is not None
    assert await team.chat.core.deps.repo.disclosure(poll_id=poll.id) is None
    assert "Note" not in (await team.close()).text()
