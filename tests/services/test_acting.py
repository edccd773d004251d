"""Who acts for background work (services/acting.py), waiting work and its resumption
(services/waiting_work.py), on real Postgres as the app role and a real Redis.

The cast of :func:`_world` (a parent BU P and children A and B):
- alice: member of P, A, B; enhanced lineage active; signed in an hour ago.
- bob: member of P, A; enhanced lineage ``needs_reauth``; signed in ten minutes ago.
- erin: member of P, A; legacy entry active for A only; signed in five minutes ago.
- dave: member of B only; enhanced active; signed in just now (the most recent of all).
- ops (the factory's user): member of P, A, B; no wallet entry; never signed in.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio
from redis import Redis as SyncRedis
from rq.job import Job

from models import (
    BackgroundState,
    BusinessUnit,
    GrantKind,
    Outcome,
    TenantContext,
    TenantRepository,
    User,
    WaitingWork,
    WalletEntry,
    WalletStatus,
)
from services.acting import (
    ActingReason,
    BackgroundWork,
    NeedsSignIn,
    WaitingJob,
    WaitingReason,
    acting_audit,
    choose_actor,
    choose_uninstall_actors,
    is_usable,
)
from services.errors import NotFound, QuarryError
from services.job_queue import JobQueue, job_id_for
from services.waiting_work import resume_waiting_work
from tests.factories import TenantFixture, make_member, make_tenant, make_wallet_entry

pytestmark = pytest.mark.usefixtures("db")

# A Redis database of these tests' own: jobs enqueued here must not reach the burst workers
# other test files run on the shared test database.
JOBS_REDIS_URL = "redis://127.0.0.1:6379/12"
SYNC_JOB = "jobs.metadata.sync_business_unit"  # a name only: no worker runs these queues


@dataclass
class World:
    t: TenantFixture
    alice: User
    bob: User
    erin: User
    dave: User

    @property
    def ctx(self) -> TenantContext:
        return self.t.context()

    @property
    def p(self) -> int:
        return self.t.parent_mid

    @property
    def a(self) -> int:
        return self.t.child_mids[0]

    @property
    def b(self) -> int:
        return self.t.child_mids[1]


async def _world() -> World:
    t = await make_tenant("Acting")
    now = datetime.now(UTC)
    p, (a, b) = t.parent_mid, t.child_mids
    alice = await make_member(t, mids=(p, a, b), last_login_at=now - timedelta(hours=1))
    bob = await make_member(t, mids=(p, a), last_login_at=now - timedelta(minutes=10))
    erin = await make_member(t, mids=(p, a), last_login_at=now - timedelta(minutes=5))
    dave = await make_member(t, mids=(b,), last_login_at=now)
    await make_wallet_entry(t, user_id=alice.id, mid=p)
    await make_wallet_entry(t, user_id=bob.id, mid=a, status=WalletStatus.NEEDS_REAUTH)
    await make_wallet_entry(t, user_id=erin.id, mid=a, kind=GrantKind.LEGACY)
    await make_wallet_entry(t, user_id=dave.id, mid=b)
    return World(t, alice, bob, erin, dave)


@pytest_asyncio.fixture
async def world() -> World:
    return await _world()


@pytest_asyncio.fixture
async def jobs() -> AsyncIterator[JobQueue]:
    queue = JobQueue.from_url(JOBS_REDIS_URL)
    try:
        yield queue
    finally:
        queue.close()


def _sync_job(w: World, mid: int) -> WaitingJob:
    return WaitingJob(SYNC_JOB, (w.t.tenant_id, mid), queue="low")


async def _bu(w: World, mid: int) -> BusinessUnit:
    bu = await TenantRepository(w.ctx).of(BusinessUnit).get_or_none(mid=mid)
    assert bu is not None
    return bu


async def _waiting(w: World) -> list[WaitingWork]:
    return await TenantRepository(w.ctx).of(WaitingWork).list(order_by=("created_at",))


async def _audit(admin_conn: asyncpg.Connection, tenant_id: int, action: str) -> list[Any]:
    return list(
        await admin_conn.fetch(
            "SELECT actor_type, actor_id, mid, outcome, details FROM audit_events"
            " WHERE tenant_id = $1 AND action = $2 ORDER BY id",
            tenant_id,
            action,
        )
    )


async def _sign_in_again(w: World, user: User) -> None:
    """What a sign-in leaves behind: an active lineage and a fresh last_login_at."""
    repo = TenantRepository(w.ctx)
    await repo.of(WalletEntry).update({"user_id": user.id}, status=WalletStatus.ACTIVE)
    await repo.of(User).update({"id": user.id}, last_login_at=datetime.now(UTC))


def _drop_jobs(ids: list[str]) -> None:
    connection = SyncRedis.from_url(JOBS_REDIS_URL)
    try:
        for job_id in ids:
            Job(job_id, connection=connection).delete()
    finally:
        connection.close()


# ---------------------------------------------------------------------- usability
async def test_usable_means_member_with_an_active_lineage_for_the_bu(world: World) -> None:
    w = world
    expected = {
        (w.alice.id, w.p): True,  # enhanced: any member BU
        (w.alice.id, w.b): True,
        (w.bob.id, w.a): False,  # needs_reauth
        (w.erin.id, w.a): True,  # legacy, its own BU
        (w.erin.id, w.p): False,  # legacy cannot mint for another BU
        (w.dave.id, w.b): True,
        (w.dave.id, w.p): False,  # active lineage, but not a member
        (w.t.user.id, w.p): False,  # no entry at all
    }
    actual = {key: await is_usable(w.ctx, user_id=key[0], mid=key[1]) for key in expected}
    assert actual == expected


# ---------------------------------------------------------------------- the rule per kind
async def test_scheduled_sync_takes_the_most_recent_usable_member(world: World) -> None:
    w = world
    chosen = {
        mid: await choose_actor(w.ctx, mid=mid, kind=BackgroundWork.SCHEDULED_SYNC)
        for mid in (w.p, w.a, w.b)
    }
    # P: dave (newest) is no member, bob cannot act, erin's legacy token is A's: alice.
    assert chosen[w.p].user_id == w.alice.id
    assert chosen[w.a].user_id == w.erin.id  # newer than alice, legacy for A itself
    assert chosen[w.b].user_id == w.dave.id
    assert {c.why for c in chosen.values()} == {ActingReason.MOST_RECENT_MEMBER}
    assert chosen[w.a].mce_user_id == w.erin.mce_user_id
    assert chosen[w.a].call_target.user_id == w.erin.mce_user_id
    assert chosen[w.a].call_target.mid == w.a
    assert chosen[w.a].call_target.tenant_id == w.t.tenant_id


async def test_scheduled_sync_takes_no_preferred_user(world: World) -> None:
    with pytest.raises(ValueError, match="most recent"):
        await choose_actor(
            world.ctx,
            mid=world.p,
            kind=BackgroundWork.SCHEDULED_SYNC,
            preferred_user_id=world.alice.id,
        )


async def test_run_acts_as_its_user_only(world: World) -> None:
    w = world
    run = await choose_actor(w.ctx, mid=w.a, kind=BackgroundWork.RUN, preferred_user_id=w.alice.id)
    assert (run.user_id, run.why, run.kind) == (
        w.alice.id,
        ActingReason.RUN_OWNER,
        BackgroundWork.RUN,
    )
    for user, mid in ((w.bob, w.a), (w.erin, w.p), (w.dave, w.p)):
        with pytest.raises(NeedsSignIn) as caught:
            await choose_actor(w.ctx, mid=mid, kind=BackgroundWork.RUN, preferred_user_id=user.id)
        assert caught.value.reason is WaitingReason.USER_NEEDS_SIGN_IN
        assert caught.value.user_id == user.id
    with pytest.raises(ValueError, match="preferred_user_id"):
        await choose_actor(w.ctx, mid=w.a, kind=BackgroundWork.RUN)


async def test_a_run_that_cannot_act_does_not_mark_a_bu_others_can_serve(world: World) -> None:
    w = world
    with pytest.raises(NeedsSignIn) as caught:
        await choose_actor(
            w.ctx,
            mid=w.a,
            kind=BackgroundWork.RUN,
            preferred_user_id=w.bob.id,
            waiting_job=WaitingJob("jobs.runs.execute_run", (w.t.tenant_id, w.a, w.bob.id)),
        )
    assert (await _bu(w, w.a)).background_state is BackgroundState.READY
    [row] = await _waiting(w)
    assert row.id == caught.value.waiting_id
    assert row.waiting_for_user_id == w.bob.id
    assert row.reason == WaitingReason.USER_NEEDS_SIGN_IN.value
    assert row.args == [w.t.tenant_id, w.a, str(w.bob.id)]


async def test_metadata_sync_acts_as_the_requester_else_the_most_recent(world: World) -> None:
    w = world
    own = await choose_actor(
        w.ctx, mid=w.a, kind=BackgroundWork.METADATA_SYNC, preferred_user_id=w.alice.id
    )
    assert (own.user_id, own.why) == (w.alice.id, ActingReason.REQUESTER)
    instead = await choose_actor(
        w.ctx, mid=w.a, kind=BackgroundWork.METADATA_SYNC, preferred_user_id=w.bob.id
    )
    assert (instead.user_id, instead.why) == (w.erin.id, ActingReason.MOST_RECENT_MEMBER)
    # dave is usable, but not in P: the most recent usable member of P acts.
    outsider = await choose_actor(
        w.ctx, mid=w.p, kind=BackgroundWork.METADATA_SYNC, preferred_user_id=w.dave.id
    )
    assert (outsider.user_id, outsider.why) == (w.alice.id, ActingReason.MOST_RECENT_MEMBER)


@pytest.mark.parametrize("kind", [BackgroundWork.ASSET_CLEANUP, BackgroundWork.RECONCILE])
async def test_cleanup_and_reconcile_act_as_the_assets_creator_else_most_recent(
    world: World, kind: BackgroundWork
) -> None:
    w = world
    creator = await choose_actor(w.ctx, mid=w.b, kind=kind, preferred_user_id=w.alice.id)
    assert (creator.user_id, creator.why) == (w.alice.id, ActingReason.ASSET_CREATOR)
    gone = await choose_actor(w.ctx, mid=w.b, kind=kind, preferred_user_id=w.bob.id)
    assert (gone.user_id, gone.why) == (w.dave.id, ActingReason.MOST_RECENT_MEMBER)
    unknown = await choose_actor(w.ctx, mid=w.a, kind=kind)
    assert (unknown.user_id, unknown.why) == (w.erin.id, ActingReason.MOST_RECENT_MEMBER)


async def test_uninstall_cleanup_acts_as_the_admin_where_usable(world: World) -> None:
    w = world
    chosen = await choose_uninstall_actors(w.ctx, admin_user_id=w.erin.id)
    assert chosen.uncovered == ()
    who = {mid: (a.user_id, a.why) for mid, a in chosen.actors.items()}
    assert who == {
        w.a: (w.erin.id, ActingReason.UNINSTALLING_ADMIN),
        w.p: (w.alice.id, ActingReason.MOST_RECENT_MEMBER),
        w.b: (w.dave.id, ActingReason.MOST_RECENT_MEMBER),
    }


async def test_uninstall_without_admin_reports_the_bus_nobody_can_clean(
    admin_conn: asyncpg.Connection,
) -> None:
    t = await make_tenant("Uninstall")
    only = await make_member(t, mids=(t.parent_mid,), last_login_at=datetime.now(UTC))
    await make_wallet_entry(t, user_id=only.id, mid=t.parent_mid)
    chosen = await choose_uninstall_actors(t.context(), admin_user_id=None)
    assert {m: a.user_id for m, a in chosen.actors.items()} == {t.parent_mid: only.id}
    assert chosen.actors[t.parent_mid].why is ActingReason.MOST_RECENT_MEMBER
    assert chosen.uncovered == tuple(sorted(t.child_mids))
    repo = TenantRepository(t.context())
    states = {bu.mid: bu.background_state for bu in await repo.of(BusinessUnit).list()}
    assert states == {
        t.parent_mid: BackgroundState.READY,
        t.child_mids[0]: BackgroundState.NEEDS_SIGN_IN,
        t.child_mids[1]: BackgroundState.NEEDS_SIGN_IN,
    }


async def test_connection_check_acts_as_the_given_user_only(world: World) -> None:
    w = world
    checked = await choose_actor(
        w.ctx, mid=w.a, kind=BackgroundWork.CONNECTION_CHECK, preferred_user_id=w.erin.id
    )
    assert (checked.user_id, checked.why) == (w.erin.id, ActingReason.CHECKED_USER)
    with pytest.raises(NeedsSignIn):
        await choose_actor(
            w.ctx, mid=w.p, kind=BackgroundWork.CONNECTION_CHECK, preferred_user_id=w.erin.id
        )
    with pytest.raises(ValueError, match="preferred_user_id"):
        await choose_actor(w.ctx, mid=w.p, kind=BackgroundWork.CONNECTION_CHECK)


async def test_an_unknown_bu_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await choose_actor(world.ctx, mid=1, kind=BackgroundWork.SCHEDULED_SYNC)


async def test_another_tenants_users_never_act(world: World) -> None:
    """RLS and the explicit tenant filter: another tenant's context finds nobody here."""
    other = await make_tenant("Other")
    with pytest.raises(NotFound):
        await choose_actor(other.context(), mid=world.p, kind=BackgroundWork.SCHEDULED_SYNC)
    with pytest.raises(NeedsSignIn):
        await choose_actor(
            other.context(),
            mid=other.parent_mid,
            kind=BackgroundWork.RUN,
            preferred_user_id=world.alice.id,
        )


# ---------------------------------------------------------------------- NEEDS_SIGN_IN
async def test_nobody_usable_marks_the_bu_and_stores_the_work(
    world: World, admin_conn: asyncpg.Connection
) -> None:
    w = world
    # Nobody can act for A once erin's legacy token is refused too.
    repo = TenantRepository(w.ctx)
    await repo.of(WalletEntry).update({"user_id": w.erin.id}, status=WalletStatus.NEEDS_REAUTH)
    await repo.of(WalletEntry).update({"user_id": w.alice.id}, status=WalletStatus.NEEDS_REAUTH)
    job = _sync_job(w, w.a)
    with pytest.raises(NeedsSignIn) as caught:
        await choose_actor(w.ctx, mid=w.a, kind=BackgroundWork.SCHEDULED_SYNC, waiting_job=job)
    error = caught.value
    assert isinstance(error, QuarryError)
    assert error.code == "NEEDS_SIGN_IN"
    assert error.reason is WaitingReason.NO_USABLE_MEMBER
    assert error.user_id is None
    assert str(w.a) not in error.message and "token" not in error.message.lower()

    bu = await _bu(w, w.a)
    assert bu.background_state is BackgroundState.NEEDS_SIGN_IN
    assert bu.background_state_reason == WaitingReason.NO_USABLE_MEMBER.value
    assert bu.background_state_changed_at is not None
    assert (await _bu(w, w.b)).background_state is BackgroundState.READY

    [row] = await _waiting(w)
    assert row.id == error.waiting_id
    assert (row.mid, row.kind, row.job, row.queue) == (
        w.a,
        BackgroundWork.SCHEDULED_SYNC.value,
        SYNC_JOB,
        "low",
    )
    assert row.args == [w.t.tenant_id, w.a]
    assert row.waiting_for_user_id is None
    assert row.reason == WaitingReason.NO_USABLE_MEMBER.value

    # The same work waits once, and the BU's change is audited once.
    with pytest.raises(NeedsSignIn) as again:
        await choose_actor(w.ctx, mid=w.a, kind=BackgroundWork.SCHEDULED_SYNC, waiting_job=job)
    assert again.value.waiting_id == error.waiting_id
    assert len(await _waiting(w)) == 1
    changes = await _audit(admin_conn, w.t.tenant_id, "background.state_changed")
    assert [(r["mid"], json.loads(r["details"])["state"]) for r in changes] == [
        (w.a, "needs_sign_in")
    ]
    waits = await _audit(admin_conn, w.t.tenant_id, "background.needs_sign_in")
    assert len(waits) == 2
    assert json.loads(waits[0]["details"])["job"] == SYNC_JOB


async def test_waiting_rows_hold_ids_only(world: World, admin_conn: asyncpg.Connection) -> None:
    w = world
    for arg in ("a-refresh-token", b"bytes", 1.5, True, None, {"sql": "SELECT 1"}):
        with pytest.raises(ValueError, match="ids only"):
            WaitingJob(SYNC_JOB, (w.t.tenant_id, arg))  # type: ignore[arg-type]
    for name in ("os.system", "jobs", "jobs.x;y", "services.acting.choose_actor"):
        with pytest.raises(ValueError, match="not a job"):
            WaitingJob(name, (w.t.tenant_id,))
    await TenantRepository(w.ctx).of(WalletEntry).delete()
    with pytest.raises(NeedsSignIn):
        await choose_actor(
            w.ctx, mid=w.b, kind=BackgroundWork.SCHEDULED_SYNC, waiting_job=_sync_job(w, w.b)
        )
    row = await admin_conn.fetchrow(
        "SELECT * FROM waiting_work WHERE tenant_id = $1", w.t.tenant_id
    )
    assert row is not None
    assert set(row.keys()) == {
        "id",
        "tenant_id",
        "mid",
        "created_at",
        "kind",
        "job",
        "args",
        "job_key",
        "queue",
        "timeout_seconds",
        "waiting_for_user_id",
        "reason",
    }
    assert all(isinstance(v, int) for v in json.loads(row["args"]))
    assert "filler" not in " ".join(str(v) for v in row.values())


# ---------------------------------------------------------------------- recovery
async def test_the_next_sign_in_resumes_the_work_and_readies_the_bu(
    world: World, jobs: JobQueue, admin_conn: asyncpg.Connection
) -> None:
    w = world
    repo = TenantRepository(w.ctx)
    await repo.of(WalletEntry).update({"mid": w.a}, status=WalletStatus.NEEDS_REAUTH)
    await repo.of(WalletEntry).update({"user_id": w.alice.id}, status=WalletStatus.NEEDS_REAUTH)
    with pytest.raises(NeedsSignIn):
        await choose_actor(
            w.ctx, mid=w.a, kind=BackgroundWork.SCHEDULED_SYNC, waiting_job=_sync_job(w, w.a)
        )
    erin_run = WaitingJob("jobs.runs.execute_run", (w.t.tenant_id, w.a, w.erin.id))
    with pytest.raises(NeedsSignIn):
        await choose_actor(
            w.ctx,
            mid=w.a,
            kind=BackgroundWork.RUN,
            preferred_user_id=w.erin.id,
            waiting_job=erin_run,
        )

    # Still unusable: nothing resumes.
    unchanged = await resume_waiting_work(w.ctx, user_id=w.bob.id, enqueue=jobs)
    assert (unchanged.jobs, unchanged.ready_mids, unchanged.still_waiting_mids) == ((), (), (w.a,))
    assert len(await _waiting(w)) == 2

    await _sign_in_again(w, w.bob)
    resumed = await resume_waiting_work(w.ctx, user_id=w.bob.id, enqueue=jobs)
    enqueued_ids = [j.job_id for j in resumed.jobs]
    try:
        assert resumed.ready_mids == (w.a,)
        assert [j.queue for j in resumed.jobs] == ["low"]
        [enqueued] = resumed.jobs
        assert enqueued.enqueued
        job = Job.fetch(enqueued.job_id, connection=jobs.connection)
        assert job.func_name == SYNC_JOB
        assert job.args == (w.t.tenant_id, w.a)
        bu = await _bu(w, w.a)
        assert bu.background_state is BackgroundState.READY
        assert bu.background_state_reason == "signed_in"
        # erin's run waits for erin, not for whoever signs in.
        [left] = await _waiting(w)
        assert left.waiting_for_user_id == w.erin.id
        audited = await _audit(admin_conn, w.t.tenant_id, "background.resumed")
        assert [(r["actor_type"], r["actor_id"], r["mid"]) for r in audited] == [
            ("user", str(w.bob.id), w.a)
        ]
        again = await resume_waiting_work(w.ctx, user_id=w.bob.id, enqueue=jobs)
        assert again.jobs == ()

        await _sign_in_again(w, w.erin)
        erins = await resume_waiting_work(w.ctx, user_id=w.erin.id, enqueue=jobs)
        enqueued_ids += [j.job_id for j in erins.jobs]
        [run_job] = erins.jobs
        assert Job.fetch(run_job.job_id, connection=jobs.connection).args == (
            w.t.tenant_id,
            w.a,
            w.erin.id,  # a UUID again, as the job was first given it
        )
        assert await _waiting(w) == []
    finally:
        _drop_jobs(enqueued_ids)


async def test_a_legacy_sign_in_resumes_only_its_own_bu(world: World, jobs: JobQueue) -> None:
    w = world
    repo = TenantRepository(w.ctx)
    await repo.of(WalletEntry).delete()
    for mid in (w.p, w.a):
        with pytest.raises(NeedsSignIn):
            await choose_actor(
                w.ctx, mid=mid, kind=BackgroundWork.SCHEDULED_SYNC, waiting_job=_sync_job(w, mid)
            )
    await make_wallet_entry(w.t, user_id=w.erin.id, mid=w.a, kind=GrantKind.LEGACY)
    resumed = await resume_waiting_work(w.ctx, user_id=w.erin.id, enqueue=jobs)
    try:
        assert resumed.ready_mids == (w.a,)
        assert resumed.still_waiting_mids == (w.p,)
        assert (await _bu(w, w.p)).background_state is BackgroundState.NEEDS_SIGN_IN
        assert [row.mid for row in await _waiting(w)] == [w.p]
    finally:
        _drop_jobs([j.job_id for j in resumed.jobs])


async def test_a_bu_marked_by_a_check_is_ready_after_a_sign_in(
    world: World, jobs: JobQueue
) -> None:
    """A connection check given no job to store still marks the BU; sign-in clears it."""
    w = world
    await TenantRepository(w.ctx).of(WalletEntry).delete(user_id=w.dave.id)
    await TenantRepository(w.ctx).of(WalletEntry).delete(user_id=w.alice.id)
    with pytest.raises(NeedsSignIn) as caught:
        await choose_actor(
            w.ctx, mid=w.b, kind=BackgroundWork.CONNECTION_CHECK, preferred_user_id=w.dave.id
        )
    assert caught.value.waiting_id is None
    assert (await _bu(w, w.b)).background_state is BackgroundState.NEEDS_SIGN_IN
    await make_wallet_entry(w.t, user_id=w.dave.id, mid=w.b)
    resumed = await resume_waiting_work(w.ctx, user_id=w.dave.id, enqueue=jobs)
    assert (resumed.jobs, resumed.ready_mids) == ((), (w.b,))
    assert (await _bu(w, w.b)).background_state is BackgroundState.READY


# ---------------------------------------------------------------------- audit
async def test_job_audit_entries_say_whom_they_acted_for_and_why(
    world: World, admin_conn: asyncpg.Connection
) -> None:
    w = world
    acting = await choose_actor(
        w.ctx, mid=w.b, kind=BackgroundWork.ASSET_CLEANUP, preferred_user_id=w.bob.id
    )
    await acting_audit(
        w.ctx,
        acting,
        action="assets.deleted",
        outcome=Outcome.SUCCESS,
        target="de:shell-1",
        details={"assets": 1},
    )
    [row] = await _audit(admin_conn, w.t.tenant_id, "assets.deleted")
    assert (row["actor_type"], row["actor_id"], row["mid"]) == ("user", str(w.dave.id), w.b)
    assert json.loads(row["details"]) == {
        "background": "asset_cleanup",
        "acting_for": str(w.dave.id),
        "mce_user_id": w.dave.mce_user_id,
        "why": "most_recent_member",
        "assets": 1,
    }


# ---------------------------------------------------------------------- the job queue
async def test_job_queue_enqueues_by_name_once_per_idempotency_key(jobs: JobQueue) -> None:
    run_id = UUID(int=7)
    first = await jobs.enqueue("jobs.runs.execute_run", 1, run_id, idempotency_key="run:7")
    second = await jobs.enqueue("jobs.runs.execute_run", 1, run_id, idempotency_key="run:7")
    other = await jobs.enqueue("jobs.runs.execute_run", 1, run_id, queue="high")
    try:
        assert first.job_id == job_id_for("run:7") == second.job_id
        assert (first.enqueued, second.enqueued, other.enqueued) == (True, False, True)
        assert other.job_id != first.job_id and other.queue == "high"
        job = Job.fetch(first.job_id, connection=jobs.connection)
        assert (job.func_name, job.args, job.timeout) == ("jobs.runs.execute_run", (1, run_id), 180)
        with pytest.raises(ValueError, match="queue"):
            await jobs.enqueue("jobs.runs.execute_run", 1, queue="urgent")
        with pytest.raises(ValueError, match="ids only"):
            await jobs.enqueue("jobs.runs.execute_run", "token")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="not a job"):
            await jobs.enqueue("subprocess.run", 1)
    finally:
        _drop_jobs([first.job_id, other.job_id])


# ---------------------------------------------------------------------- isolation, races
async def test_waiting_work_is_forced_rls_per_tenant(
    world: World, admin_conn: asyncpg.Connection
) -> None:
    w = world
    await TenantRepository(w.ctx).of(WalletEntry).delete()
    with pytest.raises(NeedsSignIn):
        await choose_actor(
            w.ctx, mid=w.p, kind=BackgroundWork.SCHEDULED_SYNC, waiting_job=_sync_job(w, w.p)
        )
    forced = await admin_conn.fetchval(
        "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relname = 'waiting_work'"
    )
    assert forced is True
    other = TenantRepository((await make_tenant("Elsewhere")).context())
    assert await other.fetch("SELECT id FROM waiting_work") == []
    assert await other.fetch("UPDATE waiting_work SET reason = 'x' RETURNING id") == []
    with pytest.raises(Exception, match="row-level security"):
        await other.fetch(
            "INSERT INTO waiting_work (id, tenant_id, mid, kind, job, args, job_key, queue,"
            " timeout_seconds, reason, created_at) VALUES (gen_random_uuid(), $1, $2,"
            " 'run', 'jobs.x.y', '[]', 'k', 'default', 60, 'r', now())",
            [w.t.tenant_id, w.p],
        )
    assert len(await _waiting(w)) == 1


async def test_two_sign_ins_at_once_resume_each_job_once(world: World, jobs: JobQueue) -> None:
    w = world
    repo = TenantRepository(w.ctx)
    await repo.of(WalletEntry).delete()
    for mid in (w.p, w.a):
        with pytest.raises(NeedsSignIn):
            await choose_actor(
                w.ctx, mid=mid, kind=BackgroundWork.SCHEDULED_SYNC, waiting_job=_sync_job(w, mid)
            )
    await make_wallet_entry(w.t, user_id=w.alice.id, mid=w.p)
    await make_wallet_entry(w.t, user_id=w.bob.id, mid=w.a)
    first, second = await asyncio.gather(
        resume_waiting_work(w.ctx, user_id=w.alice.id, enqueue=jobs),
        resume_waiting_work(w.ctx, user_id=w.bob.id, enqueue=jobs),
    )
    claimed = [*first.jobs, *second.jobs]
    enqueued = [j for j in claimed if j.enqueued]
    try:
        assert len(claimed) == 2  # each row claimed by one sign-in only
        assert len({j.job_id for j in enqueued}) == 2
        assert await _waiting(w) == []
    finally:
        _drop_jobs([j.job_id for j in enqueued])
