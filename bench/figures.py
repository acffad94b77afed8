"""Each measurement of the benchmark: throughput rounds, added latency, cold start, scale."""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from typing import Any

import asyncpg
import orjson

from bench.contenders import Contender, cpu_seconds
from bench.fixture import SQL
from bench.load import build_requests, read_response

CLIENTS = 32
CALL = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "query", "arguments": {"sql": SQL}}}


def load(port: int, targets: list[tuple[str, str]], *, clients: int = CLIENTS, warmup: float,
         duration: float, once: bool = False, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the load generator in its own process against one contender; its JSON figures."""
    return load_spec({"port": port, "targets": targets, "body": body or CALL, "clients": clients,
                      "warmup": warmup, "duration": duration, "once": once})


def load_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The load generator's JSON figures for a spec as ``bench.load`` reads it."""
    done = subprocess.run([sys.executable, "-m", "bench.load"], input=orjson.dumps(spec),  # noqa: S603
                          capture_output=True, check=True, timeout=spec["duration"] + spec["warmup"] + 600)
    result: dict[str, Any] = orjson.loads(done.stdout)
    return result


def measured(contender: Contender, *, warmup: float, duration: float,
             body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One load run (``tools/call query`` unless another JSON-RPC body is given), with the contender's
    own CPU share over it."""
    cpu, wall = cpu_seconds(contender.pid), time.perf_counter()
    result = load(contender.port, contender.targets, warmup=warmup, duration=duration, body=body)
    result["server_cpu"] = round((cpu_seconds(contender.pid) - cpu) / (time.perf_counter() - wall), 3)
    # CPU per call moves far less with the neighbours' load than calls/s does
    rate = max(result.get("calls_per_s", 0.0), 1e-9)
    result["cpu_us_per_call"] = round(result["server_cpu"] / rate * 1e6, 1)
    return result


def throughput(contenders: list[Contender], *, rounds: int, warmup: float,
               duration: float) -> dict[str, dict[str, Any]]:
    """Alternating rounds (the order rotates each round) so drift on a shared machine hits all alike."""
    runs: dict[str, list[dict[str, Any]]] = {c.name: [] for c in contenders}
    for index in range(rounds):
        order = contenders[index % len(contenders):] + contenders[:index % len(contenders)]
        for contender in order:
            runs[contender.name].append(measured(contender, warmup=warmup, duration=duration))
            print(f"  round {index + 1} {contender.name}: {runs[contender.name][-1]['calls_per_s']} calls/s",
                  flush=True)
    return {name: summary(results) for name, results in runs.items()}


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    def median(key: str) -> float:
        return round(float(statistics.median(r[key] for r in results)), 3)

    return {"calls_per_s": median("calls_per_s"), "p50_ms": median("p50_ms"), "p99_ms": median("p99_ms"),
            "errors": sum(r["errors"] for r in results), "server_cpu": median("server_cpu"),
            "cpu_us_per_call": median("cpu_us_per_call"),
            "loadgen_cpu": median("loadgen_cpu"), "rounds": results}


async def direct(reader_dsn: str, duration: float) -> dict[str, float]:
    """The same SQL on a plain asyncpg connection, one at a time: the floor for added latency."""
    conn = await asyncpg.connect(reader_dsn)
    latencies: list[float] = []
    try:
        end = time.perf_counter() + duration
        while (started := time.perf_counter()) < end:
            await conn.fetch(SQL)
            latencies.append(time.perf_counter() - started)
    finally:
        await conn.close()
    return percentiles(latencies)


def percentiles(latencies: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49] * 1000, 3), "p99_ms": round(cuts[98] * 1000, 3), "n": len(latencies)}


async def added_latency(contenders: list[Contender], reader_dsn: str, duration: float) -> dict[str, Any]:
    """One client, sequential calls: each contender's latency minus a direct asyncpg query's."""
    floor = await direct(reader_dsn, duration)
    out: dict[str, Any] = {"direct_asyncpg": floor}
    for contender in contenders:
        run = await asyncio.to_thread(load, contender.port, contender.targets[:1], clients=1, warmup=0.5,
                                      duration=duration)
        out[contender.name] = {"p50_ms": run["p50_ms"], "p99_ms": run["p99_ms"], "errors": run["errors"],
                               "added_p50_ms": round(run["p50_ms"] - floor["p50_ms"], 3),
                               "added_p99_ms": round(run["p99_ms"] - floor["p99_ms"], 3)}
    return out


async def first_calls(port: int, targets: list[tuple[str, str]]) -> dict[str, Any]:
    """One call to each target over one kept-alive connection, timed one by one."""
    requests = build_requests({"port": port, "body": CALL, "targets": targets})
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    latencies, errors, sample = [], 0, ""
    try:
        for request in requests:
            started = time.perf_counter()
            writer.write(request)
            status, body = await read_response(reader)
            latencies.append(time.perf_counter() - started)
            if status != 200 or b'"isError":true' in body:
                errors, sample = errors + 1, sample or f"{status} {body[:300].decode(errors='replace')}"
    finally:
        writer.close()
    return {**percentiles(latencies * (2 if len(latencies) == 1 else 1)), "errors": errors, "sample": sample}
