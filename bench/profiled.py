"""Run a Berth command under cProfile and write the stats when it exits (SIGTERM unwinds cleanly).

``python -m bench.profiled OUT.prof serve gateway``: what ``python -m bench.hotspots``
starts instead of the plain gateway, since py-spy and pyinstrument are not installed.
"""

from __future__ import annotations

import cProfile
import sys

from cli.main import main


def run() -> None:
    out, sys.argv = sys.argv[1], [sys.argv[0], *sys.argv[2:]]
    profiler = cProfile.Profile()
    try:
        profiler.runcall(main)
    except SystemExit:
        pass
    finally:
        profiler.dump_stats(out)


if __name__ == "__main__":
    run()
