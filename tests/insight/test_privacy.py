"""Nothing anywhere names a respondent: every card posted, updated, replied or sent, and every
attachment (chart PNGs, CSV exports), is scanned for user ids and respondent hashes after a run
of several weeks that exercises summaries, so-far figures, digests, exports and forget-me."""

from __future__ import annotations

from bot.cards import Card
from tests.insight.conftest import Team, engineer, marketer, staffed, uniform

HIGH = {"trust": "5", "priority": "4", "lever": "speed", "rotating": "4"}
MIXED = {"trust": "2", "priority": "3", "lever": "privacy", "rotating": "2"}


def scanned(card: Card) -> list[bytes]:
    return [card.text().encode("utf-8"), repr(card).encode("utf-8")] + [
        a.content for a in card.attachments
    ]


async def test_no_message_or_file_names_a_respondent(team: Team) -> None:
    await staffed(team, m=6, i=6)
    await team.join("other", "UOTHQ0Z")
    replies: list[Card] = []

    async def ask(person_id: str, text: str) -> None:
        replies.append((await team.people[person_id].says(text)).card)

    await team.week(uniform(HIGH, MIXED, m=6, i=6))
    await team.open()
    await team.answer(uniform(HIGH, MIXED, m=3, i=3))
    await ask(marketer(0), "/alignment")
    await team.answer(
        {marketer(n): MIXED for n in range(3, 6)} | {engineer(n): HIGH for n in range(3, 6)}
    )
    await ask(engineer(0), "/alignment")
    await ask(engineer(1), "/pulse status")
    await ask(marketer(5), "/pulse forget-me")
    await team.close()
    await team.week(uniform(HIGH, MIXED, m=3, i=2))  # below the threshold
    await ask(marketer(1), "/pulse digest on")
    replies.append((await team.admin.says("/pulse digest now")).card)
    replies.append((await team.admin.says("/pulse export")).card)
    replies.append((await team.admin.says("/alignment")).card)
    for person in team.people.values():
        replies.append(await team.chat.core.home(actor=person.actor))
    await team.chat.core.polls.drain()

    messenger = team.chat.messenger
    cards = [s.card for s in messenger.posts + messenger.updates] + replies
    assert len(cards) > 20
    assert any(a.mime == "image/png" for c in cards for a in c.attachments)
    assert any(a.mime == "text/csv" for c in cards for a in c.attachments)
    hasher = team.chat.core.deps.hasher
    forbidden = {pid.encode() for pid in team.people} | {
        hasher.of(p.actor).encode() for p in team.people.values()
    }
    forbidden |= {hasher.of(p.actor)[:20].encode() for p in team.people.values()}
    leaks = [
        (c.summary[:60], secret)
        for c in cards
        for blob in scanned(c)
        for secret in forbidden
        if secret in blob
    ]
    assert leaks == []
