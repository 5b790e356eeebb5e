"""Checks Adaptive Cards with Microsoft's `adaptivecards` parser in Node (tests/teams/cardcheck).

The npm package is installed into that folder on first use (`npm ci`, pinned by its lock file).
Without Node or npm the check is skipped locally and fails under CI=true, like PostgreSQL.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.db import in_ci

FOLDER = Path(__file__).parents[1] / "teams" / "cardcheck"


class CardChecker:
    def __init__(self, node: str) -> None:
        self._node = node

    @classmethod
    def install(cls) -> CardChecker:
        node, npm = shutil.which("node"), shutil.which("npm")
        if node is None or npm is None:
            _unavailable("Node.js and npm are needed to validate Adaptive Cards")
        if not (FOLDER / "node_modules" / "adaptivecards").is_dir():
            result = subprocess.run(
                [str(npm), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=FOLDER,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if result.returncode != 0:
                _unavailable(f"npm ci in {FOLDER} failed: {result.stderr.strip()[-500:]}")
        return cls(str(node))

    def problems(self, cards: list[dict[str, Any]]) -> list[list[str]]:
        result = subprocess.run(
            [self._node, str(FOLDER / "validate.js")],
            input=json.dumps(cards),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        found: list[list[str]] = json.loads(result.stdout)
        return found

    def assert_valid(self, cards: list[dict[str, Any]]) -> None:
        if not cards:
            return
        report = [
            f"card {i} ({_title(card)}): {'; '.join(found)}"
            for i, (card, found) in enumerate(zip(cards, self.problems(cards), strict=True))
            if found
        ]
        assert not report, "invalid Adaptive Cards:\n" + "\n".join(report)


def _title(card: dict[str, Any]) -> str:
    body = card.get("body") or [{}]
    return str(body[0].get("text", "?"))[:60]


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"CI=true requires the Adaptive Card check. {reason}")
    pytest.skip(reason)
