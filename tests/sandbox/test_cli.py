"""``python -m fluvius_sandbox``: arguments and a real process serving until interrupted."""

from __future__ import annotations

from datetime import UTC, datetime
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from fluvius_sandbox.__main__ import build_parser, config_from_args

PROJECT = Path(__file__).parents[2]


def test_arguments() -> None:
    args = build_parser().parse_args(
        [
            "--seed",
            "5",
            "--now",
            "2026-01-02T03:04:05Z",
            "--faults",
            "429:0.1",
            "--demo",
            "--client-id",
            "me",
            "--client-secret",
            "s",
            "--tenant-id",
            "t",
            "--scope",
            "x",
            "--subscription-key",
            "k",
            "--token-lifetime",
            "60",
        ]
    )
    config = config_from_args(args)
    assert config.seed == 5
    assert config.now == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert config.frozen is False  # --now starts the clock there; it runs on
    assert config.faults == "429:0.1"
    assert config.demo
    assert config.credentials.client_id == "me"
    assert config.credentials.tenant_id == "t"
    assert config.token_lifetime == 60
    frozen = config_from_args(build_parser().parse_args(["--now", "2026-01-02", "--frozen"]))
    assert frozen.frozen is True
    default = config_from_args(build_parser().parse_args([]))
    assert default.now is None and default.frozen is None and not default.demo
    assert default.credentials.client_secret == "sandbox-secret"


def test_payload_reading_arguments() -> None:
    default = config_from_args(build_parser().parse_args([]))
    assert default.quarter_hours == "day_night"
    assert (default.missing_share, default.missing_form, default.duplicate_share) == (
        0.0,
        "null",
        0.0,
    )
    config = config_from_args(
        build_parser().parse_args(
            [
                "--quarter-hours",
                "total",
                "--missing-share",
                "0.02",
                "--missing-form",
                "no_register",
                "--duplicate-share",
                "0.01",
            ]
        )
    )
    assert config.quarter_hours == "total"
    assert config.missing_share == 0.02
    assert config.missing_form == "no_register"
    assert config.duplicate_share == 0.01


@pytest.mark.parametrize(
    "argv",
    [["--quarter-hours", "both"], ["--missing-share", "2"], ["--missing-form", "zero"]],
)
def test_bad_payload_readings_are_refused(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from fluvius_sandbox.__main__ import main

    with pytest.raises(SystemExit):
        main(argv)
    assert "error" in capsys.readouterr().err


def test_bad_faults_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from fluvius_sandbox.__main__ import main

    with pytest.raises(SystemExit):
        main(["--faults", "nonsense"])
    assert "unknown fault kind" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serves_until_interrupted() -> None:
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "fluvius_sandbox",
            "--port",
            str(port),
            "--demo",
            "--now",
            "2026-11-20T12:00:00Z",
            "--frozen",
            "--seed",
            "3",
        ],
        cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(base + "/_sandbox/clock", timeout=1) as answer:  # noqa: S310
                    clock = json.load(answer)
                break
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert clock == {"now": "2026-11-20T12:00:00Z", "frozen": True}
        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": "sandbox-client",
                "client_secret": "sandbox-secret",
                "scope": "api://fluvius-sandbox/.default",
            }
        ).encode()
        with urllib.request.urlopen(base + "/sandbox-tenant/oauth2/v2.0/token", form) as answer:  # noqa: S310
            token = json.load(answer)["access_token"]
        request = urllib.request.Request(  # noqa: S310
            base + "/ext/mijnfluvius-profnetgebruiker-sbx/v1/Mandate",
            headers={
                "Authorization": f"Bearer {token}",
                "Subscription-Key": "sandbox-subscription-key",
            },
        )
        with urllib.request.urlopen(request) as answer:  # noqa: S310
            assert len(json.load(answer)["data"]["mandates"]) == 5
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0, output
    assert f"Fluvius sandbox stand-in on {base}" in output
    assert "541450011000000001" in output
