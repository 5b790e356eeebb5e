"""Neutral cards → Adaptive Cards: every view the core has renders to a card Teams accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.cards import (
    Actions,
    Attachment,
    Button,
    Card,
    Context,
    Divider,
    Image,
    Option,
    Select,
    Text,
    command,
)
from bot.commands.help import help_card
from bot.domain import Poll
from bot.polls.views import choose_side, poll_card
from bot.questions import default_question_set
from bot.score.views import explain_card
from handlers.teams.activities import card_action
from handlers.teams.render import (
    ATTACHMENT_BUDGET,
    adaptive_card,
    plain_text,
    summary,
    teams_markdown,
)
from tests.support.adaptive_cards import CardChecker
from tests.support.markers import leaked_tokens

Json = dict[str, Any]


def a_poll(number: int = 1) -> Poll:
    opened = datetime(2026, 11, 23, 8, tzinfo=UTC)
    return Poll(
        id=7,
        channel_id=1,
        number=number,
        question_set="default",
        question_set_version=1,
        rotating_imperative=number,
        opened_at=opened,
        closes_at=opened + timedelta(days=3),
        closed_at=None,
        period="2026-11-23",
        message_ref=None,
    )


def elements(card: Json, kind: str) -> list[Json]:
    return [e for e in card["body"] if e["type"] == kind]


def test_the_poll_is_one_action_set_per_question_in_order(card_checker: CardChecker) -> None:
    card = adaptive_card(poll_card(a_poll(), default_question_set(), answered=2, timezone="UTC"))
    sets = elements(card, "ActionSet")
    assert [s["id"] for s in sets] == [
        "q_trust",
        "q_priority",
        "q_lever",
        "q_imperative_1",
        "q_mirror",
    ]
    assert [a["title"] for a in sets[0]["actions"]] == ["1", "2", "3", "4", "5"]
    first = sets[0]["actions"][0]
    assert first["type"] == "Action.Execute" and first["verb"] == "vote"
    assert card_action(first["data"]) == ("vote", "7:trust:1")
    assert card["version"] == "1.4"
    assert any("2 people have answered so far" in e["text"] for e in elements(card, "TextBlock"))
    card_checker.assert_valid([card])


def test_every_core_view_is_a_valid_teams_card(card_checker: CardChecker) -> None:
    views = [
        help_card(reason="I didn't catch that."),
        explain_card(k=5),
        choose_side(kept=True),
        poll_card(a_poll(3), default_question_set(), answered=0, timezone="Europe/Berlin"),
    ]
    card_checker.assert_valid([adaptive_card(v) for v in views])


def test_a_select_with_more_than_six_options_becomes_a_choice_set(
    card_checker: CardChecker,
) -> None:
    options = tuple(Option(f"Option {i}", f"v{i}") for i in range(8))
    card = adaptive_card(Card("pick", (Select("q_many", "vote", "Choose one", options),)))
    (choice,) = elements(card, "Input.ChoiceSet")
    assert choice["id"] == "q_many" and len(choice["choices"]) == 8
    (submit,) = elements(card, "ActionSet")[0]["actions"]
    # the chosen value arrives merged into the data under the input's id
    assert card_action({**submit["data"], "q_many": "v3"}) == ("vote", "v3")
    card_checker.assert_valid([card])


def test_more_than_six_buttons_are_split_into_sets_teams_can_show(
    card_checker: CardChecker,
) -> None:
    buttons = tuple(Button(str(i), "vote", f"1:q:{i}") for i in range(8))
    card = adaptive_card(Card("eight", (Actions("row", buttons),)))
    assert [len(s["actions"]) for s in elements(card, "ActionSet")] == [6, 2]
    card_checker.assert_valid([card])


def test_markdown_dividers_and_styles() -> None:
    card = adaptive_card(
        Card(
            "s",
            (
                Text("Type `pulse join it`, **bold** and _italic_ stay\nsecond line"),
                Divider(),
                Context("small print"),
                Actions("a", (Button("Go", "join", "it", style="danger"),)),
            ),
        )
    )
    first, second, small = elements(card, "TextBlock")
    assert first["text"] == "Type pulse join it, **bold** and _italic_ stay"
    assert second["spacing"] == "None" and second["text"] == "second line"
    assert small["separator"] is True and small["isSubtle"] is True
    assert elements(card, "ActionSet")[0]["actions"][0]["style"] == "destructive"
    assert teams_markdown("[docs](https://example.org)") == "[docs](https://example.org)"


def test_a_chart_attachment_is_inlined_and_a_csv_shown_as_text(card_checker: CardChecker) -> None:
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfabd4"
        "0000000049454e44ae426082"
    )
    card = adaptive_card(
        Card(
            "results",
            (Image("attachment:chart.png", alt="Score trend"),),
            attachments=(
                Attachment("chart.png", png, "image/png", "Trend"),
                Attachment("export.csv", b"pulse,score_x\n1,63\n", "text/csv", "Export"),
            ),
        )
    )
    (image,) = elements(card, "Image")
    assert image["url"].startswith("data:image/png;base64,") and image["altText"] == "Score trend"
    texts = [e["text"] for e in elements(card, "TextBlock")]
    assert texts == ["**Export**", "pulse,score\\_x", "1,63"]
    card_checker.assert_valid([card])


def test_attachments_over_the_budget_become_a_note() -> None:
    big = b"x" * (ATTACHMENT_BUDGET + 1)
    card = adaptive_card(
        Card(
            "r",
            (Image("attachment:big.png", alt="Chart"),),
            attachments=(Attachment("big.png", big, "image/png", "Trend"),),
        )
    )
    assert elements(card, "Image") == []
    assert "chart not shown in Teams" in elements(card, "TextBlock")[0]["text"]


def test_plain_text_for_a_toast_drops_markup() -> None:
    card = Card("s", (Text("Got it: **Trust** — 4 · Agree."), Context("Still open: `Lever`.")))
    assert plain_text(card) == "Got it: Trust — 4 · Agree. Still open: Lever."


def test_the_checker_rejects_what_teams_would_refuse(card_checker: CardChecker) -> None:
    seven = [{"type": "Action.Execute", "title": str(i), "verb": "v", "data": {}} for i in range(7)]
    bad = {
        "type": "AdaptiveCard",
        "version": "1.2",
        "body": [{"type": "ActionSet", "actions": seven}, {"type": "Bogus"}],
    }
    (found,) = card_checker.problems([bad])
    assert any("Maximum number of actions exceeded" in p for p in found)
    assert any("Unknown element type" in p for p in found)
    assert any("below 1.4" in p for p in found)


async def test_a_summary_chart_fits_inline_in_the_teams_card() -> None:
    """Charts travel as data URIs: the rendered chart must fit the card's image budget."""
    import base64

    from bot.summary.charts import ChartPoint, render_png
    from handlers.teams.render import ATTACHMENT_BUDGET

    points = [
        ChartPoint(n, f"{n:02d} Nov", 30 + 5 * n if n % 4 else None, 2 + n / 6, 1.5 + n / 5)
        for n in range(1, 13)
    ]
    png = render_png(points)
    assert len(base64.b64encode(png)) < ATTACHMENT_BUDGET


def test_a_command_token_renders_as_the_words_teams_users_type_to_the_bot() -> None:
    join = command("pulse join it")
    card = Card(
        summary=f"Type {join} to join.",
        blocks=(
            Text(f"Say which team you are in: `{join}`."),
            Context(f"`{command('pulse help')}` lists every command."),
            Actions("row", (Button(f"Run {command('pulse now')}", "go", "1"),)),
        ),
    )
    rendered = adaptive_card(card)
    texts = [e["text"] for e in elements(rendered, "TextBlock")]
    assert texts == ["Say which team you are in: pulse join it.", "pulse help lists every command."]
    assert elements(rendered, "ActionSet")[0]["actions"][0]["title"] == "Run pulse now"
    assert summary(card) == "Type pulse join it to join."
    assert (
        plain_text(card)
        == "Say which team you are in: pulse join it. pulse help lists every command."
    )
    assert plain_text(Card(summary=f"Use {join}.", blocks=())) == "Use pulse join it."
    assert not leaked_tokens([rendered, summary(card), plain_text(card)])
