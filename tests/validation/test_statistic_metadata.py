"""Every statistic the integration creates names its ``mean_type`` and ``unit_class``.

Home Assistant fills in either when it is missing, with a warning, and announced that recorder
imports without them stop working in 2026.11. These tests fail as soon as one goes missing:

* in the source: every ``StatisticMetaData`` the integration builds, wherever it is built, passes
  both explicitly (a new builder for future cost, capacity or power statistics included);
* in a real run: everything handed to the recorder's import functions, from any module of the
  integration, carries both, with the ``unit_class`` that matches the unit (energy, gas, reactive
  energy, cost and the capacity peak all occur), and the recorder holds no statistic of ours that
  did not go through them.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
import copy
import sys
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder, statistics as recorder_statistics
from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.const import UnitOfEnergy, UnitOfPower, UnitOfReactiveEnergy, UnitOfVolume
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util.unit_conversion import (
    EnergyConverter,
    PowerConverter,
    ReactiveEnergyConverter,
    VolumeConverter,
)
import pytest

from custom_components.fluvius.const import DOMAIN
from tests.standin import (
    EAN_AMR_PV,
    EAN_DIGITAL,
    EAN_GAS,
    NOW,
    make_entry,
    setup_entry,
    start_stand_in,
)

from .conftest import INTEGRATION

REQUIRED = ("mean_type", "unit_class")
# The recorder functions that take a StatisticMetaData and write statistics.
IMPORTERS = ("async_add_external_statistics", "async_import_statistics")
# The unit class each unit we write must carry (None: no conversion, e.g. a currency).
UNIT_CLASSES: dict[str | None, str | None] = {
    UnitOfEnergy.KILO_WATT_HOUR: EnergyConverter.UNIT_CLASS,
    UnitOfVolume.CUBIC_METERS: VolumeConverter.UNIT_CLASS,
    UnitOfReactiveEnergy.KILO_VOLT_AMPERE_REACTIVE_HOUR: ReactiveEnergyConverter.UNIT_CLASS,
    UnitOfPower.KILO_WATT: PowerConverter.UNIT_CLASS,
    "EUR": None,
}


# --- in the source ----------------------------------------------------------------------------


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(INTEGRATION.rglob("*.py")):
        yield str(path.relative_to(INTEGRATION)), ast.parse(path.read_text(encoding="utf-8"))


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _metadata_problems(tree: ast.Module) -> list[str]:
    """What a StatisticMetaData construction or metadata-shaped dict in ``tree`` lacks."""
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called_name(node) == "StatisticMetaData":
            if node.args or any(k.arg is None for k in node.keywords):
                problems.append(f"line {node.lineno}: StatisticMetaData without keywords")
                continue
            given = {k.arg for k in node.keywords}
            problems += [f"line {node.lineno}: no {key}" for key in REQUIRED if key not in given]
        elif isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if "statistic_id" in keys and "source" in keys:
                if None in node.keys:  # {**other, ...}: cannot tell
                    problems.append(f"line {node.lineno}: metadata dict with ** unpacking")
                problems += [f"line {node.lineno}: no {key}" for key in REQUIRED if key not in keys]
    return problems


def test_every_metadata_construction_names_mean_type_and_unit_class() -> None:
    built = 0
    problems = []
    for name, tree in _sources():
        built += sum(
            isinstance(node, ast.Call) and _called_name(node) == "StatisticMetaData"
            for node in ast.walk(tree)
        )
        problems += [f"{name} {problem}" for problem in _metadata_problems(tree)]
    assert built >= 1  # the check looks where the metadata is really built
    assert problems == []


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("StatisticMetaData(mean_type=m, unit_class=u, source=s)", None),
        ("StatisticMetaData(has_sum=True, unit_class=None, statistic_id=i)", "no mean_type"),
        ("models.StatisticMetaData(mean_type=m, statistic_id=i)", "no unit_class"),
        ("StatisticMetaData(**fields)", "without keywords"),
        ("{'statistic_id': i, 'source': s, 'mean_type': m}", "no unit_class"),
        ("{'statistic_id': i, 'source': s, 'unit_class': u}", "no mean_type"),
        ("{**base, 'statistic_id': i, 'source': s}", "** unpacking"),
    ],
)
def test_the_source_check_sees_what_is_missing(source: str, problem: str | None) -> None:
    """The check above would notice each way a future builder could drop a field."""
    found = _metadata_problems(ast.parse(source))
    if problem is None:
        assert found == []
    else:
        assert any(problem in found_problem for found_problem in found), found


# --- in a real run ------------------------------------------------------------------------------


def _spy_on_importers(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record a copy of the metadata of every import call, whichever module makes it (the
    recorder's own module and every module of the integration that imported a function by name)."""
    seen: list[dict[str, Any]] = []

    def spy(real: Callable[..., None]) -> Callable[..., None]:
        def wrapper(hass: HomeAssistant, metadata: Any, *args: Any, **kwargs: Any) -> None:
            seen.append(copy.deepcopy(dict(metadata)))
            real(hass, metadata, *args, **kwargs)

        return wrapper

    originals = {function: getattr(recorder_statistics, function) for function in IMPORTERS}
    modules = [recorder_statistics] + [
        module
        for name, module in list(sys.modules.items())
        if name == "custom_components.fluvius" or name.startswith("custom_components.fluvius.")
    ]
    for module in modules:
        for function in IMPORTERS:
            if getattr(module, function, None) is not None:
                monkeypatch.setattr(module, function, spy(originals[function]))
    return seen


async def test_every_statistic_written_has_mean_type_and_unit_class(
    recorder_mock: Recorder,
    enable_custom_integrations: None,
    socket_enabled: None,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    freezer.move_to(NOW)
    seen = _spy_on_importers(monkeypatch)
    stand, server = await start_stand_in()
    try:
        eans = [EAN_DIGITAL, EAN_GAS, EAN_AMR_PV]
        for ean in eans:
            stand.sandbox.add_mandate(ean)
        # Prices for every cost series.
        entry = make_entry(
            stand,
            eans,
            backfill_days=3,
            price_day=0.3,
            price_night=0.2,
            price_injection=0.04,
            price_gas=0.1,
        )
        await setup_entry(hass, entry)
        stored = await get_instance(hass).async_add_executor_job(
            lambda: get_metadata(hass, statistic_source=DOMAIN)
        )
    finally:
        await server.close()

    assert seen, "the run imported nothing"
    for metadata in seen:
        stat_id = metadata["statistic_id"]
        missing = [key for key in REQUIRED if key not in metadata]
        assert missing == [], (stat_id, missing)
        assert isinstance(metadata["mean_type"], StatisticMeanType), stat_id
        unit = metadata["unit_of_measurement"]
        assert unit in UNIT_CLASSES, (stat_id, unit)
        assert metadata["unit_class"] == UNIT_CLASSES[unit], (stat_id, metadata["unit_class"])
        # A counter has a sum and no mean; the monthly peak is a level with a mean.
        mean = StatisticMeanType.NONE if metadata["has_sum"] else StatisticMeanType.ARITHMETIC
        assert metadata["mean_type"] is mean, stat_id

    # Energy, gas volume, reactive energy, cost and the capacity peak were all written ...
    assert {metadata["unit_of_measurement"] for metadata in seen} == set(UNIT_CLASSES)
    assert any(m["statistic_id"].endswith("_peak") for m in seen)
    assert {m["statistic_id"] for m in seen if m["statistic_id"].endswith("_cost")} >= {
        f"{DOMAIN}:{EAN_DIGITAL}_offtake_cost",
        f"{DOMAIN}:{EAN_GAS}_gas_cost",
    }
    # ... and nothing of ours reached the recorder another way.
    assert set(stored) == {metadata["statistic_id"] for metadata in seen}
    for stat_id, (_, meta) in stored.items():
        assert meta["unit_class"] == UNIT_CLASSES[meta["unit_of_measurement"]], stat_id
