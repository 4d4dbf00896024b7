"""A person's path through the demo: log in, add Fluvius through the UI, see yesterday's energy.

The tests run in file order and build on each other (one Home Assistant, one browser page).
Assertions are on what the screen shows (chart bars, source names, dialog texts) and on the
statistics read back over the websocket API (``recorder/statistics_during_period``).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import json
import re
import time
from typing import Any
import urllib.parse
import urllib.request

import pytest

from demo.prices import (
    PRICE_SENSOR,
    SURCHARGE_OFFTAKE,
    configure_prices,
    import_price_history,
    price_at,
    reprice,
    wait_reloaded,
)
from demo.progress import ImportProgress, ImportStatus
from demo.provision import FluviusStatistics, HomeAssistantClient, prefs_cover, yesterday_bounds
from demo.stack import BRUSSELS, DEMO_PASSWORD, DEMO_USERNAME, DemoStack

from .conftest import HISTORY_DAYS, VIEWPORT, Browser, HomeAssistantSession, Screenshots

BACKFILL_WAIT = 480  # seconds for every series to reach yesterday (an upper bound, slow machines)
# Seconds from the entry's set-up to yesterday on the Energy dashboard, for the five demo meters
# (the history import brings the last days first; the older history, HISTORY_DAYS deep, comes
# after, for minutes).
FIRST_VALUE_WAIT = 60
COST_WAIT = 60  # seconds for the options' reload and yesterday's costs (an upper bound)
SERIES_JS = """(card) => {
  const found = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.tagName.toLowerCase() === 'ha-chart-base' && el.chart) {
        for (const s of el.chart.getOption().series) {
          const value = (d) => Array.isArray(d) ? d[1]
            : (d && Array.isArray(d.value)) ? d.value[1]
            : (d && d.value !== undefined) ? d.value : d;
          const values = (s.data || []).map(value);
          found.push({name: s.name || null, type: s.type,
                      bars: values.filter(v => typeof v === 'number' && v !== 0).length});
        }
      }
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(card.shadowRoot || card);
  return found;
}"""


@pytest.fixture(scope="module")
def state() -> dict[str, Any]:
    """What one test learns and a later one needs (EANs, statistic ids)."""
    return {}


def test_login(stack: DemoStack, browser: Browser, screenshots: Screenshots) -> None:
    async def steps(page: Any) -> None:
        await page.goto(stack.hass_url)
        await page.get_by_role("textbox", name="Username").fill(DEMO_USERNAME)
        await page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
        await screenshots.take(page, "01-login")
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url(re.compile(r".*/(home|lovelace)/.*"))
        assert await page.get_by_text("Energy").first.is_visible()

    browser.run(steps)


def test_add_integration_through_the_ui(
    stack: DemoStack,
    browser: Browser,
    ha: HomeAssistantSession,
    screenshots: Screenshots,
    state: dict[str, Any],
) -> None:
    credentials = stack.credentials()

    async def steps(page: Any) -> list[str]:
        await page.goto(stack.hass_url + "/config/integrations/dashboard")
        await page.get_by_role("button", name="Add integration").click()
        # Into the dialog's search field once it is there (typing blindly could come first).
        await page.get_by_placeholder("Search for a brand name").fill("Fluvius")
        await page.get_by_text("Fluvius Energy").first.click()

        # Step "user": environment and credentials (advanced mode shows "Custom").
        await page.get_by_text("Fluvius API credentials").wait_for()
        await page.get_by_role("radio", name=re.compile("Custom")).check()
        for key in ("tenant_id", "client_id", "client_secret", "scope", "subscription_key"):
            await page.locator(f"input[name={key}]").fill(credentials[key])
        await screenshots.take(page, "02-credentials", docs="screenshot-config-credentials.png")
        await page.get_by_role("button", name="Submit").click()

        # Step "custom": the stand-in's addresses.
        await page.locator("input[name=base_url]").wait_for()
        await page.locator("input[name=base_url]").fill(credentials["base_url"])
        await page.locator("input[name=token_url]").fill(credentials["token_url"])
        await screenshots.take(page, "03-custom-environment")
        await page.get_by_role("button", name="Submit").click()

        # Step "meters": every meter of the demo mandates is offered and preselected.
        meters = page.get_by_role("checkbox")
        await meters.first.wait_for()
        labels = await page.get_by_text(re.compile(r"\b54\d{16}\b")).all_inner_texts()
        eans = sorted({ean for label in labels for ean in re.findall(r"\b54\d{16}\b", label)})
        assert eans
        assert await meters.count() >= len(eans)
        for index in range(await meters.count()):
            assert await meters.nth(index).is_checked()
        await screenshots.take(page, "04-meters", docs="screenshot-config-meters.png")
        await page.get_by_role("button", name="Submit").click()

        # Created: Home Assistant offers to name the meters' devices and assign areas.
        finish = page.get_by_role("button", name=re.compile("Finish|Skip and finish"))
        await finish.wait_for()
        await screenshots.take(page, "05-created")
        await finish.click()
        return eans

    state["eans"] = browser.run(steps)

    async def entries(client: HomeAssistantClient) -> list[dict[str, Any]]:
        return await client.fluvius_entries()

    found = ha.run(entries)
    state["loaded_at"] = time.monotonic()
    assert len(found) == 1
    assert found[0]["state"] == "loaded", found[0]


def test_yesterday_right_after_setup(
    stack: DemoStack,
    browser: Browser,
    ha: HomeAssistantSession,
    screenshots: Screenshots,
    state: dict[str, Any],
) -> None:
    """Right after the set-up, while the older history is still being imported, every meter
    has yesterday's rows and yesterday's Energy dashboard shows grid offtake."""

    async def wait(
        client: HomeAssistantClient,
    ) -> tuple[ImportStatus, FluviusStatistics, dict[str, str]]:
        progress = ImportProgress(client, stack.sandbox_url, state["eans"])
        left = FIRST_VALUE_WAIT - (time.monotonic() - state["loaded_at"])
        status = await progress.wait_yesterday(within=max(left, 0), interval=0.5)
        listed = await client.fluvius_statistic_ids()
        statistics = FluviusStatistics.from_ids(row["statistic_id"] for row in listed)
        await client.save_energy_prefs(statistics.energy_prefs())
        return status, statistics, {row["statistic_id"]: row["name"] for row in listed}

    status, statistics, names = ha.run(wait)
    waited = time.monotonic() - state["loaded_at"]
    assert status.yesterday_visible, f"after {waited:.0f} s: {status.not_ready()}"
    assert status.not_delivered == [], status
    # The premise: yesterday came before the whole history (else HISTORY_DAYS is too short).
    assert not status.complete, status.describe()

    async def steps(page: Any) -> list[dict[str, Any]]:
        usage = await _yesterday_usage(page, stack)
        series = await usage.evaluate(SERIES_JS)
        await screenshots.take(page, "06-energy-right-after-setup")
        # Back to today: the next test starts from the default period.
        await page.get_by_role("button", name="Next").first.click()
        return list(series)

    usage_series = browser.run(steps)
    # Every meter's grid offtake is drawn: yesterday's bars are there, not an empty graph.
    bars = {entry["name"]: entry["bars"] for entry in usage_series if entry["name"]}
    assert statistics.offtake, names
    for statistic_id in statistics.offtake:
        assert bars.get(names[statistic_id], 0) > 0, (statistic_id, usage_series)


async def _yesterday_usage(page: Any, stack: DemoStack) -> Any:
    """Yesterday's Energy dashboard; its usage graph once the graph has data."""
    await page.goto(stack.hass_url + "/energy")
    # Fluvius publishes a day's data the next day: go to yesterday.
    await page.get_by_role("button", name="Previous").first.click()
    usage = page.locator("hui-energy-usage-graph-card").first
    await usage.wait_for()
    await page.wait_for_function(
        "(card) => { const c = card.shadowRoot && card.shadowRoot.querySelector("
        "'ha-chart-base'); return c && c.chart && c.chart.getOption().series.some("
        "s => (s.data || []).length); }",
        arg=await usage.element_handle(),
    )
    await page.wait_for_timeout(1000)  # the bars' entry animation
    return usage


def test_statistics_for_yesterday(
    stack: DemoStack, ha: HomeAssistantSession, state: dict[str, Any]
) -> None:
    """Yesterday's statistics, read back over the websocket, hold exactly what the stand-in
    served: every series of every selected meter (submeters included), hour by hour (or one
    daily block for a day-level mandate), with running sums."""
    start, end = yesterday_bounds()
    expected = stand_in_truth(stack, state["eans"], start, end)
    ids = sorted(expected)

    async def check(client: HomeAssistantClient) -> dict[str, list[dict[str, Any]]]:
        await client.wait_statistics(within=BACKFILL_WAIT)
        return await client.wait_yesterday(ids, within=BACKFILL_WAIT)

    rows = ha.run(check)
    state["rows"] = rows
    hours = int((end - start) / timedelta(hours=1))  # 23, 24 or 25 (DST)
    for statistic_id, values in expected.items():
        series = rows[statistic_id]
        got = {_as_datetime(row["start"]): row["change"] for row in series}
        assert sorted(got) == sorted(values), statistic_id
        wrong = {
            moment.isoformat(): (got[moment], value)
            for moment, value in values.items()
            if got[moment] != pytest.approx(value, abs=1e-6)
        }
        assert wrong == {}, statistic_id
        if len(values) > 1:
            assert len(series) == hours, statistic_id
        sums = [row["sum"] for row in series]
        assert sums == sorted(sums), f"{statistic_id}: the running sum decreases"
    # The main series the Energy dashboard needs are among them.
    found = FluviusStatistics.from_ids(ids)
    assert found.complete, ids
    # A day-level meter gives one block at the local day start; PV produces nothing at night.
    for statistic_id in found.production:
        night = [row for row in rows[statistic_id] if _local_hour(row["start"]) in (0, 1, 2, 3)]
        assert all(row["change"] == 0 for row in night), statistic_id


def stand_in_truth(
    stack: DemoStack, eans: list[str], start: datetime, end: datetime
) -> dict[str, dict[datetime, float]]:
    """What the stand-in serves for ``[start, end)`` as of its now, per statistic id (its admin
    ``truth`` view, no authentication): hourly values, or the daily value of day-level series
    (gas in kWh with the provisional conversion factor until the month is over, as served).

    Without the submeters' reactive energy: a new entry leaves it out (``submeter_reactive``)."""
    with urllib.request.urlopen(f"{stack.sandbox_url}/_sandbox/clock", timeout=10) as response:  # noqa: S310
        now = json.load(response)["now"]  # what a readTime request returns now, not the final
    expected: dict[str, dict[datetime, float]] = {}
    for ean in eans:
        query = urllib.parse.urlencode(
            {"ean": ean, "start": _api_time(start), "end": _api_time(end), "as_of": now}
        )
        url = f"{stack.sandbox_url}/_sandbox/truth?{query}"
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback
            truth = json.load(response)
        for series in truth["series"]:
            values = series["hourly"] or series["daily"]
            if not values:
                continue
            if series["ean"] != ean and series["name"].endswith(("_inductive", "_capacitive")):
                continue
            expected[f"fluvius:{series['ean']}_{series['name']}".lower()] = {
                _as_datetime(moment): value for moment, value in values.items()
            }
    return expected


def _api_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def _local_hour(start: Any) -> int:
    return _as_datetime(start).astimezone(BRUSSELS).hour


def test_energy_dashboard_shows_yesterday(
    stack: DemoStack,
    browser: Browser,
    ha: HomeAssistantSession,
    screenshots: Screenshots,
    state: dict[str, Any],
) -> None:
    async def configure(client: HomeAssistantClient) -> tuple[FluviusStatistics, dict[str, str]]:
        listed = await client.fluvius_statistic_ids()  # every series exists by now
        statistics = FluviusStatistics.from_ids(row["statistic_id"] for row in listed)
        wanted = statistics.energy_prefs()
        await client.save_energy_prefs(wanted)
        assert prefs_cover(await client.energy_prefs(), wanted)
        return statistics, {row["statistic_id"]: row["name"] for row in listed}

    statistics, names = ha.run(configure)

    async def steps(page: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
        usage = await _yesterday_usage(page, stack)
        await screenshots.take(page, "06-energy-summary", docs="screenshot-energy-dashboard.png")
        usage_series = await usage.evaluate(SERIES_JS)
        gas = page.locator("hui-energy-gas-graph-card").first
        gas_series = await gas.evaluate(SERIES_JS) if await gas.count() else []

        # The Electricity view lists every source by name.
        await page.get_by_role("tab", name="Electricity").click()
        table = page.locator("hui-energy-sources-table-card").first
        await table.wait_for()
        await page.wait_for_timeout(1000)
        listed = {name: await table.get_by_text(name, exact=True).count() for name in source_names}
        await page.set_viewport_size({"width": 1280, "height": 1500})  # the whole view
        await page.wait_for_timeout(1000)
        await screenshots.take(
            page, "07-energy-electricity", docs="screenshot-energy-electricity.png"
        )
        await page.set_viewport_size(VIEWPORT)
        return usage_series, gas_series, listed

    source_names = [
        names[statistic_id]
        for statistic_id in statistics.offtake + statistics.injection + statistics.production
    ]
    usage_series, gas_series, listed = browser.run(steps)

    # The graph shows a bar for every hour of yesterday in which the statistics (read back
    # over the websocket in the previous test) have energy, and no other.
    bars = {entry["name"]: entry["bars"] for entry in usage_series if entry["name"]}
    rows = state["rows"]
    for statistic_id in statistics.offtake:
        assert any(row["change"] for row in rows[statistic_id]), statistic_id
    # A grey winter day can have no return to grid at all: then no bar, and none is drawn.
    for statistic_id in statistics.offtake + statistics.injection:
        hours_with_energy = sum(1 for row in rows[statistic_id] if row["change"])
        drawn = bars.get(names[statistic_id], 0)
        assert drawn == hours_with_energy, (statistic_id, usage_series)
    if statistics.gas:
        assert any(entry["bars"] > 0 for entry in gas_series), gas_series
    # The sources table of the Electricity view lists every meter's series by name.
    assert all(listed.values()), listed


def test_dynamic_price_costs_and_capacity_tariff(
    stack: DemoStack,
    browser: Browser,
    ha: HomeAssistantSession,
    screenshots: Screenshots,
    state: dict[str, Any],
) -> None:
    """As scripts/demo does: the price sensor's past hours are imported, the options price
    offtake with it (plus a surcharge) and set a network area; yesterday imported again gets
    hourly costs of kWh x (the hour's mean price + surcharge), the Energy dashboard shows them
    and the electricity meter has its capacity-cost sensors."""
    start, end = yesterday_bounds()

    async def configure(client: HomeAssistantClient) -> dict[str, Any]:
        await import_price_history(client, HISTORY_DAYS)
        entry_id = (await client.fluvius_entries())[0]["entry_id"]
        ean = await configure_prices(client, entry_id)
        assert ean is not None
        cost_sensor = await wait_reloaded(client, ean, within=COST_WAIT)
        first = start.astimezone(BRUSSELS).date()
        await reprice(client, first, first + timedelta(days=1))
        deadline = time.monotonic() + COST_WAIT
        while True:  # the recorder commits the import within a second or so
            listed = await client.fluvius_statistic_ids()
            statistics = FluviusStatistics.from_ids(row["statistic_id"] for row in listed)
            ids = statistics.offtake + statistics.offtake_cost
            rows = await client.yesterday_rows(ids)
            if statistics.offtake_cost and all(rows.get(i) for i in statistics.offtake_cost):
                break
            assert time.monotonic() < deadline, f"no offtake costs for yesterday: {listed}"
            await asyncio.sleep(0.5)
        prices = await client.ws(
            "recorder/statistics_during_period",
            statistic_ids=[PRICE_SENSOR],
            start_time=start.isoformat(),
            end_time=end.isoformat(),
            period="hour",
            types=["mean"],
        )
        await client.save_energy_prefs(statistics.energy_prefs())
        saved = await client.energy_prefs()
        registry = await client.ws("config/entity_registry/list")
        device = next(e["device_id"] for e in registry if e["entity_id"] == cost_sensor)
        return {
            "statistics": statistics,
            "rows": rows,
            "prices": prices.get(PRICE_SENSOR, []),
            "saved": saved,
            "cost_sensor": cost_sensor,
            "cost_state": await client.state(cost_sensor),
            "device": device,
        }

    found = ha.run(configure)
    statistics: FluviusStatistics = found["statistics"]
    rows = found["rows"]
    # The imported prices are the sensor's hourly means.
    means = {_as_datetime(row["start"]): row["mean"] for row in found["prices"]}
    assert means, "no price statistics for yesterday"
    assert all(mean == pytest.approx(price_at(hour)) for hour, mean in means.items())
    # Every hour of yesterday of every priced meter costs its kWh x (mean + surcharge).
    checked = 0
    for cost_id in statistics.offtake_cost:
        energy_id = cost_id.removesuffix("_cost")
        kwh = {_as_datetime(row["start"]): row["change"] for row in rows[energy_id]}
        costs = {_as_datetime(row["start"]): row["change"] for row in rows[cost_id]}
        assert sorted(costs) == sorted(kwh), cost_id
        for hour, cost in costs.items():
            expected = kwh[hour] * (means[hour] + SURCHARGE_OFFTAKE)
            assert cost == pytest.approx(expected, abs=1e-5), (cost_id, hour, kwh[hour])
            checked += 1
    assert checked >= 23
    # The Energy dashboard's grid connections use the cost statistics.
    grid_costs = {
        source.get("stat_cost")
        for source in found["saved"]["energy_sources"]
        if source["type"] == "grid"
    }
    assert set(statistics.offtake_cost) <= grid_costs, found["saved"]
    cost_state = found["cost_state"]
    assert cost_state is not None
    assert cost_state["attributes"].get("unit_of_measurement") == "EUR", cost_state

    async def steps(page: Any) -> tuple[str, bool]:
        # The Summary view's totals have a cost column once a grid has ``stat_cost``.
        await _yesterday_usage(page, stack)
        table = page.locator("hui-energy-sources-table-card").locator("visible=true").first
        await table.get_by_text("€").first.wait_for()
        text = str(await table.locator("table").inner_text())
        await screenshots.take(page, "08-energy-costs", docs="screenshot-energy-costs.png")

        await page.goto(f"{stack.hass_url}/config/devices/device/{found['device']}")
        capacity = page.get_by_text("Capacity cost this month").first
        await capacity.wait_for()
        visible = await capacity.is_visible()
        await page.wait_for_timeout(500)
        await screenshots.take(page, "09-capacity-cost", docs="screenshot-capacity-cost.png")
        return text, visible

    table, capacity_visible = browser.run(steps)
    # The grid's cost yesterday: the sum of the priced meters' hourly costs.
    total = sum(row["change"] for cost_id in statistics.offtake_cost for row in rows[cost_id])
    shown = re.search(r"Grid total\s+[\d.,]+\s*kWh\s+€([\d,]+\.\d\d)", table)
    assert shown is not None, table
    assert float(shown[1].replace(",", "")) == pytest.approx(total, abs=0.006), (total, table)
    assert capacity_visible


def test_second_start_reuses_the_state(stack: DemoStack, ha: HomeAssistantSession) -> None:
    """As scripts/demo's second run: same user, one entry, statistics kept."""
    stack.stop()
    stack.start()

    async def check(client: HomeAssistantClient) -> tuple[dict[str, bool], int, int]:
        await client.wait_running()
        steps = await client.onboarding_steps()
        entries = await client.fluvius_entries()
        ids = await client.fluvius_statistic_ids()
        return steps, len(entries), len(ids)

    steps, entries, ids = ha.run(check)
    assert all(steps.values()), steps
    assert entries == 1
    assert ids > 0
