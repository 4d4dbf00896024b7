"""Benchmark: one entry with 50 meters (a mix of mock-EAN kinds) backfilling against the API
stand-in into a file-backed recorder, against the same with 1 meter, in the same run.

Run with ``scripts/run python bench/scale.py`` (``FLUVIUS_SCALE_DAYS`` sets the backfill depth,
30 days by default: 3 years x 50 meters would take the recorder the better part of an hour;
``FLUVIUS_SCALE_METERS`` the number of meters). The stand-in runs in its own process, so its
work is not measured. Printed: wall time and peak RSS growth as ratios to 1 meter, the most GET
Energy requests in flight at once (bounded by the coordinator), and the event loop's longest
block (a task sleeping 10 ms measures how late it wakes; asyncio's debug mode with
``slow_callback_duration=0.05`` names what blocked it). A third run backfills one full 185-day
chunk of the largest meter kind (AMR with PV and auxiliary submeters, reactive energy): the
biggest response the integration ever parses.
"""

from __future__ import annotations

import sys

from _runner import run

if __name__ == "__main__":
    sys.exit(run("_bench_scale.py"))
