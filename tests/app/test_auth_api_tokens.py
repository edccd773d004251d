"""API tokens through GraphQL, as the SPA uses them: create (secret once), list, revoke."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.auth_helpers import bearer, browser_headers, https_client, new_api_token, new_session
from tests.factories import TenantFixture, make_tenant
from tests.fixtures import GraphQLClient as Browser
from tests.fixtures import browser_session

pytestmark = pytest.mark.usefixtures("db")

CREATE = """mutation ($input: CreateApiTokenInput!) {
  createApiToken(input: $input) {
    token
    apiToken { id name scope mid createdAt expiresAt lastUsedAt revokedAt }
    userErrors { code field message }
  }
}"""
REVOKE = """mutation ($id: ID!) {
  revokeApiToken(input: {id: $id}) {
    apiToken { id revokedAt }
    userErrors { code field message }
  }
}"""
LIST = """query ($first: Int!, $after: String) {
  apiTokens(first: $first, after: $after) {
    edges { cursor node { id name scope lastUsedAt revokedAt } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""


@pytest_asyncio.fixture
async def tenant() -> TenantFixture:
    return await make_tenant("TokensUI")


@pytest_asyncio.fixture
async def browser(app: Starlette, tenant: TenantFixture) -> AsyncIterator[Browser]:
    headers = await browser_session(app, tenant)  # a signed-in SPA: cookie, CSRF, Origin
    async with https_client(app) as http:
        yield Browser(http, headers)


async def test_create_shows_the_secret_once_and_it_works(
    browser: Browser, tenant: TenantFixture
) -> None:
    body = await browser.graphql(
        CREATE, input={"name": "ci", "scope": "READ_WRITE", "expiresInDays": 7}
    )
    payload = body["data"]["createApiToken"]
    assert payload["userErrors"] == []
    secret, token = payload["token"], payload["apiToken"]
    assert secret.startswith("qry_")
    assert token["name"] == "ci" and token["scope"] == "READ_WRITE"
    assert token["mid"] == str(tenant.parent_mid) and token["revokedAt"] is None
    listed = await browser.graphql(LIST, first=10)
    assert secret not in str(listed) and secret[4:] not in str(listed)
    viewer = await browser.http.post(
        "/api/graphql", json={"query": "{ viewer { user { id } } }"}, headers=bearer(secret)
    )
    assert viewer.json()["data"]["viewer"]["user"]["id"] == str(tenant.user.id)


async def test_scope_defaults_to_read(browser: Browser) -> None:
    body = await browser.graphql(CREATE, input={"name": "reader"})
    assert body["data"]["createApiToken"]["apiToken"]["scope"] == "READ"


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "bad\u0000name"}, "name"),
        ({"name": "ok", "expiresInDays": 0}, "expiresInDays"),
        ({"name": "ok", "expiresInDays": 366}, "expiresInDays"),
    ],
)
async def test_bad_input_is_a_user_error(
    browser: Browser, given: dict[str, Any], field: str
) -> None:
    payload = (await browser.graphql(CREATE, input=given))["data"]["createApiToken"]
    assert payload["token"] is None and payload["apiToken"] is None
    [error] = payload["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", field)
    assert error["message"]


async def test_wrong_types_are_graphql_errors_not_500(browser: Browser) -> None:
    body = await browser.graphql(CREATE, input={"name": "ok", "scope": "ADMIN"})
    assert body["errors"] and body.get("data") is None
    body = await browser.graphql(CREATE, input={"name": "ok", "expiresInDays": 2**40})
    assert body["errors"]


async def test_list_pages_with_cursors(browser: Browser) -> None:
    for n in range(3):
        await browser.graphql(CREATE, input={"name": f"t{n}"})
    first = (await browser.graphql(LIST, first=2))["data"]["apiTokens"]
    assert [e["node"]["name"] for e in first["edges"]] == ["t2", "t1"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await browser.graphql(LIST, first=2, after=first["pageInfo"]["endCursor"]))["data"]
    assert [e["node"]["name"] for e in rest["apiTokens"]["edges"]] == ["t0"]
    assert rest["apiTokens"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("first", [0, 101])
async def test_page_size_out_of_bounds_is_an_error(browser: Browser, first: int) -> None:
    body = await browser.graphql(LIST, first=first)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_a_hostile_cursor_is_an_error(browser: Browser) -> None:
    body = await browser.graphql(LIST, first=5, after="not-a-cursor")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_revoke_stops_the_token_at_once(browser: Browser) -> None:
    created = (await browser.graphql(CREATE, input={"name": "short-lived"}))["data"]
    secret, token_id = (
        created["createApiToken"]["token"],
        created["createApiToken"]["apiToken"]["id"],
    )
    revoked = (await browser.graphql(REVOKE, id=token_id))["data"]["revokeApiToken"]
    assert revoked["userErrors"] == [] and revoked["apiToken"]["revokedAt"]
    again = (await browser.graphql(REVOKE, id=token_id))["data"]["revokeApiToken"]
    assert again["apiToken"]["revokedAt"] == revoked["apiToken"]["revokedAt"]
    response = await browser.http.post(
        "/api/graphql", json={"query": "{ health { status } }"}, headers=bearer(secret)
    )
    assert response.status_code == 401


@pytest.mark.parametrize("token_id", ["nope", "00000000-0000-0000-0000-000000000000"])
async def test_revoking_an_unknown_id_is_not_found(browser: Browser, token_id: str) -> None:
    payload = (await browser.graphql(REVOKE, id=token_id))["data"]["revokeApiToken"]
    assert payload["apiToken"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("NOT_FOUND", "id")]


async def test_another_tenants_token_id_is_not_found(browser: Browser) -> None:
    other = await make_tenant("Elsewhere")
    theirs = await new_api_token(other)
    payload = (await browser.graphql(REVOKE, id=str(theirs.token.id)))["data"]["revokeApiToken"]
    assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]
    still = await browser.http.post(
        "/api/graphql", json={"query": "{ health { status } }"}, headers=bearer(theirs.secret)
    )
    assert still.status_code == 200


async def test_another_users_token_in_the_same_tenant_is_not_found(
    app: Starlette, tenant: TenantFixture
) -> None:
    from models import Membership, TenantRepository, User
    from tests.factories import next_id

    repo = TenantRepository(tenant.context())
    colleague = await repo.of(User).create(mce_user_id=next_id(), name="Colleague")
    await repo.of(Membership).create(user_id=colleague.id, mid=tenant.parent_mid)
    theirs = await new_api_token(
        TenantFixture(tenant.tenant_id, tenant.parent_mid, tenant.child_mids, colleague)
    )
    session_id, session = await new_session(app.state.sessions, tenant)
    async with https_client(app) as http:
        me = Browser(http, browser_headers(session_id, session.csrf_token))
        payload = (await me.graphql(REVOKE, id=str(theirs.token.id)))["data"]["revokeApiToken"]
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]
        listed = (await me.graphql(LIST, first=10))["data"]["apiTokens"]["edges"]
        assert str(theirs.token.id) not in str(listed)


async def test_signed_out_gets_unauthenticated(app: Starlette) -> None:
    async with https_client(app) as http:
        response = await http.post("/api/graphql", json={"query": LIST, "variables": {"first": 5}})
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.json()["data"] is None


async def test_subscriptions_are_not_served_over_http(browser: Browser) -> None:
    body = await browser.graphql("subscription { sessionStatus { active } }")
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert "websocket" in error["message"]
