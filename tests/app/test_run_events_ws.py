"""``runEvents`` over a real websocket (uvicorn in the test's loop, graphql-transport-ws) with
an API token: replay, live events, the subscription completing after the final event, a
resume from the last cursor with nothing missed or repeated, and another tenant's run
answered NOT_FOUND."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
import pytest_asyncio
from redis.asyncio import Redis
from starlette.applications import Starlette

from schema.global_ids import encode_global_id
from services.runs import events
from tests.app.test_websocket_auth import _init, _recv, _send, _serve, _socket
from tests.auth_helpers import bearer, new_api_token
from tests.factories import TenantFixture, make_tenant

pytestmark = pytest.mark.usefixtures("db")

QUERY = (
    "subscription($id: ID!, $after: String) { runEvents(runId: $id, after: $after) {"
    " cursor runId status rowCount error { code message cause fix } } }"
)


@pytest_asyncio.fixture
async def url(app: Starlette) -> AsyncIterator[str]:
    async with _serve(app) as address:
        yield address


async def _run(admin: asyncpg.Connection, tenant: TenantFixture, mid: int) -> UUID:
    run_id = uuid4()
    await admin.execute(
        "INSERT INTO runs (tenant_id, mid, id, user_id, sql_text, sql_hash, run_sql, status,"
        " columns, shape, marker, marker_column, attempts)"
        " VALUES ($1, $2, $3, $4, 'SELECT 1 AS x', 'h', '', 'RUNNING', '[]', '', 'm', '', 0)",
        tenant.tenant_id, mid, run_id, tenant.user.id,
    )  # fmt: skip
    return run_id


async def _subscribe(ws: Any, op_id: str, run_id: UUID, after: str | None = None) -> None:
    variables = {"id": encode_global_id("Run", str(run_id)), "after": after}
    await _send(ws, {"id": op_id, "type": "subscribe",
                     "payload": {"query": QUERY, "variables": variables}})  # fmt: skip


async def _events_until_complete(ws: Any, op_id: str) -> list[dict[str, Any]]:
    got = []
    while True:
        message = await _recv(ws)
        assert message.get("id") == op_id, message
        if message["type"] == "complete":
            return got
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        got.append(message["payload"]["data"]["runEvents"])


async def test_run_events_replay_live_complete_and_resume(
    app: Starlette, url: str, admin_conn: asyncpg.Connection, redis: Redis
) -> None:
    tenant = await make_tenant("RunEventsWs")
    mid = tenant.child_mids[0]
    run_id = await _run(admin_conn, tenant, mid)
    token = (await new_api_token(tenant, scope="read", mid=mid)).secret
    await events.publish(redis, run_id, {"runId": str(run_id), "status": "QUEUED"})
    await events.publish(redis, run_id, {"runId": str(run_id), "status": "RUNNING"})

    async with _socket(url, origin=None) as ws:
        assert (await _init(ws, bearer(token)))["type"] == "connection_ack"
        await _subscribe(ws, "1", run_id)
        first = [(await _recv(ws))["payload"]["data"]["runEvents"] for _ in range(2)]
    assert [e["status"] for e in first] == ["QUEUED", "RUNNING"]
    assert first[0]["runId"] == encode_global_id("Run", str(run_id))

    # While the client is away the run fails; it reconnects with its last cursor.
    failure = {"code": "MCE_ERROR", "message": "Conversion failed", "cause": "c", "fix": "f"}
    await events.publish(
        redis,
        run_id,
        {"runId": str(run_id), "status": "FAILED", "rowCount": None, "error": failure},
    )
    async with _socket(url, origin=None) as ws:
        assert (await _init(ws, bearer(token)))["type"] == "connection_ack"
        await _subscribe(ws, "2", run_id, after=first[-1]["cursor"])
        rest = await asyncio.wait_for(_events_until_complete(ws, "2"), 5)
    assert [e["status"] for e in rest] == ["FAILED"]
    assert rest[0]["error"] == failure
    assert len({e["cursor"] for e in first + rest}) == 3


async def test_another_tenants_run_is_not_found(
    app: Starlette, url: str, admin_conn: asyncpg.Connection, redis: Redis
) -> None:
    owner = await make_tenant("RunEventsWsOwner")
    run_id = await _run(admin_conn, owner, owner.child_mids[0])
    await events.publish(redis, run_id, {"runId": str(run_id), "status": "QUEUED"})
    stranger = await make_tenant("RunEventsWsStranger")
    token = (await new_api_token(stranger, scope="read", mid=stranger.child_mids[0])).secret
    async with _socket(url, origin=None) as ws:
        assert (await _init(ws, bearer(token)))["type"] == "connection_ack"
        await _subscribe(ws, "1", run_id)
        message = await _recv(ws)
    assert message["type"] in ("next", "error"), message
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
