"""Probes end to end on the simulator's seeded pre-flight data: the QA BU's metadata synced
into the cache, the static check of each seeded target, then probes started through the runs
engine and carried out by real processes (the RQ worker starts them in MCE, the poller sees
them finish), their events followed, and their reports read back: duplicate primary keys,
NULLs in a required field, text too long and (Append) keys already in the target, each with
the number of rows MCE would fail on, exactly as the seed made them. Writing the same query
into the target in the simulator fails (or works) as the probe said."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import UUID

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from app.settings import Settings
from models import TenantContext
from models.runs import RunStatus
from services.job_queue import JobQueue
from services.metadata.preview import MceAccess
from services.preflight.probe import start_probe
from services.preflight.probe_report import ProbeStatus, probe_state
from services.preflight.probe_sql import PROBE_COMMENT
from services.preflight.report import UpdateType
from services.preflight.static import check_query_target
from services.runs import events
from services.runs.execute import StartDeps
from services.runs.start import get_run
from services.wallet import KeyEncryptionKey
from simulator import seed_preflight as seeded
from simulator.sql import QueryCatalog, SqlError, run_query
from simulator.state import Simulator
from tests.fixtures import (
    private_job_queue,
    spawn_process,
    stop_process,
    sync_metadata,
    worker_env,
)
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
    sim_tenant,
    sim_url,
    simctl,
    wallet,
)
from tests.services.wallet.helpers import SimControl
from tests.simulator.soap_helpers import bu_mids

__all__ = [
    "_shared_server", "ahttp", "config", "deps", "http", "kek_a", "keys", "member", "provider",
    "sim", "sim_app", "sim_tenant", "sim_url", "simctl", "wallet",
]  # fmt: skip

pytestmark = [pytest.mark.usefixtures("db"), pytest.mark.slow]

P_REDIS_URL = "redis://127.0.0.1:6379/3"  # P's own: no other test's worker takes these jobs

FAILING = """SELECT SignupKey AS MemberKey,
       Email,
       FullName,
       Country,
       'Gold' AS Tier
FROM [Preflight Signups]"""
CLEAN = """SELECT SignupKey AS MemberKey, Email, LEFT(FullName, 20) AS FullName, 'Gold' AS Tier
FROM [Preflight Signups]
WHERE Email IS NOT NULL AND SignupKey NOT LIKE 'DUP-%'"""


@pytest.fixture
def jobs3() -> Iterator[JobQueue]:
    with private_job_queue(P_REDIS_URL) as queue:
        yield queue


@pytest_asyncio.fixture
async def redis3() -> AsyncIterator[Redis]:
    client = Redis.from_url(P_REDIS_URL)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def spawn(db: Settings, sim: Simulator, sim_url: str, kek_a: KeyEncryptionKey) -> Iterator[Any]:
    """``python -m <module> <args>`` on P's Redis db (stopped afterwards)."""
    env = worker_env(
        database_url=db.database_url, redis_url=P_REDIS_URL, sim=sim, sim_url=sim_url, kek=kek_a
    )
    started: list[subprocess.Popen[bytes]] = []

    def _spawn(module: str, *args: str) -> subprocess.Popen[bytes]:
        started.append(spawn_process(module, *args, env=env))
        return started[-1]

    yield _spawn
    for process in started:
        stop_process(process)


@pytest_asyncio.fixture
async def qa(member: Member, sim: Simulator, deps: StartDeps, redis: Redis) -> TenantContext:
    """The QA BU as ada sees it, its metadata synced into the cache (as a sync job does)."""
    mid = bu_mids(sim)["qa"]
    access = MceAccess(http=deps.http, tokens=deps.tokens, policy=deps.policy)
    await sync_metadata(
        access, redis, tenant_id=member.tenant_id, user_id=member.user.id, mids=[mid]
    )
    return TenantContext(
        tenant_id=member.tenant_id,
        mid=mid,
        visible_mids=frozenset({mid, sim.store.enterprise.eid}),
        user_id=member.user.id,
    )


async def _final_status(redis: Redis, run_id: UUID, *, within: float) -> list[str]:
    async def follow() -> list[str]:
        return [e["status"] async for _, e in events.replay_and_follow(redis, run_id, after=None)]

    return await asyncio.wait_for(follow(), within)


async def test_the_seeded_targets_show_each_static_finding(qa: TenantContext) -> None:
    members = await check_query_target(
        qa, sql=FAILING, target_key="preflight_members", update_type=UpdateType.APPEND
    )
    found = {(f.code, f.column) for f in members.findings}
    assert {
        ("POSSIBLY_TRUNCATED", "FullName"),
        ("NULLABLE_INTO_REQUIRED", "Email"),
        ("NULLABLE_INTO_PRIMARY_KEY", "MemberKey"),
        ("TARGET_USED_BY_AUTOMATIONS", None),
    } <= found
    used = next(f for f in members.findings if f.code == "TARGET_USED_BY_AUTOMATIONS")
    assert "'Preflight Refresh Members'" in used.message and "'Preflight Nightly'" in used.message

    no_key = await check_query_target(
        qa, sql="SELECT Email, Country AS Region FROM [Preflight Signups]",
        target_key="preflight_members", update_type=UpdateType.OVERWRITE,
    )  # fmt: skip
    found = {(f.code, f.column) for f in no_key.findings}
    assert {
        ("PRIMARY_KEY_NOT_SELECTED", "MemberKey"),
        ("REQUIRED_COLUMN_NOT_FILLED", "Tier"),
        ("OUTPUT_COLUMN_NOT_IN_TARGET", "Region"),
        ("TARGET_COLUMN_NOT_FILLED", "FullName"),
    } <= found

    typed = await check_query_target(
        qa,
        sql="SELECT SignedUpAt AS Points, Referrer AS JoinedOn, Balance,"
        " Points AS IsActive, SignedUpAt AS Note, CAST(Points AS SQL_VARIANT) AS Balance2"
        " FROM [Preflight Signups]",
        target_key="preflight_typed",
        update_type=UpdateType.OVERWRITE,
    )
    found = {(f.code, f.column) for f in typed.findings}
    assert {
        ("TYPE_INCOMPATIBLE", "Points"),
        ("TYPE_CONVERSION", "JoinedOn"),
        ("PRECISION_OVERFLOW", "Balance"),
        ("TYPE_CONVERSION", "IsActive"),
        ("TYPE_CONVERSION", "Note"),
        ("POSSIBLY_TRUNCATED", "Note"),
        ("OUTPUT_COLUMN_NOT_IN_TARGET", "Balance2"),
    } <= found

    log = await check_query_target(
        qa, sql="SELECT NULL AS Message FROM [Preflight Signups]", target_key="preflight_log",
        update_type=UpdateType.UPDATE,
    )  # fmt: skip
    found = {(f.code, f.column) for f in log.findings}
    assert {("UPDATE_WITHOUT_PRIMARY_KEY", None), ("TARGET_WRITTEN_BY_ACTIVITIES", None)} <= found
    written = next(f for f in log.findings if f.code == "TARGET_WRITTEN_BY_ACTIVITIES")
    assert "'Preflight Log Writer'" in written.message
    members_required = await check_query_target(
        qa, sql="SELECT SignupKey AS MemberKey, NULL AS Email, 'Gold' AS Tier"
        " FROM [Preflight Signups]", target_key="preflight_members",
        update_type=UpdateType.UPDATE,
    )  # fmt: skip
    assert ("NULL_INTO_REQUIRED", "Email") in {
        (f.code, f.column) for f in members_required.findings
    }


async def test_probes_say_on_how_many_rows_mce_would_fail(
    qa: TenantContext, member: Member, sim: Simulator, simctl: SimControl, deps: StartDeps,
    jobs3: JobQueue, redis3: Redis, spawn: Any,
) -> None:  # fmt: skip
    user = member.user.id
    failing = await start_probe(
        qa, user_id=user, sql=FAILING, target_key="preflight_members",
        update_type=UpdateType.APPEND, jobs=jobs3, redis=redis3,
    )  # fmt: skip
    clean = await start_probe(
        qa, user_id=user, sql=CLEAN, target_key="preflight_members",
        update_type=UpdateType.UPDATE, jobs=jobs3, redis=redis3,
    )  # fmt: skip
    assert failing.run is not None and clean.run is not None
    assert failing.run.sql.startswith(PROBE_COMMENT) and FAILING in failing.run.sql
    access = MceAccess(http=deps.http, tokens=deps.tokens, policy=deps.policy)
    early = await probe_state(
        qa, run_id=failing.run.id, status=failing.run.status, redis=redis3, access=access
    )
    assert early is not None and early.status is ProbeStatus.RUNNING and early.result is None

    spawn("app.worker", "--no-metadata-scheduler")
    spawn("app.poller")
    for run in (failing.run, clean.run):
        statuses = await _final_status(redis3, run.id, within=90)
        assert statuses[-1] == "COMPLETE", statuses
        assert statuses.index("RUNNING") < statuses.index("COMPLETE")
        done = await get_run(qa, user_id=user, run_id=run.id)
        # The row count comes with the first read (or the poller's count of unread runs).
        assert done.status is RunStatus.COMPLETE and done.row_count in (None, 1)

    reads_before = _rowset_reads(await _operations(simctl))
    state = await probe_state(
        qa, run_id=failing.run.id, status=RunStatus.COMPLETE, redis=redis3, access=access
    )
    assert state is not None and state.status is ProbeStatus.MEASURED, state
    assert (await get_run(qa, user_id=user, run_id=failing.run.id)).row_count == 1
    result = state.result
    assert result is not None and result.row_count == seeded.SIGNUPS
    found = {(f.code, f.column): f for f in result.findings}
    assert set(found) == {
        ("PROBE_DUPLICATE_KEYS", "MemberKey"),
        ("PROBE_KEYS_IN_TARGET", "MemberKey"),
        ("PROBE_NULL_IN_REQUIRED", "Email"),
        ("PROBE_VALUE_TOO_LONG", "FullName"),
    }
    duplicates = found[("PROBE_DUPLICATE_KEYS", "MemberKey")]
    assert duplicates.message.startswith(f"This will fail on {seeded.DUPLICATE_ROWS} rows")
    assert f"{seeded.DUPLICATE_KEYS} primary-key values" in duplicates.message
    nulls = found[("PROBE_NULL_IN_REQUIRED", "Email")]
    assert nulls.message.startswith(f"This will fail on {seeded.MISSING_EMAILS} rows")
    too_long = found[("PROBE_VALUE_TOO_LONG", "FullName")]
    assert too_long.message.startswith(f"This will fail on {seeded.TOO_LONG_NAMES} rows")
    assert f"the longest has {seeded.LONGEST_NAME}" in too_long.message
    present = found[("PROBE_KEYS_IN_TARGET", "MemberKey")]
    assert present.message.startswith(f"This will fail on {seeded.KEYS_IN_MEMBERS} rows")
    for finding, text, line in (
        (duplicates, "SignupKey AS MemberKey", 1),
        (nulls, "Email", 2),
        (too_long, "FullName", 3),
    ):
        assert finding.span is not None
        assert FAILING[finding.span.start : finding.span.end] == text
        assert finding.span.line == line
    assert result.values["ProbeDuplicateRows"] == seeded.DUPLICATE_ROWS

    again = await probe_state(
        qa, run_id=failing.run.id, status=RunStatus.COMPLETE, redis=redis3, access=access
    )
    assert again is not None and again.result == result
    reads = _rowset_reads(await _operations(simctl)) - reads_before
    assert reads == 1  # the one row was read once, then kept with the probe

    fine = await probe_state(
        qa, run_id=clean.run.id, status=RunStatus.COMPLETE, redis=redis3, access=access
    )
    assert fine is not None and fine.status is ProbeStatus.MEASURED and fine.result is not None
    assert fine.result.findings == ()
    signups = sim.store.get_de(qa.mid or 0, customer_key="preflight_signups")
    assert signups is not None
    kept = [
        key
        for key, email in sim.rows.fetch(signups, columns=["SignupKey", "Email"])
        if email is not None and not key.startswith("DUP-")
    ]
    assert fine.result.row_count == len(kept) > 100

    # The simulator, writing the queries into the target, agrees with both probes.
    engine = QueryCatalog(
        store=sim.store, rows=sim.rows, views=sim.dataviews, now=sim.clock.server_now,
        utcnow=sim.clock.utcnow,
    )  # fmt: skip
    target = sim.store.get_de(qa.mid or 0, customer_key="preflight_members")
    assert target is not None
    with pytest.raises(SqlError):
        run_query(engine, mid=qa.mid or 0, text=FAILING, target=target, update_type="Append")
    written = run_query(engine, mid=qa.mid or 0, text=CLEAN, target=target, update_type="Update")
    assert written == fine.result.row_count


async def _operations(simctl: SimControl) -> dict[str, int]:
    operations: dict[str, int] = (await simctl.http.get("__sim/stats")).json()["operations"]
    return operations


def _rowset_reads(operations: dict[str, int]) -> int:
    return sum(n for name, n in operations.items() if "rowset" in name)
