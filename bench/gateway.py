"""The gateway process as ``berth serve gateway`` runs it: cli.runtime.serve with the gateway part only.

The harness starts this rather than ``berth serve gateway`` because that command's
start-up check closes its catalog connection after its event loop has closed and
exits with "Event loop is closed" (reported to the CLI's owner).
"""

from __future__ import annotations

from cli import runtime
from cli.operate import load_settings
from data_plane.lifespan import serving


def main() -> None:
    runtime.serve(load_settings(), None, serving, [])


if __name__ == "__main__":
    main()
