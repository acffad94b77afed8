"""Structured logs (structlog): JSON in production, readable in dev, request fields added, secrets scrubbed.

``configure`` is called once per process from ``main()``; it also routes the
standard library's loggers (uvicorn, asyncpg, modules using ``logging``)
through the same processors, so every line has one shape. The scrubber is a
last line of defence: code never logs a token, a password or a connection
string, and anything that looks like one is replaced before it is written.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from control_plane.observability.context import CURRENT

LogFormat = Literal["json", "console"]
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
SECRET = re.compile(
    r"\b(?:smcp|bth)_[A-Za-z0-9]{16,}"          # Berth tokens and API keys
    r"|(?<=://)[^\s/@]*:[^\s/@]*@"              # user:password@ in a URL or DSN
    r"|(?i:password)\s*[=:]\s*['\"]?[^\s'\"&,]+"  # password=... in a keyword DSN or a message
)
MARKERS = ("smcp_", "bth_", "://", "assword")


def _scrub_text(text: str) -> str:
    return SECRET.sub("[redacted]", text) if any(m in text for m in MARKERS) else text


def scrub(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Replace anything that looks like a token, a password or a DSN's credentials."""
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = _scrub_text(value)
    return event


def add_request(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """The request id, tenant and endpoint of the request being served, when there is one."""
    found = CURRENT.get()
    if found is not None:
        event.setdefault("request_id", found.request_id)
        if found.tenant_id is not None:
            event.setdefault("tenant_id", str(found.tenant_id))
        if found.endpoint_id is not None:
            event.setdefault("endpoint_id", str(found.endpoint_id))
    return event


def _json_access(method: str, route: str, path: str, status: int, ms: float) -> None:
    """The access line as the JSON chain renders it, written without going through the chain: it is
    one line per request, and the chain's processors cost several times the line itself."""
    event: dict[str, Any] = {"method": method, "route": route, "path": path, "status": status, "ms": ms,
                             "event": "request"}
    add_request(None, "info", event)
    event["level"] = "info"
    event["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    sys.stderr.write(_scrub_text(orjson.dumps(event).decode()) + "\n")
    sys.stderr.flush()


def _chained_access(method: str, route: str, path: str, status: int, ms: float) -> None:
    structlog.get_logger("berth.access").info("request", method=method, route=route, path=path,
                                               status=status, ms=ms)


# One line per HTTP request (observability/http.py); ``configure`` picks how it is written.
access: Callable[[str, str, str, int, float], None] = _chained_access


def _shared() -> list[Processor]:
    return [add_request, structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True)]


# Libraries that narrate their own steps at info level (pgserver echoes every initdb and pg_ctl line):
# their warnings still show, their chatter would bury Berth's first-run output.
QUIET = ("pgserver",)


def _dumps(event: MutableMapping[str, Any], **_: Any) -> str:
    return orjson.dumps(event, default=str).decode()


def _renderer(fmt: LogFormat) -> Processor:
    if fmt == "json":
        return structlog.processors.JSONRenderer(serializer=_dumps)
    return structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)


def configure(level: str, fmt: LogFormat) -> None:
    """Set up structlog and the standard library's logging for this process (call once, from main)."""
    global access  # noqa: PLW0603 - set once per process, before it serves
    number = LEVELS[level]
    access = _json_access if fmt == "json" and number <= logging.INFO else _chained_access
    tail: list[Processor] = [structlog.processors.format_exc_info, scrub, _renderer(fmt)]
    structlog.configure(
        processors=[*_shared(), *tail],
        wrapper_class=structlog.make_filtering_bound_logger(number),
        logger_factory=structlog.WriteLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *_shared()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail]))
    logging.basicConfig(handlers=[handler], level=number, force=True)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(number, logging.WARNING))


def default_format(dev: bool) -> LogFormat:
    return "console" if dev else "json"
