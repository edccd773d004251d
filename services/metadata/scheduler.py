"""The metadata scheduler: exactly one in the deployment, whatever the number of workers.

Every worker process (``python -m app.worker``, not ``--burst``) starts
:func:`start_scheduler_thread`; each tick, a :class:`MetadataScheduler` tries to hold the
Redis lock :data:`services.redis_keys.METADATA_SCHEDULER_LOCK_KEY` (``SET NX PX``, renewed
by its holder each tick, expiring on its own if the holder dies). Only the holder acts: it
enqueues one ``jobs.metadata.enqueue_due_syncs`` job per tick window, and the daily jobs
(:data:`DAILY_JOBS`: the snippet trash's purge) once a day and the hourly ones
(:data:`HOURLY_JOBS`: the runs engine's recycling) once an hour; a Redis marker per window,
hour or day makes even a handover between two holders enqueue once. RQ's scheduler or
``rq cron`` alone would fire once per worker.

The thread only talks to Redis (the worker's parent never touches the database, DESIGN.md);
the tick's job runs in a work-horse as the system role, the one role that may list every
tenant's BUs, and enqueues ``jobs.metadata.scheduled_sync`` for each BU whose last sync is
older than :data:`SYNC_EVERY` (each of those then acts as the BU's most recent usable member,
under the tenant's context).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
from redis import Redis as SyncRedis

from models import TenantRepository
from services.job_queue import JobQueue
from services.metadata.context import bu_scope
from services.redis_keys import METADATA_SCHEDULER_LOCK_KEY

__all__ = [
    "FULL_SYNC_EVERY",
    "SYNC_EVERY",
    "TICK_SECONDS",
    "MetadataScheduler",
    "enqueue_due_syncs",
    "full_sync_due",
    "start_scheduler_thread",
]

logger = logging.getLogger("quarry.metadata.scheduler")

TICK_SECONDS = 60
SYNC_EVERY = timedelta(hours=1)
"""A BU's metadata is refreshed (incrementally) when its last sync is older than this."""
FULL_SYNC_EVERY = timedelta(hours=24)
"""…and fully (automations' steps, anything an incremental sync cannot see) once a day."""
MAX_PER_TICK = 500
TICK_JOB = "jobs.metadata.enqueue_due_syncs"
#: Jobs the scheduler enqueues once a day (name, timeout): the snippet trash's purge.
DAILY_JOBS = (("jobs.snippets.purge_snippet_trash", 900),)
#: Jobs enqueued once an hour: the runs engine's recycling (idle shells, expired results).
HOURLY_JOBS = (("jobs.runs.recycle_everywhere", 600),)
SCHEDULED_JOB = "jobs.metadata.scheduled_sync"

_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then"
    " return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)


@dataclass
class MetadataScheduler:
    """One scheduler instance; :meth:`tick` acts only while it holds the deployment's lock."""

    connection: SyncRedis
    tick_seconds: int = TICK_SECONDS
    token: str = field(default_factory=lambda: secrets.token_hex(16))

    @property
    def _ttl_ms(self) -> int:
        return self.tick_seconds * 3 * 1000

    def is_leader(self) -> bool:
        """Take the lock, or renew it if this instance holds it."""
        if self.connection.set(METADATA_SCHEDULER_LOCK_KEY, self.token, nx=True, px=self._ttl_ms):
            return True
        renewed = self.connection.eval(
            _RENEW, 1, METADATA_SCHEDULER_LOCK_KEY, self.token, self._ttl_ms
        )
        return bool(renewed)

    def tick(self, now: float | None = None) -> bool:
        """Enqueue this window's due-sync job (and, once a day, the daily jobs) if this
        instance leads; True if it enqueued the due-sync job."""
        if not self.is_leader():
            return False
        moment = now if now is not None else time.time()
        window = int(moment // self.tick_seconds)
        enqueued = self._once(_window_key(window), TICK_JOB, ttl=self.tick_seconds * 10)
        day = int(moment // 86_400)
        for job, timeout in DAILY_JOBS:
            self._once(f"{job}:{day}", job, ttl=2 * 86_400, timeout=timeout)
        hour = int(moment // 3_600)
        for job, timeout in HOURLY_JOBS:
            self._once(f"{job}:{hour}", job, ttl=2 * 3_600, timeout=timeout)
        return enqueued

    def _once(self, key: str, job: str, *, ttl: int, timeout: int = 600) -> bool:
        """Enqueue ``job`` unless it was enqueued under ``key`` already (a Redis marker, so a
        job that already finished is not enqueued again either)."""
        marker = f"{METADATA_SCHEDULER_LOCK_KEY}:done:{key}"
        if not self.connection.set(marker, "1", nx=True, ex=ttl):
            return False
        queue = JobQueue(self.connection)
        try:
            asyncio.run(
                queue.enqueue(job, queue="low", idempotency_key=key, timeout_seconds=timeout)
            )
        except Exception:
            self.connection.delete(marker)  # try again next tick
            raise
        return True

    def step_down(self) -> None:
        """Give the lock up (shutdown), if held."""
        self.connection.eval(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"
            " return 0",
            1,
            METADATA_SCHEDULER_LOCK_KEY,
            self.token,
        )

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # Redis down: try again next tick
                logger.exception("metadata scheduler tick failed")
            stop.wait(self.tick_seconds)
        try:
            self.step_down()
        except Exception:
            logger.warning("metadata scheduler could not release its lock")


def _window_key(window: int) -> str:
    return f"metadata-schedule:{window}"


def start_scheduler_thread(
    redis_url: str, *, tick_seconds: int = TICK_SECONDS
) -> tuple[threading.Thread, threading.Event]:
    """Run a scheduler in a daemon thread of this process (the worker's parent)."""
    stop = threading.Event()
    scheduler = MetadataScheduler(SyncRedis.from_url(redis_url), tick_seconds=tick_seconds)
    thread = threading.Thread(
        target=scheduler.run, args=(stop,), name="metadata-scheduler", daemon=True
    )
    thread.start()
    return thread, stop


_DUE_SQL = """
SELECT b.tenant_id, b.mid FROM business_units b
JOIN tenants t ON t.tenant_id = b.tenant_id AND t.status = 'active'
LEFT JOIN metadata_sync_state s ON s.tenant_id = b.tenant_id AND s.mid = b.mid AND s.scope = 'own'
WHERE b.background_state = 'ready'
  AND (s.id IS NULL OR (s.status <> 'running' OR s.updated_at < now() - interval '2 hours')
       AND COALESCE(s.last_finished_at, s.last_started_at, 'epoch') < now() - $1::interval)
ORDER BY s.last_success_at NULLS FIRST, b.tenant_id, b.mid
LIMIT $2
"""


async def enqueue_due_syncs(system_url: str, *, redis_url: str, limit: int = MAX_PER_TICK) -> int:
    """Enqueue a scheduled sync for every BU due one (as the system role: every tenant)."""
    conn = await asyncpg.connect(system_url)
    try:
        rows = await conn.fetch(_DUE_SQL, SYNC_EVERY, limit)
    finally:
        await conn.close()
    queue = JobQueue.from_url(redis_url)
    count = 0
    try:
        for row in rows:
            tenant_id, mid = int(row["tenant_id"]), int(row["mid"])
            job = await queue.enqueue(
                SCHEDULED_JOB,
                tenant_id,
                mid,
                queue="low",
                idempotency_key=f"metadata-scheduled:{tenant_id}:{mid}",
                timeout_seconds=3600,
            )
            count += int(job.enqueued)
    finally:
        queue.close()
    logger.info("metadata scheduler enqueued %d syncs", count, extra={"event": "metadata.due"})
    return count


async def full_sync_due(tenant_id: int, mid: int) -> bool:
    """Whether BU ``mid``'s next scheduled sync should be full (a day since the last)."""
    scope = await bu_scope(tenant_id, mid)
    rows = await TenantRepository(scope.ctx).fetch(
        "SELECT last_full_sync_at FROM metadata_sync_state"
        " WHERE tenant_id = $1 AND mid = $2 AND scope = 'own'",
        [tenant_id, mid],
    )
    last = rows[0]["last_full_sync_at"] if rows else None
    return last is None or datetime.now(UTC) - last > FULL_SYNC_EVERY
