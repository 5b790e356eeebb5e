"""The manager digest through the real core: every followed channel in one direct message, a
heatmap and its cells as text, gaps held for 3 pulses first, the next step named by its pulse,
and channels below the threshold without figures."""

from __future__ import annotations

from bot.cards import Image, Text
from bot.core import Core
from bot.domain import PersonRef
from tests.insight import reference
from tests.insight.conftest import Team, Week, staffed, uniform
from tests.support.chat import Chat, RecordingMessenger
from tests.support.clock import FakeClock

HIGH = {"trust": "5", "priority": "5", "lever": "speed", "rotating": "5"}
LOW = {"trust": "2", "priority": "3", "lever": "privacy", "rotating": "2"}


async def channel(
    core: Core, messenger: RecordingMessenger, clock: FakeClock, cid: str, name: str
) -> Team:
    chat = Chat(core, messenger, channel_id=cid, channel_name=name)
    boss = chat.person("UBOSSQ1Z")
    await boss.says("/pulse setup mon 09:00 UTC 3")
    return Team(chat, clock, boss)


async def same_week(clock: FakeClock, weeks: dict[Team, Week]) -> None:
    """Every channel runs its pulse in the same week, as a weekly schedule would."""
    for team, week in weeks.items():
        await team.open()
        await team.answer(week)
    clock.advance(days=3)
    for team in weeks:
        assert "is closed" in (await team.admin.says("/pulse close")).card.text()
    clock.advance(days=4)


async def test_the_digest_ranks_a_gap_held_for_three_pulses_above_one_weeks_drop(
    core: Core, messenger: RecordingMessenger, clock: FakeClock
) -> None:
    falling = await staffed(await channel(core, messenger, clock, "C1", "campaigns"), m=3, i=3)
    steady = await staffed(await channel(core, messenger, clock, "C2", "web-launch"), m=3, i=3)
    quiet = await staffed(await channel(core, messenger, clock, "C3", "data"), m=3, i=1)
    hidden = await channel(core, messenger, clock, "C4", "board-room")
    messenger.members_by_channel["C4"].remove("UBOSSQ1Z")

    good, bad = uniform(HIGH, HIGH, m=3, i=3), uniform(HIGH, LOW, m=3, i=3)
    held = uniform(HIGH, {**HIGH, "trust": "4"}, m=3, i=3)
    await same_week(clock, {falling: good, steady: held, hidden: {}})
    await same_week(clock, {falling: good, steady: held})
    await same_week(clock, {falling: bad, steady: held, quiet: uniform(HIGH, HIGH, m=3, i=1)})

    reply = await falling.admin.says("/pulse digest now")
    assert "Sent" in reply.card.text()
    sent = messenger.posts[-1]
    assert sent.to == PersonRef("test", "W1", "UBOSSQ1Z")
    lines = [b.text for b in sent.card.blocks if isinstance(b, Text)]
    # The old digest put the biggest drop (#campaigns) first; a gap held for 3 pulses leads now.
    assert [line.split("**")[1] for line in lines] == ["#web-launch", "#campaigns", "#data"]
    assert reference.score(bad) < reference.score(good)
    assert f"**#campaigns** · pulse #3: **{reference.score(bad)}/100** (" in lines[1]
    # held for three pulses, the trust gap is also flagged as escalated (bot.nudges.escalation)
    assert ", a gap of 1.0+ for 3 pulses, ⚑ escalated: trust · trust IT 4.0 (−1.0)" in lines[0]
    assert "priority both 5.0" in lines[0]
    assert "Next step (pulse #3): _" in lines[1]
    assert lines[2] == "**#data** · pulse #1: not enough answers yet (1 of 3 per side)."
    text = sent.card.text()
    assert "board-room" not in text
    assert sent.card.summary.startswith("BridgePulse digest: #web-launch")
    # The heatmap travels with it, drawn once: #data as a row of withheld (grey) cells.
    (image,) = [b for b in sent.card.blocks if isinstance(b, Image)]
    (png,) = sent.card.attachments
    assert image.url == f"attachment:{png.filename}" and png.content.startswith(b"\x89PNG")
    assert "Heatmap of 3 channels" in image.alt


async def test_a_digest_names_the_nudge_the_channel_was_given(
    core: Core, messenger: RecordingMessenger, clock: FakeClock
) -> None:
    team = await staffed(await channel(core, messenger, clock, "C1", "campaigns"), m=3, i=3)
    summary = await team.week(uniform(HIGH, {**HIGH, "trust": "1"}, m=3, i=3))
    assert "Marketing: invite IT to your next retro" in summary.text()
    await core.digests.send(team.admin.actor.person)
    digest = messenger.posts[-1].card.text()
    assert (
        "Next step (pulse #1): _5 · Build trust by trusting_ — Marketing: invite IT to your next "
        "retro and let them own one decision." in digest
    )


async def test_a_digest_says_when_its_next_step_came_from_an_earlier_pulse(
    core: Core, messenger: RecordingMessenger, clock: FakeClock
) -> None:
    """The issue: the digest quoted an older pulse's nudge as if it were this week's."""
    team = await staffed(await channel(core, messenger, clock, "C1", "campaigns"), m=3, i=3)
    await team.week(uniform(HIGH, {**HIGH, "trust": "1"}, m=3, i=3))
    second = await team.week(uniform(HIGH, {**HIGH, "trust": "4"}, m=3, i=3))
    assert "Next step —" not in second.text()  # pulse #2 gave no new nudge
    await core.digests.send(team.admin.actor.person)
    digest = messenger.posts[-1].card.text()
    assert "Next step still open (from pulse #1): _5 · Build trust by trusting_" in digest
    assert "Next step (pulse #2)" not in digest


async def test_a_channel_with_no_closed_pulse_says_so(
    core: Core, messenger: RecordingMessenger, clock: FakeClock
) -> None:
    team = await channel(core, messenger, clock, "C1", "campaigns")
    await team.admin.says("/pulse digest now")
    assert "**#campaigns** · no pulse has closed yet." in messenger.posts[-1].card.text()


async def test_no_channels_means_a_plain_note(chat: Chat) -> None:
    person = chat.person("ULONELY1Z")
    await person.says("/pulse digest now")
    assert "you are not a member of any channel" in chat.last_post().text()


def test_a_long_digest_lists_forty_channels_and_counts_the_rest() -> None:
    """Slack refuses a message of more than 50 blocks: a 500-channel digest must still fit."""
    from datetime import UTC, datetime

    from bot.digest.heatmap import build_grid
    from bot.digest.views import MAX_LISTED, DigestEntry, digest_card
    from bot.domain import Poll
    from bot.score.scoring import Participation, PollResult
    from bot.score.trends import ScoreReport, TrendPoint

    moment = datetime(2026, 11, 23, tzinfo=UTC)

    def entry(i: int) -> DigestEntry:
        poll = Poll(i, i, 1, "default", 1, 1, moment, moment, moment, "p", "m1")
        counts = PollResult(k=5, participation=Participation(marketing=2, it=1))
        return DigestEntry(f"#team-{i:03d}", ScoreReport(k=5, points=(TrendPoint(poll, counts),)))

    card = digest_card(build_grid([entry(i) for i in range(500)], k=5))
    assert len(card.blocks) <= 50
    text = card.text()
    assert "500 channels, widest gaps held over 3 pulses first." in text
    assert sum(f"**#team-{i:03d}**" in text for i in range(500)) == MAX_LISTED
    assert f"…and {500 - MAX_LISTED} more, in order: #team-" in text
