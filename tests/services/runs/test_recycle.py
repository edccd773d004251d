"""The recycler and the purge against the simulator over HTTP (services/runs/recycle.py):
idle shells beyond the pool's size are deleted in MCE and from the inventory, least recently
used first; finished results expire and free their shell; refused assets are cleaned; a purge
cancels the BU's active runs and leaves no Quarry asset in MCE, folders included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from client.bridge import MceBridge
from models import TenantRepository
from models.runs import AssetKind, AssetState, RunStatus
from services.job_queue import JobQueue
from services.mce_bridges import bridge_for_user
from services.metadata.assets import is_quarry_asset
from services.runs.config import RunConfig
from services.runs.execute import StartDeps, start_run_job
from services.runs.pool import AssetInfo, asset_rows, keep_for_results, mark_broken, release_shell
from services.runs.recycle import purge_bu, recycle_bu
from services.runs.start import get_run, start_run
from services.runs.status import transition
from services.runs.store import RunInfo
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

SHAPES = (
    "SELECT c.LinkName FROM _Click c",
    "SELECT COUNT(*) AS Clicks FROM _Click c",
    "SELECT c.SubscriberKey AS Who, c.EventDate AS At FROM _Click c",
)


async def _started(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, sql: str
) -> RunInfo:
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql=sql, jobs=jobs, redis=redis, config=deps.config
    )
    assert outcome.run is not None
    await start_run_job(deps, tenant_id=member.tenant_id, mid=member.mid, run_id=outcome.run.id)
    return await get_run(member.ctx, user_id=member.user.id, run_id=outcome.run.id)


async def _complete(member: Member, run: RunInfo, redis: Redis, *, until: datetime) -> None:
    done = await transition(
        member.ctx, run.id, to=RunStatus.COMPLETE, redis=redis, changes={"expires_at": until}
    )
    assert done is not None
    await keep_for_results(member.ctx, run.id, until=until)


async def _assets(member: Member) -> list[AssetInfo]:
    return await asset_rows(TenantRepository(member.ctx), "true ORDER BY kind, created_at", [])


def _ours_in_mce(sim: Simulator, mid: int) -> list[str]:
    store = sim.store
    names = [de.customer_key for de in store.list_des(mid)]
    names += [q.customer_key for q in store.list_queries(mid)]
    names += [f.customer_key or f.name for f in store.list_folders(mid)]
    return sorted(name for name in names if is_quarry_asset(name))


async def test_idle_shells_beyond_the_pool_are_deleted_least_recently_used_first(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, sim: Simulator
) -> None:
    runs = [await _started(member, deps, jobs, redis, sql) for sql in SHAPES]
    assert len({run.shell_de_id for run in runs}) == 3
    for run in runs:  # finished in order: the last one is the most recently used
        await release_shell(member.ctx, run.id)
        await TenantRepository(member.ctx).fetch(
            "UPDATE mce_assets SET last_used_at = now() WHERE lease_run_id IS NULL"
            " AND id IN ($1, $2)",
            [run.shell_de_id, run.shell_qd_id],
        )
    bridge = await _bridge(member, deps)
    before = _ours_in_mce(sim, member.mid)
    assert len(before) == 2 + 2 * 3  # two folders, three pairs
    report = await recycle_bu(member.ctx, bridge, config=RunConfig(pool_size_per_bu=1), redis=redis)
    assert report.deleted == 4 and report.failed == ()
    kept = [a for a in await _assets(member) if a.kind is not AssetKind.FOLDER]
    assert {a.id for a in kept} == {runs[-1].shell_de_id, runs[-1].shell_qd_id}
    assert len(_ours_in_mce(sim, member.mid)) == 2 + 2
    again = await recycle_bu(member.ctx, bridge, config=RunConfig(pool_size_per_bu=1), redis=redis)
    assert again.deleted == 0


async def test_results_expire_and_a_leased_shell_is_never_recycled(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, sim: Simulator
) -> None:
    readable = await _started(member, deps, jobs, redis, SHAPES[0])
    over = await _started(member, deps, jobs, redis, SHAPES[1])
    await _complete(member, readable, redis, until=datetime.now(UTC) + timedelta(hours=1))
    await _complete(member, over, redis, until=datetime.now(UTC) - timedelta(seconds=1))
    bridge = await _bridge(member, deps)
    report = await recycle_bu(member.ctx, bridge, config=RunConfig(pool_size_per_bu=0), redis=redis)
    assert report.expired_runs == 1 and report.deleted == 2
    expired = await get_run(member.ctx, user_id=member.user.id, run_id=over.id)
    assert expired.status is RunStatus.EXPIRED
    left = [a for a in await _assets(member) if a.kind is not AssetKind.FOLDER]
    assert {a.id for a in left} == {readable.shell_de_id, readable.shell_qd_id}
    assert all(a.state is AssetState.LEASED for a in left)


async def test_assets_mce_refused_are_cleaned(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, sim: Simulator
) -> None:
    run = await _started(member, deps, jobs, redis, SHAPES[0])
    assert run.shell_de_id and run.shell_qd_id
    await mark_broken(member.ctx, [run.shell_de_id, run.shell_qd_id], note="test")
    report = await recycle_bu(
        member.ctx, await _bridge(member, deps), config=RunConfig(), redis=redis
    )
    assert report.deleted == 2
    assert [a.kind for a in await _assets(member)] == [AssetKind.FOLDER, AssetKind.FOLDER]
    assert len(_ours_in_mce(sim, member.mid)) == 2


async def test_a_purge_cancels_active_runs_and_leaves_nothing_of_ours_in_mce(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, sim: Simulator
) -> None:
    finished = await _started(member, deps, jobs, redis, SHAPES[0])
    await _complete(member, finished, redis, until=datetime.now(UTC) + timedelta(hours=1))
    running = await _started(member, deps, jobs, redis, SHAPES[1])
    assert running.status is RunStatus.RUNNING
    assert _ours_in_mce(sim, member.mid)
    report = await purge_bu(member.ctx, await _bridge(member, deps), redis=redis)
    assert report.canceled_runs == 1 and report.failed == () and report.deleted == 6
    assert _ours_in_mce(sim, member.mid) == []
    assert await _assets(member) == []
    after = await get_run(member.ctx, user_id=member.user.id, run_id=running.id)
    assert after.status is RunStatus.CANCELED
    gone = await get_run(member.ctx, user_id=member.user.id, run_id=finished.id)
    assert gone.status is RunStatus.EXPIRED
    # The BU works again afterwards: the folders and a shell are made anew.
    again = await _started(member, deps, jobs, redis, SHAPES[2])
    assert again.status is RunStatus.RUNNING and len(_ours_in_mce(sim, member.mid)) == 4


async def _bridge(member: Member, deps: StartDeps) -> MceBridge:
    return await bridge_for_user(
        member.ctx, user_id=member.user.id, mid=member.mid, http=deps.http, tokens=deps.tokens,
        policy=deps.policy,
    )  # fmt: skip
