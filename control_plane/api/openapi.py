"""The error responses each /v1 operation documents, built from the error classes.

``responses(*errors)`` groups the classes' codes by status and gives each
status the real body, ``{"error": {"code", "message", "fields"?}}``, with
``code`` an enum of the codes that status can carry for that operation and
each code's meaning (its class docstring) in the description.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from control_plane.errors import (
    BY_CODE,
    BerthError,
    InvalidCredentials,
    InvalidInput,
    InvalidJson,
    MissingCredentials,
    NotAMember,
    NotFound,
    PayloadTooLarge,
    RoleForbidden,
    TenantInactive,
    Unavailable,
    UnsupportedMediaType,
)

Errors = tuple[type[BerthError], ...]

AUTH: Errors = (MissingCredentials, InvalidCredentials, NotAMember, TenantInactive, RoleForbidden,
        Unavailable)
BODY: Errors = (InvalidJson, UnsupportedMediaType, PayloadTooLarge, InvalidInput)
QUERY: Errors = (InvalidInput,)
ENDPOINT: Errors = (NotFound,)

FIELDS_SCHEMA = {
    "type": "array",
    "description": "every failing field, on a 422",
    "items": {
        "type": "object",
        "required": ["field", "message"],
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
    },
}
RETRY_AFTER = {"Retry-After": {"description": "seconds before a retry", "schema": {"type": "integer"}}}
ALLOW_HEADER = {"Allow": {"description": "the methods the path takes", "schema": {"type": "string"}}}


def header(status: int, name: str, description: str) -> dict[int | str, dict[str, Any]]:
    """A response header an operation documents, to merge into its ``responses=``."""
    return {status: {"headers": {name: {"description": description, "schema": {"type": "string"}}}}}


def error_schema(codes: list[str]) -> dict[str, Any]:
    """The JSON schema of an error body whose code is one of ``codes``."""
    return {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "enum": codes},
                "message": {"type": "string"},
                "fields": FIELDS_SCHEMA,
            },
        }},
    }


def _response(status: int, errors: list[type[BerthError]]) -> dict[str, Any]:
    described = "; ".join(f"`{e.code}`: {BY_CODE[e.code].meaning}" for e in errors)
    answer: dict[str, Any] = {
        "description": described,
        "content": {"application/json": {"schema": error_schema([e.code for e in errors])}},
    }
    if status in (429, 503):
        answer["headers"] = RETRY_AFTER
    return answer


def responses(*errors: type[BerthError]) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of an operation that can fail with ``errors``, each a class naming its own code."""
    by_status: dict[int, list[type[BerthError]]] = defaultdict(list)
    for error in dict.fromkeys(errors):
        by_status[error.status].append(error)
    return {status: _response(status, found) for status, found in sorted(by_status.items())}
