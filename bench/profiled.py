"""The gateway process (bench.gateway) under cProfile; stats written when SIGTERM unwinds it.

``python -m bench.profiled OUT.prof``: what ``python -m bench.hotspots``
starts instead of the plain gateway, since py-spy and pyinstrument are not installed.
"""

from __future__ import annotations

import cProfile
import sys

from bench.gateway import main


def run() -> None:
    out = sys.argv[1]
    profiler = cProfile.Profile()
    try:
        profiler.runcall(main)
    except SystemExit:
        pass
    finally:
        profiler.dump_stats(out)


if __name__ == "__main__":
    run()
