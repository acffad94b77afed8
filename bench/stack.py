"""The HTTP stack every contender is served on, chosen by ``BERTH_BENCH_STACK``.

``uvicorn`` (the default, and production's: uvicorn with httptools and uvloop,
as ``uvicorn[standard]`` installs them), ``uvicorn-h11`` (uvicorn's pure-Python
parser on the default asyncio loop: a reference row only) and ``granian``
(Granian's Rust HTTP server embedded in a uvloop event loop, ASGI interface).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import uvicorn

STACKS = ("uvicorn", "granian", "uvicorn-h11")


def chosen() -> str:
    stack = os.environ.get("BERTH_BENCH_STACK", "uvicorn")
    if stack not in STACKS:
        raise SystemExit(f"BERTH_BENCH_STACK must be one of {', '.join(STACKS)}")
    return stack


def uvicorn_options() -> dict[str, str]:
    """``http`` and ``loop`` for uvicorn: auto picks httptools and uvloop when they are installed."""
    if chosen() == "uvicorn-h11":
        return {"http": "h11", "loop": "asyncio"}
    return {"http": "auto", "loop": "auto"}


def run(app: Any, port: int, *, lifespan: str = "auto") -> None:
    """Serve ``app`` on 127.0.0.1:``port`` until the process is told to stop."""
    if chosen() != "granian":
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                    lifespan=lifespan, **uvicorn_options())
        return
    import uvloop
    from granian.constants import Interfaces
    from granian.server.embed import Server

    server = Server(app, address="127.0.0.1", port=port, interface=Interfaces.ASGI, log_enabled=False,
                    backlog=1024)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(server.serve())
