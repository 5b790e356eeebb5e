"""A whole weekly cycle in Slack, over signed HTTP to the real Bolt app, against the fake Slack."""

from __future__ import annotations

import copy

from bot.domain import ChannelRef
from bot.questions import default_question_set
from bot.score.scoring import compute_result
from handlers.slack.render import block_problem
from tests.slack.conftest import SlackStack
from tests.support.blockkit import problems
from tests.support.clock import FakeClock
from tests.support.slack import message_text


async def test_setup_join_open_click_change_score_close(
    stack: SlackStack, clock: FakeClock
) -> None:
    ws, fake = stack.workspace, stack.fake
    boss = ws.person("UBOSS")
    setup = await boss.types("/pulse setup mon 09:00 Europe/Berlin 3")
    assert "Weekly pulse is on: every Monday at 09:00 (Europe/Berlin), open 3 days" in setup.text

    marketing = [ws.person(f"UM{i}") for i in range(3)]
    it = [ws.person(f"UI{i}") for i in range(3)]
    for person in marketing:
        assert "Marketing" in (await person.types("/pulse join marketing")).text
    for person in it:
        assert "IT" in (await person.types("/pulse join it")).text

    opened = await boss.types("/pulse now")
    assert "Pulse #1 is open until" in opened.text
    poll = ws.poll_message()
    rows = [b for b in poll.blocks if b["type"] == "actions"]
    kinds = [[e["type"] for e in b["elements"]] for b in rows]
    # five questions, the mirror last, one row of one-click choices each, as Slack takes them
    assert kinds == [["button"] * 5, ["button"] * 5, ["static_select"]] + [["button"] * 5] * 2
    assert [b["block_id"] for b in rows][-1] == "q_mirror"
    assert len(poll.blocks) <= 50 and block_problem(poll.blocks) is None
    assert "five one-click questions" in poll.text
    assert [e["text"]["text"] for e in rows[0]["elements"]] == ["1", "2", "3", "4", "5"]

    # marketing thinks IT rates the partnership 3 (IT: 2); IT thinks marketing rates it 2 (4)
    plan = {"trust": (5, 4), "priority": (4, 2), "imperative_1": (4, 4), "mirror": (3, 2)}
    for person in marketing:
        for question, (mine, _) in plan.items():
            seen = await person.clicks(poll, question, mine)
            assert "Got it" in seen.text
        await person.clicks(poll, "lever", "customer_data")
    for person in it:
        for question, (_, theirs) in plan.items():
            await person.clicks(poll, question, theirs)
        await person.clicks(
            poll, "lever", "privacy" if person.user_id == "UI0" else "customer_data"
        )
    changed = await it[0].clicks(poll, "lever", "customer_data")
    assert "Changed: *Lever* is now Customer data access." in changed.text
    again = await it[0].clicks(poll, "lever", "customer_data")
    assert "already answered" in again.text

    await stack.settle()
    assert "6 people have answered so far" in message_text(poll)
    assert "UM0" not in message_text(poll) and "um0" not in message_text(poll)

    core = stack.application.core
    channel = await core.deps.repo.find_channel(ref=ChannelRef("slack", ws.team_id, ws.channel_id))
    assert channel is not None
    open_poll = await core.deps.repo.open_poll(channel_id=channel.id)
    assert open_poll is not None
    answers = await core.deps.repo.answers(poll_id=open_poll.id)
    expected = compute_result(answers, question_set=default_question_set(), poll_number=1, k=3)
    assert expected.score is not None
    score = await marketing[0].types("/alignment")
    # 3 + 3 answers meet k = 3, but "so far" figures wait for k more per side (differencing guard)
    assert "its figures appear when it closes" in score.text and "/100" not in score.text
    assert "Answers in pulse #1: marketing 3 · IT 3 · other 0" in score.text
    assert "response_type" in score.body and score.body["response_type"] == "ephemeral"

    stale_view = copy.deepcopy(poll)  # what a client that has not refreshed still shows
    clock.advance(days=3)
    closed = await boss.types("/pulse close")
    assert "Pulse #1 is closed" in closed.text
    await stack.settle()
    summary = message_text(ws.last_card())
    assert f"{expected.score}/100" in summary and "marketing 3 · IT 3" in summary
    card = ws.last_card()
    charts = [b for b in card.blocks if b["type"] == "data_visualization"]
    assert [c["title"] for c in charts] == [
        "Alignment score, last 1 pulse",
        "Average answer per side (1–5)",
    ], "Slack draws the trend itself"
    series = charts[0]["chart"]["series"]
    assert series[0] == {"name": "Score", "data": [{"label": "#1", "value": expected.score}]}
    band = {s["name"]: s["data"][0]["value"] for s in series[1:]}
    assert set(band) == {"Score low", "Score high"}, "the 90% interval is drawn as a band"
    assert band["Score low"] <= expected.score <= band["Score high"]
    assert problems(card.blocks) == []
    assert f"#1 {expected.score}" in summary, "the figures in words too"
    assert fake.calls_to("files.getUploadURLExternal") == [], "no picture of it uploaded"
    assert (
        "Marketing thinks IT rates this partnership 3.0 — IT's own answer is 2.0: marketing "
        "overestimates IT by 1.0 points. IT thinks marketing rates this partnership 2.0 — "
        "marketing's own answer is 4.0: IT underestimates marketing by 2.0 points." in summary
    )
    assert "closed" in message_text(poll)
    after = await it[1].types("/alignment")
    assert f"{expected.score}/100" in after.text and "so far" not in after.text
    late = await marketing[0].clicks(stale_view, "trust", 1)
    assert "closed, so that click was not recorded" in late.text
    assert fake.calls_to("chat.update"), "the poll message was updated in place"
