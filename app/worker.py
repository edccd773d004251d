"""The RQ worker: ``python -m app.worker`` (with the scheduler, for retries with intervals).

Settings are read and validated in the parent before RQ forks a work-horse per job; the
parent never touches the database (jobs open their own connections in the work-horse).
"""

from __future__ import annotations

import logging

from redis import Redis
from rq import Queue, Worker

from app.logs import configure_logging
from app.settings import Settings

QUEUES = ("high", "default", "low")


def main() -> None:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    connection = Redis.from_url(settings.redis_url)
    queues = [Queue(name, connection=connection) for name in QUEUES]
    logging.getLogger("quarry.worker").info("worker starting", extra={"event": "worker.start"})
    Worker(queues, connection=connection).work(with_scheduler=True)


if __name__ == "__main__":
    main()
