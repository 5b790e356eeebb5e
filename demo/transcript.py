"""The headless demo's output: a readable transcript of what BridgePulse posted, week by week, and
the summary charts (Slack's as the chart blocks it draws, Teams' as PNG) — all taken from what the fake Slack and Teams recorded."""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from demo.journal import Entry, Journal
from demo.personas import MANAGER, TEAM
from demo.timeline import SETUP, Simulation, Story
from demo.world import SLACK_CHANNEL, SLACK_CHANNEL_NAME, TEAMS_CHANNEL, World

WIDTH = 100
_POLL_NUMBER = re.compile(r"[Pp]ulse #(\d+)")
#: The summary lines the week-by-week transcript shows (the rest is in the final summary).
_KEY_LINES = ("Trend", "Where you stand", "Next step", "Stronger next step", "Last nudge")
_WHERE = {"slack": f"Slack #{SLACK_CHANNEL_NAME}", "teams": f"Teams “{TEAMS_CHANNEL.name}”"}
_PRIVATE = {"slack": "Slack DMs", "teams": "Teams 1:1 chats"}
_PLACE = max(len(w) for w in _WHERE.values())


def write_charts(world: World, journal: Journal, out: Path) -> list[Path]:
    """Every summary chart, as posted: Slack's native chart blocks (JSON; Slack draws them)
    or uploaded files, and Teams' inline images."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    number = 0
    for message in world.slack.messages.get(SLACK_CHANNEL, []):
        found = _POLL_NUMBER.search(message.text)
        if found and "/100" in message.text:
            number = int(found.group(1))
        native = [b for b in message.blocks if b.get("type") == "data_visualization"]
        if native:
            blocks = json.dumps(native, indent=2, ensure_ascii=False).encode()
            written.append(_write(out / f"slack-pulse-{number:02d}.json", blocks))
        for shared in message.files:
            upload = world.slack.files.get(str(shared.get("id")))
            if upload is not None and upload.content and upload.filename.endswith(".png"):
                written.append(_write(out / f"slack-pulse-{number:02d}.png", upload.content))
    for entry in journal.of(kind="summary", platform="teams"):
        card = world.connector.messages.get(entry.ref)
        found = _POLL_NUMBER.search(entry.headline)
        if card is None or found is None:
            continue
        for image in data_images(card.activity):
            name = f"teams-pulse-{int(found.group(1)):02d}.png"
            written.append(_write(out / name, image))
    return written + _digest_heatmaps(world, journal, out)


def _digest_heatmaps(world: World, journal: Journal, out: Path) -> list[Path]:
    """The last digest's heatmap on each platform (Slack: the uploaded file; Teams: inline)."""
    slack = [
        upload.content
        for messages in world.slack.messages.values()
        for message in messages
        for shared in message.files
        if (upload := world.slack.files.get(str(shared.get("id")))) is not None
        and upload.filename == "digest.png"
        and upload.content
    ]
    teams = [
        image
        for entry in journal.of(kind="digest", platform="teams")
        if (card := world.connector.messages.get(entry.ref)) is not None
        for image in data_images(card.activity)
    ]
    found = [("slack-digest.png", slack), ("teams-digest.png", teams)]
    return [_write(out / name, images[-1]) for name, images in found if images]


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def data_images(element: object) -> Iterable[bytes]:
    if isinstance(element, list):
        for item in element:
            yield from data_images(item)
    elif isinstance(element, dict):
        url = element.get("url")
        if element.get("type") == "Image" and isinstance(url, str):
            head, _, data = url.partition(",")
            if head == "data:image/png;base64":
                yield base64.b64decode(data)
        for value in element.values():
            if isinstance(value, list | dict):
                yield from data_images(value)


def transcript(simulation: Simulation, *, charts: list[Path], seconds: float) -> str:
    """The whole run, readable top to bottom."""
    journal, lines = simulation.journal, _intro(simulation)
    weeks: dict[int, list[Happening]] = {}
    for happening in happenings(journal.entries, simulation.story):
        weeks.setdefault(_week_of(simulation, happening.at), []).append(happening)
    for week, events in sorted(weeks.items()):
        if week > 0:
            monday = simulation.first_monday + timedelta(weeks=week - 1)
            title = f"── Week {week} · {monday:%a %d %b %Y} "
            lines += ["", title + "─" * max(0, WIDTH - len(title))]
        lines += [_lines(happening) for happening in events]
    lines += _finale(journal)
    lines += [
        "",
        f"{_count(len(charts), 'chart')} written to {charts[0].parent}/"
        if charts
        else "No charts written.",
        f"Played {_count(simulation.week, 'week')} in {seconds:.1f} s.",
    ]
    return "\n".join(lines) + "\n"


def _intro(simulation: Simulation) -> list[str]:
    sides = Counter(p.side.value for p in TEAM if not p.manager)
    return [
        f"BridgePulse demo — {_count(simulation.week, 'simulated week')} (seed {simulation.seed})",
        f"Northwind Digital: {sides['marketing']} marketing, {sides['it']} IT, {sides['other']} "
        f"other, and {MANAGER.name} ({MANAGER.title}, subscribed to the digest),",
        f"in {_WHERE['slack']} and in {_WHERE['teams']}. Every message below was sent by the real",
        "BridgePulse server to a local fake Slack and Teams; every click was a signed HTTP request.",
        "",
        f"{simulation.first_monday - timedelta(hours=21):%a %d %b %H:%M}  {MANAGER.first_name} "
        f"typed `pulse {SETUP}` in both channels and mapped Slack's @it-team user group to IT",
        "(`/pulse map @it-team it`); everyone else picked a side with `pulse join`.",
    ]


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _week_of(simulation: Simulation, at: datetime) -> int:
    return max(0, (at - simulation.first_monday + timedelta(days=1)) // timedelta(weeks=1) + 1)


@dataclass(frozen=True, slots=True)
class Happening:
    """One line of the story: when, where, what (and for summaries, their key lines)."""

    at: datetime
    where: str
    text: str
    detail: tuple[str, ...] = ()
    platform: str = ""


def happenings(entries: list[Entry], story: list[Story]) -> list[Happening]:
    """Polls opened, summaries, reminders, digests and the team's story, in time order."""
    found: list[Happening] = []
    reminders: Counter[tuple[datetime, str]] = Counter()
    for entry in entries:
        where = _WHERE[entry.platform]
        if entry.place == "channel" and entry.kind == "poll":
            opened = entry.headline.split(":")[0].replace("Weekly pulse", "weekly pulse")
            found.append(Happening(entry.at, where, f"{opened} opened", (), entry.platform))
        elif entry.place == "channel" and entry.kind in ("summary", "withheld"):
            detail = tuple(line for line in entry.lines[1:] if line.startswith(_KEY_LINES))
            found.append(Happening(entry.at, where, entry.headline, detail, entry.platform))
        elif entry.place == "channel" and entry.kind in ("action", "declined"):
            said = entry.headline.replace("*", "")
            found.append(Happening(entry.at, where, said, (), entry.platform))
        elif entry.kind == "ask":
            who = next((p.first_name for p in TEAM if p.key == entry.owner), "the owner")
            text = f"“Done?” to {who}, who took a next step on"
            found.append(Happening(entry.at, _PRIVATE[entry.platform], text, (), entry.platform))
        elif entry.kind == "reminder":
            reminders[(entry.at, entry.platform)] += 1
        elif entry.kind == "digest" and entry.owner == MANAGER.key:
            text = f"digest to {MANAGER.name}"
            found.append(Happening(entry.at, _PRIVATE[entry.platform], text, (), entry.platform))
    for (at, platform), count in reminders.items():
        who = "person who had" if count == 1 else "people who had"
        text = f"reminder to {count} {who} not answered"
        found.append(Happening(at, _PRIVATE[platform], text, (), platform))
    for item in story:
        found.append(Happening(item.at, _WHERE[item.platform], f"↳ {item.text}", (), item.platform))
    return sorted(found, key=lambda h: h.at)


def _lines(happening: Happening) -> str:
    first = f"{happening.at:%a %H:%M}  {happening.where:<{_PLACE}}  {happening.text}"
    indent = " " * (13 + _PLACE)
    return "\n".join([first, *(indent + line for line in happening.detail)])


def _finale(journal: Journal) -> list[str]:
    lines: list[str] = []
    summaries = [e for e in journal.entries if e.place == "channel" and e.kind == "summary"]
    final = next((e for e in reversed(summaries) if e.platform == "slack"), None)
    if final is not None:
        lines += _boxed(f"The last summary in {_WHERE['slack']}, as posted", final.lines)
    digests = [e for e in journal.of(kind="digest", platform="slack") if e.owner == MANAGER.key]
    if digests:
        lines += _boxed(
            f"{MANAGER.first_name}'s last digest (Slack direct message)", digests[-1].lines
        )
    return lines


def _boxed(title: str, body: Iterable[str]) -> list[str]:
    head = f"══ {title} "
    return ["", head + "═" * max(0, WIDTH - len(head)), *(f"  {line}" for line in body)]
