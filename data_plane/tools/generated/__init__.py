"""Tools generated from an endpoint's schema: list, get, search, filter, count, summarize, follow keys, write.

``cache.SchemaCatalogs`` holds one ``catalog.Catalog`` per endpoint and role,
rebuilt when the schema's fingerprint changes; ``call`` runs one generated tool.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
from asyncpg import exceptions as pg

from data_plane.tools.contract import QueryLimits, ToolOutcome
from data_plane.tools.generated.spec import GeneratedTool
from data_plane.tools.results import failure
from data_plane.tools.sqlerrors import DATABASE_ERRORS, translate

# The table or a column the tool was built for is gone: the schema changed since tools/list.
SCHEMA_CHANGED = (pg.UndefinedTableError, pg.UndefinedColumnError, pg.UndefinedObjectError,
                  pg.DatatypeMismatchError, pg.InvalidCachedStatementError, pg.FeatureNotSupportedError)


async def call(tool: GeneratedTool, arguments: Mapping[str, Any], conn: asyncpg.Connection,
               limits: QueryLimits) -> ToolOutcome:
    """Run one generated tool; the caller's and the schema's surprises come back as ``isError``."""
    try:
        return await tool.run(arguments, conn, limits)
    except SCHEMA_CHANGED as exc:
        return schema_changed(tool.name, str(exc))
    except DATABASE_ERRORS as exc:
        return translate(exc, limits)


def schema_changed(name: str, detail: str = "") -> ToolOutcome:
    message = (f"{name} no longer matches the endpoint's schema (it changed since the tool list was read). "
               "Call tools/list again, or use describe_table and query.")
    error = {"code": "schema_changed", "message": message}
    if detail:
        error["detail"] = detail
    return failure(error, message)
