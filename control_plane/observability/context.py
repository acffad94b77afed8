"""The request being served, in a context variable: its id, and its tenant and endpoint once known.

One small mutable object per request, set once by the HTTP middleware and
filled in by authentication, so the hot path pays one ``ContextVar.get`` and
two attribute writes instead of a context variable per field.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
from contextvars import ContextVar, Token
from dataclasses import dataclass
from uuid import UUID

WELL_FORMED = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@dataclass(slots=True)
class RequestContext:
    request_id: str
    tenant_id: UUID | None = None
    endpoint_id: UUID | None = None


CURRENT: ContextVar[RequestContext | None] = ContextVar("berth_request", default=None)


def request_id_from(given: bytes | None) -> str:
    """The caller's ``X-Request-Id`` when it is well formed, a fresh one otherwise."""
    if given:
        text = given.decode("latin-1")
        if WELL_FORMED.match(text):
            return text
    return f"{_fresh.prefix}{next(_fresh.counter):016x}"


class _Fresh:
    """Fresh request ids: 64 random bits per process and a counter, 32 hex digits like a UUID's hex,
    without the system call ``uuid4`` makes on every request. A forked child draws its own bits."""

    def __init__(self) -> None:
        self.draw()

    def draw(self) -> None:
        self.prefix = secrets.token_hex(8)
        self.counter = itertools.count()


_fresh = _Fresh()
os.register_at_fork(after_in_child=_fresh.draw)


def begin(request_id: str) -> Token[RequestContext | None]:
    return CURRENT.set(RequestContext(request_id))


def current_request_id() -> str | None:
    found = CURRENT.get()
    return found.request_id if found is not None else None


def note_caller(tenant_id: UUID | None, endpoint_id: UUID | None = None) -> None:
    """Record who the request acts for, so every later log line of the request names them."""
    found = CURRENT.get()
    if found is not None:
        found.tenant_id = tenant_id
        if endpoint_id is not None:
            found.endpoint_id = endpoint_id
