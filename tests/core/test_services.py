"""The core's use cases through the chat harness: a whole week, privacy, and every command."""

from __future__ import annotations

import csv
import io

from bot.cards import Actions, Select
from bot.domain import Side, Visibility
from bot.polls.action_values import JOIN, VOTE
from bot.questions import default_question_set
from bot.score.scoring import compute_result
from tests.support.chat import Chat, poll_actions
from tests.support.clock import FakeClock


async def team(chat: Chat, marketing: int, it: int) -> tuple[list, list]:
    m = [chat.person(f"m{i}") for i in range(marketing)]
    i_ = [chat.person(f"i{i}") for i in range(it)]
    for p in m:
        await p.says("/pulse join marketing")
    for p in i_:
        await p.says("/pulse join it")
    return m, i_


async def test_a_whole_week(chat: Chat, clock: FakeClock) -> None:
    admin = chat.person("boss")
    reply = await admin.says("/pulse setup mon 09:00 Europe/Berlin 3")
    assert (
        "Weekly pulse is on: every Monday at 09:00 (Europe/Berlin), open 3 days"
        in reply.card.text()
    )
    assert "Mon 30 Nov 09:00 CET" in reply.card.text()  # 08:00 UTC now is 09:00 Berlin: next week

    m, it = await team(chat, 3, 3)
    opened = await admin.says("/pulse now")
    assert "Pulse #1 is open until Thu 26 Nov 09:00 CET" in opened.card.text()
    poll_card = chat.last_post()
    actions = poll_actions(poll_card)
    assert len(actions) == 5 + 5 + 6 + 5 + 5 and {a for a, _ in actions} == {VOTE}
    kinds = [type(b).__name__ for b in poll_card.blocks if isinstance(b, Actions | Select)]
    assert kinds == ["Actions", "Actions", "Select", "Actions", "Actions"]  # docs/design.md's order

    plan = {"trust": ("5", "4"), "priority": ("4", "2"), "imperative_1": ("4", "4")}
    for person in m:
        for q, (mv, _) in plan.items():
            await person.clicks_answer(q, mv)
        await person.clicks_answer("lever", "customer_data")
    for person in it:
        for q, (_, iv) in plan.items():
            await person.clicks_answer(q, iv)
        await person.clicks_answer(
            "lever", "privacy" if person.user_id == "i0" else "customer_data"
        )
    changed = await it[0].clicks_answer("lever", "customer_data")
    assert "Changed: **Lever** is now Customer data access." in changed.card.text()

    poll = await chat.open_poll()
    assert poll is not None
    answers = await chat.core.deps.repo.answers(poll_id=poll.id)
    expected = compute_result(answers, question_set=default_question_set(), poll_number=1, k=3)
    score = await admin.says("/alignment")
    assert expected.score is not None
    # 3 + 3 answers meet k = 3, but "so far" figures wait for k more per side (differencing guard)
    assert "its figures appear when it closes" in score.card.text()
    assert "/100" not in score.card.text()
    assert score.visibility is Visibility.EPHEMERAL

    clock.advance(days=3)
    closed = await admin.says("/pulse close")
    assert "Pulse #1 is closed" in closed.card.text()
    summary = chat.last_post().text()
    assert f"{expected.score}/100" in summary and "marketing 3 · IT 3" in summary
    assert any("closed" in u.card.text() for u in chat.messenger.updates)
    after = await admin.says("/alignment")
    assert f"{expected.score}/100" in after.card.text() and "so far" not in after.card.text()
    late = await m[0].clicks_answer("trust", "1", poll=poll)
    assert "closed" in late.card.text()


async def test_click_without_a_side_is_kept_until_the_person_picks_one(chat: Chat) -> None:
    admin = chat.person("boss")
    await admin.says("/pulse now")
    newcomer = chat.person("newbie")
    reply = await newcomer.clicks_answer("trust", "4")
    assert "Which team are you in?" in reply.card.text()
    assert ("join", "marketing") in [(a, v) for a, v in poll_actions(reply.card)]
    poll = await chat.open_poll()
    assert poll is not None
    assert (await chat.core.deps.repo.participation(poll_id=poll.id)).pending == 1
    joined = await newcomer.clicks(JOIN, "it")
    assert "You are on the **IT** side" in joined.card.text() or "IT" in joined.card.text()
    assert "now counts" in joined.card.text()
    assert (await chat.core.deps.repo.participation(poll_id=poll.id)).it == 1


async def test_figures_are_withheld_below_the_threshold(chat: Chat) -> None:
    admin = chat.person("boss")
    m, it = await team(chat, 3, 2)
    await admin.says("/pulse now")
    for person in m + it:
        await person.clicks_answer("trust", "5")
    text = (await admin.says("/alignment")).card.text()
    assert "not enough answers yet (2 of 3 per side)" in text
    assert "/100" not in text
    status = (await admin.says("/pulse status")).card.text()
    assert "marketing 3 · IT 2 · other 0" in status


async def test_admin_words_are_refused_politely_for_others(chat: Chat) -> None:
    owner, stranger = chat.person("owner"), chat.person("stranger")
    await owner.says("/pulse setup")
    for word in ("now", "close", "pause", "resume", "export", "setup tue 10:00"):
        reply = await stranger.says(f"/pulse {word}")
        assert "is for this channel's BridgePulse admins" in reply.card.text(), word
    chat.messenger.admins.add("stranger")  # a workspace admin may
    assert "Pulse #1 is open" in (await stranger.says("/pulse now")).card.text()


async def test_now_twice_changes_nothing(chat: Chat) -> None:
    admin = chat.person("boss")
    await admin.says("/pulse now")
    posts = len(chat.messenger.posts)
    again = await admin.says("/pulse now")
    assert "already open" in again.card.text()
    assert len(chat.messenger.posts) == posts


async def test_pause_resume_status_and_help(chat: Chat) -> None:
    admin = chat.person("boss")
    assert "not set up" in (await admin.says("/pulse status")).card.text()
    await admin.says("/pulse setup fri 16:00 America/New_York 2")
    paused = (await admin.says("/pulse pause")).card.text()
    assert "Paused" in paused and "until `/pulse resume`" in paused  # the platform's prefix
    assert "(paused)" in (await admin.says("/pulse status")).card.text()
    assert "already paused" in (await admin.says("/pulse pause")).card.text()
    resumed = (await admin.says("/pulse resume")).card.text()
    assert "Resumed: every Friday at 16:00 (America/New_York), open 2 days" in resumed
    help_text = (await admin.says("/pulse help")).card.text()
    assert "`/pulse resume` restarts it" in help_text and "{prefix}" not in help_text
    for word in (
        "setup",
        "now",
        "close",
        "pause",
        "resume",
        "status",
        "join",
        "digest",
        "forget-me",
        "export",
        "help",
        "/alignment explain",
    ):
        assert word in help_text
    unknown = (await admin.says("/pulse dance")).card.text()
    assert "I don't know the word “dance”" in unknown and "/pulse setup" in unknown


async def test_forget_me_reports_the_count(chat: Chat) -> None:
    admin = chat.person("boss")
    await admin.says("/pulse join it")
    await admin.says("/pulse now")
    for q, v in (("trust", "4"), ("priority", "3"), ("lever", "speed")):
        await admin.clicks_answer(q, v)
    reply = await admin.says("/pulse forget-me")
    assert "deleted your team and 3 answers" in reply.card.text()
    assert "had nothing stored" in (await admin.says("/pulse forget-me")).card.text()


async def test_export_is_aggregates_only(chat: Chat, clock: FakeClock) -> None:
    admin = chat.person("boss")
    m, it = await team(chat, 3, 3)
    await admin.says("/pulse now")
    for person in m + it:
        await person.clicks_answer("trust", "4")
    clock.advance(days=3)
    await admin.says("/pulse close")
    reply = await admin.says("/pulse export")
    assert reply.visibility is Visibility.DIRECT
    (attachment,) = reply.card.attachments
    rows = list(csv.DictReader(io.StringIO(attachment.content.decode())))
    assert len(rows) == 1 and rows[0]["score"] == "75" and rows[0]["respondents_it"] == "3"
    content = attachment.content.decode()
    for person in m + it:
        assert person.user_id not in content


async def test_digest_now_and_subscription(chat: Chat) -> None:
    admin = chat.person("boss")
    await admin.says("/pulse setup")
    assert "Subscribed" in (await admin.says("/pulse digest on")).card.text()
    assert "already subscribed" in (await admin.says("/pulse digest on")).card.text()
    sent = await admin.says("/pulse digest now")
    assert "Sent" in sent.card.text()
    digest = chat.messenger.posts[-1]
    assert digest.to == admin.actor.person and "#campaigns" in digest.card.text()
    assert "Unsubscribed" in (await admin.says("/pulse digest off")).card.text()


async def test_stale_and_forged_actions_change_nothing(chat: Chat) -> None:
    admin = chat.person("boss")
    await admin.says("/pulse join it")
    await admin.says("/pulse now")
    poll = await chat.open_poll()
    assert poll is not None
    for action, value in (
        (VOTE, "garbage"),
        (VOTE, f"{poll.id}:trust:9"),
        (VOTE, f"{poll.id}:nope:1"),
        (VOTE, "99999:trust:1"),
        ("bogus", "x"),
        (JOIN, "sales"),
        (VOTE, f"{poll.id}:imperative_2:3"),
    ):
        reply = await admin.clicks(action, value)
        assert "out of date" in reply.card.text(), (action, value)
    assert await chat.core.deps.repo.answers(poll_id=poll.id) == []


async def test_the_poll_count_updates_but_never_names_anyone(chat: Chat) -> None:
    admin = chat.person("boss")
    await admin.says("/pulse join marketing")
    await admin.says("/pulse now")
    await admin.clicks_answer("trust", "4")
    await chat.core.polls.drain()
    update = chat.messenger.updates[-1].card.text()
    assert "1 person has answered so far" in update
    assert "boss" not in update


async def test_home_shows_side_and_channels(chat: Chat) -> None:
    admin = chat.person("boss")
    await admin.says("/pulse setup")
    await admin.says("/pulse join marketing")
    card = await chat.core.home(actor=admin.actor)
    assert "You are on the **Marketing** side." in card.text()
    assert "#campaigns" in card.text()


def test_side_labels() -> None:
    assert [s.label for s in Side] == ["Marketing", "IT", "Other"]
