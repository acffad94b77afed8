"""10,000 endpoints on one gateway process, and the cached token check in microseconds.

The endpoints are real catalog rows (own id, slug, token, sealed DSNs) that
point at a few real databases made by the local provider. That is fair for
what is measured here: the gateway's per-endpoint work (token lookup, unseal,
pool per endpoint, eviction under the pool cap, memory) does not depend on
whether two endpoints' databases are the same; creating 10,000 real databases
would measure Postgres's CREATE DATABASE, which the provisioning figure covers.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench import contenders, figures, report
from bench.fixture import Fleet, Target, hot_fleet, services
from control_plane import tokens
from control_plane.settings import Settings
from data_plane import auth, pools
from data_plane.auth import Authenticator, bearer

SCALE_ENDPOINTS = int(os.environ.get("BERTH_BENCH_SCALE", "10000"))
SWEEPS = int(os.environ.get("BERTH_BENCH_SWEEPS", "3"))
# Endpoints kept out of the sweeps and called one at a time after them: a cold first call's latency,
# not the queue that 32 clients make when every call of a sweep opens a pool under the cap.
COLD_SAMPLE = 200
# Budget below the server's max_connections (100 by default), shared with the other contenders' pools.
CONNECTION_BUDGET = 40
DATABASES = 4  # real databases the endpoints' DSNs point at, round robin
POOL_MAX_SIZE = 4  # the gateway's default: pools open <= budget // pool size
GATEWAY_ENV = {"BERTH_CONNECTION_BUDGET": str(CONNECTION_BUDGET)}
# What bounds the gateway's memory however many endpoints it meets (the defaults of berth serve gateway).
CAPS = {"token cache entries": auth.MAX_ENTRIES, "open pools": CONNECTION_BUDGET // POOL_MAX_SIZE,
        "schema catalogs": Settings.model_fields["max_pools"].default,
        "invalidated endpoints remembered": pools.MAX_REMEMBERED}
CONNECTIONS = """
SELECT count(*) FROM pg_stat_activity WHERE datname = ANY($1::text[]) AND application_name NOT LIKE 'bench%'
"""


async def connections(fleet: Fleet, refs: list[str]) -> int:
    count: int = await fleet.catalog.fetchval(CONNECTIONS, refs)
    return count


async def _sweep(gateway: contenders.Contender) -> dict[str, Any]:
    return await asyncio.to_thread(figures.load, gateway.port, gateway.targets, warmup=0.0, duration=600.0,
                                   once=True)


async def run(fleet: Fleet, bases: list[Target]) -> dict[str, Any]:
    """``SWEEPS`` sweeps calling each endpoint once (32 clients), RSS after each, open connections after.

    The first sweep's latencies are cold first calls (token looked up, DSN unsealed, pool opened);
    later sweeps meet caches that hold at most their caps, so RSS must stay flat from sweep to sweep.
    """
    targets = await fleet.spread(SCALE_ENDPOINTS, bases)
    called, cold = targets[COLD_SAMPLE:], targets[:COLD_SAMPLE]
    refs = [(await fleet.dsns(t.endpoint_id))[2] for t in bases]
    gateway = contenders.gateway(fleet.settings, called, GATEWAY_ENV)
    gateway.start()
    try:
        idle = contenders.rss_mib(gateway.pid)
        sweeps = []
        for _ in range(SWEEPS):
            swept = await _sweep(gateway)
            sweeps.append({"calls": swept["calls"], "calls_per_s": swept.get("calls_per_s", 0.0),
                           "errors": swept["errors"], "sample_error": swept["sample_error"],
                           "p50_ms": swept.get("p50_ms"), "p99_ms": swept.get("p99_ms"),
                           "rss_mib": round(contenders.rss_mib(gateway.pid), 1)})
        first = sweeps[0]
        alone = await figures.first_calls(gateway.port, [(t.path, t.token) for t in cold])
        return {
            "endpoints": len(targets), "swept": len(called), "databases": len(bases), "calls": first["calls"],
            "errors": first["errors"], "sample_error": first["sample_error"],
            "calls_per_s": first["calls_per_s"], "p50_ms": first["p50_ms"], "p99_ms": first["p99_ms"],
            "cold": {"endpoints": len(cold), "p50_ms": alone["p50_ms"], "p99_ms": alone["p99_ms"],
                     "errors": alone["errors"], "sample_error": alone["sample"]},
            "second_sweep_calls_per_s": sweeps[1]["calls_per_s"] if len(sweeps) > 1 else 0.0,
            "second_sweep_errors": sum(s["errors"] for s in sweeps[1:]), "rss_idle_mib": round(idle, 1),
            "rss_first_sweep_mib": first["rss_mib"], "rss_after_mib": sweeps[-1]["rss_mib"],
            "sweeps": sweeps, "caps": CAPS,
            "connections_open": await connections(fleet, refs), "connection_budget": CONNECTION_BUDGET,
            "pool_cap": CONNECTION_BUDGET // POOL_MAX_SIZE,
        }
    finally:
        gateway.stop()


async def token_check(calls: int = 200_000) -> dict[str, Any]:
    """The gateway's own cached token check (header parse + cache hit), in microseconds per call."""
    pepper = secrets.token_bytes(32)
    token = tokens.generate(tokens.ENDPOINT_PREFIX)
    row = {"id": uuid.uuid4(), "tenant_id": uuid.uuid4(), "endpoint_id": uuid.uuid4(), "slug": "bench",
           "plan": "scale", "scopes": ["mcp"], "seal_key_id": None, "sealed_owner_dsn": None,
           "sealed_reader_dsn": None, "expires_at": None, "revoked_at": None, "status": "ready"}

    async def lookup(token_hash: bytes) -> Any:
        return row

    auth = Authenticator(lookup, pepper, ttl=3600.0, clock=time.time)
    header = f"Bearer {token}".encode()
    await auth.check(bearer(header), "bench")  # fills the cache: the one lookup
    started = time.perf_counter()
    for _ in range(calls):
        await auth.check(bearer(header), "bench")
    elapsed = time.perf_counter() - started
    return {"us": round(elapsed / calls * 1e6, 3), "calls": calls, "catalog_lookups": auth.lookups,
            "measures": "data_plane.auth.bearer + Authenticator.check on a cached token, awaited in a loop"}


async def alone(server_url: str, redis_url: str, scratch: Path) -> dict[str, Any]:
    async with hot_fleet(server_url, redis_url, scratch, count=DATABASES) as (fleet, bases):
        return await run(fleet, bases)


def main() -> None:
    """`python -m bench.scale`: this part of ``make bench`` alone (BERTH_BENCH_SCALE, BERTH_BENCH_SWEEPS as
    there), its table in bench/SCALE.md, folded into RESULTS.md."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="berth-scale-") as tmp, services(Path(tmp)) as (server, redis):
        results = asyncio.run(alone(server, redis, Path(tmp)))
    here = Path(__file__).parent
    (here / "scale.json").write_text(json.dumps(results, indent=1) + "\n")
    load = os.getloadavg()[0]
    lines = ["| figure | value | budget | verdict |", "| --- | --- | --- | --- |",
             *(f"| {' | '.join(row)} |" for row in report.scale_rows(results))]
    text = (f"## Scale (`python -m bench.scale`)\n\n{SCALE_ENDPOINTS:,} endpoints, {SWEEPS} sweeps, "
            f"run time {time.monotonic() - started:.0f} s, load average {load:.1f} at the end "
            f"({report.machine()['date']}).\n\n" + "\n".join(lines) + "\n")
    (here / "SCALE.md").write_text(text)
    report.fold(here / "RESULTS.md", text)
    print(text)


if __name__ == "__main__":
    main()
