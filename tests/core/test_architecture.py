"""DESIGN.md's rule: the core (bot/) imports no platform, web, ORM or scheduler library and
nothing from handlers/, storage/, server/ or demo/."""

from __future__ import annotations

import ast
from pathlib import Path

import bot

FORBIDDEN = (
    "slack_bolt",
    "slack_sdk",
    "botbuilder",
    "botframework",
    "aiohttp",
    "sqlmodel",
    "sqlalchemy",
    "apscheduler",
    "alembic",
    "asyncpg",
    "aiosqlite",
    "handlers",
    "storage",
    "server",
    "demo",
)
CORE = Path(bot.__file__).parent


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def core_modules() -> list[Path]:
    return list(CORE.rglob("*.py"))


def test_core_has_modules_to_check() -> None:
    names = {p.name for p in core_modules()}
    assert {"scoring.py", "core.py", "service.py", "ports.py"} <= names


def test_core_imports_no_platform_or_storage() -> None:
    offenders = []
    for path in core_modules():
        for module in imported_modules(path):
            if module.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(CORE.parent)} imports {module}")
    assert offenders == []


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from slack_bolt import App\nimport storage.models\n")
    assert {"slack_bolt", "storage.models"} <= imported_modules(sample)
