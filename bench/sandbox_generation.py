"""Benchmark: how fast the stand-in generates three years of data for one EAN.

``fluvius_sandbox`` builds its data lazily, a month of one EAN at a time. This times the
generation of 37 consecutive months (cold, no cache) for each data-heavy kind of mock EAN and
prints it as a ratio to the target of one second.

Run: ``scripts/run python bench/sandbox_generation.py [--runs N]``.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
import sys
import time

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fluvius_sandbox.eans import parse_mock_ean
from fluvius_sandbox.model import generate_block
from fluvius_sandbox.timeutil import month_index

TARGET_SECONDS = 1.0
MONTHS = 37
KINDS = {
    "541440110000000001": "digital electricity, quarter-hours, offtake + injection",
    "541450011000000001": "AMR electricity, quarter-hours, submeters and reactive",
    "541441010000000001": "digital gas, hours, m3 and kWh",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="best of N cold generations")
    args = parser.parse_args()
    first = month_index(datetime(2023, 11, 1, tzinfo=UTC).date())
    worst = 0.0
    for seed, (ean, label) in enumerate(KINDS.items()):
        mock = parse_mock_ean(ean)
        best = float("inf")
        count = 0
        for run in range(args.runs):
            began = time.perf_counter()
            blocks = [generate_block(seed + run, mock, first + i) for i in range(MONTHS)]
            best = min(best, time.perf_counter() - began)
            count = sum(block.size for block in blocks)
        worst = max(worst, best)
        print(f"{ean} ({label}): {count} intervals in {best * 1000:.0f} ms")
    verdict = "OK" if worst <= TARGET_SECONDS else "TOO SLOW"
    print(f"slowest / target: {worst / TARGET_SECONDS:.3f} (target <= 1) -> {verdict}")


if __name__ == "__main__":
    main()
