"""``mceAssets`` and ``purgeMceAssets`` through the GraphQL schema: administrators only; the
inventory with its cleanup report, paged; a purge deletes every Quarry asset of the BU in MCE
(the simulator over HTTP), cancels runs in progress, and is audited."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio import Redis

from models import AuditEvent, Membership, Role, TenantRepository
from models.runs import RunStatus
from schema import schema
from schema.context import GraphQLContext
from services.identity import Principal
from services.job_queue import JobQueue
from services.metadata.assets import is_quarry_asset
from services.metadata.preview import MceAccess
from services.runs.execute import StartDeps, start_run_job
from services.runs.start import get_run, start_run
from simulator.state import Simulator
from tests.fixtures import graphql_context
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

ASSETS = """query ($first: Int!, $after: String) {
  mceAssets(first: $first, after: $after) {
    edges { cursor node { id kind name customerKey state fieldCount useCount leasedToRun } }
    pageInfo { hasNextPage endCursor }
    report { total byState { state count } poolSize idleBeyondPool failedDeletions }
  }
}"""
PURGE = "mutation { purgeMceAssets { deleted failed canceledRuns userErrors { code } } }"


def _context(member: Member, deps: StartDeps, redis: Redis) -> GraphQLContext:
    principal = Principal(
        tenant_id=member.tenant_id, mid=member.mid, user_id=member.user.id,
        mce_user_id=member.user.mce_user_id,
    )  # fmt: skip
    mce = MceAccess(http=deps.http, tokens=deps.tokens, policy=deps.policy)
    return graphql_context(principal, mce=mce, redis=redis)


async def _execute(ctx: GraphQLContext, query: str, **variables: Any) -> Any:
    return await schema.execute(query, variable_values=variables, context_value=ctx)


async def _make_admin(member: Member) -> None:
    await (
        TenantRepository(member.ctx)
        .of(Membership)
        .update({"user_id": member.user.id, "mid": member.mid}, role=Role.ADMIN)
    )


async def _run(member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, sql: str) -> Any:
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql=sql, jobs=jobs, redis=redis, config=deps.config
    )
    assert outcome.run is not None
    await start_run_job(deps, tenant_id=member.tenant_id, mid=member.mid, run_id=outcome.run.id)
    return outcome.run


async def test_only_administrators_see_or_purge_the_inventory(
    member: Member, deps: StartDeps, redis: Redis
) -> None:
    ctx = _context(member, deps, redis)
    listed = await _execute(ctx, ASSETS, first=10)
    assert listed.errors and listed.errors[0].extensions["code"] == "FORBIDDEN"
    purged = await _execute(ctx, PURGE)
    assert purged.errors is None
    assert purged.data["purgeMceAssets"]["userErrors"] == [{"code": "FORBIDDEN"}]


async def test_the_inventory_is_listed_with_its_report_and_purged_from_mce(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, sim: Simulator
) -> None:
    await _make_admin(member)
    ctx = _context(member, deps, redis)
    await _run(member, deps, jobs, redis, "SELECT c.LinkName FROM _Click c")
    running = await _run(member, deps, jobs, redis, "SELECT COUNT(*) AS N FROM _Click c")
    first = await _execute(ctx, ASSETS, first=4)
    assert first.errors is None, first.errors
    assets = first.data["mceAssets"]
    assert assets["pageInfo"]["hasNextPage"] is True
    rest = await _execute(ctx, ASSETS, first=10, after=assets["pageInfo"]["endCursor"])
    nodes = [e["node"] for e in assets["edges"] + rest.data["mceAssets"]["edges"]]
    assert sorted(n["kind"] for n in nodes) == ["DE", "DE", "FOLDER", "FOLDER", "QD", "QD"]
    assert all(is_quarry_asset(n["customerKey"]) for n in nodes)
    assert len({n["id"] for n in nodes}) == 6
    assert all(n["leasedToRun"] for n in nodes if n["kind"] != "FOLDER")
    report = assets["report"]
    assert report["total"] == 6 and report["failedDeletions"] == 0
    assert {s["state"]: s["count"] for s in report["byState"]} == {"AVAILABLE": 2, "LEASED": 4}

    purged = await _execute(ctx, PURGE)
    assert purged.errors is None, purged.errors
    assert purged.data["purgeMceAssets"] == {
        "deleted": 6, "failed": [], "canceledRuns": 2, "userErrors": []
    }  # fmt: skip
    store = sim.store
    left = [de.customer_key for de in store.list_des(member.mid)]
    left += [q.customer_key for q in store.list_queries(member.mid)]
    left += [f.customer_key or f.name for f in store.list_folders(member.mid)]
    assert [name for name in left if is_quarry_asset(name)] == []
    after = await _execute(ctx, ASSETS, first=10)
    assert (
        after.data["mceAssets"]["edges"] == [] and after.data["mceAssets"]["report"]["total"] == 0
    )
    canceled = await get_run(member.ctx, user_id=member.user.id, run_id=running.id)
    assert canceled.status is RunStatus.CANCELED
    audited = await TenantRepository(member.ctx).of(AuditEvent).list(action="runs.assets_purged")
    assert len(audited) == 1 and audited[0].details["deleted"] == 6
