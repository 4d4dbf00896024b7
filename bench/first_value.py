"""Benchmark: how long a new user waits to see yesterday on the Energy dashboard.

Run with ``scripts/run python bench/first_value.py [--dburl postgresql://...]``. Measured from
the moment the config entry is created (added and set up, as the config flow's last step does)
to the moment every followed meter has yesterday's rows of its main active series (offtake;
injection for an injection-only meter; gas) in the recorder: the last complete local day's
hourly rows, or its one daily block for a day-level mandate, exactly the hours the stand-in's
truth holds. The recorder's statistics are read through its public API
(``statistics_during_period`` in the recorder's executor) every 0.2 s while the backfill runs.
Then the time until the whole history is in (the backfill's task ends with every meter done).

Two runs in the same Home Assistant: 1 meter (digital offtake + injection, quarter-hours) and
50 meters of mixed kinds (bench/scale.py's mix: digital quarter-hour electricity, digital gas,
day-level, AMR offtake/injection/gas, AMR with PV and auxiliary submeters), each with the full
history the API reaches (``FLUVIUS_FIRST_VALUE_DAYS``, 1095 by default). Targets on a 2-core
machine: yesterday within 15 s for 1 meter and within 60 s for 50 meters. Each wait gives up
after ``FLUVIUS_FIRST_VALUE_TIMEOUT`` seconds (600 by default) and says how far it got.

Data source: the API stand-in (``fluvius_sandbox``) in its own process on loopback, spoken to
over HTTP by the real client; its clock runs three days ahead of Home Assistant's (as in the
end-to-end test), so that yesterday has been delivered whatever the hour (Fluvius delivers a day
1 to 72 hours after it ends); Home Assistant asks for data up to its own now, as always.
"""

from __future__ import annotations

import sys

from _runner import run

if __name__ == "__main__":
    sys.exit(run("_bench_first_value.py"))
