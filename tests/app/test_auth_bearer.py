"""Bearer authentication over HTTP: API tokens, support tokens, and every way to get it wrong."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from app.settings import Settings
from models import ApiToken, Membership, Tenant, TenantRepository, TenantStatus
from tests.auth_helpers import bearer, https_client, new_api_token, new_support_token
from tests.factories import TenantFixture, make_tenant

pytestmark = pytest.mark.usefixtures("db")

VIEWER = {"query": "{ viewer { user { id } businessUnit { mid } } }"}


@pytest_asyncio.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with https_client(app) as client:
        yield client


@pytest_asyncio.fixture
async def tenant() -> TenantFixture:
    return await make_tenant("Bearer")


def _assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["error"]["code"] == "UNAUTHENTICATED"
    assert body["error"]["message"]
    assert "data" not in body


def _codes(response: httpx.Response) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in response.json().get("errors", [])]


async def test_a_valid_token_acts_for_its_user_in_its_bu(
    http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    child = tenant.child_mids[0]
    issued = await new_api_token(tenant, mid=child)
    response = await http.post("/api/graphql", json=VIEWER, headers=bearer(issued.secret))
    assert response.status_code == 200
    viewer = response.json()["data"]["viewer"]
    assert viewer == {"user": {"id": str(tenant.user.id)}, "businessUnit": {"mid": str(child)}}


async def test_the_scheme_is_case_insensitive(
    http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    issued = await new_api_token(tenant)
    headers = {"authorization": f"bEaReR {issued.secret}"}
    response = await http.post("/api/graphql", json=VIEWER, headers=headers)
    assert response.json()["data"]["viewer"]["user"]["id"] == str(tenant.user.id)


async def test_last_used_is_recorded_at_most_once_a_minute(
    http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    issued = await new_api_token(tenant)
    tokens = TenantRepository(tenant.context()).of(ApiToken)
    assert (await tokens.get_or_none(id=issued.token.id)).last_used_at is None  # type: ignore[union-attr]
    await http.post("/api/graphql", json=VIEWER, headers=bearer(issued.secret))
    first = (await tokens.get_or_none(id=issued.token.id)).last_used_at  # type: ignore[union-attr]
    assert first is not None and datetime.now(UTC) - first < timedelta(minutes=1)
    await http.post("/api/graphql", json=VIEWER, headers=bearer(issued.secret))
    assert (await tokens.get_or_none(id=issued.token.id)).last_used_at == first  # type: ignore[union-attr]


async def test_revoked_token(http: httpx.AsyncClient, tenant: TenantFixture) -> None:
    issued = await new_api_token(tenant)
    await (
        TenantRepository(tenant.context())
        .of(ApiToken)
        .update({"id": issued.token.id}, revoked_at=datetime.now(UTC))
    )
    _assert_unauthenticated(
        await http.post("/api/graphql", json=VIEWER, headers=bearer(issued.secret))
    )


async def test_expired_token(http: httpx.AsyncClient, tenant: TenantFixture) -> None:
    issued = await new_api_token(tenant)
    await (
        TenantRepository(tenant.context())
        .of(ApiToken)
        .update({"id": issued.token.id}, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    _assert_unauthenticated(
        await http.post("/api/graphql", json=VIEWER, headers=bearer(issued.secret))
    )


async def test_unknown_token(http: httpx.AsyncClient) -> None:
    unknown = "qry_" + "A" * 43
    _assert_unauthenticated(await http.post("/api/graphql", json=VIEWER, headers=bearer(unknown)))


async def test_suspended_tenant_shuts_its_tokens(
    http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    issued = await new_api_token(tenant)
    await (
        TenantRepository(tenant.context())
        .of(Tenant)
        .update({"tenant_id": tenant.tenant_id}, status=TenantStatus.SUSPENDED)
    )
    _assert_unauthenticated(
        await http.post("/api/graphql", json=VIEWER, headers=bearer(issued.secret))
    )


async def test_losing_the_membership_shuts_the_token(
    http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    child = tenant.child_mids[1]
    issued = await new_api_token(tenant, mid=child)
    await (
        TenantRepository(tenant.context(child))
        .of(Membership)
        .delete(user_id=tenant.user.id, mid=child)
    )
    _assert_unauthenticated(
        await http.post("/api/graphql", json=VIEWER, headers=bearer(issued.secret))
    )


@pytest.mark.parametrize(
    "value",
    [
        "Bearer",
        "Bearer ",
        "Bearer  \t",
        "Basic dXNlcjpwYXNz",
        "Token qry_" + "A" * 43,
        "qry_" + "A" * 43,
        "Bearer qry_short",
        "Bearer qry_" + "A" * 44,
        "Bearer qry_" + "*" * 43,
        "Bearer xyz_" + "A" * 43,
        "Bearer qry_" + "A" * 43 + " extra",
        "Bearer " + "A" * 10_000,
        "Bearer\x00qry_" + "A" * 43,
    ],
)
async def test_malformed_and_oversized_headers_are_401_json(
    http: httpx.AsyncClient, value: str
) -> None:
    response = await http.post("/api/graphql", json=VIEWER, headers={"authorization": value})
    _assert_unauthenticated(response)


async def test_non_ascii_header_is_401(http: httpx.AsyncClient) -> None:
    headers = {"authorization": "Bearer qry_é".encode() + b"A" * 41}
    _assert_unauthenticated(await http.post("/api/graphql", json=VIEWER, headers=headers))


async def test_two_authorization_headers_are_refused(
    http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    issued = await new_api_token(tenant)
    headers = [("authorization", f"Bearer {issued.secret}")] * 2
    _assert_unauthenticated(await http.post("/api/graphql", json=VIEWER, headers=headers))


@pytest.mark.parametrize("name", ["access_token", "token", "authorization", "api_token"])
async def test_a_token_in_the_query_string_is_ignored(
    http: httpx.AsyncClient, tenant: TenantFixture, name: str
) -> None:
    issued = await new_api_token(tenant)
    response = await http.post("/api/graphql", params={name: issued.secret}, json=VIEWER)
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": None}}


async def test_a_read_token_cannot_mutate(http: httpx.AsyncClient, tenant: TenantFixture) -> None:
    issued = await new_api_token(tenant, scope="read")
    mutation = 'mutation { revokeApiToken(input: {id: "%s"}) { userErrors { code } } }'
    response = await http.post(
        "/api/graphql",
        json={"query": mutation % issued.token.id},
        headers=bearer(issued.secret),
    )
    assert response.status_code == 200
    assert _codes(response) == ["FORBIDDEN"]
    assert response.json()["data"] is None
    token = await TenantRepository(tenant.context()).of(ApiToken).get_or_none(id=issued.token.id)
    assert token is not None and token.revoked_at is None


async def test_a_read_write_token_cannot_mint_tokens(
    http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    issued = await new_api_token(tenant, scope="read_write")
    response = await http.post(
        "/api/graphql",
        json={"query": 'mutation { createApiToken(input: {name: "child"}) { token } }'},
        headers=bearer(issued.secret),
    )
    assert _codes(response) == ["FORBIDDEN"]
    assert "qry_" not in response.text
    assert await TenantRepository(tenant.context()).of(ApiToken).count(name="child") == 0


async def test_a_token_can_list_its_users_tokens(
    http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    issued = await new_api_token(tenant, name="lister")
    response = await http.post(
        "/api/graphql",
        json={"query": "{ apiTokens { edges { node { id name } } } }"},
        headers=bearer(issued.secret),
    )
    nodes = [e["node"] for e in response.json()["data"]["apiTokens"]["edges"]]
    assert nodes == [{"id": str(issued.token.id), "name": "lister"}]
    assert issued.secret not in response.text


async def test_a_support_token_sees_no_tenant_data(
    http: httpx.AsyncClient, db: Settings, tenant: TenantFixture
) -> None:
    await new_api_token(tenant)
    secret = await new_support_token(db)
    assert secret.startswith("qrs_")
    viewer = await http.post("/api/graphql", json=VIEWER, headers=bearer(secret))
    assert viewer.status_code == 200 and viewer.json() == {"data": {"viewer": None}}
    tokens = await http.post(
        "/api/graphql",
        json={"query": "{ apiTokens { edges { node { id } } } }"},
        headers=bearer(secret),
    )
    assert _codes(tokens) == ["FORBIDDEN"]
    assert tokens.json()["data"] is None
    health = await http.post(
        "/api/graphql", json={"query": "{ health { status } }"}, headers=bearer(secret)
    )
    assert health.json() == {"data": {"health": {"status": "ok"}}}


async def test_an_expired_or_revoked_support_token_is_401(
    http: httpx.AsyncClient, db: Settings, admin_conn: asyncpg.Connection
) -> None:
    expired, revoked = await new_support_token(db), await new_support_token(db)
    from services.api_tokens import hash_token

    await admin_conn.execute(
        "UPDATE support_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
        hash_token(expired),
    )
    await admin_conn.execute(
        "UPDATE support_tokens SET revoked_at = now() WHERE token_hash = $1", hash_token(revoked)
    )
    for secret in (expired, revoked):
        _assert_unauthenticated(
            await http.post("/api/graphql", json=VIEWER, headers=bearer(secret))
        )


async def test_a_support_prefix_does_not_open_an_api_token(
    http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    issued = await new_api_token(tenant)
    forged = "qrs_" + issued.secret.removeprefix("qry_")
    _assert_unauthenticated(await http.post("/api/graphql", json=VIEWER, headers=bearer(forged)))


async def test_bearer_wins_over_a_cookie(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    """With both, the header decides: a bad token is refused even beside a good cookie."""
    from tests.auth_helpers import new_session, session_cookie

    session_id, _ = await new_session(app.state.sessions, tenant)
    headers = {**session_cookie(session_id), **bearer("qry_" + "B" * 43)}
    _assert_unauthenticated(await http.post("/api/graphql", json=VIEWER, headers=headers))
