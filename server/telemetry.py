"""Prometheus-backed telemetry (one registry per application, no module-level metrics)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class PrometheusTelemetry:
    """Implements the core's `Telemetry` port; metrics appear as they are first used."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._counters: dict[tuple[str, tuple[str, ...]], Counter] = {}
        self._histograms: dict[tuple[str, tuple[str, ...]], Histogram] = {}
        #: Each labelled child once found, by name and label values: prometheus_client's
        #: `labels()` lookup costs more than the increment, on every request.
        self._counted: dict[tuple[object, ...], Any] = {}
        self._observed: dict[tuple[object, ...], Any] = {}

    def count(self, name: str, **labels: str) -> None:
        child = self._counted.get((name, *labels.items()))
        if child is not None:  # the hot path: this name and these label values seen before
            child.inc()
            return
        key = (name, tuple(sorted(labels)))
        counter = self._counters.get(key)
        if counter is None:
            counter = Counter(
                f"bridgepulse_{name}",
                f"BridgePulse {name.replace('_', ' ')}",
                key[1],
                registry=self.registry,
            )
            self._counters[key] = counter
        child = counter.labels(**labels) if labels else counter
        self._counted[(name, *labels.items())] = child
        child.inc()

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        child = self._observed.get((name, *labels.items()))
        if child is not None:
            child.observe(seconds)
            return
        key = (name, tuple(sorted(labels)))
        histogram = self._histograms.get(key)
        if histogram is None:
            histogram = Histogram(
                f"bridgepulse_{name}",
                f"BridgePulse {name.replace('_', ' ')}",
                key[1],
                registry=self.registry,
                buckets=_BUCKETS,
            )
            self._histograms[key] = histogram
        child = histogram.labels(**labels) if labels else histogram
        self._observed[(name, *labels.items())] = child
        child.observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
