"""The RQ worker: ``python -m app.worker [--burst]`` (with the scheduler, for retries with
intervals).

Settings are read and validated in the parent before RQ forks a work-horse per job, and the
job runtime (services/runtime.py) is configured from them; the parent never touches the
database (jobs open their own connections in the work-horse). ``--burst`` works off what is
queued and exits, for operators and tests.
"""

from __future__ import annotations

import argparse
import logging

from redis import Redis
from rq import Queue, Worker

from app.logs import configure_logging
from app.settings import Settings
from app.wiring import mce_auth_config
from services.runtime import RuntimeConfig, configure

QUEUES = ("high", "default", "low")


def runtime_config(settings: Settings) -> RuntimeConfig:
    return RuntimeConfig(
        app_database_url=settings.app_database_url,
        redis_url=settings.redis_url,
        wallet_keks=settings.wallet_keks,
        wallet_kek_file=settings.wallet_kek_file,
        mce_auth=mce_auth_config(settings),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.worker")
    parser.add_argument("--burst", action="store_true", help="exit once the queues are empty")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    configure(runtime_config(settings))
    connection = Redis.from_url(settings.redis_url)
    queues = [Queue(name, connection=connection) for name in QUEUES]
    logging.getLogger("quarry.worker").info("worker starting", extra={"event": "worker.start"})
    Worker(queues, connection=connection).work(with_scheduler=not args.burst, burst=args.burst)


if __name__ == "__main__":
    main()
