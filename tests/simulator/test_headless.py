"""`bridgepulse demo --headless`: weeks played through the real server, a readable transcript, the
charts as PNG files, exit 0."""

from __future__ import annotations

import io
import json
import re
import socket
from pathlib import Path

import pytest

from bot.errors import ConfigError
from demo.launch import headless, interactive, prepare_database
from server import cli
from server.settings import load_settings
from tests.support.blockkit import problems
from tests.support.db import migrated_engine

PNG = b"\x89PNG\r\n\x1a\n"


async def test_two_weeks_give_polls_summaries_nudges_digest_and_charts(
    backend: str, tmp_path: Path
) -> None:
    out, stream = tmp_path / "charts", io.StringIO()
    async with migrated_engine(backend, tmp_path) as engine:
        code = await headless(
            load_settings(mode="demo"), weeks=2, out=out, seed=7, stream=stream, engine=engine
        )
    text = stream.getvalue()
    assert code == 0
    for week in (1, 2):
        assert f"── Week {week} · " in text
        for where in ("Slack #campaign-launch", "Teams “Web relaunch”"):
            assert re.search(rf"Mon 09:00  {re.escape(where)} +weekly pulse #{week} opened", text)
    scores = re.findall(
        r"Thu 09:00  (Slack|Teams) .*Pulse #(\d) in (#campaign-launch|Web relaunch): (\d{1,3})/100",
        text,
    )
    assert {(platform, number, where[0]) for platform, number, where, _ in scores} == {
        ("Slack", "1", "#"),  # Slack writes a channel as #name, Teams by its bare name
        ("Slack", "2", "#"),
        ("Teams", "1", "W"),
        ("Teams", "2", "W"),
    }
    assert all(0 <= int(score) <= 100 for *_, score in scores)
    assert re.search(r"Next step — imperative [1-5] · [A-Z][^:]+: ", text)
    assert re.search(r"Last nudge \(pulse #1\), imperative [1-5] · ", text)
    assert re.search(r"Wed 09:00  Slack DMs +reminder to \d+ people who had not answered", text)
    assert "digest to Dana Whitfield" in text
    assert "Dana's last digest (Slack direct message)" in text
    assert "Your BridgePulse digest" in text
    # the mirror question: each side's reading of the other, in the summary and the digest
    assert re.search(
        r"How each side reads the other: Marketing thinks IT rates this partnership \d\.\d — "
        r"IT's own answer is \d\.\d: marketing (underestimates|overestimates|reads) IT",
        text,
    )
    assert re.search(r"Perception gap: marketing (under|over)estimates IT by \d\.\d points", text)
    charts = sorted(out.iterdir())
    assert [c.name for c in charts] == [
        "slack-digest.png",
        "slack-pulse-01.json",
        "slack-pulse-02.json",
        "teams-digest.png",
        "teams-pulse-01.png",
        "teams-pulse-02.png",
    ]  # Slack's native chart blocks, the charts inlined in the Teams cards, Dana's digest heatmaps
    for chart in (charts[1], charts[2]):
        blocks = json.loads(chart.read_text())
        assert [b["type"] for b in blocks] == ["data_visualization"] * 2 and not problems(blocks)
    assert all(c.read_bytes().startswith(PNG) for c in charts if c.suffix == ".png")
    assert f"6 charts written to {out}/" in text


def test_the_command_plays_a_week_and_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}")
    out = tmp_path / "charts"
    assert cli.main(["demo", "--headless", "--weeks", "1", "--out", str(out), "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert "BridgePulse demo — 1 simulated week (seed 3)" in printed
    assert re.search(r"Pulse #1 in #campaign-launch(: \d+/100| closed: not enough)", printed)
    assert "Played 1 week in" in printed


def test_bad_demo_options_are_refused_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["demo", "--headless", "--weeks", "many"])
    assert exited.value.code == 2
    assert "expected a number of weeks, got 'many'" in capsys.readouterr().err


async def test_a_database_with_channels_is_not_used_for_the_demo(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    settings = load_settings(mode="demo", database_url=url)
    out = tmp_path / "charts"
    await prepare_database(settings)
    assert await headless(settings, weeks=1, out=out, seed=7, stream=io.StringIO()) == 0
    with pytest.raises(ConfigError, match="DATABASE_URL: the demo needs an empty database"):
        await prepare_database(settings)


async def test_a_port_already_in_use_is_named_instead_of_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
        settings = load_settings(mode="demo", database_url=url, host="127.0.0.1", port=port)
        await prepare_database(settings)
        with pytest.raises(ConfigError, match=f"PORT: cannot listen on 127.0.0.1:{port}"):
            await interactive(settings, history=0, seed=7, stream=io.StringIO())
