"""Benchmark: parsing a 185-day quarter-hour GET Energy response vs decoding its JSON.

Builds the largest response one request can bring (185 days of quarter-hours of a digital
electricity meter, offtake and injection ``total``, in the spec's exact shape, §7.7), serialises
it with orjson, then times in this process (best of several runs):

* ``orjson.loads(raw)``                  - decoding alone, the floor;
* ``parse_energy(orjson.loads(raw))``    - decoding plus our parser, what the client does.

Target: the ratio is at most 3. Run: ``scripts/run python bench/parse.py [--runs N]``.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
import gc
import math
from pathlib import Path
import random
import sys
import time
from typing import Any
from zoneinfo import ZoneInfo

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.fluvius.api.parser import parse_energy

BRUSSELS = ZoneInfo("Europe/Brussels")
DAYS = 185
TARGET = 3.0


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_response(days: int = DAYS, seed: int = 1) -> dict[str, Any]:
    """A realistic digital-meter response: household offtake, PV injection, a few estimates."""
    rng = random.Random(seed)
    start = datetime(2024, 3, 1, tzinfo=BRUSSELS).astimezone(UTC)  # crosses the March DST change
    end = datetime(2024, 3, 1, tzinfo=BRUSSELS) + timedelta(days=days)
    stop = end.astimezone(UTC)
    intervals: list[dict[str, Any]] = []
    moment = start
    step = timedelta(minutes=15)
    while moment < stop:
        local = moment.astimezone(BRUSSELS)
        hour = local.hour + local.minute / 60
        base = 0.05 + 0.04 * math.sin(hour / 24 * 2 * math.pi) ** 2
        evening = 0.25 if 17 <= hour < 22 else 0.0
        offtake = max(0.0, base + evening * rng.random() + rng.gauss(0, 0.02))
        sun = max(0.0, math.sin((hour - 6) / 14 * math.pi)) if 6 <= hour <= 20 else 0.0
        injection = max(0.0, 0.6 * sun * rng.random() - offtake / 2)
        state = "EST" if rng.random() < 0.01 else "READ"
        intervals.append(
            {
                "start": _stamp(moment),
                "end": _stamp(moment + step),
                "measurements": [
                    {
                        "offtake": {
                            "total": {
                                "value": round(offtake, 3),
                                "unit": "kWh",
                                "validationState": state,
                            }
                        },
                        "injection": {
                            "total": {
                                "value": round(injection, 3),
                                "unit": "kWh",
                                "validationState": state,
                            }
                        },
                    }
                ],
            }
        )
        moment += step
    return {
        "data": {
            "headpoint": {
                "$type": "metering-on-meter",
                "ean": "541440110000000042",
                "energyType": "E",
                "physicalMeters": [
                    {
                        "seqNumber": "1",
                        "meterID": "1SAG3105012345",
                        "quarterHourlyEnergy": intervals,
                    }
                ],
            }
        }
    }


def best_of(runs: int, func: Any) -> float:
    best = math.inf
    for _ in range(runs):
        gc.collect()
        began = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - began)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per measurement")
    args = parser.parse_args()

    raw = orjson.dumps(build_response())
    data = parse_energy(orjson.loads(raw))  # warm-up, and the counts
    intervals = len(next(iter(data.series.values())))
    samples = data.sample_count

    loads = best_of(args.runs, lambda: orjson.loads(raw))
    parse = best_of(args.runs, lambda: parse_energy(orjson.loads(raw)))
    ratio = parse / loads

    print(f"response: {len(raw) / 1e6:.2f} MB, {DAYS} days, {intervals} quarter-hours")
    print(f"samples:  {samples} ({len(data.series)} series)")
    print(f"orjson.loads(raw):               {loads * 1e3:8.2f} ms  (best of {args.runs})")
    print(f"parse_energy(orjson.loads(raw)): {parse * 1e3:8.2f} ms  (best of {args.runs})")
    print(f"parser alone:                    {(parse - loads) * 1e3:8.2f} ms")
    print(f"ratio: {ratio:.2f}x (target <= {TARGET:.0f}x) -> {'OK' if ratio <= TARGET else 'SLOW'}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
