"""Dependency checks shared by the readiness endpoint and the GraphQL ``health`` field."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC
from enum import StrEnum

from redis.asyncio import Redis
from rq.utils import utcparse
from rq.worker_registration import REDIS_WORKER_KEYS

WORKER_HEARTBEAT_MAX_AGE_S = 90


class Status(StrEnum):
    OK = "ok"
    DOWN = "down"


@dataclass(frozen=True)
class DependencyStatus:
    name: str
    status: Status
    latency_ms: float
    detail: str = ""


async def _timed(name: str, check: Awaitable[None], limit_s: float) -> DependencyStatus:
    started = time.perf_counter()
    detail = ""
    try:
        await asyncio.wait_for(check, limit_s)
        status = Status.OK
    except Exception as exc:  # a readiness probe reports, it never raises
        detail = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
        status = Status.DOWN
    latency = round((time.perf_counter() - started) * 1000, 2)
    return DependencyStatus(name, status, latency, detail)


async def _redis(redis: Redis) -> None:
    await redis.ping()


async def _worker(redis: Redis) -> None:
    """At least one RQ worker has sent a heartbeat recently."""
    now = time.time()
    for key in await redis.smembers(REDIS_WORKER_KEYS):
        heartbeat = await redis.hget(key, "last_heartbeat")
        if heartbeat is None:
            continue
        text = heartbeat.decode() if isinstance(heartbeat, bytes) else str(heartbeat)
        try:
            seen = utcparse(text).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
        if now - seen <= WORKER_HEARTBEAT_MAX_AGE_S:
            return
    raise LookupError("no worker heartbeat")


async def check_dependencies(
    *, ping_db: Callable[[], Awaitable[None]], redis: Redis, limit_s: float = 2.0
) -> list[DependencyStatus]:
    """Postgres, Redis and worker liveness, checked concurrently, each with a timeout."""
    return list(
        await asyncio.gather(
            _timed("postgres", ping_db(), limit_s),
            _timed("redis", _redis(redis), limit_s),
            _timed("worker", _worker(redis), limit_s),
        )
    )
