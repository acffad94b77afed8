"""The request being served, in a context variable: its id, and its tenant and endpoint once known.

One small mutable object per request, set once by the HTTP middleware and
filled in by authentication, so the hot path pays one ``ContextVar.get`` and
two attribute writes instead of a context variable per field.
"""

from __future__ import annotations

import re
import uuid
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
    return uuid.uuid4().hex


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
