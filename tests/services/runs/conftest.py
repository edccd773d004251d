"""Fixtures for run tests: the simulator over HTTP and a wired MCE client (tests/client's)."""

from __future__ import annotations

from tests.client.conftest import (
    _shared_server,
    ahttp,
    auth,
    bridge,
    caller,
    control,
    credentials,
    endpoints,
    grant,
    http,
    observer,
    op_count,
    policy,
    provider,
    sim,
    sim_app,
    sim_url,
    target,
)

__all__ = [
    "_shared_server",
    "ahttp",
    "auth",
    "bridge",
    "caller",
    "control",
    "credentials",
    "endpoints",
    "grant",
    "http",
    "observer",
    "op_count",
    "policy",
    "provider",
    "sim",
    "sim_app",
    "sim_url",
    "target",
]
