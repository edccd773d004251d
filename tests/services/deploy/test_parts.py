"""The parts of a deployment on their own: the request's shape rules, the drift comparison, the
progress stream (replay, a retry after an end, the key allow-list), the tenant's BU slots
across processes' clients, and row-level security on the deployment tables."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from redis.asyncio import Redis

from client.errors import Throttled
from client.limits import RedisConcurrencyLimiter, slots_key
from models import TenantContext, TenantRepository
from models.deployments import UpdateType
from services.deploy import progress
from services.deploy.drift import ActivityState, find_drift
from services.deploy.request import (
    DeployRequest,
    TargetSpec,
    check_path,
    check_request,
    check_schedule,
)
from services.deploy.store import ensure_target, insert_deployment, targets_of
from services.errors import InvalidInput
from services.redis_keys import deployment_events_key, deployment_slots_key
from tests.factories import make_tenant


def _request(**overrides: object) -> DeployRequest:
    values: dict[str, object] = {
        "name": "A query",
        "key": "a_key",
        "sql": "SELECT 1 AS One",
        "target": TargetSpec(key="target"),
        "update_type": UpdateType.OVERWRITE,
        "mids": (1,),
        "idempotency_key": "k",
    }
    values.update(overrides)
    return DeployRequest(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"key": "k" * 37}, "key"),
        ({"key": " padded"}, "key"),
        ({"name": ""}, "name"),
        ({"name": "x" * 129}, "name"),
        ({"name": "tab\there"}, "name"),
        ({"sql": "  "}, "sql"),
        ({"mids": ()}, "mids"),
        ({"mids": (1, 1)}, "mids"),
        ({"mids": tuple(range(1, 102))}, "mids"),
        ({"idempotency_key": ""}, "idempotencyKey"),
        ({"idempotency_key": "k" * 201}, "idempotencyKey"),
        ({"target": TargetSpec(key="")}, "target.key"),
        (
            {"target": TargetSpec(key="t", create=True), "update_type": UpdateType.UPDATE},
            "target.primaryKey",
        ),
    ],
)
def test_a_malformed_request_names_its_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_request(_request(**overrides), max_business_units=100)
    assert refused.value.field == field


def test_paths_and_schedules() -> None:
    assert check_path("Query/ Daily /Sales", field="p") == ("Query", "Daily", "Sales")
    assert check_path("", field="p") == ()
    with pytest.raises(InvalidInput):
        check_path("/".join(["x"] * 11), field="p")
    start = datetime(2030, 1, 1, tzinfo=UTC)
    schedule = check_schedule(
        start=start, recurrence="freq=daily;interval=1", time_zone_id=5, end=None
    )
    assert schedule.mce_schedule() == {
        "startDate": "2030-01-01T00:00:00+00:00",
        "icalRecur": "FREQ=DAILY;INTERVAL=1",
        "timezoneId": 5,
    }
    for bad in (
        {"recurrence": "INTERVAL=1"},
        {"recurrence": "FREQ=SOMETIMES"},
        {"recurrence": "FREQ=DAILY;<script>"},
        {"start": datetime(2030, 1, 1)},
        {"end": start - timedelta(days=1)},
        {"time_zone_id": 0},
    ):
        given: dict[str, object] = {
            "start": start, "recurrence": "FREQ=DAILY", "time_zone_id": 5, "end": None, **bad,
        }  # fmt: skip
        with pytest.raises(InvalidInput):
            check_schedule(**given)  # type: ignore[arg-type]


def test_the_request_hash_ignores_only_the_idempotency_key() -> None:
    assert _request().request_hash() == _request(idempotency_key="other").request_hash()
    assert _request().request_hash() != _request(sql="SELECT 2 AS One").request_hash()
    assert _request().request_hash() != _request(force=True).request_hash()


def test_drift_is_sql_target_or_update_type_and_the_diff_is_unified() -> None:
    deployed = ActivityState("SELECT a\nFROM t\r\n", "target", "Overwrite")
    assert (
        find_drift(
            deployed=deployed, current=ActivityState("SELECT a  \nFROM t", "TARGET", "overwrite")
        )
        is None
    )
    drift = find_drift(
        deployed=deployed, current=ActivityState("SELECT a\nFROM u", "other", "Append")
    )
    assert drift is not None
    assert drift.changes == ("sql", "target", "updateType")
    assert drift.sql_diff.splitlines() == [
        "--- deployed",
        "+++ in Marketing Cloud",
        "@@ -1,2 +1,2 @@",
        " SELECT a",
        "-FROM t",
        "+FROM u",
    ]


async def test_progress_replays_from_a_cursor_and_reads_through_an_end_into_a_retry(
    redis: Redis,
) -> None:
    deployment_id = uuid.uuid4()
    try:
        first = progress.bu_event(deployment_id, mid=7, step="FOLDER", status="STARTED")
        cursors = [await progress.publish(redis, deployment_id, first)]
        ended = progress.deployment_event(deployment_id, status="FAILED", attempt=1)
        cursors.append(await progress.publish(redis, deployment_id, ended))
        read = [c async for c, _ in progress.replay_and_follow(redis, deployment_id, after=None)]
        assert read == cursors  # ends at the final event while it is the newest
        assert [
            c async for c, _ in progress.replay_and_follow(redis, deployment_id, after=cursors[-1])
        ] == []

        retry = progress.deployment_event(deployment_id, status="RUNNING", attempt=2)
        cursors.append(await progress.publish(redis, deployment_id, retry))
        done = progress.deployment_event(deployment_id, status="SUCCEEDED", attempt=2)

        async def later() -> None:
            await asyncio.sleep(0.2)
            cursors.append(await progress.publish(redis, deployment_id, done))

        task = asyncio.create_task(later())
        read = [
            c async for c, _ in progress.replay_and_follow(redis, deployment_id, after=cursors[0])
        ]
        await task
        assert read == cursors[1:]  # through the first end, the retry, then live to its end
        assert await redis.ttl(deployment_events_key(deployment_id)) > 0
        with pytest.raises(progress.InvalidCursorError):
            [c async for c, _ in progress.replay_and_follow(redis, deployment_id, after="x")]
    finally:
        await redis.delete(deployment_events_key(deployment_id))


async def test_events_carry_only_allowed_keys(redis: Redis) -> None:
    deployment_id = uuid.uuid4()
    event = progress.bu_event(deployment_id, mid=1, step="ACTIVITY", status="STARTED")
    with pytest.raises(progress.UnsafeEventError):
        await progress.publish(redis, deployment_id, {**event, "sql": "SELECT secret"})
    with pytest.raises(progress.UnsafeEventError):
        await progress.publish_quietly(None, deployment_id, {**event, "token": "x"})
    assert await redis.exists(deployment_events_key(deployment_id)) == 0


async def test_the_tenants_bu_slots_are_shared_by_every_limiter(redis: Redis) -> None:
    tenant_id = 900_000_000 + uuid.uuid4().int % 1_000_000
    make = lambda: RedisConcurrencyLimiter(  # noqa: E731 - two processes' limiters
        redis, limit=2, acquire_timeout=0.2, key_for=deployment_slots_key
    )
    one, two = make(), make()
    try:
        async with one.slot(tenant_id), two.slot(tenant_id):
            assert await redis.zcard(deployment_slots_key(tenant_id)) == 2
            with pytest.raises(Throttled):
                async with one.slot(tenant_id):
                    pass
            assert await redis.zcard(slots_key(tenant_id)) == 0  # MCE call slots untouched
        async with one.slot(tenant_id):
            pass
    finally:
        await redis.delete(deployment_slots_key(tenant_id))


@pytest.mark.usefixtures("db")
async def test_deployment_rows_are_confined_to_their_bu(admin_conn: asyncpg.Connection) -> None:
    tenant = await make_tenant("DeployRLS")
    child_a, child_b = tenant.child_mids
    origin = tenant.context(tenant.parent_mid)
    deployment, created = await insert_deployment(
        origin, user_id=tenant.user.id, api_token_id=None, idempotency_key="rls",
        request_hash="h", activity_key="k", activity_name="n", description="",
        folder_path=(), sql="SELECT 1 AS One", sql_hash="s", update_type=UpdateType.OVERWRITE,
        target=TargetSpec(key="t"), automation=None, create_missing=False, force=False,
        findings=[], target_mids=(child_a, child_b), rollback_of=None,
    )  # fmt: skip
    assert created
    for mid in (child_a, child_b):
        await ensure_target(deployment, mid)
    assert set(await targets_of(deployment)) == {child_a, child_b}

    a_ctx = TenantContext(
        tenant_id=tenant.tenant_id,
        mid=child_a,
        visible_mids=frozenset({child_a, tenant.parent_mid}),
    )
    rows = await TenantRepository(a_ctx).fetch("SELECT mid FROM deployment_targets", [])
    assert [r["mid"] for r in rows] == [child_a]  # not the sibling's
    assert await TenantRepository(a_ctx).fetch("SELECT id FROM deployments", []) == []
    with pytest.raises(Exception, match="row-level security"):
        await TenantRepository(a_ctx).fetch(
            "INSERT INTO deployment_targets (tenant_id, mid, deployment_id, origin_mid, user_id,"
            " activity_key, activity_name, sql_text, sql_hash, update_type, target_key)"
            " VALUES ($1, $2, $3, $4, $5, 'k', 'n', 's', 'h', 'Overwrite', 't')",
            [tenant.tenant_id, child_b, deployment.id, tenant.parent_mid, tenant.user.id],
        )
    other = await make_tenant("DeployRLS2")
    foreign = other.context(other.parent_mid)
    assert await TenantRepository(foreign).fetch("SELECT id FROM deployments", []) == []
    count = await admin_conn.fetchval(
        "SELECT count(*) FROM deployment_targets WHERE deployment_id = $1", deployment.id
    )
    assert count == 2
