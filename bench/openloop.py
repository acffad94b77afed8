"""An open-loop load generator: calls start on a fixed schedule, whatever the server's pace.

Its own process; reads a JSON spec on stdin, prints JSON figures on stdout.
Call ``n`` is due at ``start + n / rate``; a pool of keep-alive connections
takes due calls in order. A call's latency runs from when it was due, not when
a connection got round to it, so a server that falls behind shows it in the
latencies (no coordinated omission). Runs for ``duration`` seconds or until
SIGTERM, then reports per ``bucket``-second window: calls, errors, p50, p99 and
max latency, and each non-200 outcome with a sample.
"""

from __future__ import annotations

import asyncio
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from bench.load import BAD, build_requests, read_response

TICK = 0.001


@dataclass
class Bucket:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def figures(self, seconds: float) -> dict[str, Any]:
        lat = sorted(self.latencies)
        if not lat:
            return {"calls": 0, "errors": self.errors}
        cuts = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else [lat[0]] * 99
        return {"calls": len(lat), "errors": self.errors, "calls_per_s": round(len(lat) / seconds, 1),
                "p50_ms": round(cuts[49] * 1000, 2), "p99_ms": round(cuts[98] * 1000, 2),
                "max_ms": round(lat[-1] * 1000, 2)}


@dataclass
class Run:
    requests: list[bytes]
    port: int
    rate: float
    bucket: float
    start: float = field(default_factory=lambda: time.perf_counter() + 0.2)
    due: asyncio.Queue[float | None] = field(default_factory=asyncio.Queue)
    buckets: dict[int, Bucket] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)
    scheduled: int = 0
    stopping: bool = False  # SIGTERM: calls not yet sent are dropped, not counted

    def record(self, at: float, latency: float, outcome: str, sample: str = "") -> None:
        bucket = self.buckets.setdefault(int((at - self.start) / self.bucket), Bucket())
        bucket.latencies.append(latency)
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if outcome != "200":
            bucket.errors += 1
            self.samples.setdefault(outcome, sample[:300])


async def schedule(run: Run, end: float, stop: asyncio.Event, connections: int) -> None:
    """Put each call on the queue when it falls due; then one end mark per connection."""
    while not stop.is_set() and (now := time.perf_counter()) < end:
        due = int((now - run.start) * run.rate) + 1
        while run.scheduled < due:
            run.due.put_nowait(run.start + run.scheduled / run.rate)
            run.scheduled += 1
        await asyncio.sleep(TICK)
    for _ in range(connections):
        run.due.put_nowait(None)


async def connection(run: Run, first: int, step: int) -> None:
    index, reader, writer = first, None, None
    while (at := await run.due.get()) is not None:
        if run.stopping:
            continue
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", run.port)
            assert reader is not None
            writer.write(run.requests[index % len(run.requests)])
            index += step
            status, body = await read_response(reader)
        except (OSError, asyncio.IncompleteReadError) as exc:
            run.record(at, time.perf_counter() - at, type(exc).__name__, str(exc))
            writer = None
            continue
        failed = status != 200 or any(marker in body for marker in BAD)
        outcome = "200" if not failed else f"{status}{' tool error' if status == 200 else ''}"
        run.record(at, time.perf_counter() - at, outcome, body.decode(errors="replace"))
    if writer is not None:
        writer.close()


async def main_async(spec: dict[str, Any]) -> dict[str, Any]:
    run = Run(build_requests(spec), int(spec["port"]), float(spec["rate"]), float(spec.get("bucket", 60)))
    stop = asyncio.Event()

    def stopping() -> None:
        run.stopping = True
        stop.set()

    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping)
    connections = int(spec.get("connections", 64))
    workers = [asyncio.create_task(connection(run, i, connections)) for i in range(connections)]
    await schedule(run, run.start + float(spec["duration"]), stop, connections)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - run.start
    total = Bucket([lat for b in run.buckets.values() for lat in b.latencies],
                   sum(b.errors for b in run.buckets.values()))
    return {"rate": run.rate, "seconds": round(elapsed, 1), "total": total.figures(elapsed),
            "buckets": [run.buckets[k].figures(min(run.bucket, elapsed - k * run.bucket))
                        for k in sorted(run.buckets)],
            "outcomes": run.outcomes, "samples": run.samples}


def quantiles(values: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max of ``values`` (inclusive method; n at least 1), rounded to 0.1."""
    ordered = sorted(values)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {"n": len(ordered), "p50": round(cuts[49], 1), "p95": round(cuts[94], 1),
            "p99": round(cuts[98], 1), "max": round(ordered[-1], 1)}


@dataclass
class LoadRun:
    """This module running in its own process, from the harness's side."""

    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, spec: dict[str, Any]) -> LoadRun:
        process = subprocess.Popen([sys.executable, "-m", "bench.openloop"],  # noqa: S603 - fixed module
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert process.stdin is not None
        process.stdin.write(orjson.dumps(spec))
        process.stdin.close()
        process.stdin = None  # written and closed: communicate() only reads
        return cls(process)

    def stop(self) -> dict[str, Any]:
        """SIGTERM (calls not yet sent are dropped), then its figures."""
        self.process.send_signal(signal.SIGTERM)
        return self.wait()

    def wait(self, timeout: float = 120.0) -> dict[str, Any]:
        out, _ = self.process.communicate(timeout=timeout)
        if self.process.returncode != 0:
            raise RuntimeError(f"bench.openloop exited with {self.process.returncode}")
        figures: dict[str, Any] = orjson.loads(out)
        return figures


def main() -> None:
    spec = orjson.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(orjson.dumps(asyncio.run(main_async(spec))))


if __name__ == "__main__":
    main()
