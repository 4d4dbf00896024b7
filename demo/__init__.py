"""The demo stack: the local Fluvius API stand-in and a real Home Assistant, wired together.

Used by ``scripts/demo`` (``python -m demo``) and by the end-to-end test (``tests/e2e``), so that
both run exactly the same stack:

* :mod:`demo.stack` starts and stops the two processes (``python -m fluvius_sandbox`` and
  ``hass -c DIR``) on loopback ports, with a minimal Home Assistant configuration;
* :mod:`demo.provision` talks to that Home Assistant over its public REST and websocket APIs:
  onboarding, the Fluvius config flow, the Energy dashboard preferences, statistics read-back.

Nothing here writes Home Assistant's ``.storage`` internals: everything goes through the same
APIs the frontend uses.
"""
