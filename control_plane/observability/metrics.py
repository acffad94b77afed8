"""Prometheus metrics: one registry per process, on the resources object, never the library's global one.

Counters and histograms that the hot path touches are looked up once per label
set and cached here, so a request costs a dict lookup and an increment. State
that already lives on an object (cache sizes, open pools, audit drops) is read
at scrape time by a collector instead of being copied on every change.

With ``PROMETHEUS_MULTIPROC_DIR`` set (several processes behind one port),
prometheus-client keeps counters and histograms in files there and a scrape
adds up every process's; the collectors' values are the answering process's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PROVIDER_LATENCY = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
GENERIC_TOOLS = frozenset({"list_schemas", "list_tables", "describe_table", "query", "explain", "execute",
                           "import_file", "import_url"})
GENERATED_PREFIXES = frozenset({"list", "get", "search", "filter", "count", "summarize", "insert", "update",
                                "delete"})


def tool_label(name: str) -> str:
    """A bounded label for a tool name: generic tools by name, generated ones by family (``get_*``)."""
    if name in GENERIC_TOOLS:
        return name
    prefix = name.partition("_")[0]
    return f"{prefix}_*" if prefix in GENERATED_PREFIXES else "other"


class Snapshot(Collector):
    """Yields metric families built at scrape time by ``read``."""

    def __init__(self, read: Callable[[], Iterable[Metric]]) -> None:
        self.read = read

    def collect(self) -> Iterable[Metric]:
        return self.read()


@dataclass
class Metrics:
    """Every metric of one process (api, gateway and worker alike)."""

    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(auto_describe=True))
    snapshots: list[Snapshot] = field(default_factory=list)
    _children: dict[tuple[str, ...], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter("berth_http_requests", "HTTP requests answered",
                                ["route", "method", "status"], registry=r)
        self.latency = Histogram("berth_http_request_duration_seconds", "Time to answer an HTTP request",
                                 ["route"], buckets=LATENCY, registry=r)
        self.tool_calls = Counter("berth_tool_calls", "MCP tool calls", ["tool", "outcome"], registry=r)
        self.tool_latency = Histogram("berth_tool_call_duration_seconds", "Time a tool call ran",
                                      ["tool"], buckets=LATENCY, registry=r)
        self.refusals = Counter("berth_rate_limited", "Calls refused by a rate limit", ["reason"], registry=r)
        self.provider_latency = Histogram("berth_provider_call_duration_seconds", "Provider call time",
                                          ["provider", "operation"], buckets=PROVIDER_LATENCY, registry=r)
        self.provider_errors = Counter("berth_provider_errors", "Provider calls that failed",
                                       ["provider", "operation", "retryable"], registry=r)
        self.jobs_queued = Gauge("berth_jobs_queued", "Jobs waiting or running, by kind", ["kind"],
                                 multiprocess_mode="livemax", registry=r)
        self.jobs_oldest = Gauge("berth_jobs_oldest_age_seconds", "Age of the oldest waiting job, by kind",
                                 ["kind"], multiprocess_mode="livemax", registry=r)
        self.jobs_dead = Gauge("berth_jobs_dead", "Dead jobs in the catalog, by kind", ["kind"],
                               multiprocess_mode="livemax", registry=r)
        self.import_bytes = Gauge("berth_imports_loaded_bytes", "Bytes loaded by finished imports (catalog)",
                                  multiprocess_mode="livemax", registry=r)
        self.import_rows = Gauge("berth_imports_loaded_rows", "Rows loaded by finished imports (catalog)",
                                 multiprocess_mode="livemax", registry=r)

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (metric._name, *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        self._child(self.requests, route, method, str(status)).inc()
        self._child(self.latency, route).observe(seconds)

    def tool_call(self, tool: str, outcome: str, seconds: float) -> None:
        label = tool_label(tool)
        self._child(self.tool_calls, label, outcome).inc()
        self._child(self.tool_latency, label).observe(seconds)

    def refused(self, reason: str) -> None:
        self._child(self.refusals, reason or "unknown").inc()

    def watch(self, read: Callable[[], Iterable[Metric]]) -> Snapshot:
        """Add values read at scrape time; ``forget`` removes them when their owner closes."""
        snapshot = Snapshot(read)
        self.registry.register(snapshot)
        self.snapshots.append(snapshot)
        return snapshot

    def forget(self, snapshot: Snapshot) -> None:
        self.registry.unregister(snapshot)
        self.snapshots.remove(snapshot)

    def sources(self) -> Iterable[Metric]:
        """What a scrape sees: this registry, or every process's counters in multiprocess mode."""
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return self.registry.collect()
        combined = CollectorRegistry()
        multiprocess.MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
        for snapshot in self.snapshots:
            combined.register(snapshot)
        return combined.collect()

    def exposed(self) -> CollectorRegistry:
        """A registry whose every collection reads ``sources``, for an HTTP exporter of its own."""
        registry = CollectorRegistry(auto_describe=False)
        registry.register(Snapshot(self.sources))
        return registry

    def render(self) -> bytes:
        return generate_latest(self.exposed())
