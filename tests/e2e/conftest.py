"""End to end: the demo's stack (stand-in + real Home Assistant) driven by headless Chromium.

Everything runs as subprocesses on 127.0.0.1 (demo.stack), so nothing here uses the Home
Assistant test harness' in-process fixtures; this directory only re-enables loopback sockets,
which the harness blocks for every test. Every test here carries the ``e2e`` marker:
``pytest -m "not e2e"`` leaves them out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
import importlib.util
import os
from pathlib import Path
import shutil
from typing import Any

import aiohttp
import pytest
import pytest_socket

from demo.provision import HomeAssistantClient
from demo.stack import DEMO_NAME, DEMO_PASSWORD, DEMO_USERNAME, DemoStack, chromium_path

ROOT = Path(__file__).parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"
DOCS = ROOT / "docs"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 1000}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: end-to-end test in a real Home Assistant and Chromium (slow)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """The stack and the browser talk over 127.0.0.1 (the harness blocks sockets)."""


def run[T](coro_factory: Callable[[HomeAssistantClient], Awaitable[T]], stack: DemoStack) -> T:
    """Run one async conversation with Home Assistant, as the demo user, on a private loop
    (the test harness owns the thread's current event loop)."""

    async def _main() -> T:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=240)) as session:
            client = HomeAssistantClient(stack.hass_url, session)
            await client.login(DEMO_USERNAME, DEMO_PASSWORD)
            try:
                return await coro_factory(client)
            finally:
                await client.close()

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(_main())
    finally:
        loop.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    """The demo's stack on free ports, onboarded (REST) with the demo user."""
    if importlib.util.find_spec("fluvius_sandbox") is None:
        pytest.skip("fluvius_sandbox (the API stand-in) is not in this checkout yet")
    if chromium_path() is None:
        pytest.skip("no /usr/bin/chromium (scripts/bootstrap installs it)")
    pytest_socket.enable_socket()  # module fixtures run before the per-test re-enabling
    state_dir = tmp_path_factory.mktemp("e2e-demo")
    demo = DemoStack.for_state_dir(state_dir)
    demo.start()
    try:

        async def onboard() -> None:
            async with aiohttp.ClientSession() as session:
                client = HomeAssistantClient(demo.hass_url, session)
                await client.onboard(DEMO_NAME, DEMO_USERNAME, DEMO_PASSWORD)
                await client.wait_running()
                await client.confirm_http_config()
                await client.ignore_setup_issues()
                await client.set_advanced_mode()  # shows the custom environment in the flow
                await asyncio.sleep(1)
                await client.remove_onboarding_extras()
                await client.close()

        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(onboard())
        finally:
            loop.close()
        yield demo
    finally:
        demo.stop()
        _keep_logs(demo)


def _keep_logs(demo: DemoStack) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for source, name in (
        (demo.config_dir / "home-assistant.log", "home-assistant.log"),
        (demo.state_dir / "sandbox.log", "sandbox.log"),
    ):
        if source.exists():
            shutil.copyfile(source, ARTIFACTS / name)


@pytest.fixture(scope="module")
def page(stack: DemoStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Chromium page for the whole scenario (the login carries over between tests)."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium_path(),
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport=VIEWPORT,
            locale="en-US",
            timezone_id="Europe/Brussels",
        )
        context.set_default_timeout(30_000)
        browser_page = context.pages[0] if context.pages else context.new_page()
        try:
            yield browser_page
        finally:
            context.close()


class Screenshots:
    """Saves to artifacts/e2e/; the ones the README shows are copied to docs/ when missing or
    with FLUVIUS_UPDATE_SCREENSHOTS=1 (so a test run does not rewrite tracked files)."""

    def __init__(self) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(self, page: Any, name: str, *, docs: str | None = None) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path))
        if docs is not None:
            target = DOCS / docs
            if not target.exists() or os.environ.get("FLUVIUS_UPDATE_SCREENSHOTS"):
                shutil.copyfile(path, target)
        return path


@pytest.fixture(scope="module")
def screenshots() -> Screenshots:
    return Screenshots()
