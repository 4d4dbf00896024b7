"""The pinned test harness on a newer Home Assistant than the one it was built for.

When no pytest-homeassistant-custom-component exists yet for the newest release, the version
matrix runs the pinned harness with ``homeassistant`` upgraded alone (requirements/ha-*.upgrade.txt)
and scripts/test loads this plugin first (``-p tests.harness_compat``), before the harness' own.
Each fix applies only where the harness and Home Assistant disagree; remove this module together
with the last ``*.upgrade.txt`` (tests/validation/test_compat.py checks that).
"""

from __future__ import annotations

# Home Assistant 2026.11 makes ``httpx`` an alias of ``httpx2`` when the package is first imported,
# which must happen before anything imports httpx; the harness imports respx (and so httpx) before
# Home Assistant.
import homeassistant  # noqa: F401  # isort: skip
from homeassistant.components import logger
from homeassistant.components.logger import helpers as logger_helpers

# Home Assistant 2026.11 no longer re-exports this test helper from the logger integration's
# package; the harness imports it from there.
if not hasattr(logger, "_clear_logger_overwrites"):
    logger._clear_logger_overwrites = logger_helpers._clear_logger_overwrites  # type: ignore[attr-defined]
