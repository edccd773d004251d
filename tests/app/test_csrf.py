"""CSRF: cookie-authenticated GraphQL POSTs need a trusted Origin AND the session's CSRF token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from app.settings import Settings
from models import ApiToken, TenantRepository
from services.sessions import Session, SessionStore
from tests.auth_helpers import (
    ORIGIN,
    Clock,
    bearer,
    browser_headers,
    https_client,
    new_api_token,
    new_session,
    session_cookie,
)
from tests.factories import TenantFixture, make_tenant

pytestmark = pytest.mark.usefixtures("db")

VIEWER = {"query": "{ viewer { user { id } } }"}


@pytest_asyncio.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with https_client(app) as client:
        yield client


@pytest_asyncio.fixture
async def tenant() -> TenantFixture:
    return await make_tenant("Csrf")


def _store(app: Starlette) -> SessionStore:
    store: SessionStore = app.state.sessions
    return store


def _assert_csrf_refusal(response: httpx.Response) -> None:
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "CSRF"
    assert error["message"] and error["requestId"] == response.headers["x-request-id"]
    assert "data" not in response.json()


async def test_the_spa_request_passes(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    session_id, session = await new_session(_store(app), tenant)
    response = await http.post(
        "/api/graphql", json=VIEWER, headers=browser_headers(session_id, session.csrf_token)
    )
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["user"]["id"] == str(tenant.user.id)


async def test_an_mce_frame_origin_is_trusted(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture, db: Settings
) -> None:
    session_id, session = await new_session(_store(app), tenant)
    mce = db.frame_ancestors[0]
    headers = browser_headers(session_id, session.csrf_token, origin=mce)
    response = await http.post("/api/graphql", json=VIEWER, headers=headers)
    assert response.status_code == 200


async def test_missing_csrf_header(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    session_id, _ = await new_session(_store(app), tenant)
    headers = {**session_cookie(session_id), "origin": ORIGIN}
    _assert_csrf_refusal(await http.post("/api/graphql", json=VIEWER, headers=headers))


@pytest.mark.parametrize("wrong", ["x", "", " ", "A" * 43, "é".encode() * 10, "a" * 5000])
async def test_wrong_csrf_token(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture, wrong: str | bytes
) -> None:
    session_id, _ = await new_session(_store(app), tenant)
    headers = {**session_cookie(session_id), "origin": ORIGIN, "x-csrf-token": wrong}
    _assert_csrf_refusal(await http.post("/api/graphql", json=VIEWER, headers=headers))


async def test_csrf_token_of_another_session(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    mine, _ = await new_session(_store(app), tenant)
    _, theirs = await new_session(_store(app), tenant)
    headers = browser_headers(mine, theirs.csrf_token)
    _assert_csrf_refusal(await http.post("/api/graphql", json=VIEWER, headers=headers))


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "null",
        "https://quarry.test.evil.example",
        "http://quarry.test",  # our host, but not our scheme
        "https://quarry.test:8443",
        "https://mc.exacttarget.com.evil.example",
    ],
)
async def test_untrusted_origin(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture, origin: str
) -> None:
    session_id, session = await new_session(_store(app), tenant)
    headers = browser_headers(session_id, session.csrf_token, origin=origin)
    _assert_csrf_refusal(await http.post("/api/graphql", json=VIEWER, headers=headers))


async def test_missing_origin(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    session_id, session = await new_session(_store(app), tenant)
    headers = {**session_cookie(session_id), "x-csrf-token": session.csrf_token}
    _assert_csrf_refusal(await http.post("/api/graphql", json=VIEWER, headers=headers))


async def test_a_refused_mutation_changes_nothing(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    session_id, _ = await new_session(_store(app), tenant)
    mutation = {"query": 'mutation { createApiToken(input: {name: "csrf"}) { token } }'}
    headers = {**session_cookie(session_id), "origin": "https://evil.example"}
    _assert_csrf_refusal(await http.post("/api/graphql", json=mutation, headers=headers))
    repo = TenantRepository(tenant.context())
    assert await repo.of(ApiToken).count(name="csrf") == 0


async def test_bearer_requests_need_no_csrf(http: httpx.AsyncClient, tenant: TenantFixture) -> None:
    issued = await new_api_token(tenant)
    response = await http.post("/api/graphql", json=VIEWER, headers=bearer(issued.secret))
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["user"]["id"] == str(tenant.user.id)


async def test_a_dead_cookie_is_just_signed_out(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/api/graphql", json=VIEWER, headers=session_cookie("no-such-session-id")
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": None}}


async def test_mutations_over_get_are_refused(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    session_id, session = await new_session(_store(app), tenant)
    response = await http.get(
        "/api/graphql",
        params={"query": 'mutation { createApiToken(input: {name: "via-get"}) { token } }'},
        headers=browser_headers(session_id, session.csrf_token),
    )
    assert 400 <= response.status_code < 500
    assert await TenantRepository(tenant.context()).of(ApiToken).count(name="via-get") == 0


async def test_queries_over_get_are_refused(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    session_id, session = await new_session(_store(app), tenant)
    response = await http.get(
        "/api/graphql",
        params={"query": "{ viewer { user { id } } }"},
        headers=browser_headers(session_id, session.csrf_token),
    )
    assert 400 <= response.status_code < 500
    assert str(tenant.user.id) not in response.text


# ------------------------------------------------------------------ activity
# Only a request that passed the checks extends the session: otherwise any page in the same
# cookie partition could keep a session alive past its idle timeout with refused requests.
async def _clocked_session(app: Starlette, tenant: TenantFixture) -> tuple[str, Session, Clock]:
    clock = Clock()
    _store(app).clock = clock  # the app's own store, on a clock the test moves
    session_id, session = await new_session(_store(app), tenant)
    clock.advance(60)
    return session_id, session, clock


async def _last_seen(app: Starlette, session: Session) -> float:
    current = await _store(app).get_by_hash(session.id_hash, touch=False)
    assert current is not None
    return current.last_seen_at


async def test_a_request_that_passed_csrf_extends_the_session(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    session_id, session, _ = await _clocked_session(app, tenant)
    headers = browser_headers(session_id, session.csrf_token)
    response = await http.post("/api/graphql", json=VIEWER, headers=headers)
    assert response.json()["data"]["viewer"]["user"]["id"] == str(tenant.user.id)
    assert await _last_seen(app, session) == session.last_seen_at + 60


@pytest.mark.parametrize(
    "refusal", ["no csrf header", "wrong csrf token", "foreign origin", "no origin"]
)
async def test_a_csrf_refused_request_does_not_extend_the_session(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture, refusal: str
) -> None:
    session_id, session, _ = await _clocked_session(app, tenant)
    headers = {
        "no csrf header": {**session_cookie(session_id), "origin": ORIGIN},
        "wrong csrf token": browser_headers(session_id, "wrong"),
        "foreign origin": browser_headers(
            session_id, session.csrf_token, origin="https://evil.example"
        ),
        "no origin": {**session_cookie(session_id), "x-csrf-token": session.csrf_token},
    }[refusal]
    _assert_csrf_refusal(await http.post("/api/graphql", json=VIEWER, headers=headers))
    assert await _last_seen(app, session) == session.last_seen_at


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"query": "{ viewer { user { id } } }"},
        {"query": "subscription { sessionStatus { active } }"},
    ],
    ids=["bare", "query", "subscription"],
)
async def test_a_get_does_not_extend_the_session(
    app: Starlette,
    http: httpx.AsyncClient,
    tenant: TenantFixture,
    params: dict[str, str],
) -> None:
    """GETs run nothing (404, refused queries, subscriptions refused over HTTP), so they are
    never activity, whatever headers they carry."""
    session_id, session, _ = await _clocked_session(app, tenant)
    headers = browser_headers(session_id, session.csrf_token)
    response = await http.get("/api/graphql", params=params, headers=headers)
    assert str(tenant.user.id) not in response.text
    assert await _last_seen(app, session) == session.last_seen_at
