"""How often a summary carries a next step, over many simulated pulses of the demo's teams.

    python -m benchmarks.next_steps [--channels 60] [--weeks 12]

Each channel is the demo's team (demo/personas.py: 8 marketers, 7 IT people, each answering in
70–93% of weeks) with the mood of the Slack channel, of the Teams channel, or one drawn at
random, played for `--weeks` pulses at k = 5. Every pulse that meets k goes through the real
nudge choice (`bot.nudges.service.pick`, with the channel's nudge records of the last four
weeks), and a followed nudge moves the team as in the demo. Counts the summaries that carry a
next step, those that say why none is needed, and those that carry neither (the defect), and
how often each rule fires. Prints the table and writes benchmarks/results/next_steps.json.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from benchmarks.stats import NO_TARGET, RESULTS, BenchResult
from bot.domain import AnswerRecord, Poll, Side
from bot.nudges.service import pick
from bot.ports import NudgeRecord
from bot.questions import default_question_set
from bot.score.scoring import Figures, compute_result
from bot.score.uncertainty import with_uncertainty
from demo.personas import LAUNCH, LEVERS, RELAUNCH, Mood, Scenario, side_mood

QS = default_question_set()
K = 5
START = datetime(2026, 1, 5, 9, tzinfo=UTC)


@dataclass
class Tally:
    summaries: int = 0
    with_step: int = 0
    with_reason: int = 0
    rules: Counter[str] = field(default_factory=Counter)


def _random_scenario(seed: int) -> Scenario:
    rng = random.Random(f"next-steps:{seed}")
    moods = {
        side: side_mood(
            rng.uniform(2.2, 4.2),
            rng.uniform(2.2, 4.2),
            [rng.uniform(2.2, 4.2) for _ in range(5)],
            {lever: rng.random() for lever in LEVERS},
        )
        for side in (Side.MARKETING, Side.IT)
    }
    moods[Side.OTHER] = side_mood(3.2, 3.2, (3.2,) * 5, {lever: 1.0 for lever in LEVERS})
    return Scenario(f"random{seed}", moods)


def _poll(number: int) -> Poll:
    opened = START + timedelta(weeks=number - 1)
    rotating = (number - 1) % 5 + 1
    return Poll(
        number, 1, number, QS.id, QS.version, rotating, opened, opened + timedelta(days=3),
        opened + timedelta(days=3), f"w{number}", None,
    )  # fmt: skip


def run_channel(scenario: Scenario, seed: int, weeks: int, tally: Tally) -> None:
    mood = Mood(scenario, seed)
    records: list[NudgeRecord] = []
    history: dict[int, Figures] = {}
    shown: dict[int, tuple[Figures, object, int]] = {}
    for number in range(1, weeks + 1):
        plan = mood.plan_week()
        asked = {q.id for q in QS.for_poll(number)}
        answers = [
            AnswerRecord(a.persona.key, a.persona.side, q, v)
            for a in plan.answering
            for q, v in a.answers.items()
            if q in asked
        ]
        result = compute_result(answers, question_set=QS, poll_number=number, k=K)
        result = with_uncertainty(
            result, answers, QS, poll_number=number, seed=number, resamples=60
        )
        figures = result.figures
        if figures is None or figures.score is None:
            continue
        poll = _poll(number)
        now = poll.closes_at
        shown[poll.id] = (figures, QS, number)
        recent = [r for r in records if r.created_at > now - timedelta(days=28)]
        choice = pick(
            recent, 1, poll, figures, QS, numbers={n: n for n in shown}, now=now,
            history=dict(history), shown=shown,  # type: ignore[arg-type]
        )  # fmt: skip
        history[number] = figures
        tally.summaries += 1
        if choice.nudge is not None:
            tally.with_step += 1
            tally.rules[choice.nudge.rule.id] += 1
            mood.nudged(choice.nudge.rule.followed_metric, choice.nudge.rule.imperative)
        elif choice.reason is not None:
            tally.with_reason += 1
            tally.rules["(reason)"] += 1
        if choice.record is not None:
            records.append(choice.record)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=60)
    parser.add_argument("--weeks", type=int, default=12)
    args = parser.parse_args()
    started = time.perf_counter()
    tally = Tally()
    for seed in range(args.channels):
        scenario = (LAUNCH, RELAUNCH, _random_scenario(seed))[seed % 3]
        run_channel(scenario, seed, args.weeks, tally)
    share = tally.with_step / max(1, tally.summaries)
    neither = tally.summaries - tally.with_step - tally.with_reason
    print(
        f"{tally.summaries} summaries meeting k: {tally.with_step} with a next step "
        f"({share:.0%}), {tally.with_reason} saying why none is needed, {neither} with neither"
    )
    for rule, n in tally.rules.most_common():
        print(f"  {rule:28} {n:5}  {n / max(1, tally.summaries):.0%}")
    bench = BenchResult("next_steps", "simulated")
    bench.command = (
        f"python -m benchmarks.next_steps --channels {args.channels} --weeks {args.weeks}"
    )
    bench.add("summaries with a next step", 100 * share, "%", NO_TARGET, True)
    bench.add(
        "summaries with neither a next step nor a reason", float(neither), "", "0", neither == 0
    )
    for rule, n in tally.rules.most_common():
        bench.add(f"fires: {rule}", 100 * n / max(1, tally.summaries), "%", NO_TARGET, True)
    bench.notes.append(f"took {time.perf_counter() - started:.0f} s")
    RESULTS.mkdir(exist_ok=True)
    bench.save().rename(RESULTS / "next_steps.json")


if __name__ == "__main__":
    main()
