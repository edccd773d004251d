"""The sign-in routes under ``/api/auth/``: the HTTP side of :mod:`services.signin`.

- ``GET /api/auth/login``: MCE's login URL for enhanced packages (MCE loads it in the
  iframe); sets the browser-binding cookie and redirects to ``/v2/authorize``.
- ``POST /api/auth/login``: legacy packages form-post their JWT (field ``jwt``) here.
- ``GET /api/auth/callback``: the OAuth redirect URI.
- ``GET|POST /api/auth/logout``: MCE calls it with a GET when the user switches BU or logs
  out: the one GET that changes state (it can only end the caller's own session).

A successful sign-in ends any session the browser already had (session fixation) and starts
a new one. Tokens and codes are never logged: the access log records paths only.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app.auth_pages import refusal_page
from app.authn import request_meta, signin_limiter
from app.cookies import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    clear_cookie_header,
    read_cookie,
    set_cookie_header,
)
from app.settings import origin_of
from services import audit
from services.audit import Actor, ActorType, Outcome
from services.oauth_state import STATE_TTL_SECONDS
from services.sessions import SessionStore
from services.signin import SignedIn, SignInRefused, SignInService

__all__ = ["auth_routes"]

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _signin(request: Request) -> SignInService:
    service: SignInService = request.app.state.signin
    return service


def _sessions(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.sessions
    return store


async def _limit(request: Request) -> Response | None:
    """Per-IP rate limit of the sign-in endpoints: None, or the 429 to send."""
    return await signin_limiter(request)


async def login(request: Request) -> Response:
    if (limited := await _limit(request)) is not None:
        return limited
    if request.method == "POST":
        return await _legacy_login(request)
    binding = read_cookie(request.headers.get("cookie"), SIGNIN_COOKIE)
    url, issued = await _signin(request).begin(binding=binding)
    response = RedirectResponse(url, status_code=302, headers={"cache-control": "no-store"})
    response.headers.append(
        "set-cookie", set_cookie_header(SIGNIN_COOKIE, issued.binding, max_age=STATE_TTL_SECONDS)
    )
    return response


async def _legacy_login(request: Request) -> Response:
    meta = request_meta(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    token: str | None = None
    if content_type in _FORM_TYPES:
        async with request.form(max_files=0, max_fields=20) as form:
            value = form.get("jwt")
            token = value if isinstance(value, str) else None
    try:
        signed = await _signin(request).complete_legacy(
            token=token, origin=_posting_origin(request), meta=meta
        )
    except SignInRefused as exc:
        return refusal_page(exc.message, request_id=meta.request_id)
    # 303: the browser follows a POST's redirect with a GET.
    return await _start_session(request, signed, status=303)


def _posting_origin(request: Request) -> str | None:
    """The origin of the page that posted: ``Origin``, else the ``Referer``'s origin."""
    origin = request.headers.get("origin")
    source = origin if origin and origin != "null" else request.headers.get("referer")
    if not source:
        return None
    try:
        return origin_of(source)
    except ValueError:  # e.g. a port that is not a number
        return None


async def callback(request: Request) -> Response:
    if (limited := await _limit(request)) is not None:
        return limited
    meta = request_meta(request)
    query = request.query_params
    binding = read_cookie(request.headers.get("cookie"), SIGNIN_COOKIE)
    try:
        signed = await _signin(request).complete(
            code=query.get("code"),
            state=query.get("state"),
            tssd=query.get("tssd"),
            error=query.get("error"),
            binding=binding,
            meta=meta,
        )
    except SignInRefused as exc:
        response = refusal_page(exc.message, request_id=meta.request_id)
        response.headers.append("set-cookie", clear_cookie_header(SIGNIN_COOKIE))
        return response
    return await _start_session(request, signed, status=302)


async def _start_session(request: Request, signed: SignedIn, *, status: int) -> Response:
    sessions = _sessions(request)
    await sessions.end(read_cookie(request.headers.get("cookie"), SESSION_COOKIE))
    session_id, _ = await sessions.create(
        tenant_id=signed.tenant_id,
        mid=signed.mid,
        parent_mid=signed.parent_mid,
        user_id=signed.user_id,
        mce_user_id=signed.mce_user_id,
        kind=signed.kind.value,
    )
    response = RedirectResponse("/", status_code=status, headers={"cache-control": "no-store"})
    response.headers.append(
        "set-cookie",
        set_cookie_header(
            SESSION_COOKIE, session_id, max_age=request.app.state.settings.session_absolute_seconds
        ),
    )
    response.headers.append("set-cookie", clear_cookie_header(SIGNIN_COOKIE))
    return response


async def logout(request: Request) -> Response:
    sessions = _sessions(request)
    session_id = read_cookie(request.headers.get("cookie"), SESSION_COOKIE)
    session = await sessions.get(session_id, touch=False)
    if session is not None:
        await sessions.end(session_id)
        principal = session.principal()
        await audit.record(
            principal.tenant_context(),
            action="auth.sign_out",
            outcome=Outcome.SUCCESS,
            actor=Actor(ActorType.USER, str(session.user_id)),
            meta=request_meta(request),
            target=f"user:{session.user_id}",
        )
    response = RedirectResponse("/", status_code=303, headers={"cache-control": "no-store"})
    response.headers.append("set-cookie", clear_cookie_header(SESSION_COOKIE))
    return response


def auth_routes() -> list[Route]:
    return [
        Route("/api/auth/login", login, methods=["GET", "POST"]),
        Route("/api/auth/callback", callback, methods=["GET"]),
        Route("/api/auth/logout", logout, methods=["GET", "POST"]),
    ]
