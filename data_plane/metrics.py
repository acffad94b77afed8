"""The gateway's state as metrics, read at scrape time: token cache, catalog lookups, pools, audit, Redis."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from data_plane.audit import AuditBuffer
from data_plane.auth import Authenticator
from data_plane.pools import Pools


def reader(auth: Authenticator, pools: Pools, audit: AuditBuffer,
           degraded: Callable[[], bool]) -> Callable[[], Iterable[Metric]]:
    """A function yielding the gateway's current values, for ``Metrics.watch``."""
    def read() -> Iterable[Metric]:
        yield CounterMetricFamily("berth_token_cache_hits", "Token checks answered from the cache",
                                  value=auth.hits)
        yield CounterMetricFamily("berth_token_lookups", "Token lookups sent to the catalog",
                                  value=auth.lookups)
        yield GaugeMetricFamily("berth_endpoint_pools_open", "Endpoint pools open", value=len(pools))
        yield GaugeMetricFamily("berth_endpoint_connections_open", "Connections held by endpoint pools",
                                value=pools.connections())
        yield CounterMetricFamily("berth_audit_rows_written", "Tool-call audit rows written",
                                  value=audit.written)
        yield CounterMetricFamily("berth_audit_rows_dropped", "Audit rows dropped when the buffer was full",
                                  value=audit.dropped)
        yield GaugeMetricFamily("berth_audit_rows_waiting", "Audit rows waiting to be written",
                                value=len(audit))
        yield GaugeMetricFamily("berth_gateway_degraded", "1 while Redis is unreachable (per-process limits)",
                                value=1.0 if degraded() else 0.0)
    return read
