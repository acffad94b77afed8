"""A process's logs and metrics, set up once in ``main()``, and the roles bound to its metrics."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

from prometheus_client import start_http_server

from cli.server import Part
from control_plane.observability import logs
from control_plane.observability.metrics import Metrics
from control_plane.settings import Settings


def start(settings: Settings) -> Metrics:
    """Configure logging for this process and make its one metrics registry."""
    logs.configure(settings.log_level, settings.log_format or logs.default_format(settings.dev))
    return Metrics()


def bound(part: Any, metrics: Metrics) -> Part:
    """A role that reports to ``metrics`` (every role's ``serving``/``running`` takes ``metrics=``)."""
    bound_part: Part = functools.partial(part, metrics=metrics)
    return bound_part


def metrics_public(settings: Settings) -> bool:
    """``/metrics`` on the serving port: always in dev, otherwise only when asked for."""
    return settings.dev or settings.metrics_public


@contextlib.contextmanager
def metrics_port(settings: Settings, metrics: Metrics) -> Iterator[None]:
    """``/metrics`` on ``BERTH_METRICS_PORT`` for the duration of the block, when set."""
    if settings.metrics_port is None:
        yield None
        return
    server, thread = start_http_server(settings.metrics_port, addr=settings.host, registry=metrics.exposed())
    try:
        yield None
    finally:
        server.shutdown()
        thread.join(timeout=5)
