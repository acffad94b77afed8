"""`python -m bench.stacks`: the three contenders on each HTTP stack, side by side in one run.

For each stack in ``bench.stack.STACKS`` (uvicorn with httptools and uvloop,
Granian, uvicorn on h11 as a reference) the Berth gateway, bare and the SDK
peer are started on that stack and measured in alternating rounds, exactly as
``make bench`` measures them. Writes bench/STACKS.md, folds it into
RESULTS.md (and every ``make bench`` keeps it there) and prints it.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import figures, report, stack
from bench.fixture import Fleet, bench_settings, create_catalog, drop_database, services
from bench.run import THROUGHPUT_ENDPOINTS, WARMUP, provision, start_all, the_field

ROUNDS = int(os.environ.get("BERTH_BENCH_ROUNDS", "3"))
DURATION = float(os.environ.get("BERTH_BENCH_SECONDS", "4"))


async def measure(server_url: str, redis_url: str, scratch: Path) -> dict[str, Any]:
    catalog_url = await create_catalog(server_url)
    settings = bench_settings(catalog_url, redis_url, server_url, scratch)
    fleet = await Fleet.open(settings, connection_limit=100)
    try:
        hot = await provision(fleet, "hot", THROUGHPUT_ENDPOINTS, [])
        readers = [(await fleet.dsns(t.endpoint_id))[1] for t in hot]
        out: dict[str, Any] = {}
        for name in stack.STACKS:
            os.environ["BERTH_BENCH_STACK"] = name  # the contenders inherit it
            field = the_field(fleet, hot, readers, redis_url)
            try:
                await start_all(field)
                print(f"{name}:", flush=True)
                out[name] = await asyncio.to_thread(figures.throughput, field, rounds=ROUNDS, warmup=WARMUP,
                                                    duration=DURATION)
            finally:
                for contender in field:
                    contender.stop()
        return out
    finally:
        await fleet.close()
        await drop_database(server_url, catalog_url)


def render(results: dict[str, Any], seconds: float) -> str:
    lines = [
        "## Serving stacks (`python -m bench.stacks`)", "",
        f"Each stack in turn, the three contenders on it, {ROUNDS} alternating rounds of {DURATION:g} s, "
        f"32 clients, medians (run time {seconds:.0f} s, load average {os.getloadavg()[0]:.1f} at the end).",
        "",
        "| stack | berth calls/s (CPU/call) | bare | sdk-peer | berth / bare | berth / sdk-peer | errors |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, by in results.items():
        berth, bare, sdk = by["berth"], by["bare"], by["sdk-peer"]
        errors = sum(c["errors"] for c in by.values())
        lines.append(
            f"| {name} | {berth['calls_per_s']:.0f} ({berth['cpu_us_per_call']:.0f} us) | "
            f"{bare['calls_per_s']:.0f} ({bare['cpu_us_per_call']:.0f} us) | "
            f"{sdk['calls_per_s']:.0f} ({sdk['cpu_us_per_call']:.0f} us) | "
            f"{berth['calls_per_s'] / bare['calls_per_s']:.2f} x | "
            f"{berth['calls_per_s'] / sdk['calls_per_s']:.2f} x | "
            f"{errors} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="berth-stacks-") as tmp, services(Path(tmp)) as (server, redis):
        results = asyncio.run(measure(server, redis, Path(tmp)))
    text = render(results, time.monotonic() - started)
    here = Path(__file__).parent
    (here / "STACKS.md").write_text(text)
    report.fold(here / "RESULTS.md", text)
    print(text)


if __name__ == "__main__":
    main()
