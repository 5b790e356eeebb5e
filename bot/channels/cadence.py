"""Weekly cadence: when a channel's poll opens, is reminded and closes, in the channel's timezone.

Times are computed in local wall-clock time and converted to UTC, so a Monday 09:00 poll in
Europe/Berlin opens at 09:00 local on both sides of a daylight-saving change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.domain import Schedule

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LONG = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAY_ALIASES = {
    **{n: i for i, n in enumerate(WEEKDAY_NAMES)},
    **{n.lower(): i for i, n in enumerate(WEEKDAY_LONG)},
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
DEFAULT_SCHEDULE = Schedule(weekday=0, at=time(9, 0), timezone="UTC", open_days=3)
MAX_OPEN_DAYS = 6
REMINDER_BEFORE_CLOSE = timedelta(hours=24)


def parse_weekday(word: str) -> int | None:
    return _WEEKDAY_ALIASES.get(word.strip().lower())


@cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()} | {"utc": "UTC"}


def canonical_timezone(name: str) -> str | None:
    """The IANA spelling of `name` (matched case-insensitively), or None if there is no such zone."""
    found = _zone_names().get(name.strip().lower())
    if found is None:
        return None
    try:
        ZoneInfo(found)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return found


def _local(schedule: Schedule, day: date) -> datetime:
    return datetime.combine(day, schedule.at, tzinfo=ZoneInfo(schedule.timezone))


def next_open(schedule: Schedule, after: datetime) -> datetime:
    """The first scheduled opening strictly after `after`, in UTC."""
    local_after = after.astimezone(ZoneInfo(schedule.timezone))
    day = local_after.date() + timedelta(days=(schedule.weekday - local_after.weekday()) % 7)
    candidate = _local(schedule, day)
    if candidate.astimezone(UTC) <= after.astimezone(UTC):
        candidate = _local(schedule, day + timedelta(days=7))
    return candidate.astimezone(UTC)


def latest_open(schedule: Schedule, moment: datetime) -> datetime:
    """The most recent scheduled opening at or before `moment`, in UTC."""
    local = moment.astimezone(ZoneInfo(schedule.timezone))
    day = local.date() - timedelta(days=(local.weekday() - schedule.weekday) % 7)
    candidate = _local(schedule, day)
    if candidate.astimezone(UTC) > moment.astimezone(UTC):
        candidate = _local(schedule, day - timedelta(days=7))
    return candidate.astimezone(UTC)


def closes_at(schedule: Schedule, opened_at: datetime) -> datetime:
    """Closing time: `open_days` local calendar days after opening, same wall-clock time."""
    local = opened_at.astimezone(ZoneInfo(schedule.timezone))
    closing = datetime.combine(
        local.date() + timedelta(days=schedule.open_days),
        local.timetz().replace(tzinfo=None),
        tzinfo=ZoneInfo(schedule.timezone),
    )
    return closing.astimezone(UTC)


def reminder_at(opened_at: datetime, closing: datetime) -> datetime | None:
    """24 h before close, or None when the poll is open too briefly for a reminder to help."""
    moment = closing - REMINDER_BEFORE_CLOSE
    return moment if moment > opened_at else None


def period_of(schedule: Schedule, opened_at: datetime) -> str:
    """The period key of a scheduled poll: its local opening date, e.g. ``2026-11-23``."""
    return opened_at.astimezone(ZoneInfo(schedule.timezone)).date().isoformat()


def describe(schedule: Schedule) -> str:
    """E.g. "every Monday at 09:00 (Europe/Berlin), open 3 days"."""
    days = "day" if schedule.open_days == 1 else "days"
    return (
        f"every {WEEKDAY_LONG[schedule.weekday]} at {schedule.at:%H:%M} "
        f"({schedule.timezone}), open {schedule.open_days} {days}"
    )


def format_local(moment: datetime, timezone: str) -> str:
    """E.g. "Mon 23 Nov 09:00 CET"."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%a %d %b %H:%M} {local.tzname() or timezone}"
