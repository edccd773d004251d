"""Rate limits at the HTTP edge: 429 JSON with Retry-After; IP, user and token limits apart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
import pytest_asyncio
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.authn import rate_limited_handler, signin_limiter, wire_request_auth
from app.settings import Settings
from services.errors import RateLimited
from services.rate_limits import RateLimitExceeded
from tests.auth_helpers import (
    bearer,
    browser_headers,
    https_client,
    new_api_token,
    new_session,
    running_app,
    unique_ip,
)
from tests.factories import TenantFixture, make_tenant

pytestmark = pytest.mark.usefixtures("db")

HEALTH = {"query": "{ health { status } }"}
LIMIT = 3


@pytest_asyncio.fixture
async def limited(db: Settings) -> AsyncIterator[Starlette]:
    settings = replace(
        db,
        rate_limit_graphql_per_minute=LIMIT,
        rate_limit_bearer_per_minute=2,
        rate_limit_signin_per_minute=2,
    )
    async with running_app(settings) as application:
        yield application


@pytest_asyncio.fixture
async def tenant() -> TenantFixture:
    return await make_tenant("Limits")


def _assert_429(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    error = response.json()["error"]
    assert error["code"] == "RATE_LIMITED"
    assert error["message"] and error["requestId"]


async def _post(app: Starlette, ip: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async with https_client(app, ip=ip) as http:
        return await http.post("/api/graphql", json=HEALTH, headers=headers or {})


async def test_per_ip_limit_answers_429_json(limited: Starlette) -> None:
    ip = unique_ip()
    for _ in range(LIMIT):
        assert (await _post(limited, ip)).status_code == 200
    _assert_429(await _post(limited, ip))
    assert (await _post(limited, unique_ip())).status_code == 200  # another address is fine


async def test_a_user_is_limited_across_addresses(
    limited: Starlette, tenant: TenantFixture
) -> None:
    session_id, session = await new_session(limited.state.sessions, tenant)
    headers = browser_headers(session_id, session.csrf_token)
    for _ in range(LIMIT):
        assert (await _post(limited, unique_ip(), headers)).status_code == 200
    fresh_ip = unique_ip()
    _assert_429(await _post(limited, fresh_ip, headers))  # the user's limit, not the address's
    assert (await _post(limited, fresh_ip)).status_code == 200  # the address itself is fine


async def test_an_exhausted_address_does_not_limit_the_user_elsewhere(
    limited: Starlette, tenant: TenantFixture
) -> None:
    busy = unique_ip()
    for _ in range(LIMIT):
        await _post(limited, busy)
    session_id, session = await new_session(limited.state.sessions, tenant)
    headers = browser_headers(session_id, session.csrf_token)
    _assert_429(await _post(limited, busy, headers))
    assert (await _post(limited, unique_ip(), headers)).status_code == 200


async def test_a_token_is_limited_across_addresses(
    limited: Starlette, tenant: TenantFixture
) -> None:
    issued = await new_api_token(tenant)
    for _ in range(2):
        assert (await _post(limited, unique_ip(), bearer(issued.secret))).status_code == 200
    _assert_429(await _post(limited, unique_ip(), bearer(issued.secret)))


async def test_guessing_tokens_is_limited_per_address(limited: Starlette) -> None:
    ip = unique_ip()
    for n in range(2):
        guess = bearer("qry_" + str(n) * 43)
        assert (await _post(limited, ip, guess)).status_code == 401
    _assert_429(await _post(limited, ip, bearer("qry_" + "9" * 43)))


async def test_429_carries_the_security_headers(limited: Starlette) -> None:
    ip = unique_ip()
    for _ in range(LIMIT):
        await _post(limited, ip)
    response = await _post(limited, ip)
    _assert_429(response)
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


# ------------------------------------------------------------------ helpers for other routes
def _tiny_app(settings: Settings, redis: Redis) -> Starlette:
    async def signin(request: Request) -> Response:
        refused = await signin_limiter(request)
        return refused or JSONResponse({"ok": True})

    async def raises(request: Request) -> Response:
        raise RateLimitExceeded(retry_after=7)

    async def raises_plain(request: Request) -> Response:
        raise RateLimited("Slow down.")

    app = Starlette(
        routes=[
            Route("/signin", signin),
            Route("/raises", raises),
            Route("/raises-plain", raises_plain),
        ],
        exception_handlers={RateLimited: rate_limited_handler},
    )
    wire_request_auth(app, settings, redis=redis)
    return app


async def test_signin_limiter_per_address(db: Settings) -> None:
    redis = Redis.from_url(db.redis_url)
    try:
        app = _tiny_app(replace(db, rate_limit_signin_per_minute=2), redis)
        ip = unique_ip()
        async with https_client(app, ip=ip) as http:
            assert (await http.get("/signin")).json() == {"ok": True}
            assert (await http.get("/signin")).json() == {"ok": True}
            _assert_429(await http.get("/signin"))
        async with https_client(app) as other:
            assert (await other.get("/signin")).status_code == 200
    finally:
        await redis.aclose()


async def test_signin_fails_closed_without_redis(db: Settings) -> None:
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        async with https_client(_tiny_app(db, down)) as http:
            _assert_429(await http.get("/signin"))
    finally:
        await down.aclose()


async def test_routes_raising_rate_limited_answer_429(db: Settings) -> None:
    redis = Redis.from_url(db.redis_url)
    try:
        async with https_client(_tiny_app(db, redis)) as http:
            response = await http.get("/raises")
            _assert_429(response)
            assert response.headers["retry-after"] == "7"
            _assert_429(await http.get("/raises-plain"))
    finally:
        await redis.aclose()


async def test_the_session_route_counts_against_the_per_ip_limit(limited: Starlette) -> None:
    async with https_client(limited, ip=unique_ip()) as http:
        answers = [await http.get("/api/auth/session") for _ in range(LIMIT + 1)]
    assert [a.status_code for a in answers] == [200] * LIMIT + [429]
    _assert_429(answers[-1])
