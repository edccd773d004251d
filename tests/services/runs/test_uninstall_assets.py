"""Uninstall deletes Quarry's MCE assets before the tokens go (services/purge.py with
services/runs/cleanup.py's purger): the simulator holds no asset of ours afterwards, runs in
progress are canceled, the inventory is empty and the audit entry says so."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from models import AuditEvent, TenantContext, TenantRepository
from models.runs import RunStatus
from services.audit import SYSTEM_ACTOR, RequestMeta
from services.job_queue import JobQueue
from services.metadata.assets import is_quarry_asset
from services.purge import purge_tenant
from services.runs.cleanup import CleanupDeps, RunAssetPurger
from services.runs.execute import StartDeps, start_run_job
from services.runs.pool import asset_rows
from services.runs.start import get_run, start_run
from services.sessions import SessionStore
from services.wallet import TokenWallet
from simulator.state import Simulator
from tests.services.runs.engine import (
    Member,
    _shared_server,
    ahttp,
    config,
    deps,
    http,
    jobs,
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

__all__ = [
    "_shared_server", "ahttp", "config", "deps", "http", "jobs", "kek_a", "keys", "member",
    "provider", "sim", "sim_app", "sim_tenant", "sim_url", "simctl", "wallet",
]  # fmt: skip

pytestmark = pytest.mark.usefixtures("db")


def _ours(sim: Simulator) -> list[str]:
    store = sim.store
    names: list[str] = []
    for mid in store.business_units:
        names += [de.customer_key for de in store.list_des(mid)]
        names += [q.customer_key for q in store.list_queries(mid)]
        names += [f.customer_key or f.name for f in store.list_folders(mid)]
    return sorted(name for name in names if is_quarry_asset(name))


async def test_uninstall_leaves_no_asset_of_ours_in_mce(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, sim: Simulator,
    wallet: TokenWallet,
) -> None:  # fmt: skip
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql="SELECT c.LinkName FROM _Click c", jobs=jobs,
        redis=redis, config=deps.config,
    )  # fmt: skip
    assert outcome.run is not None
    await start_run_job(deps, tenant_id=member.tenant_id, mid=member.mid, run_id=outcome.run.id)
    assert len(_ours(sim)) == 4
    purger = RunAssetPurger(
        CleanupDeps(redis=redis, http=deps.http, tokens=deps.tokens, policy=deps.policy)
    )
    await purge_tenant(
        TenantContext(tenant_id=member.tenant_id, user_id=member.user.id),
        sessions=SessionStore(redis, idle_seconds=60, absolute_seconds=120),
        wallet=wallet,
        actor=SYSTEM_ACTOR,
        meta=RequestMeta(user_agent="runs-tests"),
        assets=purger,
    )
    assert _ours(sim) == []
    assert await asset_rows(TenantRepository(member.ctx), "true", []) == []
    run = await get_run(member.ctx, user_id=member.user.id, run_id=outcome.run.id)
    assert run.status is RunStatus.CANCELED
    [event] = (
        await TenantRepository(member.ctx).of(AuditEvent).list(action="admin.tenant_uninstalled")
    )
    assert event.details["assets_purged"] is True and event.details["assets_failed_mids"] == []
