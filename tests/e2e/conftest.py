"""End to end: the demo's stack (stand-in + real Home Assistant) driven by headless Chromium.

Everything runs as subprocesses on 127.0.0.1 (demo.stack), so nothing here uses the Home
Assistant test harness' in-process fixtures; this directory only re-enables loopback sockets,
which the harness blocks for every test. Every test here carries the ``e2e`` marker:
``pytest -m "not e2e"`` leaves them out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
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
# The demo meters with 400 days of history instead of three years (scripts/demo imports the full
# three years): deep enough that importing the whole history takes minutes, so that yesterday on
# the dashboard right after the set-up shows the import brings the last days first; short enough
# that the rest of the scenario does not wait long for it.
HISTORY_DAYS = 400


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


class PrivateLoop:
    """An event loop of the scenario's own, running only inside :meth:`run`.

    The harness owns the thread's current loop and checks after every test that no thread was
    left behind: this loop's executor has its one thread started here, in a module fixture, so
    it exists before the first test and lives until the module ends.
    """

    def __init__(self) -> None:
        # A plain loop: with Home Assistant 2026.5 the harness' event loop policy hands out Home
        # Assistant's own loops, which refuse a default executor of their own.
        self.loop = asyncio.EventLoop()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="e2e-loop")
        self.loop.set_default_executor(self._executor)
        self.loop.run_until_complete(self.loop.run_in_executor(None, lambda: None))

    def run[T](self, coro: Awaitable[T]) -> T:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.loop.close()
        self._executor.shutdown(wait=True)


@pytest.fixture(scope="module")
def e2e_loop() -> Iterator[PrivateLoop]:
    private = PrivateLoop()
    try:
        yield private
    finally:
        private.close()


class HomeAssistantSession:
    """Conversations with the stack's Home Assistant over REST and websocket, as the demo user."""

    def __init__(self, stack: DemoStack, loop: PrivateLoop) -> None:
        self._stack = stack
        self._loop = loop

    def run[T](self, conversation: Callable[[HomeAssistantClient], Awaitable[T]]) -> T:
        async def _main() -> T:
            timeout = aiohttp.ClientTimeout(total=300)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                client = HomeAssistantClient(self._stack.hass_url, session)
                await client.login(DEMO_USERNAME, DEMO_PASSWORD)
                try:
                    return await conversation(client)
                finally:
                    await client.close()

        return self._loop.run(_main())


@pytest.fixture(scope="module")
def ha(stack: DemoStack, e2e_loop: PrivateLoop) -> HomeAssistantSession:
    return HomeAssistantSession(stack, e2e_loop)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, e2e_loop: PrivateLoop) -> Iterator[DemoStack]:
    """The demo's stack on free ports, onboarded (REST) with the demo user."""
    if chromium_path() is None:
        # scripts/bootstrap installs it; only a run that asked for no browser may go without.
        if os.environ.get("FLUVIUS_SKIP_CHROMIUM"):
            pytest.skip("FLUVIUS_SKIP_CHROMIUM is set and there is no chromium")
        pytest.fail("no chromium: run scripts/bootstrap (it installs Debian's chromium)")
    pytest_socket.enable_socket()  # module fixtures run before the per-test re-enabling
    state_dir = tmp_path_factory.mktemp("e2e-demo")
    demo = DemoStack.for_state_dir(state_dir, history_days=HISTORY_DAYS)
    # The stand-in's clock runs three days ahead: Fluvius delivers a day 1 to 72 hours after it
    # ends, so with the real clock yesterday is only partly there at some hours of the day
    # (not at all just after midnight). Home Assistant keeps the real clock and asks for data
    # up to its now, as always. scripts/demo uses the real clock.
    ahead = datetime.now(UTC) + timedelta(days=3)
    demo.sandbox_args = ["--now", ahead.strftime("%Y-%m-%dT%H:%M:%SZ")]
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

        e2e_loop.run(onboard())
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


class Browser:
    """Headless Chromium through Playwright's async API on the private loop (Playwright's sync
    API leaves its loop marked as running in this thread, which breaks the harness' own async
    fixtures of the following tests)."""

    def __init__(self, profile: Path, loop: PrivateLoop) -> None:
        self._loop = loop
        self._profile = profile
        self._playwright: Any = None
        self.context: Any = None
        self.page: Any = None

    def run[T](self, steps: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``steps(page)`` to the end."""
        return self._loop.run(steps(self.page))

    async def _start(self) -> None:
        from playwright.async_api import async_playwright

        self._playwright = await async_playwright().start()
        self.context = await self._playwright.chromium.launch_persistent_context(
            str(self._profile),  # a fresh --user-data-dir
            executable_path=chromium_path(),
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport=VIEWPORT,
            locale="en-US",
            timezone_id="Europe/Brussels",
        )
        self.context.set_default_timeout(30_000)
        self.page = self.context.pages[0] if self.context.pages else await self.context.new_page()

    async def _stop(self) -> None:
        if self.context is not None:
            await self.context.close()
        if self._playwright is not None:
            await self._playwright.stop()

    def start(self) -> None:
        self._loop.run(self._start())

    def stop(self) -> None:
        self._loop.run(self._stop())


@pytest.fixture(scope="module")
def browser(
    stack: DemoStack, tmp_path_factory: pytest.TempPathFactory, e2e_loop: PrivateLoop
) -> Iterator[Browser]:
    """One Chromium page for the whole scenario (the login carries over between tests)."""
    chromium = Browser(tmp_path_factory.mktemp("chromium-profile"), e2e_loop)
    chromium.start()
    try:
        yield chromium
    finally:
        chromium.stop()


class Screenshots:
    """Saves to artifacts/e2e/; the ones the README shows are copied to docs/ when missing or
    with FLUVIUS_UPDATE_SCREENSHOTS=1 (so a test run does not rewrite tracked files)."""

    def __init__(self) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    async def take(self, page: Any, name: str, *, docs: str | None = None) -> Path:
        path = ARTIFACTS / f"{name}.png"
        await page.mouse.move(VIEWPORT["width"] // 2, VIEWPORT["height"] - 2)  # no hover effects
        await page.screenshot(path=str(path))
        if docs is not None:
            target = DOCS / docs
            if not target.exists() or os.environ.get("FLUVIUS_UPDATE_SCREENSHOTS"):
                shutil.copyfile(path, target)
        return path


@pytest.fixture(scope="module")
def screenshots() -> Screenshots:
    return Screenshots()
