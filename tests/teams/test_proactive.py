"""Proactive messages: polls, direct messages, rosters and digests from references in the database."""

from __future__ import annotations

from pathlib import Path

from bot.cards import simple
from bot.domain import ChannelRef, PersonRef
from bot.errors import RecipientUnreachable
from demo.teams_connector import FakeTeamsConnector
from handlers.teams.messenger import TeamsMessenger
from tests.support.adaptive_cards import CardChecker
from tests.support.clock import FakeClock
from tests.support.db import migrated_engine
from tests.support.teams import TENANT, Teams, running_connector


def messenger_of(teams: Teams) -> TeamsMessenger:
    found = teams.application.messengers["teams"]
    assert isinstance(found, TeamsMessenger)
    return found


async def test_after_a_restart_polls_and_direct_messages_use_stored_references(
    backend: str, tmp_path: Path, clock: FakeClock, card_checker: CardChecker
) -> None:
    async with running_connector() as connector, migrated_engine(backend, tmp_path) as engine:
        fake = connector[0]
        async with Teams.start(engine, connector, clock=clock) as first:
            campaigns = first.team("Launch").channel("campaigns")
            boss, ann = first.person("boss"), first.person("ann")
            campaigns.add(boss, ann)
            await campaigns.install(by=boss)
            await boss.says("pulse setup mon 09:00 UTC 3", in_=campaigns)
            await ann.says("pulse join marketing", in_=campaigns)
        posts_before = len(fake.made("POST"))

        async with Teams.start(engine, connector, clock=clock) as second:
            core = second.application.core
            channel = await second.application.repo.find_channel(
                ref=ChannelRef("teams", TENANT, campaigns.id)
            )
            assert channel is not None and channel.schedule is not None
            poll, opened = await core.polls.open(channel, period="2026-11-30")
            assert opened and poll is not None
            posted = await second.application.repo.get_poll(poll_id=poll.id)
            polls = [m for m in fake.in_conversation(campaigns.id) if "Weekly pulse #1" in m.text]
            assert len(polls) == 1 and posted is not None and polls[0].id == posted.message_ref
            assert polls[0].reply_to is None  # a post of its own, not a reply in a thread

            # a reminder-style DM to someone who wrote in the channel before the restart
            person = PersonRef("teams", TENANT, "aad-ann")
            await second.application.messengers["teams"].post(to=person, card=simple("Reminder"))
            assert fake.chat_with("29:ann")[-1].text == "Reminder"
            assert fake.made("POST", "/v3/conversations")[posts_before:]
        card_checker.assert_valid(fake.cards())


async def test_roster_pages_are_read_to_the_end(teams: Teams) -> None:
    campaigns = teams.team("Launch").channel("campaigns")
    people = [teams.person(f"p{i}") for i in range(450)]
    campaigns.add(*people)
    await campaigns.install(by=people[0])
    members = await messenger_of(teams).members(channel=ChannelRef("teams", TENANT, campaigns.id))
    assert len(members) == 450 and members[0] == "aad-p0"
    assert len(teams.connector.made("GET", "pagedmembers")) == 3


async def test_the_digest_lists_channels_the_person_is_a_member_of(teams: Teams) -> None:
    campaigns = teams.team("Launch").channel("campaigns")
    boss, outsider = teams.person("boss"), teams.person("outsider")
    campaigns.add(boss)
    await campaigns.install(by=boss)
    await boss.says("pulse setup", in_=campaigns)
    await boss.says("pulse digest now", in_=campaigns)
    digest, sent = (m.text for m in boss.private_chat()[-2:])
    assert "Your BridgePulse digest" in digest and "**campaigns**" in digest
    assert "#campaigns" not in digest  # Teams names channels without Slack's "#"
    assert "Sent: your digest is in your direct messages" in sent
    await outsider.says_privately("pulse digest now")
    assert any("not a member of any channel" in m.text for m in outsider.private_chat())


async def test_a_removed_bot_is_recorded_and_not_called_again(teams: Teams) -> None:
    campaigns = teams.team("Launch").channel("campaigns")
    boss = teams.person("boss")
    await campaigns.install(by=boss)
    messenger = messenger_of(teams)
    where = ChannelRef("teams", TENANT, campaigns.id)
    teams.connector.blocked.add(campaigns.id)
    for _ in range(2):
        try:
            await messenger.post(to=where, card=simple("hello"))
        except RecipientUnreachable:
            pass
        else:
            raise AssertionError("a post to a conversation that answers 403 must fail")
    refused = [r for r in teams.connector.requests if r.status == 403]
    assert len(refused) == 1  # the second post failed fast, without calling Teams
    # reinstalling brings the reference back
    teams.connector.blocked.clear()
    await campaigns.install(by=boss)
    assert await messenger.post(to=where, card=simple("back again"))


async def test_uninstall_marks_the_channel_gone(teams: Teams) -> None:
    campaigns = teams.team("Launch").channel("campaigns")
    boss = teams.person("boss")
    await campaigns.install(by=boss)
    assert (await campaigns.uninstall(by=boss)).status == 200
    where = ChannelRef("teams", TENANT, campaigns.id)
    calls = len(teams.connector.requests)
    try:
        await messenger_of(teams).post(to=where, card=simple("anyone?"))
    except RecipientUnreachable:
        pass
    else:
        raise AssertionError("posting after uninstall must fail")
    assert len(teams.connector.requests) == calls


async def test_a_person_who_blocked_the_bot_is_not_tried_again_until_they_write(
    teams: Teams,
) -> None:
    campaigns = teams.team("Launch").channel("campaigns")
    ann = teams.person("ann")
    await campaigns.install(by=ann)
    await ann.says("pulse status", in_=campaigns)  # the answer opens a 1:1 chat
    teams.connector.blocked |= {"29:ann", teams.connector.chats["29:ann"]}
    person = PersonRef("teams", TENANT, ann.aad_id)
    messenger = messenger_of(teams)
    for _ in range(2):
        try:
            await messenger.post(to=person, card=simple("psst"))
        except RecipientUnreachable:
            pass
        else:
            raise AssertionError("a blocked person cannot be messaged")
    assert len([r for r in teams.connector.requests if r.status == 403]) == 1
    teams.connector.blocked.clear()
    await ann.says_privately("pulse help")  # writing to the bot unblocks the chat
    await messenger.post(to=person, card=simple("welcome back"))
    assert ann.last_private().text == "welcome back"


async def test_throttled_calls_are_retried_with_backoff(teams: Teams) -> None:
    delays: list[float] = []

    async def record(seconds: float) -> None:
        delays.append(seconds)

    messenger = messenger_of(teams)
    messenger.retry.sleep = record
    campaigns = teams.team("Launch").channel("campaigns")
    await campaigns.install(by=teams.person("boss"))
    fake: FakeTeamsConnector = teams.connector
    fake.fail_next(429, retry_after=2)
    fake.fail_next(502)
    fake.fail_next(412)
    fake.fail_next(504)
    ref = await messenger.post(to=ChannelRef("teams", TENANT, campaigns.id), card=simple("hi"))
    assert fake.messages[ref].text == "hi"
    assert [r.status for r in fake.requests[-5:]] == [429, 502, 412, 504, 201]
    assert len(delays) == 4 and delays[0] >= 2  # Retry-After is honoured
    assert all(0 <= d <= messenger.retry.cap for d in delays)


async def test_retries_stop_after_the_last_attempt(teams: Teams) -> None:
    async def no_wait(_seconds: float) -> None:
        return None

    messenger = messenger_of(teams)
    messenger.retry.sleep = no_wait
    campaigns = teams.team("Launch").channel("campaigns")
    await campaigns.install(by=teams.person("boss"))
    teams.connector.fail_next(429, times=50)
    try:
        await messenger.post(to=ChannelRef("teams", TENANT, campaigns.id), card=simple("x"))
    except Exception as exc:
        assert "429" in str(exc) or "Too Many" in str(exc) or exc.__class__.__name__
    else:
        raise AssertionError("a connector that always throttles must fail the post")
    assert len([r for r in teams.connector.requests if r.status == 429]) == messenger.retry.attempts


async def test_the_written_reference_cache_is_bounded() -> None:
    """Skipping unchanged rewrites must not grow memory with every person the bot meets."""
    from datetime import UTC, datetime
    from typing import Any

    from handlers.teams.references import WRITTEN_MAX, ConversationBook
    from tests.support.clock import FakeClock

    class Store:
        saved = 0

        async def save_conversation(self, **_: Any) -> None:
            Store.saved += 1

    book = ConversationBook(Store(), FakeClock(datetime(2026, 11, 23, tzinfo=UTC)))  # type: ignore[arg-type]
    for n in range(WRITTEN_MAX + 50):
        await book.remember("tenant", f"account:{n}", {"id": n})
    assert len(book._written) == WRITTEN_MAX
    await book.remember("tenant", f"account:{WRITTEN_MAX + 49}", {"id": WRITTEN_MAX + 49})
    assert Store.saved == WRITTEN_MAX + 50  # the newest is still cached: not written again
    await book.remember("tenant", "account:0", {"id": 0})
    assert Store.saved == WRITTEN_MAX + 51  # the oldest was dropped: written again
