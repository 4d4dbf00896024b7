"""``python -m fluvius_sandbox``: serve the stand-in until Ctrl-C."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import logging

from aiohttp import web

from .app import SANDBOX_KEY, create_app
from .config import (
    ADMIN_PREFIX,
    API_PREFIX,
    DEFAULT_CREDENTIALS,
    DEFAULT_TOKEN_LIFETIME,
    DEMO_MANDATES,
    SandboxConfig,
    SandboxCredentials,
)
from .faults import FaultSpecError, parse_spec
from .scenario import MissingForm, QuarterHourLayout, Scenario, ScenarioError
from .timeutil import format_api_datetime, parse_iso_datetime


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fluvius_sandbox",
        description="A local stand-in for the Fluvius API for professional users (sandbox).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=0, help="seed of all synthetic data")
    parser.add_argument(
        "--faults",
        default="",
        metavar="SPEC",
        help='fault knobs, e.g. "429:0.05,retry_after=2;500:next=3;slow:next=1,delay=30"',
    )
    parser.add_argument(
        "--now", metavar="ISO", help="start the simulated clock here (default: real time)"
    )
    parser.add_argument(
        "--frozen", action="store_true", help="keep the simulated clock still until moved"
    )
    parser.add_argument("--demo", action="store_true", help="pre-create the demo mandates")
    parser.add_argument(
        "--quarter-hours",
        choices=[layout.value for layout in QuarterHourLayout],
        default=QuarterHourLayout.DAY_NIGHT.value,
        help="registers of digital electricity quarter-hours (default: day_night)",
    )
    parser.add_argument(
        "--missing-share",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of register values sent as missing (see --missing-form)",
    )
    parser.add_argument(
        "--missing-form",
        choices=[form.value for form in MissingForm],
        default=MissingForm.NULL.value,
        help='how a missing value is sent: "value": null, no value, or no register',
    )
    parser.add_argument(
        "--duplicate-share",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of final intervals listed again as an estimate (either order)",
    )
    parser.add_argument("--tenant-id", default=DEFAULT_CREDENTIALS.tenant_id)
    parser.add_argument("--client-id", default=DEFAULT_CREDENTIALS.client_id)
    parser.add_argument("--client-secret", default=DEFAULT_CREDENTIALS.client_secret)
    parser.add_argument("--scope", default=DEFAULT_CREDENTIALS.scope)
    parser.add_argument("--subscription-key", default=DEFAULT_CREDENTIALS.subscription_key)
    parser.add_argument(
        "--token-lifetime", type=int, default=DEFAULT_TOKEN_LIFETIME, metavar="SECONDS"
    )
    parser.add_argument("--log-level", default="WARNING")
    return parser


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    now = parse_iso_datetime(args.now) if args.now else None
    parse_spec(args.faults)  # fail early on a bad spec
    Scenario(missing_share=args.missing_share, duplicate_share=args.duplicate_share)  # checks
    return SandboxConfig(
        seed=args.seed,
        credentials=SandboxCredentials(
            tenant_id=args.tenant_id,
            client_id=args.client_id,
            client_secret=args.client_secret,
            scope=args.scope,
            subscription_key=args.subscription_key,
        ),
        now=now,
        frozen=True if args.frozen else (False if now is not None else None),
        faults=args.faults,
        demo=args.demo,
        token_lifetime=args.token_lifetime,
        quarter_hours=QuarterHourLayout(args.quarter_hours),
        missing_share=args.missing_share,
        missing_form=MissingForm(args.missing_form),
        duplicate_share=args.duplicate_share,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper())
    try:
        config = config_from_args(args)
    except (FaultSpecError, ScenarioError, ValueError) as err:
        parser.error(str(err))
    app = create_app(config)
    base = f"http://{args.host}:{args.port}"
    credentials = config.credentials
    print(f"Fluvius sandbox stand-in on {base}", flush=True)
    print(f"  token URL  {base}/{credentials.tenant_id}/oauth2/v2.0/token")
    print(f"  API base   {base}{API_PREFIX}")
    print(f"  admin      {base}{ADMIN_PREFIX}")
    print(
        f"  tenant {credentials.tenant_id}  client {credentials.client_id}  secret "
        f"{credentials.client_secret}  scope {credentials.scope}  subscription key "
        f"{credentials.subscription_key}"
    )
    print(f"  seed {config.seed}  now {format_api_datetime(app[SANDBOX_KEY].now())}")
    scenario = app[SANDBOX_KEY].scenario
    print(
        f"  quarter-hours {scenario.quarter_hours.value}  missing {scenario.missing_share} "
        f"({scenario.missing_form.value})  duplicates {scenario.duplicate_share}"
    )
    if config.demo:
        for spec in DEMO_MANDATES:
            print(f"  mandate {spec.ean}  {spec.note}")
    print("Ctrl-C to stop.", flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
