"""Weekly digests: once per ISO week and workspace, after every poll of that week has closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import ChannelRef, PersonRef
from tests.scheduling.conftest import FakePlatform, Replica, run_until
from tests.scheduling.test_replicas import pulse
from tests.support.chat import PLATFORM
from tests.support.clock import FakeClock

SUNDAY = datetime(2026, 11, 22, 12, tzinfo=UTC)


async def test_a_workspace_digest_waits_for_the_weeks_last_close(
    replica: Replica, platform: FakePlatform, clock: FakeClock
) -> None:
    clock.set(SUNDAY)
    core = replica.core
    monday, wednesday = ChannelRef(PLATFORM, "W1", "C-mon"), ChannelRef(PLATFORM, "W1", "C-wed")
    elsewhere = ChannelRef(PLATFORM, "W2", "C-other")
    platform.members_by_channel |= {
        "C-mon": ["lead", "m", "i"],
        "C-wed": ["lead", "m"],
        "C-other": ["boss"],
    }
    await pulse(core, monday, "lead", "setup mon 09:00 UTC 3")  # closes Thursday
    await pulse(core, wednesday, "lead", "setup wed 09:00 UTC 3")  # closes Saturday
    await pulse(core, elsewhere, "boss", "setup mon 09:00 UTC 3")
    await pulse(core, monday, "lead", "digest on")
    await pulse(core, elsewhere, "boss", "digest on")

    await run_until(clock, SUNDAY + timedelta(days=7), replica)
    digests = [(d.to, d.at) for d in platform.of_kind("digest")]
    assert digests == [
        (PersonRef(PLATFORM, "W2", "boss"), datetime(2026, 11, 26, 9, tzinfo=UTC)),
        (PersonRef(PLATFORM, "W1", "lead"), datetime(2026, 11, 28, 9, tzinfo=UTC)),
    ]
    lead_digest = platform.of_kind("digest")[1].sent.card.text()
    assert "C-mon" in lead_digest and "C-wed" in lead_digest

    # A manual poll opened and closed later in the same week adds no second digest.
    clock.set(datetime(2026, 11, 29, 8, tzinfo=UTC))
    await pulse(core, monday, "lead", "now")
    await pulse(core, monday, "lead", "close")
    await run_until(clock, datetime(2026, 11, 29, 12, tzinfo=UTC), replica)
    assert len(platform.of_kind("digest")) == 2
    # The next week's digest comes after that week's last close, once again.
    await run_until(clock, datetime(2026, 12, 6, tzinfo=UTC), replica)
    assert [d.at for d in platform.of_kind("digest")][2:] == [
        datetime(2026, 12, 3, 9, tzinfo=UTC),
        datetime(2026, 12, 5, 9, tzinfo=UTC),
    ]
