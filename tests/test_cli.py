"""The `bridgepulse` command: help lists the subcommands and settings, bad settings and every
database failure are one clear line (never a traceback), and `serve` says in one line what runs."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.db import in_ci

SECRET = "a-production-secret"
PG = "postgresql+asyncpg://postgres@127.0.0.1:5432"
_OURS = ("BRIDGEPULSE_", "DATABASE_URL", "MICROSOFT_", "SLACK_", "HOST", "PORT")


def clean_env(**env: str) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    return {**kept, **env}


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        env=clean_env(**env),
        timeout=60,
        check=False,
    )


def one_line_failure(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_postgres() -> None:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError:
        if in_ci():
            pytest.fail("CI=true requires PostgreSQL on 127.0.0.1:5432")
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")


def test_help_lists_the_subcommands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for word in ("serve", "demo", "migrate"):
        assert word in result.stdout


def test_serve_help_lists_every_setting_it_reads_with_defaults() -> None:
    result = run("serve", "--help")
    assert result.returncode == 0
    for line in (
        "DATABASE_URL                 [sqlite+aiosqlite:///./bridgepulse.db]",
        "HOST                         [0.0.0.0; 127.0.0.1 when BRIDGEPULSE_ENV is demo or test]",
        "PORT                         [3000]",
        "MICROSOFT_APP_TYPE           [SingleTenant]",
        "MICROSOFT_APP_TENANT_ID      [empty]",
        "BRIDGEPULSE_ENV              [production]",
        "BRIDGEPULSE_ADMINS           [empty]",
        "BRIDGEPULSE_SECRET           [required unless BRIDGEPULSE_ENV is demo or test]",
        "BRIDGEPULSE_MIN_RESPONSES    [5]",
        "BRIDGEPULSE_SCHEDULER        [on]",
        "SLACK_APP_TOKEN              [empty]",
    ):
        assert f"  {line}\n" in result.stdout, line


def test_migrate_help_lists_only_the_database() -> None:
    result = run("migrate", "--help")
    assert result.returncode == 0
    listed = re.findall(r"^  ([A-Z_]+) +\[", result.stdout, flags=re.MULTILINE)
    assert listed == ["DATABASE_URL", "BRIDGEPULSE_LOG_LEVEL"]


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


def test_an_app_id_that_is_not_a_guid_stops_serve(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/bp.db"
    result = run("serve", BRIDGEPULSE_SECRET=SECRET, DATABASE_URL=url, MICROSOFT_APP_ID="nope")
    assert one_line_failure(result) == (
        "bridgepulse: MICROSOFT_APP_ID: 'nope' is not a GUID; copy the Microsoft App ID from "
        "the Azure Bot resource's Configuration page"
    )


def test_migrate_needs_only_the_database_url(tmp_path: Path) -> None:
    result = run("migrate", DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/bp.db")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"database is at revision \w+\n", result.stdout)


FAILURES = {
    "role missing": (
        f"{PG.replace('postgres@', 'nobody@')}/test",
        "DATABASE_URL: 127.0.0.1:5432 refused the role 'nobody' (role \"nobody\" does not "
        "exist); check the user name and password, and that the role exists and may log in",
    ),
    "database missing": (
        f"{PG}/no_such_db",
        "DATABASE_URL: database 'no_such_db' does not exist on 127.0.0.1:5432; create it "
        f"(createdb no_such_db) or fix the name in {PG}/no_such_db",
    ),
    "port closed": (
        "postgresql+asyncpg://postgres:pw@127.0.0.1:1/test",
        "DATABASE_URL: cannot reach PostgreSQL at 127.0.0.1:1 ([Errno 111] Connect call failed "
        "('127.0.0.1', 1)); check the host and port, and that PostgreSQL is running and "
        "accepts connections from here",
    ),
    "port not a number": (
        "postgresql+asyncpg://postgres:hunter2@127.0.0.1:five/test",
        "DATABASE_URL: cannot parse 'postgresql+asyncpg://postgres:***@127.0.0.1:five/test'; "
        "expected e.g. sqlite+aiosqlite:///./bridgepulse.db or "
        "postgresql+asyncpg://user@host:5432/db",
    ),
    "unknown driver": (
        "mysql://root@db/bp",
        "DATABASE_URL: driver 'mysql' is not supported; use sqlite+aiosqlite:///path.db or "
        "postgresql+asyncpg://user@host:5432/db",
    ),
}


@pytest.mark.parametrize("command", ["migrate", "serve"])
@pytest.mark.parametrize("name", list(FAILURES))
def test_a_database_failure_is_one_line(command: str, name: str) -> None:
    url, line = FAILURES[name]
    if url.startswith(PG):
        require_postgres()
    result = run(command, DATABASE_URL=url, BRIDGEPULSE_SECRET=SECRET, PORT=str(free_port()))
    assert one_line_failure(result) == f"bridgepulse: {line}"
    assert "hunter2" not in result.stderr


def test_a_file_that_is_not_a_sqlite_database_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database, but long enough to have a header page\n" * 20)
    result = run("migrate", DATABASE_URL=f"sqlite+aiosqlite:///{path}")
    assert one_line_failure(result) == (
        f"bridgepulse: DATABASE_URL: cannot use the SQLite database '{path}' (file is not a "
        "database); check that the path is a SQLite file (or does not exist yet) in a folder "
        "this user may write"
    )


class Served:
    """`bridgepulse serve` in a subprocess, until its one start-up line."""

    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"sqlite+aiosqlite:///{tmp_path}/bp.db"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server", "serve"],
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(DATABASE_URL=self.url, PORT=str(self.port), **env),
        )
        self.lines: list[str] = []

    def startup_line(self) -> str:
        assert self.process.stderr is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            self.lines.append(line)
            if "BridgePulse listening" in line:
                return line.rstrip("\n").split(" server.app: ", 1)[1]
        raise AssertionError("".join(self.lines))

    def post(self, path: str) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=b"{}",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        _, rest = self.process.communicate(timeout=30)
        return "".join(self.lines) + rest


def test_serve_in_production_without_an_app_id_runs_teams_off(tmp_path: Path) -> None:
    served = Served(tmp_path, BRIDGEPULSE_SECRET=SECRET, BRIDGEPULSE_SCHEDULER="off")
    try:
        assert served.startup_line() == (
            f"BridgePulse listening on 0.0.0.0:{served.port} | Slack: off (no SLACK_* settings)"
            " | Teams: off (MICROSOFT_APP_ID is not set) | scheduler: off"
            f" | database: {served.url}"
        )
        assert served.post("/api/messages") == 404
    finally:
        log = served.stop()
    assert served.process.returncode == 0
    assert "Traceback" not in log


def test_serve_in_test_mode_listens_on_loopback_only(tmp_path: Path) -> None:
    served = Served(
        tmp_path,
        BRIDGEPULSE_ENV="test",
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL="http://127.0.0.1:9/api/",
    )
    try:
        assert served.startup_line() == (
            f"BridgePulse listening on 127.0.0.1:{served.port} | Slack: one workspace over HTTP"
            " | Teams: on, unauthenticated (MICROSOFT_APP_ID is not set and BRIDGEPULSE_ENV is"
            f" test) | scheduler: on | database: {served.url}"
        )
        assert served.post("/api/messages") == 400  # mounted: an empty activity is refused
    finally:
        served.stop()


def test_serve_names_a_port_in_use_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(
            "serve",
            BRIDGEPULSE_ENV="test",
            PORT=str(port),
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/bp.db",
        )
    assert one_line_failure(result) == (
        f"bridgepulse: HOST/PORT: cannot listen on 127.0.0.1:{port} (address already in use);"
        " choose another PORT or stop what uses it"
    )
