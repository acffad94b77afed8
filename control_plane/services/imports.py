"""Imports as the tenant sees them: upload a file into an endpoint, list and read the imports.

An upload is two steps, so a caller that reads a form can spool its file
before it has read the fields that say what to do with it: ``receive``
spools the streamed body within the endpoint's plan's limit (over it is 413
and nothing is kept), then ``commit`` inserts the import row and its
``import`` job in one transaction (``record``, which the endpoint made from
a file shares) or removes the spool file when refused. ``start`` is both, for
a body that is the file. The worker loads it (``jobs/steps/imports.py``).
Another tenant's endpoint or import is ``NotFound``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePath
from typing import Any
from uuid import UUID

import asyncpg

from control_plane.catalog.endpoints import EndpointStatus
from control_plane.catalog.jobs import Kind, enqueue
from control_plane.errors import (
    EndpointNotReady,
    InvalidInput,
    InvalidLimit,
    NotFound,
    UnknownFormat,
)
from control_plane.imports import spool, store
from control_plane.imports.intake import CONTENT_TYPES, EXTENSIONS
from control_plane.imports.names import safe_name
from control_plane.imports.spool import Spooled
from control_plane.imports.store import Format, Import, Mode, NewImport
from control_plane.services import audit
from control_plane.services.context import Caller, Context, transaction
from control_plane.services.endpoints import Ref, resolve
from control_plane.services.permissions import Permission, check

MAX_LIST = 100
ENDPOINT = "SELECT plan, status FROM endpoints WHERE id = $1 AND tenant_id = $2"


class Encoding(StrEnum):
    """The encodings a CSV or TSV may be declared in (detected when none is)."""

    UTF8 = "utf-8"
    UTF8_SIG = "utf-8-sig"
    UTF16 = "utf-16"
    UTF16_LE = "utf-16-le"
    UTF16_BE = "utf-16-be"
    CP1252 = "cp1252"
    LATIN1 = "latin-1"


ENCODINGS = frozenset(Encoding)


class Delimiter(StrEnum):
    """The field separators a CSV may be declared to use (detected among the first four when none is)."""

    COMMA = ","
    SEMICOLON = ";"
    TAB = "\t"
    PIPE = "|"
    COLON = ":"



@dataclass(frozen=True)
class Upload:
    """What the caller says about a file: format (or how to guess it), table, mode and reading options."""

    format: str | None = None
    content_type: str | None = None
    filename: str | None = None
    table: str | None = None
    mode: str = Mode.CREATE
    options: dict[str, Any] = field(default_factory=dict)


def resolve_format(upload: Upload) -> Format:
    """``format`` first, then the Content-Type, then the file name's extension."""
    if upload.format:
        try:
            return Format(upload.format.lower())
        except ValueError:
            raise UnknownFormat(f"unknown format; choose one of {', '.join(Format)}") from None
    media = (upload.content_type or "").split(";")[0].strip().lower()
    if media in CONTENT_TYPES:
        return CONTENT_TYPES[media]
    suffix = PurePath(upload.filename or "").suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    raise UnknownFormat("say the format: ?format=csv|tsv|json|ndjson|xlsx|parquet|sql|markdown, a "
                        "Content-Type, or a file name with its extension")


def _mode(value: str) -> Mode:
    try:
        return Mode(value)
    except ValueError:
        raise InvalidInput("mode must be create, replace or append") from None


def _options(options: dict[str, Any], fmt: Format, filename: str | None) -> dict[str, Any]:
    """Reading options as given; the API's query types and the CLI's choices have checked them."""
    encoding = options.get("encoding")
    if encoding is not None and str(encoding).lower() not in ENCODINGS:
        raise InvalidInput(f"encoding must be one of {', '.join(sorted(ENCODINGS))}")
    if fmt is Format.MARKDOWN and filename:
        options = {**options, "filename": PurePath(filename).name}  # a single document's path
    return {k: v for k, v in options.items() if v is not None}


def table_name(upload: Upload) -> str:
    return safe_name(upload.table or PurePath(upload.filename or "").stem, "data")


def read(upload: Upload) -> tuple[Format, Mode, dict[str, Any]]:
    """What an upload says, checked: its format, its mode and its reading options."""
    fmt = resolve_format(upload)
    return fmt, _mode(upload.mode), _options(upload.options, fmt, upload.filename)


async def _ready_endpoint(conn: asyncpg.Connection, caller: Caller, endpoint: Ref) -> tuple[UUID, str]:
    """The endpoint's id and plan, when the caller may import into it and it is ready."""
    await check(conn, caller, Permission.IMPORTS)
    endpoint_id = await resolve(conn, caller, endpoint)
    row = await conn.fetchrow(ENDPOINT, endpoint_id, caller.tenant_id)
    if row is None:
        raise NotFound("no such endpoint")
    if row["status"] != EndpointStatus.READY:
        raise EndpointNotReady(f"the endpoint is {row['status']}; imports need a ready endpoint")
    return endpoint_id, row["plan"]


async def receive(ctx: Context, caller: Caller, endpoint: Ref, chunks: AsyncIterator[bytes], *,
                  spool_dir: Path, declared_length: int | None = None) -> Spooled:
    """Spool a file for a ready endpoint; over its plan's limit (declared, or while it streams) is 413."""
    async with transaction(ctx, caller.tenant_id) as conn:
        _, plan = await _ready_endpoint(conn, caller, endpoint)
    return await spool.receive(spool_dir, chunks, limit=ctx.import_limit(plan), plan=plan,
                               declared=declared_length)


async def record(ctx: Context, conn: asyncpg.Connection, caller: Caller, endpoint_id: UUID, plan: str,
                 upload: Upload, spooled: Spooled) -> Import:
    """In the caller's transaction: the spooled file held to ``plan``'s limit, its import row, its job."""
    fmt, mode, options = read(upload)
    limit = ctx.import_limit(plan)
    if spooled.size > limit:
        raise spool.too_large(limit, plan)
    made = await store.insert(conn, NewImport(
        spooled.import_id, caller.tenant_id, endpoint_id, fmt, table_name(upload), mode, options,
        str(spooled.path), spooled.size, caller.actor, caller.request_id))
    await enqueue(conn, Kind.IMPORT, {"import_id": str(made.id)}, tenant_id=caller.tenant_id)
    await audit.record(conn, caller, "endpoint.import.queued", made.id, endpoint_id=endpoint_id,
                       detail={"format": fmt.value, "mode": mode.value, "bytes": spooled.size})
    return made


async def commit(ctx: Context, caller: Caller, endpoint: Ref, upload: Upload, spooled: Spooled) -> Import:
    """Record a spooled file's import into a ready endpoint; the spool file is removed when refused."""
    try:
        async with transaction(ctx, caller.tenant_id) as conn:
            endpoint_id, plan = await _ready_endpoint(conn, caller, endpoint)
            return await record(ctx, conn, caller, endpoint_id, plan, upload, spooled)
    except BaseException:
        spool.discard(spooled.path)
        raise


async def start(ctx: Context, caller: Caller, endpoint: Ref, upload: Upload, chunks: AsyncIterator[bytes],
                *, spool_dir: Path, declared_length: int | None = None) -> Import:
    """Spool the body, then record the import and enqueue its job in one transaction."""
    read(upload)  # a bad format or mode is refused before a byte is spooled
    spooled = await receive(ctx, caller, endpoint, chunks, spool_dir=spool_dir,
                            declared_length=declared_length)
    return await commit(ctx, caller, endpoint, upload, spooled)


async def get(ctx: Context, caller: Caller, endpoint: Ref, import_id: UUID) -> Import:
    async with transaction(ctx, caller.tenant_id) as conn:
        endpoint_id = await resolve(conn, caller, endpoint)
        found = await store.get(conn, caller.tenant_id, endpoint_id, import_id)
    if found is None:
        raise NotFound("no such import")
    return found


async def list_imports(ctx: Context, caller: Caller, endpoint: Ref, *, limit: int = 50) -> list[Import]:
    if not 1 <= limit <= MAX_LIST:
        raise InvalidLimit(f"limit must be between 1 and {MAX_LIST}")
    async with transaction(ctx, caller.tenant_id) as conn:
        endpoint_id = await resolve(conn, caller, endpoint)
        return await store.list_for(conn, caller.tenant_id, endpoint_id, limit)
