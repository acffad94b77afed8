"""The SQL guard on its own: what a read token may send, what a write token may send, and why not."""

from __future__ import annotations

import pytest

from data_plane import sqlguard

REFUSED_FOR_READ = {
    "BEGIN READ ONLY; COMMIT; INSERT INTO items VALUES (9, 'x')": "exactly one statement",
    "SELECT 1; INSERT INTO items VALUES (9, 'x')": "exactly one statement",
    "WITH d AS (DELETE FROM items RETURNING *) SELECT * FROM d": "DELETE",
    "WITH u AS (UPDATE items SET name = 'x' RETURNING *) SELECT 1": "UPDATE",
    "SELECT * FROM (WITH i AS (INSERT INTO items VALUES (9, 'x') RETURNING id) SELECT * FROM i) s": "INSERT",
    "INSERT INTO items VALUES (9, 'x')": "read-only",
    "EXPLAIN ANALYZE SELECT 1": "ANALYZE",
    "EXPLAIN (ANALYZE) DELETE FROM items": "ANALYZE",
    "EXPLAIN DELETE FROM items": "DELETE",
    "SELECT * FROM items FOR UPDATE": "locking",
    "SELECT (SELECT id FROM items LIMIT 1 FOR SHARE)": "locking",
    "SELECT * INTO copy_of_items FROM items": "SELECT INTO",
    "COPY items TO PROGRAM 'cat > /tmp/x'": "COPY",
    "SET statement_timeout = 0": "SET",
    "RESET ALL": "SET",
    "BEGIN": "transaction",
    "DO $$ BEGIN PERFORM 1; END $$": "DO",
    "CALL some_procedure()": "CALL",
    "LISTEN channel": "LISTEN",
    "NOTIFY channel": "NOTIFY",
    "PREPARE p AS SELECT 1": "PREPARE",
    "EXECUTE p": "EXECUTE",
    "SELECT set_config('statement_timeout', '0', false)": "set_config",
    "SELECT pg_read_file('/etc/passwd')": "pg_read_file",
    "SELECT pg_catalog.pg_read_binary_file('/etc/passwd')": "pg_read_binary_file",
    "SELECT lo_import('/etc/passwd')": "lo_import",
    "SELECT loread(0, 1)": "loread",
    "SELECT pg_sleep(600)": "pg_sleep",
    "SELECT * FROM pg_catalog.PG_SLEEP_FOR('1 hour')": "pg_sleep_for",
    "SELECT pg_terminate_backend(1)": "pg_terminate_backend",
    "SELECT pg_cancel_backend(1)": "pg_cancel_backend",
    "SELECT pg_advisory_lock(1)": "advisory",
    "SELECT pg_try_advisory_xact_lock(1)": "advisory",
    "SELECT dblink_exec('x', 'y')": "dblink",
    "SELECT * FROM pg_ls_dir('.')": "pg_ls_dir",
    "SELECT pg_stat_file('postgresql.conf')": "pg_stat_file",
    "SELECT pg_reload_conf()": "pg_reload_conf",
    "SELECT query_to_xml('DELETE FROM items RETURNING 1', true, true, '')": "query_to_xml",
    "SELECT ts_stat('SELECT 1')": "ts_stat",
    "SELECT nextval('items_seq')": "nextval",
    "SELECT txid_current()": "txid_current",
    "SELECT pg_current_xact_id()": "pg_current_xact_id",
    "SELECT count(*) FROM items WHERE id IN (SELECT x FROM lo_get(1) x)": "lo_get",
}

ALLOWED_FOR_READ = [
    "SELECT 1",
    "select * from items where id = $1;",
    "VALUES (1), (2)",
    "WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT * FROM b",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r",
    "EXPLAIN SELECT * FROM items",
    "EXPLAIN (VERBOSE, COSTS OFF) SELECT 1",
    "SELECT current_setting('statement_timeout')",
    "SELECT * FROM items -- trailing comment",
]


@pytest.mark.parametrize(("sql", "why"), sorted(REFUSED_FOR_READ.items()))
def test_read_scope_refuses_with_a_reason(sql: str, why: str) -> None:
    verdict = sqlguard.check(sql)
    assert not verdict.allowed
    assert why.lower() in verdict.reason.lower()


@pytest.mark.parametrize("sql", ALLOWED_FOR_READ)
def test_read_scope_allows_plain_reads(sql: str) -> None:
    assert sqlguard.check(sql).allowed


def test_verdict_carries_the_statement_without_its_terminator() -> None:
    verdict = sqlguard.check("SELECT 'é' /* c */ ;  -- after")
    assert verdict.statement == "SELECT 'é' /* c */"
    assert sqlguard.check("EXPLAIN SELECT 1").kind == "explain"
    assert sqlguard.check("SELECT 1").kind == "select"


def test_unparseable_text_is_refused_with_the_parser_message() -> None:
    verdict = sqlguard.check("SELEC 1")
    assert not verdict.allowed
    assert "does not parse" in verdict.reason


def test_write_scope_allows_changes_but_not_session_or_server_reach() -> None:
    assert sqlguard.check("INSERT INTO items VALUES (9, 'x') RETURNING *", write=True).allowed
    assert sqlguard.check("CREATE TABLE t (id int)", write=True).allowed
    assert sqlguard.check("SELECT nextval('s')", write=True).allowed
    for sql in (
        "BEGIN",
        "COMMIT",
        "SET search_path = x",
        "COPY items FROM PROGRAM 'id'",
        "SELECT pg_sleep(1)",
        "SELECT 1; SELECT 2",
        "LISTEN c",
        "SELECT pg_read_file('x')",
    ):
        assert not sqlguard.check(sql, write=True).allowed, sql


def test_deep_nesting_is_refused_not_raised() -> None:
    verdict = sqlguard.check("SELECT " + " + ".join(["1"] * 5000))
    assert not verdict.allowed and "nested" in verdict.reason


def test_long_texts_are_checked_but_not_cached() -> None:
    long_sql = "SELECT 1 AS " + "x" * 20_000
    before = sqlguard._cached.cache_info().currsize
    assert sqlguard.check(long_sql).allowed
    assert not sqlguard.check(long_sql + "; SELECT 2").allowed
    assert sqlguard._cached.cache_info().currsize == before


def test_verdicts_are_cached_by_text() -> None:
    sqlguard.check("SELECT 42 AS cached")
    before = sqlguard._cached.cache_info().hits
    sqlguard.check("SELECT 42 AS cached")
    assert sqlguard._cached.cache_info().hits == before + 1
    assert sqlguard._cached.cache_info().maxsize == 4096
