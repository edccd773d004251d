"""Fixtures and helpers for the runs engine's tests (start, pool, execute, recycle): real
Postgres as the app role, real Redis (jobs on db 5, R1's own), the simulator over HTTP, a
tenant mirroring it and a signed-in user with a real refresh token in the wallet.

Import the fixtures into a test module by name (``from tests.services.runs.engine import
...``); they shadow tests/services/runs/conftest.py's client fixtures for that module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from client.secret import Secret
from models import GrantKind, TenantContext, TenantRepository, User
from services.job_queue import JobQueue
from services.runs.cleanup import CleanupDeps, cleanup_bu
from services.runs.config import RunConfig
from services.runs.execute import StartDeps
from services.wallet import TokenWallet, WalletTokenProvider
from simulator.state import Simulator
from tests.fixtures import private_job_queue
from tests.services.wallet.conftest import ahttp, kek_a, keys, provider, sim_tenant, simctl, wallet
from tests.services.wallet.helpers import SimControl, SimTenant, auth_factory
from tests.simulator.conftest import _shared_server, http, make_sim, sim_app, sim_url

__all__ = [
    "JOBS_REDIS_URL",
    "Member",
    "_shared_server",
    "ahttp",
    "config",
    "deps",
    "http",
    "jobs",
    "kek_a",
    "keys",
    "member",
    "provider",
    "sign_in",
    "sim",
    "sim_app",
    "sim_tenant",
    "sim_url",
    "simctl",
    "wallet",
]

JOBS_REDIS_URL = "redis://127.0.0.1:6379/5"  # R1's own: other tests' workers never see these


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = make_sim()
    yield simulator
    simulator.close()


@pytest.fixture
def config() -> RunConfig:
    return RunConfig(start_lease_seconds=600, results_window_seconds=600)


@pytest.fixture
def deps(
    redis: Redis, ahttp: httpx.AsyncClient, provider: WalletTokenProvider, sim: Simulator,
    sim_url: str, config: RunConfig,
) -> StartDeps:  # fmt: skip
    return StartDeps(
        redis=redis,
        http=ahttp,
        tokens=provider,
        policy=auth_factory(sim, sim_url, ahttp).policy,
        config=config,
    )


@pytest.fixture
def jobs() -> Iterator[JobQueue]:
    with private_job_queue(JOBS_REDIS_URL) as queue:
        yield queue


@dataclass(frozen=True)
class Member:
    """A signed-in user and the BU they work in."""

    user: User
    mid: int
    tenant_id: int

    @property
    def ctx(self) -> TenantContext:
        return TenantContext(tenant_id=self.tenant_id, mid=self.mid, user_id=self.user.id)


async def sign_in(
    sim_tenant: SimTenant, simctl: SimControl, wallet: TokenWallet, username: str
) -> Member:
    """A real refresh token from the simulator in the wallet, as a sign-in leaves it."""
    user = sim_tenant.user(username)
    grant = await simctl.tokens(user=username)
    sim_user = next(u for u in simctl.sim.store.users.values() if u.username == username)
    ctx = sim_tenant.ctx(sim_user.default_mid)
    await wallet.put_refresh_token(
        ctx, user_id=user.id, mid=sim_user.default_mid, kind=GrantKind.ENHANCED,
        token=Secret(grant["refresh_token"]),
    )  # fmt: skip
    await TenantRepository(ctx).of(User).update({"id": user.id}, last_login_at=datetime.now(UTC))
    return Member(user=user, mid=sim_user.default_mid, tenant_id=sim_tenant.tenant_id)


@pytest_asyncio.fixture
async def member(
    sim_tenant: SimTenant, simctl: SimControl, wallet: TokenWallet, redis: Redis,
    ahttp: httpx.AsyncClient, provider: WalletTokenProvider, sim_url: str,
) -> AsyncIterator[Member]:  # fmt: skip
    """ada.admin signed in; at the end the tenant's Quarry assets are purged from MCE as an
    uninstall purges them (tests/litter.py counts whatever that leaves)."""
    signed_in = await sign_in(sim_tenant, simctl, wallet, "ada.admin")
    yield signed_in
    policy = auth_factory(simctl.sim, sim_url, ahttp).policy
    await purge_tenant(
        sim_tenant, CleanupDeps(redis=redis, http=ahttp, tokens=provider, policy=policy)
    )
    async for name in redis.scan_iter(match=f"quarry:*:{sim_tenant.tenant_id}:*"):
        await redis.delete(name)


async def purge_tenant(sim_tenant: SimTenant, cleanup: CleanupDeps) -> None:
    """Every Quarry asset of the tenant's BUs deleted in MCE (``purgeMceAssets``' service,
    acting as uninstall does), runs in progress canceled."""
    for mid in sim_tenant.mids:
        await cleanup_bu(cleanup, tenant_id=sim_tenant.tenant_id, mid=mid, purge=True)


async def sim_tasks(simctl: SimControl, query_object_id: str | None = None) -> list[dict[str, Any]]:
    """The simulator's record of query runs (optionally of one definition)."""
    params = {"query": query_object_id} if query_object_id else {}
    answer = await simctl.http.get("__sim/tasks", params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return list(body["tasks"] if isinstance(body, dict) else body)


async def sim_operations(simctl: SimControl) -> dict[str, int]:
    operations: dict[str, int] = (await simctl.http.get("__sim/stats")).json()["operations"]
    return operations
