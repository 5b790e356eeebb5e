"""Question sets are versioned data: the default matches docs/design.md; custom sets are validated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.questions import QuestionSets, default_question_set


def test_default_set_matches_design() -> None:
    qs = default_question_set()
    assert (qs.id, qs.version) == ("default", 2)
    assert [q.id for q in qs.questions] == ["trust", "priority", "lever", "mirror"]
    assert [q.imperative for q in qs.questions] == [5, 2, 3, 5]
    assert qs.mirror is not None and qs.mirror.text == (
        "The other team sees working with my team as one of its top priorities this week."
    )
    assert qs.by_role("trust").text.startswith("This week I could count on the other team")
    assert [o.value for o in qs.by_role("lever").options] == [
        "customer_data",
        "privacy",
        "speed",
        "reliability",
        "insight",
        "skills",
    ]
    assert qs.scale["1"] == "Strongly disagree" and qs.scale["5"] == "Strongly agree"
    assert [q.imperative for q in qs.rotating] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("number", "rotating"),
    [
        (1, "imperative_1"),
        (2, "imperative_2"),
        (5, "imperative_5"),
        (6, "imperative_1"),
        (12, "imperative_2"),
    ],
)
def test_rotation_follows_the_poll_number(number: int, rotating: str) -> None:
    ids = [q.id for q in default_question_set().for_poll(number)]
    assert ids == ["trust", "priority", "lever", rotating, "mirror"]


def test_a_poll_opened_under_version_1_keeps_its_four_questions() -> None:
    """Polls record the set's version: one asked before the mirror question existed is read
    with version 1, not with the latest set."""
    sets = QuestionSets.load()
    assert [q.id for q in sets.get("default", 1).for_poll(3)] == [
        "trust",
        "priority",
        "lever",
        "imperative_3",
    ]
    assert sets.get("default", 1).mirror is None
    assert sets.get("default", 2).mirror is not None
    assert sets.latest("default").version == 2


def test_a_team_can_leave_the_mirror_question_out(tmp_path: Path) -> None:
    custom = _custom()
    custom["questions"] = [q for q in custom["questions"] if q["role"] != "mirror"]  # type: ignore[attr-defined,index]
    (tmp_path / "team-x.json").write_text(json.dumps(custom))
    qs = QuestionSets.load(tmp_path).latest("team-x")
    assert qs.mirror is None and len(qs.for_poll(1)) == 4


def test_two_mirror_questions_are_refused(tmp_path: Path) -> None:
    custom = _custom()
    second = dict(custom["questions"][-1], id="mirror_2")  # type: ignore[index]
    custom["questions"].append(second)  # type: ignore[attr-defined]
    (tmp_path / "bad.json").write_text(json.dumps(custom))
    with pytest.raises(ConfigError, match="at most one mirror"):
        QuestionSets.load(tmp_path)


def _custom(**changes: object) -> dict[str, object]:
    data = json.loads(json.dumps(default_question_set().model_dump(by_alias=True)))
    data.update(id="team-x", version=2)
    data.update(changes)
    return data


def test_a_team_can_load_its_own_set(tmp_path: Path) -> None:
    custom = _custom(name="Team X pulse")
    custom["questions"][0]["text"] = "Did the other team keep its promises?"  # type: ignore[index]
    (tmp_path / "team-x.json").write_text(json.dumps(custom))
    sets = QuestionSets.load(tmp_path)
    assert sets.ids() == ["default", "team-x"]
    assert sets.latest("team-x").by_role("trust").text == "Did the other team keep its promises?"
    assert sets.get("team-x", 2).version == 2
    assert sets.latest("unknown").id == "default"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rotating": []}, "rotating"),
        ({"scale": {"1": "a"}}, "scale"),
        ({"schema": "something/2"}, "schema"),
    ],
)
def test_invalid_sets_are_refused_with_a_named_reason(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    (tmp_path / "bad.json").write_text(json.dumps(_custom(**change)))
    with pytest.raises(ConfigError, match=message) as info:
        QuestionSets.load(tmp_path)
    assert "bad.json" in str(info.value)


def test_broken_json_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(ConfigError, match="broken.json"):
        QuestionSets.load(tmp_path)
