"""A real `berth` process for operations tests: started on the suite's servers, its stderr kept."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from control_plane.settings import Settings
from tests.api.conftest import confirmation_tokens
from tests.conftest import berth_environment

BERTH = str(Path(sys.executable).with_name("berth"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Running:
    """A started `berth` command: its base URL, and its output once stopped."""

    process: subprocess.Popen[bytes]
    url: str
    logs: Path
    stdout: Path
    stopped: bool = field(default=False)

    def stop(self) -> str:
        """SIGINT, wait, and return everything it wrote to stderr."""
        if not self.stopped:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.stopped = True
        return self.logs.read_text()


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The process environment for ``settings`` (its own catalog, the suite's Redis and server)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BERTH_")}
    env.update({**berth_environment(settings), "BERTH_DATA_DIR": str(settings.data_dir), **extra})
    return env


def start(args: list[str], env: dict[str, str], port: int, folder: Path, *, ready: str = "/readyz",
          wait: float = 60.0) -> Running:
    folder.mkdir(parents=True, exist_ok=True)
    logs, stdout = folder / f"stderr-{port}.log", folder / f"stdout-{port}.log"
    env = {**env, "BERTH_PORT": str(port), "BERTH_HOST": "127.0.0.1"}
    with logs.open("wb") as err, stdout.open("wb") as out:
        process = subprocess.Popen([BERTH, *args], env=env, stdout=out, stderr=err)  # noqa: S603
    running = Running(process, f"http://127.0.0.1:{port}", logs, stdout)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"berth {' '.join(args)} exited: {logs.read_text()[-2000:]}")
        try:
            if httpx.get(running.url + ready, timeout=1).status_code < 500:
                return running
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    running.stop()
    raise AssertionError(f"berth {' '.join(args)} did not become ready: {logs.read_text()[-2000:]}")


def signed_up(http: httpx.Client, settings: Settings, email: str, password: str,
              tenant_name: str) -> dict[str, Any]:
    """An account on a running `berth dev`, as a person makes one: the 202, then the link its mail
    catcher (``<data dir>/mail``) received, confirmed with the password; the confirmation's body."""
    asked = http.post("/v1/signup", json={"email": email, "password": password, "tenant_name": tenant_name})
    assert asked.status_code == 202, asked.text
    deadline = time.monotonic() + 10  # the mail goes out after the answer
    while not (tokens := confirmation_tokens(settings, email)):
        assert time.monotonic() < deadline, f"no confirmation mail to {email}"
        time.sleep(0.05)
    made = http.post("/v1/signup/confirm", json={"token": tokens[0], "password": password})
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[Running]]:
    """Processes a test starts; every one is stopped afterwards."""
    started: list[Running] = []
    yield started
    for running in started:
        running.stop()
