"""Home Assistant's snapshot extension, writing the same snapshot on every release we test.

The version matrix (scripts/test) compares the same snapshots on each Home Assistant release:

* Home Assistant 2026.10 keys the attributes of a state with ``EntityStateAttribute`` members
  (string enums, equal to the plain names), earlier releases with plain strings: keys are written
  as plain strings, and so are the keys of an entity registry entry's capabilities
  (``SensorEntityCapabilityAttribute`` members in 2026.10);
* entity registry entries gained ``compat_name`` in 2026.11: it is left out while unset.
"""

from __future__ import annotations

from typing import override

from homeassistant.core import State
from homeassistant.helpers import entity_registry as er
from homeassistant.util.read_only_dict import ReadOnlyDict
from pytest_homeassistant_custom_component.syrupy import (
    EntityRegistryEntrySnapshot,
    HomeAssistantSnapshotExtension,
    HomeAssistantSnapshotSerializer,
    StateSnapshot,
)
from syrupy.types import SerializableData


class _Serializer(HomeAssistantSnapshotSerializer):
    @classmethod
    @override
    def _serializable_state(cls, data: State) -> SerializableData:
        snapshot = super()._serializable_state(data)
        assert isinstance(snapshot, StateSnapshot)
        attributes = snapshot["attributes"]
        snapshot["attributes"] = ReadOnlyDict({str(key): attributes[key] for key in attributes})
        return snapshot

    @classmethod
    @override
    def _serializable_entity_registry_entry(cls, data: er.RegistryEntry) -> SerializableData:
        snapshot = super()._serializable_entity_registry_entry(data)
        assert isinstance(snapshot, EntityRegistryEntrySnapshot)
        if snapshot.get("compat_name", "") is None:
            del snapshot["compat_name"]
        if capabilities := snapshot.get("capabilities"):
            snapshot["capabilities"] = {str(key): capabilities[key] for key in capabilities}
        return snapshot


class SnapshotExtension(HomeAssistantSnapshotExtension):
    """HomeAssistantSnapshotExtension writing the same snapshot on every tested release."""

    serializer_class = _Serializer
