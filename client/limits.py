"""A per-tenant cap on concurrent MCE calls, shared by every process.

MCE blocks a tenant that opens too many calls at once (429 errorcode 50200, REFERENCE
§4.7), and RQ forks a work-horse per job, so a limit held in process memory would be
multiplied by the number of workers. The Redis limiter keeps one sorted set per tenant:
members are lease ids, scores the lease's expiry in Redis server time. Acquiring is one
Lua script (drop expired leases, take a slot if fewer than ``limit`` remain), so two
processes cannot both take the last slot, and a process that dies holding a slot frees
it when the lease expires. Leases are longer than any call's timeout, so a live call
never loses its slot.

When Redis cannot be reached the limiter fails closed: the call is not sent and
:class:`MceUnavailable` (``retry_safe``, nothing left this process) goes to the pipeline,
which backs off and tries again like any outage. Failing open would let every worker hit
MCE at once just when our own infrastructure is degraded, and MCE answers a concurrency
burst by blocking the whole tenant (50200) until support lifts it; RQ itself needs Redis,
so jobs stop anyway. Releasing is best effort: a slot that cannot be released expires
with its lease, and the call's own result is never replaced by a Redis error (a create
that succeeded must not look failed, or it would be sent twice).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from client.errors import MceUnavailable, Throttled

__all__ = ["ConcurrencyLimiter", "RedisConcurrencyLimiter", "slots_key"]

logger = logging.getLogger("quarry.client")


class ConcurrencyLimiter(Protocol):
    def slot(self, tenant_id: int) -> AbstractAsyncContextManager[None]:
        """Hold one of the tenant's call slots for the duration of the block."""
        ...


def slots_key(tenant_id: int) -> str:
    """The Redis key of a tenant's slot set (the only place it is spelled)."""
    return f"quarry:mce:slots:{int(tenant_id)}"


# KEYS[1] slot set; ARGV: limit, lease ms, lease id. Returns 1 when a slot was taken.
_ACQUIRE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return 1
end
return 0
"""


class RedisConcurrencyLimiter:
    """At most ``limit`` concurrent slots per tenant across processes.

    ``lease_seconds`` must exceed the longest call (the caller's timeout); a slot not
    granted within ``acquire_timeout`` raises :class:`Throttled`. ``key_for`` names a
    tenant's slot set (default :func:`slots_key`, MCE calls); another key counts another
    kind of slot (e.g. BUs being deployed at once) the same way.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        limit: int,
        lease_seconds: float = 120.0,
        acquire_timeout: float = 60.0,
        poll_interval: float = 0.02,
        redis_timeout: float = 5.0,
        key_for: Callable[[int], str] = slots_key,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._redis = redis
        self._limit = limit
        self._lease_ms = int(lease_seconds * 1000)
        self._acquire_timeout = acquire_timeout
        self._poll = poll_interval
        #: Longest wait for one round trip to Redis: a hung Redis fails the call closed
        #: instead of holding it forever.
        self._redis_timeout = redis_timeout
        self._script = redis.register_script(_ACQUIRE)
        self._key_for = key_for

    def slot(self, tenant_id: int) -> AbstractAsyncContextManager[None]:
        return self._slot(tenant_id)

    @asynccontextmanager
    async def _slot(self, tenant_id: int) -> AsyncIterator[None]:
        key = self._key_for(tenant_id)
        lease = uuid.uuid4().hex
        await self._acquire(key, lease)
        try:
            yield
        finally:
            try:
                async with asyncio.timeout(self._redis_timeout):
                    await self._redis.zrem(key, lease)
            except (RedisError, OSError, TimeoutError):
                logger.warning("could not release an MCE call slot; its lease will expire")

    async def _acquire(self, key: str, lease: str) -> None:
        deadline = time.monotonic() + self._acquire_timeout
        while True:
            try:
                # A hung Redis must not hold the call forever: each round trip is bounded.
                async with asyncio.timeout(self._redis_timeout):
                    taken = await self._script(
                        keys=[key], args=[self._limit, self._lease_ms, lease]
                    )
            except (RedisError, OSError, TimeoutError):
                raise MceUnavailable(
                    "Quarry cannot reach its call limiter; the call was not sent.",
                    retry_safe=True,
                ) from None
            if taken == 1:
                return
            if time.monotonic() >= deadline:
                raise Throttled(
                    "Too many Marketing Cloud calls are running for this account; "
                    "try again shortly.",
                    retry_after=None,
                )
            # Jitter keeps waiting processes from polling in lock-step.
            await asyncio.sleep(self._poll * random.uniform(0.5, 1.5))  # noqa: S311
