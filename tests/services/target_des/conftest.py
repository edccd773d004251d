"""Target DE wizard fixtures: real Postgres as the app role, real Redis, the simulator over
HTTP (tests/simulator's uvicorn), a tenant mirroring it and ada (every BU) signed in with a
real refresh token in the wallet. Every module here gets them; tests/resolvers/test_target_des.py
imports them by name.

* ``access``: the process's way to MCE (the wallet's token provider, the simulator's policy).
* ``synced``: ada, with the metadata cache of her BU (the parent) and of the US child filled
  by real syncs (the proposals and the rules read the cache, never MCE); ``propose`` and
  ``create`` act as her.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from models import TenantContext
from services.metadata.preview import MceAccess
from services.target_des import (
    CreationOutcome,
    TargetDeInput,
    create_target_data_extension,
    propose_target_data_extension,
)
from services.target_des.create import DEFAULT_LEASE
from services.target_des.proposal import ProposalOutcome
from services.wallet import WalletTokenProvider
from simulator.state import Simulator
from tests.fixtures import mce_access, sync_metadata
from tests.services.runs.engine import (
    Member,
    _shared_server,
    ahttp,
    http,
    kek_a,
    keys,
    member,
    provider,
    sim_app,
    sim_tenant,
    sim_url,
    simctl,
    wallet,
)
from tests.services.wallet.helpers import SimTenant
from tests.simulator.conftest import make_sim

__all__ = [
    "_shared_server", "ahttp", "http", "kek_a", "keys", "member", "provider", "sim_app",
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

    async def propose(self, sql: str, *, mid: int | None = None, **options: str) -> ProposalOutcome:
        """ada's proposal for ``sql`` in ``mid`` (default the parent)."""
        return await propose_target_data_extension(
            self.tenant.tenant_id, user_id=self.member.user.id, mid=mid or self.parent, sql=sql,
            **options,
        )  # fmt: skip

    async def create(
        self,
        access: MceAccess,
        spec: TargetDeInput,
        key: str,
        *,
        mid: int | None = None,
        lease: timedelta = DEFAULT_LEASE,
    ) -> CreationOutcome:
        """``spec`` created by ada in ``mid`` (default the parent) under idempotency ``key``."""
        return await create_target_data_extension(
            self.tenant.tenant_id, user_id=self.member.user.id, mid=mid or self.parent,
            spec=spec, idempotency_key=key, access=access, lease=lease,
        )  # fmt: skip


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """The seeded enterprise without its DEs' rows: the wizard reads metadata only, and
    generating the rows was most of each test's set-up (0.9 s of a simulator's 0.95 s)."""
    simulator = make_sim(with_rows=False)
    yield simulator
    simulator.close()


def bu_mids(sim: Simulator) -> dict[str, int]:
    parent = sim.store.enterprise.eid
    children = {bu.name.rsplit(" ", 1)[-1]: bu.mid for bu in sim.store.business_units.values()}
    return {"parent": parent, "us": children["US"], "eu": children["EU"]}


@pytest.fixture
def access(
    ahttp: httpx.AsyncClient, provider: WalletTokenProvider, sim: Simulator, sim_url: str
) -> MceAccess:
    return mce_access(sim, sim_url, ahttp, provider)


@pytest_asyncio.fixture
async def synced(
    member: Member, sim: Simulator, sim_tenant: SimTenant, access: MceAccess, redis: Redis
) -> Synced:
    mids = bu_mids(sim)
    await sync_metadata(
        access, redis, tenant_id=sim_tenant.tenant_id, user_id=member.user.id,
        mids=(mids["parent"], mids["us"]),
    )  # fmt: skip
    async for name in redis.scan_iter(match=f"quarry:metadata:*:{sim_tenant.tenant_id}:*"):
        await redis.delete(name)
    return Synced(member=member, tenant=sim_tenant, **mids)
