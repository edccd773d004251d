"""``signOut`` through the app, as the SPA's sign-out button calls it: a cookie ``POST`` that
must pass the CSRF check like every other, ending only that session, audited."""

from __future__ import annotations

import asyncpg
import pytest
from starlette.applications import Starlette

from tests.app.test_users_graphql import VIEWER
from tests.auth_helpers import bearer, browser_headers, https_client, new_api_token, new_session
from tests.factories import TenantFixture, make_tenant
from tests.fixtures import GraphQLClient as Client

pytestmark = pytest.mark.usefixtures("db")

SIGN_OUT = "mutation { signOut { signedOut userErrors { code field message } } }"


async def test_sign_out_ends_the_session_behind_the_csrf_check(
    app: Starlette, admin_conn: asyncpg.Connection
) -> None:
    tenant = await make_tenant("SignOut")
    session_id, session = await new_session(app.state.sessions, tenant)
    headers = browser_headers(session_id, session.csrf_token)
    async with https_client(app) as http:
        # Without the CSRF header nothing runs: another page cannot sign the user out.
        forged = {k: v for k, v in headers.items() if k != "x-csrf-token"}
        refused = await http.post("/api/graphql", json={"query": SIGN_OUT}, headers=forged)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "CSRF"
        assert await app.state.sessions.get(session_id, touch=False) is not None

        client = Client(http, headers)
        done = (await client.data(SIGN_OUT))["signOut"]
        assert done == {"signedOut": True, "userErrors": []}
        assert await app.state.sessions.get(session_id, touch=False) is None
        assert (await client.data(VIEWER))["viewer"] is None
        state = await http.get("/api/auth/session", headers=headers)
        assert state.json()["signedIn"] is False
        again = (await client.data(SIGN_OUT))["signOut"]
        assert again["signedOut"] is False
        assert [e["code"] for e in again["userErrors"]] == ["UNAUTHENTICATED"]
    audited = await admin_conn.fetchval(
        "SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = 'auth.sign_out'"
        " AND target = $2",
        tenant.tenant_id,
        f"user:{tenant.user.id}",
    )
    assert audited == 1


async def test_a_token_cannot_sign_out(app: Starlette) -> None:
    tenant = await make_tenant("SignOutToken")
    token = await new_api_token(tenant, scope="read_write")
    async with https_client(app) as http:
        payload = (await Client(http, bearer(token.secret)).data(SIGN_OUT))["signOut"]
    assert payload["signedOut"] is False
    assert [e["code"] for e in payload["userErrors"]] == ["FORBIDDEN"]


async def test_sign_out_leaves_other_sessions_of_the_user(app: Starlette) -> None:
    tenant: TenantFixture = await make_tenant("SignOutOthers")
    first_id, first = await new_session(app.state.sessions, tenant)
    second_id, _ = await new_session(app.state.sessions, tenant)
    async with https_client(app) as http:
        done = await Client(http, browser_headers(first_id, first.csrf_token)).data(SIGN_OUT)
    assert done["signOut"]["signedOut"] is True
    assert await app.state.sessions.get(second_id, touch=False) is not None
