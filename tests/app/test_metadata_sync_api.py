"""``refreshMetadata`` and ``metadataSync`` at the API's edge: who may start a sync, what the
payload says, and which BUs' progress a viewer may follow."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from redis.asyncio import Redis
from starlette.applications import Starlette

from resolvers import metadata as resolve
from services.authn import Authentication
from services.errors import InvalidInput, NotFound
from services.identity import Principal
from tests.auth_helpers import bearer, https_client, new_api_token
from tests.factories import TenantFixture, make_tenant

pytestmark = pytest.mark.usefixtures("db")

REFRESH = (
    "mutation { refreshMetadata(input: {full: true}) { sync { mid state phase full }"
    " userErrors { code } } }"
)


@pytest_asyncio.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with https_client(app) as client:
        yield client


async def _post(http: httpx.AsyncClient, token: str, query: str) -> Any:
    response = await http.post("/api/graphql", json={"query": query}, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_read_token_cannot_start_a_sync(http: httpx.AsyncClient) -> None:
    tenant = await make_tenant("SyncRead")
    token = (await new_api_token(tenant, scope="read", mid=tenant.child_mids[0])).secret
    body = await _post(http, token, REFRESH)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_refresh_queues_a_sync_of_the_viewers_bu_and_a_second_joins_it(
    http: httpx.AsyncClient,
) -> None:
    tenant = await make_tenant("SyncWrite")
    mid = tenant.child_mids[0]
    token = (await new_api_token(tenant, scope="read_write", mid=mid)).secret
    first = (await _post(http, token, REFRESH))["data"]["refreshMetadata"]
    assert first["userErrors"] == []
    assert first["sync"]["mid"] == str(mid)
    assert first["sync"]["state"] == "RUNNING" and first["sync"]["full"] is True
    second = (await _post(http, token, REFRESH))["data"]["refreshMetadata"]
    assert second["sync"]["state"] == "RUNNING"


def _auth(tenant: TenantFixture, mid: int) -> Authentication:
    return Authentication(
        principal=Principal(
            tenant_id=tenant.tenant_id,
            mid=mid,
            user_id=tenant.user.id,
            parent_mid=tenant.parent_mid,
        )
    )


@pytest.mark.parametrize("mid", ["sibling", "other_tenant", "junk"])
async def test_metadata_sync_follows_only_the_viewers_bu_or_its_parent(
    redis: Redis, mid: str
) -> None:
    tenant, other = await make_tenant("SyncWatch"), await make_tenant("SyncWatchOther")
    viewer = _auth(tenant, tenant.child_mids[0])
    wanted = {
        "sibling": str(tenant.child_mids[1]),
        "other_tenant": str(other.child_mids[0]),
        "junk": "12ab",
    }[mid]
    expected = InvalidInput if mid == "junk" else NotFound
    with pytest.raises(expected):
        async for _ in resolve.metadata_sync(viewer, mid=wanted, redis=redis):
            pass


async def test_metadata_sync_answers_the_current_state_first(
    http: httpx.AsyncClient, redis: Redis
) -> None:
    tenant = await make_tenant("SyncFirst")
    mid = tenant.child_mids[0]
    token = (await new_api_token(tenant, scope="read_write", mid=mid)).secret
    await _post(http, token, REFRESH)
    states = resolve.metadata_sync(_auth(tenant, mid), mid=None, redis=redis)
    first = await asyncio.wait_for(anext(states), timeout=5)
    assert first.mid == mid and first.state.value == "RUNNING"
    parent = resolve.metadata_sync(_auth(tenant, mid), mid=str(tenant.parent_mid), redis=redis)
    # The parent was never synced: nothing to say until it is (no error either).
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(parent), timeout=0.3)
