"""SQL scripts: a real pg_dump replayed through the write guard, and a hostile script refused by line."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import asyncpg
import pytest

from tests.imports.conftest import Berth

SHOP = """
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text UNIQUE, joined date);
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id),
  total numeric(10,2) CHECK (total >= 0), note text, placed timestamptz DEFAULT now());
CREATE INDEX orders_customer_idx ON orders (customer_id);
INSERT INTO customers (name, email, joined) VALUES ('Ada', 'ada@x.io', '2024-01-02'),
  ('Bo; "quoted"', NULL, '2024-02-03'), (E'Cy\\'s tab\\there', 'cy@x.io', NULL);
INSERT INTO orders (customer_id, total, note) VALUES (1, 10.50, $$a;b$$), (1, 3.00, E'line\\nbreak'),
  (3, 99.99, NULL);
CREATE VIEW big_orders AS SELECT o.id, c.name, o.total FROM orders o JOIN customers c ON c.id = o.customer_id
  WHERE o.total > 5;
CREATE FUNCTION order_count(cid int) RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM orders WHERE customer_id = cid $$;
COMMENT ON TABLE customers IS 'people who buy';
"""

HOSTILE = b"""-- looks harmless at first
CREATE TABLE notes (id int);
GRANT ALL ON notes TO PUBLIC;
ALTER ROLE postgres SUPERUSER;
COPY notes TO PROGRAM 'id > /tmp/owned';
DO $$ BEGIN EXECUTE 'DROP TABLE notes'; END $$;
COPY notes FROM '/etc/passwd';
SELECT pg_read_file('/etc/passwd');
\\! cat /etc/passwd
INSERT INTO notes VALUES (1);
"""


def _pg_dump() -> str:
    """pgserver's bundled pg_dump (16, which dumps 15 and 16 alike), else the machine's own."""
    import pgserver

    bundled = Path(pgserver.__file__).parent / "pginstall/bin/pg_dump"
    found = str(bundled) if bundled.exists() else shutil.which("pg_dump")
    if found is None:
        pytest.skip("no pg_dump on this machine")
    return found


async def _run(berth: Berth, sql: str) -> None:
    conn = await asyncpg.connect(berth.owner_dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
async def shop_dump(tmp_path: Path, berth: Berth) -> Path:
    """Made in the test by pg_dump: the shop built in the endpoint's database, dumped, then dropped again."""
    await _run(berth, SHOP)
    for name, flags in (("shop.sql", ["--no-privileges"]), ("shop-with-grants.sql", [])):
        argv = [_pg_dump(), *flags, "--file", str(tmp_path / name), "--dbname", berth.owner_dsn]
        done = await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    await _run(berth, "DROP VIEW big_orders; DROP FUNCTION order_count(int); DROP TABLE orders, customers")
    return tmp_path / "shop.sql"


SNAPSHOT = [
    "SELECT id, name, email, joined FROM customers ORDER BY id",
    "SELECT id, customer_id, total, note FROM orders ORDER BY id",
    "SELECT * FROM big_orders ORDER BY id",
    "SELECT order_count(1)",
    "SELECT obj_description('customers'::regclass)",
    "SELECT nextval('customers_id_seq')",
    "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
    "SELECT conname, contype FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1",
]


async def _snapshot(berth: Berth) -> list[list[tuple[object, ...]]]:
    return [[tuple(r) for r in await berth.sql(q)] for q in SNAPSHOT]


async def test_a_real_pg_dump_is_replayed(berth: Berth, shop_dump: Path) -> None:
    await _run(berth, SHOP)
    expected = await _snapshot(berth)
    await _run(berth, "DROP VIEW big_orders; DROP FUNCTION order_count(int); DROP TABLE orders, customers")
    dumped = await asyncio.to_thread(shop_dump.read_bytes)
    assert b"COPY public.orders" in dumped and b"OWNER TO" in dumped
    with_grants = await berth.upload(shop_dump.with_name("shop-with-grants.sql"))
    assert with_grants["state"] == "failed"
    assert with_grants["errors"] and all("--no-privileges" in e["message"] for e in with_grants["errors"])
    assert await berth.tables() == []
    loaded = await berth.upload(shop_dump)
    assert loaded["state"] == "done", loaded["errors"]
    assert {t["name"]: t["rows"] for t in loaded["tables"]} == {"customers": 3, "orders": 3}
    assert await _snapshot(berth) == expected
    estimates = await berth.sql("SELECT reltuples FROM pg_class WHERE relname = 'orders'")
    assert estimates[0][0] == 3  # ANALYZE ran


async def test_a_hand_written_script_with_copy_data(berth: Berth) -> None:
    script = (b"BEGIN;\nCREATE TABLE ports (code text PRIMARY KEY, name text, depth numeric);\n"
              b"COPY ports (code, name, depth) FROM stdin WITH (FORMAT csv, HEADER true);\n"
              b"code,name,depth\nNLRTM,Rotterdam,24.0\nSGSIN,\"Singapore, SG\",16\n\\.\n"
              b"CREATE SEQUENCE visits_seq; CREATE TABLE visits (id int DEFAULT nextval('visits_seq'), "
              b"port text REFERENCES ports); INSERT INTO visits (port) SELECT code FROM ports;\nCOMMIT;\n")
    loaded = await berth.upload(script, format="sql")
    assert loaded["state"] == "done", loaded["errors"]
    assert [tuple(r) for r in await berth.sql("SELECT code, name FROM ports ORDER BY 1")] == [
        ("NLRTM", "Rotterdam"), ("SGSIN", "Singapore, SG")]
    assert [r[0] for r in await berth.sql("SELECT id FROM visits ORDER BY 1")] == [1, 2]


async def test_a_hostile_script_is_refused_by_line_before_anything_runs(berth: Berth) -> None:
    refused = await berth.upload(HOSTILE, format="sql")
    assert refused["state"] == "failed"
    lines = {e["line"]: e["message"] for e in refused["errors"]}
    assert sorted(lines) == [3, 4, 5, 6, 7, 8, 9], lines
    assert "GRANT" in lines[3] and "ALTER ROLE" in lines[4] and "PROGRAM" in lines[5]
    assert "DO" in lines[6] and "file" in lines[7] and "pg_read_file" in lines[8] and "\\!" in lines[9]
    assert await berth.tables() == []


async def test_a_statement_the_database_refuses_rolls_everything_back(berth: Berth) -> None:
    script = b"CREATE TABLE a (id int PRIMARY KEY);\nINSERT INTO a VALUES (1);\n\nINSERT INTO a VALUES (1);\n"
    failed = await berth.upload(script, format="sql")
    assert failed["state"] == "failed"
    assert failed["errors"][0]["line"] == 4 and failed["errors"][0]["code"] == "statement_failed"
    assert await berth.tables() == []


async def test_broken_scripts(berth: Berth) -> None:
    unterminated = await berth.upload(b"CREATE TABLE a (id int);\nCOPY a FROM stdin;\n1\n2\n", format="sql")
    assert unterminated["errors"][0]["code"] == "unterminated_copy" and unterminated["errors"][0]["line"] == 2
    quote = await berth.upload(b"CREATE TABLE a (id text DEFAULT 'open);\n", format="sql")
    assert quote["errors"][0]["code"] == "unterminated_quote"
    empty = await berth.upload(b"-- nothing\nSET search_path = public;\n", format="sql")
    assert empty["errors"][0]["code"] == "empty_file"
    garbage = await berth.upload(b"CREATE TABLE (;\n", format="sql")
    assert "does not parse" in garbage["errors"][0]["message"]
    assert await berth.tables() == []
