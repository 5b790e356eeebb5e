"""Telling a claim holder that died on this machine (a restart after `kill -9`) from one that
may still be working (alive here, or anywhere else)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import bot
from bot.channels import claims
from bot.channels.claims import holder_is_gone, replica_id

ROOT = Path(bot.__file__).parent.parent


def test_this_process_is_not_gone() -> None:
    assert not holder_is_gone(replica_id())


def test_a_finished_process_on_this_machine_is_gone() -> None:
    code = "from bot.channels.claims import replica_id; print(replica_id())"
    dead = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert holder_is_gone(dead)


def test_holders_elsewhere_or_unreadable_count_as_alive() -> None:
    host, pid, namespace, started, tag = replica_id().rsplit(":", 4)
    assert not holder_is_gone(f"another-host:{pid}:{namespace}:{started}:{tag}")
    assert not holder_is_gone(f"{host}:{pid}:1:{started}:{tag}")  # another pid namespace
    assert not holder_is_gone("replica-a")  # the names tests and old versions used
    assert not holder_is_gone(f"{host}:not-a-pid:{namespace}:{started}:{tag}")


def test_replica_names_are_made_in_one_place() -> None:
    """Anything that claims names this process with `replica_id`, so `holder_is_gone` can
    read every holder: no other module derives a name from the host or the pid."""
    owner = Path(claims.__file__).resolve()
    derived = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for package in ("bot", "handlers", "storage", "server", "demo")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.resolve() != owner
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.Attribute) and node.attr in {"gethostname", "getpid"}
    ]
    assert derived == []
