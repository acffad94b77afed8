"""`make bench`: the gateway against bare and sdk-peer; generated tools against query, a wide tools/list;
cold start, 10,000 endpoints, provisioning.

Starts its own Postgres and Redis (embedded, like the tests) unless
BERTH_BENCH_DATABASE_URL / BERTH_BENCH_REDIS_URL are set. Prints a table and
writes bench/results.json and bench/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import contenders, figures, report, scale, tools
from bench.fixture import Fleet, Target, bench_settings, create_catalog, drop_database, services

ROUNDS = int(os.environ.get("BERTH_BENCH_ROUNDS", "5"))
DURATION = float(os.environ.get("BERTH_BENCH_SECONDS", "4"))
WARMUP = 1.0
LATENCY_SECONDS = 3.0
# The scale plan bursts at 1,000 calls/s per endpoint: spreading the load keeps that limit out of the way.
THROUGHPUT_ENDPOINTS = 6
COLD_ENDPOINTS = int(os.environ.get("BERTH_BENCH_COLD", "50"))


async def provision(fleet: Fleet, label: str, count: int, timings: list[float]) -> list[Target]:
    targets = []
    for _ in range(count):
        target, elapsed = await fleet.provision(label)
        targets.append(target)
        timings.append(elapsed)
    return targets


def provisioning_figures(timings: list[float]) -> dict[str, Any]:
    return {"endpoints": len(timings), "p50_s": round(statistics.median(timings), 3),
            "max_s": round(max(timings), 3), "per_minute": round(60 * len(timings) / sum(timings), 1)}


def http_floor(hot: list[Target]) -> dict[str, Any]:
    """uvicorn answering fixed bytes: what the server and the load generator can move at most."""
    floor = contenders.floor(hot)
    floor.start()
    try:
        return figures.measured(floor, warmup=WARMUP, duration=DURATION)
    finally:
        floor.stop()


def the_field(fleet: Fleet, hot: list[Target], readers: list[str],
              redis_url: str) -> list[contenders.Contender]:
    """Berth's gateway, bare and the SDK peer over the same endpoints (not started)."""
    return [contenders.gateway(fleet.settings, hot, scale.GATEWAY_ENV),
            contenders.bare(redis_url, hot, readers), contenders.sdk_peer(readers[0])]


async def start_all(field: list[contenders.Contender]) -> None:
    """Start each contender and check it answers one call before anything is measured."""
    for contender in field:
        contender.start()
        probe = await figures.first_calls(contender.port, contender.targets[:1])
        if probe["errors"]:
            raise RuntimeError(f"{contender.name} does not answer the call: {probe['sample']}")


async def head_to_head(fleet: Fleet, hot: list[Target], cold: list[Target], redis_url: str) -> dict[str, Any]:
    """Throughput rounds, added latency and cold start, with all three contenders up."""
    readers = [(await fleet.dsns(t.endpoint_id))[1] for t in hot]
    field = the_field(fleet, hot, readers, redis_url)
    try:
        await start_all(field)
        rounds = await asyncio.to_thread(figures.throughput, field, rounds=ROUNDS, warmup=WARMUP,
                                         duration=DURATION)
        latency = await figures.added_latency(field[:2], readers[0], LATENCY_SECONDS)
        floor = await asyncio.to_thread(http_floor, hot)
        for contender in field[1:]:
            contender.stop()  # their pools would crowd the server's connections while cold pools open
        cold_start = await figures.first_calls(field[0].port, [(t.path, t.token) for t in cold])
        return {"throughput": rounds, "latency": latency, "cold_start": cold_start, "floor": floor}
    finally:
        for contender in field:
            contender.stop()


async def bench(server_url: str, redis_url: str, scratch: Path) -> dict[str, Any]:
    catalog_url = await create_catalog(server_url)
    settings = bench_settings(catalog_url, redis_url, server_url, scratch)
    fleet = await Fleet.open(settings, connection_limit=100)
    try:
        timings: list[float] = []
        hot = await provision(fleet, "hot", THROUGHPUT_ENDPOINTS, timings)
        bases = await provision(fleet, "base", scale.DATABASES, timings)
        cold = await provision(fleet, "cold", COLD_ENDPOINTS, timings)
        print(f"provisioned {len(timings)} endpoints", flush=True)
        results = await head_to_head(fleet, hot, cold, redis_url)
        results["tools"] = await tools.run(fleet, hot)
        results["provisioning"] = provisioning_figures(timings)
        results["scale"] = await scale.run(fleet, bases)
        results["token_check"] = await scale.token_check()
        return results
    finally:
        await fleet.close()
        await drop_database(server_url, catalog_url)


def main() -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="berth-bench-") as tmp, services(Path(tmp)) as (server, redis):
        results = asyncio.run(bench(server, redis, Path(tmp)))
    results["run_seconds"] = round(time.monotonic() - started, 1)
    report.publish(results, Path(__file__).parent)


if __name__ == "__main__":
    main()
