"""The README's Teams command list and settings table say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

from handlers.teams.package import manifest
from server.settings import Settings

README = (Path(__file__).parent.parent / "README.md").read_text("utf-8")


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    return README[start : README.index("\n## ", start + 1)]


def test_the_teams_command_list_matches_the_package() -> None:
    document = manifest(app_id="6f1c2a7e-2b9d-4c1e-9a53-0d7f4e8b1c22", website="https://x.test")
    titles = [c["title"] for c in document["bots"][0]["commandLists"][0]["commands"]]
    found = re.search(r"command list ((?:`[^`]+`,?\s*)+)", section("Install in Microsoft Teams"))
    assert found is not None
    assert re.findall(r"`([^`]+)`", found.group(1)) == titles


def test_the_settings_table_lists_every_setting_with_its_default() -> None:
    rows = {
        name: row
        for row in section("Settings").splitlines()
        if row.startswith("| `")
        for name in re.findall(r"`([A-Z_]+)`", row.split("|")[1])
    }
    aliases = {f.alias for f in Settings.model_fields.values()}
    assert aliases <= set(rows), aliases - set(rows)
    assert rows["MICROSOFT_APP_TYPE"].rstrip(" |").endswith("`SingleTenant`")
    assert "127.0.0.1" in rows["HOST"] and "0.0.0.0" in rows["HOST"]
    assert "**off**" in rows["MICROSOFT_APP_ID"]
