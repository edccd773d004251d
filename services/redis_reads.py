"""Blocking Redis reads that fit the client's socket timeout.

The API's Redis client times out a socket read after ``socket_timeout`` seconds (2 in
app/main.py, so a dead Redis never hangs a request). A blocking ``XREAD`` that waits longer
than that fails with a timeout instead of returning empty: every loop that follows a stream
asks here how long one read may block.
"""

from __future__ import annotations

from redis.asyncio import Redis

__all__ = ["MAX_READ_BLOCK_MS", "read_block_ms"]

#: The longest any one blocking read waits, whatever the client allows.
MAX_READ_BLOCK_MS = 5_000


def read_block_ms(redis: Redis, wanted_ms: int) -> int:
    """How long one blocking read on ``redis`` may wait: ``wanted_ms``, capped at half the
    client's socket timeout (and at :data:`MAX_READ_BLOCK_MS`), at least 1 ms."""
    timeout = redis.connection_pool.connection_kwargs.get("socket_timeout")
    limit = MAX_READ_BLOCK_MS
    if isinstance(timeout, int | float) and timeout > 0:
        limit = min(limit, int(timeout * 1000 / 2))
    return max(1, min(wanted_ms, limit))
