"""``check_mce_connection`` acts through services/acting.py, in a real worker process.

A user with no usable token: the job, run by ``python -m app.worker --burst``, fails with
``NeedsSignIn``, the check waits and the BU says ``needs_sign_in``. The user signs in (a real
refresh token from the simulator into the wallet); resuming enqueues the same check again, and
a second burst of the real worker runs it against the simulator: it succeeds, acting for that
user, and says so in the audit log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from redis import Redis as SyncRedis
from rq.job import Job, JobStatus

from app.settings import Settings
from client.secret import Secret
from jobs.connection import JOB, TIMEOUT_SECONDS, idempotency_key
from models import BackgroundState, BusinessUnit, GrantKind, TenantRepository, User, WaitingWork
from services.job_queue import JobQueue
from services.waiting_work import resume_waiting_work
from services.wallet import KeyEncryptionKey, TokenWallet
from simulator.state import Simulator
from tests.services.wallet.helpers import SimControl, SimTenant, keks_text, sim_user_id

pytestmark = [pytest.mark.usefixtures("db"), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# A Redis database of this test's own, so the burst worker runs only this test's jobs (and
# other tests' burst workers on the shared test database never take them).
JOBS_REDIS_URL = "redis://127.0.0.1:6379/11"


@pytest.fixture
def jobs() -> Iterator[JobQueue]:
    queue = JobQueue.from_url(JOBS_REDIS_URL)
    try:
        yield queue
    finally:
        queue.close()


def _run_worker(env: dict[str, str]) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "app.worker", "--burst"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout + completed.stderr


def _dump_redis(connection: SyncRedis) -> str:
    parts: list[str] = []
    for key in connection.scan_iter(count=500):
        parts.append(key.decode(errors="replace"))
        kind = connection.type(key).decode()
        if kind == "string":
            parts.append(repr(connection.get(key)))
        elif kind == "hash":
            parts.append(repr(connection.hgetall(key)))
        elif kind == "list":
            parts.append(repr(connection.lrange(key, 0, -1)))
        elif kind == "zset":
            parts.append(repr(connection.zrange(key, 0, -1)))
        elif kind == "set":
            parts.append(repr(connection.smembers(key)))
    return "\n".join(parts)


async def test_a_check_waits_for_sign_in_and_a_real_worker_runs_it_when_resumed(
    db: Settings,
    sim: Simulator,
    sim_url: str,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    kek_a: KeyEncryptionKey,
    jobs: JobQueue,
    admin_conn: asyncpg.Connection,
) -> None:
    tenant_id, mid = sim_tenant.tenant_id, sim_tenant.parent_mid
    ada = sim_tenant.user("ada.admin")
    mce_user_id = sim_user_id(sim)
    ctx = sim_tenant.ctx(mid)
    repo = TenantRepository(ctx)
    package = sim.enhanced_package
    env = {
        "QUARRY_ENV": "test",
        "DATABASE_URL": db.database_url,
        "REDIS_URL": JOBS_REDIS_URL,
        "MCE_AUTH_BASE_URL": sim_url,
        "MCE_CLIENT_ID": package.client_id,
        "MCE_CLIENT_SECRET": package.client_secret,
        "WALLET_KEKS": keks_text(kek_a),
    }
    key = idempotency_key(tenant_id, mid, mce_user_id)
    first = await jobs.enqueue(
        JOB, tenant_id, mid, mce_user_id, idempotency_key=key, timeout_seconds=TIMEOUT_SECONDS
    )
    connection = SyncRedis.from_url(JOBS_REDIS_URL)
    try:
        # Ada has never signed in: nobody can act, the check waits.
        _run_worker(env)
        job = Job.fetch(first.job_id, connection=connection)
        assert job.get_status() is JobStatus.FAILED
        assert "NeedsSignIn" in (job.latest_result().exc_string or "")  # type: ignore[union-attr]
        [waiting] = await repo.of(WaitingWork).list()
        assert (waiting.job, waiting.args, waiting.waiting_for_user_id) == (
            JOB,
            [tenant_id, mid, mce_user_id],
            ada.id,
        )
        bu = await repo.of(BusinessUnit).get_or_none(mid=mid)
        assert bu is not None and bu.background_state is BackgroundState.NEEDS_SIGN_IN

        # Ada signs in: a real refresh token, a fresh last_login_at; sign-in resumes.
        grant = await simctl.tokens(user="ada.admin")
        await wallet.put_refresh_token(
            ctx,
            user_id=ada.id,
            mid=mid,
            kind=GrantKind.ENHANCED,
            token=Secret(grant["refresh_token"]),
        )
        await repo.of(User).update({"id": ada.id}, last_login_at=datetime.now(UTC))
        resumed = await resume_waiting_work(ctx, user_id=ada.id, enqueue=jobs)
        assert [j.job_id for j in resumed.jobs] == [first.job_id]
        assert resumed.ready_mids == (mid,)

        _run_worker(env)
        job = Job.fetch(first.job_id, connection=connection)
        assert job.get_status() is JobStatus.FINISHED
        assert job.return_value() == {
            "ok": True,
            "enterprise_id": sim.store.enterprise.eid,
            "member_id": mid,
            "user_id": mce_user_id,
        }
        assert await repo.of(WaitingWork).list() == []
        bu = await repo.of(BusinessUnit).get_or_none(mid=mid)
        assert bu is not None and bu.background_state is BackgroundState.READY
        rows = await admin_conn.fetch(
            "SELECT actor_type, actor_id, outcome, details FROM audit_events"
            " WHERE tenant_id = $1 AND action = 'mce.connection_checked' ORDER BY id",
            tenant_id,
        )
        assert [(r["actor_type"], r["actor_id"], r["outcome"]) for r in rows] == [
            ("user", str(ada.id), "success")
        ]
        details = json.loads(rows[0]["details"])
        assert (details["acting_for"], details["why"]) == (str(ada.id), "checked_user")

        # No token the simulator issued is anywhere in RQ's records (job arguments, results,
        # the failed run's traceback) nor in the audit rows.
        issued = [t.rsplit(".", 1)[-1] for t in [*sim.auth._access, *sim.auth._refresh]]
        assert len(issued) >= 3  # the sign-in's pair and the worker's refresh
        stored = _dump_redis(connection) + str([dict(r) for r in rows])
        assert [t for t in issued if t in stored] == []
    finally:
        Job(first.job_id, connection=connection).delete()
        connection.close()
