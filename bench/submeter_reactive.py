"""Benchmark: what leaving the submeters' reactive energy out saves.

Run with ``scripts/run python bench/submeter_reactive.py``. One year of history of an AMR meter
with a PV production and an auxiliary submeter (mock EAN kind ``5414502110...``), backfilled
from the stand-in (its own process, over HTTP, the real client) into a file-backed recorder,
with the ``submeter_reactive`` option on and off: the statistics written, the rows written and
the wall time of the backfill. Each setting runs twice (on, off, off, on), each on an EAN of its
own, after a warm-up.
"""

from __future__ import annotations

import sys

from _runner import run

if __name__ == "__main__":
    sys.exit(run("_bench_submeter_reactive.py"))
