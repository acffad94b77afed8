"""Steps 2-5 of ``tools/call``: scope, rate limit, the endpoint's pool, the tool, the audit row."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg

from control_plane.errors import EndpointUnavailable, InsufficientScope, Unavailable
from control_plane.observability.context import current_request_id
from control_plane.observability.metrics import Metrics
from data_plane.audit import AuditBuffer, args_digest
from data_plane.auth import Grant
from data_plane.catalog import AuditRow
from data_plane.imports.tools import ImportTools
from data_plane.jsonrpc import INVALID_PARAMS, RpcError
from data_plane.pools import Pools
from data_plane.ratelimit import Limiter, LimitExceeded
from data_plane.tools import QueryLimits, ToolArgumentError, ToolOutcome, UnknownTool, generated
from data_plane.tools.generated.cache import SchemaCatalogs
from data_plane.tools.generated.catalog import Catalog, ToolSettings, looks_generated
from data_plane.tools.generated.spec import GeneratedTool

ACQUIRE_TIMEOUT = 5.0
# Command statuses of statements that change rows, not the schema.
_DATA_STATUSES = ("INSERT", "UPDATE", "DELETE", "MERGE", "SELECT", "COPY")
# InternalClientError: a connection cut mid-query fails its reset on release (its Postgres restarting).
POOL_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError,
               asyncpg.InternalClientError)


class Toolbox(Protocol):
    """What ``data_plane.tools`` offers; a stand-in can take its place in tests."""

    def tool_definitions(self, can_write: bool) -> list[dict[str, Any]]: ...

    def is_write_tool(self, name: str) -> bool: ...

    def call_tool(self, name: str, arguments: Mapping[str, Any] | None, conn: asyncpg.Connection,
                  limits: QueryLimits) -> Awaitable[ToolOutcome]: ...


@dataclass
class Calls:
    tools: Toolbox
    limiter: Limiter
    pools: Pools
    audit: AuditBuffer
    limits: QueryLimits
    clock: Callable[[], float] = time.time
    metrics: Metrics | None = None
    schemas: SchemaCatalogs | None = None
    imports: ImportTools | None = None  # import_file / import_url / get_import, for write tokens
    _generic: frozenset[str] = field(init=False, default=frozenset())

    def __post_init__(self) -> None:
        self._generic = frozenset(t["name"] for t in self.tools.tool_definitions(True))

    async def list_tools(self, grant: Grant) -> list[dict[str, Any]]:
        """The generic tools and the endpoint's generated ones; generic ones alone if its database is down."""
        extra = self.imports.definitions() if self.imports is not None and grant.can_write else []
        try:
            definitions = (await self.catalog(grant)).definitions
        except Unavailable:
            definitions = self.tools.tool_definitions(grant.can_write)
        return [*definitions, *extra] if extra else definitions

    async def catalog(self, grant: Grant, pool: asyncpg.Pool | None = None) -> Catalog:
        """The endpoint's schema and tools as this grant sees them, from the per-schema-version cache;
        Unavailable when its database cannot be read and nothing is cached (or no cache is set up)."""
        if self.schemas is None:
            raise EndpointUnavailable("the endpoint's schema is not available here")
        if pool is None:
            pool = await self.pools.get(grant)
        return await self.schemas.get(grant.endpoint_id, grant.can_write, _settings(grant), pool)

    async def _generated(self, grant: Grant, name: str, pool: asyncpg.Pool) -> GeneratedTool | None:
        if self.schemas is None or name in self._generic:
            return None
        return (await self.catalog(grant, pool)).tools.get(name)

    async def call(self, grant: Grant, params: dict[str, Any]) -> dict[str, Any]:
        """The ``CallToolResult`` of one call; raises RpcError, Forbidden, LimitExceeded or Unavailable."""
        name, arguments = params.get("name"), params.get("arguments") or {}
        if not isinstance(name, str) or not isinstance(arguments, dict):
            raise RpcError(INVALID_PARAMS, "tools/call needs a string name and an object of arguments")
        importing = self.imports is not None and self.imports.handles(name)
        if (importing or self.tools.is_write_tool(name)) and not grant.can_write:
            self._record(grant, name, arguments, "denied", 0.0, 0)
            raise InsufficientScope(f"{name} needs a token with the mcp:write scope")
        decision = await self.limiter.hit(grant.endpoint_id, grant.plan)
        if not decision.allowed:
            if self.metrics is not None:
                self.metrics.refused(decision.reason)
            raise LimitExceeded(decision)
        if importing and self.imports is not None:
            return await self._import(grant, name, arguments, self.imports)
        pool = await self.pools.get(grant)
        started = time.perf_counter()
        try:
            made = await self._generated(grant, name, pool)
            outcome = await self._run(pool, name, arguments, made)
        except Unavailable:
            self._record(grant, name, arguments, "error", (time.perf_counter() - started) * 1000, 0)
            raise
        elapsed = (time.perf_counter() - started) * 1000
        status = "error" if outcome.result.get("isError") else "ok"
        self._after(grant, name, outcome)
        self._record(grant, name, arguments, status, elapsed, outcome.rows)
        return outcome.result

    async def _import(self, grant: Grant, name: str, arguments: dict[str, Any],
                      imports: ImportTools) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            outcome = await imports.call(grant, name, arguments)
        except Unavailable:
            self._record(grant, name, arguments, "error", (time.perf_counter() - started) * 1000, 0)
            raise
        except ToolArgumentError as exc:
            raise RpcError(INVALID_PARAMS, f"Invalid arguments for {name}: {exc}") from exc
        status = "error" if outcome.result.get("isError") else "ok"
        self._record(grant, name, arguments, status, (time.perf_counter() - started) * 1000, 0)
        return outcome.result

    def _after(self, grant: Grant, name: str, outcome: ToolOutcome) -> None:
        """The schema may have changed (DDL through execute, a stale tool): read it again on next use."""
        if self.schemas is None:
            return
        structured = outcome.result.get("structuredContent") or {}
        status = str(structured.get("status", "")) if name == "execute" else ""
        changed = (structured.get("error") or {}).get("code") == "schema_changed"
        if changed or (status and not status.startswith(_DATA_STATUSES)):
            self.schemas.stale(grant.endpoint_id)

    async def _run(self, pool: asyncpg.Pool, name: str, arguments: dict[str, Any],
                   made: GeneratedTool | None) -> ToolOutcome:
        try:
            # asyncio.timeout costs a timer; acquire(timeout=) would cost a task per call
            async with asyncio.timeout(ACQUIRE_TIMEOUT):
                conn = await pool.acquire()
        except POOL_ERRORS as exc:
            raise EndpointUnavailable("the endpoint's database is unreachable") from exc
        try:
            if made is not None:
                return await generated.call(made, arguments, conn, self.limits)
            return await self.tools.call_tool(name, arguments, conn, self.limits)
        except UnknownTool as exc:
            if self.schemas is not None and looks_generated(name):
                return generated.schema_changed(name)
            raise RpcError(INVALID_PARAMS, f"Unknown tool: {name}") from exc
        except ToolArgumentError as exc:
            raise RpcError(INVALID_PARAMS, f"Invalid arguments for {name}: {exc}") from exc
        except POOL_ERRORS as exc:
            raise EndpointUnavailable("the endpoint's database is unreachable") from exc
        finally:
            with contextlib.suppress(*POOL_ERRORS):  # a pool terminated meanwhile has let it go already
                await pool.release(conn)

    def record_use(self, grant: Grant, method: str) -> None:
        """A support request that runs no tool (initialize, tools/list, ...), audited with its method."""
        self.audit.record(AuditRow(
            grant.tenant_id, grant.endpoint_id, grant.token_id, method[:200], "ok", args_digest({}), 0.0, 0,
            datetime.fromtimestamp(self.clock(), UTC), current_request_id(), grant.support))

    def _record(self, grant: Grant, tool: str, arguments: dict[str, Any], outcome: str,
                duration_ms: float, rows: int) -> None:
        self.audit.record(AuditRow(
            grant.tenant_id, grant.endpoint_id, grant.token_id, tool[:200], outcome, args_digest(arguments),
            duration_ms, rows, datetime.fromtimestamp(self.clock(), UTC), current_request_id(),
            grant.support))
        if self.metrics is not None:
            self.metrics.tool_call(tool, outcome, duration_ms / 1000)


def _settings(grant: Grant) -> ToolSettings:
    return ToolSettings(grant.tool_cap, grant.allow_writes)
