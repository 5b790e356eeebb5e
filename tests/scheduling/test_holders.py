"""Telling a claim holder that died on this machine (a restart after `kill -9`) from one that
may still be working (alive here, or anywhere else)."""

from __future__ import annotations

import subprocess
import sys

from bot.channels.claims import holder_is_gone, replica_id


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
