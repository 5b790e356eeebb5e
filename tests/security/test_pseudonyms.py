"""No name beside an answer: after real clicks over signed HTTP, no table that holds answers,
sides or the guard's fingerprints contains a raw platform user id (only keyed hashes)."""

from __future__ import annotations

from sqlalchemy import text

from tests.security.test_vote_origin import open_poll, stored
from tests.slack import conftest as slack_fixtures
from tests.slack.conftest import SlackStack

fake_slack, stack = slack_fixtures.fake_slack, slack_fixtures.stack

#: every table that describes what someone answered, or which side they are on
ANSWER_TABLES = ("answer", "member_side", "poll_disclosure")


async def test_answers_and_sides_are_stored_under_keyed_hashes_only(stack: SlackStack) -> None:
    users = ("UANN", "UBEN", "UCAL")
    poll, people = await open_poll(stack, *users)
    for n, person in enumerate(people.values()):
        assert "Got it" in (await person.clicks(poll, "trust", 2 + n)).text
    answers = await stored(stack)
    assert len(answers) == 3, "every click was stored"
    assert all(len(respondent) == 64 for respondent in answers), "HMAC-SHA256 hex digests"
    await stack.workspace.person("UBOSS").types("/alignment")  # the guard may keep a snapshot
    engine = stack.application.repo._engine
    async with engine.connect() as conn:
        for table in ANSWER_TABLES:
            rows = (await conn.execute(text(f"SELECT * FROM {table}"))).all()
            dump = "\n".join(str(tuple(row)) for row in rows)
            for user in users:
                assert user not in dump and user.lower() not in dump, (table, user)
