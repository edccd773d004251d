"""Driving a run to its end through the real engine, for tests that import
tests/services/runs/engine.py's fixtures: the start job (over HTTP, as the run's user), then
the real poller (services/runs/poller.py, as the system role) round after round until the run
is final.

The poller watches every tenant's runs: runs other tests of the session left RUNNING (under
simulators long gone) would be polled too, so :func:`poller_deps` settles them first, as
tests/services/runs/test_poller.py does.
"""

from __future__ import annotations

import asyncio
import time
from uuid import UUID

import asyncpg
import pytest_asyncio
from redis.asyncio import Redis

from app.settings import Settings
from models.runs import FINAL_RUN_STATUSES, RunStatus
from services.job_queue import JobQueue
from services.runs.execute import StartDeps, start_run_job
from services.runs.poller import Poller, PollerDeps
from services.runs.start import get_run, start_run
from services.runs.store import RunInfo
from tests.services.runs.engine import Member

__all__ = ["poller_deps", "start_and_perform", "until_final"]


@pytest_asyncio.fixture
async def poller_deps(
    db: Settings, deps: StartDeps, member: Member, admin_conn: asyncpg.Connection
) -> PollerDeps:
    await admin_conn.execute(
        "UPDATE runs SET status = 'FAILED' WHERE tenant_id <> $1"
        " AND status IN ('RUNNING', 'CANCELED', 'QUEUED', 'STARTING')",
        member.tenant_id,
    )
    assert deps.config is not None
    return PollerDeps(
        system_url=db.system_database_url,
        redis=deps.redis,
        http=deps.http,
        tokens=deps.tokens,
        policy=deps.policy,
        config=deps.config,
        calls_per_second_per_bu=20,
    )


async def start_and_perform(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, sql: str
) -> tuple[RunInfo, dict[str, object]]:
    """``startRun``'s service, then the start job; the run as it stands and the job's answer."""
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql=sql, jobs=jobs, redis=redis, config=deps.config
    )
    assert outcome.run is not None, outcome.findings
    result = await start_run_job(
        deps, tenant_id=member.tenant_id, mid=member.mid, run_id=outcome.run.id
    )
    return await get_run(member.ctx, user_id=member.user.id, run_id=outcome.run.id), result


async def until_final(
    member: Member, poller_deps: PollerDeps, run_id: UUID, *, within: float = 20.0
) -> RunInfo:
    """Poller rounds (a fresh poller, as after a restart, keeps nothing) until the run is
    final; the run then."""
    poller = Poller(poller_deps)
    deadline = time.monotonic() + within
    try:
        while True:
            await poller.run_once()
            run = await get_run(member.ctx, user_id=member.user.id, run_id=run_id)
            if run.status in FINAL_RUN_STATUSES and run.status is not RunStatus.EXPIRED:
                return run
            assert time.monotonic() < deadline, f"run still {run.status} after {within} s"
            await asyncio.sleep(0.05)
    finally:
        await poller.close()
