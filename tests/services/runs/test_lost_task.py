"""A start whose TaskID was lost, then the run failing in MCE: the run must end FAILED, never
COMPLETE with 0 rows (what happened when the poller judged a run without a task id by
``isrunning`` alone: not running + no rows read as an empty result).

Real engine over HTTP (start job, poller), real Postgres and Redis; MCE's Perform answer is
lost with the simulator's ``lose_answer`` fault (the query is started, the answer dropped).
"""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from models.runs import RunStatus
from services.job_queue import JobQueue
from services.runs.execute import StartDeps
from services.runs.poller import PollerDeps
from tests.services.runs.driving import poller_deps, start_and_perform, until_final
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
    "_shared_server", "ahttp", "config", "deps", "http", "jobs", "kek_a", "keys", "member",
    "poller_deps", "provider", "sim", "sim_app", "sim_tenant", "sim_url", "simctl", "wallet",
]  # fmt: skip

pytestmark = pytest.mark.usefixtures("db")

#: Fails in MCE while it runs: LinkName is text ("Conversion failed when converting ...").
FAILS = "SELECT CAST(c.LinkName AS INT) AS LinkNumber FROM _Click c"
STATUS_CALL = "soap.Retrieve.AsyncActivityStatus"


async def _lose_the_perform_answer(simctl: SimControl) -> None:
    await simctl.control(
        "faults", {"operation": "soap.Perform.QueryDefinition", "kind": "lose_answer", "times": 1}
    )


async def test_a_lost_start_finds_its_task_and_a_failure_is_reported_as_mce_said(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl,
    poller_deps: PollerDeps,
) -> None:  # fmt: skip
    await _lose_the_perform_answer(simctl)
    run, result = await start_and_perform(member, deps, jobs, redis, FAILS)
    assert result["outcome"] == "running", result
    [task] = await sim_tasks(simctl)
    assert run.task_id == task["task_id"]  # found again in MCE, by its query definition
    final = await until_final(member, poller_deps, run.id)
    [task] = await sim_tasks(simctl)  # executed once
    assert task["status"] == "Error"
    assert final.status is RunStatus.FAILED and final.row_count is None
    assert final.error is not None
    assert final.error.message == task["error_message"]
    assert final.error.code == "CONVERSION_FAILED_VALUE"
    assert final.error.cause and final.error.fix


async def test_a_running_run_without_its_task_id_is_judged_by_the_task_the_poller_finds(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl,
    poller_deps: PollerDeps, admin_conn: object,
) -> None:  # fmt: skip
    """MCE did not list the task yet when the start job looked: the poller finds it."""
    import asyncpg

    assert isinstance(admin_conn, asyncpg.Connection)
    run, result = await start_and_perform(member, deps, jobs, redis, FAILS)
    assert result == {"outcome": "running", "task": True}
    await admin_conn.execute("UPDATE runs SET task_id = NULL WHERE id = $1", run.id)
    final = await until_final(member, poller_deps, run.id)
    [task] = await sim_tasks(simctl)
    assert final.status is RunStatus.FAILED
    assert final.task_id == task["task_id"]
    assert final.error is not None and final.error.message == task["error_message"]
    assert final.error.code == "CONVERSION_FAILED_VALUE"


async def test_a_lost_start_whose_task_mce_will_not_show_fails_rather_than_look_empty(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl,
    poller_deps: PollerDeps,
) -> None:  # fmt: skip
    """MCE refuses every status Retrieve: the run cannot be told from an empty result, so it
    fails saying so instead of claiming 0 rows."""
    await simctl.control(
        "faults", {"operation": STATUS_CALL, "kind": "error", "status": 400, "times": 1000}
    )
    await _lose_the_perform_answer(simctl)
    run, result = await start_and_perform(member, deps, jobs, redis, FAILS)
    assert result == {"outcome": "running", "task": False}
    final = await until_final(member, poller_deps, run.id)
    assert final.status is RunStatus.FAILED and final.row_count is None
    assert final.error is not None and final.error.code == "OUTCOME_UNKNOWN"
    assert "again" in final.error.message


async def test_a_lost_start_that_wrote_rows_still_completes_with_its_count(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl,
    poller_deps: PollerDeps,
) -> None:  # fmt: skip
    await simctl.control(
        "faults", {"operation": STATUS_CALL, "kind": "error", "status": 400, "times": 1000}
    )
    await _lose_the_perform_answer(simctl)
    run, _ = await start_and_perform(member, deps, jobs, redis, "SELECT c.LinkName FROM _Click c")
    final = await until_final(member, poller_deps, run.id)
    [task] = await sim_tasks(simctl)
    assert final.status is RunStatus.COMPLETE
    assert final.row_count == task["rows_written"] > 0
