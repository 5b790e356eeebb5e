"""How numbers and command hints read: a trend as plain text with its scores, commands in the
platform's own form, and a status that says what is true of the open pulse."""

from __future__ import annotations

from bot.cards import command, typed_commands
from bot.channels.readiness import Readiness
from bot.channels.views import figures_note
from bot.commands.help import help_card
from bot.domain import Side
from bot.formatting import trend_line, trend_text
from bot.score.scoring import Participation


def test_a_trend_is_plain_bars_with_the_latest_scores_beside_them() -> None:
    assert trend_text([41, 48, 52]) == "▄▄▅ 41 → 48 → 52"
    assert trend_text([41, None, 52]) == "▄·▅ 41 → – → 52"
    long = trend_text([10, 20, 30, 40, 50, 60, 70])
    assert long == "▁▂▃▄▄▅▆ … → 30 → 40 → 50 → 60 → 70"
    assert "`" not in long


def test_a_trend_line_counts_its_pulses_in_words_that_agree() -> None:
    assert trend_line([41, 48]) == "Trend over the last 2 pulses: ▄▄ 41 → 48"
    assert trend_line([48]) == "First pulse: ▄ 48"


def test_command_hints_take_the_platforms_form() -> None:
    reason = (
        f"Say which side you are on: `{command('pulse join marketing')}` (got “pulse x”); "
        f"`{command('alignment')}` too."
    )
    assert typed_commands(reason, lead="/") == (
        "Say which side you are on: `/pulse join marketing` (got “pulse x”); `/alignment` too."
    )
    assert typed_commands(reason, lead="") == (
        "Say which side you are on: `pulse join marketing` (got “pulse x”); `alignment` too."
    )
    card = help_card(reason=f"Use `{command('pulse digest on')}`.")
    assert card.text().startswith("Use `/pulse digest on`.")


def _ready(
    *,
    short: dict[Side, int] | None = None,
    thin: tuple[tuple[str, dict[Side, int]], ...] = (),
    shown: Participation | None = None,
) -> Readiness:
    return Readiness(k=5, short=short or {}, thin=thin, shown=shown)


def test_status_says_how_many_more_each_short_side_needs() -> None:
    one = figures_note(_ready(short={Side.IT: 1}), k=5)
    assert one == "Counts only — figures appear once IT has 1 more answer (5 per side)."
    both = figures_note(_ready(short={Side.MARKETING: 3, Side.IT: 2}), k=5)
    assert "once marketing has 3 more answers and IT 2 more (5 per side)" in both


def test_status_with_enough_people_names_the_guard_or_the_thin_questions() -> None:
    held = figures_note(_ready(), k=5)
    assert held.startswith("Marketing and IT each have 5 or more answers.")
    assert "Figures stay hidden until the pulse closes" in held
    thin = figures_note(
        _ready(thin=(("Lever", {Side.IT: 1}),), shown=Participation(marketing=5, it=6)),
        k=5,
    )
    assert (
        "Figures from a question need 5 answers to it on each side: Lever (IT needs 1 more)."
        in (thin)
    )
    assert "`alignment` shows the figures so far (from the first 5 marketing and 6 IT answers)" in (
        typed_commands(thin, lead="")
    )
    assert "each have 5 answers" not in held + thin


def test_status_without_an_open_pulse_speaks_of_pulses_in_general() -> None:
    note = figures_note(None, k=5)
    assert note == "Counts only — a pulse shows figures once marketing and IT each have 5 answers."
