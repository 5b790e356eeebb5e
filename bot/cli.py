"""The `bridgepulse` command: serve, demo, migrate."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.errors import ConfigError
from bot.settings import Mode, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bridgepulse",
        description="BridgePulse: a weekly marketing × IT alignment pulse for Slack and Teams.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser(
        "serve", help="run the HTTP server (Slack, Teams, /healthz, /metrics) and the scheduler"
    )
    demo = sub.add_parser("demo", help="offline demo on SQLite; no Slack or Teams account needed")
    demo.add_argument("--port", type=int, default=None, help="port (default $PORT or 3000)")
    sub.add_parser("migrate", help="apply database migrations to DATABASE_URL (idempotent)")
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
        os.environ.setdefault("BRIDGEPULSE_ENV", Mode.DEMO.value)
        os.environ.setdefault("DATABASE_URL", "sqlite+aiosqlite:///./bridgepulse-demo.db")
        if args.port:
            os.environ["PORT"] = str(args.port)
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.command == "migrate":
        return asyncio.run(_migrate(settings.database_url))
    from bot.app import serve

    asyncio.run(serve(settings))
    return 0


async def _migrate(url: str) -> int:
    from bot.errors import StoreUnavailable
    from storage.engine import create_engine
    from storage.migrate import migrate

    engine = create_engine(url)
    try:
        revision = await migrate(engine)
    except StoreUnavailable as exc:
        print(f"bridgepulse: DATABASE_URL: cannot reach the database ({exc})", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
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
