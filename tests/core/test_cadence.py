"""Weekly cadence in the channel's timezone, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, time

from bot.channels.cadence import closes_at, describe, latest_open, next_open, period_of, reminder_at
from bot.domain import Schedule

BERLIN_MON_9 = Schedule(weekday=0, at=time(9, 0), timezone="Europe/Berlin", open_days=3)


def test_next_open_is_strictly_after_now() -> None:
    monday_8_utc = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 Berlin (CET, UTC+1)
    assert next_open(BERLIN_MON_9, monday_8_utc) == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    just_before = datetime(2026, 11, 23, 7, 59, tzinfo=UTC)
    assert next_open(BERLIN_MON_9, just_before) == monday_8_utc


def test_daylight_saving_keeps_local_wall_time() -> None:
    # Berlin switches to CEST on 2027-03-28: 09:00 local is 08:00 UTC before, 07:00 UTC after
    before = next_open(BERLIN_MON_9, datetime(2027, 3, 20, tzinfo=UTC))
    after = next_open(BERLIN_MON_9, before)
    assert before == datetime(2027, 3, 22, 8, 0, tzinfo=UTC)
    assert after == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)


def test_close_counts_local_days_across_a_dst_change() -> None:
    # opens Fri 26 Mar 09:00 CET, open 3 days → closes Mon 29 Mar 09:00 CEST (71 h later)
    friday = Schedule(weekday=4, at=time(9, 0), timezone="Europe/Berlin", open_days=3)
    opened = datetime(2027, 3, 26, 8, 0, tzinfo=UTC)
    assert closes_at(friday, opened) == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)


def test_reminder_is_24h_before_close_unless_the_poll_is_too_short() -> None:
    opened = datetime(2026, 11, 23, 8, tzinfo=UTC)
    closing = closes_at(BERLIN_MON_9, opened)
    assert reminder_at(opened, closing) == datetime(2026, 11, 25, 8, tzinfo=UTC)
    one_day = Schedule(0, time(9), "UTC", 1)
    assert reminder_at(opened, closes_at(one_day, opened)) is None


def test_period_and_latest_open() -> None:
    moment = datetime(2026, 11, 25, 12, tzinfo=UTC)
    opened = latest_open(BERLIN_MON_9, moment)
    assert opened == datetime(2026, 11, 23, 8, tzinfo=UTC)
    assert period_of(BERLIN_MON_9, opened) == "2026-11-23"
    assert latest_open(BERLIN_MON_9, opened) == opened


def test_describe() -> None:
    assert describe(BERLIN_MON_9) == "every Monday at 09:00 (Europe/Berlin), open 3 days"
