"""The poller against the simulator over HTTP, real Postgres (system and app roles) and Redis:
completion seen (never before the simulator's exact completion time) and published as an
event once (how fast is bench/runs.py's ``detect_median_s`` / ``detect_p95_s``, not a
test's); two pollers at once poll a BU once; a failed run carries MCE's message and the
catalogue's hint and frees its shell; a canceled run's draining shell is freed once MCE is
done; MCE refusing batched status calls falls back per task."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from uuid import UUID, uuid4

import asyncpg
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from app.settings import Settings
from client.bridge import MceBridge
from client.soap import NewQueryDefinition
from models import TenantContext
from services.mce_bridges import bridge_for_user
from services.metadata.preview import MceAccess
from services.metadata.sync import SyncDeps
from services.runs import events
from services.runs.poller import TIMEOUT_MESSAGE, Poller, PollerDeps
from services.runs.reading import open_results
from services.runs.start import cancel_run
from services.runs.status_checks import BatchMemory
from services.runs.store import columns_json
from simulator.state import Simulator
from tests.services.metadata.conftest import (
    SignIn,
    _shared_server,
    ahttp,
    deps,
    http,
    kek_a,
    keys,
    provider,
    sign_in,
    sim_app,
    sim_tenant,
    sim_url,
    simctl,
    wallet,
)
from tests.services.wallet.helpers import SimControl, SimTenant
from tests.simulator.conftest import make_sim
from tests.tsql.test_oracle_targets import catalog_for, create_target
from tsql import prepare_run

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
]

OPTED_IN = "SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 1"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """The seeded simulator with its rows (a completed run's rows are counted)."""
    simulator = make_sim()
    yield simulator
    simulator.close()


@dataclass
class Started:
    run_id: UUID
    task_id: str | None
    qd_asset_id: UUID
    de_asset_id: UUID


@dataclass
class World:
    tenant: SimTenant
    mid: int
    user_id: UUID
    bridge: MceBridge
    admin: asyncpg.Connection
    simctl: SimControl
    poller_deps: PollerDeps

    async def start(
        self, text: str = OPTED_IN, *, status: str = "RUNNING", perform: bool = True
    ) -> Started:
        """A run as the start job leaves it: a leased shell pair, Perform sent, the task id."""
        suffix = uuid4().hex[:10]
        de_key = f"qpoll_de_{suffix}"
        marker = f"run-{suffix}"
        rewrite = await prepare_run(
            text, catalog=catalog_for(self.simctl.sim, self.mid), marker=marker
        )
        assert rewrite.sql is not None, rewrite.findings
        create_target(self.simctl.sim, mid=self.mid, key=de_key, columns=rewrite.columns)
        helpers = {rewrite.marker_column, rewrite.order_column}
        user_columns = [c for c in rewrite.columns if c.name not in helpers]
        created = await self.bridge.soap.create_query_definition(
            NewQueryDefinition(
                customer_key=f"qpoll_qd_{suffix}",
                name=f"qpoll_qd_{suffix}",
                query_text=rewrite.sql,
                target_key=de_key,
                target_name=de_key,
            )
        )
        object_id = created.new_object_id
        assert object_id
        run_id, de_id, qd_id = uuid4(), uuid4(), uuid4()
        for asset_id, kind, key, oid in (
            (de_id, "DE", de_key, None),
            (qd_id, "QD", f"qpoll_qd_{suffix}", object_id),
        ):
            await self.admin.execute(
                "INSERT INTO mce_assets (tenant_id, mid, id, kind, name, customer_key,"
                " object_id, shape, shape_columns, state, use_count, note, lease_run_id,"
                " lease_expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6, '', '[]', 'LEASED', 1,"
                " '', $7, now() + interval '40 minutes')",
                self.tenant.tenant_id, self.mid, asset_id, kind, key, oid, run_id,
            )  # fmt: skip
        task_id = await self.bridge.soap.start_query(object_id) if perform else None
        await self.admin.execute(
            "INSERT INTO runs (tenant_id, mid, id, user_id, sql_text, sql_hash, run_sql, status,"
            " columns, shape, marker, marker_column, order_column, attempts, task_id,"
            " started_at, perform_sent_at, shell_de_id, shell_qd_id)"
            " VALUES ($1, $2, $3, $4, $5, 'h', $6, $7, $8, '', $9, $10, $11, 1, $12, now(),"
            " now(), $13, $14)",
            self.tenant.tenant_id, self.mid, run_id, self.user_id, text, rewrite.sql, status,
            json.dumps(columns_json(user_columns)), marker, rewrite.marker_column,
            rewrite.order_column, task_id, de_id, qd_id,
        )  # fmt: skip
        return Started(run_id, task_id, qd_id, de_id)

    async def run_row(self, run_id: UUID) -> asyncpg.Record:
        row = await self.admin.fetchrow("SELECT * FROM runs WHERE id = $1", run_id)
        assert row is not None
        return row

    async def asset_states(self, run: Started) -> set[str]:
        rows = await self.admin.fetch(
            "SELECT state FROM mce_assets WHERE id = ANY($1::uuid[])",
            [run.qd_asset_id, run.de_asset_id],
        )
        return {row["state"] for row in rows}

    async def task(self, task_id: str) -> dict[str, object]:
        answer: dict[str, object] = (await self.simctl.http.get(f"__sim/tasks/{task_id}")).json()
        return answer


@pytest_asyncio.fixture
async def world(
    sim_tenant: SimTenant,
    sign_in: SignIn,
    deps: SyncDeps,
    simctl: SimControl,
    db: Settings,
    admin_conn: asyncpg.Connection,
    redis: Redis,
) -> AsyncIterator[World]:
    user = await sign_in("ada.admin")
    mid = next(u for u in simctl.sim.store.users.values() if u.username == "ada.admin").default_mid
    bridge = await bridge_for_user(
        sim_tenant.ctx(mid), user_id=user.id, mid=mid, http=deps.http, tokens=deps.tokens,
        policy=deps.policy,
    )  # fmt: skip
    admin = admin_conn
    poller_deps = PollerDeps(
        system_url=db.system_database_url,
        redis=redis,
        http=deps.http,
        tokens=deps.tokens,
        policy=deps.policy,
        calls_per_second_per_bu=20,
    )
    # The poller watches every tenant's runs (it works as the system role): runs that other
    # tests of this session left RUNNING, under keys and simulators long gone, would be
    # polled too and counted in the reports these tests assert on. Settle them first.
    await admin.execute(
        "UPDATE runs SET status = 'FAILED' WHERE tenant_id <> $1"
        " AND status IN ('RUNNING', 'CANCELED')",
        sim_tenant.tenant_id,
    )
    try:
        yield World(sim_tenant, mid, user.id, bridge, admin, simctl, poller_deps)
    finally:
        await admin.execute("DELETE FROM runs WHERE tenant_id = $1", sim_tenant.tenant_id)
        await admin.execute("DELETE FROM mce_assets WHERE tenant_id = $1", sim_tenant.tenant_id)
        await redis.delete(BatchMemory.key(sim_tenant.tenant_id))


async def _first_event(redis: Redis, run_id: UUID, *, within: float = 10.0) -> tuple[float, dict]:
    async def wait() -> tuple[float, dict]:
        async for _cursor, event in events.replay_and_follow(redis, run_id, after=None):
            return time.time(), event
        raise AssertionError("the stream ended without an event")

    return await asyncio.wait_for(wait(), within)


@pytest.mark.slow
async def test_completion_is_seen_after_mce_finishes(world: World, redis: Redis) -> None:
    plan = await world.simctl.http.post("__sim/tasks/plan", json={"seconds": [1.2]})
    assert plan.status_code == 200
    run = await world.start()
    poller = Poller(world.poller_deps)
    stop = asyncio.Event()
    loop = asyncio.create_task(poller.run_forever(stop, tick_seconds=0.05))
    try:
        seen_at, event = await _first_event(redis, run.run_id)
    finally:
        stop.set()
        await loop
        await poller.close()
    assert event["status"] == "COMPLETE"
    task = await world.task(run.task_id)
    assert task["status"] == "Complete"
    completed_at = task["completed_at"]
    assert isinstance(completed_at, float)
    assert seen_at >= completed_at  # never before MCE finished (the delay: bench/runs.py)
    row = await world.run_row(run.run_id)
    assert row["status"] == "COMPLETE"
    assert row["detected_at"] is not None and row["expires_at"] is not None
    # The poller reads no row: the count comes with the first read (or count_unread).
    assert row["row_count"] is None and event["rowCount"] is None
    assert await world.asset_states(run) == {"LEASED"}  # kept for the results window
    leases = await world.admin.fetch(
        "SELECT lease_expires_at FROM mce_assets WHERE lease_run_id = $1", run.run_id
    )
    assert {r["lease_expires_at"] for r in leases} == {row["expires_at"]}


async def test_two_pollers_poll_a_bu_once(world: World, redis: Redis) -> None:
    runs = [await world.start() for _ in range(3)]
    first, second = Poller(world.poller_deps), Poller(world.poller_deps)
    try:
        a, b = await asyncio.gather(first.run_once(), second.run_once())
    finally:
        await first.close()
        await second.close()
    assert sorted([a.skipped_bus, b.skipped_bus]) == [0, 1]
    done = a if a.skipped_bus == 0 else b
    assert done.calls == 1  # the three tasks in one batched call
    assert sorted(done.completed) == sorted(r.run_id for r in runs)
    for run in runs:
        entries = await redis.xrange(f"quarry:run:events:{run.run_id}")
        statuses = [json.loads(fields[b"event"])["status"] for _, fields in entries]
        assert statuses == ["COMPLETE"]


async def test_a_failed_run_has_the_catalogue_hint_and_frees_its_shell(world: World) -> None:
    run = await world.start("SELECT CAST('not a number' AS INT) AS SubscriberKey")
    poller = Poller(world.poller_deps)
    try:
        report = await poller.run_once()
    finally:
        await poller.close()
    assert report.failed == [run.run_id]
    row = await world.run_row(run.run_id)
    assert row["status"] == "FAILED"
    assert row["error_message"]
    assert "not a number" in row["error_message"] or "convert" in row["error_message"].lower()
    assert row["error_cause"] and row["error_fix"]
    assert await world.asset_states(run) == {"AVAILABLE"}


async def test_a_canceled_runs_draining_shell_is_freed_when_mce_is_done(world: World) -> None:
    world.simctl.sim.config.query_queue_seconds = 600
    try:
        run = await world.start(status="CANCELED")
        await world.admin.execute(
            "UPDATE mce_assets SET state = 'DRAINING' WHERE lease_run_id = $1", run.run_id
        )
        poller = Poller(world.poller_deps)
        try:
            await poller.run_once()
            assert await world.asset_states(run) == {"DRAINING"}  # MCE still runs it
            finish = await world.simctl.http.post(
                f"__sim/tasks/{run.task_id}/finish", json={"in_seconds": 0}
            )
            assert finish.status_code == 200
            await asyncio.sleep(0.3)  # its next check is due
            report = await poller.run_once()
        finally:
            await poller.close()
        assert report.released == [run.run_id]
        assert await world.asset_states(run) == {"AVAILABLE"}
        assert (await world.run_row(run.run_id))["status"] == "CANCELED"
    finally:
        world.simctl.sim.config.query_queue_seconds = 0


async def test_refused_batches_fall_back_per_task(world: World, redis: Redis) -> None:
    runs = [await world.start() for _ in range(2)]
    switched = await world.simctl.http.post("__sim/tasks/status-filter", json={"equals_only": True})
    assert switched.status_code == 200
    poller = Poller(world.poller_deps)
    try:
        report = await poller.run_once()
    finally:
        await poller.close()
    assert sorted(report.completed) == sorted(r.run_id for r in runs)
    assert report.calls == 3  # the refused batch, then one call per task
    assert await BatchMemory(redis).refused(world.tenant.tenant_id)


async def test_runs_due_later_fill_the_batch_a_due_run_is_checked_in(world: World) -> None:
    """A BU's runs not due yet ride along in the batched call a due run makes anyway: checked
    early, no call more. Where MCE refuses batches, nothing rides along (each would cost a
    call of its own)."""
    world.simctl.sim.config.query_queue_seconds = 600
    try:
        early = await world.start()
        poller = Poller(world.poller_deps)
        try:
            first = await poller.run_once()
            assert (first.polled, first.calls) == (1, 1)
            due = await world.start()  # due at once; ``early`` is due only in 0.25 s
            second = await poller.run_once()
            assert (second.polled, second.calls) == (2, 1)
            await world.simctl.http.post("__sim/tasks/status-filter", json={"equals_only": True})
            for run in (early, due):  # not due in the next round, however slow this machine
                poller._tracking[run.run_id].due_at = time.time() + 60
            await world.start()
            third = await poller.run_once()  # refused, then asked task by task: the new one
            assert (third.polled, third.calls) == (1, 2)
            for run in (early, due):
                assert (await world.run_row(run.run_id))["status"] == "RUNNING"
        finally:
            await poller.close()
    finally:
        world.simctl.sim.config.query_queue_seconds = 0


@pytest.mark.slow
async def test_the_first_read_waits_until_the_rows_are_readable(world: World, redis: Redis) -> None:
    """REFERENCE: the rowset can answer 404 a moment after the status says Complete. COMPLETE
    is published at once (no MCE call to read rows); the first read waits until the rows are
    visible, gets them all, and records the run's row count."""
    world.simctl.sim.config.quirk_rows_visible_after_seconds = 1.0
    try:
        run = await world.start()
        poller = Poller(world.poller_deps)
        stop = asyncio.Event()
        loop = asyncio.create_task(poller.run_forever(stop, tick_seconds=0.05))
        try:
            seen_at, event = await _first_event(redis, run.run_id)
        finally:
            stop.set()
            await loop
            await poller.close()
        task = await world.task(run.task_id)
        completed_at = task["completed_at"]
        assert isinstance(completed_at, float)
        assert event["status"] == "COMPLETE" and event["rowCount"] is None
        assert seen_at - completed_at < 1.0  # the poller did not wait for the rows
        deps = world.poller_deps
        access = MceAccess(http=deps.http, tokens=deps.tokens, policy=deps.policy)
        ctx = TenantContext(tenant_id=world.tenant.tenant_id, mid=world.mid, user_id=world.user_id)
        opened = await open_results(ctx, run_id=run.run_id, access=access)
        page = await opened.reader.page(offset=0, limit=1000)
        read_at = time.time()
    finally:
        world.simctl.sim.config.quirk_rows_visible_after_seconds = 0.0
    assert read_at - completed_at >= 1.0  # answered once the rows were visible, not a 404
    assert page.total == task["rows_written"] > 0 and len(page.rows) == page.total
    assert (await world.run_row(run.run_id))["row_count"] == page.total


async def test_a_result_nobody_reads_is_counted_by_the_poller_once(
    world: World, redis: Redis
) -> None:
    """An integration that only follows the events still gets ``run(id).rowCount``: a few
    seconds after COMPLETE the poller counts the rows (one single-row read), once."""
    run = await world.start()
    poller = Poller(world.poller_deps)
    try:
        assert (await poller.run_once()).completed == [run.run_id]
        assert await poller.count_unread() == []  # too soon: a client may be reading it
        await world.admin.execute(
            "UPDATE runs SET detected_at = now() - interval '5 seconds' WHERE id = $1",
            run.run_id,
        )
        before = (await world.simctl.http.get("__sim/stats")).json()["operations"]
        assert await poller.count_unread() == [run.run_id]
        assert await poller.count_unread() == []  # counted: never again
        after = (await world.simctl.http.get("__sim/stats")).json()["operations"]
    finally:
        await poller.close()
    task = await world.task(run.task_id)
    assert (await world.run_row(run.run_id))["row_count"] == task["rows_written"] > 0
    reads = after.get("rest.rowset.get", 0) - before.get("rest.rowset.get", 0)
    assert reads == 1


async def _complete_event(world: World, redis: Redis, run_id: UUID) -> dict:
    poller = Poller(world.poller_deps)
    stop = asyncio.Event()
    loop = asyncio.create_task(poller.run_forever(stop, tick_seconds=0.05))
    try:
        final = await asyncio.wait_for(_final_event(redis, run_id), 10.0)
    finally:
        stop.set()
        await loop
        await poller.close()
    return final


async def _final_event(redis: Redis, run_id: UUID) -> dict:
    """The run's final event (the stream's follower ends after it)."""
    last: dict = {}
    async for _cursor, event in events.replay_and_follow(redis, run_id, after=None):
        last = event
    return last


async def test_a_run_without_a_task_id_completes_by_isrunning_and_its_rows(
    world: World, redis: Redis
) -> None:
    """The start's answer was lost (the start job recorded RUNNING without a TaskID) and MCE
    will not list the run's task (services/runs/tasks.py): isrunning and the rows judge it."""
    run = await world.start()
    await world.admin.execute("UPDATE runs SET task_id = NULL WHERE id = $1", run.run_id)
    await world.simctl.control(
        "faults",
        {
            "operation": "soap.Retrieve.AsyncActivityStatus",
            "kind": "error",
            "status": 400,
            "times": 100,
        },
    )
    before = (await world.simctl.http.get("__sim/stats")).json()["operations"]
    event = await _complete_event(world, redis, run.run_id)
    after = (await world.simctl.http.get("__sim/stats")).json()["operations"]
    task = await world.task(run.task_id)
    assert event["status"] == "COMPLETE"
    assert event["rowCount"] == task["rows_written"] > 0
    isrunning = after.get("rest.queries.isrunning", 0) - before.get("rest.queries.isrunning", 0)
    assert isrunning >= 2  # confirmed twice
    assert (await world.run_row(run.run_id))["task_id"] is None  # never found


@pytest.mark.slow
async def test_a_status_stuck_on_queued_completes_through_isrunning(
    world: World, redis: Redis
) -> None:
    """REFERENCE's quirk: Status says Queued across polls after the run finished."""
    world.simctl.sim.config.quirk_status_lag_polls = 1000
    try:
        run = await world.start()
        event = await _complete_event(world, redis, run.run_id)
    finally:
        world.simctl.sim.config.quirk_status_lag_polls = 0
    task = await world.task(run.task_id)
    assert event["status"] == "COMPLETE" and task["status"] == "Complete"


async def test_cancel_while_running_stops_at_once_and_the_shell_drains(
    world: World, redis: Redis
) -> None:
    """Cancel (services/runs/start.py): CANCELED at once, no COMPLETE after it, the shell
    back in the pool only when MCE is done with it."""
    world.simctl.sim.config.query_queue_seconds = 600
    try:
        run = await world.start()
        ctx = world.tenant.ctx(world.mid)
        canceled = await cancel_run(ctx, user_id=world.user_id, run_id=run.run_id, redis=redis)
        assert canceled.status.value == "CANCELED"
        assert await world.asset_states(run) == {"DRAINING"}
        poller = Poller(world.poller_deps)
        try:
            first = await poller.run_once()
            assert first.completed == [] and first.released == []
            assert run.task_id is not None
            finish = await world.simctl.http.post(
                f"__sim/tasks/{run.task_id}/finish", json={"in_seconds": 0}
            )
            assert finish.status_code == 200
            await asyncio.sleep(0.3)
            second = await poller.run_once()
        finally:
            await poller.close()
    finally:
        world.simctl.sim.config.query_queue_seconds = 0
    assert second.released == [run.run_id] and second.completed == []
    assert await world.asset_states(run) == {"AVAILABLE"}
    assert (await _final_event(redis, run.run_id))["status"] == "CANCELED"


@pytest.mark.slow
async def test_status_calls_per_bu_stay_bounded_whatever_the_number_of_runs(
    world: World,
) -> None:
    """20 runs in one BU, MCE refusing IN (one call per task): at most the budget per second."""
    world.simctl.sim.config.query_queue_seconds = 600
    try:
        for _ in range(20):
            await world.start()
        await world.simctl.http.post("__sim/tasks/status-filter", json={"equals_only": True})
        deps = PollerDeps(**{**world.poller_deps.__dict__, "calls_per_second_per_bu": 4})
        poller = Poller(deps)
        before = (await world.simctl.http.get("__sim/stats")).json()["by_mid"]
        stop = asyncio.Event()
        loop = asyncio.create_task(poller.run_forever(stop, tick_seconds=0.05))
        await asyncio.sleep(2.5)
        stop.set()
        await loop
        await poller.close()
        after = (await world.simctl.http.get("__sim/stats")).json()["by_mid"]
    finally:
        world.simctl.sim.config.query_queue_seconds = 0
    op = "soap.Retrieve.AsyncActivityStatus"
    calls = after[str(world.mid)].get(op, 0) - before.get(str(world.mid), {}).get(op, 0)
    # 2.5 s spans at most 4 one-second windows of 4 calls each; without the bound: 20 a round.
    assert 4 <= calls <= 16, calls


async def test_a_run_past_mces_30_minute_limit_fails_without_a_call(world: World) -> None:
    world.simctl.sim.config.query_queue_seconds = 3600
    try:
        run = await world.start()
        await world.admin.execute(
            "UPDATE runs SET started_at = now() - interval '40 minutes' WHERE id = $1",
            run.run_id,
        )
        before = (await world.simctl.http.get("__sim/stats")).json()["operations"]
        poller = Poller(world.poller_deps)
        try:
            report = await poller.run_once()
        finally:
            await poller.close()
        after = (await world.simctl.http.get("__sim/stats")).json()["operations"]
    finally:
        world.simctl.sim.config.query_queue_seconds = 0
    assert report.failed == [run.run_id]
    row = await world.run_row(run.run_id)
    assert (row["status"], row["error_code"]) == ("FAILED", "MCE_TIMEOUT")
    assert row["error_message"] == TIMEOUT_MESSAGE
    assert after == before  # judged without asking MCE
    assert await world.asset_states(run) == {"AVAILABLE"}


@pytest.mark.slow
@pytest.mark.parametrize("latency_ms", [0, 100])
async def test_many_runs_in_flight_are_each_completed_once_after_mce_finishes(
    world: World, redis: Redis, latency_ms: int
) -> None:
    """20 runs in one BU finishing at staggered exact times, MCE answering every call after
    ``latency_ms`` (the benchmark's 100 ms): each run is COMPLETE exactly once, never before
    the simulator's completion time, and the poller's status calls stay within its per-BU
    budget. How soon it sees them is bench/runs.py's ``detect_median_s`` and
    ``detect_p95_s``; the 30 s here only stops a hang."""
    durations = [1.5 + 0.15 * i for i in range(20)]
    plan = await world.simctl.http.post("__sim/tasks/plan", json={"seconds": durations})
    assert plan.status_code == 200
    runs = [await world.start() for _ in durations]
    latency = await world.simctl.http.post("__sim/latency", json={"ms": latency_ms})
    assert latency.status_code == 200
    op = "soap.Retrieve.AsyncActivityStatus"
    before = (await world.simctl.http.get("__sim/stats")).json()["by_mid"]
    poller = Poller(world.poller_deps)
    stop = asyncio.Event()
    started = time.monotonic()
    loop = asyncio.create_task(poller.run_forever(stop, tick_seconds=0.05))
    try:
        seen = await asyncio.gather(*(_first_event(redis, r.run_id, within=30) for r in runs))
    finally:
        stop.set()
        await loop
        await poller.close()
        await world.simctl.http.post("__sim/latency", json={"ms": 0})
    polled_for = time.monotonic() - started
    after = (await world.simctl.http.get("__sim/stats")).json()["by_mid"]
    for run, (seen_at, event) in zip(runs, seen, strict=True):
        assert event["status"] == "COMPLETE"
        assert run.task_id is not None
        task = await world.task(run.task_id)
        completed_at = task["completed_at"]
        assert isinstance(completed_at, float)
        assert seen_at >= completed_at
        row = await world.run_row(run.run_id)
        assert row["status"] == "COMPLETE"
        assert row["detected_at"].timestamp() >= completed_at
        # Learnt by a first read; nobody reads here, so the poller may have counted it.
        assert row["row_count"] in (None, task["rows_written"])
        entries = await redis.xrange(f"quarry:run:events:{run.run_id}")
        statuses = [json.loads(fields[b"event"])["status"] for _, fields in entries]
        assert statuses == ["COMPLETE"]  # exactly once
    calls = after[str(world.mid)].get(op, 0) - before.get(str(world.mid), {}).get(op, 0)
    budget = world.poller_deps.calls_per_second_per_bu
    # The budget holds per one-second window: the span touches at most ceil(span) + 1 of them.
    assert 1 <= calls <= budget * (math.ceil(polled_for) + 1), (calls, polled_for)


async def test_a_user_who_cannot_act_does_not_stop_the_bus_polling(
    world: World, redis: Redis
) -> None:
    """Two users' runs in one BU; the first user has no token Quarry can use: the batch is
    asked as the other, both runs complete; counting them later, the first keeps no row
    count (only its user may read its rows)."""
    pat = world.tenant.user("pat.parent")
    orphan = await world.start()
    await world.admin.execute("UPDATE runs SET user_id = $2 WHERE id = $1", orphan.run_id, pat.id)
    await world.admin.execute(  # pat's run is the BU's first: asked as pat first
        "UPDATE runs SET created_at = now() - interval '1 minute' WHERE id = $1", orphan.run_id
    )
    mine = await world.start()
    poller = Poller(world.poller_deps)
    try:
        report = await poller.run_once()
        await world.admin.execute(
            "UPDATE runs SET detected_at = now() - interval '5 seconds' WHERE tenant_id = $1",
            world.tenant.tenant_id,
        )
        assert await poller.count_unread() == [mine.run_id]
    finally:
        await poller.close()
    assert sorted(report.completed) == sorted([orphan.run_id, mine.run_id])
    assert report.calls == 1  # one batched call, as ada
    assert (await world.run_row(orphan.run_id))["row_count"] is None
    assert (await world.run_row(mine.run_id))["row_count"] > 0


async def test_a_closed_poller_hands_its_bus_over_at_once(world: World) -> None:
    world.simctl.sim.config.query_queue_seconds = 600
    first, second = Poller(world.poller_deps), Poller(world.poller_deps)
    try:
        await world.start()
        assert (await first.run_once()).skipped_bus == 0
        assert (await second.run_once()).skipped_bus == 1  # the first holds the BU
        await first.close()
        assert (await second.run_once()).skipped_bus == 0  # no wait for the lease to lapse
    finally:
        world.simctl.sim.config.query_queue_seconds = 0
        await first.close()
        await second.close()


async def test_the_next_round_starts_when_the_next_run_is_due(world: World) -> None:
    """Rounds follow the runs' due times (bounded by the tick and a floor), so a run is
    checked on time instead of up to a tick late."""
    from services.runs.poller import MIN_PAUSE_SECONDS

    world.simctl.sim.config.query_queue_seconds = 600
    poller = Poller(world.poller_deps)
    try:
        assert poller._pause(0.1) == 0.1  # nothing watched: the tick finds new runs
        run = await world.start()
        await poller.run_once()
        tracking = poller._tracking[run.run_id]
        tracking.due_at = time.time() + 0.05
        assert 0.03 < poller._pause(0.1) <= 0.05
        tracking.due_at = time.time() + 5
        assert poller._pause(0.1) == 0.1
        tracking.due_at = time.time() - 1  # overdue (e.g. the BU's call budget was spent)
        assert poller._pause(0.1) == MIN_PAUSE_SECONDS
    finally:
        await poller.close()
        world.simctl.sim.config.query_queue_seconds = 0
