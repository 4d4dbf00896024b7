"""What differs between the Home Assistant releases the integration supports (hacs.json).

One shim per difference, each used on both sides by the version matrix (scripts/test); the release
that makes a shim unnecessary is named with it, and tests/validation/test_versions.py fails once
hacs.json's minimum reaches that release, so that no shim outlives its need.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from homeassistant.helpers.device_registry import DeviceEntry, DeviceInfo

# Home Assistant 2026.8 links a device to its parent by the parent's device id (``via_device_id``);
# the identifier tuple (``via_device``) is deprecated from 2026.9 and removed in 2027.8.
_VIA_DEVICE_ID: Final = "via_device_id" in DeviceInfo.__optional_keys__


def via_parent(parent: DeviceEntry) -> DeviceInfo:
    """The device information that hangs a device under ``parent`` (already registered)."""
    if _VIA_DEVICE_ID:
        return DeviceInfo(via_device_id=parent.id)
    # Before 2026.8: the parent's identifier (the key DeviceInfo had then).
    return cast(DeviceInfo, {"via_device": min(parent.identifiers)})


def advanced_mode(context: Mapping[str, Any]) -> bool:
    """Whether a config flow may offer what only advanced users saw (the custom environment).

    Home Assistant 2026.6 dropped ``show_advanced_options`` from the flow context (the user's
    advanced mode, which it still puts there before) and treats every user as advanced.
    """
    return bool(context.get("show_advanced_options", True))
