"""``jobs.metadata.sync_business_unit`` in a real worker process (``python -m app.worker
--burst``): requested through ``request_sync``, run against the simulator over HTTP, acting as
the requester; the cache and the progress say COMPLETE; no token reaches RQ's records."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis import Redis as SyncRedis
from rq import Queue
from rq.job import Job, JobStatus

from app.settings import Settings
from client.secret import Secret
from models import GrantKind, TenantContext, TenantRepository, User
from services.job_queue import JobQueue, job_id_for
from services.metadata.progress import SyncState, current
from services.metadata.sync import request_sync, sync_job_key
from services.wallet import KeyEncryptionKey, TokenWallet
from simulator.state import Simulator
from tests.services.wallet.helpers import SimControl, SimTenant, keks_text
from tests.simulator.conftest import make_sim

pytestmark = [pytest.mark.usefixtures("db"), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
JOBS_REDIS_URL = "redis://127.0.0.1:6379/13"  # this test's own: only its jobs run here


def _run_worker(env: dict[str, str]) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "app.worker", "--burst"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = make_sim(with_rows=False)
    yield simulator
    simulator.close()


@pytest.fixture
def jobs() -> Iterator[JobQueue]:
    queue = JobQueue.from_url(JOBS_REDIS_URL)
    for name in ("high", "default", "low"):
        Queue(name, connection=queue.connection).empty()  # leftovers of an interrupted run
    try:
        yield queue
    finally:
        queue.close()


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

    package = sim.enhanced_package
    env = {
        **os.environ,
        "QUARRY_ENV": "test",
        "DATABASE_URL": db.database_url,
        "REDIS_URL": JOBS_REDIS_URL,
        "MCE_AUTH_BASE_URL": sim_url,
        "MCE_CLIENT_ID": package.client_id,
        "MCE_CLIENT_SECRET": package.client_secret,
        "WALLET_KEKS": keks_text(kek_a),
    }
    await asyncio.to_thread(_run_worker, env)

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
