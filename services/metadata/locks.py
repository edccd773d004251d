"""A Redis lock with a heartbeat: one sync per tenant, BU and scope at a time.

``SET key token NX PX ttl`` takes it; the holder refreshes it while it works (a crashed
worker's lock expires within ``ttl``), and releases it only if it still holds it (a Lua
compare-and-delete, so a holder whose lock expired never frees someone else's).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from redis.asyncio import Redis

__all__ = ["RedisLock"]

_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)
_REFRESH = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then"
    " return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)


@dataclass
class RedisLock:
    redis: Redis
    key: str
    ttl_ms: int = 60_000
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    _refreshed: float = 0.0

    async def acquire(self) -> bool:
        taken = await self.redis.set(self.key, self.token, nx=True, px=self.ttl_ms)
        self._refreshed = time.monotonic()
        return bool(taken)

    async def held_elsewhere(self) -> bool:
        return bool(await self.redis.exists(self.key))

    async def refresh(self, *, force: bool = False) -> bool:
        """Extend the lock (at most every third of its TTL unless ``force``); False when it
        was lost."""
        if not force and time.monotonic() - self._refreshed < self.ttl_ms / 3000:
            return True
        self._refreshed = time.monotonic()
        result = await self.redis.eval(_REFRESH, 1, self.key, self.token, str(self.ttl_ms))
        return bool(result)

    async def release(self) -> None:
        await self.redis.eval(_RELEASE, 1, self.key, self.token)
