"""Question sets as versioned data: the schema, validation, loading, and the questions of a poll.

A question set is a JSON document (schema ``bridgepulse.question-set/1``):

* ``id``, ``version``, ``name`` — identity; polls record the id and version they were asked with.
* ``scale`` — labels of the likert values ``"1"``..``"5"``.
* ``questions`` — asked in every poll, in order; each has a ``role`` the score formula uses:
  ``trust`` and ``priority`` (likert) and ``lever`` (choice, with ``options``); optionally one
  likert ``mirror`` question ("the other team sees working with my team as one of its top
  priorities"), which the score leaves out: it feeds the perception gap (bot.score.perception).
* ``rotating`` — exactly five likert items, one per imperative 1..5; poll *n* asks the item of
  imperative ``(n - 1) % 5 + 1`` after the fixed questions, and the mirror question comes last.

The built-in ``default`` set keeps every version it ever had (``question_sets/default*.json``): a
poll is read with the version it was asked with, so a pulse opened before the mirror question was
added (version 1) keeps its four questions. A team leaves the mirror question out by using a set
without one.

A team can use its own set by pointing ``BRIDGEPULSE_QUESTION_SETS`` at a folder of such files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.errors import ConfigError
from bot.imperatives import rotating_imperative

LIKERT_VALUES = ("1", "2", "3", "4", "5")
Role = Literal["trust", "priority", "lever", "mirror", "rotating"]


class Option(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    value: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    label: str = Field(min_length=1, max_length=60)


class Question(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    role: Role = "rotating"
    kind: Literal["likert", "choice"] = "likert"
    imperative: int = Field(ge=1, le=5)
    short: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=1, max_length=300)
    options: tuple[Option, ...] = ()

    @property
    def is_likert(self) -> bool:
        return self.kind == "likert"

    def option_label(self, value: str) -> str | None:
        return next((o.label for o in self.options if o.value == value), None)


class QuestionSet(BaseModel):
    """A validated question set; see the module docstring for the format."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_id: Literal["bridgepulse.question-set/1"] = Field(alias="schema")
    id: str = Field(pattern=r"^[a-z0-9_-]{1,40}$")
    version: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=80)
    scale: dict[str, str]
    questions: tuple[Question, ...]
    rotating: tuple[Question, ...]

    @model_validator(mode="after")
    def _check_structure(self) -> QuestionSet:
        if sorted(self.scale) != list(LIKERT_VALUES):
            raise ValueError("scale must label exactly the values 1..5")
        roles = [q.role for q in self.questions if q.role != "mirror"]
        if sorted(roles) != ["lever", "priority", "trust"]:
            raise ValueError("questions must have the roles trust, priority and lever, once each")
        if sum(1 for q in self.questions if q.role == "mirror") > 1:
            raise ValueError("questions may have at most one mirror question")
        for q in self.questions:
            if q.role == "lever" and (q.kind != "choice" or len(q.options) < 2):
                raise ValueError("the lever question must be a choice with at least two options")
            if q.role != "lever" and (q.kind != "likert" or q.options):
                raise ValueError(f"question {q.id!r} must be likert without options")
        if sorted(q.imperative for q in self.rotating) != [1, 2, 3, 4, 5]:
            raise ValueError("rotating must hold one likert item per imperative 1..5")
        if any(q.kind != "likert" or q.role != "rotating" for q in self.rotating):
            raise ValueError("rotating items must be likert with role 'rotating'")
        ids = [q.id for q in (*self.questions, *self.rotating)]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique")
        return self

    def by_role(self, role: Role) -> Question:
        return self._roles[role]

    @property
    def mirror(self) -> Question | None:
        """The mirror question, when the set asks one."""
        return self._roles.get("mirror")

    def rotating_item(self, imperative: int) -> Question:
        return self._items[imperative]

    def for_poll(self, poll_number: int) -> tuple[Question, ...]:
        """The questions of poll `poll_number`, in the order they are shown."""
        return self._polls[rotating_imperative(poll_number)]

    # Look-ups a summary makes hundreds of times (nudge rules, readings), worked out once.
    @cached_property
    def _roles(self) -> dict[str, Question]:
        return {q.role: q for q in self.questions}

    @cached_property
    def _items(self) -> dict[int, Question]:
        return {q.imperative: q for q in self.rotating}

    @cached_property
    def _polls(self) -> dict[int, tuple[Question, ...]]:
        fixed = tuple(q for q in self.questions if q.role != "mirror")
        last = tuple(q for q in self.questions if q.role == "mirror")
        return {q.imperative: (*fixed, q, *last) for q in self.rotating}

    def likert_label(self, value: str) -> str:
        return self.scale.get(value, value)

    def is_valid_answer(self, question: Question, value: str) -> bool:
        if question.is_likert:
            return value in LIKERT_VALUES
        return any(o.value == value for o in question.options)


def parse_question_set(data: object, *, source: str) -> QuestionSet:
    """Validate one question-set document; a bad one raises ConfigError naming `source`."""
    try:
        return QuestionSet.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise ConfigError(f"question set {source}: {where}: {first['msg']}") from None


#: The built-in set's versions, oldest first; polls keep the version they were asked with.
BUILT_IN = ("default-v1.json", "default.json")


def built_in_question_sets() -> list[QuestionSet]:
    """Every version of the built-in default set."""
    folder = resources.files("bot").joinpath("question_sets")
    return [
        parse_question_set(json.loads(folder.joinpath(name).read_text("utf-8")), source=name)
        for name in BUILT_IN
    ]


def default_question_set() -> QuestionSet:
    """The latest version of the built-in default set."""
    return built_in_question_sets()[-1]


class QuestionSets:
    """The question sets a deployment knows, by id; every version ever loaded stays readable."""

    def __init__(self, sets: Iterable[QuestionSet]) -> None:
        self._sets: dict[tuple[str, int], QuestionSet] = {}
        self._latest: dict[str, QuestionSet] = {}
        for qs in sets:
            self._sets[(qs.id, qs.version)] = qs
            if qs.id not in self._latest or self._latest[qs.id].version < qs.version:
                self._latest[qs.id] = qs
        if "default" not in self._latest:
            raise ConfigError("question sets: a set with id 'default' is required")

    @classmethod
    def load(cls, folder: Path | None = None) -> QuestionSets:
        """The built-in default, plus every `*.json` set in `folder` when given."""
        sets = built_in_question_sets()
        if folder is not None:
            if not folder.is_dir():
                raise ConfigError(f"BRIDGEPULSE_QUESTION_SETS: {folder} is not a folder")
            for path in sorted(folder.glob("*.json")):
                try:
                    data = json.loads(path.read_text("utf-8"))
                except (OSError, json.JSONDecodeError) as exc:
                    raise ConfigError(f"question set {path.name}: {exc}") from None
                sets.append(parse_question_set(data, source=path.name))
        return cls(sets)

    def latest(self, set_id: str) -> QuestionSet:
        return self._latest.get(set_id) or self._latest["default"]

    def get(self, set_id: str, version: int) -> QuestionSet:
        return self._sets.get((set_id, version)) or self.latest(set_id)

    def ids(self) -> list[str]:
        return sorted(self._latest)
