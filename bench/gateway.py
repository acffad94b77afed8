"""The gateway process as ``berth serve gateway`` runs it: cli.runtime.serve with the gateway part only
(or, for the Granian row of bench/STACKS.md, the same app served by Granian).

The harness starts this rather than ``berth serve gateway`` because that command's
start-up check closes its catalog connection after its event loop has closed and
exits with "Event loop is closed" (reported to the CLI's owner).

With ``BENCH_SHARED_PORT`` set (uvicorn only), the process also listens on that port with
SO_REUSEPORT, so several processes share it and the kernel spreads new
connections over them, as several replicas on one host would; ``BERTH_PORT``
stays the process's own port, which the harness uses to reach this one process.
"""

from __future__ import annotations

import os
import socket

from bench import stack
from cli import runtime, telemetry
from cli.operate import load_settings
from control_plane.settings import Process
from data_plane.lifespan import serving


def listening(host: str, port: int, *, shared: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def main() -> None:
    settings = load_settings(Process.GATEWAY)
    # As in production: structured logs (an access line per request, JSON) and metrics, bound to the role.
    metrics = telemetry.start(settings)
    gateway = telemetry.bound(serving, metrics)
    if stack.chosen() == "granian":
        stack.run(runtime.root_app(settings, None, gateway, [], metrics), settings.port, lifespan="on")
        return
    shared = os.environ.get("BENCH_SHARED_PORT")
    sockets = None if shared is None else [listening(settings.host, int(shared), shared=True),
                                           listening(settings.host, settings.port, shared=False)]
    runtime.serve(settings, None, gateway, [], metrics, **stack.uvicorn_options(), sockets=sockets)


if __name__ == "__main__":
    main()
