"""The ASGI application: routes, middleware and the lifespan of shared resources.

``uvicorn app.main:app`` builds it from the environment on first access.
"""

from __future__ import annotations

import functools
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from tortoise import Tortoise

from app.auth_routes import auth_routes
from app.authn import rate_limited_handler, wire_request_auth
from app.db import tortoise_config
from app.graphiql import graphiql_routes
from app.graphql import QuarryGraphQL
from app.logs import configure_logging
from app.middleware import (
    BodySizeLimitMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
    security_headers,
)
from app.run_export import run_export_routes
from app.session_routes import session_routes
from app.settings import Settings
from app.spa import SpaFiles, api_not_found, spa_directory
from app.wiring import token_wallet, wire_auth
from client.http import create_http_client
from models.health import ping_database
from services.errors import RateLimited
from services.health import Status, check_dependencies


async def healthz(request: Request) -> Response:
    """Liveness: the process answers. Never touches dependencies."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Readiness: Postgres, Redis and a worker heartbeat, per dependency; 503 if any is down."""
    results = await check_dependencies(ping_db=ping_database, redis=request.app.state.redis)
    ready = all(r.status is Status.OK for r in results)
    body = {
        "status": "ok" if ready else "unavailable",
        "dependencies": {
            r.name: {"status": r.status.value, "latency_ms": r.latency_ms, "detail": r.detail}
            for r in results
        },
    }
    return JSONResponse(body, status_code=200 if ready else 503)


async def internal_error(request: Request, exc: Exception) -> Response:
    """Unexpected failures: logged with the request id by the access log, masked here."""
    logging.getLogger("quarry.app").exception("unhandled error")
    request_id = request.scope.get("state", {}).get("request_id", "-")
    # Starlette answers a 500 from its outermost layer, outside our header middleware.
    headers = {
        **security_headers(request.app.state.settings),
        "cache-control": "no-store",
        "x-request-id": request_id,
    }
    return JSONResponse(
        {"error": {"code": "INTERNAL", "message": "Unexpected error.", "requestId": request_id}},
        status_code=500,
        headers=headers,
    )


def create_app(
    settings: Settings | None = None,
    *,
    manage_orm: bool = True,
    mce_http: httpx.AsyncClient | None = None,
) -> Starlette:
    """Build the app. ``manage_orm=False`` when the host process already set up tortoise;
    ``mce_http`` replaces the HTTP client used for MCE (tests put a proxy in front of it)."""
    own_mce_http = mce_http is None
    mce_client = mce_http if mce_http is not None else create_http_client(timeout=30.0)
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    graphql = QuarryGraphQL(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_orm:
            await Tortoise.init(
                config=tortoise_config(settings.app_database_url, max_size=settings.db_pool_size),
                _enable_global_fallback=True,
            )
        try:
            yield
        finally:
            await app.state.revocations.aclose()
            await app.state.redis.aclose()
            app.state.jobs.close()
            if own_mce_http:
                await mce_client.aclose()
            if manage_orm:
                await Tortoise.close_connections()

    routes = [
        Route("/api/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/api/graphql", graphql),
        Route("/api/healthz", healthz, methods=["GET"]),
        Route("/api/readyz", readyz, methods=["GET"]),
        *session_routes(),
        *auth_routes(),
        *run_export_routes(),
        Route("/api", api_not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route("/api/{rest:path}", api_not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        *graphiql_routes(enabled=settings.graphiql_enabled),
        Mount(
            "/",
            SpaFiles(
                directory=spa_directory(),
                csp=security_headers(settings)["content-security-policy"],
                dev_sign_in=not settings.is_production,
            ),
            name="spa",
        ),
    ]
    middleware = [
        Middleware(RequestIdMiddleware),
        Middleware(SecurityHeadersMiddleware, settings=settings),
        Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={500: internal_error, RateLimited: rate_limited_handler},
    )
    app.state.settings = settings
    app.state.redis = Redis.from_url(
        settings.redis_url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30
    )
    app.state.wallet = token_wallet(settings)
    wire_auth(app, settings, redis=app.state.redis, mce_http=mce_client, wallet=app.state.wallet)
    wire_request_auth(app, settings, redis=app.state.redis)
    return app


@functools.cache
def _default_app() -> Starlette:
    app = create_app()
    # What the served process built so far (modules, the schema, the WSDL) lives as long as
    # it does: frozen out of the cyclic collector's sight, so the many short-lived containers
    # of a result stream do not make every full collection walk it again (bench.runs: that
    # walk was over half of a 200,000-row stream's CPU).
    gc.collect()
    gc.freeze()
    return app


def __getattr__(name: str) -> Any:
    """``app.main.app``: built from the environment on first access, then reused."""
    if name == "app":
        return _default_app()
    raise AttributeError(name)
