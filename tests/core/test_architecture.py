"""docs/design.md's rules: the core (bot/) imports no platform, web, ORM or scheduler library and
nothing from handlers/, storage/, server/ or demo/, with no exemption; and no module of the
project imports itself back through others (type-only imports included)."""

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
    "prometheus_client",
    "handlers",
    "storage",
    "server",
    "demo",
)
CORE = Path(bot.__file__).parent
ROOT = CORE.parent
PACKAGES = ("bot", "handlers", "storage", "server", "demo")


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from bot.polls import views` imports the module bot.polls.views
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def core_modules() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def test_core_has_modules_to_check() -> None:
    names = {p.relative_to(CORE).as_posix() for p in core_modules()}
    assert {"score/scoring.py", "core.py", "polls/service.py", "ports.py"} <= names


def test_core_imports_no_platform_or_storage() -> None:
    offenders = []
    for path in core_modules():
        for module in imported_modules(path):
            if module.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from slack_bolt import App\nimport storage.models\nfrom server import app\n")
    assert {"slack_bolt", "storage.models", "server.app"} <= imported_modules(sample)


def module_files(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Which project modules each module imports, wherever the import is (a function body, an
    `if TYPE_CHECKING:` block): a type-only cycle is still two files that need each other."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for module in imported_modules(path):
            if module in modules and module != name:
                targets.add(module)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, targets = work[-1]
            nxt = next(targets, None)
            if nxt is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = stack[stack.index(node) :]
                    del stack[stack.index(node) :]
                    if len(group) > 1:
                        found.append(sorted(group))
            elif nxt not in index:
                index[nxt] = low[nxt] = len(index)
                stack.append(nxt)
                work.append((nxt, iter(sorted(graph[nxt]))))
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
    return found


def test_no_import_cycles() -> None:
    modules = module_files(ROOT, PACKAGES)
    assert len(modules) > 100
    assert cycles(import_graph(modules)) == []


def test_the_cycle_finder_sees_a_type_only_cycle(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import B\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n"
    )
    (package / "c.py").write_text("from pkg.a import A\n")
    graph = import_graph(module_files(tmp_path, ("pkg",)))
    assert cycles(graph) == [["pkg.a", "pkg.b"]]
