"""`python -m bench.spied [OUT.txt]`: py-spy sampling the real gateway process under load.

The gateway runs exactly as in ``make bench`` (``bench.gateway``: ``berth serve
gateway``'s code on the production stack, logs and metrics on); 32 clients call
``tools/call query`` for ``SECONDS`` while py-spy samples the process from the
outside (no instrumentation, so the profile does not slow what it measures).
Prints the calls/s and server CPU per call of the run, then each function's
share of the samples, by own time and inclusive, and that share of the CPU per
call in microseconds: what each step of the hot path costs.
"""

from __future__ import annotations

import asyncio
import collections
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import contenders, figures
from bench.fixture import hot_fleet, services

SECONDS = float(os.environ.get("BERTH_BENCH_SECONDS", "10"))
RATE = 400  # samples per second
TOP = 40
# BERTH_BENCH_SPY=bare samples the bare contender instead, for a side-by-side of where the CPU goes
BERTH_ROOTS = ("data_plane", "control_plane", "cli", "bench", "jobs")
CONTENDER = os.environ.get("BERTH_BENCH_SPY", "berth")


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy is not installed: pip install py-spy (it is in the dev extra)")
    return found


async def spy(server_url: str, redis_url: str, scratch: Path, folded: Path) -> dict[str, Any]:
    async with hot_fleet(server_url, redis_url, scratch) as (fleet, hot):
        if CONTENDER == "bare":
            readers = [(await fleet.dsns(t.endpoint_id))[1] for t in hot]
            gateway = contenders.bare(redis_url, hot, readers)
        else:
            gateway = contenders.gateway(fleet.settings, hot)
        gateway.start()
        try:
            await figures.first_calls(gateway.port, gateway.targets)
            recorder = subprocess.Popen(  # noqa: S603, ASYNC220 - fixed argv; it runs beside the load
                [py_spy(), "record", "--pid", str(gateway.pid), "--rate", str(RATE), "--duration",
                 str(int(SECONDS)), "--format", "raw", "--nonblocking", "--output", str(folded)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            load = await asyncio.to_thread(figures.measured, gateway, warmup=0.5, duration=SECONDS)
            _, err = recorder.communicate(timeout=60)
            if recorder.returncode != 0:
                raise RuntimeError(f"py-spy failed: {err.decode(errors='replace')[-500:]}")
            return load
        finally:
            gateway.stop()


Counts = collections.Counter[str]


def shares(folded: Path) -> tuple[int, Counts, Counts, Counts]:
    """Samples in all; per function (``name (file)``) its own and its inclusive sample counts; and own
    samples per Berth source file or library package (the standard library's too): where the CPU goes,
    a level above functions."""
    own: Counts = collections.Counter()
    inclusive: Counts = collections.Counter()
    files: Counts = collections.Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        raw = stack.split(";")
        frames = [_name(f) for f in raw]
        own[frames[-1]] += n
        files[_file(raw[-1])] += n
        for frame in set(frames):
            inclusive[frame] += n
    return total, own, inclusive, files


def _file(frame: str) -> str:
    # py-spy names a library's file from its package down (asyncpg/connection.py), Berth's by its path
    parts = Path(frame.partition(" (")[2].rsplit(":", 1)[0]).parts
    root = next((i for i, part in enumerate(parts) if part in BERTH_ROOTS), None)
    if root is not None:
        return "/".join(parts[root:])
    return parts[0] if parts else "?"


def _name(frame: str) -> str:
    # py-spy raw frames: "function (path/to/file.py:line)"; keep the function and the file's tail
    function, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    tail = "/".join(Path(path).parts[-2:]) if path else "?"
    return f"{function} ({tail})"


def report(load: dict[str, Any], folded: Path) -> str:
    total, own, inclusive, files = shares(folded)
    per_call = float(load["cpu_us_per_call"])
    lines = [f"{load['calls_per_s']} calls/s, {per_call:.0f} us of server CPU per call, {total} samples", "",
             "| own share | own us/call | inclusive share | inclusive us/call | function |",
             "| --- | --- | --- | --- | --- |"]
    for name, n in own.most_common(TOP):
        lines.append(f"| {100 * n / total:.1f} % | {per_call * n / total:.0f} | "
                     f"{100 * inclusive[name] / total:.1f} % | {per_call * inclusive[name] / total:.0f} | "
                     f"`{name}` |")
    lines += ["", "Own time by file:", "", "| own share | us/call | file |", "| --- | --- | --- |"]
    for name, n in files.most_common(TOP):
        lines.append(f"| {100 * n / total:.1f} % | {per_call * n / total:.0f} | `{name}` |")
    lines += ["", "Inclusive, top:", "", "| inclusive share | us/call | function |", "| --- | --- | --- |"]
    for name, n in inclusive.most_common(TOP):
        lines.append(f"| {100 * n / total:.1f} % | {per_call * n / total:.0f} | `{name}` |")
    return "\n".join(lines) + "\n"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="berth-spy-") as tmp, services(Path(tmp)) as (pg, redis):
        folded = Path(tmp) / "gateway.folded"
        load = asyncio.run(spy(pg, redis, Path(tmp), folded))
        text = report(load, folded)
        if len(sys.argv) > 1:  # the raw stacks too, beside the table, for a closer look
            Path(sys.argv[1]).with_suffix(".folded").write_bytes(folded.read_bytes())
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
