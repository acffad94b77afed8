"""The one place asyncpg's exceptions become tool results (the caller's mistakes) or Berth errors (ours).

Mapped by exception family, never by message text:

    QueryCanceledError (57014)                     -> isError, "timeout", suggests narrowing the query
    the server or the connection failing           -> control_plane.errors.EndpointUnavailable (retryable)
        08 connection, 53 resources, 57 operator, 58 system, XX internal, F0 config, client-side
    every other PostgresError (syntax, access,     -> isError with SQLSTATE, message, hint, position
        data, constraint, read-only transaction...)
"""

from __future__ import annotations

import asyncpg
from asyncpg import exceptions as pg

from control_plane.errors import EndpointUnavailable
from data_plane.tools.contract import QueryLimits, ToolOutcome
from data_plane.tools.results import failure

# Failures of the database or of the link to it: nothing the agent wrote caused them.
_OURS: tuple[type[BaseException], ...] = (
    pg.PostgresConnectionError,
    pg.InsufficientResourcesError,
    pg.OperatorInterventionError,
    pg.PostgresSystemError,
    pg.InternalServerError,
    pg.ConfigFileError,
    asyncpg.InterfaceError,
    # A connection cut during a query and used again ("another operation is in progress").
    pg.InternalClientError,
    OSError,
)

# What the tools catch around a database call; everything here goes through ``translate``.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (asyncpg.PostgresError, asyncpg.InterfaceError,
                                                    pg.InternalClientError, OSError)


def translate(exc: BaseException, limits: QueryLimits, *, offset: int = 0) -> ToolOutcome:
    """An isError result for an error the caller caused; raises ``EndpointUnavailable`` for one they did not.

    ``offset`` is how many characters the tool put before the caller's SQL, so a
    reported position points into the text the caller sent.
    """
    if isinstance(exc, pg.QueryCanceledError):
        return _timeout(exc, limits)
    if isinstance(exc, _OURS) or not isinstance(exc, asyncpg.PostgresError):
        # The same failure as a pool that cannot connect (pools.py), so the same code: endpoint_unavailable.
        raise EndpointUnavailable("the endpoint's database is unavailable; retry shortly") from exc
    return _caller_error(exc, offset)


def _timeout(exc: pg.QueryCanceledError, limits: QueryLimits) -> ToolOutcome:
    message = (
        f"The query was cancelled at the {limits.statement_timeout_ms} ms statement timeout. "
        "Narrow it: filter with WHERE, add a LIMIT, aggregate, or use indexed columns."
    )
    return failure({"code": "timeout", "sqlstate": exc.sqlstate, "message": message}, message)


def _caller_error(exc: asyncpg.PostgresError, offset: int) -> ToolOutcome:
    sqlstate = getattr(exc, "sqlstate", None) or ""
    message = getattr(exc, "message", None) or str(exc)
    error: dict[str, object] = {"code": "sql_error", "sqlstate": sqlstate, "message": message}
    for field in ("detail", "hint"):
        value = getattr(exc, field, None)
        if value:
            error[field] = value
    position = getattr(exc, "position", None)
    if position and int(position) > offset:
        error["position"] = int(position) - offset
    text = f"SQL error {sqlstate}: {message}"
    if "hint" in error:
        text += f"\nHint: {error['hint']}"
    if "position" in error:
        text += f"\nAt character {error['position']} of the SQL."
    return failure(error, text)
