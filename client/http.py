"""One pooled ``httpx.AsyncClient`` per process for MCE calls.

Connections to MCE are reused across calls (TLS handshakes cost more than most calls),
so a process should hold one client. RQ forks a work-horse per job, and a connection
pool must never cross a fork (two processes would share sockets), so the shared client
is keyed by process id and a forked child builds its own.
"""

from __future__ import annotations

import os

import httpx

__all__ = ["create_http_client", "shared_http_client"]

_shared: tuple[int, httpx.AsyncClient] | None = None


def create_http_client(
    *,
    max_connections: int = 50,
    max_keepalive: int = 20,
    keepalive_expiry: float = 30.0,
    connect_timeout: float = 10.0,
    timeout: float = 30.0,
) -> httpx.AsyncClient:
    """A new pooled client with MCE-friendly limits; redirects are never followed.

    An MCE API never answers with a redirect we should follow; following one would send
    the bearer header to wherever it points.
    """
    return httpx.AsyncClient(
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive,
            keepalive_expiry=keepalive_expiry,
        ),
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        follow_redirects=False,
        trust_env=False,
    )


def shared_http_client() -> httpx.AsyncClient:
    """This process's client, created on first use (and again after a fork).

    The client binds to the event loop it first runs on; processes here run one loop
    (uvicorn's, or ``asyncio.run`` inside an RQ job).
    """
    global _shared
    pid = os.getpid()
    if _shared is None or _shared[0] != pid or _shared[1].is_closed:
        _shared = (pid, create_http_client())
    return _shared[1]
