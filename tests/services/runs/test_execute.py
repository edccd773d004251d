"""The start job against the simulator over HTTP (services/runs/execute.py, pool.py,
assets.py): acting as the run's user it creates Quarry's folders and a shell pair once, points
the QD at the run form and Performs it (MCE runs it once, into the shell, rows carrying the
run's marker); later runs reuse the pool: the same shape with no create call, a wider shape by
adapting, a conflicting shape with a new pair; a draining shell is never leased."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from models import TenantRepository
from models.runs import AssetKind, AssetState, RunStatus
from services.job_queue import JobQueue
from services.mce_bridges import bridge_for_user
from services.metadata.assets import is_quarry_asset
from services.redis_keys import run_events_key
from services.runs.execute import StartDeps, start_run_job
from services.runs.pool import AssetInfo, asset_rows, keep_for_results, release_shell
from services.runs.start import cancel_run, get_run, start_run
from services.runs.status import transition
from services.runs.store import RunInfo
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
    sim_operations,
    sim_tasks,
    sim_tenant,
    sim_url,
    simctl,
    wallet,
)
from tests.services.wallet.helpers import SimControl

__all__ = [
    "_shared_server", "ahttp", "config", "deps", "http", "jobs", "kek_a", "keys", "member",
    "provider", "sim", "sim_app", "sim_tenant", "sim_url", "simctl", "wallet",
]  # fmt: skip

pytestmark = pytest.mark.usefixtures("db")

LINKS = "SELECT c.LinkName, COUNT(*) AS Total FROM _Click c GROUP BY c.LinkName ORDER BY Total DESC"
LINKS_AGAIN = (
    "SELECT c.LinkName, COUNT(*) AS Total FROM _Click c WHERE c.IsUnique = 1"
    " GROUP BY c.LinkName ORDER BY Total DESC"
)
LINKS_WIDER = (
    "SELECT c.LinkName, COUNT(*) AS Total, COUNT(DISTINCT c.SubscriberKey) AS Uniques"
    " FROM _Click c GROUP BY c.LinkName ORDER BY Total DESC"
)
LINKS_CONFLICT = "SELECT COUNT(*) AS LinkName FROM _Click c"
CREATES = ("soap.Create.DataExtension", "soap.Create.QueryDefinition", "soap.Create.DataFolder")


async def _run(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, sql: str
) -> tuple[RunInfo, dict[str, object]]:
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql=sql, jobs=jobs, redis=redis, config=deps.config
    )
    assert outcome.run is not None, outcome.findings
    result = await start_run_job(
        deps, tenant_id=member.tenant_id, mid=member.mid, run_id=outcome.run.id
    )
    return await get_run(member.ctx, user_id=member.user.id, run_id=outcome.run.id), result


async def _complete(member: Member, run: RunInfo, redis: Redis, *, window: int = 600) -> None:
    """What the poller does when MCE reports the run done: COMPLETE, the shell kept leased
    for the results window (0: the window is over, the shell is free again)."""
    until = datetime.now(UTC) + timedelta(seconds=window)
    done = await transition(
        member.ctx, run.id, to=RunStatus.COMPLETE, redis=redis,
        changes={"detected_at": datetime.now(UTC), "expires_at": until},
    )  # fmt: skip
    assert done is not None
    if window:
        await keep_for_results(member.ctx, run.id, until=until)
    else:
        await release_shell(member.ctx, run.id)


async def _assets(member: Member) -> list[AssetInfo]:
    return await asset_rows(TenantRepository(member.ctx), "true ORDER BY kind, created_at", [])


async def _creates(simctl: SimControl) -> int:
    operations = await sim_operations(simctl)
    return sum(operations.get(name, 0) for name in CREATES)


async def test_the_start_job_creates_the_shell_once_and_mce_runs_the_query_once(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl,
) -> None:  # fmt: skip
    run, result = await _run(member, deps, jobs, redis, LINKS)
    assert result == {"outcome": "running", "task": True}
    assert run.status is RunStatus.RUNNING and run.task_id and run.started_at
    assert run.perform_sent_at is not None and run.attempts == 1
    assets = await _assets(member)
    kinds = sorted(a.kind.value for a in assets)
    assert kinds == ["DE", "FOLDER", "FOLDER", "QD"]
    assert all(is_quarry_asset(a.customer_key) and a.created_by == member.user.id for a in assets)
    de = next(a for a in assets if a.kind is AssetKind.DE)
    qd = next(a for a in assets if a.kind is AssetKind.QD)
    assert de.state is AssetState.LEASED and qd.state is AssetState.LEASED
    assert de.lease_run_id == run.id and run.shell_de_id == de.id and run.shell_qd_id == qd.id
    assert de.pair_id == qd.id and qd.pair_id == de.id
    tasks = await sim_tasks(simctl, qd.object_id)
    assert [t["task_id"] for t in tasks] == [run.task_id]
    # MCE wrote the rows into the shell, every one carrying this run's marker.
    bridge = await bridge_for_user(
        member.ctx, user_id=member.user.id, mid=member.mid, http=deps.http, tokens=deps.tokens,
        policy=deps.policy,
    )  # fmt: skip
    assert await bridge.queries.is_running(qd.object_id or "") is False
    rows = [
        {name.casefold(): value for name, value in row.items()}
        async for row in bridge.rows(de.customer_key, [])
    ]
    assert rows and {row[run.marker_column.casefold()] for row in rows} == {run.marker}
    assert all(row["linkname"] for row in rows)
    # Each status change was published, in order, with no SQL and no row in it.
    entries = await redis.xrange(run_events_key(run.id))
    events = [json.loads(fields[b"event"]) for _, fields in entries]
    assert [e["status"] for e in events] == ["QUEUED", "STARTING", "RUNNING"]
    assert all(LINKS not in json.dumps(e) and run.marker not in json.dumps(e) for e in events)
    # The DE has MCE's shortest retention as a backstop: one day per row.
    sim_de = simctl.sim.store.get_de(member.mid, customer_key=de.customer_key)
    assert sim_de is not None and sim_de.data_retention_period_length == 1
    assert sim_de.row_based_retention and not sim_de.delete_at_end_of_retention_period


async def test_the_same_shape_reuses_the_pool_without_any_create_call(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl,
) -> None:  # fmt: skip
    first, _ = await _run(member, deps, jobs, redis, LINKS)
    await _complete(member, first, redis, window=0)
    creates = await _creates(simctl)
    second, result = await _run(member, deps, jobs, redis, LINKS_AGAIN)
    assert result["outcome"] == "running"
    assert await _creates(simctl) == creates
    assert second.shell_de_id == first.shell_de_id and second.shell_qd_id == first.shell_qd_id
    assert second.marker != first.marker
    assets = await _assets(member)
    assert len([a for a in assets if a.kind is AssetKind.DE]) == 1
    de = next(a for a in assets if a.kind is AssetKind.DE)
    assert de.use_count == 2 and de.lease_run_id == second.id


async def test_a_shell_still_holding_readable_results_is_not_leased(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis
) -> None:
    first, _ = await _run(member, deps, jobs, redis, LINKS)
    await _complete(member, first, redis, window=600)
    second, _ = await _run(member, deps, jobs, redis, LINKS_AGAIN)
    assert second.shell_de_id not in (None, first.shell_de_id)


async def test_a_wider_shape_adapts_a_pooled_shell_and_a_conflicting_one_gets_a_new_pair(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl,
) -> None:  # fmt: skip
    first, _ = await _run(member, deps, jobs, redis, LINKS)
    await _complete(member, first, redis, window=0)
    before = await sim_operations(simctl)
    wider, result = await _run(member, deps, jobs, redis, LINKS_WIDER)
    after = await sim_operations(simctl)
    assert result["outcome"] == "running"
    assert wider.shell_de_id == first.shell_de_id
    assert after.get("soap.Create.DataExtension", 0) == before.get("soap.Create.DataExtension", 0)
    assert after.get("soap.Create.DataExtensionField", 0) > before.get(
        "soap.Create.DataExtensionField", 0
    )
    [de] = [a for a in await _assets(member) if a.kind is AssetKind.DE]
    assert {f.name for f in de.fields} >= {"LinkName", "Total", "Uniques"}
    sim_de = simctl.sim.store.get_de(member.mid, customer_key=de.customer_key)
    assert sim_de is not None and "uniques" in {f.name.casefold() for f in sim_de.fields}
    await _complete(member, wider, redis, window=0)
    conflict, result = await _run(member, deps, jobs, redis, LINKS_CONFLICT)
    assert result["outcome"] == "running"
    assert conflict.shell_de_id not in (None, first.shell_de_id)
    assert len([a for a in await _assets(member) if a.kind is AssetKind.DE]) == 2


async def test_a_canceled_running_run_drains_its_shell_until_mce_is_done(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis
) -> None:
    first, _ = await _run(member, deps, jobs, redis, LINKS)
    canceled = await cancel_run(member.ctx, user_id=member.user.id, run_id=first.id, redis=redis)
    assert canceled.status is RunStatus.CANCELED
    [de] = [a for a in await _assets(member) if a.kind is AssetKind.DE]
    assert de.state is AssetState.DRAINING
    second, _ = await _run(member, deps, jobs, redis, LINKS_AGAIN)
    assert second.shell_de_id not in (None, first.shell_de_id)  # the draining one is skipped
    assert await release_shell(member.ctx, first.id) == 2  # MCE done: back in the pool
    third_outcome = await start_run(
        member.ctx, user_id=member.user.id, sql=LINKS + " -- 3", jobs=jobs, redis=redis,
        config=deps.config,
    )  # fmt: skip
    assert third_outcome.run is not None
    await start_run_job(
        deps, tenant_id=member.tenant_id, mid=member.mid, run_id=third_outcome.run.id
    )
    third = await get_run(member.ctx, user_id=member.user.id, run_id=third_outcome.run.id)
    assert third.shell_de_id == first.shell_de_id


async def test_mce_failing_while_the_shell_is_prepared_fails_the_run_and_frees_the_shell(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl
) -> None:
    first, _ = await _run(member, deps, jobs, redis, LINKS)
    await _complete(member, first, redis, window=0)
    await simctl.control(
        "faults", {"operation": "soap.Update.QueryDefinition", "kind": "error", "status": 500}
    )
    run, result = await _run(member, deps, jobs, redis, LINKS_AGAIN)
    assert result == {"outcome": "failed", "code": "MCE_UNAVAILABLE"}
    assert run.status is RunStatus.FAILED and run.error is not None and run.error.message
    assert run.finished_at is not None and run.task_id is None and run.perform_sent_at is None
    [de] = [a for a in await _assets(member) if a.kind is AssetKind.DE]
    assert de.state is AssetState.AVAILABLE and de.lease_run_id is None
    assert [t["task_id"] for t in await sim_tasks(simctl)] == [first.task_id]  # not started


async def test_a_lost_perform_answer_is_confirmed_and_mce_runs_the_query_once(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl
) -> None:
    await simctl.control(
        "faults", {"operation": "soap.Perform.QueryDefinition", "kind": "reset", "times": 1}
    )
    run, result = await _run(member, deps, jobs, redis, LINKS)
    assert result == {"outcome": "running", "task": True}
    [qd] = [a for a in await _assets(member) if a.kind is AssetKind.QD]
    [task] = await sim_tasks(simctl, qd.object_id)
    # The lost answer's TaskID is found again (services/runs/tasks.py).
    assert run.status is RunStatus.RUNNING and run.task_id == task["task_id"]
    # The job running again (its worker died) never starts it a second time.
    again = await start_run_job(deps, tenant_id=member.tenant_id, mid=member.mid, run_id=run.id)
    assert again == {"outcome": "already", "status": "RUNNING"}
    assert len(await sim_tasks(simctl, qd.object_id)) == 1


async def _as_if_a_worker_died_after_perform(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, *, performed: bool
) -> tuple[RunInfo, str]:
    """A run left as a start job killed right after sending Perform leaves it: STARTING, its
    shell leased and pointed at its SQL, ``perform_sent_at`` a minute ago; MCE ran it or not."""
    from services.runs.assets import point_query
    from services.runs.config import run_config
    from services.runs.execute import needed_fields
    from services.runs.pool import lease_shell

    first, _ = await _run(member, deps, jobs, redis, LINKS)
    await _complete(member, first, redis, window=0)
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql=LINKS_AGAIN, jobs=jobs, redis=redis,
        config=deps.config,
    )  # fmt: skip
    assert outcome.run is not None
    run = await transition(
        member.ctx, outcome.run.id, to=RunStatus.STARTING, redis=redis,
        changes={"perform_sent_at": datetime.now(UTC) - timedelta(minutes=1), "attempts": 1},
    )  # fmt: skip
    assert run is not None
    lease = await lease_shell(
        member.ctx, run, needed=needed_fields(run), config=deps.config or run_config()
    )
    bridge = await bridge_for_user(
        member.ctx, user_id=member.user.id, mid=member.mid, http=deps.http, tokens=deps.tokens,
        policy=deps.policy,
    )  # fmt: skip
    await point_query(bridge, qd=lease.qd, query_text=run.run_sql)
    if performed:
        await bridge.soap.start_query(lease.qd.object_id or "")
    return run, lease.qd.object_id or ""


async def test_a_start_resumed_after_mce_ran_it_is_running_and_never_sent_again(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl
) -> None:
    run, qd = await _as_if_a_worker_died_after_perform(member, deps, jobs, redis, performed=True)
    _first, second_task = await sim_tasks(simctl, qd)  # the first run's and this one's
    result = await start_run_job(deps, tenant_id=member.tenant_id, mid=member.mid, run_id=run.id)
    assert result == {"outcome": "running", "task": True}
    assert len(await sim_tasks(simctl, qd)) == 2  # MCE executed it once
    resumed = await get_run(member.ctx, user_id=member.user.id, run_id=run.id)
    assert resumed.status is RunStatus.RUNNING
    assert resumed.task_id == second_task["task_id"]  # its own, not the earlier run's


async def test_a_start_resumed_long_after_with_no_trace_fails_instead_of_guessing(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl
) -> None:
    run, qd = await _as_if_a_worker_died_after_perform(member, deps, jobs, redis, performed=False)
    result = await start_run_job(deps, tenant_id=member.tenant_id, mid=member.mid, run_id=run.id)
    assert result == {"outcome": "failed", "code": "START_UNKNOWN"}
    assert len(await sim_tasks(simctl, qd)) == 1  # only the first run's: nothing resent
    failed = await get_run(member.ctx, user_id=member.user.id, run_id=run.id)
    assert failed.status is RunStatus.FAILED and failed.error is not None
    assert failed.error.code == "START_UNKNOWN" and "again" in failed.error.message
    [de] = [a for a in await _assets(member) if a.kind is AssetKind.DE]
    assert de.state is AssetState.AVAILABLE  # the shell is back in the pool


async def test_concurrent_starts_never_share_a_shell(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis
) -> None:
    import asyncio

    first, _ = await _run(member, deps, jobs, redis, LINKS)
    await _complete(member, first, redis, window=0)  # one free pair in the pool
    outcomes = [
        await start_run(
            member.ctx,
            user_id=member.user.id,
            sql=f"{LINKS_AGAIN} -- {n}",
            jobs=jobs,
            redis=redis,
            config=deps.config,
        )
        for n in range(3)
    ]
    results = await asyncio.gather(
        *(
            start_run_job(deps, tenant_id=member.tenant_id, mid=member.mid, run_id=o.run.id)
            for o in outcomes
            if o.run is not None
        )
    )
    assert [r["outcome"] for r in results] == ["running"] * 3
    runs = [
        await get_run(member.ctx, user_id=member.user.id, run_id=o.run.id)
        for o in outcomes
        if o.run is not None
    ]
    assert len({run.shell_de_id for run in runs}) == 3
    assert first.shell_de_id in {run.shell_de_id for run in runs}  # the free one was reused


async def test_a_pair_whose_creation_failed_is_broken_and_cleaned_by_the_recycler(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl
) -> None:
    from services.runs.config import RunConfig
    from services.runs.recycle import recycle_bu

    await simctl.control(
        "faults", {"operation": "soap.Create.QueryDefinition", "kind": "error", "status": 500}
    )
    run, result = await _run(member, deps, jobs, redis, LINKS)
    assert result["outcome"] == "failed" and run.status is RunStatus.FAILED
    shells = [a for a in await _assets(member) if a.kind is not AssetKind.FOLDER]
    assert sorted(a.state.value for a in shells) == ["BROKEN", "BROKEN"]
    [de] = [a for a in shells if a.kind is AssetKind.DE]
    assert simctl.sim.store.get_de(member.mid, customer_key=de.customer_key) is not None
    await simctl.http.delete("__sim/faults")
    bridge = await bridge_for_user(
        member.ctx, user_id=member.user.id, mid=member.mid, http=deps.http, tokens=deps.tokens,
        policy=deps.policy,
    )  # fmt: skip
    report = await recycle_bu(member.ctx, bridge, config=RunConfig(), redis=redis)
    assert report.deleted == 2 and report.failed == ()
    assert simctl.sim.store.get_de(member.mid, customer_key=de.customer_key) is None
    assert [a.kind for a in await _assets(member)] == [AssetKind.FOLDER, AssetKind.FOLDER]


async def test_a_run_canceled_while_its_shell_is_prepared_is_never_performed(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl
) -> None:
    import asyncio

    first, _ = await _run(member, deps, jobs, redis, LINKS)
    await _complete(member, first, redis, window=0)
    await simctl.latency(400, "soap.Update.QueryDefinition")  # the re-pointing takes a while
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql=LINKS_AGAIN, jobs=jobs, redis=redis,
        config=deps.config,
    )  # fmt: skip
    assert outcome.run is not None
    job = asyncio.create_task(
        start_run_job(deps, tenant_id=member.tenant_id, mid=member.mid, run_id=outcome.run.id)
    )
    for _ in range(200):  # until the job holds the shell
        [de] = [a for a in await _assets(member) if a.kind is AssetKind.DE]
        if de.lease_run_id == outcome.run.id:
            break
        await asyncio.sleep(0.01)
    canceled = await cancel_run(
        member.ctx, user_id=member.user.id, run_id=outcome.run.id, redis=redis
    )
    assert canceled.status is RunStatus.CANCELED
    [de] = [a for a in await _assets(member) if a.kind is AssetKind.DE]
    assert de.state is AssetState.DRAINING  # not free while the job still writes its QD
    assert await job == {"outcome": "canceled"}
    [de] = [a for a in await _assets(member) if a.kind is AssetKind.DE]
    assert de.state is AssetState.AVAILABLE and de.lease_run_id is None
    assert [t["task_id"] for t in await sim_tasks(simctl)] == [first.task_id]  # never started
    run = await get_run(member.ctx, user_id=member.user.id, run_id=outcome.run.id)
    assert run.status is RunStatus.CANCELED and run.perform_sent_at is None


async def test_stale_rows_in_a_reused_shell_are_never_read_as_the_new_runs(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis
) -> None:
    from client.rest.rows import RowWrite
    from models.runs import Run
    from services.runs.reading import result_source
    from services.runs.results import ResultReader

    first, _ = await _run(member, deps, jobs, redis, LINKS)
    await _complete(member, first, redis, window=0)
    second, _ = await _run(member, deps, jobs, redis, LINKS_AGAIN)
    assert second.shell_de_id == first.shell_de_id
    [de] = [a for a in await _assets(member) if a.kind is AssetKind.DE]
    bridge = await bridge_for_user(
        member.ctx, user_id=member.user.id, mid=member.mid, http=deps.http, tokens=deps.tokens,
        policy=deps.policy,
    )  # fmt: skip
    before = [row async for row in bridge.rows(de.customer_key, [])]
    # What a late-finishing earlier run would leave in the shell: rows with ITS marker.
    stale = [
        RowWrite(values={"LinkName": "STALE", "Total": 999_999, first.marker_column: first.marker})
        for _ in range(3)
    ]
    await bridge.upsert_rows(de.customer_key, stale)
    assert len([row async for row in bridge.rows(de.customer_key, [])]) == len(before) + 3
    model = await TenantRepository(member.ctx).of(Run).get_or_none(id=second.id)
    assert model is not None
    reader = ResultReader(rest=bridge.rest, source=result_source(model, shell_key=de.customer_key))
    page = await reader.page(offset=0, limit=2500)
    assert page.total == len(before) and page.last
    assert all(row[0] != "STALE" and row[1] != 999_999 for row in page.rows)
    totals = [row[1] for row in page.rows]
    assert totals == sorted(totals, reverse=True)  # the ORDER BY kept
