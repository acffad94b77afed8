"""The SQL guards on a real endpoint database: the owner role could, the tools refuse, nothing changes."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from control_plane.providers.base import ProvisionedDatabase
from data_plane.guard.functions import HARMLESS_VOLATILE, READ_BUILTINS
from data_plane.tools import call_tool
from tests.tools.conftest import LIMITS, item_rows

DATABASE_COMMENT = """
SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()
"""
VOLATILE_ON_THE_SERVER = """
SELECT DISTINCT proname FROM pg_proc
WHERE pronamespace = 'pg_catalog'::regnamespace AND provolatile = 'v' AND proname = ANY($1::text[])
"""
ADVISORY_LOCKS = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"


class Undo(Exception):
    """Raised to roll back a transaction that only proves the owner role could do something."""


def refusal(result: dict[str, Any]) -> str:
    """The guard's reason in a tool result, which must be a refusal."""
    assert result["isError"] is True, result
    error = result["structuredContent"]["error"]
    assert error["code"] == "refused", error
    return str(error["message"])


async def test_execute_refuses_alter_role_and_the_password_still_works(
    owner: asyncpg.Connection, endpoint_db: ProvisionedDatabase
) -> None:
    sql = "ALTER ROLE CURRENT_USER PASSWORD 'taken-over'"
    outcome = await call_tool("execute", {"sql": sql}, owner, LIMITS)
    assert "ALTER ROLE" in refusal(outcome.result)
    again = await asyncpg.connect(endpoint_db.owner_dsn)
    assert await again.fetchval("SELECT 1") == 1
    await again.close()


async def test_execute_refuses_comment_on_database_and_the_comment_stays(owner: asyncpg.Connection) -> None:
    name, before = await owner.fetchval("SELECT current_database()"), await owner.fetchval(DATABASE_COMMENT)
    sql = f"COMMENT ON DATABASE {name} IS 'not a berth endpoint'"
    with pytest.raises(Undo):  # The owner role may do it: only the guard stands in the way.
        async with owner.transaction():
            await owner.execute(sql)
            raise Undo
    outcome = await call_tool("execute", {"sql": sql}, owner, LIMITS)
    assert "COMMENT ON DATABASE" in refusal(outcome.result)
    assert await owner.fetchval(DATABASE_COMMENT) == before


async def test_execute_refuses_settings_written_through_pg_settings(owner: asyncpg.Connection) -> None:
    before = await owner.fetchval("SELECT current_setting('statement_timeout')")
    for sql in (
        "UPDATE pg_settings SET setting = '0' WHERE name = 'statement_timeout'",
        "CREATE VIEW settings AS SELECT * FROM pg_settings",
        "SELECT set_config('statement_timeout', '0', false)",
    ):
        outcome = await call_tool("execute", {"sql": sql}, owner, LIMITS)
        refusal(outcome.result)
    assert await owner.fetchval("SELECT current_setting('statement_timeout')") == before
    assert await owner.fetchval("SELECT to_regclass('settings')") is None


async def test_execute_refuses_grants_and_security_definer_functions(owner: asyncpg.Connection) -> None:
    before = await owner.fetchval("SELECT relacl::text FROM pg_class WHERE relname = 'items'")
    for sql in (
        "GRANT ALL ON items TO PUBLIC",
        "CREATE FUNCTION berth_definer() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'",
    ):
        outcome = await call_tool("execute", {"sql": sql}, owner, LIMITS)
        refusal(outcome.result)
    assert await owner.fetchval("SELECT relacl::text FROM pg_class WHERE relname = 'items'") == before
    assert await owner.fetchval("SELECT to_regproc('berth_definer')") is None


async def test_execute_still_runs_ordinary_ddl_and_dml(owner: asyncpg.Connection) -> None:
    for sql in (
        "CREATE TABLE berth_notes (id serial PRIMARY KEY, made timestamptz DEFAULT now(), body text)",
        "CREATE INDEX berth_notes_made ON berth_notes (made)",
        "COMMENT ON COLUMN berth_notes.body IS 'what was said'",
        "CREATE FUNCTION berth_note_count() RETURNS bigint LANGUAGE sql STABLE AS "
        "'SELECT count(*) FROM berth_notes'",
        "INSERT INTO berth_notes (body) VALUES ('hello') RETURNING id",
        "DROP TABLE berth_notes CASCADE",
    ):
        outcome = await call_tool("execute", {"sql": sql}, owner, LIMITS)
        assert outcome.result["isError"] is False, (sql, outcome.result)
    await owner.execute("DROP FUNCTION berth_note_count()")


async def test_query_refuses_attribute_notation_calls_and_takes_no_lock(
    reader: asyncpg.Connection, owner: asyncpg.Connection
) -> None:
    before = await item_rows(owner)
    for sql in ("SELECT (42::bigint).pg_advisory_lock", "SELECT (0.5::float8).pg_sleep"):
        outcome = await call_tool("query", {"sql": sql}, reader, LIMITS)
        assert "it calls pg_" in refusal(outcome.result)
    assert await reader.fetchval(ADVISORY_LOCKS) == 0
    assert await item_rows(owner) == before


async def test_no_read_allow_listed_function_is_volatile_on_this_server(owner: asyncpg.Connection) -> None:
    volatile = {row[0] for row in await owner.fetch(VOLATILE_ON_THE_SERVER, sorted(READ_BUILTINS))}
    assert volatile <= HARMLESS_VOLATILE
