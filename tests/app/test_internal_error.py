"""An unexpected failure answers a masked 500 that still carries every security header and
the request id (Starlette builds it outside our header middleware)."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def _boom(request: Request) -> Response:
    raise RuntimeError("secret internals: token=abc123")


async def test_a_500_is_masked_and_keeps_the_security_headers(app: Starlette) -> None:
    app.router.routes.insert(0, Route("/api/test-boom", _boom))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://quarry.test") as http:
        response = await http.get("/api/test-boom", headers={"X-Request-ID": "req-12345678"})
    assert response.status_code == 500
    assert response.json()["error"] == {
        "code": "INTERNAL",
        "message": "Unexpected error.",
        "requestId": "req-12345678",
    }
    assert "abc123" not in response.text
    assert "frame-ancestors" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-request-id"] == "req-12345678"
