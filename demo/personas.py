"""The simulated team and how its answers drift from week to week, deterministic for a seed.

Each channel has its own mood: per side, a level on the 1–5 scale for every likert question and
a weighting of the six levers. Each week the levels wander a little and pull back towards where
they were; a bad week (a slipped release, a surprise launch) knocks one side's answer down for
that week and, half as much, the next; a nudge the team follows lifts the measure it targeted
over the following weeks (trust creeps up, the lower side's priority rises, levers converge).
A person's answer is their side's level plus a personal slant plus noise; not everyone answers
every week (each person has their own diligence), and some only answer after the reminder.

The mirror question ("the other team sees working with my team as one of its top priorities")
is answered from the other side's priority level plus the side's misreading: each side
underestimates how much the other cares (marketing by about a point, IT by half a point), as the
study found the two sides read the partnership differently. A followed perception-gap nudge
(each side posts its top priorities) shrinks the misreading week by week. Mirror answers come
from their own random stream, so adding them changed no other answer of a seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.domain import Side
from bot.imperatives import IMPERATIVES

LEVERS = ("customer_data", "privacy", "speed", "reliability", "insight", "skills")
LIKERT = ("trust", "priority", *(f"imperative_{k}" for k in range(1, 6)))
#: Chance that the team acts on a week's nudge.
FOLLOW_CHANCE = 0.75
#: Chance of a bad week (from the second week on).
INCIDENT_CHANCE = 0.18
#: How far levels pull back towards their baseline each week.
REVERSION = 0.15
DRIFT = 0.08
NOISE = 0.6
#: How far each side misreads the priority the other gives the partnership (points, 1–5 scale).
MISREAD = {Side.MARKETING: -1.0, Side.IT: -0.5, Side.OTHER: 0.0}
#: Whose priority each side's mirror answer reads (people outside both sides read marketing's).
_READS = {Side.MARKETING: Side.IT, Side.IT: Side.MARKETING, Side.OTHER: Side.MARKETING}


@dataclass(frozen=True, slots=True)
class Persona:
    """One simulated colleague, present in the Slack workspace and in the Teams team."""

    key: str
    name: str
    title: str
    side: Side
    #: Chance of answering in a given week.
    diligence: float
    #: Chance that an answer comes early in the week rather than after the reminder.
    haste: float
    manager: bool = False

    @property
    def first_name(self) -> str:
        return self.name.split(" ")[0]


def _p(key: str, name: str, title: str, side: Side, diligence: float, haste: float) -> Persona:
    return Persona(key, name, title, side, diligence, haste)


TEAM: tuple[Persona, ...] = (
    _p("maya", "Maya Chen", "Brand lead", Side.MARKETING, 0.92, 0.8),
    _p("lucas", "Lucas Martin", "Campaign manager", Side.MARKETING, 0.9, 0.7),
    _p("priya", "Priya Nair", "Content strategist", Side.MARKETING, 0.85, 0.6),
    _p("sofia", "Sofia Rossi", "CRM specialist", Side.MARKETING, 0.88, 0.75),
    _p("jonas", "Jonas Weber", "Performance marketer", Side.MARKETING, 0.8, 0.5),
    _p("amara", "Amara Okafor", "Product marketing manager", Side.MARKETING, 0.9, 0.85),
    _p("elena", "Elena García", "Social media lead", Side.MARKETING, 0.76, 0.45),
    _p("tom", "Tom Becker", "Marketing analyst", Side.MARKETING, 0.86, 0.7),
    _p("ravi", "Ravi Patel", "Platform engineer", Side.IT, 0.9, 0.65),
    _p("hannah", "Hannah Schmidt", "Data engineer", Side.IT, 0.87, 0.7),
    _p("kenji", "Kenji Sato", "Security architect", Side.IT, 0.8, 0.5),
    _p("olivia", "Olivia Brown", "Web developer", Side.IT, 0.9, 0.8),
    _p("mateo", "Mateo Silva", "DevOps engineer", Side.IT, 0.78, 0.4),
    _p("aisha", "Aisha Rahman", "IT business partner", Side.IT, 0.93, 0.85),
    _p("piotr", "Piotr Nowak", "QA lead", Side.IT, 0.82, 0.55),
    _p("grace", "Grace Kim", "Legal counsel", Side.OTHER, 0.7, 0.5),
    _p("noah", "Noah Fischer", "Finance business partner", Side.OTHER, 0.72, 0.6),
    Persona("dana", "Dana Whitfield", "Head of Digital", Side.OTHER, 0.5, 0.5, manager=True),
)
MANAGER = next(p for p in TEAM if p.manager)


def persona(key: str) -> Persona | None:
    return next((p for p in TEAM if p.key == key), None)


@dataclass
class SideMood:
    """Where one side stands in one channel: likert levels (1–5) and lever weights."""

    levels: dict[str, float]
    levers: dict[str, float]

    def copy(self) -> SideMood:
        return SideMood(dict(self.levels), dict(self.levers))


def side_mood(
    trust: float, priority: float, items: Iterable[float], levers: dict[str, float]
) -> SideMood:
    levels = {"trust": trust, "priority": priority}
    levels |= {f"imperative_{k}": v for k, v in enumerate(items, start=1)}
    return SideMood(levels, {lever: levers.get(lever, 0.03) for lever in LEVERS})


@dataclass(frozen=True, slots=True)
class Scenario:
    """How a channel's sides start out."""

    key: str
    moods: dict[Side, SideMood]


#: The Slack channel: IT does not yet trust marketing's plans, and each side wants other levers.
LAUNCH = Scenario(
    "launch",
    {
        Side.MARKETING: side_mood(
            3.5,
            4.1,
            (3.9, 3.2, 3.0, 3.1, 3.4),
            {"customer_data": 0.5, "insight": 0.25, "speed": 0.2},
        ),
        Side.IT: side_mood(
            2.4, 2.9, (2.8, 2.5, 2.9, 2.7, 2.6), {"reliability": 0.4, "privacy": 0.4, "speed": 0.1}
        ),
        Side.OTHER: side_mood(3.4, 3.0, (3.2,) * 5, {lever: 1.0 for lever in LEVERS}),
    },
)
#: The Teams channel: fair trust, but marketing puts the joint work last and skills are thin.
RELAUNCH = Scenario(
    "relaunch",
    {
        Side.MARKETING: side_mood(
            3.7,
            3.0,
            (3.4, 3.6, 3.2, 2.6, 3.5),
            {"speed": 0.45, "customer_data": 0.3, "insight": 0.2},
        ),
        Side.IT: side_mood(
            3.6, 4.0, (3.2, 3.9, 3.3, 2.5, 3.4), {"reliability": 0.45, "speed": 0.2, "skills": 0.2}
        ),
        Side.OTHER: side_mood(3.5, 3.2, (3.3,) * 5, {lever: 1.0 for lever in LEVERS}),
    },
)


@dataclass(frozen=True, slots=True)
class Incident:
    """A bad week: `side`'s answer to `question` drops by `size` points."""

    side: Side
    question: str
    size: float
    story: str


INCIDENTS = (
    Incident(Side.MARKETING, "trust", 1.0, "a release IT had promised for the campaign slipped"),
    Incident(Side.IT, "trust", 1.0, "marketing launched a landing page without telling IT"),
    Incident(Side.IT, "priority", 0.8, "an urgent data request landed on IT late on Friday"),
    Incident(
        Side.MARKETING, "trust", 0.8, "a security review blocked the CRM export marketing needed"
    ),
)


@dataclass(frozen=True, slots=True)
class Answering:
    """One person's answers this week: a value for every question, and when they answer."""

    persona: Persona
    answers: dict[str, str]
    #: Hours after the poll opened; None: only once the reminder arrives.
    after_hours: float | None


@dataclass(frozen=True, slots=True)
class WeekPlan:
    week: int
    answering: tuple[Answering, ...]
    incident: Incident | None = None


@dataclass
class _Lift:
    """A followed nudge still at work: `question` of `sides` rises `step` a week."""

    sides: tuple[Side, ...]
    question: str
    step: float
    weeks: int


@dataclass
class Mood:
    """One channel's team over the weeks. Call `plan_week` once per week, in order, and
    `nudged` after each summary that gave a nudge."""

    scenario: Scenario
    seed: int
    team: tuple[Persona, ...] = TEAM
    week: int = 0
    base: dict[Side, SideMood] = field(init=False)
    now: dict[Side, SideMood] = field(init=False)
    shock: dict[tuple[Side, str], float] = field(default_factory=dict)
    lifts: list[_Lift] = field(default_factory=list)
    rng: random.Random = field(init=False)
    presence: random.Random = field(init=False)
    luck: random.Random = field(init=False)
    slant: dict[tuple[str, str], float] = field(init=False)
    favourite: dict[str, str] = field(init=False)
    misread: dict[Side, float] = field(default_factory=lambda: dict(MISREAD))
    mirror_rng: random.Random = field(init=False)
    mirror_slant: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        # Separate streams, so that whether the team follows a nudge (which depends on what the
        # server said) never changes who answers when.
        self.rng = random.Random(f"{self.seed}:{self.scenario.key}")
        self.presence = random.Random(f"{self.seed}:{self.scenario.key}:presence")
        self.luck = random.Random(f"{self.seed}:{self.scenario.key}:luck")
        self.base = {side: mood.copy() for side, mood in self.scenario.moods.items()}
        self.now = {side: mood.copy() for side, mood in self.base.items()}
        self.slant = {(p.key, q): self.rng.gauss(0, 0.35) for p in self.team for q in LIKERT}
        self.favourite = {p.key: self.rng.choice(LEVERS) for p in self.team}
        self.mirror_rng = random.Random(f"{self.seed}:{self.scenario.key}:mirror")
        self.mirror_slant = {p.key: self.mirror_rng.gauss(0, 0.35) for p in self.team}

    def level(self, side: Side, question: str) -> float:
        return self.now[side].levels[question] + self.shock.get((side, question), 0.0)

    def plan_week(self) -> WeekPlan:
        """Move the mood on by a week and draw everyone's answers for it."""
        self.week += 1
        self._drift()
        incident = None
        if self.week > 1 and self.luck.random() < INCIDENT_CHANCE:
            incident = self.luck.choice(INCIDENTS)
            key = (incident.side, incident.question)
            self.shock[key] = self.shock.get(key, 0.0) - incident.size
        answering = []
        for p in self.team:
            diligence = p.diligence - (0.08 if incident and incident.side is p.side else 0.0)
            answers = self._answers(p)  # drawn for everyone, so a skip changes nothing else
            answers["mirror"] = self._mirror_answer(p)
            early = self.presence.random() < p.haste
            hours = self.presence.choice((0.5, 1.5, 4.0, 7.0, 24.5, 28.0, 31.0))
            if self.presence.random() < diligence:
                answering.append(Answering(p, answers, hours if early else None))
        return WeekPlan(self.week, tuple(answering), incident)

    def nudged(self, metric: str, imperative: int) -> str | None:
        """The summary nudged the team on `metric`; returns the story if they follow it."""
        if self.luck.random() >= FOLLOW_CHANCE:
            return None
        lower = self._lower_side("priority" if metric.startswith("priority") else "trust")
        higher = Side.IT if lower is Side.MARKETING else Side.MARKETING
        if metric in ("trust_gap", "trust_level"):
            self.lifts += [_Lift((lower,), "trust", 0.25, 3), _Lift((higher,), "trust", 0.08, 3)]
        elif metric.startswith("priority"):
            self.lifts.append(_Lift((lower,), "priority", 0.3, 2))
        elif metric == "lever_agreement":
            self.lifts.append(_Lift((Side.MARKETING, Side.IT), "lever", 0.35, 3))
        elif metric.startswith("item_") and metric.endswith("_gap"):
            item = f"imperative_{metric.removeprefix('item_').removesuffix('_gap')}"
            self.lifts.append(_Lift((self._lower_side(item),), item, 0.3, 2))
        elif metric == "perception_gap":
            self.lifts.append(_Lift((Side.MARKETING, Side.IT), "misread", 0.35, 3))
        elif metric.startswith("item_"):
            item = f"imperative_{metric.removeprefix('item_')}"
            self.lifts.append(_Lift((Side.MARKETING, Side.IT), item, 0.25, 3))
        else:
            for question in ("trust", "priority"):
                self.lifts.append(_Lift((Side.MARKETING, Side.IT), question, 0.1, 2))
        return f"The team follows the nudge (imperative {IMPERATIVES[imperative].label})."

    def thinks(self, side: Side) -> float:
        """What `side` believes the other side answers on priority (its mirror level)."""
        other = _READS[side]
        return self.level(other, "priority") + self.misread[side]

    def _mirror_answer(self, p: Persona) -> str:
        value = self.thinks(p.side) + self.mirror_slant[p.key]
        return str(max(1, min(5, round(value + self.mirror_rng.gauss(0, NOISE)))))

    def _lower_side(self, question: str) -> Side:
        m, it = (self.level(s, question) for s in (Side.MARKETING, Side.IT))
        return Side.MARKETING if m < it else Side.IT

    def _drift(self) -> None:
        for (side, question), value in list(self.shock.items()):
            self.shock[(side, question)] = value / 2 if abs(value) > 0.1 else 0.0
        for lift in self.lifts:
            for side in lift.sides:
                if lift.question == "lever":
                    self._converge(lift.step)
                    break
                if lift.question == "misread":  # each week the sides read each other better
                    self.misread[side] *= 1 - lift.step
                    continue
                for mood in (self.base[side], self.now[side]):
                    mood.levels[lift.question] = min(4.6, mood.levels[lift.question] + lift.step)
            lift.weeks -= 1
        self.lifts = [lift for lift in self.lifts if lift.weeks > 0]
        for side, mood in self.now.items():
            for question, value in mood.levels.items():
                target = self.base[side].levels[question]
                moved = value + REVERSION * (target - value) + self.rng.gauss(0, DRIFT)
                mood.levels[question] = max(1.0, min(5.0, moved))
            mood.levers = dict(self.base[side].levers)

    def _converge(self, share: float) -> None:
        """Both sides' lever weights move `share` of the way towards their common average."""
        shares = {side: _shares(self.base[side].levers) for side in (Side.MARKETING, Side.IT)}
        for lever in LEVERS:
            mean = sum(s[lever] for s in shares.values()) / 2
            for side, own in shares.items():
                self.base[side].levers[lever] = own[lever] * (1 - share) + mean * share

    def _answers(self, p: Persona) -> dict[str, str]:
        answers = {}
        for question in LIKERT:
            value = self.level(p.side, question) + self.slant[(p.key, question)]
            answers[question] = str(max(1, min(5, round(value + self.rng.gauss(0, NOISE)))))
        weights = self.now[p.side].levers
        if self.rng.random() < 0.2:
            answers["lever"] = self.favourite[p.key]
        else:
            answers["lever"] = self.rng.choices(LEVERS, weights=[weights[x] for x in LEVERS])[0]
        return answers


def _shares(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {lever: weight / total for lever, weight in weights.items()}
