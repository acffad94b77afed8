"""The gateway process as ``berth serve gateway`` runs it: cli.runtime.serve with the gateway part only
(or, for the Granian row of bench/STACKS.md, the same app served by Granian).

The harness starts this rather than ``berth serve gateway`` because that command's
start-up check closes its catalog connection after its event loop has closed and
exits with "Event loop is closed" (reported to the CLI's owner).
"""

from __future__ import annotations

from bench import stack
from cli import runtime, telemetry
from cli.operate import load_settings
from data_plane.lifespan import serving


def main() -> None:
    settings = load_settings()
    # As in production: structured logs (an access line per request, JSON) and metrics, bound to the role.
    metrics = telemetry.start(settings)
    gateway = telemetry.bound(serving, metrics)
    if stack.chosen() == "granian":
        stack.run(runtime.root_app(settings, None, gateway, [], metrics), settings.port, lifespan="on")
        return
    runtime.serve(settings, None, gateway, [], metrics, **stack.uvicorn_options())


if __name__ == "__main__":
    main()
