"""The per-BU lock (one holder, released only by its holder, renewed while held) and a sync
whose worker died: reported FAILED (interrupted), not RUNNING for ever."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from redis.asyncio import Redis

from services.metadata.locks import RedisLock
from services.metadata.progress import SyncState, current
from services.metadata.sync import SyncDeps, run_sync
from simulator.state import Simulator
from tests.services.metadata.conftest import SignIn
from tests.services.metadata.helpers import parent_and_children
from tests.services.wallet.helpers import SimTenant


async def test_one_holder_at_a_time_and_only_the_holder_releases(redis: Redis) -> None:
    key = f"quarry:test:lock:{uuid.uuid4().hex}"
    first, second = RedisLock(redis, key, ttl_ms=300), RedisLock(redis, key, ttl_ms=300)
    try:
        assert await first.acquire() and not await second.acquire()
        await second.release()  # not the holder: nothing happens
        assert await redis.get(key) == first.token.encode()
        await asyncio.sleep(0.15)
        assert await first.refresh(force=True)  # renewed before it expired
        await asyncio.sleep(0.2)
        assert not await second.acquire()  # still held thanks to the renewal
        await asyncio.sleep(0.35)
        assert not await first.refresh(force=True)  # expired: lost
        assert await second.acquire()
        await first.release()
        assert await redis.get(key) == second.token.encode()
    finally:
        await redis.delete(key)


@pytest.mark.usefixtures("db")
async def test_a_sync_whose_worker_died_reads_as_failed(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn,
    admin_conn: asyncpg.Connection,
) -> None:  # fmt: skip
    ada = await sign_in("ada.admin")
    _, children = parent_and_children(sim)
    mid = children[0]
    await run_sync(deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=True)
    await admin_conn.execute(
        "UPDATE metadata_sync_state SET status = 'running', phase = 'FIELDS',"
        " updated_at = now() - interval '11 minutes' WHERE tenant_id = $1 AND mid = $2",
        sim_tenant.tenant_id, mid,
    )  # fmt: skip

    progress = await current(sim_tenant.ctx(mid), mid)

    assert progress is not None
    assert (progress.state, progress.reason) == (SyncState.FAILED, "interrupted")
    again = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=False
    )
    assert again["state"] == "COMPLETE"
    progress = await current(sim_tenant.ctx(mid), mid)
    assert progress is not None and progress.state is SyncState.COMPLETE


@pytest.mark.usefixtures("db")
async def test_a_tenant_mce_cannot_be_reached_for_fails_the_sync_visibly(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn,
    admin_conn: asyncpg.Connection,
) -> None:  # fmt: skip
    ada = await sign_in("ada.admin")
    _, children = parent_and_children(sim)
    mid = children[1]
    await admin_conn.execute(
        "UPDATE tenants SET tssd = '' WHERE tenant_id = $1", sim_tenant.tenant_id
    )

    result = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=True
    )

    assert result["state"] == "FAILED"
    progress = await current(sim_tenant.ctx(mid), mid)
    assert progress is not None and progress.state is SyncState.FAILED
    assert progress.message == "Marketing Cloud cannot be reached."
