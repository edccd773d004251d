"""Target DE wizard fixtures: real Postgres as the app role, real Redis, the simulator over
HTTP (tests/simulator's uvicorn), a tenant mirroring it and ada (every BU) signed in with a
real refresh token in the wallet.

* ``access``: the process's way to MCE (the wallet's token provider, the simulator's policy).
* ``synced``: ada, with the metadata cache of her BU (the parent) and of the US child filled
  by real syncs (the proposals and the rules read the cache, never MCE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from models import TenantContext
from services.metadata.preview import MceAccess
from services.metadata.sync import SyncDeps, run_sync
from services.wallet import WalletTokenProvider
from simulator.state import Simulator
from tests.services.runs.engine import (
    Member,
    _shared_server,
    ahttp,
    http,
    kek_a,
    keys,
    member,
    provider,
    sim,
    sim_app,
    sim_tenant,
    sim_url,
    simctl,
    wallet,
)
from tests.services.wallet.helpers import SimTenant, auth_factory

__all__ = [
    "_shared_server", "ahttp", "http", "kek_a", "keys", "member", "provider", "sim", "sim_app",
    "sim_tenant", "sim_url", "simctl", "wallet",
]  # fmt: skip


@dataclass(frozen=True)
class Synced:
    """ada signed in, the parent's and the US child's caches filled."""

    member: Member
    tenant: SimTenant
    parent: int
    us: int
    eu: int

    def ctx(self, mid: int | None = None) -> TenantContext:
        wanted = mid or self.parent
        visible = {wanted, self.parent}
        return TenantContext(
            tenant_id=self.tenant.tenant_id, mid=wanted, visible_mids=frozenset(visible)
        )


def bu_mids(sim: Simulator) -> dict[str, int]:
    parent = sim.store.enterprise.eid
    children = {bu.name.rsplit(" ", 1)[-1]: bu.mid for bu in sim.store.business_units.values()}
    return {"parent": parent, "us": children["US"], "eu": children["EU"]}


@pytest.fixture
def access(
    ahttp: httpx.AsyncClient, provider: WalletTokenProvider, sim: Simulator, sim_url: str
) -> MceAccess:
    return MceAccess(http=ahttp, tokens=provider, policy=auth_factory(sim, sim_url, ahttp).policy)


@pytest_asyncio.fixture
async def synced(
    member: Member, sim: Simulator, sim_tenant: SimTenant, access: MceAccess, redis: Redis
) -> Synced:
    deps = SyncDeps(
        redis=redis, http=access.http, tokens=access.tokens, policy=access.policy,
        cursor_margin=timedelta(0),
    )  # fmt: skip
    mids = bu_mids(sim)
    for mid in (mids["parent"], mids["us"]):
        result = await run_sync(
            deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=member.user.id, full=True
        )
        assert result["state"] == "COMPLETE", result
    async for name in redis.scan_iter(match=f"quarry:metadata:*:{sim_tenant.tenant_id}:*"):
        await redis.delete(name)
    return Synced(member=member, tenant=sim_tenant, **mids)
