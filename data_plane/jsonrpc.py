"""JSON-RPC 2.0 for MCP on one POST: parse, check the envelope, tell the eras apart, build replies.

The 2026-07-28 era checks run in the order the spec's ladder gives (and the
official SDK follows): ``_meta`` envelope (-32602), routing headers against
the body (-32020), then the protocol version (-32022).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import orjson

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
HEADER_MISMATCH = -32020
MISSING_CAPABILITY = -32021
UNSUPPORTED_VERSION = -32022

MODERN_VERSIONS = ("2026-07-28",)
LEGACY_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
VERSION_KEY = "io.modelcontextprotocol/protocolVersion"
CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities"
NAME_PARAMS = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
# HTTP status per error code: the modern era follows the spec's table, the legacy era only marks bad bodies
MODERN_STATUS = {PARSE_ERROR: 400, INVALID_REQUEST: 400, INVALID_PARAMS: 400, HEADER_MISMATCH: 400,
                 MISSING_CAPABILITY: 400, UNSUPPORTED_VERSION: 400, METHOD_NOT_FOUND: 404}
LEGACY_STATUS = {PARSE_ERROR: 400, INVALID_REQUEST: 400}


class RpcError(Exception):
    """A JSON-RPC error reply for the request being served."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


@dataclass(frozen=True, slots=True)
class Message:
    """One request (``id`` set) or notification (``is_notification``)."""

    id: Any
    method: str
    params: dict[str, Any]
    is_notification: bool


def parse(body: bytes) -> Message:
    """The one JSON-RPC message in a POST body; RpcError -32700 or -32600 otherwise."""
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RpcError(PARSE_ERROR, "Parse error: the body is not JSON") from exc
    if not isinstance(decoded, dict) or decoded.get("jsonrpc") != "2.0":
        raise RpcError(INVALID_REQUEST, "Body must be a single JSON-RPC 2.0 request or notification object")
    method, params = decoded.get("method"), decoded.get("params", {})
    request_id = decoded.get("id")
    if not isinstance(method, str) or not isinstance(params, dict) or (
            "id" in decoded and (isinstance(request_id, bool) or not isinstance(request_id, str | int))):
        raise RpcError(INVALID_REQUEST, "Body must be a single JSON-RPC 2.0 request or notification object")
    return Message(request_id, method, params, "id" not in decoded)


def is_modern(version_header: str | None, message: Message) -> bool:
    """Modern when the header names a modern version, or the body carries the modern envelope."""
    if version_header is not None:
        return version_header not in LEGACY_VERSIONS
    meta = message.params.get("_meta")
    return isinstance(meta, dict) and VERSION_KEY in meta


def check_modern(message: Message, headers: dict[str, str], duplicated: str | None) -> str:
    """The modern ladder for one request; returns its protocol version or raises RpcError."""
    if duplicated is not None:
        raise RpcError(HEADER_MISMATCH, f"{duplicated} header appears more than once")
    meta = message.params.get("_meta")
    if not isinstance(meta, dict):
        raise RpcError(INVALID_PARAMS, f"params._meta must be an object carrying {VERSION_KEY!r} and "
                                       f"{CAPABILITIES_KEY!r}")
    missing = [key for key in (VERSION_KEY, CAPABILITIES_KEY) if key not in meta]
    if missing:
        raise RpcError(INVALID_PARAMS, f"params._meta is missing {', '.join(missing)}")
    version = meta[VERSION_KEY]
    if headers.get("mcp-protocol-version") != version:
        raise RpcError(HEADER_MISMATCH, "MCP-Protocol-Version header does not match params._meta")
    if headers.get("mcp-method") != message.method:
        raise RpcError(HEADER_MISMATCH, "Mcp-Method header does not match the request's method")
    name_key = NAME_PARAMS.get(message.method)
    if name_key is not None and message.params.get(name_key) is not None \
            and _header_value(headers.get("mcp-name")) != message.params.get(name_key):
        raise RpcError(HEADER_MISMATCH, f"Mcp-Name header does not match params.{name_key}")
    if not isinstance(version, str):
        raise RpcError(INVALID_PARAMS, "the protocol version must be a string")
    if version not in MODERN_VERSIONS:
        raise unsupported(version)
    return version


def _header_value(value: str | None) -> str | None:
    """A header as sent, or the text inside the spec's ``=?base64?...?=`` wrapping."""
    if value is None or not (value.startswith("=?base64?") and value.endswith("?=")):
        return value
    try:
        return base64.b64decode(value[9:-2], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def unsupported(requested: str) -> RpcError:
    return RpcError(UNSUPPORTED_VERSION, "Unsupported protocol version",
                    {"supported": [*MODERN_VERSIONS, *LEGACY_VERSIONS], "requested": requested})


def result(request_id: Any, body: dict[str, Any]) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "result": body})


def error(request_id: Any, exc: RpcError, *, modern: bool) -> tuple[int, bytes]:
    """The HTTP status and body of an error reply."""
    payload: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.data is not None:
        payload["data"] = exc.data
    status = (MODERN_STATUS if modern else LEGACY_STATUS).get(exc.code, 200)
    return status, orjson.dumps({"jsonrpc": "2.0", "id": request_id, "error": payload})
