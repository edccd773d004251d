"""``jobs.metadata.sync_business_unit`` in a real worker process (``python -m app.worker
--burst``): requested through ``request_sync``, run against the simulator over HTTP, acting as
the requester; the cache and the progress say COMPLETE; no token reaches RQ's records."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from redis import Redis as SyncRedis
from rq.job import Job, JobStatus

from app.settings import Settings
from client.secret import Secret
from models import GrantKind, TenantContext, TenantRepository, User
from services.job_queue import JobQueue, job_id_for
from services.metadata.progress import SyncState, current
from services.metadata.sync import request_sync, sync_job_key
from services.wallet import KeyEncryptionKey, TokenWallet
from simulator.state import Simulator
from tests.fixtures import private_job_queue, run_burst_worker, worker_env
from tests.services.wallet.helpers import SimControl, SimTenant
from tests.simulator.conftest import make_sim

pytestmark = [pytest.mark.usefixtures("db"), pytest.mark.slow]

JOBS_REDIS_URL = "redis://127.0.0.1:6379/13"  # this test's own: only its jobs run here


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = make_sim(with_rows=False)
    yield simulator
    simulator.close()


@pytest.fixture
def jobs() -> Iterator[JobQueue]:
    with private_job_queue(JOBS_REDIS_URL) as queue:
        yield queue


async def test_a_requested_sync_runs_in_a_real_worker(
    db: Settings, sim: Simulator, sim_url: str, simctl: SimControl, sim_tenant: SimTenant,
    wallet: TokenWallet, kek_a: KeyEncryptionKey, jobs: JobQueue,
) -> None:  # fmt: skip
    parent = sim.store.enterprise.eid
    child = sorted(m for m in sim.store.business_units if m != parent)[0]
    ada = sim_tenant.user("ada.admin")
    grant = await simctl.tokens(user="ada.admin")
    await wallet.put_refresh_token(
        sim_tenant.ctx(parent), user_id=ada.id, mid=parent, kind=GrantKind.ENHANCED,
        token=Secret(grant["refresh_token"]),
    )  # fmt: skip
    await (
        TenantRepository(sim_tenant.ctx(parent))
        .of(User)
        .update({"id": ada.id}, last_login_at=datetime.now(UTC))
    )
    ctx = TenantContext(tenant_id=sim_tenant.tenant_id, mid=child)
    queued = await request_sync(ctx, mid=child, user_id=ada.id, full=False, jobs=jobs)
    assert queued.state is SyncState.RUNNING

    env = worker_env(
        database_url=db.database_url, redis_url=JOBS_REDIS_URL, sim=sim, sim_url=sim_url,
        kek=kek_a,
    )  # fmt: skip
    await asyncio.to_thread(run_burst_worker, env)

    connection = SyncRedis.from_url(JOBS_REDIS_URL)
    job_id = job_id_for(sync_job_key(sim_tenant.tenant_id, child, full=False))
    try:
        job = Job.fetch(job_id, connection=connection)
        assert job.get_status() is JobStatus.FINISHED, job.latest_result()
        result = job.return_value()
        assert result is not None and result["state"] == "COMPLETE"
        assert result["shared"] == "COMPLETE"
        assert result["data_extensions_done"] == len(sim.store.list_des(child))
        progress = await current(ctx, child)
        assert progress is not None and progress.state is SyncState.COMPLETE
        assert progress.shared is not None and progress.shared.state is SyncState.COMPLETE
        seen_from_child = TenantContext(
            tenant_id=sim_tenant.tenant_id, mid=child, visible_mids=frozenset({child, parent})
        )
        rows = await TenantRepository(seen_from_child).fetch(
            "SELECT count(*) AS n FROM mce_data_extensions"
        )
        assert rows[0]["n"] == len(sim.store.list_des(child)) + 2  # + the parent's shared DEs

        issued = [t.rsplit(".", 1)[-1] for t in [*sim.auth._access, *sim.auth._refresh]]
        stored = b" ".join(
            connection.dump(k) or b"" for k in connection.scan_iter(count=500)
        ).decode("latin-1")
        assert issued and [t for t in issued if t in stored] == []
    finally:
        if Job.exists(job_id, connection=connection):
            Job(job_id, connection=connection).delete()
        connection.close()
