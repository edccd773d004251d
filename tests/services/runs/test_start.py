"""Starting runs (services/runs/start.py): validation with positions, the record and its job
(ids only), joining identical active SQL, the per-user and per-BU limits, privacy of run ids,
history, cancel while queued. Real Postgres as the app role, real Redis, the simulator's
tenant mirrored (no MCE call is made by a start)."""

from __future__ import annotations

import json
from dataclasses import replace
from uuid import uuid4

import pytest
from redis.asyncio import Redis
from rq import Queue

from models import TenantContext
from models.runs import RunStatus
from services.errors import InvalidInput, NotFound
from services.job_queue import JobQueue, job_id_for
from services.runs import events
from services.runs.config import RunConfig
from services.runs.execute import StartDeps, start_run_job
from services.runs.start import (
    START_JOB,
    RunLimitReached,
    cancel_run,
    get_run,
    list_runs,
    start_job_key,
    start_run,
)
from services.wallet import TokenWallet
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
    sign_in,
    sim,
    sim_app,
    sim_tenant,
    sim_url,
    simctl,
    wallet,
)
from tests.services.wallet.helpers import SimControl, SimTenant

__all__ = [
    "_shared_server", "ahttp", "config", "deps", "http", "jobs", "kek_a", "keys", "member",
    "provider", "sim", "sim_app", "sim_tenant", "sim_url", "simctl", "wallet",
]  # fmt: skip

pytestmark = pytest.mark.usefixtures("db")

CLICKS = (
    "SELECT c.LinkName, COUNT(*) AS Total FROM _Click c GROUP BY c.LinkName ORDER BY Total DESC"
)


async def test_a_start_records_the_run_and_queues_its_job_with_ids_only(
    member: Member, jobs: JobQueue, redis: Redis, config: RunConfig
) -> None:
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql=CLICKS, jobs=jobs, redis=redis, config=config
    )
    run = outcome.run
    assert run is not None and not outcome.joined and outcome.blocking == ()
    assert run.status is RunStatus.QUEUED
    assert [c.name for c in run.columns] == ["LinkName", "Total"]
    assert run.columns[1].field_type == "Number"
    assert run.order_column and run.marker_column and len(run.marker) == 32
    assert run.marker in run.run_sql and run.order_column in run.run_sql
    queued = Queue("high", connection=jobs.connection).jobs
    assert [(j.func_name, j.args, j.id) for j in queued] == [
        (START_JOB, (member.tenant_id, member.mid, run.id), job_id_for(start_job_key(run.id)))
    ]
    latest = await events.latest(redis, run.id)
    assert latest is not None and latest[1]["status"] == "QUEUED"
    assert CLICKS not in str(latest[1])  # events carry no SQL


async def test_sql_that_cannot_run_gives_findings_at_their_positions_and_no_run(
    member: Member, jobs: JobQueue, redis: Redis, config: RunConfig
) -> None:
    sql = "SELECT c.LinkName FROM _Click c;\nDELETE FROM _Click"
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql=sql, jobs=jobs, redis=redis, config=config
    )
    assert outcome.run is None and outcome.blocking
    spans = [f.span for f in outcome.blocking if f.span is not None]
    assert spans and all(0 <= s.start < s.end <= len(sql) for s in spans)
    assert any(s.line == 2 for s in spans)
    assert Queue("high", connection=jobs.connection).count == 0
    with pytest.raises(InvalidInput):
        await start_run(
            member.ctx, user_id=member.user.id, sql="  ", jobs=jobs, redis=redis, config=config
        )


async def test_identical_active_sql_joins_the_running_run(
    member: Member, jobs: JobQueue, redis: Redis, config: RunConfig
) -> None:
    first = await start_run(
        member.ctx, user_id=member.user.id, sql=CLICKS, jobs=jobs, redis=redis, config=config
    )
    second = await start_run(
        member.ctx, user_id=member.user.id, sql=CLICKS, jobs=jobs, redis=redis, config=config
    )
    assert first.run is not None and second.run is not None
    assert second.joined and second.run.id == first.run.id
    assert Queue("high", connection=jobs.connection).count == 1
    # Another text is another run.
    third = await start_run(
        member.ctx, user_id=member.user.id, sql=CLICKS + " ", jobs=jobs, redis=redis,
        config=config,
    )  # fmt: skip
    assert third.run is not None and third.run.id != first.run.id and not third.joined
    # A finished run is not joined.
    await cancel_run(member.ctx, user_id=member.user.id, run_id=first.run.id, redis=redis)
    fourth = await start_run(
        member.ctx, user_id=member.user.id, sql=CLICKS, jobs=jobs, redis=redis, config=config
    )
    assert fourth.run is not None and fourth.run.id != first.run.id and not fourth.joined


async def test_active_runs_are_limited_per_user_and_per_bu(
    member: Member, jobs: JobQueue, redis: Redis, sim_tenant: SimTenant, simctl: SimControl,
    wallet: TokenWallet,
) -> None:  # fmt: skip
    limits = RunConfig(max_active_per_user=2, max_active_per_bu=3)
    for n in range(2):
        await start_run(
            member.ctx, user_id=member.user.id, sql=f"{CLICKS} -- {n}", jobs=jobs,
            redis=redis, config=limits,
        )  # fmt: skip
    with pytest.raises(RunLimitReached) as refused:
        await start_run(
            member.ctx, user_id=member.user.id, sql=f"{CLICKS} -- 2", jobs=jobs, redis=redis,
            config=limits,
        )  # fmt: skip
    assert refused.value.code == "RUN_LIMIT"
    other = await _colleague(sim_tenant, simctl, wallet, member)
    await start_run(
        other.ctx, user_id=other.user.id, sql=CLICKS, jobs=jobs, redis=redis, config=limits
    )
    with pytest.raises(RunLimitReached, match="business unit"):
        await start_run(
            other.ctx, user_id=other.user.id, sql=f"{CLICKS} -- x", jobs=jobs, redis=redis,
            config=limits,
        )  # fmt: skip
    # A finished run frees its place.
    page = await list_runs(member.ctx, user_id=member.user.id, first=10, after=None)
    await cancel_run(member.ctx, user_id=member.user.id, run_id=page.edges[0].node.id, redis=redis)
    again = await start_run(
        member.ctx, user_id=member.user.id, sql=f"{CLICKS} -- 3", jobs=jobs, redis=redis,
        config=limits,
    )  # fmt: skip
    assert again.run is not None


async def _colleague(
    sim_tenant: SimTenant, simctl: SimControl, wallet: TokenWallet, member: Member
) -> Member:
    """Another user of the tenant, working in the member's BU."""
    names = [
        u.username
        for u in simctl.sim.store.users.values()
        if u.username != "ada.admin" and member.mid in u.reachable_mids
    ]
    other = await sign_in(sim_tenant, simctl, wallet, names[0])
    return replace(other, mid=member.mid)


async def test_runs_are_private_to_their_user_bu_and_tenant(
    member: Member, jobs: JobQueue, redis: Redis, config: RunConfig, sim_tenant: SimTenant,
    simctl: SimControl, wallet: TokenWallet,
) -> None:  # fmt: skip
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql=CLICKS, jobs=jobs, redis=redis, config=config
    )
    assert outcome.run is not None
    run_id = outcome.run.id
    assert (await get_run(member.ctx, user_id=member.user.id, run_id=run_id)).id == run_id
    other = await _colleague(sim_tenant, simctl, wallet, member)
    other_bu = next(m for m in sim_tenant.mids if m != member.mid)
    other_tenant = TenantContext(tenant_id=member.tenant_id + 10**9, mid=member.mid)
    for ctx, user_id in (
        (other.ctx, other.user.id),
        (TenantContext(tenant_id=member.tenant_id, mid=other_bu), member.user.id),
        (other_tenant, member.user.id),
        (member.ctx, uuid4()),
    ):
        with pytest.raises(NotFound):
            await get_run(ctx, user_id=user_id, run_id=run_id)
        with pytest.raises(NotFound):
            await cancel_run(ctx, user_id=user_id, run_id=run_id, redis=redis)
        page = await list_runs(ctx, user_id=user_id, first=10, after=None)
        assert page.edges == []
    assert (await get_run(member.ctx, user_id=member.user.id, run_id=run_id)).status is (
        RunStatus.QUEUED
    )


async def test_history_is_newest_first_in_pages(
    member: Member, jobs: JobQueue, redis: Redis, config: RunConfig
) -> None:
    started = []
    for n in range(3):
        outcome = await start_run(
            member.ctx, user_id=member.user.id, sql=f"{CLICKS} -- {n}", jobs=jobs, redis=redis,
            config=config,
        )  # fmt: skip
        assert outcome.run is not None
        started.append(outcome.run.id)
    first = await list_runs(member.ctx, user_id=member.user.id, first=2, after=None)
    assert [e.node.id for e in first.edges] == started[::-1][:2] and first.has_next_page
    rest = await list_runs(
        member.ctx, user_id=member.user.id, first=2, after=first.edges[-1].cursor
    )
    assert [e.node.id for e in rest.edges] == [started[0]] and not rest.has_next_page
    with pytest.raises(InvalidInput):
        await list_runs(member.ctx, user_id=member.user.id, first=2, after="nonsense")
    with pytest.raises(InvalidInput):
        await list_runs(member.ctx, user_id=member.user.id, first=0, after=None)


async def test_cancel_while_queued_is_immediate_and_the_job_then_does_nothing(
    member: Member,
    jobs: JobQueue,
    redis: Redis,
    config: RunConfig,
    deps: StartDeps,
    simctl: SimControl,
) -> None:
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql=CLICKS, jobs=jobs, redis=redis, config=config
    )
    assert outcome.run is not None
    canceled = await cancel_run(
        member.ctx, user_id=member.user.id, run_id=outcome.run.id, redis=redis
    )
    assert canceled.status is RunStatus.CANCELED and canceled.finished_at is not None
    latest = await events.latest(redis, canceled.id)
    assert latest is not None and latest[1]["status"] == "CANCELED"
    before = (await simctl.http.get("__sim/stats")).json()["total"]
    result = await start_run_job(
        deps, tenant_id=member.tenant_id, mid=member.mid, run_id=canceled.id
    )
    assert result == {"outcome": "already", "status": "CANCELED"}
    assert (await simctl.http.get("__sim/stats")).json()["total"] == before  # MCE untouched
    again = await cancel_run(member.ctx, user_id=member.user.id, run_id=canceled.id, redis=redis)
    assert again.status is RunStatus.CANCELED


async def test_concurrent_starts_never_pass_the_limit_and_identical_ones_run_once(
    member: Member, jobs: JobQueue, redis: Redis
) -> None:
    import asyncio

    limits = RunConfig(max_active_per_user=3)

    async def attempt(sql: str) -> str:
        try:
            outcome = await start_run(
                member.ctx, user_id=member.user.id, sql=sql, jobs=jobs, redis=redis,
                config=limits,
            )  # fmt: skip
        except RunLimitReached:
            return "limit"
        assert outcome.run is not None
        return f"{'joined' if outcome.joined else 'new'}:{outcome.run.id}"

    same = await asyncio.gather(*(attempt(CLICKS) for _ in range(6)))
    assert len({answer.split(":")[1] for answer in same}) == 1
    assert sorted(answer.split(":")[0] for answer in same) == ["joined"] * 5 + ["new"]
    others = await asyncio.gather(*(attempt(f"{CLICKS} -- {n}") for n in range(8)))
    assert others.count("limit") == 6 and len([a for a in others if a.startswith("new")]) == 2
    assert Queue("high", connection=jobs.connection).count == 3


async def test_long_sql_is_rewritten_off_the_event_loop_like_short_sql(
    member: Member, jobs: JobQueue, redis: Redis, config: RunConfig
) -> None:
    names = ", ".join(f"'link-{n:05d}'" for n in range(400))
    sql = f"SELECT c.LinkName, COUNT(*) AS Total FROM _Click c WHERE c.LinkName IN ({names})"  # noqa: S608 - a test text
    sql += " GROUP BY c.LinkName ORDER BY Total DESC"
    assert len(sql) > 2_000
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql=sql, jobs=jobs, redis=redis, config=config
    )
    assert outcome.run is not None and outcome.blocking == ()
    assert [c.name for c in outcome.run.columns] == ["LinkName", "Total"]
    assert outcome.run.marker in outcome.run.run_sql and "link-00399" in outcome.run.run_sql


def test_a_failure_carries_mces_message_and_the_catalogues_cause_and_fix() -> None:
    from services.runs.execute import failure_changes

    message = "Conversion failed when converting the varchar value 'abc' to data type int."
    changes = failure_changes("MCE_REFUSED", message)
    assert changes["error_code"] == "CONVERSION_FAILED_VALUE"
    assert changes["error_message"] == message
    assert "'abc'" in changes["error_cause"] and changes["error_fix"]
    unknown = failure_changes("MCE_UNAVAILABLE", "Marketing Cloud did not answer.")
    assert unknown == {
        "error_code": "MCE_UNAVAILABLE",
        "error_message": "Marketing Cloud did not answer.",
        "error_cause": None,
        "error_fix": None,
    }


async def test_a_start_is_audited_with_who_the_bu_the_run_and_the_sql_hash_only(
    member: Member, jobs: JobQueue, redis: Redis, config: RunConfig, admin_conn: object
) -> None:
    import asyncpg

    from services.audit import RequestMeta
    from services.runs.start import sql_hash

    assert isinstance(admin_conn, asyncpg.Connection)
    sql = "SELECT c.LinkName FROM _Click c WHERE c.LinkName = 'secret-campaign-link'"
    meta = RequestMeta(ip="203.0.113.9", user_agent="test-agent", request_id="req-1")
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql=sql, jobs=jobs, redis=redis, config=config,
        meta=meta,
    )  # fmt: skip
    assert outcome.run is not None
    joined = await start_run(
        member.ctx, user_id=member.user.id, sql=sql, jobs=jobs, redis=redis, config=config
    )
    assert joined.joined  # joining an active run starts nothing: not audited again
    token_id = uuid4()
    by_token = await start_run(
        member.ctx, user_id=member.user.id, sql=CLICKS, jobs=jobs, redis=redis, config=config,
        api_token_id=token_id,
    )  # fmt: skip
    assert by_token.run is not None
    rows = await admin_conn.fetch(
        "SELECT * FROM audit_events WHERE tenant_id = $1 AND action = 'run.started'"
        " ORDER BY created_at",
        member.tenant_id,
    )
    assert len(rows) == 2
    first, second = rows
    assert (first["actor_type"], first["actor_id"]) == ("user", str(member.user.id))
    assert (second["actor_type"], second["actor_id"]) == ("api_token", str(token_id))
    assert first["mid"] == member.mid and first["outcome"] == "success"
    assert first["target"] == f"run:{outcome.run.id}"
    assert (first["ip"], first["user_agent"], first["request_id"]) == (
        "203.0.113.9", "test-agent", "req-1",
    )  # fmt: skip
    details = first["details"]
    details = json.loads(details) if isinstance(details, str) else details
    assert details == {
        "user_id": str(member.user.id),
        "sql_hash": sql_hash(sql),
        "snippet_id": None,
        "api_token_id": None,
    }
    # Never the SQL, its literals, or anything the run reads.
    everything = " ".join(str(value) for row in rows for value in row.values())
    assert "secret-campaign-link" not in everything and "LinkName" not in everything
