"""The load generator: its own process, raw asyncio sockets, keep-alive HTTP/1.1, fixed duration.

Reads a JSON spec on stdin, prints JSON figures on stdout. Request bytes are
built once, so a call costs the client one write and one parse; its own CPU
share is reported beside the figures to show it is not the bottleneck.

With ``bodies`` and ``slice`` instead of ``body``, the clients send each body in
turn for ``slice`` seconds at a time, and the figures come per body under
``phases``: two calls compared this way share the neighbours' load on the
machine almost exactly, which separate runs seconds apart do not.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

BAD = (b'"isError":true', b'"isError": true', b'"error":')


@dataclass
class Tally:
    warm_end: float
    end: float
    latencies: list[float] = field(default_factory=list)
    once: bool = False  # each target called exactly once (spread over the clients), then stop
    errors: int = 0
    sample: str = ""


@dataclass
class Sliced:
    """Bodies taken in turn, ``slice`` seconds each, from ``start``; a call counts for the body it sent."""

    requests: list[list[bytes]]
    slice: float
    start: float
    tallies: list[Tally]

    def phase(self, now: float) -> int:
        return int((now - self.start) / self.slice) % len(self.requests)


def build_requests(spec: dict[str, Any]) -> list[bytes]:
    body = orjson.dumps(spec["body"])
    host = f"{spec.get('host', '127.0.0.1')}:{spec['port']}"
    out = []
    for path, token in spec["targets"]:
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\n"
                f"Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-06-18\r\n"
                f"Content-Length: {len(body)}\r\n\r\n")
        out.append(head.encode() + body)
    return out


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = dict(line.split(b":", 1) for line in lines[1:] if b":" in line)
    headers = {k.strip().lower(): v.strip() for k, v in headers.items()}
    if b"content-length" in headers:
        return status, await reader.readexactly(int(headers[b"content-length"]))
    chunks = []
    while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
    await reader.readexactly(2)
    return status, b"".join(chunks)


async def client(port: int, requests: list[bytes], first: int, step: int, tally: Tally) -> None:
    sliced = Sliced([requests], float("inf"), 0.0, [tally])
    await sliced_client(port, sliced, first, step)


async def sliced_client(port: int, sliced: Sliced, first: int, step: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    index, tally = first, sliced.tallies[0]
    try:
        while (started := time.perf_counter()) < tally.end and not (tally.once and index >= len(
                sliced.requests[0])):
            phase = sliced.phase(started)
            requests, tally = sliced.requests[phase], sliced.tallies[phase]
            writer.write(requests[index % len(requests)])
            index += step
            status, body = await read_response(reader)
            if started < tally.warm_end:
                continue
            tally.latencies.append(time.perf_counter() - started)
            if status != 200 or any(marker in body for marker in BAD):
                tally.errors += 1
                tally.sample = tally.sample or f"{status} {body[:300].decode(errors='replace')}"
    finally:
        writer.close()


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    if "bodies" in spec:
        return await run_sliced(spec)
    requests = build_requests(spec)
    clients = int(spec["clients"])
    warm_end = time.perf_counter() + spec["warmup"]
    tally = Tally(warm_end, warm_end + spec["duration"], once=bool(spec.get("once")))
    cpu_task = asyncio.create_task(_cpu_at_window_start(tally))
    await asyncio.gather(*(client(spec["port"], requests, i, clients, tally) for i in range(clients)))
    window = time.perf_counter() - tally.warm_end
    return summarize(tally, window, sum(os.times()[:2]) - await cpu_task)


async def run_sliced(spec: dict[str, Any]) -> dict[str, Any]:
    """Figures per body under ``phases``; each body's calls/s is over its own share of the window."""
    bodies = spec["bodies"]
    clients = int(spec["clients"])
    warm_end = time.perf_counter() + spec["warmup"]
    tallies = [Tally(warm_end, warm_end + spec["duration"]) for _ in bodies]
    sliced = Sliced([build_requests({**spec, "body": b}) for b in bodies], spec["slice"], warm_end, tallies)
    cpu_task = asyncio.create_task(_cpu_at_window_start(tallies[0]))
    await asyncio.gather(*(sliced_client(spec["port"], sliced, i, clients) for i in range(clients)))
    window = time.perf_counter() - warm_end
    cpu = sum(os.times()[:2]) - await cpu_task
    phases = [summarize(t, window / len(bodies), cpu / len(bodies)) for t in tallies]
    return {"phases": phases, "window_s": round(window, 3), "errors": sum(p["errors"] for p in phases)}


async def _cpu_at_window_start(tally: Tally) -> float:
    await asyncio.sleep(max(0.0, tally.warm_end - time.perf_counter()))
    return sum(os.times()[:2])


def summarize(tally: Tally, window: float, cpu_seconds: float) -> dict[str, Any]:
    lat = sorted(tally.latencies)
    if not lat:
        return {"calls": 0, "errors": tally.errors, "sample_error": tally.sample}
    cuts = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else [lat[0]] * 99
    return {
        "calls": len(lat), "errors": tally.errors, "window_s": round(window, 3),
        "calls_per_s": round(len(lat) / window, 1),
        "p50_ms": round(cuts[49] * 1000, 3), "p99_ms": round(cuts[98] * 1000, 3),
        "loadgen_cpu": round(cpu_seconds / window, 3), "sample_error": tally.sample,
    }


def main() -> None:
    spec = orjson.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(orjson.dumps(asyncio.run(run(spec))))


if __name__ == "__main__":
    main()
