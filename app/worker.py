"""The RQ worker: ``python -m app.worker [--burst]`` (with the scheduler, for retries with
intervals).

Settings are read and validated in the parent before RQ forks a work-horse per job, and the
job runtime (services/runtime.py) is configured from them; the parent never touches the
database (jobs open their own connections in the work-horse). ``--burst`` works off what is
queued and exits, for operators and tests.

A long-running worker also runs the metadata scheduler in a thread
(services/metadata/scheduler.py): every worker starts one, a Redis lock lets exactly one of
them act, and the thread only talks to Redis. ``--no-metadata-scheduler`` leaves it out.
"""

from __future__ import annotations

import argparse
import logging

from redis import Redis
from rq import Queue, Worker

from app.logs import configure_logging
from app.settings import Settings
from app.wiring import mce_auth_config
from services.deploy import config as deploy_config
from services.metadata.scheduler import start_scheduler_thread
from services.runs import config as runs_config
from services.runtime import RuntimeConfig, configure

QUEUES = ("high", "default", "low")


def runtime_config(settings: Settings) -> RuntimeConfig:
    return RuntimeConfig(
        app_database_url=settings.app_database_url,
        redis_url=settings.redis_url,
        wallet_keks=settings.wallet_keks,
        wallet_kek_file=settings.wallet_kek_file,
        mce_auth=mce_auth_config(settings),
        system_database_url=settings.system_database_url,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.worker")
    parser.add_argument("--burst", action="store_true", help="exit once the queues are empty")
    parser.add_argument(
        "--no-metadata-scheduler",
        action="store_true",
        help="do not take part in scheduling metadata syncs",
    )
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    configure(runtime_config(settings))
    runs_config.configure(settings.runs)
    deploy_config.configure(settings.deploy)
    connection = Redis.from_url(settings.redis_url)
    queues = [Queue(name, connection=connection) for name in QUEUES]
    logging.getLogger("quarry.worker").info("worker starting", extra={"event": "worker.start"})
    if not args.burst and not args.no_metadata_scheduler:
        start_scheduler_thread(settings.redis_url)
    Worker(queues, connection=connection).work(with_scheduler=not args.burst, burst=args.burst)


if __name__ == "__main__":
    main()
