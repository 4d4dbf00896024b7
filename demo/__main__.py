"""``python -m demo`` (what ``scripts/demo`` runs inside the toolchain).

Starts the Fluvius API stand-in and a real Home Assistant, completes onboarding, adds the Fluvius
integration through its config flow, points the Energy dashboard at our statistics, prints the
address and the login, and keeps both running until Ctrl-C. A second run reuses the state
directory: same user, same entry, same statistics.
"""

from __future__ import annotations

import argparse
import asyncio
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
import shutil
import signal
import sys
import time

import aiohttp

from demo.prices import (
    NETWORK_AREA,
    PRICE_SENSOR,
    SURCHARGE_OFFTAKE,
    configure_prices,
    import_price_history,
    local_today,
    reprice,
    wait_reloaded,
)
from demo.progress import ImportProgress, ImportStatus, visible_everywhere
from demo.provision import FluviusStatistics, HomeAssistantClient, ProvisionError, prefs_cover
from demo.stack import (
    DEFAULT_STATE_DIR,
    DEMO_NAME,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    DemoStack,
    StackError,
)

DEFAULT_HASS_PORT = 8123
DEFAULT_SANDBOX_PORT = 8765
# "Ready" means yesterday is on the Energy dashboard: how long to wait for it before saying it
# is not (the demo keeps running and says Ready when it comes), and how often to report the
# history import's progress after that.
YESTERDAY_WAIT = 180
PROGRESS_EVERY = 15
PRICE_HISTORY_DAYS = 3 * 366 + 1  # the stand-in's demo mandates: three years of history
# The days imported again per fluvius.import_history call (each call waits for its import).
REPRICE_STEP_DAYS = 31


def _say(message: str) -> None:
    print(message, flush=True)  # noqa: T201 - the demo talks to a person


async def provision(
    client: HomeAssistantClient, progress: ImportProgress, stack: DemoStack, started: float
) -> ImportStatus:
    created = await client.onboard(DEMO_NAME, DEMO_USERNAME, DEMO_PASSWORD)
    _say("Onboarding done, demo user created." if created else "Logged in as the demo user.")
    await client.wait_running()
    await client.confirm_http_config()
    await client.ignore_setup_issues()
    await client.set_advanced_mode()
    if created:
        await asyncio.sleep(2)  # the core_config step creates its extras in background tasks
    await client.remove_onboarding_extras()
    # The price sensor's past hours first: the options select it next and price from them.
    rows = await import_price_history(client, PRICE_HISTORY_DAYS)
    _say(f"Imported {rows} hourly prices of {PRICE_SENSOR} (its history).")
    entries = await client.fluvius_entries()
    if entries:
        entry = entries[0]
        _say(f"Reusing the Fluvius entry {entry['title']!r} ({entry['state']}).")
        entry_id = entry["entry_id"]
    else:
        result = await client.add_fluvius_entry(stack.credentials())
        meters = ", ".join(result.get("options", {}).get("eans", [])) or "?"
        _say(
            f"Fluvius integration added through its config flow: {result['title']} "
            f"(meters {meters})."
        )
        entry_id = result["result"]["entry_id"]
    _say("Waiting for yesterday's statistics (the history import runs in the background) ...")
    await client.wait_statistics(within=YESTERDAY_WAIT)
    await _configure_prices(client, progress, entry_id)
    await _configure_energy(client)
    status = await progress.wait_yesterday(within=YESTERDAY_WAIT)
    if status.yesterday_visible:
        await _configure_energy(client)  # every series exists by now
        _say_ready(status, started)
    else:
        _say(
            f"Not ready after {YESTERDAY_WAIT} s: {status.not_ready()}. The history import goes "
            f"on in the background; this demo says Ready when yesterday is in. Logs in "
            f"{stack.state_dir}."
        )
        _say(f"  {status.describe()}")
    return status


async def _configure_prices(
    client: HomeAssistantClient, progress: ImportProgress, entry_id: str
) -> None:
    """Offtake priced by the demo's price sensor, a capacity tariff; the days imported before
    the options (up to the reload they cause) are imported again to get their costs."""
    ean = await configure_prices(client, entry_id)
    if ean is None:
        _say(f"The options already price offtake with {PRICE_SENSOR}.")
        return
    await wait_reloaded(client, ean, within=YESTERDAY_WAIT)
    _say(
        f"Options set: offtake priced by {PRICE_SENSOR} + {SURCHARGE_OFFTAKE} EUR/kWh, capacity "
        f"tariff {NETWORK_AREA} for {ean}."
    )
    today = local_today()
    imported = [m.oldest_day for m in (await progress.status()).meters if m.oldest_day]
    first = min(imported, default=today - timedelta(days=1))
    _say(f"Importing {first.isoformat()} to yesterday again to get their costs ...")
    last = today
    while last > first:  # newest first, as the history import
        start = max(first, last - timedelta(days=REPRICE_STEP_DAYS))
        await reprice(client, start, last)
        last = start
    _say("Done: the history imported before the options has its costs.")


def _say_ready(status: ImportStatus, started: float) -> None:
    _say(f"Ready in {time.monotonic() - started:.0f} s: yesterday is on the Energy dashboard.")
    if status.not_delivered:
        _say(f"  (Fluvius has not delivered yesterday yet for {', '.join(status.not_delivered)})")
    _say(f"  {status.describe()}")


async def _configure_energy(client: HomeAssistantClient) -> FluviusStatistics:
    """Point the Energy dashboard at our statistics (again, if a series was added)."""
    ids = [row["statistic_id"] for row in await client.fluvius_statistic_ids()]
    statistics = FluviusStatistics.from_ids(ids)
    prefs = statistics.energy_prefs()
    if not prefs_cover(await client.energy_prefs(), prefs):
        await client.save_energy_prefs(prefs)
        _say("Energy dashboard configured: grid offtake (with costs) and injection, solar, gas.")
    return statistics


async def watch(
    stack: DemoStack,
    client: HomeAssistantClient,
    progress: ImportProgress,
    status: ImportStatus,
    stop: asyncio.Event,
    started: float,
) -> None:
    """Say Ready when yesterday comes in (if it was late), report the history import's progress
    until it is complete; notice when a process dies."""
    ready = status.yesterday_visible
    complete = status.complete
    last = status.describe()
    next_progress = time.monotonic() + PROGRESS_EVERY
    while not stop.is_set():
        for name, process in stack.processes.items():
            if process.poll() is not None:
                _say(
                    f"{name} exited with code {process.returncode}; stopping. Logs in "
                    f"{stack.state_dir}."
                )
                stop.set()
                return
        due = time.monotonic() >= next_progress
        if not complete and (not ready or due):
            with suppress(ProvisionError, aiohttp.ClientError, TimeoutError):
                # While yesterday is missing only yesterday is read (every 2 s, cheap).
                yesterday = await progress.yesterday()
                if ready or due or visible_everywhere(yesterday):
                    status = await progress.status(yesterday)
                    if not ready and status.yesterday_visible:
                        await _configure_energy(client)
                        _say_ready(status, started)
                        ready = True
                    if status.complete:
                        await _configure_energy(client)
                        _say(
                            f"History import complete after {time.monotonic() - started:.0f} s "
                            f"({status.describe()})."
                        )
                        complete = True
                    elif due:
                        next_progress = time.monotonic() + PROGRESS_EVERY
                        if status.describe() != last:
                            last = status.describe()
                            _say(f"  ... {last}")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 2 if not ready else 5)


async def run(stack: DemoStack, started: float) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=180)) as session:
        client = HomeAssistantClient(stack.hass_url, session)
        progress = ImportProgress(client, stack.sandbox_url, stack.meters())
        try:
            status = await provision(client, progress, stack, started)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            _say("")
            _say(f"  Home Assistant:   {stack.hass_url}/energy")
            _say(f"  Login:            {DEMO_USERNAME} / {DEMO_PASSWORD}")
            _say(f"  Fluvius stand-in: {stack.sandbox_url} (logs and state in {stack.state_dir})")
            _say("")
            _say("Press Ctrl-C to stop.")
            await watch(stack, client, progress, status, stop, started)
        finally:
            await client.close()


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signum)


def main() -> int:
    # Our children run in their own sessions (we stop them in order): a SIGTERM or SIGHUP must
    # reach the clean-up below as well as Ctrl-C does.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__)
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="where the demo keeps its state and logs (default .demo in the project)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="Home Assistant's port on 127.0.0.1 on the first run (default 8123)",
    )
    parser.add_argument(
        "--sandbox-port",
        type=int,
        default=None,
        help="the stand-in's port on the first run (default 8765)",
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="forget the previous demo state (user, entry, statistics)",
    )
    args = parser.parse_args()

    if args.reset and args.state_dir.exists():
        shutil.rmtree(args.state_dir)
    started = time.monotonic()
    stack = DemoStack.for_state_dir(
        args.state_dir,
        args.port,
        args.sandbox_port,
        defaults={"hass": DEFAULT_HASS_PORT, "sandbox": DEFAULT_SANDBOX_PORT},
    )
    _say(
        f"Starting the Fluvius API stand-in on {stack.sandbox_url} and Home Assistant on "
        f"{stack.hass_url} ..."
    )
    try:
        stack.start()
        _say(f"Both are up after {time.monotonic() - started:.0f} s; setting up Home Assistant.")
        asyncio.run(run(stack, started))
    except (StackError, ProvisionError) as err:
        _say(f"demo: {err}")
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        _say("Stopping Home Assistant and the stand-in ...")
        stack.stop()
        _say("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
