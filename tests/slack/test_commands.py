"""Every `/pulse` word and `/alignment` in Slack, the side prompt, privacy, exports and App Home."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.slack.conftest import SlackStack
from tests.support.clock import FakeClock
from tests.support.slack import SlackPerson, block_texts, message_text


async def team(
    stack: SlackStack, marketing: int, it: int
) -> tuple[list[SlackPerson], list[SlackPerson]]:
    ws = stack.workspace
    m = [ws.person(f"UM{i}") for i in range(marketing)]
    i_ = [ws.person(f"UI{i}") for i in range(it)]
    for person in m:
        await person.types("/pulse join marketing")
    for person in i_:
        await person.types("/pulse join it")
    return m, i_


async def test_help_status_pause_resume_and_unknown_words(stack: SlackStack) -> None:
    boss = stack.workspace.person("UBOSS")
    assert "not set up" in (await boss.types("/pulse status")).text
    await boss.types("/pulse setup fri 16:00 America/New_York 2")
    assert "Paused" in (await boss.types("/pulse pause")).text
    assert "(paused)" in (await boss.types("/pulse status")).text
    resumed = (await boss.types("/pulse resume")).text
    assert "Resumed: every Friday at 16:00 (America/New_York), open 2 days" in resumed
    help_text = (await boss.types("/pulse help")).text
    for word in (
        "setup",
        "now",
        "close",
        "pause",
        "status",
        "join",
        "digest",
        "forget-me",
        "export",
        "help",
    ):
        assert f"`/pulse {word}" in help_text, word
    assert "`/pulse resume`" in help_text and "`/alignment explain`" in help_text
    unknown = (await boss.types("/pulse dance")).text
    assert "I don't know the word “dance”" in unknown and "BridgePulse commands" in unknown
    bare = (await boss.types("/pulse")).text
    assert "BridgePulse commands" in bare


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "/pulse setup someday",
            "“someday” is not a weekday: use mon, tue, wed, thu, fri, sat or sun.",
        ),
        (
            "/pulse setup mon 25:00",
            "“25:00” is not a time: use 24-hour HH:MM, e.g. 09:00 or 14:30.",
        ),
        ("/pulse setup mon 09:00 Mars/Olympus", "“Mars/Olympus” is not an IANA timezone"),
        ("/pulse setup mon 09:00 UTC 9", "Open days must be a whole number from 1 to"),
    ],
)
async def test_setup_says_exactly_what_is_wrong(stack: SlackStack, text: str, says: str) -> None:
    answer = await stack.workspace.person("UBOSS").types(text)
    assert says in answer.text
    assert "Weekly pulse is on" not in answer.text
    assert "not set up" in (await stack.workspace.person("UBOSS").types("/pulse status")).text


async def test_admin_words_are_refused_politely_for_others(stack: SlackStack) -> None:
    ws = stack.workspace
    owner, stranger = ws.person("UOWNER"), ws.person("USTRANGER")
    await owner.types("/pulse setup")
    for word in ("now", "close", "pause", "resume", "export", "setup tue 10:00"):
        answer = await stranger.types(f"/pulse {word}")
        assert "is for this channel's BridgePulse admins" in answer.text, word
    assert ws.messages() == []
    admin = ws.person("UADMIN", admin=True)  # a Slack workspace admin may (users.info)
    assert "Pulse #1 is open" in (await admin.types("/pulse now")).text
    assert stack.fake.calls_to("users.info")


async def test_a_click_without_a_side_is_kept_and_the_prompt_replaced(stack: SlackStack) -> None:
    ws = stack.workspace
    await ws.person("UBOSS").types("/pulse now")
    newbie = ws.person("UNEW")
    prompt = await newbie.clicks(ws.poll_message(), "trust", 4)
    assert "Which team are you in?" in prompt.text and "saved" in prompt.text
    joined = await newbie.clicks_button(prompt.blocks, "IT", ephemeral=True)
    assert "Welcome! You are on the *IT* side." in joined.text
    assert "Your 1 waiting answer now counts." in joined.text
    assert joined.body["replace_original"] is True  # the prompt gives way to the answer
    status = await newbie.types("/pulse status")
    assert "marketing 0 · IT 1 · other 0" in status.text


async def test_figures_stay_hidden_below_the_threshold(stack: SlackStack, clock: FakeClock) -> None:
    ws = stack.workspace
    boss = ws.person("UBOSS")
    m, it = await team(stack, 3, 2)
    await boss.types("/pulse now")
    poll = ws.poll_message()
    for person in m + it:
        await person.clicks(poll, "trust", 5)
        await person.clicks(poll, "lever", "speed")
    score = (await boss.types("/alignment")).text
    assert "not enough answers yet (2 of 3 per side)" in score and "/100" not in score
    clock.advance(days=3)
    await boss.types("/pulse close")
    await stack.settle()
    summary = message_text(ws.last_card())
    assert "not enough answers yet (2 of 3 per side)" in summary and "/100" not in summary
    everything = "\n".join(message_text(msg) for msg in ws.messages())
    for person in m + it:
        assert person.user_id not in everything and person.user_id.lower() not in everything


async def test_alignment_explain(stack: SlackStack) -> None:
    answer = await stack.workspace.person("UANY").types("/alignment explain")
    assert "How the alignment score works" in answer.text
    assert "the lower of the two sides' average levels" in answer.text
    assert "left out of that comparison" in answer.text  # says what the change test leaves out
    odd = await stack.workspace.person("UANY").types("/alignment now please")
    assert "`/alignment` takes no words except `explain`" in odd.text


async def two_trust_pulses(stack: SlackStack, clock: FakeClock, boss: SlackPerson) -> None:
    """Three marketers and three IT people answer trust 5 vs 3, then 4 vs 4, in two closed pulses."""
    ws = stack.workspace
    m, it = await team(stack, 3, 3)
    for mine, theirs in ((5, 3), (4, 4)):
        await boss.types("/pulse now")
        poll = ws.poll_message()
        for person in m:
            await person.clicks(poll, "trust", mine)
        for person in it:
            await person.clicks(poll, "trust", theirs)
        clock.advance(days=3)
        await boss.types("/pulse close")
        clock.advance(days=4)


async def test_alignment_shows_change_sparkline_and_imperatives(
    stack: SlackStack, clock: FakeClock
) -> None:
    ws = stack.workspace
    boss = ws.person("UBOSS")
    await two_trust_pulses(stack, clock, boss)
    score = (await boss.types("/alignment")).text
    # min(1, .5) = .5 → 50, then .75 → 75: like for like on trust, beyond chance (no spread)
    assert "75/100 (75–75) (+25 since pulse #1 (trust))" in score
    assert "since pulse #1" in score and "so far" not in score
    assert re.search(r"Trend over the last 2 pulses: [▁▂▃▄▅▆▇█]{2} \d+ → \d+\n", score), score
    assert "Build trust by trusting" in score  # per-imperative scores


async def test_digest_forget_me_and_export_by_direct_message(
    stack: SlackStack, clock: FakeClock
) -> None:
    ws, fake = stack.workspace, stack.fake
    boss = ws.person("UBOSS")
    await boss.types("/pulse setup")
    m, it = await team(stack, 3, 3)
    await boss.types("/pulse now")
    poll = ws.poll_message()
    for person in m + it:
        await person.clicks(poll, "trust", 4)
    clock.advance(days=3)
    await boss.types("/pulse close")

    assert "Subscribed" in (await boss.types("/pulse digest on")).text
    sent = await boss.types("/pulse digest now")
    assert "Sent" in sent.text
    digest, heatmap = fake.direct_messages(ws.team_id, "UBOSS")
    assert "#campaigns" in message_text(digest)
    assert [f["name"] for f in heatmap.files] == ["digest.png"]
    assert "Unsubscribed" in (await boss.types("/pulse digest off")).text

    exported = await boss.types("/pulse export")
    assert "Sent to you in a direct message" in exported.text
    await stack.settle()
    dms = fake.direct_messages(ws.team_id, "UBOSS")
    assert "Export of #campaigns" in message_text(dms[-2])
    (shared,) = dms[-1].files
    csv_file = fake.files[shared["id"]]
    assert csv_file.filename == "bridgepulse-campaigns.csv" and csv_file.content is not None
    rows = list(csv.DictReader(io.StringIO(csv_file.content.decode())))
    assert rows[0]["score"] == "75" and rows[0]["respondents_it"] == "3"
    assert "UM0" not in csv_file.content.decode()
    assert len(fake.calls_to("conversations.open")) == 1  # the DM channel is remembered

    forgot = await m[0].types("/pulse forget-me")
    assert "deleted your team and 1 answer" in forgot.text


async def test_app_home_shows_side_channels_and_help(stack: SlackStack, clock: FakeClock) -> None:
    ws = stack.workspace
    boss = ws.person("UBOSS")
    await boss.types("/pulse setup")
    m, it = await team(stack, 3, 3)
    await boss.types("/pulse now")
    for person in m + it:
        await person.clicks(ws.poll_message(), "trust", 4)
    clock.advance(days=3)
    await boss.types("/pulse close")  # an open poll's figures are held back (differencing guard)
    view = await m[0].opens_home()
    text = "\n".join(block_texts(view["blocks"]))
    assert view["type"] == "home"
    assert "You are on the *Marketing* side." in text
    assert "*#campaigns* — 75/100" in text
    assert "/pulse help" in text
    newcomer = await ws.person("UNEW").opens_home()
    assert "You have not picked a team yet" in "\n".join(block_texts(newcomer["blocks"]))


async def test_status_says_what_each_side_still_needs_then_why_figures_wait(
    stack: SlackStack,
) -> None:
    ws = stack.workspace
    boss = ws.person("UBOSS")
    await boss.types("/pulse setup")
    m, it = await team(stack, 6, 6)
    await boss.types("/pulse now")
    poll = ws.poll_message()
    await m[0].clicks(poll, "trust", 4)
    status = (await boss.types("/pulse status")).text
    assert "figures appear once marketing has 2 more answers and IT 3 more (3 per side)" in status
    for person in m[1:4] + it[:2]:
        await person.clicks(poll, "trust", 4)
    status = (await boss.types("/pulse status")).text
    assert "marketing 4 · IT 2" in status
    assert "figures appear once IT has 1 more answer (3 per side)" in status
    assert "each have 3 answers" not in status  # the old line, true of neither side here

    await it[2].clicks(poll, "trust", 3)
    for person in m[:3] + it[:2]:
        await person.clicks(poll, "lever", "speed")
    status = (await boss.types("/pulse status")).text
    assert "Marketing and IT each have 3 or more answers." in status
    assert "Priority (marketing needs 3 more, IT needs 3 more)" in status
    assert "Lever (IT needs 1 more)" in status and "Trust (" not in status
    assert "Figures stay hidden until the pulse closes or many more people have answered" in status


async def test_status_points_to_the_figures_so_far_once_the_guard_lets_them_out(
    stack: SlackStack,
) -> None:
    ws = stack.workspace
    boss = ws.person("UBOSS")
    await boss.types("/pulse setup")
    m, it = await team(stack, 6, 6)
    await boss.types("/pulse now")
    poll = ws.poll_message()

    async def everything(people: list[SlackPerson]) -> None:
        for person in people:
            for question in ("trust", "priority", "imperative_1", "mirror"):
                await person.clicks(poll, question, 4)
            await person.clicks(poll, "lever", "speed")

    await everything(m[:3] + it[:3])
    assert "Figures stay hidden" in (await boss.types("/pulse status")).text
    await boss.types("/alignment")  # the snapshot the guard may publish later
    await everything(m[3:] + it[3:])
    assert "/100 so far" in (await boss.types("/alignment")).text
    status = (await boss.types("/pulse status")).text
    assert (
        "`/alignment` shows the figures so far (from the first 3 marketing and 3 IT answers)"
        in status
    )
    assert "Figures stay hidden" not in status and "needs" not in status


async def test_digest_now_hints_in_slack_form_and_only_to_who_is_not_subscribed(
    stack: SlackStack,
) -> None:
    boss = stack.workspace.person("UBOSS")
    await boss.types("/pulse setup")
    first = (await boss.types("/pulse digest now")).text
    assert "`/pulse digest on` sends it every week." in first
    await boss.types("/pulse digest on")
    again = (await boss.types("/pulse digest now")).text
    assert "Sent: your digest is in your direct messages" in again
    assert "digest on" not in again
    assert "You get it every week; `/pulse digest off` stops that." in again
    wrong = (await boss.types("/pulse digest weekly")).text
    assert "Use `/pulse digest on`, `/pulse digest off` or `/pulse digest now`." in wrong


async def test_a_one_channel_digest_has_no_order_and_reads_as_plain_text(
    stack: SlackStack, clock: FakeClock
) -> None:
    ws, fake = stack.workspace, stack.fake
    boss = ws.person("UBOSS")
    await boss.types("/pulse setup")
    await two_trust_pulses(stack, clock, boss)
    await boss.types("/pulse digest now")
    digest = message_text(fake.direct_messages(ws.team_id, "UBOSS")[-2])
    assert "1 channel." in digest
    assert "first." not in digest and "1 channels" not in digest
    assert "pulse #2: *" in digest and "trust both 4.0" in digest, digest
    assert "`" not in digest  # no code span: Slack paints one red on grey
    score = (await boss.types("/alignment")).text
    assert re.search(r"Trend over the last 2 pulses: [▁▂▃▄▅▆▇█]{2} \d+ → \d+", score), score
