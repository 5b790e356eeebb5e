"""The `bridgepulse` command: serve, demo, migrate."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bot.errors import ConfigError
from server.settings import DatabaseSettings, Mode, Settings, load_database_settings, load_settings

MAX_DEMO_WEEKS = 52


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bridgepulse",
        description="BridgePulse: a weekly marketing × IT alignment pulse for Slack and Teams.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser(
        "serve",
        help="run the HTTP server (Slack, Teams, /healthz, /metrics) and the scheduler",
        description="Migrate DATABASE_URL, then serve Slack at POST /slack/events, Teams at "
        "POST /api/messages, GET /healthz and GET /metrics, and run the scheduler.",
        epilog=_settings_help(Settings, SERVE_DEFAULTS),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo = sub.add_parser(
        "demo",
        help="offline demo: a simulated team in a fake Slack and Teams; open /_sim in a browser",
    )
    demo.add_argument("--port", type=int, default=None, help="port (default $PORT or 3000)")
    demo.add_argument(
        "--headless",
        action="store_true",
        help="play --weeks weeks at once, print the transcript, write the charts, and exit",
    )
    demo.add_argument(
        "--weeks",
        type=_weeks,
        default=None,
        help="headless: weeks to play (default 8); page: weeks played before you arrive (default 3)",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("bridgepulse-demo-charts"),
        help="headless: folder for the summary charts (PNG); default ./bridgepulse-demo-charts",
    )
    demo.add_argument("--seed", type=int, default=7, help="the simulated team's luck (default 7)")
    sub.add_parser(
        "migrate",
        help="apply database migrations to DATABASE_URL (idempotent)",
        description="Apply database migrations to DATABASE_URL (idempotent; needs no secret).",
        epilog=_settings_help(DatabaseSettings, {}),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    package = sub.add_parser(
        "teams-package",
        help="build the Teams app package (manifest.json + icons) for MICROSOFT_APP_ID",
    )
    package.add_argument("--out", type=Path, required=True, help="zip file to write")
    package.add_argument(
        "--website", default=None, help="developer website (default $BRIDGEPULSE_PUBLIC_URL)"
    )
    package.add_argument("--privacy-url", default="", help="privacy page (default: --website)")
    package.add_argument("--terms-url", default="", help="terms of use (default: --website)")
    package.add_argument("--version", default="1.0.0", help="package version, e.g. 1.0.0")
    return parser


#: Defaults that depend on other settings, as `serve --help` states them.
SERVE_DEFAULTS = {
    "HOST": "0.0.0.0; 127.0.0.1 when BRIDGEPULSE_ENV is demo or test",
    "MICROSOFT_APP_ID": "empty: Teams off (unauthenticated in demo/test mode)",
    "BRIDGEPULSE_SECRET": "required unless BRIDGEPULSE_ENV is demo or test",
}


def _settings_help(kind: type[DatabaseSettings], special: dict[str, str]) -> str:
    """Every environment variable the command reads, with its default."""
    lines = ["settings (environment variables, default in brackets):"]
    for field in kind.model_fields.values():
        name = field.alias or ""
        default = field.default
        if isinstance(default, frozenset | set):
            default = ",".join(sorted(default))
        shown = special.get(name) or ("" if default is None else str(default)) or "empty"
        lines.append(f"  {name:<28} [{shown}]")
    return "\n".join(lines)


def _weeks(text: str) -> int:
    try:
        weeks = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of weeks, got {text!r}") from None
    if not 0 <= weeks <= MAX_DEMO_WEEKS:
        raise argparse.ArgumentTypeError(f"choose from 0 to {MAX_DEMO_WEEKS} weeks")
    return weeks


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except ConfigError as exc:
        print(f"bridgepulse: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.command == "teams-package":
        return _teams_package(args)
    if args.command == "demo":
        return _demo(args)
    settings = load_database_settings() if args.command == "migrate" else load_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.command == "migrate":
        return asyncio.run(_migrate(settings.database_url))
    assert isinstance(settings, Settings)
    from server.app import serve

    asyncio.run(serve(settings))
    return 0


def _demo(args: argparse.Namespace) -> int:
    if os.environ.get("DATABASE_URL"):
        return _run_demo(args, {})
    # A fresh SQLite file per run, so two demos never share (or delete) each other's data.
    with tempfile.TemporaryDirectory(prefix="bridgepulse-demo-") as folder:
        return _run_demo(args, {"DATABASE_URL": f"sqlite+aiosqlite:///{folder}/demo.db"})


def _run_demo(args: argparse.Namespace, overrides: dict[str, object]) -> int:
    from demo import launch

    overrides["BRIDGEPULSE_ENV"] = Mode.DEMO.value
    if args.port:
        overrides["PORT"] = args.port
    settings = load_settings(**overrides)
    level = os.environ.get("BRIDGEPULSE_LOG_LEVEL") and settings.log_level
    logging.basicConfig(
        level=level or logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(launch.prepare_database(settings))
    if args.headless:
        weeks = 8 if args.weeks is None else max(args.weeks, 1)
        return asyncio.run(launch.headless(settings, weeks=weeks, out=args.out, seed=args.seed))
    history = 3 if args.weeks is None else args.weeks
    asyncio.run(launch.interactive(settings, history=history, seed=args.seed, stream=sys.stdout))
    return 0


async def _migrate(url: str) -> int:
    from storage.startup import migrate_at_start

    revision = await migrate_at_start(url)  # a failure is a one-line ConfigError
    print(f"database is at revision {revision}")
    return 0


def _teams_package(args: argparse.Namespace) -> int:
    # Reads only what the package needs: building it must not require the server's secrets.
    from handlers.teams.package import build, manifest

    document = manifest(
        app_id=os.environ.get("MICROSOFT_APP_ID", "").strip(),
        website=args.website or os.environ.get("BRIDGEPULSE_PUBLIC_URL", "").strip(),
        privacy_url=args.privacy_url,
        terms_url=args.terms_url,
        version=args.version,
    )
    print(f"wrote {build(args.out, document)}: upload it in Teams → Apps → Manage your apps")
    return 0
