"""Generated tools on the demo schema and on hostile names: every kind runs, fits its outputSchema, holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

import asyncpg
import pytest

from control_plane.providers.base import ProvisionedDatabase
from data_plane.tools import ToolArgumentError, tool_definitions
from data_plane.tools.generated import call, introspect
from data_plane.tools.generated.catalog import Catalog, ToolSettings, build
from tests.tools.conftest import LIMITS
from tests.tools.outputs import TOOL_NAME, assert_fits, check_definition

RESET = """
DROP SCHEMA public CASCADE; CREATE SCHEMA public;
DROP SCHEMA IF EXISTS "Sales" CASCADE; DROP SCHEMA IF EXISTS sales CASCADE;
"""
HOSTILE = """
CREATE TABLE "Order Items" (id int PRIMARY KEY, "Näme" text);
CREATE TABLE order_items (id int PRIMARY KEY, note text);
CREATE TABLE "Ünïcödé Tåble" (id int PRIMARY KEY);
CREATE TABLE "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" (id int PRIMARY KEY);
CREATE TABLE "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab" (id int PRIMARY KEY);
CREATE TABLE "we""ird; DROP TABLE x" (id int PRIMARY KEY, "sp ace" text);
CREATE TABLE "列表" (id int PRIMARY KEY);
CREATE TABLE "표" (id int PRIMARY KEY);
CREATE TABLE schemas (id int PRIMARY KEY);
CREATE SCHEMA sales; CREATE TABLE sales.orders (id int PRIMARY KEY);
CREATE SCHEMA "Sales"; CREATE TABLE "Sales".orders (id int PRIMARY KEY);
CREATE TABLE sales_orders (id int PRIMARY KEY);
INSERT INTO "we""ird; DROP TABLE x" VALUES (1, 'x');
"""
INJECTIONS = ["'; DROP TABLE customers; --", "1 OR 1=1", "\" OR \"\"=\"", "%", "_", "\\", "$1", "';--"]


async def _catalog(conn: asyncpg.Connection, *, can_write: bool = False, allow_writes: bool = False,
                   cap: int = 20) -> Catalog:
    schema = await introspect.read_schema(conn, await introspect.fingerprint(conn), 500)
    return build(schema, ToolSettings(cap, allow_writes), can_write, tool_definitions(can_write))


@pytest.fixture
async def demo(endpoint_db: ProvisionedDatabase) -> AsyncIterator[tuple[asyncpg.Connection, ...]]:
    """The demo shop (cli/demo.sql), analyzed; (owner, reader)."""
    owner = await asyncpg.connect(endpoint_db.owner_dsn)
    await owner.execute(RESET + (resources.files("cli") / "demo.sql").read_text() + "; ANALYZE")
    reader = await asyncpg.connect(endpoint_db.reader_dsn)
    yield owner, reader
    await reader.close()
    await owner.execute(RESET)
    await owner.close()


async def _run(catalog: Catalog, name: str, args: dict[str, Any], conn: asyncpg.Connection) -> dict[str, Any]:
    tool = catalog.tools[name]
    outcome = await call(tool, args, conn, LIMITS)
    assert_fits(tool.definition, outcome.result)
    return outcome.result


READS: list[tuple[str, dict[str, Any]]] = [
    ("list_orders", {"limit": 3}),
    ("list_customers", {"order_by": "id", "direction": "desc", "limit": 2}),
    ("get_customers_by_id", {"id": 3}),
    ("get_order_items_by_order_id_and_product_id", {"order_id": 1, "product_id": 12}),
    ("search_customers", {"q": "customer1"}),
    ("filter_orders", {"status": ["paid", "shipped"], "ordered_at_after": "2025-07-01", "min_id": 10}),
    ("filter_products", {"category": "safety", "max_price": 100}),
    ("count_orders_by_status", {}),
    ("summarize_products", {}),
    ("get_orders_for_customers", {"customer_id": 8}),
    ("get_customers_for_orders", {"id": 1}),
]


async def test_every_read_kind_runs_on_the_demo_schema_and_fits_its_schema(
        demo: tuple[asyncpg.Connection, asyncpg.Connection]) -> None:
    _, reader = demo
    catalog = await _catalog(reader)
    for tool in catalog.definitions:
        check_definition(tool)
    assert not [n for n in catalog.tools if n.startswith(("insert_", "update_", "delete_"))]
    for name, args in READS:
        result = await _run(catalog, name, args, reader)
        assert result["isError"] is False, (name, result)
    counts = (await _run(catalog, "count_orders_by_status", {}, reader))["structuredContent"]["groups"]
    assert sorted(g["value"] for g in counts) == ["cancelled", "paid", "pending", "shipped"]
    assert (await _run(catalog, "summarize_products", {}, reader))["structuredContent"]["row_count"] == 40


async def test_list_pages_through_every_row_once_by_the_cursor(
        demo: tuple[asyncpg.Connection, asyncpg.Connection]) -> None:
    _, reader = demo
    catalog = await _catalog(reader)
    definition = catalog.tools["list_orders"].definition
    assert definition["inputSchema"]["properties"]["order_by"]["default"] == "ordered_at"
    seen: list[int] = []
    args: dict[str, Any] = {"limit": 100}
    while True:
        page = (await _run(catalog, "list_orders", args, reader))["structuredContent"]
        seen += [row["id"] for row in page["rows"]]
        if page["next_cursor"] is None:
            break
        args = {"limit": 100, "cursor": page["next_cursor"]}
    assert sorted(seen) == list(range(1, 301))


async def test_errors_are_results_that_fit_and_arguments_are_checked_first(
        demo: tuple[asyncpg.Connection, asyncpg.Connection]) -> None:
    _, reader = demo
    catalog = await _catalog(reader)
    missing = await _run(catalog, "get_customers_by_id", {"id": 999}, reader)
    assert missing["isError"] is True and missing["structuredContent"]["error"]["code"] == "not_found"
    bad = [("get_customers_by_id", {"id": "1"}), ("get_customers_by_id", {"id": 2**40}),
           ("list_orders", {"order_by": "status; DROP TABLE orders"}), ("list_orders", {"limit": 101}),
           ("list_orders", {"cursor": "bm90IGEgY3Vyc29y"}),
           ("filter_orders", {"ordered_at_after": "yesterday"}),
           ("filter_orders", {"nope": 1}), ("search_customers", {"q": ""})]
    for name, args in bad:
        with pytest.raises(ToolArgumentError):
            await call(catalog.tools[name], args, reader, LIMITS)


async def test_injection_through_every_argument_is_harmless(
        demo: tuple[asyncpg.Connection, asyncpg.Connection]) -> None:
    owner, reader = demo
    writer = await _catalog(owner, can_write=True, allow_writes=True)
    for text in INJECTIONS:
        for name, args in [("search_customers", {"q": text}), ("filter_customers", {"name": text}),
                           ("filter_customers", {"country": [text, "NL"]}),
                           ("update_customers_by_id", {"id": 1, "name": text}),
                           ("insert_products", {"id": 1000, "name": text, "category": text, "price": 1})]:
            result = await _run(writer, name, args, owner)
            assert result["isError"] is False, (name, result)
        await owner.execute("DELETE FROM products WHERE id = 1000")
        for name in ("search_customers",):
            with pytest.raises(ToolArgumentError):
                await call(writer.tools[name], {"q": text, "limit": text}, owner, LIMITS)
    matches = (await _run(writer, "search_customers", {"q": "%"}, owner))["structuredContent"]
    assert matches["row_count"] == 0  # a wildcard is taken literally
    assert await owner.fetchval("SELECT count(*) FROM customers") == 120
    assert await owner.fetchval("SELECT name FROM customers WHERE id = 1") == INJECTIONS[-1]


async def test_write_tools_for_write_catalogs_only(
        demo: tuple[asyncpg.Connection, asyncpg.Connection]) -> None:
    owner, reader = demo
    assert "insert_customers" not in (await _catalog(owner, can_write=True)).tools
    assert "insert_customers" not in (await _catalog(reader, can_write=False, allow_writes=True)).tools
    writer = await _catalog(owner, can_write=True, allow_writes=True)
    made = await _run(writer, "insert_customers", {"id": 500, "name": "N", "email": "n@x.io", "country": "NL",
                                                   "created_at": "2026-01-02"}, owner)
    assert made["structuredContent"]["row"]["id"] == 500
    changed = await _run(writer, "update_customers_by_id", {"id": 500, "country": "DE"}, owner)
    assert changed["structuredContent"]["row"]["country"] == "DE"
    duplicate = await _run(writer, "insert_customers", {"id": 500, "name": "N", "email": "m@x.io",
                                                        "country": "NL", "created_at": "2026-01-02"}, owner)
    assert duplicate["isError"] is True and duplicate["structuredContent"]["error"]["sqlstate"] == "23505"
    gone = await _run(writer, "delete_customers_by_id", {"id": 500}, owner)
    assert gone["structuredContent"]["row"]["country"] == "DE"
    again = await _run(writer, "delete_customers_by_id", {"id": 500}, owner)
    assert again["isError"] is True and again["structuredContent"]["error"]["code"] == "not_found"


async def test_hostile_table_names_give_valid_distinct_stable_names(
        demo: tuple[asyncpg.Connection, asyncpg.Connection]) -> None:
    owner, reader = demo
    await owner.execute(RESET + HOSTILE)
    first, second = await _catalog(reader, cap=100), await _catalog(reader, cap=100)
    names = [t["name"] for t in first.definitions]
    assert names == [t["name"] for t in second.definitions]
    assert len(names) == len(set(names)) and all(TOOL_NAME.match(n) for n in names)
    lists = sorted(n for n in first.tools if n.startswith("list_"))
    assert len(lists) == 12
    assert "list_order_items" in lists and "list_sales_orders" in lists and "list_schemas" in names
    assert first.tools["list_order_items"].table == "public.order_items"
    assert first.tools["list_sales_orders"].table == "public.sales_orders"
    for name in lists:
        result = await _run(first, name, {}, reader)
        assert result["isError"] is False, (name, result)
    weird = next(t for t in first.tools.values() if t.table.startswith('public.we"ird'))
    assert weird.name.startswith("list_we_ird_drop_table_x")


async def test_the_cap_keeps_the_largest_tables(demo: tuple[asyncpg.Connection, asyncpg.Connection]) -> None:
    _, reader = demo
    catalog = await _catalog(reader, cap=2)
    assert {t.table for t in catalog.tools.values()} <= {"public.orders", "public.order_items",
                                                         "public.customers", "public.products"}
    assert {n for n in catalog.tools if n.startswith("list_")} == {"list_orders", "list_order_items"}
    generic = await _catalog(reader, cap=0)
    assert [t["name"] for t in generic.definitions] == [t["name"] for t in tool_definitions(False)]


async def test_a_changed_table_is_a_schema_changed_result(
        demo: tuple[asyncpg.Connection, asyncpg.Connection]) -> None:
    owner, reader = demo
    catalog = await _catalog(reader)
    before = await introspect.fingerprint(reader)
    await owner.execute("ALTER TABLE products RENAME COLUMN category TO kind")
    assert await introspect.fingerprint(reader) != before
    result = await _run(catalog, "list_products", {}, reader)
    assert result["isError"] is True and result["structuredContent"]["error"]["code"] == "schema_changed"
