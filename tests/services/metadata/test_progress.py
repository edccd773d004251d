"""Progress: ``current`` and ``watch`` (first the state, then each change, nothing missed by a
late subscriber); ``request_sync`` enqueues once and joins a running sync; the sign-in trigger;
nothing secret in Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from rq.job import Job

from services.job_queue import EnqueuedJob, JobQueue, job_id_for
from services.metadata.progress import SyncPhase, SyncProgress, SyncState, current, watch
from services.metadata.sync import (
    JOB_SYNC,
    SyncDeps,
    request_sync,
    run_sync,
    sync_job_key,
    sync_on_sign_in,
)
from services.redis_keys import metadata_progress_key, metadata_sync_lock_key
from simulator.state import Simulator
from tests.conftest import REDIS_URL
from tests.services.metadata.conftest import SignIn
from tests.services.metadata.helpers import parent_and_children
from tests.services.wallet.helpers import SimTenant

pytestmark = pytest.mark.usefixtures("db")

JOBS_REDIS_URL = "redis://127.0.0.1:6379/12"


@pytest.fixture
def jobs() -> Iterator[JobQueue]:
    queue = JobQueue.from_url(JOBS_REDIS_URL)
    created: list[str] = []
    original = queue.enqueue

    async def tracking(*args: Any, **kwargs: Any) -> EnqueuedJob:
        job = await original(*args, **kwargs)
        created.append(job.job_id)
        return job

    queue.enqueue = tracking  # type: ignore[method-assign]
    try:
        yield queue
    finally:
        for job_id in created:
            if Job.exists(job_id, connection=queue.connection):
                Job(job_id, connection=queue.connection).delete()
        queue.close()


async def test_watch_yields_the_current_state_then_every_change_to_complete(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn, redis: Redis
) -> None:
    ada = await sign_in("ada.admin")
    _, children = parent_and_children(sim)
    mid = children[0]
    ctx = sim_tenant.ctx(mid)
    assert await current(ctx, mid) is None  # never synced

    seen: list[SyncProgress] = []

    async def follow() -> None:
        async for progress in watch(redis, ctx, mid):
            seen.append(progress)
            if progress.state is SyncState.COMPLETE:
                return

    watcher = asyncio.create_task(follow())
    await asyncio.sleep(0.5)  # subscribed before the sync starts
    await run_sync(deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=True)
    await asyncio.wait_for(watcher, 10)

    assert seen[0].state is SyncState.RUNNING and seen[-1].state is SyncState.COMPLETE
    phases = [p.phase for p in seen]
    assert SyncPhase.FOLDERS in phases and phases[-1] == SyncPhase.DONE
    done = [p.data_extensions_done for p in seen]
    assert done == sorted(done) and done[-1] == len(sim.store.list_des(mid))

    # A late subscriber gets where the sync is at once.
    late = watch(redis, ctx, mid)
    first = await asyncio.wait_for(anext(late), 5)
    await late.aclose()
    assert first.state is SyncState.COMPLETE and first.finished_at is not None

    # Redis holds notices only: no names, keys or tokens.
    entries = await redis.xrange(metadata_progress_key(sim_tenant.tenant_id, mid))
    assert entries and all(set(fields) == {b"at"} for _, fields in entries)


async def test_request_sync_enqueues_once_and_joins_a_running_sync(
    sim: Simulator, sim_tenant: SimTenant, sign_in: SignIn, jobs: JobQueue, redis: Redis
) -> None:
    ada = await sign_in("ada.admin")
    parent, _ = parent_and_children(sim)
    ctx = sim_tenant.ctx(parent)

    first = await request_sync(ctx, mid=parent, user_id=ada.id, full=False, jobs=jobs)
    second = await request_sync(ctx, mid=parent, user_id=ada.id, full=False, jobs=jobs)

    assert (first.state, first.phase) == (SyncState.RUNNING, SyncPhase.QUEUED)
    assert second.state is SyncState.RUNNING
    queued = SyncRedis.from_url(JOBS_REDIS_URL)
    try:
        job = Job.fetch(
            job_id_for(sync_job_key(sim_tenant.tenant_id, parent, full=False)),
            connection=queued,
        )  # fmt: skip
        assert job.func_name == JOB_SYNC
        assert job.args == (sim_tenant.tenant_id, parent, ada.id, 0)  # ids only
        # A sync holding the BU's lock: a request joins it, nothing is enqueued.
        job.delete()
        lock = metadata_sync_lock_key(sim_tenant.tenant_id, parent, "own")
        queued.set(lock, "someone", px=5000)
        joined = await request_sync(ctx, mid=parent, user_id=ada.id, full=True, jobs=jobs)
        assert joined.state is SyncState.RUNNING
        assert not Job.exists(
            job_id_for(sync_job_key(sim_tenant.tenant_id, parent, full=True)),
            connection=queued,
        )  # fmt: skip
        queued.delete(lock)
    finally:
        queued.close()


async def test_sign_in_enqueues_a_first_sync_only_when_the_bu_was_never_synced(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn, jobs: JobQueue
) -> None:
    ada = await sign_in("ada.admin")
    _, children = parent_and_children(sim)
    mid = children[2]
    ctx = sim_tenant.ctx(mid)

    assert await sync_on_sign_in(ctx, mid=mid, user_id=ada.id, enqueue=jobs)
    progress = await current(ctx, mid)
    assert progress is not None and progress.phase is SyncPhase.QUEUED
    await run_sync(deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=False)
    assert not await sync_on_sign_in(ctx, mid=mid, user_id=ada.id, enqueue=jobs)


async def test_watch_waits_past_the_api_clients_socket_timeout(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn
) -> None:
    """The API's Redis client times a read out after 2 s (app/main.py); a watcher whose sync
    starts later than that must still see it, not fail with a timeout."""
    ada = await sign_in("ada.admin")
    _, children = parent_and_children(sim)
    mid = children[0]
    ctx = sim_tenant.ctx(mid)
    client = Redis.from_url(REDIS_URL, socket_timeout=0.5)
    seen: list[SyncProgress] = []

    async def follow() -> None:
        async for progress in watch(client, ctx, mid):
            seen.append(progress)
            if progress.state is SyncState.COMPLETE:
                return

    try:
        watcher = asyncio.create_task(follow())
        await asyncio.sleep(1.6)  # three socket timeouts with nothing to read
        assert not watcher.done(), watcher
        await run_sync(deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=True)
        await asyncio.wait_for(watcher, 10)
    finally:
        await client.aclose()
    assert seen[-1].state is SyncState.COMPLETE
