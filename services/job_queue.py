"""Enqueueing RQ jobs by dotted name (services never import ``jobs/``; DESIGN.md layout).

RQ works on a synchronous ``redis.Redis``: each call runs in a thread so the event loop is
never blocked. Arguments are ids only (ints and UUIDs): job arguments and failed jobs'
tracebacks stay in Redis for a long time (LIBRARIES.md), so a token or SQL result must never
be one. Only callables under ``jobs.`` may be named, so a stored job name (waiting work) can
never make a worker call anything else.

An idempotency key names the job (its RQ id is derived from the key): while a job with that
id is queued, scheduled or running, enqueueing it again does nothing. Two enqueues racing on
one key may still both land; jobs are idempotent by contract (STYLE.md), so that costs a
duplicate run, never a wrong one.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "QUEUE_NAMES",
    "EnqueuedJob",
    "JobArg",
    "JobQueue",
    "check_job_args",
    "check_job_name",
    "job_id_for",
]

#: The queues ``app/worker.py`` listens on, most urgent first.
QUEUE_NAMES = ("high", "default", "low")
DEFAULT_TIMEOUT_SECONDS = 180  # RQ's own default

JobArg = int | UUID

_JOB_NAME = re.compile(r"jobs(\.[a-z_][a-z0-9_]*)+")
_PENDING = frozenset({JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED})


def check_job_name(job: str) -> str:
    """``job`` if it is a dotted name inside ``jobs``; ``ValueError`` otherwise."""
    if not _JOB_NAME.fullmatch(job):
        raise ValueError(f"not a job of ours: {job!r}")
    return job


def check_job_args(args: Sequence[object]) -> tuple[JobArg, ...]:
    """``args`` if every one is an id (an int or a UUID); ``ValueError`` otherwise.

    Strings are refused on purpose: an id-shaped string and a token look alike.
    """
    checked: list[JobArg] = []
    for arg in args:
        if isinstance(arg, bool) or not isinstance(arg, int | UUID):
            raise ValueError(f"job arguments are ids only, not {type(arg).__name__}")
        checked.append(arg)
    return tuple(checked)


def job_id_for(idempotency_key: str) -> str:
    """The RQ job id for an idempotency key (RQ ids allow letters, digits, ``_`` and ``-``)."""
    return "idem-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class EnqueuedJob:
    """A job handed to RQ; ``enqueued`` is False when the same job was already pending."""

    job_id: str
    queue: str
    enqueued: bool


class JobQueue:
    """Enqueues jobs by dotted name on RQ's queues (``high``, ``default``, ``low``).

    Build it with :meth:`from_url` (it owns that connection; :meth:`close` it) or around a
    synchronous ``redis.Redis`` the caller owns.
    """

    def __init__(self, connection: Redis) -> None:
        self.connection = connection

    @classmethod
    def from_url(cls, redis_url: str) -> JobQueue:
        return cls(Redis.from_url(redis_url))

    def close(self) -> None:
        self.connection.close()

    async def enqueue(
        self,
        job: str,
        *args: JobArg,
        queue: str = "default",
        idempotency_key: str | None = None,
        timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
    ) -> EnqueuedJob:
        """Enqueue ``job`` (e.g. ``"jobs.connection.check_mce_connection"``) with id args."""
        check_job_name(job)
        checked = check_job_args(args)
        if queue not in QUEUE_NAMES:
            raise ValueError(f"unknown queue {queue!r}")
        job_id = job_id_for(idempotency_key) if idempotency_key is not None else None
        return await asyncio.to_thread(
            self._enqueue_sync, job, checked, queue=queue, job_id=job_id, timeout=timeout_seconds
        )

    def _enqueue_sync(
        self,
        job: str,
        args: tuple[JobArg, ...],
        *,
        queue: str,
        job_id: str | None,
        timeout: int,
    ) -> EnqueuedJob:
        if job_id is not None and self._pending(job_id):
            return EnqueuedJob(job_id=job_id, queue=queue, enqueued=False)
        rq_queue = Queue(queue, connection=self.connection)
        created = rq_queue.enqueue(job, *args, job_id=job_id, job_timeout=timeout)
        return EnqueuedJob(job_id=created.id, queue=queue, enqueued=True)

    def _pending(self, job_id: str) -> bool:
        try:
            existing = Job.fetch(job_id, connection=self.connection)
        except NoSuchJobError:
            return False
        return existing.get_status(refresh=False) in _PENDING
