"""``jobs.runs.start_run`` and ``jobs.runs.recycle_assets`` in a real worker process
(``python -m app.worker --burst``) on R1's own Redis db: a run queued through the service is
started in MCE (the simulator over HTTP) acting as its user, MCE runs it once; RQ's records hold
ids only, never a token; the recycler job then deletes an idle shell beyond the pool."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from rq.job import Job, JobStatus

from app.settings import Settings
from models import TenantRepository
from models.runs import RunStatus
from services.job_queue import JobQueue, job_id_for
from services.runs.cleanup import RECYCLE_JOB
from services.runs.pool import asset_rows, release_shell
from services.runs.start import get_run, start_job_key, start_run
from services.wallet import KeyEncryptionKey, WalletTokenProvider
from simulator.state import Simulator
from tests.fixtures import run_burst_worker, worker_env
from tests.services.runs.engine import (
    JOBS_REDIS_URL,
    Member,
    _shared_server,
    ahttp,
    config,
    http,
    jobs,
    kek_a,
    keys,
    member,
    provider,
    sim,
    sim_app,
    sim_tasks,
    sim_tenant,
    sim_url,
    simctl,
    wallet,
)
from tests.services.wallet.helpers import SimControl

__all__ = [
    "_shared_server", "ahttp", "config", "http", "jobs", "kek_a", "keys", "member", "provider",
    "sim", "sim_app", "sim_tenant", "sim_url", "simctl", "wallet",
]  # fmt: skip

pytestmark = [pytest.mark.usefixtures("db"), pytest.mark.slow]


async def test_a_queued_run_is_started_by_a_real_worker_then_its_shell_recycled(
    db: Settings, sim: Simulator, sim_url: str, simctl: SimControl, member: Member,
    kek_a: KeyEncryptionKey, jobs: JobQueue, redis: Redis,
) -> None:  # fmt: skip
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql="SELECT c.LinkName FROM _Click c", jobs=jobs,
        redis=redis,
    )  # fmt: skip
    assert outcome.run is not None
    env = worker_env(
        database_url=db.database_url, redis_url=JOBS_REDIS_URL, sim=sim, sim_url=sim_url,
        kek=kek_a, RUN_POOL_SIZE_PER_BU="1",
    )  # fmt: skip
    await asyncio.to_thread(run_burst_worker, env)

    connection = SyncRedis.from_url(JOBS_REDIS_URL)
    job_id = job_id_for(start_job_key(outcome.run.id))
    try:
        job = Job.fetch(job_id, connection=connection)
        assert job.get_status() is JobStatus.FINISHED, job.latest_result()
        assert job.return_value() == {"outcome": "running", "task": True}
        assert job.args == (member.tenant_id, member.mid, outcome.run.id)
        run = await get_run(member.ctx, user_id=member.user.id, run_id=outcome.run.id)
        assert run.status is RunStatus.RUNNING and run.task_id
        tasks = await sim_tasks(simctl)
        assert [t["task_id"] for t in tasks] == [run.task_id]
        issued = [t.rsplit(".", 1)[-1] for t in [*sim.auth._access, *sim.auth._refresh]]
        stored = b" ".join(
            connection.dump(k) or b"" for k in connection.scan_iter(count=500)
        ).decode("latin-1")
        assert issued and [t for t in issued if t in stored] == []
    finally:
        if Job.exists(job_id, connection=connection):
            Job(job_id, connection=connection).delete()

    # Two idle pairs with a pool of one: the recycler job deletes the older one.
    second = await start_run(
        member.ctx, user_id=member.user.id, sql="SELECT COUNT(*) AS N FROM _Click c",
        jobs=jobs, redis=redis,
    )  # fmt: skip
    assert second.run is not None
    await asyncio.to_thread(run_burst_worker, env)
    for run_id in (outcome.run.id, second.run.id):
        await release_shell(member.ctx, run_id)
    recycle = await jobs.enqueue(RECYCLE_JOB, member.tenant_id, member.mid, queue="low")
    await asyncio.to_thread(run_burst_worker, env)
    try:
        job = Job.fetch(recycle.job_id, connection=connection)
        assert job.get_status() is JobStatus.FINISHED, job.latest_result()
        assert job.return_value()["deleted"] == 2
        shells = await asset_rows(TenantRepository(member.ctx), "kind = 'DE'", [])
        assert len(shells) == 1
    finally:
        connection.close()


def test_the_scheduler_enqueues_the_recycling_once_an_hour() -> None:
    from rq import Queue

    from services.metadata.scheduler import HOURLY_JOBS, MetadataScheduler
    from services.redis_keys import METADATA_SCHEDULER_LOCK_KEY

    connection = SyncRedis.from_url(JOBS_REDIS_URL)

    def clear() -> None:
        Queue("low", connection=connection).empty()
        connection.delete(METADATA_SCHEDULER_LOCK_KEY)
        for key in connection.scan_iter(match=f"{METADATA_SCHEDULER_LOCK_KEY}:done:*"):
            connection.delete(key)

    clear()
    try:
        scheduler = MetadataScheduler(connection, tick_seconds=60)
        now = 500_000 * 3_600.0
        scheduler.tick(now)
        scheduler.tick(now + 60)  # the same hour: not again
        job_id = job_id_for(f"{HOURLY_JOBS[0][0]}:500000")
        assert Job.fetch(job_id, connection=connection).func_name == "jobs.runs.recycle_everywhere"
        low = [job.func_name for job in Queue("low", connection=connection).jobs]
        assert low.count("jobs.runs.recycle_everywhere") == 1
        scheduler.tick(now + 3_600)
        low = [job.func_name for job in Queue("low", connection=connection).jobs]
        assert low.count("jobs.runs.recycle_everywhere") == 2
        scheduler.step_down()
    finally:
        clear()
        connection.close()


async def test_recycling_is_enqueued_for_every_bu_holding_assets(
    test_settings: Settings, member: Member, jobs: JobQueue, redis: Redis, sim: Simulator,
    sim_url: str, ahttp: httpx.AsyncClient, provider: WalletTokenProvider,
) -> None:  # fmt: skip
    from services.runs.cleanup import enqueue_recycling
    from services.runs.execute import StartDeps, start_run_job
    from tests.services.wallet.helpers import auth_factory

    deps = StartDeps(
        redis=redis, http=ahttp, tokens=provider, policy=auth_factory(sim, sim_url, ahttp).policy
    )
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql="SELECT c.LinkName FROM _Click c", jobs=jobs,
        redis=redis,
    )  # fmt: skip
    assert outcome.run is not None
    await start_run_job(deps, tenant_id=member.tenant_id, mid=member.mid, run_id=outcome.run.id)
    count = await enqueue_recycling(test_settings.system_database_url, redis_url=JOBS_REDIS_URL)
    assert count >= 1
    from rq import Queue

    mine = [
        job.args
        for job in Queue("low", connection=jobs.connection).jobs
        if job.func_name == RECYCLE_JOB and job.args[0] == member.tenant_id
    ]
    assert mine == [(member.tenant_id, member.mid)]
    await enqueue_recycling(test_settings.system_database_url, redis_url=JOBS_REDIS_URL)
    pending = [
        job.args
        for job in Queue("low", connection=jobs.connection).jobs
        if job.func_name == RECYCLE_JOB and job.args[0] == member.tenant_id
    ]
    assert pending == mine  # still pending: not enqueued twice
