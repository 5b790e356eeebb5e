"""The strict values an action's buttons carry, and an action as a summary reports it (its
states are `bot.domain.ActionState`, its stored record `bot.ports.ActionRecord`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.nudges.service import FollowUp
from bot.ports import ActionRecord

#: Button actions: in the summary (take on / set aside) and in the owner's DM (done / not yet).
TAKE, DECLINE, DONE, NOT_YET = "act_take", "act_decline", "act_done", "act_notyet"
ACTION_WORDS = frozenset({TAKE, DECLINE, DONE, NOT_YET})
_ID = re.compile(r"^[1-9]\d{0,11}$")


def parse_action_id(value: str) -> int | None:
    """The action id a button carries, or None for anything but the digits we write."""
    return int(value) if _ID.match(value) else None


@dataclass(frozen=True, slots=True)
class ActionReport:
    """An action with its pulse's number and how its measure moved since (None: not judged,
    because nobody took it on, or its figure is withheld or not measured again yet)."""

    record: ActionRecord
    number: int | None
    follow_up: FollowUp | None
    #: its follow-up is the summary's "Last nudge" line already (said once, not twice)
    followed_above: bool = False
