"""Generated tools on the gateway: ``list_<t>`` / ``get_<t>_by_<pk>`` against ``query`` running the same
SQL, and a warm ``tools/list`` of a 200-table schema with the tool cap applied.

Part of ``python -m bench.run``; ``python -m bench.tools`` runs this part alone and prints its rows.
The SQL ``query`` is given is the generated tool's own: each tool is built from the endpoint's schema
exactly as the gateway builds it and run once on a connection that records what it is asked to fetch.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from bench import contenders, figures, report, scale
from bench.fixture import Fleet, Target, bench_settings, create_catalog, drop_database, services
from bench.load import build_requests, read_response
from data_plane.tools import call_tool, session_settings, tool_definitions
from data_plane.tools.contract import QueryLimits, ToolOutcome
from data_plane.tools.generated import call as generated_call
from data_plane.tools.generated import introspect
from data_plane.tools.generated.cache import MAX_TABLES
from data_plane.tools.generated.catalog import DEFAULT_TOOL_CAP, ToolSettings, build

ROUNDS = 4
WARMUP = 0.5
DURATION = 4.0  # a whole number of slices per caller
SLICE = 0.25
CALLERS = ("generated", "query")
WIDE_TABLES = 200  # ``items`` and 199 more
LIST_SECONDS = 4.0
LIST_MAX_CALLS = 3000
LIST_ROWS = 20  # list_<t>'s default page; query is asked for as many (it fetches one more, as list does)
GET_ID = 42
STEP_ROUNDS = 5
STEP_CALLS = 1000


class Recorder:
    """A stand-in connection that keeps the statements a generated tool fetches and returns no rows."""

    def __init__(self) -> None:
        self.fetched: list[tuple[str, list[Any]]] = []

    def get_settings(self) -> Any:
        return type("Settings", (), {"default_transaction_read_only": "on"})()

    async def fetch(self, sql: str, *args: Any, timeout: float | None = None) -> list[Any]:
        self.fetched.append((sql, list(args)))
        return []


async def statement(run: Any, arguments: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """(SQL, parameters) a generated tool's runner sends for ``arguments``."""
    recorder = Recorder()
    await run(arguments, recorder, QueryLimits(statement_timeout_ms=5000, preset_session=True))
    [(sql, params)] = recorder.fetched
    return sql, params


def tool_call(name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": name, "arguments": arguments}}


async def pairs(reader_dsn: str) -> dict[str, dict[str, Any]]:
    """Per kind: the generated tool's call and the ``query`` call of the SQL that tool runs."""
    conn = await asyncpg.connect(reader_dsn)
    try:
        printed = await introspect.fingerprint(conn)
        schema = await introspect.read_schema(conn, printed, MAX_TABLES)
    finally:
        await conn.close()
    catalog = build(schema, ToolSettings(), False, tool_definitions(False))
    items = {name: t for name, t in catalog.tools.items() if t.table == "public.items"}
    listed = next(t for name, t in items.items() if name.startswith("list_"))
    got = next(t for name, t in items.items() if name.startswith("get_") and "_by_" in name)
    out = {}
    for kind, made, arguments, max_rows in (("list", listed, {"limit": LIST_ROWS}, LIST_ROWS),
                                            ("get", got, {"id": GET_ID}, 1)):
        sql, params = await statement(made.run, arguments)
        out[kind] = {"tool": made.name, "sql": sql, "params": params, "made": made, "arguments": arguments,
                     "generated": tool_call(made.name, arguments),
                     "query": tool_call("query", {"sql": sql, "params": params, "max_rows": max_rows})}
    return out


async def step_cpu(run: Callable[[], Awaitable[ToolOutcome]], calls: int) -> float:
    """Microseconds of this process's CPU per call of ``run``, its result serialized as the gateway does."""
    started = time.process_time()
    for _ in range(calls):
        orjson.dumps((await run()).result)
    return (time.process_time() - started) / calls * 1e6


async def tool_step(reader_dsn: str, calls: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per kind, CPU per call of the tool step alone (no HTTP, token, limiter, audit): the generated tool
    and ``query`` on one connection opened as the gateway's pools are, sequential, alternating; the least
    of the rounds, since neighbours only ever add to it."""
    limits = QueryLimits(statement_timeout_ms=5000, preset_session=True)
    conn = await asyncpg.connect(reader_dsn, server_settings=session_settings(limits, read_only=True))
    out = {}
    try:
        for kind, c in calls.items():
            runs: dict[str, Callable[[], Awaitable[ToolOutcome]]] = {
                "generated": partial(generated_call, c["made"], c["arguments"], conn, limits),
                "query": partial(call_tool, "query", c["query"]["params"]["arguments"], conn, limits)}
            times: dict[str, list[float]] = {name: [] for name in runs}
            for index in range(STEP_ROUNDS):
                for name in sorted(runs, reverse=bool(index % 2)):
                    times[name].append(await step_cpu(runs[name], STEP_CALLS))
            out[kind] = {name: round(min(values), 1) for name, values in times.items()}
    finally:
        await conn.close()
    return out


async def answer(port: int, target: tuple[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """One call's JSON-RPC result; raises when it is not a 200 with a result that is not an error."""
    [request] = build_requests({"port": port, "body": body, "targets": [target]})
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        status, raw = await read_response(reader)
    finally:
        writer.close()
    reply = orjson.loads(raw)
    if status != 200 or "result" not in reply or reply["result"].get("isError"):
        raise RuntimeError(f"{body['params'].get('name', body['method'])}: {status} {raw[:300]!r}")
    result: dict[str, Any] = reply["result"]
    return result


def rows_of(result: dict[str, Any]) -> int:
    structured = result["structuredContent"]
    return 1 if "row" in structured else int(structured["row_count"])


async def same_rows(gateway: contenders.Contender, kind: dict[str, Any]) -> dict[str, int]:
    """The rows both calls of a kind return, and each one's result size; raises unless the rows match."""
    got = [await answer(gateway.port, gateway.targets[0], kind[c]) for c in CALLERS]
    if rows_of(got[0]) != rows_of(got[1]):
        raise RuntimeError(f"{kind['tool']} returned {rows_of(got[0])} rows, query {rows_of(got[1])}")
    size = [len(orjson.dumps(result)) for result in got]
    return {"rows": rows_of(got[0]), "generated_bytes": size[0], "query_bytes": size[1]}


def interleaved(gateway: contenders.Contender, pair: dict[str, dict[str, Any]], swap: bool) -> dict[str, Any]:
    """One load run sending a kind's two calls in turn, ``SLICE`` seconds each: figures per caller."""
    callers = CALLERS[::-1] if swap else CALLERS
    spec = {"port": gateway.port, "targets": gateway.targets, "bodies": [pair[c] for c in callers],
            "slice": SLICE, "clients": figures.CLIENTS, "warmup": WARMUP, "duration": DURATION}
    result = figures.load_spec(spec)
    return dict(zip(callers, result["phases"], strict=True))


def side_by_side(gateway: contenders.Contender, bodies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Rounds of interleaved runs per kind; which caller and which kind go first swaps every round."""
    runs: dict[str, list[dict[str, Any]]] = {f"{k}/{c}": [] for k in bodies for c in CALLERS}
    for index in range(ROUNDS):
        for kind in sorted(bodies, reverse=bool(index % 2)):
            got = interleaved(gateway, bodies[kind], bool(index % 2))
            for caller, run in got.items():
                runs[f"{kind}/{caller}"].append(run)
            print(f"  round {index + 1} {kind}: " + ", ".join(
                f"{caller} {run['calls_per_s']} calls/s" for caller, run in got.items()), flush=True)
    return {name: summary(results) for name, results in runs.items()}


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    def median(key: str) -> float:
        return round(float(statistics.median(r[key] for r in results)), 3)

    return {"calls_per_s": median("calls_per_s"), "p50_ms": median("p50_ms"), "p99_ms": median("p99_ms"),
            "errors": sum(r["errors"] for r in results), "rounds": results}


def per_round(a: list[dict[str, Any]], b: list[dict[str, Any]], key: str) -> float:
    return round(float(statistics.median(x[key] / y[key] for x, y in zip(a, b, strict=True))), 3)


def ratios(throughput: dict[str, Any], kinds: Sequence[str]) -> dict[str, float]:
    """Per kind, the median of per-round ratios of calls/s, generated / query."""
    return {kind: per_round(throughput[f"{kind}/generated"]["rounds"], throughput[f"{kind}/query"]["rounds"],
                            "calls_per_s") for kind in kinds}


def wide_schema(tables: int) -> str:
    """``tables`` tables of five columns, each with a date index and a key to the one before it."""
    parts = []
    for i in range(1, tables + 1):
        parent = f"t_{i - 1:03d}"
        rows = 20 + (i * 37) % 480
        parent_column = f", parent_id bigint REFERENCES {parent} (id)" if i > 1 else ""
        parent_value = f", 1 + g % {20 + ((i - 1) * 37) % 480}" if i > 1 else ""
        parts.append(
            f"CREATE TABLE t_{i:03d} (id bigint PRIMARY KEY{parent_column}, name text NOT NULL, "
            f"status text NOT NULL, amount numeric(12, 2), created_at timestamptz NOT NULL);\n"
            f"CREATE INDEX ON t_{i:03d} (created_at);\n"
            f"INSERT INTO t_{i:03d} SELECT g{parent_value}, 'row ' || g, "
            f"(ARRAY['new', 'paid', 'sent'])[1 + g % 3], g * 0.5, now() - g * interval '1 hour' "
            f"FROM generate_series(1, {rows}) g;\n")
    return "".join(parts) + "ANALYZE;\n"


async def widen(fleet: Fleet, target: Target, tables: int) -> None:
    owner = (await fleet.dsns(target.endpoint_id))[0]
    conn = await asyncpg.connect(owner)
    try:
        await conn.execute(wide_schema(tables))
    finally:
        await conn.close()


async def tools_list(gateway: contenders.Contender, target: tuple[str, str]) -> dict[str, Any]:
    """Sequential warm ``tools/list`` calls over one kept-alive connection: p50 / p99, size, server CPU."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    [request] = build_requests({"port": gateway.port, "body": body, "targets": [target]})
    listed = (await answer(gateway.port, target, body))["tools"]  # the cold one: reads the schema
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
    latencies: list[float] = []
    try:
        cpu, end = contenders.cpu_seconds(gateway.pid), time.perf_counter() + LIST_SECONDS
        while time.perf_counter() < end and len(latencies) < LIST_MAX_CALLS:
            started = time.perf_counter()
            writer.write(request)
            status, raw = await read_response(reader)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"tools/list: {status} {raw[:300]!r}")
        cpu = contenders.cpu_seconds(gateway.pid) - cpu
    finally:
        writer.close()
    generic = {t["name"] for t in tool_definitions(False)}
    tables = sum(1 for t in listed if t["name"].startswith("list_") and t["name"] not in generic)
    return {**figures.percentiles(latencies), "tools": len(listed),
            "generated_tools": len(listed) - len(tool_definitions(False)),
            "tables_with_tools": tables, "tool_cap": DEFAULT_TOOL_CAP, "body_kib": round(len(raw) / 1024, 1),
            "server_cpu_us_per_call": round(cpu / len(latencies) * 1e6, 1)}


async def run(fleet: Fleet, hot: list[Target]) -> dict[str, Any]:
    """Both parts on one gateway process: side-by-side rounds on ``hot``, tools/list on a wide endpoint."""
    wide = (await fleet.provision("wide"))[0]
    await widen(fleet, wide, WIDE_TABLES - 1)
    reader = (await fleet.dsns(hot[0].endpoint_id))[1]
    calls = await pairs(reader)
    step = await tool_step(reader, calls)
    gateway = contenders.gateway(fleet.settings, hot, scale.GATEWAY_ENV)
    gateway.start()
    try:
        for kind in calls.values():
            kind["answer"] = await same_rows(gateway, kind)
        bodies = {k: {c: v[c] for c in CALLERS} for k, v in calls.items()}
        throughput = await asyncio.to_thread(side_by_side, gateway, bodies)
        listing = await tools_list(gateway, (wide.path, wide.token))
    finally:
        gateway.stop()
    statements = {k: {"tool": v["tool"], "sql": v["sql"], "params": v["params"], **v["answer"]}
                  for k, v in calls.items()}
    return {"statements": statements, "throughput": throughput, "ratios": ratios(throughput, list(calls)),
            "tool_step_us": step, "slice_s": SLICE,
            "tools_list": {**listing, "schema_tables": WIDE_TABLES}}


async def alone(server_url: str, redis_url: str, scratch: Path) -> dict[str, Any]:
    catalog_url = await create_catalog(server_url)
    settings = bench_settings(catalog_url, redis_url, server_url, scratch)
    fleet = await Fleet.open(settings, connection_limit=100)
    try:
        hot = [(await fleet.provision("hot"))[0] for _ in range(6)]
        return await run(fleet, hot)
    finally:
        await fleet.close()
        await drop_database(server_url, catalog_url)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="berth-bench-") as tmp, services(Path(tmp)) as (pg, redis):
        results = asyncio.run(alone(pg, redis, Path(tmp)))
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())
    print("\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in report.tools_rows(results)))


if __name__ == "__main__":
    main()
