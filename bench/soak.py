"""`python -m bench.soak [--minutes 10]`: the gateway's capacity, then a long open-loop run at 80 % of it.

In one run: `berth serve gateway`, `berth serve api` and `berth serve worker`
on their own Postgres and Redis (embedded unless BERTH_BENCH_DATABASE_URL /
BERTH_BENCH_REDIS_URL are set). Capacity is
the median of three closed-loop runs (32 clients, `tools/call query` on six
endpoints, bench.load); the soak then offers 80 % of it on a fixed schedule
(bench.openloop: latency counted from when a call was due) while the API is
asked for its endpoint list every second and the RSS of every Berth process is
read every few seconds. Reports errors, latency per minute and each process's
RSS slope after the warm-up. Writes bench/soak.json and bench/SOAK.md and folds
it into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import figures
from bench.contenders import cpu_seconds
from bench.fixture import Fleet, bench_settings, create_catalog, drop_database, services
from bench.openloop import LoadRun, quantiles
from bench.ops_report import publish_soak
from bench.outages import CALL, Process, log_problems, role

SHARE = 0.8
CAPACITY_RUNS, CAPACITY_SECONDS = 3, 8.0
ENDPOINTS = 6  # the scale plan's burst ceiling (1,000 calls/s) is per endpoint: keep it out of the way
SAMPLE_EVERY = 5.0
WARM_UP_MINUTES = 2.0
FLAT_KIB_PER_MIN = 128.0  # under 7.5 MiB an hour; at 1,000 calls/s, about 2 bytes per call


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (x, y)."""
    mx, my = statistics.fmean(p[0] for p in points), statistics.fmean(p[1] for p in points)
    spread = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / spread if spread else 0.0


async def capacity(gateway: Process, targets: list[tuple[str, str]]) -> dict[str, Any]:
    runs = [await asyncio.to_thread(figures.load, gateway.port, targets, warmup=2.0,
                                    duration=CAPACITY_SECONDS) for _ in range(CAPACITY_RUNS)]
    return {"calls_per_s": statistics.median(r["calls_per_s"] for r in runs),
            "runs_calls_per_s": [r["calls_per_s"] for r in runs], "errors": sum(r["errors"] for r in runs),
            "p50_ms": statistics.median(r["p50_ms"] for r in runs),
            "p99_ms": statistics.median(r["p99_ms"] for r in runs), "clients": figures.CLIENTS}


async def sample(pids: dict[str, int], until: asyncio.Event, started: float) -> list[dict[str, float]]:
    rows: list[dict[str, float]] = []
    while not until.is_set():
        rows.append({"minute": round((time.monotonic() - started) / 60, 3),
                     **{name: rss_kib(pid) for name, pid in pids.items()}})
        try:
            await asyncio.wait_for(until.wait(), SAMPLE_EVERY)
        except TimeoutError:
            pass
    return rows


async def ask_api(port: int, key: str, until: asyncio.Event) -> dict[str, Any]:
    """``GET /v1/endpoints`` once a second: outcomes and latency."""
    outcomes: dict[str, int] = {}
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10,
                                 headers={"Authorization": f"Bearer {key}"}) as http:
        while not until.is_set():
            started = time.perf_counter()
            try:
                outcome = str((await http.get("/v1/endpoints")).status_code)
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            latencies.append((time.perf_counter() - started) * 1000)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            await asyncio.sleep(1.0)
    return {"outcomes": outcomes, "ms": quantiles(latencies)}


def rss_figures(rows: list[dict[str, float]], name: str, warm_up: float) -> dict[str, Any]:
    after = [(r["minute"], r[name]) for r in rows if r["minute"] >= warm_up]
    per_min = slope(after) if len(after) > 1 else 0.0
    return {"start_kib": rows[0][name], "warm_kib": after[0][1] if after else None, "end_kib": rows[-1][name],
            "max_kib": max(r[name] for r in rows), "slope_kib_per_min": round(per_min, 1),
            "slope_whole_run_kib_per_min": round(slope([(r["minute"], r[name]) for r in rows]), 1),
            "flat": abs(per_min) <= FLAT_KIB_PER_MIN}


async def soak(processes: dict[str, Process], key: str, targets: list[tuple[str, str]],
               minutes: float) -> dict[str, Any]:
    gateway = processes["gateway"]
    print("measuring capacity", flush=True)
    cap = await capacity(gateway, targets)
    rate = round(cap["calls_per_s"] * SHARE)
    print(f"capacity {cap['calls_per_s']:.0f} calls/s; soak at {rate} calls/s for {minutes:g} min",
          flush=True)
    pids = {name: p.pid for name, p in processes.items()}
    cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
    until, started = asyncio.Event(), time.monotonic()
    sampling = asyncio.create_task(sample(pids, until, started))
    asking = asyncio.create_task(ask_api(processes["api"].port, key, until))
    loading = LoadRun.start({"port": gateway.port, "targets": targets, "body": CALL, "rate": rate,
                             "duration": minutes * 60, "connections": 64, "bucket": 60})
    load = await asyncio.to_thread(loading.wait, minutes * 60 + 300)
    wall = time.monotonic() - started
    until.set()
    rows, api = await sampling, await asking
    warm_up = min(WARM_UP_MINUTES, minutes * 0.2)
    return {"capacity": cap, "rate": rate, "share": SHARE, "minutes": minutes, "warm_up_minutes": warm_up,
            "load": load, "api": api, "samples": rows, "sample_every_s": SAMPLE_EVERY,
            "rss": {name: rss_figures(rows, name, warm_up) for name in pids},
            "cores": {name: round((cpu_seconds(pid) - cpu[name]) / wall, 2) for name, pid in pids.items()},
            "flat_kib_per_min": FLAT_KIB_PER_MIN}


async def run(scratch: Path, server_url: str, redis_url: str, minutes: float) -> dict[str, Any]:
    catalog_url = await create_catalog(server_url)
    settings = bench_settings(catalog_url, redis_url, server_url, scratch)
    fleet = await Fleet.open(settings, connection_limit=100)
    processes = {name: role(settings, name, log=scratch / f"{name}.log", command=True)
                 for name in ("gateway", "api", "worker")}
    try:
        targets = [((t := (await fleet.provision("soak"))[0]).path, t.token) for _ in range(ENDPOINTS)]
        key = await fleet.api_key()
        for process in processes.values():
            process.start()
        results = await soak(processes, key, targets, minutes)
    finally:
        for process in processes.values():
            process.stop()
        await fleet.close()
        await drop_database(server_url, catalog_url)
    results["log_warnings"] = {name: log_problems(scratch / f"{name}.log") for name in processes}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the soak (default 10)")
    args = parser.parse_args()
    started, busy = time.monotonic(), os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="berth-soak-") as tmp, services(Path(tmp)) as (server, redis):
        results = asyncio.run(run(Path(tmp), server, redis, args.minutes))
    results.update(run_seconds=round(time.monotonic() - started, 1), load_average_start=busy,
                   load_average_end=os.getloadavg(),
                   command=f"python -m bench.soak --minutes {args.minutes:g}")
    where = Path(__file__).parent
    (where / "soak.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    print(publish_soak(results, where))


if __name__ == "__main__":
    main()
