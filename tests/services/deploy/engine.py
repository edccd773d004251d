"""Fixtures and helpers for deployment tests: real Postgres as the app role, real Redis (jobs
on db 10, D's own: no other test's worker takes them), the simulator over HTTP (three children;
a module overrides ``sim`` for more), a tenant mirroring it, ada.admin signed in with a real refresh
token, and each BU's metadata cache synced from the simulator as a sign-in would leave it.

tests/services/deploy/conftest.py offers the fixtures to every module here; modules import
the helpers (``Deployer``, ``children``, ...) from this one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from client.bridge import MceBridge
from client.values import Value, field_specs
from models import TenantContext
from models.deployments import UpdateType
from schema.context import GraphQLContext
from services.deploy.config import DeployConfig
from services.deploy.request import DeployRequest, TargetSpec
from services.deploy.runner import DeployDeps, run_deployment
from services.deploy.service import DeployOutcome, deploy_query_activity
from services.identity import Principal
from services.job_queue import JobQueue
from services.mce_bridges import bridge_for_user
from services.metadata.preview import MceAccess
from services.wallet import TokenWallet, WalletTokenProvider
from simulator.state import Simulator
from tests.fixtures import graphql_context, mce_access, private_job_queue, sync_metadata
from tests.services.runs.engine import Member, sign_in
from tests.services.wallet.helpers import SimControl, SimTenant
from tests.simulator.conftest import make_sim

__all__ = [
    "DEPLOY_REDIS_URL",
    "OPTED_IN",
    "Deployer",
    "Member",
    "children",
    "deployer",
    "finding_codes",
    "jobs",
    "member",
    "only",
    "sim",
    "sim_des",
    "sim_queries",
]

DEPLOY_REDIS_URL = "redis://127.0.0.1:6379/10"  # D's own db: no other test's worker sees it
OPTED_IN = "SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 1"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """The seeded enterprise (three children); a module needing more overrides it with
    ``make_sim(extra_child_bus=N)``."""
    simulator = make_sim()
    yield simulator
    simulator.close()


@pytest.fixture
def jobs() -> Iterator[JobQueue]:
    with private_job_queue(DEPLOY_REDIS_URL) as queue:
        yield queue


@pytest_asyncio.fixture
async def member(
    sim_tenant: SimTenant, simctl: SimControl, wallet: TokenWallet, redis: Redis
) -> AsyncIterator[Member]:
    yield await sign_in(sim_tenant, simctl, wallet, "ada.admin")
    async for name in redis.scan_iter(match=f"quarry:*:{sim_tenant.tenant_id}:*"):
        await redis.delete(name)


def children(sim: Simulator) -> list[int]:
    """The simulator's child BUs in seed order (the three seeded ones first)."""
    parent = sim.store.enterprise.eid
    return [mid for mid in sim.store.business_units if mid != parent]


@dataclass
class Deployer:
    """Deploys as ada.admin from the parent BU, runs the job in process, reads MCE back."""

    sim: Simulator
    sim_url: str
    member: Member
    http: httpx.AsyncClient
    provider: WalletTokenProvider
    redis: Redis
    jobs: JobQueue
    simctl: SimControl
    config: DeployConfig = field(default_factory=lambda: DeployConfig(bu_concurrency=10))
    synced: set[int] = field(default_factory=set)

    @property
    def access(self) -> MceAccess:
        return mce_access(self.sim, self.sim_url, self.http, self.provider)

    @property
    def deps(self) -> DeployDeps:
        return DeployDeps(
            redis=self.redis,
            http=self.http,
            tokens=self.provider,
            policy=self.access.policy,
            config=self.config,
        )

    @property
    def ctx(self) -> TenantContext:
        return self.member.ctx

    def graphql_context(
        self, principal: Principal | None = None, *, read_only: bool = False
    ) -> GraphQLContext:
        """The schema's context for ``principal`` (default: ada.admin in her BU, read-only as
        a READ token is when asked) with this deployer's MCE access, queues and Redis."""
        member = self.member
        principal = principal or Principal(
            tenant_id=member.tenant_id, mid=member.mid, user_id=member.user.id,
            read_only=read_only,
        )  # fmt: skip
        return graphql_context(principal, mce=self.access, jobs=self.jobs, redis=self.redis)

    async def sync(self, *mids: int) -> None:
        """Fill the metadata cache of ``mids`` (and their parent's shared DEs) from MCE."""
        todo = [mid for mid in dict.fromkeys(mids) if mid not in self.synced]
        await sync_metadata(
            self.access, self.redis, tenant_id=self.member.tenant_id,
            user_id=self.member.user.id, mids=todo,
        )  # fmt: skip
        self.synced.update(todo)

    def request(self, **overrides: Any) -> DeployRequest:
        values: dict[str, Any] = {
            "name": "Opted-in subscribers",
            "key": "dep_opted_in",
            "sql": OPTED_IN,
            "target": TargetSpec(key="active_subscribers"),
            "update_type": UpdateType.OVERWRITE,
            "mids": (self.member.mid,),
            "idempotency_key": "idem-1",
            "folder_path": ("Daily",),
            "acknowledge_warnings": True,
        }
        values.update(overrides)
        return DeployRequest(**values)

    async def deploy(self, request: DeployRequest) -> DeployOutcome:
        await self.sync(*request.mids)
        return await deploy_query_activity(
            self.ctx, user_id=self.member.user.id, request=request, jobs=self.jobs,
            redis=self.redis, access=self.access, config=self.config,
        )  # fmt: skip

    async def run(self, outcome: DeployOutcome) -> dict[str, Any]:
        """Run the deployment's job in this process (as the worker would)."""
        assert outcome.deployment is not None, (outcome.code, outcome.message)
        return await run_deployment(
            self.deps, tenant_id=self.member.tenant_id, mid=self.member.mid,
            deployment_id=outcome.deployment.id,
        )  # fmt: skip

    async def bridge(self, mid: int) -> MceBridge:
        access = self.access
        return await bridge_for_user(
            TenantContext(tenant_id=self.member.tenant_id, mid=mid),
            user_id=self.member.user.id, mid=mid, http=access.http, tokens=access.tokens,
            policy=access.policy,
        )  # fmt: skip

    async def perform(self, mid: int, object_id: str) -> str:
        """Run the activity in MCE (SOAP Perform) and wait until it ends; its status."""
        bridge = await self.bridge(mid)
        task = await bridge.soap.start_query(object_id)
        for _ in range(50):
            status = await bridge.soap.async_activity_status(task)
            if status is not None and status.status in ("Complete", "Error"):
                assert status.status == "Complete", status.error_msg
                return status.status
        raise AssertionError("the query never ended")

    async def rows(self, mid: int, key: str) -> list[dict[str, Value]]:
        """Every row of the DE ``key`` in BU ``mid``, read over REST like a client would."""
        bridge = await self.bridge(mid)
        fields = [f async for f in bridge.soap.data_extension_fields([key])]
        specs = field_specs([(f.name or "", f.field_type) for f in fields])
        return [row async for row in bridge.rows(key, specs)]


@pytest_asyncio.fixture
async def deployer(
    sim: Simulator, sim_url: str, member: Member, ahttp: httpx.AsyncClient,
    provider: WalletTokenProvider, redis: Redis, jobs: JobQueue, simctl: SimControl,
) -> AsyncIterator[Deployer]:  # fmt: skip
    yield Deployer(
        sim=sim, sim_url=sim_url, member=member, http=ahttp, provider=provider, redis=redis,
        jobs=jobs, simctl=simctl,
    )  # fmt: skip
    async for name in redis.scan_iter(match="quarry:deploy:*"):
        await redis.delete(name)


def sim_queries(sim: Simulator, mid: int, key: str) -> list[Any]:
    return [q for q in sim.store.list_queries(mid) if q.customer_key.lower() == key.lower()]


def sim_des(sim: Simulator, mid: int, key: str) -> list[Any]:
    return [d for d in sim.store.list_des(mid) if d.customer_key.lower() == key.lower()]


def finding_codes(outcome: DeployOutcome) -> dict[int, list[str]]:
    return {check.mid: [f.code for f in check.findings] for check in outcome.checks}


def only(items: Sequence[Any]) -> Any:
    assert len(items) == 1, items
    return items[0]
