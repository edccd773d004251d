"""Request rate limits in Redis: a sliding window per bucket and subject.

Why this shape:
- Limits live in Redis, not in process memory, because API replicas scale out and must
  share one count (DESIGN.md, "Running it").
- Sliding window counter: the count of the current fixed window plus the previous window's
  count weighted by how much of it still overlaps the last minute. A fixed window alone
  lets a client spend twice the limit across a boundary; a log of every request costs a
  sorted-set entry per request. The check and the increment run in one Lua script, so
  concurrent requests never both take the last slot, and refused requests are not
  counted (a client that backs off for ``Retry-After`` seconds does get through).
- Subjects are per IP and, once known, per user or token, each limited independently: one
  noisy user behind a shared address does not lock out the rest, and one address cannot
  spread a flood over many tokens.
- Redis down: each bucket says whether to fail open or closed. Sign-in fails closed (it
  fronts MCE calls and must not become unlimited while Redis is away); GraphQL and bearer
  use fail open, because sessions live in Redis too (cookie requests fail anyway) and
  refusing every API-token request for a cache outage would turn a partial outage into a
  total one. Redis calls are bounded by the client's socket timeout.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.errors import RateLimited
from services.redis_keys import rate_limit_key

__all__ = ["Limit", "RateLimitExceeded", "RateLimiter", "retry_after_seconds"]

log = logging.getLogger("quarry.rate_limits")

WINDOW_SECONDS = 60

# KEYS[1] this window's counter, KEYS[2] the previous window's.
# ARGV[1] the limit, ARGV[2] the previous window's weight (0..1), ARGV[3] the counter's TTL.
# Returns {allowed (0/1), this window's count, the previous window's count}.
_HIT = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if previous * tonumber(ARGV[2]) + current + 1 > tonumber(ARGV[1]) then
  return {0, current, previous}
end
current = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {1, current, previous}
"""


@dataclass(frozen=True)
class Limit:
    """``per_minute`` requests per subject; ``fail_closed`` refuses when Redis is down."""

    per_minute: int
    fail_closed: bool = False


class RateLimitExceeded(RateLimited):
    """A limit was reached; ``retry_after`` is whole seconds until a request would pass."""

    def __init__(self, *, retry_after: int, message: str | None = None) -> None:
        super().__init__(message or f"Too many requests; try again in {retry_after} s.")
        self.retry_after = retry_after


def retry_after_seconds(
    *, limit: int, current: int, previous: int, elapsed: float, window: int = WINDOW_SECONDS
) -> int:
    """Seconds until one more request fits, if no other request arrives meanwhile.

    ``elapsed`` is how far into the current window we are. Within this window the previous
    window's weight shrinks as time passes; in the next one, this window's count becomes
    the weighted one.
    """
    # Next window, nothing counted in it yet: current * (window - t) / window + 1 <= limit.
    t_next = 0.0 if current <= limit - 1 else window * (1 - (limit - 1) / max(current, 1))
    waits = [window - elapsed + t_next]
    room = limit - current - 1  # what the weighted previous count must drop to
    if room >= 0 and previous > 0:
        # This window: previous * (window - t) / window <= room, t the position in it.
        waits.append(window * (1 - room / previous) - elapsed)
    return max(1, math.ceil(min(waits)))


class RateLimiter:
    """``await limiter.hit("signin", ip)`` raises :class:`RateLimitExceeded` over the limit."""

    def __init__(
        self,
        redis: Redis,
        *,
        limits: Mapping[str, Limit],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.limits = dict(limits)
        self.clock = clock
        self._script = redis.register_script(_HIT)

    async def hit(self, bucket: str, subject: str) -> None:
        """Count one request of ``subject`` in ``bucket``, or raise if it does not fit."""
        limit = self.limits[bucket]
        now = self.clock()
        window = int(now // WINDOW_SECONDS)
        elapsed = now - window * WINDOW_SECONDS
        weight = (WINDOW_SECONDS - elapsed) / WINDOW_SECONDS
        keys = [
            rate_limit_key(bucket, subject, window),
            rate_limit_key(bucket, subject, window - 1),
        ]
        try:
            allowed, current, previous = await self._script(
                keys=keys, args=[limit.per_minute, repr(weight), 2 * WINDOW_SECONDS]
            )
        except (RedisError, OSError):
            if limit.fail_closed:
                log.warning("rate limit unavailable; refusing", extra={"bucket": bucket})
                raise RateLimitExceeded(
                    retry_after=5, message="Briefly unavailable; try again in a few seconds."
                ) from None
            log.warning("rate limit unavailable; allowing", extra={"bucket": bucket})
            return
        if not allowed:
            raise RateLimitExceeded(
                retry_after=retry_after_seconds(
                    limit=limit.per_minute,
                    current=int(current),
                    previous=int(previous),
                    elapsed=elapsed,
                )
            )
