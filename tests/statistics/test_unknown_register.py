"""A register the integration does not know (a future one, in kWh) is left out: it is never
added to the offtake or injection of its direction."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from custom_components.fluvius.api.parser import parse_energy
from custom_components.fluvius.rows import rows_from_energy

FIXTURE = Path(__file__).parents[1] / "api" / "fixtures" / "energy_amr_quarter_hour_injection.json"


async def test_unknown_register_in_kwh_is_not_imported() -> None:
    payload: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    known = rows_from_energy(parse_energy(payload), hourly_access=True)

    extended = copy.deepcopy(payload)
    for interval in extended["data"]["headpoint"]["quarterHourlyEnergy"]:
        for measurement in interval["measurements"]:
            for registers in measurement.values():
                registers["peak"] = {"value": 999.0, "unit": "kWh", "validationState": "VAL"}
    data = parse_energy(extended)
    assert any(str(key.register) == "peak" for key in data.series)  # parsed, kept as text

    assert rows_from_energy(data, hourly_access=True) == known
    assert any(name == "injection" for _, name in known)
