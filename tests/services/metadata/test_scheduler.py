"""Exactly one scheduler acts (a Redis lock), once per tick window; its tick job enqueues a
scheduled sync for every due BU, reading every tenant as the system role."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from redis import Redis as SyncRedis
from rq import Queue
from rq.job import Job

from app.settings import Settings
from services.job_queue import job_id_for
from services.metadata.scheduler import (
    DAILY_JOBS,
    SCHEDULED_JOB,
    TICK_JOB,
    MetadataScheduler,
    enqueue_due_syncs,
    full_sync_due,
)
from services.metadata.sync import SyncDeps, run_sync
from services.redis_keys import METADATA_SCHEDULER_LOCK_KEY
from simulator.state import Simulator
from tests.services.metadata.conftest import SignIn
from tests.services.metadata.helpers import parent_and_children
from tests.services.wallet.helpers import SimTenant

JOBS_REDIS_URL = "redis://127.0.0.1:6379/12"


@pytest.fixture
def connection() -> Iterator[SyncRedis]:
    redis = SyncRedis.from_url(JOBS_REDIS_URL)
    _clear(redis)
    try:
        yield redis
    finally:
        for name in ("low", "default"):
            Queue(name, connection=redis).empty()
        _clear(redis)
        redis.close()


def _clear(redis: SyncRedis) -> None:
    redis.delete(METADATA_SCHEDULER_LOCK_KEY)
    for key in redis.scan_iter(match=f"{METADATA_SCHEDULER_LOCK_KEY}:done:*"):
        redis.delete(key)


def test_only_the_lock_holder_enqueues_once_per_window(connection: SyncRedis) -> None:
    first = MetadataScheduler(connection, tick_seconds=60)
    second = MetadataScheduler(connection, tick_seconds=60)
    now = 1_000_000 * 60.0

    assert first.tick(now) is True
    assert second.tick(now) is False  # not the leader
    job = Job.fetch(job_id_for("metadata-schedule:1000000"), connection=connection)
    assert job.func_name == TICK_JOB and job.args == ()
    job.delete()  # as if it had run already
    assert first.tick(now + 1) is False  # same window: enqueued once, even after it ran
    day = int(now // 86_400)
    purge = Job.fetch(job_id_for(f"{DAILY_JOBS[0][0]}:{day}"), connection=connection)
    assert purge.func_name == "jobs.snippets.purge_snippet_trash"
    purge.delete()
    assert first.tick(now + 60) is True
    assert not Job.exists(job_id_for(f"{DAILY_JOBS[0][0]}:{day}"), connection=connection)
    assert second.tick(now + 90) is False  # still not the leader in the next window

    first.step_down()  # the leader stops: the other takes over
    assert second.tick(now + 120) is True
    assert first.tick(now + 180) is False


def test_a_leader_that_stops_renewing_loses_the_lock(connection: SyncRedis) -> None:
    first = MetadataScheduler(connection, tick_seconds=1)
    second = MetadataScheduler(connection, tick_seconds=1)
    assert first.is_leader() and not second.is_leader()
    connection.pexpire(METADATA_SCHEDULER_LOCK_KEY, 1)  # as if its 3 s lease ran out
    time.sleep(0.01)
    assert second.is_leader() and not first.is_leader()


@pytest.mark.usefixtures("db")
async def test_the_tick_job_enqueues_a_scheduled_sync_for_each_due_bu(
    sim: Simulator, sim_tenant: SimTenant, test_settings: Settings, connection: SyncRedis,
    deps: SyncDeps, sign_in: SignIn,
) -> None:  # fmt: skip
    ada = await sign_in("ada.admin")
    parent, children = parent_and_children(sim)
    fresh = children[0]
    await run_sync(deps, tenant_id=sim_tenant.tenant_id, mid=fresh, user_id=ada.id, full=True)

    count = await enqueue_due_syncs(
        test_settings.system_database_url, redis_url=JOBS_REDIS_URL, limit=100_000
    )

    mine = {
        mid
        for mid in sim_tenant.mids
        if Job.exists(job_id_for(f"metadata-scheduled:{sim_tenant.tenant_id}:{mid}"), connection)
    }
    assert mine == set(sim_tenant.mids) - {fresh}  # synced a moment ago: not due
    assert count >= len(mine)
    job = Job.fetch(job_id_for(f"metadata-scheduled:{sim_tenant.tenant_id}:{parent}"), connection)
    assert (job.func_name, job.args, job.origin) == (
        SCHEDULED_JOB,
        (sim_tenant.tenant_id, parent),
        "low",
    )
    assert not await full_sync_due(sim_tenant.tenant_id, fresh)
    assert await full_sync_due(sim_tenant.tenant_id, parent)
