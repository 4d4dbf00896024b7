"""Benchmark: the fault soak over a simulated year (tests/reliability/soak.py).

Three meters (digital electricity offtake + injection in quarter-hours, digital gas, AMR with a
PV submeter) are backfilled, then polled day after day for ``FLUVIUS_SOAK_DAYS`` (365) simulated
days against the API stand-in with a seeded mix of faults (429 with Retry-After, 500, 503, slow
answers past the client's timeout, truncated and malformed JSON, tokens that expire early), late
data, revisions, a 3-day outage right after the set-up (before the first chunk), another
3-day outage later and ``FLUVIUS_SOAK_RESTARTS`` (8) Home Assistant restarts at
random moments plus two in the middle of an import. Printed: the figures line (requests, faults
by kind, restarts, rows compared with the truth, differences, requests per meter and day).

Run with ``scripts/run python bench/soak.py`` (a file SQLite recorder) or
``scripts/run python bench/soak.py --dburl postgresql://...`` (see scripts/_postgres.sh).
"""

from __future__ import annotations

import sys

from _runner import run

if __name__ == "__main__":
    sys.exit(run("_bench_soak.py"))
