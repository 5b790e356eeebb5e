"""Who may vote where, and which of two clicks counts (docs/design.md "Privacy → Who may vote").

Pure rules: the store applies them inside the vote batch, to the poll's place as it reads it
with the poll's lock, so checking a click costs no round trip of its own.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain import AnswerOutcome, ChannelRef, ClickOrigin


def refusal(poll_at: ChannelRef, origin: ClickOrigin, *, reminded: bool) -> AnswerOutcome | None:
    """Why a click on a poll posted in `poll_at` does not count, or None when it does.

    It counts from the poll's own channel, or from the person's direct messages with the bot
    when the bot reminded that person of this poll there (the reminder carries the buttons).
    `reminded` says whether the clicker is one the bot reminded for this poll."""
    if (origin.platform, origin.workspace_id) != (poll_at.platform, poll_at.workspace_id):
        return AnswerOutcome.FOREIGN
    if origin.channel_id is not None and origin.channel_id == poll_at.channel_id:
        return None
    if origin.direct and reminded:
        return None
    return AnswerOutcome.ELSEWHERE


def later_counts(stored: datetime | None, clicked: datetime) -> bool:
    """Whether a click made at `clicked` replaces an answer clicked at `stored`: the later
    click by the platform's own time wins, and of two at the same time the one that arrives
    last (so a replayed older request cannot undo a newer answer). Answers stored before
    click times were kept (None) give way to any click."""
    return stored is None or clicked >= stored
