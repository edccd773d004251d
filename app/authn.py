"""The HTTP side of request authentication: wiring, the client address, JSON refusals.

The decisions themselves live in :mod:`services.authn` (credentials), :mod:`services.rate_limits`
and :mod:`services.revocations`; this module builds them once per process from settings,
puts them on ``app.state`` and turns their refusals into responses:

- 401 ``{"error": {"code": "UNAUTHENTICATED", ...}}`` with ``WWW-Authenticate: Bearer`` for a
  refused bearer credential;
- 403 ``{"error": {"code": "CSRF", ...}}`` for a cookie request failing the CSRF checks;
- 429 ``{"error": {"code": "RATE_LIMITED", ...}}`` with ``Retry-After``.

The client address is the ASGI peer address. ``X-Forwarded-For`` is NOT trusted: anyone can
send it, and trusting it would let a client pick the address it is limited by. Behind a
reverse proxy every client would share the proxy's address; a trusted-proxy setting (only
then reading the header, and only the hop the proxy appended) comes with the deployment that
needs it.
"""

from __future__ import annotations

from collections.abc import Mapping

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from app.settings import Settings
from app.wiring import session_store
from services.audit import RequestMeta
from services.authn import Authenticator
from services.errors import QuarryError, RateLimited
from services.rate_limits import Limit, RateLimiter, RateLimitExceeded
from services.revocations import RevocationFeed
from services.sessions import SessionStore

__all__ = [
    "auth_error_response",
    "client_ip",
    "rate_limited_handler",
    "request_meta",
    "signin_limiter",
    "wire_request_auth",
]


def client_ip(scope: Scope) -> str:
    """The peer address of the connection (see the module docstring on proxies)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def request_id_of(scope: Scope) -> str:
    return str(scope.get("state", {}).get("request_id", "-"))


def request_meta(connection: HTTPConnection) -> RequestMeta:
    return RequestMeta(
        ip=client_ip(connection.scope),
        user_agent=connection.headers.get("user-agent", "")[:300],
        request_id=request_id_of(connection.scope),
    )


def auth_error_response(
    error: QuarryError, *, status: int, scope: Scope, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """A JSON refusal carrying the error's public code and message."""
    all_headers = dict(headers or {})
    if isinstance(error, RateLimitExceeded):
        all_headers["retry-after"] = str(error.retry_after)
    return JSONResponse(
        {
            "error": {
                "code": error.code,
                "message": error.message,
                "requestId": request_id_of(scope),
            }
        },
        status_code=status,
        headers=all_headers,
    )


async def rate_limited_handler(request: Request, exc: Exception) -> Response:
    """Starlette exception handler: any route raising RateLimited answers 429."""
    assert isinstance(exc, RateLimited)
    if not isinstance(exc, RateLimitExceeded):
        exc = RateLimitExceeded(retry_after=60, message=exc.message)
    return auth_error_response(exc, status=429, scope=request.scope)


async def signin_limiter(request: Request) -> Response | None:
    """Per-IP limit of the sign-in endpoints: None to proceed, else the 429 to send.

    Fails closed: while Redis is unreachable, sign-in answers 429 (it fronts MCE calls).
    """
    limiter: RateLimiter = request.app.state.rate_limits
    try:
        await limiter.hit("signin", f"ip:{client_ip(request.scope)}")
    except RateLimitExceeded as exc:
        return auth_error_response(exc, status=429, scope=request.scope)
    return None


def rate_limiter(settings: Settings, redis: Redis) -> RateLimiter:
    return RateLimiter(
        redis,
        limits={
            "signin": Limit(settings.rate_limit_signin_per_minute, fail_closed=True),
            "graphql": Limit(settings.rate_limit_graphql_per_minute),
            "bearer": Limit(settings.rate_limit_bearer_per_minute),
        },
    )


def wire_request_auth(app: Starlette, settings: Settings, *, redis: Redis) -> None:
    """``app.state``: ``sessions`` (unless already wired), ``rate_limits``,
    ``authenticator``, ``revocations``. Close ``revocations`` in the lifespan's shutdown.
    """
    sessions = getattr(app.state, "sessions", None)
    if not isinstance(sessions, SessionStore):
        sessions = session_store(settings, redis)
        app.state.sessions = sessions
    limiter = rate_limiter(settings, redis)
    app.state.rate_limits = limiter
    app.state.authenticator = Authenticator(sessions=sessions, limiter=limiter, redis=redis)
    app.state.revocations = RevocationFeed(redis)
