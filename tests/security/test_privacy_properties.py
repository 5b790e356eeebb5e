"""The privacy rule as a property, through the real core on both backends: whatever people answer,
change, forget and ask on an open poll, every published "so far" figure rests on k answers a side
to its question, and no two published figures differ by fewer than k people's answers to that
question on a side. The test keeps its own record of who answered what (by user, so a forgotten
person who answers again is the same person), and finds the answers each published snapshot was
taken from by the guard's fingerprints at the moment it is published."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import Core
from bot.domain import Actor, AnswerRecord, Side
from bot.questions import QuestionSet
from bot.score.disclosure import DisclosureState, contributions
from bot.score.scoring import Figures, compute_result
from storage.repository import SqlRepository
from tests.support.chat import PLATFORM, WORKSPACE, Chat, RecordingMessenger, deps_for_tests
from tests.support.clock import FakeClock
from tests.support.db import BACKENDS, migrated_engine

K = 3
PEOPLE = 9  # a side: three blocks of k = 3
QUESTIONS = {"trust": ("2", "4"), "priority": ("2", "4"), "lever": ("speed", "privacy")}
SIDES = (Side.MARKETING, Side.IT)

#: (side, question) → user → answer
Truth = dict[tuple[Side, str], dict[str, str]]

answer_op = st.tuples(
    st.just("answer"),
    st.sampled_from(SIDES),
    st.integers(0, PEOPLE - 1),
    st.sampled_from(list(QUESTIONS)),
    st.integers(0, 1),
)
forget_op = st.tuples(st.just("forget"), st.sampled_from(SIDES), st.integers(0, PEOPLE - 1))
#: three people a side (from the first drawn) answer every question, or one: moves by k
wave_op = st.tuples(
    st.just("wave"),
    st.sampled_from([3, 6, 3, 6, 0]),
    st.sampled_from([None] * 9 + list(QUESTIONS)),
    st.lists(st.integers(0, 1), min_size=6, max_size=6),
)
#: a round: a little noise (single answers, changes, forget-me), perhaps a wave, then an ask
rounds = st.lists(
    st.tuples(
        st.lists(st.one_of(answer_op, answer_op, answer_op, forget_op), max_size=2),
        st.one_of(wave_op, wave_op, wave_op, wave_op, st.none()),
    ),
    min_size=2,
    max_size=6,
)
operations = rounds.map(
    lambda rs: [op for noise, wave in rs for op in [*noise, *([wave] if wave else []), ("ask",)]]
)
#: everyone starts from three people a side answering everything
opening = [("wave", 0, None, [n % 2 for n in range(6)]), ("ask",)]


def user(side: Side, n: int) -> str:
    return f"UPROP{side.value[:3].upper()}{n}Z"


def expand(ops: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Waves as single answers."""
    out: list[tuple[Any, ...]] = []
    for op in ops:
        if op[0] == "wave":
            _, first, question, picks = op
            people = [(s, first + n) for s in SIDES for n in range(3)]
            for q in [question] if question else list(QUESTIONS):
                answers = zip(people, picks, strict=True)
                out += [("answer", s, n, q, p) for (s, n), p in answers]
        else:
            out.append(op)
    return out


def differ(a: Truth, b: Truth, side: Side, question: str) -> int:
    """People whose answer to `question` on `side` is not the same in both (answered in one only,
    or differently): counted from the test's own record, not the guard's."""
    left, right = a.get((side, question), {}), b.get((side, question), {})
    return sum(1 for p in left.keys() | right.keys() if left.get(p) != right.get(p))


def check(published: list[tuple[Truth, frozenset[str]]]) -> None:
    for source, behind in published:
        for question in behind:
            assert all(len(source.get((s, question), {})) >= K for s in SIDES), (question, source)
    for (a, qa), (b, qb) in itertools.combinations(published, 2):
        for question in qa & qb:
            for side in SIDES:
                d = differ(a, b, side, question)
                assert d == 0 or d >= K, (question, side.value, d)


class World:
    """One database and core on a private event loop for all examples; a channel per example."""

    def __init__(self, backend: str, tmp_path: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.engine_cm = migrated_engine(backend, tmp_path)
        engine = self.loop.run_until_complete(self.engine_cm.__aenter__())
        self.repo = SqlRepository(engine)
        self.core = Core(deps_for_tests(self.repo, RecordingMessenger(), FakeClock()))
        self.channels = itertools.count(1)

    def close(self) -> None:
        self.loop.run_until_complete(self.core.polls.drain())
        self.loop.run_until_complete(self.engine_cm.__aexit__(None, None, None))
        self.loop.close()

    def play(self, ops: list[tuple[Any, ...]]) -> None:
        self.loop.run_until_complete(self._play(ops))

    def _records(self, truth: Truth) -> list[AnswerRecord]:
        hasher = self.core.deps.hasher
        return [
            AnswerRecord(hasher.of(Actor(PLATFORM, WORKSPACE, who)), side, question, value)
            for (side, question), answers in truth.items()
            for who, value in answers.items()
        ]

    async def _play(self, ops: list[tuple[Any, ...]]) -> None:
        messenger = self.core.deps.messengers[PLATFORM]
        assert isinstance(messenger, RecordingMessenger)
        chat = Chat(self.core, messenger, channel_id=f"CPROP{next(self.channels)}")
        admin = chat.person("boss")
        await admin.says("/pulse setup mon 09:00 UTC 3")
        assert "is open" in (await admin.says("/pulse now")).card.text()
        poll = await chat.open_poll()
        channel = await self.repo.find_channel(ref=chat.channel)
        assert poll is not None and channel is not None
        qset = self.core.results.question_set(poll)
        truth: Truth = {(s, q): {} for s in SIDES for q in QUESTIONS}
        joined: set[str] = set()
        asked: list[Truth] = []
        published: list[tuple[Truth, frozenset[str], Figures]] = []
        for op in expand(opening + ops):
            if op[0] == "answer":
                _, side, n, question, pick = op
                who = chat.person(user(side, n))
                if who.user_id not in joined:
                    await who.says(f"/pulse join {side.value}")
                    joined.add(who.user_id)
                await who.clicks_answer(question, QUESTIONS[question][pick], poll=poll)
                truth[(side, question)][who.user_id] = QUESTIONS[question][pick]
            elif op[0] == "forget":
                who = chat.person(user(op[1], op[2]))
                await who.says("/pulse forget-me")
                joined.discard(who.user_id)
                for answers in truth.values():
                    answers.pop(who.user_id, None)
            else:
                asked.append({key: dict(answers) for key, answers in truth.items()})
                report = await self.core.results.report(channel)  # what `/alignment` reads
                point = report.open_point
                figures = point.result.figures if point is not None else None
                if figures is None or (published and figures == published[-1][2]):
                    continue
                state = await self.repo.disclosure(poll_id=poll.id)
                source = self._source(asked[:-1], figures, state, poll.id, qset, poll.number)
                behind = frozenset(q for q, lv in figures.levels.items() if lv) | (
                    {"lever"} if figures.lever_shares else frozenset()
                )
                published.append((source, behind, figures))
        check([(source, behind) for source, behind, _ in published])

    def _source(
        self,
        asked: list[Truth],
        figures: Figures,
        state: DisclosureState | None,
        poll_id: int,
        qset: QuestionSet,
        number: int,
    ) -> Truth:
        """The answers the shown figures were taken from: an earlier ask's, with exactly these
        figures; of several, the one whose fingerprints the guard published (the latest when
        its state does not tell)."""
        found = [
            t
            for t in asked
            if compute_result(self._records(t), question_set=qset, poll_number=number, k=K).figures
            == figures
        ]
        assert found, "the figures shown are not those of any earlier moment"
        shown = state.published[-1] if state is not None and state.published else None
        for t in reversed(found):
            if shown is None or not all(isinstance(p, dict) for p in shown[Side.IT].values()):
                return t
            mine = contributions(self._records(t), poll_id=poll_id, qset=qset, poll_number=number)
            if all(mine[s].get(q) == p for s in SIDES for q, p in shown[s].items()):
                return t
        raise AssertionError("no earlier moment has the published fingerprints")


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_two_published_figures_isolate_fewer_than_k_answers(
    backend: str, tmp_path: Path
) -> None:
    world = World(backend, tmp_path)

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(operations)
    def run(ops: list[tuple[Any, ...]]) -> None:
        world.play(ops)

    try:
        run()
    finally:
        world.close()
