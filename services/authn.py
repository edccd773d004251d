"""Who is calling: turning a request's credentials into an :class:`Authentication`.

Why this shape (DESIGN.md, "Tenancy and security invariants"):
- Two credentials, checked in this order: ``Authorization: Bearer <token>`` (API or support
  token), else the session cookie. A bearer header that is present but malformed, oversized,
  unknown, revoked or expired is refused outright (NotAuthenticated, one message for all):
  a client that sent credentials must learn they failed, not be served as anonymous. A bad
  or missing cookie only means "signed out".
- Tokens are read from the ``Authorization`` header only; a token in a URL would end up in
  logs and browser history, so a query-string token is simply never looked at.
- Cookie requests carry ambient credentials, so the browser-facing checks that go with them
  apply only to them: a trusted ``Origin`` plus the session's CSRF token, in ``X-CSRF-Token``
  over HTTP and in ``connection_init`` over a websocket (the Origin check alone would let any
  page on a trusted origin, every MCE host included, drive the session). Bearer requests are
  exempt because a page on another origin cannot make a browser attach our header.
- Looking a session up does not extend it: activity is recorded (:meth:`Authenticator.touch`)
  only once a request has passed those checks, so requests that are refused, or that can run
  nothing (a GET), cannot keep a session alive past its idle timeout.
- A support token yields a :class:`SupportPrincipal`, which has no tenant and therefore
  cannot produce a tenant context: support staff see no tenant's data by construction.
- Every credential can be re-checked later (:meth:`Authenticator.recheck`): long-lived
  websockets re-check at every subscribe and on a timer.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID

from redis.asyncio import Redis

from models.lookups import find_api_token, find_support_token
from services.api_tokens import TokenKind, hash_token, mark_used, token_kind, token_principal
from services.errors import NotAuthenticated, PermissionDenied
from services.identity import Principal
from services.rate_limits import RateLimiter
from services.redis_keys import api_token_used_key
from services.revocations import session_subject, token_subject
from services.sessions import Session, SessionStore

__all__ = [
    "ANONYMOUS",
    "MAX_AUTHORIZATION_LENGTH",
    "AuthMethod",
    "Authentication",
    "Authenticator",
    "CsrfRejected",
    "InvalidCredentials",
    "SupportPrincipal",
    "check_csrf",
    "check_csrf_token",
    "parse_bearer",
]

#: Longer Authorization headers are refused unread (a token header is ~55 bytes).
MAX_AUTHORIZATION_LENGTH = 512
#: At most this many session cookies are tried (CHIPS may send a partitioned and an
#: unpartitioned cookie of the same name; one of them may be stale).
MAX_SESSION_COOKIES = 3
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +(\S+) *")
_INVALID_TOKEN = "The API token is invalid, expired or revoked."  # noqa: S105 - a message


class AuthMethod(StrEnum):
    NONE = "none"
    COOKIE = "cookie"
    BEARER = "bearer"


class InvalidCredentials(NotAuthenticated):
    """A bearer credential was presented and refused (HTTP 401)."""


class CsrfRejected(PermissionDenied):
    """A cookie-authenticated request lacked a valid CSRF token or a trusted Origin."""

    code = "CSRF"


@dataclass(frozen=True)
class SupportPrincipal:
    """Support staff: authenticated, but with no tenant and so no tenant data."""

    token_id: UUID
    name: str
    expires_at: datetime | None


@dataclass(frozen=True)
class Authentication:
    """The outcome of authenticating one request or websocket connection.

    ``principal`` is set for sessions and API tokens, ``session`` for cookie sessions,
    ``support`` for support tokens; ``expires_at`` is a token's expiry.
    """

    method: AuthMethod = AuthMethod.NONE
    principal: Principal | None = None
    session: Session | None = None
    support: SupportPrincipal | None = None
    expires_at: datetime | None = None
    #: The presented token's SHA-256, kept to re-check it later; never shown anywhere.
    token_hash: str | None = field(default=None, repr=False)

    @property
    def authenticated(self) -> bool:
        return self.principal is not None or self.support is not None

    @property
    def revocation_subject(self) -> str | None:
        """What :class:`~services.revocations.RevocationFeed` announces when this ends."""
        if self.session is not None:
            return session_subject(self.session.id_hash)
        if self.support is not None:
            return token_subject(self.support.token_id)
        if self.principal is not None and self.principal.api_token_id is not None:
            return token_subject(self.principal.api_token_id)
        return None

    def require_principal(self) -> Principal:
        """The principal, or the public error saying why there is none.

        Signed out: NotAuthenticated. Support token: PermissionDenied, because support
        access includes no tenant data.
        """
        if self.principal is not None:
            return self.principal
        if self.support is not None:
            raise PermissionDenied("Support access does not include tenant data.")
        raise NotAuthenticated("Sign in first.")

    def require_session(self) -> Principal:
        """The principal of a signed-in browser session; API tokens are refused."""
        principal = self.require_principal()
        if self.session is None:
            raise PermissionDenied("Only a signed-in browser session can do this, not a token.")
        return principal


ANONYMOUS = Authentication()


def parse_bearer(value: str) -> str:
    """The token of an ``Authorization: Bearer`` value; InvalidCredentials otherwise."""
    if len(value) > MAX_AUTHORIZATION_LENGTH:
        raise InvalidCredentials("The Authorization header is too long.")
    match = _BEARER.fullmatch(value)
    if match is None:
        raise InvalidCredentials("Use 'Authorization: Bearer <API token>'.")
    return match.group(1)


def check_csrf(
    session: Session,
    *,
    header_token: str | None,
    origin: str | None,
    trusted_origins: frozenset[str],
) -> None:
    """Refuse a cookie-authenticated state-changing request unless it proves same-app origin.

    Two independent proofs, both required: the ``Origin`` header names a trusted origin
    (browsers set it and pages cannot forge it), and ``X-CSRF-Token`` equals the session's
    token (which only our own pages can read, from ``GET /api/auth/session``).
    """
    if origin is None or origin.strip().lower() not in trusted_origins:
        raise CsrfRejected("This request did not come from Quarry (Origin not trusted).")
    check_csrf_token(session, header_token)


def check_csrf_token(session: Session, given: str | None) -> None:
    """Refuse unless ``given`` is the session's CSRF token (compared in constant time)."""
    expected = session.csrf_token.encode()
    presented = (given or "").encode("utf-8", "replace")
    if not given or not hmac.compare_digest(presented, expected):
        raise CsrfRejected("Missing or wrong CSRF token; reload the page.")


class Authenticator:
    """Authenticate requests and re-check credentials; one per process."""

    def __init__(
        self,
        *,
        sessions: SessionStore,
        limiter: RateLimiter,
        redis: Redis,
        used_marker_seconds: int = 60,
    ) -> None:
        self.sessions = sessions
        self.limiter = limiter
        self.redis = redis
        self.used_marker_seconds = used_marker_seconds

    async def authenticate(
        self,
        *,
        authorization: Sequence[str],
        session_ids: Sequence[str],
        ip: str,
        allow_cookie: bool = True,
    ) -> Authentication:
        """From the request's ``Authorization`` header values and session cookie values.

        Raises InvalidCredentials for a refused bearer credential and RateLimitExceeded.
        ``allow_cookie`` False ignores cookies (a websocket without an Origin). A session is
        only looked up: :meth:`touch` it once the request has passed its checks.
        """
        if len(authorization) > 1:
            raise InvalidCredentials("Send one Authorization header.")
        if authorization:
            return await self.bearer(authorization[0], ip=ip)
        if allow_cookie:
            return await self.cookie(session_ids)
        return ANONYMOUS

    async def cookie(self, session_ids: Sequence[str], *, touch: bool = False) -> Authentication:
        """The first live session among the cookie values; by default looking does not
        extend it (see :meth:`touch`)."""
        for session_id in session_ids[:MAX_SESSION_COOKIES]:
            session = await self.sessions.get(session_id, touch=touch)
            if session is not None:
                return Authentication(
                    method=AuthMethod.COOKIE, principal=session.principal(), session=session
                )
        return ANONYMOUS

    async def bearer(self, header: str, *, ip: str) -> Authentication:
        # Counted before any lookup, so guessing costs the guesser, not the database.
        await self.limiter.hit("bearer", f"ip:{ip}")
        token = parse_bearer(header)
        kind = token_kind(token)
        if kind is None:
            raise InvalidCredentials(_INVALID_TOKEN)
        if kind is TokenKind.SUPPORT:
            auth = await self._support(hash_token(token))
        else:
            auth = await self._api_token(hash_token(token))
        if auth is None:
            raise InvalidCredentials(_INVALID_TOKEN)
        if auth.support is not None:
            await self.limiter.hit("bearer", f"support:{auth.support.token_id}")
        elif auth.principal is not None:
            await self.limiter.hit("bearer", f"token:{auth.principal.api_token_id}")
            await self._mark_used(auth.principal)
        return auth

    async def touch(self, auth: Authentication) -> Authentication:
        """Record activity on a cookie session that passed its checks (anything else is
        returned as is); ANONYMOUS if the session ended meanwhile."""
        if auth.session is None:
            return auth
        return await self.recheck(auth, touch=True) or ANONYMOUS

    async def recheck(self, auth: Authentication, *, touch: bool = False) -> Authentication | None:
        """The credential's current state; None when it no longer authenticates anyone.

        Anonymous stays anonymous. A session is re-read (``touch`` records activity); a
        token is looked up again, so revocation, expiry, a suspended tenant and a lost
        membership all end it.
        """
        if auth.session is not None:
            session = await self.sessions.get_by_hash(auth.session.id_hash, touch=touch)
            if session is None:
                return None
            return Authentication(
                method=AuthMethod.COOKIE, principal=session.principal(), session=session
            )
        if not auth.authenticated:
            return auth
        if auth.token_hash is None:
            return None
        if auth.support is not None:
            return await self._support(auth.token_hash)
        return await self._api_token(auth.token_hash)

    async def _api_token(self, token_hash: str) -> Authentication | None:
        record = await find_api_token(token_hash)
        if record is None:
            return None
        principal = await token_principal(record)
        if principal is None:
            return None
        return Authentication(
            method=AuthMethod.BEARER,
            principal=principal,
            expires_at=record.expires_at,
            token_hash=token_hash,
        )

    async def _support(self, token_hash: str) -> Authentication | None:
        record = await find_support_token(token_hash)
        if record is None or record.revoked_at is not None:
            return None
        if record.expires_at is not None and record.expires_at <= datetime.now(UTC):
            return None
        support = SupportPrincipal(
            token_id=record.id, name=record.name, expires_at=record.expires_at
        )
        return Authentication(
            method=AuthMethod.BEARER,
            support=support,
            expires_at=record.expires_at,
            token_hash=token_hash,
        )

    async def _mark_used(self, principal: Principal) -> None:
        if principal.api_token_id is None:
            return
        first_this_minute = await self.redis.set(
            api_token_used_key(principal.api_token_id),
            b"1",
            nx=True,
            ex=self.used_marker_seconds,
        )
        if first_this_minute:
            await mark_used(principal)
