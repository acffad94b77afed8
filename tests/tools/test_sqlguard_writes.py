"""The SQL guard for write tokens: DML and DDL on the endpoint's own objects, nothing that reaches further."""

from __future__ import annotations

import pytest

from data_plane import sqlguard

REFUSED_FOR_WRITE = {
    # Roles and grantees.
    "ALTER ROLE CURRENT_USER PASSWORD 'x'": "ALTER ROLE",
    "ALTER USER CURRENT_USER SET search_path = x": "ALTER ROLE",
    "CREATE ROLE intruder LOGIN": "CREATE ROLE",
    "DROP ROLE someone": "DROP ROLE",
    "GRANT SELECT ON items TO someone": "GRANT",
    "GRANT ALL ON SCHEMA public TO PUBLIC": "GRANT",
    "REVOKE ALL ON items FROM PUBLIC": "GRANT",
    "GRANT someone TO CURRENT_USER": "GRANT role",
    "ALTER TABLE items OWNER TO someone": "OWNER TO",
    "ALTER SCHEMA public OWNER TO someone": "OWNER TO",
    "ALTER FUNCTION f() OWNER TO CURRENT_USER": "OWNER TO",
    "SET ROLE someone": "SET",
    "SET SESSION AUTHORIZATION someone": "SET",
    "RESET ROLE": "SET",
    "REASSIGN OWNED BY CURRENT_USER TO someone": "REASSIGN OWNED",
    "DROP OWNED BY CURRENT_USER": "DROP OWNED",
    "CREATE POLICY p ON items TO someone USING (true)": "role someone",
    "ALTER POLICY p ON items TO someone": "role someone",
    "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO someone": "DEFAULT PRIVILEGES",
    "CREATE SCHEMA AUTHORIZATION someone": "role someone",
    "CREATE SCHEMA s CREATE TABLE t (id int) GRANT SELECT ON t TO someone": "GRANT",
    # The database itself.
    "CREATE DATABASE other": "CREATE DATABASE",
    "ALTER DATABASE db SET search_path = public, pg_catalog": "ALTER DATABASE",
    "ALTER DATABASE db CONNECTION LIMIT 1000": "ALTER DATABASE",
    "ALTER DATABASE db RENAME TO other": "DATABASE",
    "DROP DATABASE db": "DROP DATABASE",
    "COMMENT ON DATABASE db IS 'not a berth endpoint'": "COMMENT ON DATABASE",
    # The server.
    "ALTER SYSTEM SET work_mem = '1GB'": "ALTER SYSTEM",
    "CREATE TABLESPACE t LOCATION '/tmp'": "CREATE TABLESPACE",
    "CREATE TABLE t (id int) TABLESPACE pg_default": "TABLESPACE",
    "CREATE INDEX ON items (id) TABLESPACE pg_default": "TABLESPACE",
    "ALTER TABLE items SET TABLESPACE pg_default": "TABLESPACE",
    "ALTER INDEX ALL IN TABLESPACE pg_default SET TABLESPACE t": "TABLESPACE",
    # Extensions, foreign data, languages, event triggers, replication.
    "CREATE EXTENSION dblink": "CREATE EXTENSION",
    "ALTER EXTENSION plpgsql UPDATE": "ALTER EXTENSION",
    "DROP EXTENSION plpgsql": "DROP EXTENSION",
    "COMMENT ON EXTENSION plpgsql IS 'x'": "EXTENSION",
    "CREATE FOREIGN DATA WRAPPER w": "FOREIGN DATA WRAPPER",
    "CREATE SERVER s FOREIGN DATA WRAPPER w": "CREATE SERVER",
    "CREATE FOREIGN TABLE f (a int) SERVER s": "FOREIGN TABLE",
    "ALTER FOREIGN TABLE f ADD COLUMN b int": "foreign",
    "DROP FOREIGN TABLE f": "foreign",
    "CREATE USER MAPPING FOR CURRENT_USER SERVER s": "USER MAPPING",
    "IMPORT FOREIGN SCHEMA x FROM SERVER s INTO public": "FOREIGN SCHEMA",
    "CREATE LANGUAGE plperl": "EXTENSION",
    "CREATE LANGUAGE plsample HANDLER plsample_call_handler": "CREATE LANGUAGE",
    "DROP LANGUAGE plpgsql": "languages",
    "CREATE FUNCTION f() RETURNS int LANGUAGE c AS 'lib', 'sym'": "LANGUAGE c",
    "CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS 'return 1'": "LANGUAGE plpython3u",
    "CREATE FUNCTION f() RETURNS int LANGUAGE internal AS 'int4pl'": "LANGUAGE internal",
    "CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f()": "EVENT TRIGGER",
    "CREATE PUBLICATION p FOR ALL TABLES": "PUBLICATION",
    "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p": "SUBSCRIPTION",
    # Functions and triggers beyond the endpoint's own.
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'select 1'": "SECURITY DEFINER",
    "ALTER FUNCTION f() SECURITY DEFINER": "SECURITY DEFINER",
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql SET search_path = x AS 'select 1'": "SET",
    "ALTER FUNCTION f() SET search_path = x": "SET",
    "CREATE FUNCTION lower(int) RETURNS int LANGUAGE sql AS 'select 1'": "built-in",
    "CREATE FUNCTION pg_catalog.f() RETURNS int LANGUAGE sql AS 'select 1'": "system schema",
    "ALTER FUNCTION f() RENAME TO now": "built-in",
    "CREATE PROCEDURE p() LANGUAGE sql AS 'select 1'": "PROCEDURE",
    "CREATE TRIGGER t BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION "
    "tsvector_update_trigger(tsv, 'pg_catalog.english', name)": "own functions",
    "CREATE TRIGGER t BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION "
    "pg_catalog.suppress_redundant_updates_trigger()": "own functions",
    "CREATE AGGREGATE a (int) (sfunc = int4pl, stype = int)": "CREATE AGGREGATE",
    "CREATE OPERATOR === (leftarg = int, rightarg = int, function = int4eq)": "CREATE OPERATOR",
    "CREATE CAST (int AS text) WITH FUNCTION f(int)": "CREATE CAST",
    "CREATE TYPE b (input = f_in, output = f_out)": "C functions",
    # Session and server reach.
    "COPY items FROM STDIN": "COPY",
    "COPY items TO '/tmp/items'": "COPY",
    "LOAD 'auto_explain'": "LOAD",
    "LISTEN channel": "LISTEN",
    "UNLISTEN *": "UNLISTEN",
    "NOTIFY channel": "NOTIFY",
    "BEGIN": "transaction",
    "SAVEPOINT s": "transaction",
    "SET work_mem = '1GB'": "SET",
    "RESET ALL": "SET",
    "SELECT set_config('statement_timeout', '0', false)": "set_config",
    "SELECT pg_advisory_lock(1)": "pg_advisory_lock",
    "SELECT pg_notify('c', 'x')": "pg_notify",
    "SELECT lo_import('/etc/passwd')": "lo_import",
    "SELECT (1::bigint).pg_advisory_lock": "pg_advisory_lock",
    "SELECT query_to_xml('DELETE FROM items', true, true, '')": "query_to_xml",
    # Writes to the catalog.
    "UPDATE pg_settings SET setting = '0' WHERE name = 'statement_timeout'": "pg_settings",
    "UPDATE pg_catalog.pg_settings SET setting = '0'": "pg_catalog",
    "WITH u AS (UPDATE pg_settings SET setting = '0' RETURNING 1) SELECT * FROM u": "pg_settings",
    "INSERT INTO pg_catalog.pg_description VALUES (1, 1, 0, 'x')": "pg_catalog",
    "DELETE FROM pg_class": "pg_class",
    "MERGE INTO pg_catalog.pg_class c USING items i ON false WHEN MATCHED THEN DELETE": "pg_catalog",
    "TRUNCATE pg_largeobject": "pg_largeobject",
    "ALTER TABLE pg_catalog.pg_class ADD COLUMN x int": "pg_catalog",
    "ALTER TABLE pg_class RENAME TO c": "pg_class",
    "DROP TABLE information_schema.tables": "information_schema",
    "DROP VIEW pg_settings": "pg_settings",
    "CREATE INDEX ON pg_catalog.pg_class (relname)": "pg_catalog",
    "COMMENT ON TABLE pg_class IS 'x'": "pg_class",
    "COMMENT ON COLUMN pg_catalog.pg_class.relname IS 'x'": "pg_catalog",
    "COMMENT ON SCHEMA pg_catalog IS 'x'": "pg_catalog",
    "COMMENT ON FUNCTION pg_catalog.now() IS 'x'": "pg_catalog",
    "CREATE TABLE pg_catalog.t (id int)": "pg_catalog",
    "CREATE TABLE pg_toast.t (id int)": "pg_toast",
    "CREATE TABLE pg_temp.t (id int)": "pg_temp",
    "CREATE VIEW pg_temp_3.v AS SELECT 1": "pg_temp_3",
    "CREATE TEMP TABLE t (id int)": "temporary",
    "SELECT * INTO TEMP t FROM items": "temporary",
    "CREATE VIEW s AS SELECT * FROM pg_settings": "pg_settings",
    "CREATE SCHEMA pg_mine": "system schema",
    "ALTER TABLE items SET SCHEMA pg_catalog": "pg_catalog",
    "ALTER SCHEMA app RENAME TO pg_app": "system schema",
    # Not on the allow-list.
    "EXPLAIN ANALYZE DELETE FROM items": "EXPLAIN",
    "CREATE RULE r AS ON INSERT TO items DO INSTEAD NOTHING": "CREATE RULE",
    "SECURITY LABEL ON TABLE items IS 'x'": "SECURITY LABEL",
    "VACUUM items": "VACUUM",
    "CLUSTER items": "CLUSTER",
    "REINDEX TABLE items": "REINDEX",
    "CREATE STATISTICS s ON id, name FROM items": "CREATE STATISTICS",
    "CREATE COLLATION c (locale = 'C')": "CREATE COLLATION",
}

ALLOWED_FOR_WRITE = [
    "CREATE TABLE t (id serial PRIMARY KEY, made timestamptz NOT NULL DEFAULT now(), "
    "u uuid DEFAULT gen_random_uuid(), n bigint DEFAULT nextval('s'), name text CHECK (length(name) > 0))",
    "CREATE TABLE IF NOT EXISTS app.t (LIKE items INCLUDING ALL)",
    "CREATE UNLOGGED TABLE t (id int)",
    "CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1)",
    "CREATE INDEX items_lower_name ON items (lower(name))",
    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON app.items USING gin (tags)",
    "CREATE VIEW v AS SELECT id, name FROM items WHERE price > 1",
    "CREATE OR REPLACE VIEW v AS SELECT * FROM items",
    "CREATE MATERIALIZED VIEW mv AS SELECT count(*) FROM items",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY mv",
    "INSERT INTO items (id, name) VALUES (9, 'x') ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name "
    "RETURNING *",
    "INSERT INTO items SELECT * FROM items_archive RETURNING id",
    "UPDATE items SET price = price * 2 WHERE price IS NOT NULL",
    "UPDATE items SET name = c.relname FROM pg_class c WHERE c.oid = 1",
    "DELETE FROM items WHERE id = $1 RETURNING id",
    "MERGE INTO items t USING (VALUES (1, 'a')) s(id, name) ON t.id = s.id WHEN MATCHED THEN "
    "UPDATE SET name = s.name WHEN NOT MATCHED THEN INSERT (id, name) VALUES (s.id, s.name)",
    "WITH d AS (DELETE FROM items RETURNING *) INSERT INTO items_archive SELECT * FROM d",
    "SELECT * FROM items FOR UPDATE",
    "VALUES (1), (2)",
    "SELECT * INTO items_copy FROM items",
    "CREATE TABLE items_copy AS SELECT * FROM items",
    "ALTER TABLE items ADD COLUMN note text DEFAULT 'x'",
    "ALTER TABLE items ALTER COLUMN price TYPE numeric USING price::numeric, ADD CONSTRAINT positive "
    "CHECK (price > 0), ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE items RENAME COLUMN name TO title",
    "ALTER TABLE items RENAME TO goods",
    "ALTER TABLE items SET SCHEMA app",
    "ALTER INDEX items_lower_name RENAME TO by_name",
    "COMMENT ON TABLE items IS 'things for sale'",
    "COMMENT ON COLUMN items.name IS 'what it is called'",
    "COMMENT ON COLUMN public.items.name IS 'x'",
    "COMMENT ON VIEW v IS 'x'",
    "COMMENT ON INDEX items_lower_name IS 'x'",
    "COMMENT ON FUNCTION add_one(int) IS 'x'",
    "COMMENT ON SCHEMA app IS 'x'",
    "COMMENT ON TYPE mood IS 'x'",
    "COMMENT ON CONSTRAINT positive ON items IS 'x'",
    "CREATE FUNCTION add_one(i int) RETURNS int LANGUAGE sql IMMUTABLE AS 'select i + 1'",
    "CREATE OR REPLACE FUNCTION app.total() RETURNS numeric LANGUAGE sql STABLE AS "
    "$$ SELECT sum(price) FROM items $$",
    "CREATE FUNCTION two() RETURNS int LANGUAGE sql RETURN 2",
    "CREATE FUNCTION three() RETURNS int BEGIN ATOMIC SELECT 3; END",
    "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql SECURITY INVOKER AS "
    "$$ BEGIN NEW.added := now(); RETURN NEW; END $$",
    "CREATE FUNCTION bump(a int) RETURNS int LANGUAGE plpgsql AS $$ DECLARE x int := 1; BEGIN x := a + 1; "
    "x = x * 2; FOR i IN 1..3 LOOP x := x + i; END LOOP; RETURN (SELECT count(*) FROM items) + x; END $$",
    "ALTER FUNCTION add_one(int) IMMUTABLE",
    "ALTER FUNCTION add_one(int) RENAME TO plus_one",
    "DROP FUNCTION add_one(int)",
    "CREATE TRIGGER touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch()",
    "CREATE TRIGGER touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION app.touch()",
    "DROP TRIGGER touch ON items",
    "CREATE POLICY cheap ON items FOR SELECT USING (price < 10)",
    "CREATE TYPE mood AS ENUM ('sad', 'ok')",
    "ALTER TYPE mood ADD VALUE 'happy'",
    "CREATE TYPE pair AS (a int, b text)",
    "CREATE TYPE span AS RANGE (subtype = float8)",
    "CREATE DOMAIN positive AS int CHECK (VALUE > 0)",
    "DROP TYPE mood",
    "CREATE SEQUENCE s START 10",
    "ALTER SEQUENCE s RESTART",
    "SELECT nextval('s'), setval('s', 5), currval('s')",
    "CREATE SCHEMA app",
    "CREATE SCHEMA app CREATE TABLE t (id int) CREATE VIEW v AS SELECT 1",
    "ALTER SCHEMA app RENAME TO app2",
    "DROP SCHEMA app CASCADE",
    "DROP TABLE items",
    "DROP TABLE IF EXISTS a, app.b CASCADE",
    "DROP VIEW v",
    "DROP MATERIALIZED VIEW mv",
    "DROP INDEX items_lower_name",
    "DROP SEQUENCE s",
    "TRUNCATE items",
    "TRUNCATE items, app.b RESTART IDENTITY CASCADE",
    "SELECT add_one(1), app.total(), (items).add_one FROM items",
]


@pytest.mark.parametrize(("sql", "why"), sorted(REFUSED_FOR_WRITE.items()))
def test_write_scope_refuses_with_a_reason(sql: str, why: str) -> None:
    verdict = sqlguard.check(sql, write=True)
    assert not verdict.allowed
    assert why.lower() in verdict.reason.lower(), verdict.reason
    assert "\n" not in verdict.reason


@pytest.mark.parametrize("sql", ALLOWED_FOR_WRITE)
def test_write_scope_allows_dml_and_ddl_on_own_objects(sql: str) -> None:
    verdict = sqlguard.check(sql, write=True)
    assert verdict.allowed, verdict.reason
    assert verdict.kind == "write"


FUNCTION_BODIES = {
    "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'SELECT pg_advisory_lock(1)'": "pg_advisory_lock",
    "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'SELECT 1; NOTIFY c'": "NOTIFY",
    "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'UPDATE pg_settings SET setting = 1'": "pg_settings",
    "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT pg_sleep(1); END": "pg_sleep",
    "CREATE FUNCTION f() RETURNS int RETURN (1::bigint).pg_advisory_lock": "pg_advisory_lock",
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(10); END $$": "pg_sleep",
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS "
    "$$ DECLARE x text := set_config('a', 'b', false); BEGIN END $$": "set_config",
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN LISTEN c; END $$": "LISTEN",
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN GRANT ALL ON items TO x; END $$": "GRANT",
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'SELECT 1'; END $$": "EXECUTE",
    "CREATE FUNCTION f() RETURNS SETOF int LANGUAGE plpgsql AS "
    "$$ BEGIN RETURN QUERY EXECUTE 'SELECT 1'; END $$": "EXECUTE",
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS "
    "$$ DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT 1' LOOP END LOOP; END $$": "EXECUTE",
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM 1 FROM ( $$": "does not parse",
}


@pytest.mark.parametrize(("sql", "why"), sorted(FUNCTION_BODIES.items()))
def test_function_bodies_are_checked_like_the_callers_own_sql(sql: str, why: str) -> None:
    verdict = sqlguard.check(sql, write=True)
    assert not verdict.allowed
    assert why.lower() in verdict.reason.lower(), verdict.reason


def test_write_scope_calls_any_function_outside_the_dangerous_families() -> None:
    assert sqlguard.check("SELECT my_own_function(1), 1 === 2", write=True).allowed
    assert not sqlguard.check("SELECT 1 OPERATOR(app.===) 2", write=True).allowed
    assert not sqlguard.check("SELECT app.pg_sleep(1)", write=True).allowed


def test_unknown_statement_types_are_refused() -> None:
    verdict = sqlguard.check("ALTER TEXT SEARCH CONFIGURATION c OWNER TO CURRENT_USER", write=True)
    assert not verdict.allowed
    verdict = sqlguard.check("CREATE CONVERSION c FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8", write=True)
    assert not verdict.allowed and "allow" in verdict.reason
