"""The Teams app package: manifest.json (schema 1.17) and the two icons, zipped for sideloading."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from PIL import Image

from bot.errors import ConfigError

MANIFEST_VERSION = "1.17"
SCHEMA_URL = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
)
ACCENT = "#3B4CCA"
SCOPES = ["team", "groupChat", "personal"]
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


def manifest(
    *,
    app_id: str,
    website: str,
    privacy_url: str = "",
    terms_url: str = "",
    version: str = "1.0.0",
) -> dict[str, Any]:
    """The manifest for bot `app_id`; raises ConfigError naming what to fix."""
    _check(app_id=app_id, website=website, version=version)
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": "BridgePulse",
            "websiteUrl": website,
            "privacyUrl": privacy_url or website,
            "termsOfUseUrl": terms_url or website,
        },
        "name": {"short": "BridgePulse", "full": "BridgePulse: marketing × IT alignment pulse"},
        "description": _description(),
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [_bot(app_id)],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
    }


def _check(*, app_id: str, website: str, version: str) -> None:
    if not _GUID.match(app_id):
        raise ConfigError(
            "MICROSOFT_APP_ID: set it to the bot's Microsoft App ID (a GUID) to build the package"
        )
    if not website.startswith("https://"):
        raise ConfigError(
            "BRIDGEPULSE_PUBLIC_URL: the package needs an https:// website for the developer "
            "details (set it, or pass --website)"
        )
    if not _SEMVER.match(version):
        raise ConfigError(f"--version: {version!r} is not a version like 1.0.0")


def _description() -> dict[str, str]:
    return {
        "short": "A weekly one-minute pulse on how marketing and IT work together.",
        "full": (
            "BridgePulse runs a five-question weekly pulse in channels where marketing and IT "
            "work together, turns the answers into an alignment score from 0 to 100, and posts "
            "trend summaries, nudges tied to five imperatives, and digests for managers. "
            "Answers are anonymous: nothing is shown until both sides have enough answers, "
            "and nobody can see who answered what. Mention @BridgePulse with `pulse setup` "
            "in a channel to start, or `pulse help` for every command."
        ),
    }


def _bot(app_id: str) -> dict[str, Any]:
    return {
        "botId": app_id,
        "scopes": SCOPES,
        "supportsFiles": False,
        "isNotificationOnly": False,
        "commandLists": [{"scopes": SCOPES, "commands": _commands()}],
    }


def _commands() -> list[dict[str, str]]:
    """What Teams suggests when someone types @BridgePulse."""
    return [
        {
            "title": "alignment",
            "description": "This channel's alignment score, trend and "
            "participation; `alignment explain` shows the formula",
        },
        {
            "title": "pulse",
            "description": "pulse setup | now | close | pause | resume | "
            "status | join marketing|it|other | actions | digest | forget-me | help",
        },
        {
            "title": "pulse map",
            "description": "pulse map this team marketing|it|other: the "
            "team counts for a side unless people chose one | pulse groups",
        },
    ]


def build(out: Path, document: dict[str, Any]) -> Path:
    """Write the zip Teams sideloads: manifest.json and both icons at its root."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(document, indent=2, ensure_ascii=False))
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return out


def color_icon() -> bytes:
    """192×192: a white bridge on the accent colour."""
    return _icon(192, background=(*_rgb(ACCENT), 255))


def outline_icon() -> bytes:
    """32×32: the bridge in white on a transparent background, as Teams asks."""
    return _icon(32, background=(0, 0, 0, 0))


def _bridge(x: float, y: float) -> bool:
    """A suspension-bridge glyph in unit coordinates (0,0 top left): deck, two towers, arc."""
    deck = 0.62 <= y <= 0.70 and 0.12 <= x <= 0.88
    towers = 0.22 <= y <= 0.84 and (0.26 <= x <= 0.33 or 0.67 <= x <= 0.74)
    arc_y = 0.62 - 0.55 * (1 - ((x - 0.5) / 0.38) ** 2) * 0.62
    arc = 0.12 <= x <= 0.88 and abs(y - arc_y) <= 0.035 and y <= 0.62
    return deck or towers or arc


def _icon(size: int, *, background: tuple[int, int, int, int]) -> bytes:
    """The bridge in white on `background`, sampled at pixel centres, as an RGBA PNG."""
    mask = Image.new("L", (size, size))
    mask.putdata(
        [
            255 if _bridge((col + 0.5) / size, (row + 0.5) / size) else 0
            for row in range(size)
            for col in range(size)
        ]
    )
    icon = Image.new("RGBA", (size, size), background)
    icon.paste((255, 255, 255, 255), (0, 0, size, size), mask)
    out = io.BytesIO()
    icon.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _rgb(color: str) -> tuple[int, int, int]:
    value = int(color.lstrip("#"), 16)
    return (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF
