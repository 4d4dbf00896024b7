"""Benchmark: a 3-year quarter-hour backfill (offtake + injection) into a file-backed recorder.

Run with ``scripts/run python bench/backfill.py``. Everything is measured in one run and printed
as ratios against a baseline measured in the same run:

* baseline: the same responses produced and parsed, the same final hourly rows (the running
  sums computed in memory) handed to ``async_add_external_statistics`` directly, in the same
  chunk sizes, then one wait for the recorder;
* ours: the coordinator's backfill (revision-safe import, cursor saved after every chunk).

Targets: wall-time ratio ≤ 1.15; memory growth ≤ 100 MB; a state change written within 5 s
while the backfill runs; daily poll cost with 3 years of history ≤ 1.2 x with 1 year.

Data source: the API stand-in (``fluvius_sandbox``) in its own process on loopback, spoken to
over HTTP by the real client (built from a config entry's data, as Home Assistant does), with
its realistic data: insert times, estimates corrected later, a few late days. The baseline goes
through the same client and the same stand-in, so both sides pay the same fetch and parse cost;
the last line checks the imported offtake total against the stand-in's truth.
"""

from __future__ import annotations

import sys

from _runner import run

if __name__ == "__main__":
    sys.exit(run("_bench_backfill.py"))
