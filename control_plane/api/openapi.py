"""The error responses each /v1 operation documents, built from the one error catalogue.

``responses(*codes)`` groups codes by status and gives each status the real
body, ``{"error": {"code", "message", "fields"?}}``, with ``code`` an enum of
the codes that status can carry for that operation.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from control_plane.errors import BY_CODE

AUTH = ("missing_credentials", "invalid_credentials", "not_a_member", "tenant_inactive", "role_forbidden",
        "unavailable")
BODY = ("invalid_json", "unsupported_media_type", "payload_too_large", "invalid_request")
QUERY = ("invalid_request",)
ENDPOINT = ("not_found",)

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


def _response(status: int, codes: list[str]) -> dict[str, Any]:
    described = "; ".join(f"`{c}`: {BY_CODE[c].meaning}" for c in codes)
    answer: dict[str, Any] = {
        "description": described,
        "content": {"application/json": {"schema": error_schema(codes)}},
    }
    if status in (429, 503):
        answer["headers"] = RETRY_AFTER
    return answer


def responses(*codes: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of an operation that can fail with ``codes`` (each in the catalogue)."""
    by_status: dict[int, list[str]] = defaultdict(list)
    for code in dict.fromkeys(codes):
        by_status[BY_CODE[code].status].append(code)
    return {status: _response(status, found) for status, found in sorted(by_status.items())}
