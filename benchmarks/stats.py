"""Latency statistics and result files shared by the benchmarks."""

from __future__ import annotations

import json
import math
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: p99 of 100 samples is the 99th value)."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


#: the target of a figure that is measured and reported, not judged
NO_TARGET = "—"


@dataclass
class Figure:
    """One measured figure against its target."""

    name: str
    value: float
    unit: str
    target: str
    passed: bool
    detail: str = ""


@dataclass
class BenchResult:
    benchmark: str
    backend: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    command: str = ""
    machine: str = field(
        default_factory=lambda: (
            f"{platform.machine()}, Python {platform.python_version()}, {platform.system()}"
        )
    )
    finished: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M"))

    def add(
        self, name: str, value: float, unit: str, target: str, passed: bool, detail: str = ""
    ) -> None:
        self.figures.append(Figure(name, value, unit, target, passed, detail))
        mark = "ok " if passed else "MISS"
        print(f"  [{mark}] {name}: {value:.2f} {unit} (target {target}) {detail}", flush=True)

    def save(self) -> Path:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{self.benchmark}-{self.backend}.json"
        path.write_text(json.dumps(asdict(self), indent=2))
        return path


def load_results() -> list[dict[str, Any]]:
    if not RESULTS.is_dir():
        return []
    return [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]
