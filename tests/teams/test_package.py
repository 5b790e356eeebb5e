"""`bridgepulse teams-package`: a zip Teams can sideload, validated against the 1.17 schema."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from PIL import Image

from bot.errors import ConfigError
from handlers.teams.package import manifest

#: Microsoft's published schema, kept in the repository (tests/schemas/README.md: source, licence).
SCHEMA = Path(__file__).parents[1] / "schemas" / "teams-app-manifest-1.17.schema.json"
APP_ID = "6f1c2a7e-2b9d-4c1e-9a53-0d7f4e8b1c22"


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA.read_text("utf-8"))
    return loaded


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("MICROSOFT_", "BRIDGEPULSE_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=120,
        check=False,
    )


def png_facts(data: bytes) -> tuple[int, int, list[int]]:
    """Width, height and the alpha values of an 8-bit RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, kind = struct.unpack(">IIBB", data[16:26])
    assert (depth, kind) == (8, 6)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (width, height)
        alphas = list(image.getchannel("A").tobytes())
    return width, height, alphas


def test_the_cli_builds_a_package_that_matches_the_schema(tmp_path: Path) -> None:
    out = tmp_path / "bridgepulse-teams.zip"
    result = run_cli(
        "teams-package",
        "--out",
        str(out),
        MICROSOFT_APP_ID=APP_ID,
        BRIDGEPULSE_PUBLIC_URL="https://pulse.example.com",
    )
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        document = json.loads(archive.read("manifest.json"))
        color, outline = archive.read("color.png"), archive.read("outline.png")
    errors = sorted(jsonschema.Draft4Validator(schema()).iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    assert document["manifestVersion"] == "1.17" and document["id"] == APP_ID
    (bot,) = document["bots"]
    assert bot["botId"] == APP_ID and sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    titles = [c["title"] for c in bot["commandLists"][0]["commands"]]
    assert titles == ["alignment", "pulse", "pulse map"]
    width, height, alphas = png_facts(color)
    assert (width, height) == (192, 192) and min(alphas) == 255
    width, height, alphas = png_facts(outline)
    assert (width, height) == (32, 32) and 0 in alphas and 255 in alphas  # transparent outline


def test_the_schema_check_catches_a_broken_manifest() -> None:
    document = manifest(app_id=APP_ID, website="https://pulse.example.com")
    document["bots"][0]["scopes"] = ["groupchat"]  # enum values are case-sensitive
    del document["developer"]["privacyUrl"]
    assert len(list(jsonschema.Draft4Validator(schema()).iter_errors(document))) == 2


def test_without_an_app_id_the_cli_says_what_to_set(tmp_path: Path) -> None:
    result = run_cli("teams-package", "--out", str(tmp_path / "x.zip"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "MICROSOFT_APP_ID" in result.stderr
    with pytest.raises(ConfigError, match="BRIDGEPULSE_PUBLIC_URL"):
        manifest(app_id=APP_ID, website="")
