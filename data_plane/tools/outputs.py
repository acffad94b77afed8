"""Output schemas every client can check: portable (no type arrays) and fitting error results too.

The TypeScript SDK v1 (and the Inspector) validate ``structuredContent``
against a tool's ``outputSchema`` whenever it is present, ``isError`` results
included, and replace the result with their own error when it does not fit. So
each output schema says "the success shape, or ``{"error": {...}}``".
"""

from __future__ import annotations

from typing import Any

ERROR: dict[str, Any] = {
    "type": "object",
    "description": "Present instead of the result when isError is true.",
    "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "sqlstate": {"type": "string"},
        "detail": {"type": "string"}, "hint": {"type": "string"}, "position": {"type": "integer"},
    },
    "required": ["code", "message"],
}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null, without a type array."""
    return {"anyOf": [schema, {"type": "null"}]}


def output(properties: dict[str, Any], required: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """An object output schema whose instances are either the success shape or an error."""
    return {
        "type": "object",
        "properties": {**properties, "error": ERROR},
        "anyOf": [{"required": list(required)}, {"required": ["error"]}],
    }
