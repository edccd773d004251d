"""Routes: the SPA and its deep links, GraphQL, JSON 404s, liveness and readiness."""

from __future__ import annotations

import socket
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from redis import Redis
from rq import Worker

from app.settings import Settings
from app.spa import spa_directory
from tests.app.conftest import client_for

pytestmark = pytest.mark.usefixtures("db")


async def test_root_serves_the_spa(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-app="quarry"' in response.text


async def test_deep_link_falls_back_to_index(client: httpx.AsyncClient) -> None:
    response = await client.get("/runs/123/results")
    assert response.status_code == 200
    assert 'data-app="quarry"' in response.text


async def test_static_asset_is_served_as_itself(client: httpx.AsyncClient) -> None:
    # A stylesheet of whichever app is served (the build's hashed one, or the placeholder's).
    stylesheet = next(spa_directory().rglob("*.css")).relative_to(spa_directory())
    response = await client.get(f"/{stylesheet.as_posix()}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.content == (spa_directory() / stylesheet).read_bytes()


async def test_path_traversal_does_not_escape_web_root(client: httpx.AsyncClient) -> None:
    response = await client.get("/..%2f..%2fpyproject.toml")
    assert "[project]" not in response.text


async def test_graphql_answers_health(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/graphql", json={"query": "{ health { status version } }"})
    assert response.status_code == 200
    assert response.json()["data"]["health"]["status"] == "ok"


async def test_viewer_is_null_when_signed_out(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/graphql", json={"query": "{ viewer { user { id } } }"})
    assert response.json() == {"data": {"viewer": None}}


@pytest.mark.parametrize("path", ["/api/x", "/api/graphql/extra", "/api", "/api/auth/nothing"])
async def test_unknown_api_path_is_json_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_every_response_has_request_id_and_security_headers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/", headers={"x-request-id": "abc12345-from-proxy"})
    assert response.headers["x-request-id"] == "abc12345-from-proxy"
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'self' https://mc.exacttarget.com" in csp
    assert "*" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    hostile = await client.get("/", headers={"x-request-id": "<script>"})
    assert hostile.headers["x-request-id"] != "<script>"


async def test_readyz_reports_each_dependency(client: httpx.AsyncClient, db: Settings) -> None:
    redis = Redis.from_url(db.redis_url)
    worker = Worker(["default"], connection=redis, name=f"readyz-probe-{socket.gethostname()}")
    worker.register_birth()
    worker.heartbeat()
    try:
        response = await client.get("/api/readyz")
        body = response.json()
        assert response.status_code == 200, body
        assert {name: dep["status"] for name, dep in body["dependencies"].items()} == {
            "postgres": "ok",
            "redis": "ok",
            "worker": "ok",
        }
    finally:
        worker.register_death()
        redis.close()


def _redis_db_without_workers(url: str) -> str:
    """A logical DB of the same server with no RQ worker registered (others may run tests)."""
    parts = urlsplit(url)
    for db_index in range(1, 15):
        if parts.scheme == "unix":  # embedded Redis: the DB is a query parameter
            query = urlencode({**dict(parse_qsl(parts.query)), "db": str(db_index)})
            candidate = urlunsplit(parts._replace(query=query))
        else:
            candidate = urlunsplit(parts._replace(path=f"/{db_index}"))
        probe = Redis.from_url(candidate)
        try:
            if not probe.exists("rq:workers"):
                return candidate
        finally:
            probe.close()
    raise AssertionError("every Redis DB has RQ workers registered")


async def test_readyz_is_503_without_a_worker(db: Settings) -> None:
    settings = replace(db, redis_url=_redis_db_without_workers(db.redis_url))
    async with client_for(settings) as http:
        response = await http.get("/api/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["dependencies"]["worker"]["status"] == "down"
    assert body["dependencies"]["postgres"]["status"] == "ok"


async def test_readyz_is_503_when_redis_is_unreachable(db: Settings) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings = replace(db, redis_url=f"redis://127.0.0.1:{closed_port}/0")
    async with client_for(settings) as http:
        response = await http.get("/api/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["dependencies"]["redis"]["status"] == "down"
    assert body["dependencies"]["postgres"]["status"] == "ok"


async def test_a_request_id_with_a_trailing_newline_is_replaced() -> None:
    """``$`` matches before a final newline: the id check must match the whole value, or a
    forged id could split log lines or headers downstream."""
    from starlette.responses import PlainTextResponse

    from app.middleware import RequestIdMiddleware

    seen: list[bytes] = []

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            seen.extend(v for k, v in message["headers"] if k == b"x-request-id")  # type: ignore[attr-defined]

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    middleware = RequestIdMiddleware(PlainTextResponse("ok"))
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(b"x-request-id", b"abcdefgh12345\n")],
    }
    await middleware(scope, receive, send)  # type: ignore[arg-type]
    assert len(seen) == 1 and seen[0] != b"abcdefgh12345\n" and b"\n" not in seen[0]
