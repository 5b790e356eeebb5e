"""The `bridgepulse` command: help lists the subcommands, bad settings are one clear line."""

from __future__ import annotations

import os
import subprocess
import sys


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("BRIDGEPULSE_", "DATABASE_URL"))
    }
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=60,
        check=False,
    )


def test_help_lists_the_subcommands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for word in ("serve", "demo", "migrate"):
        assert word in result.stdout


def test_serve_refuses_to_start_without_a_secret() -> None:
    result = run("serve")
    assert result.returncode == 2
    assert "BRIDGEPULSE_SECRET is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_threshold_is_one_line() -> None:
    result = run("serve", BRIDGEPULSE_SECRET="x", BRIDGEPULSE_MIN_RESPONSES="1")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "bridgepulse: BRIDGEPULSE_MIN_RESPONSES: must be from 3 to 25 (privacy: never below 3)"
    )
