"""`python -m bench.revocation`: how long a revoked token lives on, across two and four gateway processes.

The gateways share one port (SO_REUSEPORT, see bench.gateway) and each also
listens on its own. The fleet's capacity through the shared port is measured
first (closed loop, 32 clients); then open-loop load of `tools/call query`
(bench.openloop) at a share of it goes through the shared port from many
connections with several tokens while tokens are revoked one after another
through the API (`DELETE /v1/endpoints/{id}/tokens/{token}`); for each, every
process is polled on its own port until it refuses the token, which every
process had cached (cache TTL 300 s, so only the invalidation can end it).
Then a `free` endpoint (burst ceiling 10 calls/s) is called from every
process at once, to see that the ceiling holds across them. Starts its own
Postgres and Redis (embedded) unless BERTH_BENCH_DATABASE_URL /
BERTH_BENCH_REDIS_URL are set. Writes bench/revocation.json and
bench/REVOCATION.md and folds it into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import figures
from bench.contenders import free_port
from bench.fixture import Fleet, Target, bench_settings, create_catalog, drop_database, services
from bench.load import build_requests, read_response
from bench.openloop import LoadRun, quantiles
from bench.ops_report import publish_revocation
from bench.outages import CALL, Process, role

GATEWAY_ENV = {"BERTH_TOKEN_CACHE_TTL_SECONDS": "300", "BERTH_POOL_MAX_SIZE": "2"}
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
POLL_EVERY = 0.01
GIVE_UP = 5.0
WARM = 3.0
LIMIT_WINDOW = 3  # whole wall-clock seconds of the shared-limit check
LIMIT_CLIENTS = 4  # connections per process in that check
CEILING = 10  # control_plane/plans.py: the free plan's burst ceiling


@dataclass(frozen=True)
class Victim:
    target: Target
    token_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.target.token}"}


async def until_refused(http: httpx.AsyncClient, victim: Victim, since: float) -> float:
    """Seconds after ``since`` at which this process first answered 401 (inf after GIVE_UP)."""
    while time.monotonic() - since < GIVE_UP:
        answer = await http.post(victim.target.path, json=PING, headers=victim.headers)
        if answer.status_code == 401:
            return time.monotonic() - since
        await asyncio.sleep(POLL_EVERY)
    return math.inf


async def revoke_one(api: httpx.AsyncClient, gateways: list[httpx.AsyncClient],
                     victim: Victim) -> dict[str, Any]:
    cached = [(await g.post(victim.target.path, json=PING, headers=victim.headers)).status_code
              for g in gateways]
    await asyncio.sleep(0.15)
    since = time.monotonic()
    revoking = asyncio.create_task(
        api.delete(f"/v1/endpoints/{victim.target.endpoint_id}/tokens/{victim.token_id}"))
    refused = await asyncio.gather(*(until_refused(g, victim, since) for g in gateways))
    answer = await revoking
    return {"taken_before": cached, "api_status": answer.status_code,
            "api_s": answer.elapsed.total_seconds(), "refused_s": refused}


async def shared_limit(ports: list[int], target: Target) -> dict[str, Any]:
    """Every process called at once on its own port for LIMIT_WINDOW whole seconds; 200s per second."""
    request = build_requests({"port": ports[0], "body": CALL, "targets": [(target.path, target.token)]})[0]
    await asyncio.sleep(1.0 - time.time() % 1.0)
    start = int(time.time()) + 1
    seen: list[tuple[float, float, int, int]] = []  # (sent, answered, process, status)

    async def client(index: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", ports[index])
        try:
            while (sent := time.time()) < start + LIMIT_WINDOW:
                writer.write(request)
                status, _ = await read_response(reader)
                seen.append((sent, time.time(), index, status))
        finally:
            writer.close()

    await asyncio.gather(*(client(i % len(ports)) for i in range(LIMIT_CLIENTS * len(ports))))
    return limit_figures(seen, start, len(ports))


def limit_figures(seen: list[tuple[float, float, int, int]], start: int, processes: int) -> dict[str, Any]:
    """Per wall-clock second: 200s surely in it (sent and answered in it) and at most (overlapping it)."""
    certain, possible = [], []
    for second in range(start, start + LIMIT_WINDOW):
        ok = [(s, a) for s, a, _, status in seen if status == 200 and s < second + 1 and a >= second]
        certain.append(sum(1 for s, a in ok if s >= second and a < second + 1))
        possible.append(len(ok))
    window = [row for row in seen if start <= row[0] < start + LIMIT_WINDOW]
    return {"ceiling": CEILING, "seconds": LIMIT_WINDOW, "allowed_surely_per_second": certain,
            "allowed_at_most_per_second": possible,
            "offered_per_second": round(len(window) / LIMIT_WINDOW),
            "allowed_by_process": [sum(1 for r in window if r[2] == i and r[3] == 200)
                                   for i in range(processes)],
            "outcomes": {str(code): sum(1 for r in window if r[3] == code)
                         for code in sorted({r[3] for r in window})}}


async def one_fleet(fleet: Fleet, api: Process, key: str, count: int, load: list[Target],
                    victims: list[Victim], limited: Target, share: float, scratch: Path) -> dict[str, Any]:
    shared = free_port()
    gateways = [role(fleet.settings, "gateway", {**GATEWAY_ENV, "BENCH_SHARED_PORT": str(shared)},
                     log=scratch / f"gateway-{count}-{i}.log") for i in range(count)]
    for gateway in gateways:
        gateway.start()
    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{g.port}", timeout=10) for g in gateways]
    headers = {"Authorization": f"Bearer {key}"}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api.port}", headers=headers,
                                     timeout=10) as http:
            targets = [(t.path, t.token) for t in load]
            capacity = await asyncio.to_thread(figures.load, shared, targets, warmup=2.0, duration=6.0)
            rate = round(capacity["calls_per_s"] * share)
            loading = LoadRun.start({"port": shared, "targets": targets, "body": CALL, "rate": rate,
                                     "duration": 3600, "connections": 32, "bucket": 3600})
            await asyncio.sleep(WARM)
            done = []
            for index, victim in enumerate(victims):
                done.append(await revoke_one(http, clients, victim))
                if index % 10 == 9:
                    print(f"  {count} gateways: {index + 1} revocations", flush=True)
            under = loading.stop()
        limits = await shared_limit([g.port for g in gateways], limited)
    finally:
        for client in clients:
            await client.aclose()
        for gateway in gateways:
            gateway.stop()
    return {"gateways": count, "capacity": capacity, "rate": rate, "revocations": summary(done),
            "load": under, "limits": limits}


def summary(done: list[dict[str, Any]]) -> dict[str, Any]:
    everywhere = [max(d["refused_s"]) for d in done]
    first = [min(d["refused_s"]) for d in done]
    return {"count": len(done), "everywhere_ms": quantiles([s * 1000 for s in everywhere]),
            "first_process_ms": quantiles([s * 1000 for s in first]),
            "api_delete_ms": quantiles([d["api_s"] * 1000 for d in done]),
            "within_1s": sum(1 for s in everywhere if s <= 1.0),
            "api_statuses": sorted({d["api_status"] for d in done}),
            "not_cached_before": sum(1 for d in done for s in d["taken_before"] if s != 200), "each": done}


async def run(scratch: Path, server_url: str, redis_url: str, counts: list[int], revocations: int,
              share: float) -> dict[str, Any]:
    catalog_url = await create_catalog(server_url)
    settings = bench_settings(catalog_url, redis_url, server_url, scratch)
    fleet = await Fleet.open(settings, connection_limit=100)
    api = role(settings, "api", log=scratch / "api.log")
    try:
        base = [(await fleet.provision("load"))[0] for _ in range(2)]
        load = [Target(t.endpoint_id, t.slug, token) for t in base
                for token in [t.token, *await fleet.issue([t.endpoint_id] * 3)]]
        limited = (await fleet.provision("limited"))[0]
        await fleet.catalog.execute("UPDATE endpoints SET plan = 'free' WHERE id = $1", limited.endpoint_id)
        key = await fleet.api_key()
        api.start()
        out: dict[str, Any] = {"share": share, "runs": []}
        for count in counts:
            tokens = await fleet.issue([base[i % 2].endpoint_id for i in range(revocations)])
            victims = [Victim(Target(base[i % 2].endpoint_id, base[i % 2].slug, t), str(fleet.token_ids[t]))
                       for i, t in enumerate(tokens)]
            print(f"{count} gateway processes on one port: {revocations} revocations under load", flush=True)
            out["runs"].append(
                await one_fleet(fleet, api, key, count, load, victims, limited, share, scratch))
        return out
    finally:
        api.stop()
        await fleet.close()
        await drop_database(server_url, catalog_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--revocations", type=int, default=100, help="revocations per fleet (default 100)")
    parser.add_argument("--gateways", type=int, nargs="+", default=[2, 4], help="fleet sizes (default 2 4)")
    parser.add_argument("--share", type=float, default=0.5,
                        help="load as a share of the capacity measured first, open loop (default 0.5)")
    args = parser.parse_args()
    started, busy = time.monotonic(), os.getloadavg()
    with (tempfile.TemporaryDirectory(prefix="berth-revocation-") as tmp,
          services(Path(tmp)) as (server, redis)):
        results = asyncio.run(run(Path(tmp), server, redis, args.gateways, args.revocations, args.share))
    results.update(run_seconds=round(time.monotonic() - started, 1), load_average_start=busy,
                   load_average_end=os.getloadavg(), argv=args.__dict__)
    where = Path(__file__).parent
    (where / "revocation.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    print(publish_revocation(results, where))


if __name__ == "__main__":
    main()
