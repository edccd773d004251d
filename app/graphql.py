"""The GraphQL endpoint: strawberry's ASGI view behind our authentication, CSRF and rate limits.

HTTP (``POST /api/graphql``), before strawberry sees the request:
1. the per-IP limit; 2. the credential (a refused bearer token is a 401, never anonymous);
3. for cookie-authenticated POSTs, CSRF: a trusted ``Origin`` AND ``X-CSRF-Token`` equal to
the session's token (bearer requests are exempt: no ambient credential); 4. the per-user
limit; 5. only then is the session's activity recorded. A session is looked up without
extending it, so a refused request, or a GET (which runs nothing: queries over GET stay
refused by strawberry, ``allow_queries_via_get=False``), cannot keep it alive.

Websockets (``graphql-transport-ws`` only; the legacy protocol's handshake is refused):
- At the upgrade the ``Origin`` must be a trusted origin, exactly: browsers attach cookies to
  cross-site websocket handshakes and CORS does not apply (cross-site websocket hijacking).
  A missing ``Origin`` means a non-browser client; it is let through, but may then only
  authenticate with a bearer token: cookies are not honoured without an Origin.
- ``connection_init`` carries ``{"authorization": "Bearer ..."}``, else the upgrade request's
  session cookie is used, and then only with ``{"csrfToken": "..."}``, the session's CSRF
  token: the Origin check alone would let any page on a trusted origin (every MCE host in
  ``FRAME_ANCESTORS``) open a socket with the ambient cookie and run mutations. A refused
  credential or a missing or wrong CSRF token closes the socket with 4403.
- The credential is re-checked at every ``subscribe`` (activity, recorded once the subscribe
  passed the checks) and by a watcher per socket, woken by the revocation feed when its
  session ends or its token is revoked and on a timer as a backstop; an ended credential
  closes the socket with 4403.
- A frame that is not JSON (nesting bombs and oversized numbers included) closes the socket
  with 4400. Frames above 1 MiB are refused by uvicorn (``--ws-max-size``, docs/operations.md).
- At most 10 operations at a time per socket (strawberry refuses the excess with an error).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import orjson
from cross_web import HTTPException
from graphql import GraphQLFormattedError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    SubscribeMessage,
)
from strawberry.types.unset import UNSET, UnsetType

from app.authn import auth_error_response, client_ip, request_meta
from app.cookies import SESSION_COOKIE, read_cookie_values
from app.settings import Settings
from schema import schema
from schema.context import GraphQLContext
from services.authn import (
    ANONYMOUS,
    Authentication,
    Authenticator,
    AuthMethod,
    CsrfRejected,
    InvalidCredentials,
    check_csrf,
    check_csrf_token,
)
from services.errors import QuarryError
from services.identity import Principal
from services.metadata.preview import MceAccess
from services.rate_limits import RateLimiter, RateLimitExceeded

__all__ = ["MAX_SUBSCRIPTIONS_PER_CONNECTION", "MAX_WEBSOCKET_FRAME_BYTES", "QuarryGraphQL"]

log = logging.getLogger("quarry.graphql")

MAX_SUBSCRIPTIONS_PER_CONNECTION = 10
#: How often a socket re-checks its credential without being told (the backstop).
RECHECK_SECONDS = 30.0
CREDENTIAL_ENDED = 4403
#: A socket that has not sent ``connection_init`` by then is closed (4408).
CONNECTION_INIT_WAIT = timedelta(seconds=10)
#: The largest websocket frame the server reads: uvicorn's ``--ws-max-size`` in every command
#: that serves the API (scripts/dev, Dockerfile, docker-compose.yml; tests/test_compose.py).
MAX_WEBSOCKET_FRAME_BYTES = 1_048_576

_AUTH_KEY = "quarry.auth"
_CONNECTION_KEY = "quarry.ws"


class _UndecodableJson(json.JSONDecodeError):
    """A body or frame that is not JSON for a reason ``json`` does not report as
    ``JSONDecodeError``; it keeps neither the input nor the original exception."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, "", 0)


@dataclass
class _Upgrade:
    """What the websocket upgrade request established, for ``connection_init``."""

    ip: str
    origin_present: bool
    cookie_header: str | None


def _state(scope: Scope) -> Any:
    return scope["app"].state


def _mce_access(state: Any) -> MceAccess | None:
    """The app's way to MCE (app/wiring.py), when this process was wired with one."""
    auth = getattr(state, "mce_auth", None)
    tokens = getattr(state, "tokens", None)
    if auth is None or tokens is None:
        return None
    return MceAccess(http=auth.http, tokens=tokens, policy=auth.policy)


def _user_subject(principal: Principal) -> str:
    return f"user:{principal.tenant_id}:{principal.user_id}"


class QuarryTransportHandler(BaseGraphQLTransportWSHandler[GraphQLContext, None]):
    """graphql-transport-ws with a credential re-checked at every subscribe and watched."""

    watcher: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        authenticated = self.context.authentication.authenticated
        if self.connection_acknowledged and authenticated and self.watcher is None:
            self.watcher = asyncio.create_task(self._watch(), name="quarry-ws-watch")

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged:
            if not await self._still_valid(touch=False):
                return
            try:
                await self._count(message)
            except RateLimitExceeded as exc:
                error: GraphQLFormattedError = {
                    "message": exc.message,
                    "extensions": {"code": exc.code, "retryAfter": exc.retry_after},
                }
                await self.send_message(
                    ErrorMessage(id=message["id"], type="error", payload=[error])
                )
                return
            if not await self._still_valid(touch=True):  # passed the checks: activity
                return
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        if self.watcher is not None:
            self.watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.watcher
        await super().shutdown()

    async def _count(self, message: SubscribeMessage) -> None:
        limiter = self.context.rate_limits
        if limiter is None:
            return
        upgrade: _Upgrade = self.context.request.scope["state"][_CONNECTION_KEY]
        await limiter.hit("graphql", f"ip:{upgrade.ip}")
        principal = self.context.principal
        if principal is not None:
            await limiter.hit("graphql", _user_subject(principal))

    async def _still_valid(self, *, touch: bool) -> bool:
        """Re-check the credential; close the socket (4403) if it has ended."""
        context = self.context
        if not context.authentication.authenticated or context.authenticator is None:
            return True
        current = await context.authenticator.recheck(context.authentication, touch=touch)
        if current is None:
            await self._close_ended()
            return False
        context.authenticate_as(current)
        return True

    async def _watch(self) -> None:
        context = self.context
        feed = context.revocations
        subject = context.authentication.revocation_subject
        with contextlib.ExitStack() as stack:
            woken = (
                stack.enter_context(feed.watch(subject))
                if feed is not None and subject is not None
                else asyncio.Event()
            )
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), context.recheck_seconds)
                woken.clear()
                try:
                    if not await self._still_valid(touch=False):
                        return
                except Exception:  # a Redis or database hiccup: try again next time
                    log.warning("credential re-check failed", exc_info=True)

    async def _close_ended(self) -> None:
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):  # already closed
            await self.websocket.close(CREDENTIAL_ENDED, "Credential ended")


class QuarryGraphQL(GraphQL[GraphQLContext, None]):
    """Only graphql-transport-ws; JSON nesting bombs become 400s, not 500s."""

    graphql_transport_ws_handler_class = QuarryTransportHandler

    def __init__(self, settings: Settings, *, recheck_seconds: float = RECHECK_SECONDS) -> None:
        super().__init__(
            schema,
            graphql_ide=None,  # GraphiQL is served from our own assets (CSP forbids CDNs)
            allow_queries_via_get=False,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
            connection_init_wait_timeout=CONNECTION_INIT_WAIT,
            allowed_origins=sorted(settings.trusted_origins),
            multipart_uploads_enabled=False,
        )
        self.settings = settings
        self.trusted_origins = settings.trusted_origins
        self.recheck_seconds = recheck_seconds

    def encode_json(self, data: object) -> str:
        """Responses and websocket messages through orjson (a run's result pages are most
        of what goes out: bench.runs), the standard encoder for what orjson refuses (integers
        beyond 64 bits). Text, as graphql-transport-ws frames must be."""
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return json.dumps(data, separators=(",", ":"))

    # ------------------------------------------------------------------ ASGI entry
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = await self._authenticate_http(Request(scope, receive))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        elif scope["type"] == "websocket":
            websocket = WebSocket(scope, receive=receive, send=send)
            if not await self._admit_upgrade(websocket):
                await websocket.close(code=1008)  # before accept: the handshake gets 403
                return
        await super().__call__(scope, receive, send)

    async def _authenticate_http(self, request: Request) -> Response | None:
        state = _state(request.scope)
        limiter: RateLimiter = state.rate_limits
        authenticator: Authenticator = state.authenticator
        ip = client_ip(request.scope)
        try:
            await limiter.hit("graphql", f"ip:{ip}")
            auth = await authenticator.authenticate(
                authorization=request.headers.getlist("authorization"),
                session_ids=read_cookie_values(request.headers.get("cookie"), SESSION_COOKIE),
                ip=ip,
            )
            if auth.method is AuthMethod.COOKIE and request.method == "POST":
                assert auth.session is not None
                check_csrf(
                    auth.session,
                    header_token=request.headers.get("x-csrf-token"),
                    origin=request.headers.get("origin"),
                    trusted_origins=self.trusted_origins,
                )
            if auth.principal is not None:
                await limiter.hit("graphql", _user_subject(auth.principal))
            if auth.method is AuthMethod.COOKIE and request.method == "POST":
                auth = await authenticator.touch(auth)  # passed every check: activity
        except InvalidCredentials as exc:
            return auth_error_response(
                exc,
                status=401,
                scope=request.scope,
                headers={"www-authenticate": 'Bearer error="invalid_token"'},
            )
        except CsrfRejected as exc:
            return auth_error_response(exc, status=403, scope=request.scope)
        except RateLimitExceeded as exc:
            return auth_error_response(exc, status=429, scope=request.scope)
        request.scope.setdefault("state", {})[_AUTH_KEY] = auth
        return None

    async def _admit_upgrade(self, websocket: WebSocket) -> bool:
        if GRAPHQL_TRANSPORT_WS_PROTOCOL not in websocket.scope.get("subprotocols", []):
            return False
        origin = websocket.headers.get("origin")
        if origin is not None and origin.strip().lower() not in self.trusted_origins:
            log.warning("websocket refused: untrusted origin")
            return False
        ip = client_ip(websocket.scope)
        limiter: RateLimiter = _state(websocket.scope).rate_limits
        try:
            await limiter.hit("graphql", f"ip:{ip}")
        except RateLimitExceeded:
            return False
        websocket.scope.setdefault("state", {})[_CONNECTION_KEY] = _Upgrade(
            ip=ip, origin_present=origin is not None, cookie_header=websocket.headers.get("cookie")
        )
        return True

    # ------------------------------------------------------------------ strawberry hooks
    def decode_json(self, data: str | bytes) -> object:
        """JSON, or :class:`_UndecodableJson` whatever went wrong.

        strawberry's websocket handler calls this for every frame and handles only
        ``JSONDecodeError`` (closing with 4400): anything else raised here (a RecursionError
        from a nesting bomb, a ValueError from a 5,000-digit number) would escape it and drop
        the socket with no close code.
        """
        try:
            return json.loads(data)
        except json.JSONDecodeError:
            raise
        except RecursionError:
            raise _UndecodableJson("Request body is nested too deeply") from None
        except UnicodeDecodeError:
            raise _UndecodableJson("Request body is not valid UTF-8") from None
        except ValueError:
            raise _UndecodableJson("Request body is not valid JSON") from None

    def parse_json(self, data: str | bytes) -> Any:
        """HTTP bodies (and GET parameters): a 400 naming what was wrong."""
        try:
            return self.decode_json(data)
        except _UndecodableJson as exc:
            raise HTTPException(400, exc.msg) from None
        except json.JSONDecodeError:
            raise HTTPException(400, "Unable to parse request body as JSON") from None

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> GraphQLContext:
        state = _state(request.scope)
        auth = cast(Authentication, request.scope.get("state", {}).get(_AUTH_KEY, ANONYMOUS))
        context = GraphQLContext(
            request=request,
            response=response,
            request_id=request.scope.get("state", {}).get("request_id", "-"),
            introspection_allowed=self.settings.introspection_enabled,
            meta=request_meta(request),
            sessions=state.sessions,
            authenticator=state.authenticator,
            revocations=state.revocations,
            rate_limits=state.rate_limits,
            redis=state.redis,
            api_token_max_days=self.settings.api_token_max_days,
            recheck_seconds=self.recheck_seconds,
            mce=_mce_access(state),
            jobs=getattr(state, "jobs", None),
            wallet=getattr(state, "wallet", None),
        )
        context.authenticate_as(auth)
        return context

    async def on_ws_connect(self, context: GraphQLContext) -> UnsetType | dict[str, object] | None:
        """Authenticate the socket from ``connection_init`` (refusal: close 4403)."""
        upgrade: _Upgrade = context.request.scope["state"][_CONNECTION_KEY]
        authenticator = context.authenticator
        assert authenticator is not None
        params = context.connection_params or {}
        # ``authorization`` in any letter case (clients differ); more than one is refused.
        given = [value for key, value in params.items() if key.lower() == "authorization"]
        try:
            if len(given) > 1 or (given and not isinstance(given[0], str)):
                raise ConnectionRejectionError()
            if given:
                auth = await authenticator.bearer(given[0], ip=upgrade.ip)
            elif upgrade.origin_present:
                session_ids = read_cookie_values(upgrade.cookie_header, SESSION_COOKIE)
                auth = await authenticator.cookie(session_ids)
                if auth.session is not None:
                    # The ambient cookie alone proves nothing about the page that opened
                    # the socket: it must also know the session's CSRF token.
                    csrf = params.get("csrfToken")
                    check_csrf_token(auth.session, csrf if isinstance(csrf, str) else None)
            else:
                # No Origin: not a browser, so no cookie; it must bring a bearer token.
                raise ConnectionRejectionError()
        except QuarryError:  # refused or rate-limited credential
            raise ConnectionRejectionError() from None
        context.authenticate_as(auth)
        if auth.authenticated and context.revocations is not None:
            await context.revocations.start()
        return UNSET
