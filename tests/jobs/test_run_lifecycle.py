"""A run from ``startRun``'s service to COMPLETE through real processes: the RQ worker
(``python -m app.worker``) starts it in MCE, the poller (``python -m app.poller``) sees it
finish; the events stream tells each step. Then the worker SIGKILLed after sending Perform (its
answer delayed): the reconciler finds MCE ran it, the poller completes it, and MCE executed it
exactly once (``/__sim/tasks``). Jobs and events on R2's own Redis db."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from app.settings import Settings
from models.runs import RunStatus
from services.job_queue import JobQueue
from services.runs import events
from services.runs.execute import StartDeps
from services.runs.poller import PollerDeps
from services.runs.reconciler import reconcile
from services.runs.start import get_run, start_run
from services.runs.store import RunInfo
from services.wallet import KeyEncryptionKey
from simulator.state import Simulator
from tests.fixtures import private_job_queue, spawn_process, stop_processes, worker_env
from tests.services.runs.engine import (
    Member,
    _shared_server,
    ahttp,
    config,
    deps,
    http,
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
    "_shared_server", "ahttp", "config", "deps", "http", "kek_a", "keys", "member", "provider",
    "sim", "sim_app", "sim_tenant", "sim_url", "simctl", "wallet",
]  # fmt: skip

pytestmark = [pytest.mark.usefixtures("db"), pytest.mark.slow]

R2_REDIS_URL = "redis://127.0.0.1:6379/8"  # R2's own: no other test's worker takes these jobs
SQL = "SELECT c.LinkName FROM _Click c"


@pytest.fixture
def jobs8() -> Iterator[JobQueue]:
    with private_job_queue(R2_REDIS_URL) as queue:
        yield queue


@pytest_asyncio.fixture
async def redis8() -> AsyncIterator[Redis]:
    client = Redis.from_url(R2_REDIS_URL)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def spawn(db: Settings, sim: Simulator, sim_url: str, kek_a: KeyEncryptionKey) -> Iterator[Any]:
    """Start ``python -m <module> <args>`` on the test's database, R2's Redis and the
    simulator, in a process group of its own (stopped afterwards)."""
    env = worker_env(
        database_url=db.database_url, redis_url=R2_REDIS_URL, sim=sim, sim_url=sim_url, kek=kek_a
    )
    started: list[subprocess.Popen[bytes]] = []

    def _spawn(module: str, *args: str) -> subprocess.Popen[bytes]:
        started.append(spawn_process(module, *args, env=env))
        return started[-1]

    yield _spawn
    stop_processes(started)


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (RQ's work-horse runs in a session of its own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


async def _statuses_until_final(redis: Redis, run_id: UUID, *, within: float) -> list[str]:
    async def follow() -> list[str]:
        return [e["status"] async for _, e in events.replay_and_follow(redis, run_id, after=None)]

    return await asyncio.wait_for(follow(), within)


async def _counted(member: Member, run_id: UUID, *, within: float) -> RunInfo:
    """The run once its row count is recorded (or as it is after ``within`` seconds)."""
    deadline = time.monotonic() + within
    while True:
        run = await get_run(member.ctx, user_id=member.user.id, run_id=run_id)
        if run.row_count is not None or time.monotonic() > deadline:
            return run
        await asyncio.sleep(0.2)


async def test_a_run_goes_from_start_to_complete_through_real_processes(
    member: Member, jobs8: JobQueue, redis8: Redis, simctl: SimControl, spawn: Any
) -> None:
    outcome = await start_run(member.ctx, user_id=member.user.id, sql=SQL, jobs=jobs8, redis=redis8)
    assert outcome.run is not None
    run_id = outcome.run.id
    spawn("app.worker", "--no-metadata-scheduler")
    spawn("app.poller")
    statuses = await _statuses_until_final(redis8, run_id, within=60)
    assert statuses[-1] == "COMPLETE", statuses
    assert statuses.index("RUNNING") < statuses.index("COMPLETE")
    # Nobody reads the result: the poller process counts its rows a few seconds later.
    run = await _counted(member, run_id, within=30)
    assert run.status is RunStatus.COMPLETE and run.row_count is not None and run.row_count > 0
    tasks = await sim_tasks(simctl)
    assert len(tasks) == 1 and tasks[0]["rows_written"] == run.row_count


async def test_the_worker_killed_after_perform_the_run_completes_once(
    member: Member, jobs8: JobQueue, redis8: Redis, simctl: SimControl, spawn: Any,
    deps: StartDeps, db: Settings,
) -> None:  # fmt: skip
    # Perform reaches MCE, which answers only 3 s later: the worker dies meanwhile.
    fault = {"operation": "soap.Perform.QueryDefinition", "kind": "slow", "delay_ms": 3000}
    assert (await simctl.http.post("__sim/faults", json=fault)).status_code == 201
    outcome = await start_run(member.ctx, user_id=member.user.id, sql=SQL, jobs=jobs8, redis=redis8)
    assert outcome.run is not None
    run_id = outcome.run.id
    worker = spawn("app.worker", "--no-metadata-scheduler")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        operations = (await simctl.http.get("__sim/stats")).json()["operations"]
        if operations.get("soap.Perform.QueryDefinition", 0):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the worker never sent Perform")
    for pid in (*_children(worker.pid), worker.pid):  # the work-horse (own session), the worker
        os.kill(pid, signal.SIGKILL)
    worker.wait(timeout=10)
    await asyncio.sleep(3.5)  # MCE executes the start it got
    run = await get_run(member.ctx, user_id=member.user.id, run_id=run_id)
    assert run.status is RunStatus.STARTING and run.perform_sent_at is not None
    assert run.task_id is None

    poller_deps = PollerDeps(
        system_url=db.system_database_url, redis=redis8, http=deps.http, tokens=deps.tokens,
        policy=deps.policy,
    )  # fmt: skip
    report = await reconcile(poller_deps, stuck_after=timedelta(0))
    assert report.to_poller == [run_id]
    spawn("app.poller")
    statuses = await _statuses_until_final(redis8, run_id, within=60)
    assert statuses[-1] == "COMPLETE", statuses
    run = await _counted(member, run_id, within=30)
    assert run.row_count is not None and run.row_count > 0
    tasks = await sim_tasks(simctl)
    assert len(tasks) == 1  # MCE executed it once: never resent
    operations = (await simctl.http.get("__sim/stats")).json()["operations"]
    assert operations["soap.Perform.QueryDefinition"] == 1
