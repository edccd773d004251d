"""Command line: ``python -m simulator [serve|describe] [options]``.

``serve`` (the default) binds the socket first, prints ONE JSON line on stdout
(base URL, client id/secret, legacy JWT secret, enterprise, BUs, users) and then
serves auth, REST and SOAP on that one origin. ``describe`` prints the same line
without serving. ``--port 0`` picks a free port (the JSON line tells which).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from collections.abc import Mapping, Sequence

from simulator.config import DEFAULT_REDIRECT_URIS, SCALES, SimulatorConfig
from simulator.state import Simulator

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("command", nargs="?", choices=("serve", "describe"), default="serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", choices=SCALES, default="small")
    parser.add_argument(
        "--extra-child-bus",
        type=int,
        default=0,
        metavar="N",
        help="N more child BUs (Region 01..N), seeded like the others, reachable by ada.admin",
    )
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--auto-approve", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--control", action="store_true", help="mount the /__sim/ control API")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=None,
        help="registered OAuth redirect URI (repeatable; replaces the defaults)",
    )
    parser.add_argument("--refresh-grace-seconds", type=float, default=300.0)
    parser.add_argument("--token-ttl-seconds", type=int, default=1200)
    timing = parser.add_argument_group(
        "query activities", "how long runs take (tests set them to 0 and move the clock)"
    )
    timing.add_argument("--query-queue-seconds", type=float, default=2.0)
    timing.add_argument("--query-base-seconds", type=float, default=3.0)
    timing.add_argument("--query-seconds-per-million-rows", type=float, default=20.0)
    timing.add_argument("--query-timeout-seconds", type=float, default=1800.0)
    timing.add_argument(
        "--quirks",
        action="store_true",
        help="switch on MCE's reported quirks: a status that lags two polls, an early "
        "CompletedDate, rows readable 3 s after completion, authorization codes wrapped in a "
        "JWT-like string",
    )
    parser.add_argument(
        "--public-url",
        help="the base URL clients reach the simulator at (e.g. http://simulator:8900/ under "
        "compose); default http://HOST:PORT/",
    )
    return parser


def refuse_production(environ: Mapping[str, str]) -> str | None:
    """The simulator is development-only: refuse to run beside a production configuration."""
    if environ.get("QUARRY_ENV", "").strip().lower() == "production":
        return "the MCE simulator is development-only and refuses to run with QUARRY_ENV=production"
    return None


def _public_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104 - a display name


def _base_url(public_url: str | None) -> str | None:
    return None if not public_url else public_url.rstrip("/") + "/"


def _config(args: argparse.Namespace) -> SimulatorConfig:
    """The settings the options ask for; ``ValueError`` names a bad one."""
    return SimulatorConfig(
        seed=args.seed,
        scale=args.scale,
        extra_child_bus=args.extra_child_bus,
        latency_ms=args.latency_ms,
        auto_approve=args.auto_approve,
        control=args.control,
        redirect_uris=list(args.redirect_uri or DEFAULT_REDIRECT_URIS),
        refresh_grace_seconds=args.refresh_grace_seconds,
        token_ttl_seconds=args.token_ttl_seconds,
        query_queue_seconds=args.query_queue_seconds,
        query_base_seconds=args.query_base_seconds,
        query_seconds_per_million_rows=args.query_seconds_per_million_rows,
        query_timeout_seconds=args.query_timeout_seconds,
        quirk_status_lag_polls=2 if args.quirks else 0,
        quirk_early_completed_date=args.quirks,
        quirk_rows_visible_after_seconds=3.0 if args.quirks else 0.0,
        quirk_jwt_wrapped_code=args.quirks,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    refusal = refuse_production(os.environ)
    if refusal:
        sys.stderr.write(refusal + "\n")
        return 2
    if args.public_url and not args.public_url.startswith(("http://", "https://")):
        sys.stderr.write("--public-url must be an http(s) URL\n")
        return 2
    try:
        config = _config(args)
    except ValueError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    if args.command == "describe":
        sim = Simulator(config)
        base = _base_url(args.public_url) or f"http://{_public_host(args.host)}:{args.port}/"
        sys.stdout.write(json.dumps(sim.describe(base)) + "\n")
        return 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(2048)  # connections queue from now on, before uvicorn has started
    port = sock.getsockname()[1]
    config.base_url = _base_url(args.public_url) or f"http://{_public_host(args.host)}:{port}/"
    sim = Simulator(config)
    sys.stdout.write(json.dumps(sim.describe(config.base_url)) + "\n")
    sys.stdout.flush()

    import uvicorn

    from simulator.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(sim), log_level="info", lifespan="off"))
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
