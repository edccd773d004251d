"""``GET /api/auth/session``: how the single-page app learns whether it is signed in and
which CSRF token to send.

The CSRF token is readable here by design: only pages of our own origin can read this
response (no CORS headers, so the same-origin policy hides it from every other site), and a
cross-site page that cannot read it cannot forge ``X-CSRF-Token``. Reading the status is
not activity: it does not extend the session. Never cached (``no-store``). Counted against
the per-IP GraphQL limit, as the SPA calls it before every GraphQL request it makes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.authn import client_ip
from app.cookies import SESSION_COOKIE, read_cookie_values
from services.authn import Authenticator
from services.rate_limits import RateLimiter

__all__ = ["session_routes", "session_status"]


async def session_status(request: Request) -> Response:
    limiter: RateLimiter = request.app.state.rate_limits
    await limiter.hit("graphql", f"ip:{client_ip(request.scope)}")  # over it: 429 (handler)
    authenticator: Authenticator = request.app.state.authenticator
    session_ids = read_cookie_values(request.headers.get("cookie"), SESSION_COOKIE)
    auth = await authenticator.cookie(session_ids, touch=False)
    body: dict[str, object] = {"signedIn": False, "csrfToken": None, "expiresAt": None}
    if auth.session is not None:
        expiry = authenticator.sessions.expiry(auth.session)
        body = {
            "signedIn": True,
            "csrfToken": auth.session.csrf_token,
            "expiresAt": datetime.fromtimestamp(expiry.expires_at, tz=UTC).isoformat(),
        }
    return JSONResponse(body, headers={"cache-control": "no-store"})


def session_routes() -> list[Route]:
    return [Route("/api/auth/session", session_status, methods=["GET"])]
