"""Is a server answering at this URL? One probe per service, each returning None or the reason
it is not usable, so resolution can report why it passed a candidate over.

The client libraries are imported inside the probes: `python -m app.devstack` starts before every
run of the scripts, and most runs need only one of them.
"""

from __future__ import annotations

import asyncio

from app.devstack.urls import with_path

__all__ = ["PROBE_TIMEOUT_S", "postgres_problem", "redis_problem"]

PROBE_TIMEOUT_S = 2.0


def postgres_problem(url: str, *, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """None when a PostgreSQL server answers at `url`, else why not.

    A missing database still counts as reachable: the app's migrate command creates it.
    """
    import asyncpg

    async def probe() -> None:
        try:
            conn = await asyncpg.connect(url, timeout=timeout)
        except asyncpg.InvalidCatalogNameError:
            conn = await asyncpg.connect(with_path(url, "/postgres"), timeout=timeout)
        try:
            await conn.fetchval("SELECT 1")
        finally:
            await conn.close()

    try:
        asyncio.run(asyncio.wait_for(probe(), timeout * 2))
    except Exception as exc:  # any failure means "not usable"; the reason is reported
        return f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    return None


def redis_problem(url: str, *, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """None when a Redis server answers PING at `url`, else why not."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any failure means "not usable"; the reason is reported
        return f"{type(exc).__name__}: {exc}"
    return None
