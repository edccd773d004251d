"""``GET /api/auth/session``: the SPA's view of its session and its CSRF token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from services.sessions import SessionStore
from tests.auth_helpers import https_client, new_session, session_cookie
from tests.factories import TenantFixture, make_tenant

pytestmark = pytest.mark.usefixtures("db")

SIGNED_OUT = {"signedIn": False, "csrfToken": None, "expiresAt": None}


@pytest_asyncio.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with https_client(app) as client:
        yield client


@pytest_asyncio.fixture
async def tenant() -> TenantFixture:
    return await make_tenant("SessionRoute")


def _store(app: Starlette) -> SessionStore:
    store: SessionStore = app.state.sessions
    return store


async def test_signed_out(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/auth/session")
    assert response.status_code == 200
    assert response.json() == SIGNED_OUT
    assert response.headers["cache-control"] == "no-store"


async def test_signed_in_gives_the_csrf_token_and_expiry(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    session_id, session = await new_session(_store(app), tenant)
    response = await http.get("/api/auth/session", headers=session_cookie(session_id))
    body = response.json()
    assert body["signedIn"] is True
    assert body["csrfToken"] == session.csrf_token
    expires = datetime.fromisoformat(body["expiresAt"])
    expected = _store(app).expiry(session).expires_at
    assert abs(expires.timestamp() - expected) < 1
    assert expires.tzinfo is not None
    assert response.headers["cache-control"] == "no-store"
    assert session_id not in response.text


async def test_reading_the_status_is_not_activity(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    session_id, session = await new_session(_store(app), tenant)
    for _ in range(3):
        await http.get("/api/auth/session", headers=session_cookie(session_id))
    after = await _store(app).get(session_id, touch=False)
    assert after is not None and after.last_seen_at == session.last_seen_at


@pytest.mark.parametrize(
    "cookie",
    ["__Host-quarry_session=unknown", "__Host-quarry_session=", "__Host-quarry_session=a b", "x"],
)
async def test_unknown_or_malformed_cookie_is_signed_out(
    http: httpx.AsyncClient, cookie: str
) -> None:
    response = await http.get("/api/auth/session", headers={"cookie": cookie})
    assert response.status_code == 200 and response.json() == SIGNED_OUT


async def test_an_ended_session_is_signed_out(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    session_id, _ = await new_session(_store(app), tenant)
    await _store(app).end(session_id)
    response = await http.get("/api/auth/session", headers=session_cookie(session_id))
    assert response.json() == SIGNED_OUT


async def test_a_stale_duplicate_cookie_does_not_hide_the_live_one(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    session_id, session = await new_session(_store(app), tenant)
    cookie = f"__Host-quarry_session=stale-one; __Host-quarry_session={session_id}"
    response = await http.get("/api/auth/session", headers={"cookie": cookie})
    assert response.json()["csrfToken"] == session.csrf_token


async def test_only_get(app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture) -> None:
    session_id, session = await new_session(_store(app), tenant)
    response = await http.post("/api/auth/session", headers=session_cookie(session_id))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert session.csrf_token not in response.text
