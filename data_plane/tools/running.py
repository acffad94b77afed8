"""Running one statement for a tool: inside a transaction with a statement timeout, extended protocol only.

Agent SQL only ever travels as a prepared statement (``fetch`` / ``prepare``),
which Postgres refuses to hold more than one command in, so text like
``BEGIN READ ONLY; COMMIT; INSERT ...`` cannot run even if the guard let it by.
The simple-protocol ``execute`` below only ever sends Berth's own constant text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from data_plane.tools.contract import QueryLimits
from data_plane.tools.sqlerrors import DATABASE_ERRORS

# A schema change since asyncpg cached the statement; asyncpg drops the entry, and retries
# by itself only outside a transaction, so the explicit path retries once here.
_STALE_STATEMENT = (asyncpg.InvalidCachedStatementError, asyncpg.OutdatedSchemaCacheError)
# Beyond the server-side timeout, a client-side one catches a server that stopped answering.
_CLIENT_GRACE_SECONDS = 5.0


def _begin(limits: QueryLimits, *, read_only: bool) -> str:
    # One simple-protocol message carries both, so opening the transaction costs one round trip.
    # The timeout is Berth's own integer setting, never caller input.
    mode = "BEGIN READ ONLY" if read_only else "BEGIN READ WRITE"
    return f"{mode}; SET LOCAL statement_timeout = {int(limits.statement_timeout_ms)}"


def _client_timeout(limits: QueryLimits) -> float:
    return limits.statement_timeout_ms / 1000 + _CLIENT_GRACE_SECONDS


def session_settings(limits: QueryLimits, *, read_only: bool) -> dict[str, str]:
    """Startup parameters for an endpoint pool (``server_settings=``) that make ``preset_session`` true."""
    settings = {"statement_timeout": str(int(limits.statement_timeout_ms))}
    if read_only:
        settings["default_transaction_read_only"] = "on"
    return settings


def _preset_read_only(conn: asyncpg.Connection, limits: QueryLimits) -> bool:
    # Servers from 14 on report this setting with every change, so reading it costs no I/O.
    reported = getattr(conn.get_settings(), "default_transaction_read_only", None)
    return limits.preset_session and reported == "on"


async def fetch_read(
    conn: asyncpg.Connection, sql: str, args: Sequence[Any], limits: QueryLimits
) -> list[asyncpg.Record]:
    """The rows of one read-only statement, in a READ ONLY transaction under the statement timeout."""
    if _preset_read_only(conn, limits):
        # One Bind/Execute/Sync: the implicit transaction is read-only and timed by the session's defaults.
        preset: list[asyncpg.Record] = await conn.fetch(sql, *args, timeout=_client_timeout(limits))
        return preset
    try:
        return await _fetch_in_transaction(conn, sql, args, limits)
    except _STALE_STATEMENT:
        return await _fetch_in_transaction(conn, sql, args, limits)


async def _fetch_in_transaction(
    conn: asyncpg.Connection, sql: str, args: Sequence[Any], limits: QueryLimits
) -> list[asyncpg.Record]:
    await conn.execute(_begin(limits, read_only=True))
    try:
        records: list[asyncpg.Record] = await conn.fetch(sql, *args, timeout=_client_timeout(limits))
    except BaseException:
        await _rollback(conn)
        raise
    await conn.execute("COMMIT")
    return records


async def run_write(
    conn: asyncpg.Connection, sql: str, args: Sequence[Any], limits: QueryLimits
) -> tuple[str, list[asyncpg.Record]]:
    """The command status (``INSERT 0 3``) and any RETURNING rows of one statement, committed."""
    await conn.execute(_begin(limits, read_only=False))
    try:
        statement = await conn.prepare(sql, timeout=_client_timeout(limits))
        records: list[asyncpg.Record] = await statement.fetch(*args, timeout=_client_timeout(limits))
    except BaseException:
        await _rollback(conn)
        raise
    await conn.execute("COMMIT")
    return statement.get_statusmsg(), records


async def _rollback(conn: asyncpg.Connection) -> None:
    # The first error is the one worth reporting; a connection too broken to roll back is
    # discarded by its pool, and the server ends its transaction with the session.
    if conn.is_closed():
        return
    try:
        await conn.execute("ROLLBACK")
    except DATABASE_ERRORS:
        pass
