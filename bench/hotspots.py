"""`python -m bench.hotspots`: the gateway under cProfile for one load run; prints its hot spots.

The same fixture as ``bench.run`` (embedded services unless BERTH_BENCH_* are
set), 32 clients for a few seconds, then the top functions by own time and by
cumulative time. Profiling slows the process; read shares, not calls/s.
"""

from __future__ import annotations

import asyncio
import io
import pstats
import sys
import tempfile
from pathlib import Path

from bench import contenders, figures
from bench.fixture import hot_fleet, services

SECONDS = 8.0
TOP = 30


async def profile(server_url: str, redis_url: str, scratch: Path, out: Path) -> dict[str, object]:
    async with hot_fleet(server_url, redis_url, scratch) as (fleet, hot):
        gateway = contenders.gateway(fleet.settings, hot)
        gateway.argv = [sys.executable, "-m", "bench.profiled", str(out)]
        gateway.start()
        try:
            return await asyncio.to_thread(figures.load, gateway.port, gateway.targets, warmup=1.0,
                                           duration=SECONDS)
        finally:
            gateway.stop()


def hot_spots(out: Path) -> str:
    text = io.StringIO()
    stats = pstats.Stats(str(out), stream=text).strip_dirs()
    stats.sort_stats("tottime").print_stats(TOP)
    stats.sort_stats("cumulative").print_stats(TOP)
    return text.getvalue()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="berth-profile-") as tmp, services(Path(tmp)) as (pg, redis):
        # keep the stats when a path is given: `python -m bench.hotspots gateway.prof`
        out = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(tmp) / "gateway.prof"
        result = asyncio.run(profile(pg, redis, Path(tmp), out))
        print(result)
        print(hot_spots(out))


if __name__ == "__main__":
    main()
