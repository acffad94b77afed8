"""The three contenders as separate uvicorn processes on loopback, and what the harness reads about them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from bench.fixture import Target
from control_plane.settings import Settings

READY_TIMEOUT = 60.0


@dataclass
class Contender:
    """One server process: how to start it and which targets a client calls on it."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    targets: list[tuple[str, str]]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        # argv is built in this module from sys.executable and fixed module names
        # Logs are written as in production (the gateway's JSON access line per request) to a file, not
        # the bench's console: /tmp/berth-bench-<name>.log, kept for a contender that fails to start.
        log = Path(tempfile.gettempdir()) / f"berth-bench-{self.name}.log"
        with log.open("wb") as sink:
            self.process = subprocess.Popen(  # noqa: S603
                self.argv, env={**os.environ, **self.env}, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink)
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"contender on port {port} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"contender on port {port} did not listen within {READY_TIMEOUT:.0f} s")


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def gateway_env(settings: Settings, port: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The gateway's BERTH_* environment, as an operator would set it for ``berth serve gateway``."""
    env = {"BERTH_DATABASE_URL": settings.database_url_value, "BERTH_REDIS_URL": settings.redis_url_value,
           "BERTH_TOKEN_PEPPER": settings.token_pepper_value.decode(),
           "BERTH_SEAL_KEYS": settings.seal_keys_value}  # the gateway's secrets, no JWT secret
    return {**env, "BERTH_HOST": "127.0.0.1", "BERTH_PORT": str(port), **(extra or {})}


def gateway(settings: Settings, targets: list[Target], extra: dict[str, str] | None = None) -> Contender:
    port = free_port()
    return Contender("berth", [sys.executable, "-m", "bench.gateway"],
                     gateway_env(settings, port, extra), port, [(t.path, t.token) for t in targets])


def bare(redis_url: str, targets: list[Target], readers: list[str]) -> Contender:
    port = free_port()
    rows = [[t.token, t.slug, str(t.endpoint_id), dsn] for t, dsn in zip(targets, readers, strict=True)]
    env = {"BENCH_REDIS_URL": redis_url, "BENCH_ENDPOINTS": orjson.dumps(rows).decode()}
    return Contender("bare", [sys.executable, "-m", "bench.bare", str(port)], env, port,
                     [(t.path, t.token) for t in targets])


def sdk_peer(reader: str) -> Contender:
    port = free_port()
    return Contender("sdk-peer", [sys.executable, "-m", "bench.sdk_peer", str(port)], {"BENCH_DSN": reader},
                     port, [("/mcp", "")])


def floor(targets: list[Target]) -> Contender:
    port = free_port()
    return Contender("floor", [sys.executable, "-m", "bench.floor", str(port)], {}, port,
                     [(t.path, t.token) for t in targets])
