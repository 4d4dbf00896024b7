"""A person's path through the demo: log in, add Fluvius through the UI, see yesterday's energy.

The tests run in file order and build on each other (one Home Assistant, one browser page).
Assertions are on what the screen shows (chart bars, source names, dialog texts) and on the
statistics read back over the websocket API (``recorder/statistics_during_period``).
"""

from __future__ import annotations

from datetime import timedelta
import re
from typing import Any

import pytest

from demo.provision import FluviusStatistics, HomeAssistantClient, prefs_cover, yesterday_bounds
from demo.stack import DEMO_PASSWORD, DEMO_USERNAME, DemoStack

from .conftest import Screenshots, run

BACKFILL_WAIT = 240  # seconds for the backfill to reach yesterday on the demo mandates
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


def test_login(stack: DemoStack, page: Any, screenshots: Screenshots) -> None:
    page.goto(stack.hass_url)
    page.get_by_role("textbox", name="Username").fill(DEMO_USERNAME)
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    screenshots.take(page, "01-login")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/(home|lovelace)/.*"))
    assert page.get_by_text("Energy").first.is_visible()


def test_add_integration_through_the_ui(
    stack: DemoStack, page: Any, screenshots: Screenshots, state: dict[str, Any]
) -> None:
    credentials = stack.credentials()
    page.goto(stack.hass_url + "/config/integrations/dashboard")
    page.get_by_role("button", name="Add integration").click()
    page.keyboard.type("Fluvius")
    page.get_by_text("Fluvius Energy").first.click()

    # Step "user": environment and credentials (advanced mode shows the custom environment).
    page.get_by_text("Fluvius API credentials").wait_for()
    page.get_by_role("radio", name=re.compile("Custom")).check()
    for key in ("tenant_id", "client_id", "client_secret", "scope", "subscription_key"):
        page.locator(f"input[name={key}]").fill(credentials[key])
    screenshots.take(page, "02-credentials", docs="screenshot-config-credentials.png")
    page.get_by_role("button", name="Submit").click()

    # Step "custom": the stand-in's addresses.
    page.locator("input[name=base_url]").wait_for()
    page.locator("input[name=base_url]").fill(credentials["base_url"])
    page.locator("input[name=token_url]").fill(credentials["token_url"])
    screenshots.take(page, "03-custom-environment")
    page.get_by_role("button", name="Submit").click()

    # Step "meters": every meter of the demo mandates is offered and preselected.
    meters = page.get_by_role("checkbox")
    meters.first.wait_for()
    dialog_text = page.locator("ha-dialog, dialog-data-entry-flow").first.inner_text()
    eans = sorted(set(re.findall(r"\b54\d{16}\b", dialog_text)))
    assert eans, dialog_text
    assert meters.count() >= len(eans)
    for index in range(meters.count()):
        assert meters.nth(index).is_checked()
    screenshots.take(page, "04-meters", docs="screenshot-config-meters.png")
    page.get_by_role("button", name="Submit").click()

    # Created: Home Assistant offers to name the meters' devices and assign areas.
    finish = page.get_by_role("button", name=re.compile("Finish|Skip and finish"))
    finish.wait_for()
    screenshots.take(page, "05-created")
    finish.click()

    async def entries(client: HomeAssistantClient) -> list[dict[str, Any]]:
        return await client.fluvius_entries()

    found = run(entries, stack)
    assert len(found) == 1
    assert found[0]["state"] == "loaded", found[0]
    state["eans"] = eans


def test_statistics_for_yesterday(stack: DemoStack, state: dict[str, Any]) -> None:
    """The backfill imports every series; yesterday has a row per hour with running sums."""

    async def check(client: HomeAssistantClient) -> tuple[FluviusStatistics, dict[str, Any]]:
        statistics = await client.wait_statistics(within=BACKFILL_WAIT)
        rows = await client.wait_yesterday(statistics.all_ids, within=BACKFILL_WAIT)
        return statistics, rows

    statistics, rows = run(check, stack)
    state["statistics"] = statistics
    start, end = yesterday_bounds()
    hours = int((end - start) / timedelta(hours=1))  # 23, 24 or 25 (DST)
    for statistic_id in statistics.offtake + statistics.injection + statistics.production:
        series = rows[statistic_id]
        assert len(series) == hours, (statistic_id, len(series))
        sums = [row["sum"] for row in series]
        assert sums == sorted(sums), f"{statistic_id}: the running sum decreases"
        assert all(row["change"] >= 0 for row in series), statistic_id
    # Electricity is taken from the grid every day; the PV submeter produces only by day.
    assert sum(row["change"] for row in rows[statistics.offtake[0]]) > 0
    for statistic_id in statistics.production:
        night = [row for row in rows[statistic_id] if _local_hour(row["start"]) in (0, 1, 2, 3)]
        assert all(row["change"] == 0 for row in night), statistic_id
    for statistic_id in statistics.gas:
        assert rows[statistic_id], statistic_id
    # Every selected meter has statistics of its own.
    meters = {statistic_id.split(":")[1].split("_")[0] for statistic_id in statistics.all_ids}
    assert meters & set(state["eans"]), (meters, state["eans"])


def _local_hour(start: Any) -> int:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    moment = (
        datetime.fromtimestamp(start / 1000, UTC)
        if isinstance(start, int | float)
        else datetime.fromisoformat(str(start))
    )
    return moment.astimezone(ZoneInfo("Europe/Brussels")).hour


def test_energy_dashboard_shows_yesterday(
    stack: DemoStack, page: Any, screenshots: Screenshots, state: dict[str, Any]
) -> None:
    statistics: FluviusStatistics = state["statistics"]

    async def configure(client: HomeAssistantClient) -> dict[str, str]:
        wanted = statistics.energy_prefs()
        await client.save_energy_prefs(wanted)
        assert prefs_cover(await client.energy_prefs(), wanted)
        listed = await client.fluvius_statistic_ids()
        return {row["statistic_id"]: row["name"] for row in listed}

    names = run(configure, stack)

    page.goto(stack.hass_url + "/energy")
    page.get_by_role("button", name="Previous").first.click()  # today has no data yet: yesterday
    usage = page.locator("hui-energy-usage-graph-card").first
    usage.wait_for()
    page.wait_for_function(
        "(card) => { const c = card.shadowRoot && card.shadowRoot.querySelector('ha-chart-base');"
        " return c && c.chart && c.chart.getOption().series.some(s => (s.data || []).length); }",
        arg=usage.element_handle(),
    )
    page.wait_for_timeout(1000)  # the bars' entry animation
    screenshots.take(page, "06-energy-summary", docs="screenshot-energy-dashboard.png")

    series = usage.evaluate(SERIES_JS)
    by_name = {entry["name"]: entry["bars"] for entry in series if entry["name"]}
    offtake_name = names[statistics.offtake[0]]
    assert by_name.get(offtake_name, 0) >= 20, series  # consumption nearly every hour
    assert any(bars > 0 for bars in by_name.values()), series

    gas = page.locator("hui-energy-gas-graph-card").first
    if statistics.gas and gas.count():
        assert any(entry["bars"] > 0 for entry in gas.evaluate(SERIES_JS)), "no gas bars"

    # The Electricity view lists every source by name.
    page.get_by_role("tab", name="Electricity").click()
    table = page.locator("hui-energy-sources-table-card").first
    table.wait_for()
    text = table.inner_text()
    for statistic_id in statistics.offtake + statistics.injection + statistics.production:
        assert names[statistic_id] in text, (names[statistic_id], text)
    screenshots.take(page, "07-energy-electricity", docs="screenshot-energy-electricity.png")


def test_second_start_reuses_the_state(stack: DemoStack) -> None:
    """As scripts/demo's second run: same user, one entry, statistics kept."""
    stack.stop()
    stack.start()

    async def check(client: HomeAssistantClient) -> tuple[dict[str, bool], int, int]:
        await client.wait_running()
        steps = await client.onboarding_steps()
        entries = await client.fluvius_entries()
        ids = await client.fluvius_statistic_ids()
        return steps, len(entries), len(ids)

    steps, entries, ids = run(check, stack)
    assert all(steps.values()), steps
    assert entries == 1
    assert ids > 0
