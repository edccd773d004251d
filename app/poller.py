"""The run poller process: ``python -m app.poller [--once]`` (services/runs/poller.py).

An asyncio process, not RQ jobs (docs/decisions.md says why): it keeps each run's next check
and its BU leases in memory and checks a BU every quarter second, which a job per check
could not do without flooding the queue. Several can run: each BU is polled by one of them
at a time (a Redis lease), and a poller that dies hands its BUs over when its leases lapse
(seconds). Every poller also offers to run the reconciler once a minute
(services/runs/reconciler.py; one of them does). SIGTERM or SIGINT stops it after the
current round. ``--once`` runs one round and exits (operators, tests).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from app.logs import configure_logging
from app.settings import Settings
from app.worker import runtime_config
from services.runs import config as runs_config
from services.runs.poller import Poller, PollerDeps
from services.runs.reconciler import reconcile
from services.runtime import configure, job_services

__all__ = ["main"]

log = logging.getLogger("quarry.poller")

RECONCILE_EVERY_SECONDS = 60


async def _serve(settings: Settings, *, once: bool, calls_per_second: int) -> None:
    async with job_services() as services:
        deps = PollerDeps(
            system_url=settings.system_database_url,
            redis=services.redis,
            http=services.http,
            tokens=services.tokens,
            policy=services.auth.policy,
            config=settings.runs,
            calls_per_second_per_bu=calls_per_second,
        )
        poller = Poller(deps)
        try:
            if once:
                report = await poller.run_once()
                log.info(
                    "poller round: %d watched, %d completed, %d failed",
                    report.watched, len(report.completed), len(report.failed),
                    extra={"event": "runs.poller.round"},
                )  # fmt: skip
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            log.info("poller starting", extra={"event": "runs.poller.start"})
            await asyncio.gather(poller.run_forever(stop), _reconcile_every_minute(deps, stop))
        finally:
            await poller.close()


async def _reconcile_every_minute(deps: PollerDeps, stop: asyncio.Event) -> None:
    """The reconciler, once a minute (a Redis lock makes one poller of the deployment act)."""
    while not stop.is_set():
        try:
            report = await reconcile(deps)
            if report.failed:
                log.info(
                    "reconciler failed %d runs left behind", len(report.failed),
                    extra={"event": "runs.reconciler.failed"},
                )  # fmt: skip
        except Exception:
            log.exception("reconciler round failed", extra={"event": "runs.reconciler.error"})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=RECONCILE_EVERY_SECONDS)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.poller")
    parser.add_argument("--once", action="store_true", help="one round, then exit")
    parser.add_argument(
        "--calls-per-second",
        type=int,
        default=5,
        help="status calls per second per BU, across every poller (default 5)",
    )
    args = parser.parse_args(argv)
    if args.calls_per_second < 1:
        parser.error("--calls-per-second must be at least 1")
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    configure(runtime_config(settings))
    runs_config.configure(settings.runs)
    asyncio.run(_serve(settings, once=args.once, calls_per_second=args.calls_per_second))


if __name__ == "__main__":
    main()
