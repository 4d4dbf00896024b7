"""Start and stop the demo's two processes: the Fluvius API stand-in and Home Assistant.

Both are plain subprocesses of the current Python (the toolchain's), each in its own process
group, listening on 127.0.0.1 only. Home Assistant gets a minimal configuration: the components
the Energy dashboard needs, picked one by one (``default_config`` pulls in dozens of integrations,
some of which want the network), and the project's ``custom_components/fluvius`` linked into its
configuration directory. It runs with ``--skip-pip``: every requirement, the frontend included,
comes from the bootstrap, nothing is fetched at run time.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
from typing import IO, Any, Final
import urllib.error
import urllib.parse
import urllib.request
from zoneinfo import ZoneInfo

from demo.prices import PRICE_SENSOR_YAML

PROJECT_DIR: Final = Path(__file__).resolve().parent.parent
BRUSSELS: Final = ZoneInfo("Europe/Brussels")
DEFAULT_STATE_DIR: Final = PROJECT_DIR / ".demo"

# The stand-in's default credentials (fluvius_sandbox --demo).
SANDBOX_TENANT_ID: Final = "sandbox-tenant"
SANDBOX_CLIENT_ID: Final = "sandbox-client"
SANDBOX_CLIENT_SECRET: Final = "sandbox-secret"  # noqa: S105 - the stand-in's public demo secret
SANDBOX_SCOPE: Final = "api://fluvius-sandbox/.default"
SANDBOX_SUBSCRIPTION_KEY: Final = "sandbox-subscription-key"
SANDBOX_API_PATH: Final = "/ext/mijnfluvius-profnetgebruiker-sbx/v1"

# The demo's Home Assistant user (printed by scripts/demo).
DEMO_NAME: Final = "Fluvius Demo"
DEMO_USERNAME: Final = "demo"
DEMO_PASSWORD: Final = "fluvius-demo"  # noqa: S105 - a throw-away local demo account

# Home Assistant 2026.x keeps the HTTP settings in its storage: YAML is read once, on the first
# start, as a trial that the demo confirms over the websocket (http/config/promote).
HTTP_YAML: Final = """\
http:
  server_host: 127.0.0.1
  server_port: {hass_port}

"""

CONFIGURATION_YAML: Final = """\
# Written by the Fluvius demo (demo/stack.py); rewritten at every start.
# The components the Energy dashboard needs, picked one by one, on top of what Home Assistant
# always sets up.
homeassistant:
  name: Fluvius demo
  latitude: 51.0543
  longitude: 3.7174
  elevation: 10
  unit_system: metric
  time_zone: Europe/Brussels
  currency: EUR
  country: BE
  language: en

{http}auth:
config:
energy:
frontend:
history:
recorder:
  commit_interval: 1

logger:
  default: warning
  logs:
    custom_components.fluvius: info
    # Home Assistant sets up camera and ffmpeg by default; the toolchain has neither the ffmpeg
    # binary nor libturbojpeg, which the Energy dashboard does not need.
    haffmpeg: critical
    homeassistant.components.camera.img_util: critical
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    """Nobody listens on 127.0.0.1:port (connections left in TIME_WAIT do not count: the
    servers we start set SO_REUSEADDR as well)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def chromium_path() -> str | None:
    """Debian's Chromium (installed by scripts/bootstrap), or None."""
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return None


class StackError(RuntimeError):
    """A process of the stack did not start; the message points at its log."""


@dataclass
class DemoStack:
    """The stand-in and Home Assistant for one state directory.

    ``state_dir`` holds Home Assistant's configuration directory (``config/``), the logs and the
    ports chosen on the first run (``ports.json``): the Fluvius entry stores the stand-in's
    address, so a second run must use the same stand-in port.
    """

    state_dir: Path
    hass_port: int
    sandbox_port: int
    # None: the stand-in's demo mandates (--demo: three years of history, as in life). A number:
    # the same meters, created through POST Create Mock Mandate with only that many days of
    # history, so that the backfill reaches yesterday in seconds (the end-to-end test).
    history_days: int | None = None
    sandbox_args: list[str] = field(default_factory=list)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: list[IO[bytes]] = field(default_factory=list)

    # --- addresses -----------------------------------------------------------------------------

    @property
    def config_dir(self) -> Path:
        return self.state_dir / "config"

    @property
    def hass_url(self) -> str:
        return f"http://127.0.0.1:{self.hass_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def api_base_url(self) -> str:
        return self.sandbox_url + SANDBOX_API_PATH

    @property
    def token_url(self) -> str:
        # The integration puts the tenant ID where {tenant_id} stands.
        return self.sandbox_url + "/{tenant_id}/oauth2/v2.0/token"

    def meters(self) -> list[str]:
        """The EANs of the stand-in's demo meters (the demo follows them all)."""
        from fluvius_sandbox.config import DEMO_MANDATES  # noqa: PLC0415 - only when needed

        return [spec.ean for spec in DEMO_MANDATES]

    def credentials(self) -> dict[str, str]:
        """The config flow's ``user`` and ``custom`` step inputs for this stand-in."""
        return {
            "environment": "custom",
            "tenant_id": SANDBOX_TENANT_ID,
            "client_id": SANDBOX_CLIENT_ID,
            "client_secret": SANDBOX_CLIENT_SECRET,
            "scope": SANDBOX_SCOPE,
            "subscription_key": SANDBOX_SUBSCRIPTION_KEY,
            "base_url": self.api_base_url,
            "token_url": self.token_url,
        }

    # --- set-up ------------------------------------------------------------------------------

    @classmethod
    def for_state_dir(
        cls,
        state_dir: Path,
        hass_port: int | None = None,
        sandbox_port: int | None = None,
        defaults: dict[str, int] | None = None,
        history_days: int | None = None,
    ) -> DemoStack:
        """Reuse the ports of an earlier run in ``state_dir``; else the given ones, else the
        defaults when free, else free ones.

        Both stick once chosen: Home Assistant keeps its port in its storage, and the Fluvius
        entry stores the stand-in's address.
        """
        state_dir.mkdir(parents=True, exist_ok=True)
        ports_file = state_dir / "ports.json"
        saved: dict[str, int] = {}
        if ports_file.exists():
            with suppress(ValueError, OSError):
                saved = json.loads(ports_file.read_text())
        chosen = {"hass": hass_port, "sandbox": sandbox_port}
        for name, wanted in chosen.items():
            if saved.get(name):
                if wanted and wanted != saved[name]:
                    print(  # noqa: T201 - the demo talks to a person
                        f"Keeping port {saved[name]} for {name} (chosen on the first run in "
                        f"{state_dir}); use --reset to start afresh."
                    )
                chosen[name] = saved[name]
            elif not wanted:
                default = (defaults or {}).get(name)
                chosen[name] = default if default and port_is_free(default) else free_port()
        ports = {name: int(port or 0) for name, port in chosen.items()}
        ports_file.write_text(json.dumps(ports) + "\n")
        return cls(
            state_dir=state_dir,
            hass_port=ports["hass"],
            sandbox_port=ports["sandbox"],
            history_days=history_days,
        )

    def _http_in_storage(self) -> bool:
        """Home Assistant has taken the HTTP settings into its storage (the first start did).

        Releases that keep them in YAML (2026.5) store a plain copy of the YAML settings under
        the same key, without the ``stable`` settings of the storage form."""
        path = self.config_dir / ".storage" / "http"
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return False
        except (OSError, ValueError):
            return True  # as before: any stored HTTP settings count
        data = stored.get("data") if isinstance(stored, dict) else None
        return not isinstance(data, dict) or "stable" in data

    def write_configuration(self) -> None:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        # Once Home Assistant has taken over the HTTP settings, YAML for them is ignored and
        # raises a repair issue: write it only until then (always for releases that keep them
        # in YAML).
        http = "" if self._http_in_storage() else HTTP_YAML.format(hass_port=self.hass_port)
        (self.config_dir / "configuration.yaml").write_text(
            CONFIGURATION_YAML.format(http=http) + PRICE_SENSOR_YAML
        )
        custom = self.config_dir / "custom_components"
        custom.mkdir(exist_ok=True)
        link = custom / "fluvius"
        target = PROJECT_DIR / "custom_components" / "fluvius"
        if link.is_symlink() and link.resolve() == target:
            return
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target, target_is_directory=True)

    # --- processes -----------------------------------------------------------------------------

    def _spawn(self, name: str, args: list[str], log: Path) -> subprocess.Popen[bytes]:
        log.parent.mkdir(parents=True, exist_ok=True)
        handle = log.open("ab")
        self._logs.append(handle)
        env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR), "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            args,
            cwd=PROJECT_DIR,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # Ctrl-C in the terminal reaches us, we stop them in order
        )
        self.processes[name] = process
        return process

    def start_sandbox(self, timeout: float = 30) -> None:
        if not port_is_free(self.sandbox_port):
            raise StackError(f"port {self.sandbox_port} (Fluvius stand-in) is already in use")
        args = [
            sys.executable,
            "-m",
            "fluvius_sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.sandbox_port),
            *(["--demo"] if self.history_days is None else []),
            *self.sandbox_args,
        ]
        self._spawn("sandbox", args, self.state_dir / "sandbox.log")
        self._wait_port("sandbox", self.sandbox_port, timeout, self.state_dir / "sandbox.log")
        if self.history_days is not None:
            self.create_mock_mandates(self.history_days)

    def _post(self, url: str, data: bytes, headers: dict[str, str]) -> dict[str, Any]:
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            answer: dict[str, Any] = json.loads(response.read() or b"{}")
            return answer

    def create_mock_mandates(self, history_days: int) -> list[str]:
        """The demo meters with ``history_days`` of history, through the stand-in's public
        POST Create Mock Mandate (as a sandbox user would), with the default credentials."""
        from fluvius_sandbox.config import DEMO_MANDATES  # noqa: PLC0415 - only when needed

        token = self._post(
            self.token_url.replace("{tenant_id}", SANDBOX_TENANT_ID),
            urllib.parse.urlencode(
                {
                    "grant_type": "client_credentials",
                    "client_id": SANDBOX_CLIENT_ID,
                    "client_secret": SANDBOX_CLIENT_SECRET,
                    "scope": SANDBOX_SCOPE,
                }
            ).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )["access_token"]
        headers = {
            "Authorization": f"Bearer {token}",
            "Ocp-Apim-Subscription-Key": SANDBOX_SUBSCRIPTION_KEY,
            "Content-Type": "application/json",
        }
        today = datetime.now(BRUSSELS).replace(hour=0, minute=0, second=0, microsecond=0)
        start = (today - timedelta(days=history_days)).astimezone(UTC)
        expires = (today + timedelta(days=730)).astimezone(UTC)
        eans = []
        for spec in DEMO_MANDATES:
            body = {
                "status": "Approved",
                "ean": spec.ean,
                "dataPeriodFrom": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "mandateExpirationDate": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            self._post(self.api_base_url + "/Mandate/mock", json.dumps(body).encode(), headers)
            eans.append(spec.ean)
        return eans

    def start_hass(self, timeout: float = 120) -> None:
        if not port_is_free(self.hass_port):
            raise StackError(f"port {self.hass_port} (Home Assistant) is already in use")
        self.write_configuration()
        args = [
            sys.executable,
            "-m",
            "homeassistant",
            "--config",
            str(self.config_dir),
            "--skip-pip",
            "--log-no-color",
        ]
        log = self.state_dir / "hass.out"
        self._spawn("hass", args, log)
        # /auth/providers answers without authentication as soon as the HTTP server is up: 200,
        # or 400 while onboarding is not done.
        self._wait_http(
            "hass",
            self.hass_url + "/auth/providers",
            timeout,
            self.config_dir / "home-assistant.log",
        )

    def start(self) -> None:
        try:
            self.start_sandbox()
            self.start_hass()
        except BaseException:
            self.stop()
            raise

    def _check_alive(self, name: str, log: Path) -> None:
        process = self.processes[name]
        if process.poll() is not None:
            raise StackError(f"{name} exited with code {process.returncode}; see {log}")

    def _wait_port(self, name: str, port: int, timeout: float, log: Path) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive(name, log)
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.settimeout(1)
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.2)
        raise StackError(f"{name} did not listen on port {port} within {timeout:.0f} s; see {log}")

    def _wait_http(self, name: str, url: str, timeout: float, log: Path) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive(name, log)
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as err:
                if err.code < 500:  # the server is up and answering
                    return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise StackError(f"{name} did not answer {url} within {timeout:.0f} s; see {log}")

    def stop(self, timeout: float = 30) -> None:
        """Stop Home Assistant first (it flushes the recorder), then the stand-in."""
        for name in ("hass", "sandbox"):
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        for handle in self._logs:
            handle.close()
        self._logs.clear()

    def __enter__(self) -> DemoStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
