"""Import speed: Berth's import path against asyncpg's plainest load of the same file, side by side.

``python -m bench.imports [--mb 100]`` generates a CSV of about ``--mb``
megabytes (mixed types: integers, text, numeric, booleans, dates,
timestamps, uuids), an NDJSON file of the same rows and a Parquet file, then
for each format alternates, round by round, two contenders in fresh child
processes, each into a fresh table of its own:

- *berth*: the worker's own steps (``open_sources`` -> ``pipeline.run``: type
  inference over every value, then the load, overlapped where it can be), no types given;
- *plain*: the fastest plain Python load into hand-typed columns: asyncpg
  ``copy_to_table`` of the CSV file itself; for NDJSON ``orjson`` per line into
  ``copy_records_to_table``; for Parquet pyarrow batches into
  ``copy_records_to_table``.

With ``--against DIR`` (another checkout of Berth, e.g. a ``git worktree``
of an earlier commit) a third contender, *before*, runs that checkout's
import path on the same files in the same rounds, for before/after figures
side by side. ``--formats ndjson`` compares one format only (all three files
are still generated); ``--out`` writes its figures elsewhere than
bench/imports.json, which ``make bench``'s table reads.

Each child reports its wall time and its peak RSS (``VmHWM``); the
database server's own memory is not counted. Starts an embedded Postgres
unless BERTH_BENCH_DATABASE_URL is set. Writes bench/imports.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

HEADER = ["id", "name", "price", "qty", "paid", "placed", "seen_at", "ref", "score"]
TYPED = ("id bigint, name text, price numeric(10,2), qty smallint, paid boolean, placed date, "
         "seen_at timestamptz, ref uuid, score double precision")
ROW_BYTES = 118  # about, for the CSV
ROUNDS = 2
FORMATS = ("csv", "ndjson", "parquet")


def _row(rng: random.Random, n: int) -> list[Any]:
    day = date(2020, 1, 1) + timedelta(days=rng.randrange(2000))
    seen = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10**8))
    return [n, f"customer {rng.randrange(10**6)}", f"{rng.randrange(10**6) / 100:.2f}", rng.randrange(1000),
            rng.random() < 0.5, day.isoformat(), seen.isoformat(), str(uuid.UUID(int=rng.getrandbits(128))),
            rng.random() * 1000]


def generate(folder: Path, megabytes: int) -> dict[str, Path]:
    """The CSV, NDJSON and Parquet files of the same rows, all three whichever formats are compared."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = megabytes * 1024 * 1024 // ROW_BYTES
    rng = random.Random(13)  # noqa: S311 - test data
    paths = {f: folder / f"data.{f}" for f in FORMATS}
    with paths["csv"].open("w") as csv, paths["ndjson"].open("w") as nd:
        csv.write(",".join(HEADER) + "\n")
        batch: list[list[Any]] = []
        writer = None
        for n in range(1, rows + 1):
            row = _row(rng, n)
            csv.write(",".join(str(v).lower() if isinstance(v, bool) else str(v) for v in row) + "\n")
            nd.write(json.dumps(dict(zip(HEADER, row, strict=True))) + "\n")
            batch.append(row)
            if len(batch) == 100_000 or n == rows:
                table = pa.table({h: [r[i] for r in batch] for i, h in enumerate(HEADER)})
                writer = writer or pq.ParquetWriter(paths["parquet"], table.schema)
                writer.write_table(table)
                batch = []
        if writer is not None:
            writer.close()
    return paths


async def _berth(dsn: str, fmt: str, path: Path, table: str) -> int:
    from control_plane.imports import pipeline
    from control_plane.imports.limits import PlanLimits
    from control_plane.imports.sources import open_sources
    from control_plane.imports.store import Format, Mode

    async def report(done: int, rows: int) -> None:
        return None

    limits = PlanLimits.of("scale")  # the benchmark's 1 GB file holds 10 million rows
    sources = open_sources(Format(fmt), path, table, {})
    conn = await asyncpg.connect(dsn)
    try:
        return (await pipeline.run(conn, sources, Mode.CREATE, str(uuid.uuid4()), report, limits=limits)).rows
    finally:
        await conn.close()


async def _plain(dsn: str, fmt: str, path: Path, table: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"CREATE TABLE {table} ({TYPED})")
        if fmt == "csv":
            status = await conn.copy_to_table(table, source=path, format="csv", header=True)
            return int(status.split()[-1])
        records = _ndjson_records(path) if fmt == "ndjson" else _parquet_records(path)
        total = 0
        for batch in records:
            await conn.copy_records_to_table(table, records=batch, columns=HEADER)
            total += len(batch)
        return total
    finally:
        await conn.close()


def _typed(row: list[Any]) -> tuple[Any, ...]:
    from decimal import Decimal

    return (row[0], row[1], Decimal(row[2]), row[3], row[4], date.fromisoformat(row[5]),
            datetime.fromisoformat(row[6]), uuid.UUID(row[7]), row[8])


def _ndjson_records(path: Path) -> Any:
    import orjson

    batch = []
    with path.open("rb") as handle:
        for line in handle:
            item = orjson.loads(line)
            batch.append(_typed([item[h] for h in HEADER]))
            if len(batch) == 5000:
                yield batch
                batch = []
    if batch:
        yield batch


def _parquet_records(path: Path) -> Any:
    import pyarrow.parquet as pq

    for part in pq.ParquetFile(path).iter_batches(batch_size=5000):
        columns = part.to_pydict()
        yield [_typed([columns[h][i] for h in HEADER]) for i in range(part.num_rows)]


def one(contender: str, fmt: str, path: Path, dsn: str, table: str) -> dict[str, Any]:
    """Run in a child: load once, report time and peak RSS."""
    run = _berth if contender == "berth" else _plain
    started = time.perf_counter()
    rows = asyncio.run(run(dsn, fmt, path, table))
    elapsed = time.perf_counter() - started
    return {"seconds": round(elapsed, 2), "rows": rows, "peak_rss_mib": round(peak_rss_mib(), 1)}


def peak_rss_mib() -> float:
    """This process's high-water RSS (VmHWM: unlike ru_maxrss, not inherited from the parent over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(contender: str, fmt: str, path: Path, dsn: str, table: str,
           against: Path | None = None) -> dict[str, Any]:
    """One load in a fresh process; *before* runs in the other checkout, whose modules then lead sys.path."""
    run_as = "berth" if contender == "before" else contender
    argv = [sys.executable, "-m", "bench.imports", "--one", run_as, fmt, str(path), dsn, table]
    cwd = against if contender == "before" else None
    done = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=cwd)  # noqa: S603 - our own module
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def compare(dsn: str, files: dict[str, Path], against: Path | None = None,
            rounds: int = ROUNDS) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    contenders = ("berth", "plain") + (("before",) if against else ())
    for fmt, path in files.items():
        runs: dict[str, list[dict[str, Any]]] = {c: [] for c in contenders}
        for round_ in range(rounds):
            order = contenders if round_ % 2 == 0 else contenders[::-1]
            for contender in order:
                table = f"{contender}_{fmt}_{round_}"
                runs[contender].append(_child(contender, fmt, path, dsn, table, against))
        best = {c: statistics.median(r["seconds"] for r in runs[c]) for c in runs}
        figures[fmt] = {"bytes": path.stat().st_size, "rows": runs["berth"][0]["rows"], "runs": runs,
                        "berth_s": best["berth"], "plain_s": best["plain"],
                        "ratio": round(best["berth"] / best["plain"], 2),
                        "berth_peak_rss_mib": max(r["peak_rss_mib"] for r in runs["berth"]),
                        "plain_peak_rss_mib": max(r["peak_rss_mib"] for r in runs["plain"])}
        if against:
            before = best["before"]
            figures[fmt].update(before_s=before, before_ratio=round(before / best["plain"], 2),
                                before_peak_rss_mib=max(r["peak_rss_mib"] for r in runs["before"]))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--one", nargs=5)
    parser.add_argument("--against", type=Path, help="another checkout of Berth to run as 'before'")
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="more, on a machine whose speed varies")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("imports.json"),
                        help="where the figures go (a run of some formats only is best kept apart)")
    args = parser.parse_args()
    if args.one:
        contender, fmt, path, dsn, table = args.one
        print(json.dumps(one(contender, fmt, Path(path), dsn, table)))
        return
    from bench.fixture import services

    with tempfile.TemporaryDirectory() as scratch, services(Path(scratch)) as (dsn, _redis):
        files = generate(Path(scratch), args.mb)
        figures = compare(dsn, {f: files[f] for f in args.formats}, args.against, args.rounds)
    out = {"megabytes": args.mb, "figures": figures}
    args.out.write_text(json.dumps(out, indent=2))
    for fmt, f in figures.items():
        print(f"{fmt}: {f['bytes'] / 2**20:.0f} MiB, {f['rows']:,} rows: berth {f['berth_s']} s "
              f"(peak RSS {f['berth_peak_rss_mib']} MiB), plain {f['plain_s']} s "
              f"(peak RSS {f['plain_peak_rss_mib']} MiB), ratio {f['ratio']} x"
              + (f"; before {f['before_s']} s ({f['before_ratio']} x, "
                 f"peak RSS {f['before_peak_rss_mib']} MiB)" if "before_s" in f else ""))


if __name__ == "__main__":
    main()
