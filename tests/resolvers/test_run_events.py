"""``runEvents`` at the resolver (real Postgres and Redis): the viewer's run only (another
user's, BU's or tenant's run answers not-found like a junk id), replay then live, resume
from a cursor with no gap and no duplicate, a bad cursor refused, an expired stream of a
finished run answered with one event describing it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
from redis.asyncio import Redis

from models import TenantRepository, User
from resolvers.run_events import run_events
from services.authn import Authentication
from services.errors import InvalidInput, NotFound
from services.identity import Principal
from services.redis_keys import run_events_key
from services.runs import events
from tests.factories import TenantFixture, make_tenant, next_id

pytestmark = pytest.mark.usefixtures("db")


async def _run(admin: asyncpg.Connection, tenant: TenantFixture, mid: int, user_id: UUID,
               *, status: str = "RUNNING") -> UUID:  # fmt: skip
    run_id = uuid4()
    await admin.execute(
        "INSERT INTO runs (tenant_id, mid, id, user_id, sql_text, sql_hash, run_sql, status,"
        " columns, shape, marker, marker_column, attempts)"
        " VALUES ($1, $2, $3, $4, 'SELECT 1 AS x', 'h', '', $5, '[]', '', 'm', '', 0)",
        tenant.tenant_id, mid, run_id, user_id, status,
    )  # fmt: skip
    return run_id


def _auth(tenant: TenantFixture, mid: int, user_id: UUID) -> Authentication:
    return Authentication(principal=Principal(tenant_id=tenant.tenant_id, mid=mid, user_id=user_id))


async def _take(stream: AsyncIterator[tuple[str, dict[str, Any]]], count: int) -> list[Any]:
    got: list[Any] = []

    async def take() -> None:
        async for item in stream:
            got.append(item)
            if len(got) == count:
                return

    await asyncio.wait_for(take(), 5.0)
    return got


async def _all(stream: AsyncIterator[tuple[str, dict[str, Any]]]) -> list[Any]:
    return await asyncio.wait_for(_collect(stream), 5.0)


async def _collect(stream: AsyncIterator[tuple[str, dict[str, Any]]]) -> list[Any]:
    return [item async for item in stream]


async def test_replay_then_live_then_resume_without_gap_or_duplicate(
    admin_conn: asyncpg.Connection, redis: Redis
) -> None:
    tenant = await make_tenant("RunEvents")
    mid = tenant.child_mids[0]
    run_id = await _run(admin_conn, tenant, mid, tenant.user.id)
    auth = _auth(tenant, mid, tenant.user.id)
    await events.publish(redis, run_id, {"runId": str(run_id), "status": "QUEUED"})
    await events.publish(redis, run_id, {"runId": str(run_id), "status": "STARTING"})

    first = run_events(auth, run_id=run_id, after=None, redis=redis)
    seen = await _take(first, 2)
    await first.aclose()  # type: ignore[attr-defined]  # the client disconnects
    assert [e["status"] for _, e in seen] == ["QUEUED", "STARTING"]

    await events.publish(redis, run_id, {"runId": str(run_id), "status": "RUNNING"})
    resumed = run_events(auth, run_id=run_id, after=seen[-1][0], redis=redis)

    async def finish_later() -> None:
        await asyncio.sleep(0.2)
        await events.publish(redis, run_id, {"runId": str(run_id), "status": "COMPLETE"})

    finisher = asyncio.create_task(finish_later())
    rest = await _all(resumed)  # ends after COMPLETE
    await finisher
    assert [e["status"] for _, e in rest] == ["RUNNING", "COMPLETE"]
    cursors = [c for c, _ in seen + rest]
    assert len(set(cursors)) == 4


async def test_other_users_bus_and_tenants_runs_are_not_found(
    admin_conn: asyncpg.Connection, redis: Redis
) -> None:
    tenant = await make_tenant("RunEventsOwner")
    mid, other_mid = tenant.child_mids
    run_id = await _run(admin_conn, tenant, mid, tenant.user.id)
    await events.publish(redis, run_id, {"runId": str(run_id), "status": "QUEUED"})
    repo = TenantRepository(tenant.context())
    colleague = await repo.of(User).create(
        mce_user_id=next_id(), email="colleague@runevents.example", name="Colleague"
    )
    stranger = await make_tenant("RunEventsStranger")
    viewers = [
        _auth(tenant, mid, colleague.id),  # same BU, another user
        _auth(tenant, other_mid, tenant.user.id),  # the same user in another BU
        _auth(stranger, stranger.child_mids[0], stranger.user.id),  # another tenant
    ]
    for auth in viewers:
        with pytest.raises(NotFound):
            await _all(run_events(auth, run_id=run_id, after=None, redis=redis))
    with pytest.raises(NotFound):  # a junk id (the schema passes None)
        await _all(
            run_events(_auth(tenant, mid, tenant.user.id), run_id=None, after=None, redis=redis)
        )
    with pytest.raises(NotFound):
        await _all(
            run_events(_auth(tenant, mid, tenant.user.id), run_id=uuid4(), after=None, redis=redis)
        )


async def test_a_bad_cursor_is_refused_naming_the_argument(
    admin_conn: asyncpg.Connection, redis: Redis
) -> None:
    tenant = await make_tenant("RunEventsCursor")
    mid = tenant.child_mids[0]
    run_id = await _run(admin_conn, tenant, mid, tenant.user.id)
    with pytest.raises(InvalidInput) as refused:
        await _all(
            run_events(_auth(tenant, mid, tenant.user.id), run_id=run_id, after="$", redis=redis)
        )
    assert refused.value.field == "after"


async def test_a_finished_run_whose_stream_expired_is_told_once(
    admin_conn: asyncpg.Connection, redis: Redis
) -> None:
    tenant = await make_tenant("RunEventsExpired")
    mid = tenant.child_mids[0]
    run_id = await _run(admin_conn, tenant, mid, tenant.user.id, status="FAILED")
    assert await redis.exists(run_events_key(run_id)) == 0
    auth = _auth(tenant, mid, tenant.user.id)
    got = await _all(run_events(auth, run_id=run_id, after="1-0", redis=redis))
    assert [(e["status"], e["runId"]) for _, e in got] == [("FAILED", str(run_id))]
    # The snapshot is now in the stream: a resume from its cursor ends at once.
    assert await _all(run_events(auth, run_id=run_id, after=got[0][0], redis=redis)) == []


async def test_a_final_state_whose_event_was_lost_reaches_the_follower(
    admin_conn: asyncpg.Connection, redis: Redis
) -> None:
    """The run FAILED in Postgres but its event never reached Redis: a follower waiting on
    the stream is told within one idle period instead of waiting for ever."""
    tenant = await make_tenant("RunEventsLost")
    mid = tenant.child_mids[0]
    run_id = await _run(admin_conn, tenant, mid, tenant.user.id)
    auth = _auth(tenant, mid, tenant.user.id)
    await events.publish(redis, run_id, {"runId": str(run_id), "status": "RUNNING"})
    follower = run_events(auth, run_id=run_id, after=None, redis=redis, idle_ms=100)
    first = await _take(follower, 1)
    assert first[0][1]["status"] == "RUNNING"
    await admin_conn.execute("UPDATE runs SET status = 'FAILED' WHERE id = $1", run_id)
    rest = await _all(follower)
    assert [e["status"] for _, e in rest] == ["FAILED"]
