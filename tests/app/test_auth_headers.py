"""Security headers on every kind of response: HTML, JSON, 401, 403, 404, 429."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from app.middleware import SecurityHeadersMiddleware
from app.settings import Environment, Settings
from tests.auth_helpers import (
    bearer,
    https_client,
    new_session,
    running_app,
    session_cookie,
    unique_ip,
)
from tests.factories import make_tenant

pytestmark = pytest.mark.usefixtures("db")


@pytest_asyncio.fixture
async def limited(db: Settings) -> AsyncIterator[Starlette]:
    async with running_app(replace(db, rate_limit_graphql_per_minute=1)) as application:
        yield application


def _assert_security_headers(response: httpx.Response, settings: Settings) -> None:
    csp = response.headers["content-security-policy"]
    assert f"frame-ancestors 'self' {' '.join(settings.frame_ancestors)}" in csp
    assert "default-src 'self'" in csp and "object-src 'none'" in csp and "*" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert response.headers["x-request-id"]
    assert "strict-transport-security" not in response.headers  # not in test settings


async def _responses(app: Starlette) -> dict[str, httpx.Response]:
    ip = unique_ip()
    session_id, _ = await new_session(app.state.sessions, await make_tenant("Headers"))
    async with https_client(app, ip=ip) as http:
        return {
            "html": await http.get("/"),
            "json": await http.get("/api/healthz"),
            "graphql": await http.post("/api/graphql", json={"query": "{ health { status } }"}),
            "404": await http.get("/api/no-such-thing"),
            "401": await http.post(
                "/api/graphql", json={"query": "{ health { status } }"}, headers=bearer("nope")
            ),
            "403": await http.post(
                "/api/graphql",
                json={"query": "{ health { status } }"},
                headers={**session_cookie(session_id), "origin": "https://evil.example"},
            ),
        }


async def test_every_kind_of_response_carries_them(app: Starlette, db: Settings) -> None:
    responses = await _responses(app)
    assert responses["html"].headers["content-type"].startswith("text/html")
    statuses = {name: response.status_code for name, response in responses.items()}
    assert statuses == {
        "html": 200,
        "json": 200,
        "graphql": 200,
        "404": 404,
        "401": 401,
        "403": 403,
    }
    for response in responses.values():
        _assert_security_headers(response, db)


async def test_api_responses_are_never_stored(app: Starlette) -> None:
    responses = await _responses(app)
    # The app's page too: each response carries its own CSP nonce, so a stored copy would
    # hold a nonce no longer in force (its immutable /assets/ files are what browsers cache).
    for name in ("html", "json", "graphql", "404", "401", "403"):
        assert responses[name].headers["cache-control"] == "no-store", name


async def test_429_carries_them(limited: Starlette, db: Settings) -> None:
    ip = unique_ip()
    async with https_client(limited, ip=ip) as http:
        await http.post("/api/graphql", json={"query": "{ health { status } }"})
        response = await http.post("/api/graphql", json={"query": "{ health { status } }"})
    assert response.status_code == 429
    _assert_security_headers(response, db)
    assert response.headers["cache-control"] == "no-store"


async def test_hsts_in_production_only(db: Settings) -> None:
    async def plain(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("ok")(scope, receive, send)

    production = SecurityHeadersMiddleware(plain, settings=replace(db, env=Environment.PRODUCTION))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=production), base_url="https://quarry.test"
    ) as http:
        response = await http.get("/api/x")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert response.headers["cache-control"] == "no-store"
