"""The reconciler against the simulator over HTTP and real Postgres/Redis: runs whose job
died before Perform, runs whose Perform answer was lost (MCE done, or still running), runs
past MCE's limit; audited; one reconciler at a time."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from uuid import UUID

from redis.asyncio import Redis

from services.runs.reconciler import LOCK_KEY, LOST_START, NOT_STARTED, TOO_LONG, reconcile
from tests.services.runs.test_poller import (
    Started,
    World,
    _complete_event,
    _shared_server,
    ahttp,
    deps,
    http,
    kek_a,
    keys,
    provider,
    sign_in,
    sim,
    sim_app,
    sim_tenant,
    sim_url,
    simctl,
    wallet,
    world,
)

__all__ = [
    "_shared_server",
    "ahttp",
    "deps",
    "http",
    "kek_a",
    "keys",
    "provider",
    "sign_in",
    "sim",
    "sim_app",
    "sim_tenant",
    "sim_url",
    "simctl",
    "wallet",
    "world",
]


async def _left_behind(
    world: World, run: Started, *, status: str, perform_sent: bool, task: bool = False
) -> None:
    """Make ``run`` look as a dead job left it ten minutes ago."""
    await world.admin.execute(
        "UPDATE runs SET status = $2, task_id = CASE WHEN $3 THEN task_id END,"
        " perform_sent_at = CASE WHEN $4 THEN perform_sent_at END,"
        " updated_at = now() - interval '10 minutes' WHERE id = $1",
        run.run_id, status, task, perform_sent,
    )  # fmt: skip


async def _audits(world: World, run_id: UUID) -> list[dict[str, object]]:
    rows = await world.admin.fetch(
        "SELECT actor_type, details FROM audit_events WHERE action = 'run.reconciled'"
        " AND target = $1",
        f"run:{run_id}",
    )
    out = []
    for row in rows:
        details = row["details"]
        out.append(
            {
                "actor_type": row["actor_type"],
                **(json.loads(details) if isinstance(details, str) else details),
            }
        )
    return out


async def test_a_run_whose_job_died_before_perform_fails_and_frees_its_shell(
    world: World,
) -> None:
    run = await world.start()
    await _left_behind(world, run, status="STARTING", perform_sent=False)
    report = await reconcile(world.poller_deps)
    assert report.failed == [run.run_id]
    row = await world.run_row(run.run_id)
    assert (row["status"], row["error_message"]) == ("FAILED", NOT_STARTED)
    assert await world.asset_states(run) == {"AVAILABLE"}
    (entry,) = await _audits(world, run.run_id)
    assert entry["actor_type"] == "system" and entry["why"] == "never_started"


async def test_a_lost_start_is_checked_in_mce_as_the_reconcile_rule_says(world: World) -> None:
    run = await world.start(perform=False)  # the Perform never reached MCE
    await _left_behind(world, run, status="STARTING", perform_sent=True)
    report = await reconcile(world.poller_deps)
    assert report.failed == [run.run_id]
    row = await world.run_row(run.run_id)
    assert (row["status"], row["error_message"]) == ("FAILED", LOST_START)
    assert await world.asset_states(run) == {"AVAILABLE"}
    (entry,) = await _audits(world, run.run_id)
    assert entry["actor_type"] == "user"
    assert entry["acting_for"] == str(world.user_id)
    assert entry["background"] == "reconcile" and entry["mce_running"] is False
    assert entry["rows_written"] is False
    assert (await world.simctl.http.get("__sim/tasks")).json()["tasks"] == []  # never resent


async def test_a_lost_start_that_ran_goes_to_the_poller_and_completes(
    world: World, redis: Redis
) -> None:
    run = await world.start()  # MCE ran it at once (durations are 0): its rows are there
    await _left_behind(world, run, status="STARTING", perform_sent=True)
    report = await reconcile(world.poller_deps)
    assert report.to_poller == [run.run_id] and report.failed == []
    row = await world.run_row(run.run_id)
    assert row["status"] == "RUNNING" and row["task_id"] is None
    (entry,) = await _audits(world, run.run_id)
    assert entry["rows_written"] is True
    event = await _complete_event(world, redis, run.run_id)
    assert event["status"] == "COMPLETE"
    assert run.task_id is not None
    task = await world.task(run.task_id)
    assert task["status"] == "Complete" and task["rows_written"] > 0
    assert len((await world.simctl.http.get("__sim/tasks")).json()["tasks"]) == 1


async def test_a_lost_start_mce_still_runs_is_left_alone(world: World) -> None:
    world.simctl.sim.config.query_queue_seconds = 600
    try:
        run = await world.start()
        await _left_behind(world, run, status="STARTING", perform_sent=True)
        report = await reconcile(world.poller_deps)
    finally:
        world.simctl.sim.config.query_queue_seconds = 0
    assert report.to_poller == [run.run_id] and report.failed == []
    assert (await world.run_row(run.run_id))["status"] == "RUNNING"
    assert await world.asset_states(run) == {"LEASED"}


async def test_a_run_past_the_hard_limit_fails_even_with_a_task(world: World) -> None:
    run = await world.start()
    await world.admin.execute(
        "UPDATE runs SET created_at = now() - interval '40 minutes',"
        " updated_at = now() - interval '10 minutes' WHERE id = $1",
        run.run_id,
    )
    report = await reconcile(world.poller_deps)
    assert report.failed == [run.run_id]
    row = await world.run_row(run.run_id)
    assert (row["error_code"], row["error_message"]) == ("RUN_INTERRUPTED", TOO_LONG)
    assert row["error_cause"] and row["error_fix"]  # the catalogue's timeout entry


async def test_recent_and_polled_runs_are_not_touched(world: World) -> None:
    run = await world.start()  # RUNNING with a task id: the poller's
    quiet = await world.start()
    await _left_behind(world, quiet, status="QUEUED", perform_sent=False)
    await world.admin.execute(  # but only a minute ago
        "UPDATE runs SET updated_at = now() - interval '1 minute' WHERE id = $1", quiet.run_id
    )
    report = await reconcile(world.poller_deps, stuck_after=timedelta(minutes=5))
    assert report.failed == [] and report.to_poller == []
    assert (await world.run_row(run.run_id))["status"] == "RUNNING"


async def test_one_reconciler_at_a_time(world: World, redis: Redis) -> None:
    run = await world.start()
    await _left_behind(world, run, status="QUEUED", perform_sent=False)
    await redis.set(LOCK_KEY, "someone-else", px=5_000)
    try:
        skipped = await reconcile(world.poller_deps)
    finally:
        await redis.delete(LOCK_KEY)
    assert skipped.skipped and skipped.failed == []
    first, second = await asyncio.gather(reconcile(world.poller_deps), reconcile(world.poller_deps))
    assert sorted([first.skipped, second.skipped]) == [False, True]
    assert (first.failed or second.failed) == [run.run_id]


async def test_a_running_run_without_a_task_is_left_to_the_poller(world: World) -> None:
    run = await world.start()
    await _left_behind(world, run, status="RUNNING", perform_sent=True)
    report = await reconcile(world.poller_deps)
    assert report.failed == [] and report.to_poller == []
    assert (await world.run_row(run.run_id))["status"] == "RUNNING"
