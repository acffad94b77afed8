"""``import_file``, ``import_url``, ``get_import``: a write token's agent adds data through the import path.

The bytes go to the spool the worker reads (``BERTH_DATA_DIR/imports``, as
for the API), then the import row and its ``import`` job are inserted in one
catalog transaction as ``berth_gateway`` (migration 0011 grants exactly
that). The worker loads it exactly as it loads an upload; ``get_import``
reads the row back, only for the token's own endpoint. The tool call itself
is audited like every other; the worker writes ``endpoint.import``.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from control_plane import errors
from control_plane.catalog.db import CATALOG_DOWN, CATALOG_DOWN_MESSAGE
from control_plane.catalog.jobs import Kind, enqueue
from control_plane.errors import BerthError, NotFound, Unavailable, UnknownFormat
from control_plane.imports import spool, store
from control_plane.imports.intake import guess_format
from control_plane.imports.limits import max_import_bytes
from control_plane.imports.names import safe_name
from control_plane.imports.store import UNFINISHED, Format, Import, Mode, NewImport
from control_plane.observability.context import current_request_id
from data_plane.auth import Grant
from data_plane.imports.definitions import IMPORT_TOOLS, NAMES
from data_plane.imports.fetch import UrlFetcher, body
from data_plane.tools.contract import ToolArgumentError, ToolOutcome
from data_plane.tools.results import data_result, failure

MAX_INLINE_BYTES = 4 * 1024 * 1024
STATE_FIELDS = ("id", "format", "table_name", "mode", "state", "bytes_total", "bytes_done", "rows_done",
                "tables", "errors", "created_at", "finished_at")


@dataclass(frozen=True)
class Options:
    format: Format
    filename: str
    table: str
    mode: Mode


@dataclass
class ImportTools:
    """The three tools over the gateway's catalog pool, the spool and a URL fetcher."""

    pool: asyncpg.Pool
    spool_dir: Path
    fetcher: UrlFetcher
    max_import_bytes: int | None = None  # BERTH_MAX_IMPORT_BYTES: lowers the plans' import limits

    def definitions(self) -> list[dict[str, Any]]:
        return list(IMPORT_TOOLS)

    def handles(self, name: str) -> bool:
        return name in NAMES

    async def call(self, grant: Grant, name: str, arguments: Mapping[str, Any]) -> ToolOutcome:
        """Run one; what the caller got wrong is an ``isError`` result, a catalog outage ``Unavailable``."""
        try:
            if name == "get_import":
                return _shown(await self._get(grant, _import_id(arguments)))
            if name == "import_file":
                return _shown(await self._from_file(grant, arguments))
            return _shown(await self._from_url(grant, arguments))
        except Unavailable:
            raise
        except BerthError as exc:
            return failure(errors.body(exc)["error"], f"Refused: {exc}")

    async def _from_file(self, grant: Grant, arguments: Mapping[str, Any]) -> Import:
        data = _decoded(_text(arguments, "data", required=True))
        options = _options(arguments, None, _text(arguments, "filename") or "")
        if len(data) > min(MAX_INLINE_BYTES, self._limit(grant)):
            raise spool.too_large(min(MAX_INLINE_BYTES, self._limit(grant)), grant.plan)
        return await self._record(grant, options, _once(data))

    async def _from_url(self, grant: Grant, arguments: Mapping[str, Any]) -> Import:
        url = _text(arguments, "url", required=True)
        response, final = await self.fetcher.open(url)
        try:
            filename = _text(arguments, "filename") or PurePosixPath(urlsplit(final).path).name
            options = _options(arguments, response.headers.get("content-type"), filename)
        except BaseException:
            await response.aclose()
            raise
        declared = int(response.headers.get("content-length") or 0)
        if declared > self._limit(grant):
            await response.aclose()
            raise spool.too_large(self._limit(grant), grant.plan)
        return await self._record(grant, options, body(response))

    async def _record(self, grant: Grant, options: Options, chunks: AsyncIterator[bytes]) -> Import:
        spooled = await spool.receive(self.spool_dir, chunks, limit=self._limit(grant), plan=grant.plan)
        import_id, path = spooled.import_id, spooled.path
        extra = {"filename": options.filename} if options.format is Format.MARKDOWN else {}
        new = NewImport(import_id, grant.tenant_id, grant.endpoint_id, options.format, options.table,
                        options.mode, extra, str(path), spooled.size, f"token:{grant.token_id}",
                        current_request_id())
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                made = await store.insert(conn, new)
                await enqueue(conn, Kind.IMPORT, {"import_id": str(import_id)}, tenant_id=grant.tenant_id)
        except CATALOG_DOWN as exc:
            spool.discard(path)
            raise Unavailable(CATALOG_DOWN_MESSAGE) from exc
        except BaseException:
            spool.discard(path)
            raise
        return made

    def _limit(self, grant: Grant) -> int:
        return max_import_bytes(grant.plan, self.max_import_bytes)

    async def _get(self, grant: Grant, import_id: uuid.UUID) -> Import:
        try:
            async with self.pool.acquire() as conn:
                found = await store.get(conn, grant.tenant_id, grant.endpoint_id, import_id)
        except CATALOG_DOWN as exc:
            raise Unavailable(CATALOG_DOWN_MESSAGE) from exc
        if found is None:
            raise NotFound("no such import on this endpoint")
        return found


def _shown(found: Import) -> ToolOutcome:
    values = {name: getattr(found, name) for name in STATE_FIELDS}
    shown = {k: str(v) if isinstance(v, uuid.UUID) or hasattr(v, "isoformat") else v
             for k, v in values.items()}
    waiting = found.state in UNFINISHED
    hint = " Poll get_import with this id until its state is done or failed." if waiting else ""
    return data_result(shown, f"Import {found.id}: {found.state}.{hint}")


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _text(arguments: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = arguments.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise ToolArgumentError(f"{key} must be a string")
    return value


def _decoded(data: str) -> bytes:
    if len(data) > MAX_INLINE_BYTES * 4 // 3 + 4:
        raise spool.too_large(MAX_INLINE_BYTES, "inline")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ToolArgumentError("data must be base64") from exc


def _import_id(arguments: Mapping[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(_text(arguments, "import_id", required=True))
    except ValueError as exc:
        raise ToolArgumentError("import_id must be a UUID") from exc


def _options(arguments: Mapping[str, Any], content_type: str | None, filename: str) -> Options:
    given = _text(arguments, "format")
    try:
        fmt = Format(given) if given else guess_format(content_type, filename)
        mode = Mode(_text(arguments, "mode") or Mode.CREATE.value)
    except ValueError as exc:
        raise ToolArgumentError(f"format or mode is not one of the allowed values: {exc}") from exc
    if fmt is None:
        raise UnknownFormat("say the format, or give a filename with its extension")
    table = safe_name(_text(arguments, "table") or PurePosixPath(filename).stem, "data")
    return Options(fmt, PurePosixPath(filename).name or f"{table}.{fmt.value}", table, mode)
