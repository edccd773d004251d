"""Blocking Redis reads that fit the client's socket timeout.

The API's Redis client times out a socket read after ``socket_timeout`` seconds (2 in
app/main.py, so a dead Redis never hangs a request). A blocking ``XREAD`` that waits longer
than that fails with a timeout instead of returning empty: every loop that follows a stream
asks here how long one read may block. A client that names no socket timeout still has one:
the connection's default (5 s since redis-py 8.0), so an unnamed timeout is not "none".
"""

from __future__ import annotations

import functools
import inspect

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection

__all__ = ["MAX_READ_BLOCK_MS", "read_block_ms"]

#: The longest any one blocking read waits, whatever the client allows.
MAX_READ_BLOCK_MS = 5_000


def read_block_ms(redis: Redis, wanted_ms: int) -> int:
    """How long one blocking read on ``redis`` may wait: ``wanted_ms``, capped at half the
    client's socket timeout (and at :data:`MAX_READ_BLOCK_MS`), at least 1 ms."""
    kwargs = redis.connection_pool.connection_kwargs
    timeout = kwargs["socket_timeout"] if "socket_timeout" in kwargs else _default_socket_timeout()
    limit = MAX_READ_BLOCK_MS
    if isinstance(timeout, int | float) and timeout > 0:
        limit = min(limit, int(timeout * 1000 / 2))
    return max(1, min(wanted_ms, limit))


@functools.cache
def _default_socket_timeout() -> float | None:
    """The socket timeout redis-py's connections take when none is named."""
    parameters = inspect.signature(AbstractConnection.__init__).parameters
    default = parameters["socket_timeout"].default if "socket_timeout" in parameters else None
    return default if isinstance(default, int | float) else None
