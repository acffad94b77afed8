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


# Postgres calls f(x) for (x).f and f(t) for t.f when no field or column has that name.
ATTRIBUTE_NOTATION_CALLS = {
    "SELECT (42::bigint).pg_advisory_lock": "pg_advisory_lock",
    "SELECT (100::float8).pg_sleep": "pg_sleep",
    "SELECT (pg_backend_pid()).pg_terminate_backend": "pg_terminate_backend",
    "SELECT ('select 1'::text).ts_stat": "ts_stat",
    "SELECT ('/etc/passwd'::text).pg_read_file": "pg_read_file",
    "SELECT ('/etc/passwd'::text).lo_import": "lo_import",
    "SELECT ('.'::text).pg_ls_dir": "pg_ls_dir",
    "SELECT ('items_id_seq'::regclass).nextval": "nextval",
    "SELECT (('x'::text)).pg_catalog_unknown_fn": "pg_catalog_unknown_fn",
    "SELECT i.pg_sleep FROM items i": "pg_sleep",
    "SELECT public.items.pg_advisory_lock FROM public.items": "pg_advisory_lock",
}


@pytest.mark.parametrize(("sql", "function"), sorted(ATTRIBUTE_NOTATION_CALLS.items()))
def test_attribute_notation_is_checked_as_a_call(sql: str, function: str) -> None:
    verdict = sqlguard.check(sql)
    assert not verdict.allowed
    assert f"{function}()" in verdict.reason


# Each of these passed the old deny-list: the read scope now allows known-safe built-ins only.
OUTSIDE_THE_READ_ALLOW_LIST = {
    "SELECT table_to_xml('items', true, true, '')": "runs SQL",
    "SELECT schema_to_xml('public', true, true, '')": "runs SQL",
    "SELECT database_to_xml(true, true, '')": "runs SQL",
    "SELECT setseed(0.5)": "session settings",
    "SELECT pg_lock_status()": "locks",
    "SELECT pg_blocking_pids(1)": "locks",
    "SELECT pg_current_logfile()": "files",
    "SELECT pg_export_snapshot()": "replication",
    "SELECT pg_notification_queue_usage()": "notifications",
    "SELECT pg_stat_clear_snapshot()": "other sessions",
    "SELECT current_query()": "read token",
    "SELECT pg_relation_size('items')": "read token",
    "SELECT public.now()": "read token",
    'SELECT "NOW"()': "read token",
    "SELECT my_volatile_function()": "read token",
    "SELECT * FROM ROWS FROM (generate_series(1, 2), my_volatile_function())": "read token",
    "SELECT * FROM items, LATERAL my_volatile_function(items.id) f": "read token",
    "SELECT CAST(my_volatile_function() AS text)": "read token",
    "SELECT 1 OPERATOR(public.+) 2": "OPERATOR(public.+)",
    "SELECT * FROM items ORDER BY id USING OPERATOR(public.<)": "OPERATOR(public.<)",
    "SELECT 1 === 2": "operator ===",
    "SELECT 1 WHERE 1 === ANY (SELECT 1)": "operator ===",
}


@pytest.mark.parametrize(("sql", "why"), sorted(OUTSIDE_THE_READ_ALLOW_LIST.items()))
def test_read_functions_and_operators_are_an_allow_list(sql: str, why: str) -> None:
    verdict = sqlguard.check(sql)
    assert not verdict.allowed
    assert why.lower() in verdict.reason.lower()


DANGEROUS_SPELLINGS = [
    "SELECT pg_catalog.pg_sleep(1)",
    'SELECT "pg_sleep"(1)',
    'SELECT U&"\\0070g_sleep"(1)',
    "SELECT CAST(pg_sleep(1) AS text)",
    "SELECT pg_sleep(1)::text",
    "SELECT * FROM ROWS FROM (generate_series(1, 2), pg_sleep(1))",
    "SELECT * FROM items, LATERAL pg_sleep(items.id) s",
    "SELECT (SELECT max(x) FROM pg_sleep(1) x)",
]


@pytest.mark.parametrize("sql", DANGEROUS_SPELLINGS)
def test_a_dangerous_function_is_refused_however_spelled(sql: str) -> None:
    for write in (False, True):
        verdict = sqlguard.check(sql, write=write)
        assert not verdict.allowed and "pg_sleep()" in verdict.reason, (sql, write)


ALLOWED_BUILT_INS = {
    "time and randomness": "SELECT now(), pg_catalog.now(), clock_timestamp(), statement_timestamp(), "
    "transaction_timestamp(), timeofday(), random(), gen_random_uuid()",
    "aggregates": "SELECT count(*), sum(price), avg(price), min(id), max(id), string_agg(name, ','), "
    "array_agg(id), json_agg(name), jsonb_agg(name), percentile_cont(0.5) WITHIN GROUP (ORDER BY price) "
    "FROM items",
    "window functions": "SELECT row_number() OVER w, rank() OVER w, dense_rank() OVER w, lag(id) OVER w, "
    "lead(id) OVER w FROM items WINDOW w AS (ORDER BY id)",
    "sql syntax rewritten to pg_catalog calls": "SELECT extract(year FROM now()), position('a' IN 'ab'), "
    "substring('abc' FROM 1 FOR 2), trim(BOTH ' ' FROM ' a '), overlay('abc' PLACING 'x' FROM 1), "
    "now() AT TIME ZONE 'utc', collation for ('a'), 'a' IS NORMALIZED, normalize('a')",
    "special forms": "SELECT coalesce(NULL, 1), nullif(1, 2), greatest(1, 2), least(1, 2), "
    "CASE WHEN true THEN 1 END, current_date, current_timestamp, localtime, current_user, session_user, "
    "current_setting('timezone')",
    "operators": "SELECT 'a' LIKE 'b', 'a' ILIKE 'b', 'a' SIMILAR TO 'b', 1 BETWEEN 0 AND 2, "
    "1 IS DISTINCT FROM 2, 1 IN (1, 2), 1 <> 2, 1 != 2, ARRAY[1] && ARRAY[1], '{\"a\": 1}'::jsonb ->> 'a', "
    "1 = ANY (ARRAY[1]), 1 OPERATOR(pg_catalog.+) 2",
    "everyday functions": "SELECT format('%s', 1), to_char(now(), 'YYYY'), date_trunc('day', now()), "
    "age(now()), lower('A'), md5('x'), regexp_replace('a', 'a', 'b'), split_part('a,b', ',', 1), "
    "to_tsvector('a') @@ to_tsquery('a')",
    "fields and whole rows": "SELECT (i).name, (i).*, i.name FROM items i",
    "set-returning functions": "SELECT * FROM generate_series(1, 3) g, unnest(ARRAY[1, 2]) u",
}


@pytest.mark.parametrize("sql", ALLOWED_BUILT_INS.values(), ids=ALLOWED_BUILT_INS.keys())
def test_read_allow_list_keeps_built_ins_and_sql_syntax(sql: str) -> None:
    verdict = sqlguard.check(sql)
    assert verdict.allowed, verdict.reason


def test_own_functions_are_allowed_for_reads_only_when_named() -> None:
    own = frozenset({"order_total"})
    for sql in ("SELECT order_total(1)", "SELECT app.order_total(1)", "SELECT (1).order_total"):
        assert not sqlguard.check(sql).allowed, sql
        assert sqlguard.check(sql, own_functions=own).allowed, sql
    for schema in ("pg_catalog", "information_schema", "pg_temp"):
        assert not sqlguard.check(f"SELECT {schema}.order_total(1)", own_functions=own).allowed
    assert not sqlguard.check("SELECT pg_sleep(1)", own_functions=frozenset({"pg_sleep"})).allowed


def test_write_only_functions_are_refused_for_reads_in_any_spelling() -> None:
    for sql in ("SELECT nextval('s')", "SELECT pg_catalog.NEXTVAL('s')", "SELECT ('s'::regclass).nextval"):
        assert "write tokens only" in sqlguard.check(sql).reason, sql
        assert sqlguard.check(sql, write=True).allowed, sql


def test_verdicts_are_cached_by_text_and_scope() -> None:
    own = frozenset({"order_total"})
    assert not sqlguard.check("SELECT order_total(7)").allowed
    assert sqlguard.check("SELECT order_total(7)", own_functions=own).allowed
    before = sqlguard._cached.cache_info().hits
    sqlguard.check("SELECT order_total(7)", own_functions=frozenset({"order_total"}))
    assert sqlguard._cached.cache_info().hits == before + 1
