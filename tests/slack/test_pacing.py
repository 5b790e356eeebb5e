"""The per-workspace pacer after Slack's 429s, on a hand-moved clock (no real waiting)."""

from __future__ import annotations

import pytest

from handlers.slack.pacing import FORGET, MARGIN, Pacer


class Time:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def time() -> Time:
    return Time()


async def test_a_workspace_slack_never_refused_is_never_slowed(time: Time) -> None:
    pacer = Pacer(time.clock, time.sleep)
    for _ in range(100):
        await pacer.turn("xoxb-a")
        pacer.accepted("xoxb-a")
    assert time.slept == []


async def test_a_429_pauses_the_workspace_then_paces_it_under_the_accepted_rate(
    time: Time,
) -> None:
    pacer = Pacer(time.clock, time.sleep)
    for _ in range(20):  # twenty calls accepted within the last second
        pacer.accepted("xoxb-a")
        time.now += 0.01
    pacer.refused("xoxb-a", retry_after=1.0)
    for _ in range(5):
        await pacer.turn("xoxb-a")
    assert time.slept[0] == pytest.approx(1.0)  # everyone waits out Retry-After
    assert time.slept[1:] == pytest.approx([MARGIN / 20] * 4)  # then 10% under 20 a second
    await pacer.turn("xoxb-other")  # other workspaces are not affected
    assert len(time.slept) == 5


async def test_a_429_on_a_quiet_workspace_pauses_without_setting_a_pace(time: Time) -> None:
    pacer = Pacer(time.clock, time.sleep)
    pacer.accepted("xoxb-a")
    pacer.refused("xoxb-a", retry_after=2.0)  # e.g. one channel's own limit
    for _ in range(3):
        await pacer.turn("xoxb-a")
    assert time.slept == [pytest.approx(2.0)]


async def test_the_pace_is_forgotten_after_a_long_quiet_spell(time: Time) -> None:
    pacer = Pacer(time.clock, time.sleep)
    for _ in range(10):
        pacer.accepted("xoxb-a")
    pacer.refused("xoxb-a", retry_after=0.0)
    await pacer.turn("xoxb-a")
    await pacer.turn("xoxb-a")
    assert time.slept  # paced
    time.now += FORGET + 1
    time.slept.clear()
    for _ in range(10):
        await pacer.turn("xoxb-a")
    assert time.slept == []
