"""Crash recovery within Slack's history limits (1 call a minute, 15 messages, for commercially
distributed non-Marketplace apps): only a post in doubt is looked for, in one bounded read
around its attempt; a 429's Retry-After and the per-workspace minute are honoured without
waiting, so a step still in doubt is retried later instead of holding a worker."""

from __future__ import annotations

import time

import pytest

from bot.cards import simple
from bot.domain import ChannelRef
from handlers.slack.messenger import SlackMessenger
from handlers.slack.recovery import HISTORY_LIMIT, PostInDoubt
from tests.slack.conftest import SlackStack
from tests.support.slack import TEAM


class Ticker:
    """The monotonic clock of both the fake's minute and the messenger's spacing."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Tokens:
    def __init__(self, stack: SlackStack) -> None:
        self._fake = stack.fake

    async def bot_token(self, team_id: str) -> str:
        return self._fake.workspace(team_id).token


def limited(stack: SlackStack, ticker: Ticker, *, interval: float = 60.0) -> SlackMessenger:
    """A messenger of a multi-workspace app, against a fake Slack that enforces the limits."""
    stack.fake.rate_limits.history_per_minute = 1
    stack.fake.rate_limits.history_max_items = HISTORY_LIMIT
    stack.fake.monotonic = ticker
    deps = stack.application.core.deps
    return SlackMessenger(
        stack.adapter.messenger._client,
        Tokens(stack),
        conversations=deps.repo,
        clock=deps.clock,
        history_interval=interval,
        history_clock=ticker,
    )


def summary_posts(stack: SlackStack, marker: str) -> list[str]:
    messages = stack.fake.channel_messages(stack.workspace.channel_id)
    return [m.ts for m in messages if (m.metadata or {}).get("event_payload") == {"marker": marker}]


def history_calls(stack: SlackStack) -> list[tuple[int, dict[str, str]]]:
    return [(c.status, c.args) for c in stack.fake.calls_to("conversations.history")]


async def test_only_a_post_in_doubt_is_looked_for_in_one_bounded_read(stack: SlackStack) -> None:
    messenger, to = limited(stack, Ticker()), ChannelRef("slack", TEAM, "C1")
    for n in range(20):
        await messenger.post(to=to, card=simple(f"chatter {n}"))
    ts = await messenger.post_marked(to=to, card=simple("Pulse #7"), marker="poll:7")
    for n in range(10):
        await messenger.post(to=to, card=simple(f"later {n}"))
    # the crash: the core never recorded `ts`; a resumed step asks
    assert await messenger.find_marked(to=to, marker="summary:3") is None  # never attempted
    assert history_calls(stack) == [], "no history read for a post that was never sent"
    assert await messenger.find_marked(to=to, marker="poll:7") == ts
    ((status, args),) = history_calls(stack)
    assert status == 200 and int(args["limit"]) <= 15
    oldest, latest = float(args["oldest"]), float(args["latest"])
    assert oldest <= float(ts) <= latest and oldest > time.time() - 60
    assert latest - oldest <= 600, "bounded around the attempt"


async def test_a_429_retry_after_is_honoured_without_waiting(stack: SlackStack) -> None:
    ticker = Ticker()
    # a workspace's own app is exempt from the minute (no spacing), yet a 429 still counts
    messenger, to = limited(stack, ticker, interval=0.0), ChannelRef("slack", TEAM, "C1")
    stack.fake.rate_limits.history_per_minute = None
    ts = await messenger.post_marked(to=to, card=simple("Summary"), marker="summary:4")
    stack.fake.fail_next("ratelimited", method="conversations.history", retry_after=30)
    started = time.monotonic()
    with pytest.raises(PostInDoubt):
        await messenger.find_marked(to=to, marker="summary:4")
    assert time.monotonic() - started < 2, "not waited on: the step is retried later"
    ticker.now += 20
    with pytest.raises(PostInDoubt):
        await messenger.find_marked(to=to, marker="summary:4")
    assert len(history_calls(stack)) == 1, "Slack was not asked again before Retry-After"
    ticker.now += 11
    assert await messenger.find_marked(to=to, marker="summary:4") == ts
    assert [s for s, _ in history_calls(stack)] == [429, 200]


async def test_history_reads_are_spaced_a_minute_per_workspace(stack: SlackStack) -> None:
    ticker = Ticker()
    messenger = limited(stack, ticker)
    stack.fake.channel(TEAM, "C2")
    stack.fake.channel("T2", "C7")
    here, there, elsewhere = (
        ChannelRef("slack", TEAM, "C1"),
        ChannelRef("slack", TEAM, "C2"),
        ChannelRef("slack", "T2", "C7"),
    )
    posted = {
        to: await messenger.post_marked(to=to, card=simple("Pulse"), marker=f"poll:{to.channel_id}")
        for to in (here, there, elsewhere)
    }
    assert await messenger.find_marked(to=here, marker="poll:C1") == posted[here]
    with pytest.raises(PostInDoubt):  # the same workspace within the minute: later
        await messenger.find_marked(to=there, marker="poll:C2")
    # another workspace has its own minute
    assert await messenger.find_marked(to=elsewhere, marker="poll:C7") == posted[elsewhere]
    ticker.now += 60
    assert await messenger.find_marked(to=there, marker="poll:C2") == posted[there]
    assert [s for s, _ in history_calls(stack)] == [200, 200, 200], "never refused by Slack"


async def test_the_fake_enforces_the_minute_and_a_busy_window_is_read_in_steps(
    stack: SlackStack,
) -> None:
    ticker = Ticker()
    eager = limited(stack, ticker, interval=0.0)  # a messenger that does not space its reads
    to = ChannelRef("slack", TEAM, "C1")
    ts = await eager.post_marked(to=to, card=simple("Pulse #2"), marker="poll:2")
    for n in range(20):  # more than 15 messages right after it
        await eager.post(to=to, card=simple(f"busy {n}"))
    with pytest.raises(PostInDoubt):  # 15 newest read, more to come: asked again later
        await eager.find_marked(to=to, marker="poll:2")
    with pytest.raises(PostInDoubt):  # within the minute the fake answers 429
        await eager.find_marked(to=to, marker="poll:2")
    ticker.now += 61
    assert await eager.find_marked(to=to, marker="poll:2") == ts
    (first, refused, second) = history_calls(stack)
    assert refused[0] == 429 and len(stack.fake.calls_to("conversations.history")) == 3
    assert float(second[1]["latest"]) < float(first[1]["latest"]), "only the older part again"


async def test_a_summary_in_doubt_is_retried_later_not_waited_on_and_posted_once(
    stack: SlackStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, fake, core = stack.workspace, stack.fake, stack.application.core
    messenger = stack.adapter.messenger
    ticker = Ticker()
    monkeypatch.setattr(messenger._marked, "_monotonic", ticker)
    boss = ws.person("UBOSS")
    await boss.types("/pulse now")
    poll = await core.deps.repo.open_poll(channel_id=1)
    assert poll is not None
    real_post = messenger.post_marked

    async def dies_after_slack_took_it(*, to: ChannelRef, card: object, marker: str) -> str:
        await real_post(to=to, card=card, marker=marker)  # type: ignore[arg-type]
        raise ConnectionResetError("the process died before it heard back")

    monkeypatch.setattr(messenger, "post_marked", dies_after_slack_took_it)
    await boss.types("/pulse close")
    await stack.settle()
    monkeypatch.setattr(messenger, "post_marked", real_post)
    summaries = summary_posts(stack, f"summary:{poll.id}")
    assert len(summaries) == 1, "Slack took the summary; the bot never recorded it"

    fake.fail_next("ratelimited", method="conversations.history", retry_after=120)
    started = time.monotonic()
    with pytest.raises(PostInDoubt):  # what the scheduler resumes: it fails fast, retried later
        await core.polls.finish(poll.id)
    assert time.monotonic() - started < 2
    ticker.now += 121
    await core.polls.finish(poll.id)  # the retry, after Retry-After: found, not posted again
    assert summary_posts(stack, f"summary:{poll.id}") == summaries
    assert [c.status for c in fake.calls_to("conversations.history")] == [429, 200]
