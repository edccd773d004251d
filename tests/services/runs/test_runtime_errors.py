"""Runs that fail while MCE executes them, end to end: ``startRun`` through the GraphQL schema,
the start job over HTTP (acting as the user), the real poller, then ``run(id) { status error
{ code message cause fix } }``: FAILED with MCE's own message, the error catalogue's code
(tsql/mce_errors.py), cause and fix, and the shell back in the pool.

* conversion: the query itself fails on a value (``CAST`` of text to a number);
* truncation: Quarry sized the shell from a stale metadata cache (the DE's field was widened
  in MCE and longer values written since the last sync), so MCE cannot write a value;
* duplicate primary key: no SQL can provoke it in a shell (shells have no primary key), so
  MCE's report is planned through the simulator's control API (``/__sim/tasks/plan`` errors);
* timeout: MCE stops the query at its 30-minute limit (the simulator's clock is moved on, no
  sleeping), and Quarry's own limit fails a run MCE never reports done.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from redis.asyncio import Redis

from models import TenantRepository
from models.runs import AssetState, RunStatus
from schema.context import GraphQLContext
from schema.global_ids import decode_global_id
from services.identity import Principal
from services.job_queue import JobQueue
from services.metadata.sync import SyncDeps, run_sync
from services.runs.execute import StartDeps, start_run_job
from services.runs.poller import PollerDeps
from services.runs.pool import asset_rows
from simulator.store_rules import FieldSpec
from tests.fixtures import execute, graphql_context
from tests.services.runs.driving import poller_deps, until_final
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

START = (
    "mutation ($sql: String!) { startRun(input: {sql: $sql}) {"
    " run { id status } userErrors { code message } } }"
)
RUN = "query ($id: ID!) { run(id: $id) { status rowCount error { code message cause fix } } }"


def _context(member: Member, jobs: JobQueue, redis: Redis) -> GraphQLContext:
    principal = Principal(tenant_id=member.tenant_id, mid=member.mid, user_id=member.user.id)
    return graphql_context(principal, jobs=jobs, redis=redis)


async def _start(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, sql: str
) -> tuple[GraphQLContext, str, UUID]:
    """``startRun`` by GraphQL, then the start job the worker would run; the run's ids."""
    ctx = _context(member, jobs, redis)
    started = (await execute(ctx, START, sql=sql))["startRun"]
    assert started["userErrors"] == [] and started["run"]["status"] == "QUEUED", started
    decoded = decode_global_id(started["run"]["id"])
    assert decoded is not None
    run_id = UUID(decoded[1])
    result = await start_run_job(deps, tenant_id=member.tenant_id, mid=member.mid, run_id=run_id)
    assert result == {"outcome": "running", "task": True}, result
    return ctx, started["run"]["id"], run_id


async def _failed_as_shown(
    member: Member, poller_deps: PollerDeps, ctx: GraphQLContext, global_id: str, run_id: UUID
) -> dict[str, Any]:
    """The run once the poller ended it, as ``run(id)`` shows it; its shell is free again."""
    await until_final(member, poller_deps, run_id)
    shown: dict[str, Any] = (await execute(ctx, RUN, id=global_id))["run"]
    assert shown["status"] == "FAILED" and shown["rowCount"] is None, shown
    shells = await asset_rows(TenantRepository(member.ctx), "kind IN ('DE', 'QD')", [])
    assert shells and {a.state for a in shells} == {AssetState.AVAILABLE}
    return shown


async def test_a_conversion_error_in_mce_is_shown_with_its_hint(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl,
    poller_deps: PollerDeps,
) -> None:  # fmt: skip
    ctx, global_id, run_id = await _start(
        member, deps, jobs, redis, "SELECT CAST(c.LinkName AS INT) AS LinkNumber FROM _Click c"
    )
    shown = await _failed_as_shown(member, poller_deps, ctx, global_id, run_id)
    [task] = await sim_tasks(simctl)
    assert task["status"] == "Error" and task["error_message"].startswith("Conversion failed")
    error = shown["error"]
    assert error["message"] == task["error_message"]
    assert error["code"] == "CONVERSION_FAILED_VALUE"
    assert "convert" in error["cause"].lower() and error["fix"]


async def test_a_value_longer_than_the_cached_metadata_said_is_a_truncation_with_its_hint(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl,
    poller_deps: PollerDeps,
) -> None:  # fmt: skip
    sim = simctl.sim
    notes = sim.store.create_de(
        mid=member.mid, name="Call Notes", customer_key="call_notes",
        fields=[FieldSpec(name="Note", field_type="Text", max_length=50)],
    )  # fmt: skip
    sim.rows.insert(notes, [{"Note": "short enough"}])
    synced = await run_sync(
        SyncDeps(redis=redis, http=deps.http, tokens=deps.tokens, policy=deps.policy,
                 cursor_margin=timedelta(0)),
        tenant_id=member.tenant_id, mid=member.mid, user_id=member.user.id, full=True,
    )  # fmt: skip
    assert synced.get("state") == "COMPLETE", synced
    # Since the sync, someone widened the field in MCE and wrote a longer note.
    sim.store.update_field(notes, "Note", FieldSpec(name="Note", max_length=500))
    sim.rows.insert(notes, [{"Note": "x" * 300}])

    ctx, global_id, run_id = await _start(
        member, deps, jobs, redis, "SELECT n.Note FROM [Call Notes] n"
    )
    shown = await _failed_as_shown(member, poller_deps, ctx, global_id, run_id)
    [task] = await sim_tasks(simctl)
    error = shown["error"]
    assert error["message"] == task["error_message"]
    assert error["message"].startswith("String or binary data would be truncated")
    assert error["code"] == "STRING_TRUNCATED"
    assert error["cause"] and error["fix"]
    assert "metadata" in error["fix"].lower()  # a run's shell is Quarry's: refresh, re-run


async def test_a_duplicate_key_reported_by_mce_is_shown_with_its_hint(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl,
    poller_deps: PollerDeps,
) -> None:  # fmt: skip
    message = (
        "Violation of PRIMARY KEY constraint 'PK_Links'. Cannot insert duplicate key in object"
        " 'dbo.Links'. The duplicate key value is (42)."
    )
    await simctl.control("tasks/plan", {"seconds": [0.05], "errors": [message]})
    ctx, global_id, run_id = await _start(
        member, deps, jobs, redis, "SELECT c.LinkName FROM _Click c"
    )
    shown = await _failed_as_shown(member, poller_deps, ctx, global_id, run_id)
    error = shown["error"]
    assert (error["message"], error["code"]) == (message, "PRIMARY_KEY_VIOLATION")
    assert "42" in error["cause"] and error["fix"]


async def test_mces_30_minute_limit_is_a_timeout_with_its_hint(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl,
    poller_deps: PollerDeps,
) -> None:  # fmt: skip
    await simctl.control("tasks/plan", {"seconds": [2 * 3600]})
    ctx, global_id, run_id = await _start(
        member, deps, jobs, redis, "SELECT c.LinkName FROM _Click c"
    )
    await simctl.control("clock/advance", {"seconds": 30 * 60})
    shown = await _failed_as_shown(member, poller_deps, ctx, global_id, run_id)
    [task] = await sim_tasks(simctl)
    error = shown["error"]
    assert error["message"] == task["error_message"] and "30 minutes" in error["message"]
    assert error["code"] == "TIMEOUT"
    assert "30" in error["cause"] and error["fix"]


async def test_a_run_mce_never_reports_done_fails_at_quarrys_limit_with_the_timeout_hint(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl,
    poller_deps: PollerDeps, admin_conn: asyncpg.Connection,
) -> None:  # fmt: skip
    await simctl.control("tasks/plan", {"seconds": [2 * 3600]})
    ctx, global_id, run_id = await _start(
        member, deps, jobs, redis, "SELECT c.LinkName FROM _Click c"
    )
    await admin_conn.execute(
        "UPDATE runs SET started_at = now() - interval '40 minutes' WHERE id = $1", run_id
    )
    shown = await _failed_as_shown(member, poller_deps, ctx, global_id, run_id)
    error = shown["error"]
    assert error["code"] == "MCE_TIMEOUT" and "30-minute" in error["message"]
    assert error["cause"] and error["fix"]  # the catalogue's timeout entry
    final = await until_final(member, poller_deps, run_id)
    assert final.status is RunStatus.FAILED
