"""Tokens, codes and refresh tokens: MCE's auth server minus HTTP.

The HTTP routes live in :mod:`simulator.auth_routes`; legacy SSO in
:mod:`simulator.auth_legacy`. This module owns the rules the product's token
wallet is tested against:

* access tokens live ``token_ttl_seconds`` (1200) and are scoped to one BU;
* authorization codes are single-use and expire after ``code_ttl_seconds`` (300);
* refresh tokens rotate: each use returns a new pair, and the used token keeps
  working only for ``refresh_grace_seconds`` (0 in tests, so a race that reuses a
  refresh token is caught);
* ``account_id`` switches BU when both the package and the user can reach it;
* granted scopes are the package's scopes narrowed by the request.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from simulator.clock import Clock
from simulator.config import SimulatorConfig
from simulator.errors import TokenExpired, TokenInvalid
from simulator.model import Package, User
from simulator.store import Store

__all__ = ["AuthService", "OAuthError", "TokenGrant", "TokenInfo"]

ERROR_URI = "https://developer.salesforce.com/docs"
INVALID_CLIENT_DESCRIPTION = (
    "Client authentication failed. Make sure that the client ID and client secret are valid "
    "and that the package is installed and enabled."
)
#: client_credentials responses report 121 s less than the real lifetime (observed: 1079).
_S2S_EXPIRES_IN_MARGIN = 121


class OAuthError(Exception):
    """An OAuth-style error: ``{"error", "error_description", "error_uri"}`` with ``status``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {
            "error": self.error,
            "error_description": self.description,
            "error_uri": ERROR_URI,
        }


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What an access token stands for.

    ``user`` is ``None`` for client_credentials tokens (no user context).
    ``reachable_mids`` are the BUs this token may address via ``ClientIDs`` (SOAP) —
    the user's BUs (or the package's for server-to-server) that the package is enabled for.
    """

    token: str
    client_id: str
    mid: int
    scopes: tuple[str, ...]
    expires_at: float
    user: User | None
    reachable_mids: tuple[int, ...]
    enterprise_id: int
    kind: str = "user"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(slots=True)
class _RefreshRecord:
    token: str
    client_id: str
    user: User
    mid: int
    scopes: tuple[str, ...]
    expires_at: float
    kind: str = "v2"
    used_at: float | None = None
    revoked: bool = False


@dataclass(slots=True)
class _Code:
    code: str
    client_id: str
    user: User
    mid: int
    scopes: tuple[str, ...]
    redirect_uri: str
    expires_at: float
    used: bool = False


@dataclass(slots=True)
class TokenGrant:
    """A successful token response before it is shaped for the wire."""

    access: TokenInfo
    expires_in: int
    refresh_token: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


def _same_secret(expected: str, given: str) -> bool:
    """Constant-time compare; on bytes, since ``compare_digest`` refuses non-ASCII ``str``."""
    return secrets.compare_digest(
        expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass")
    )


def _b64(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class AuthService:
    """Issues and checks every credential of one simulated stack."""

    def __init__(self, *, store: Store, clock: Clock, config: SimulatorConfig) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self.refresh_grace_seconds = config.refresh_grace_seconds
        self._lock = threading.RLock()
        self._access: dict[str, TokenInfo] = {}
        self._refresh: dict[str, _RefreshRecord] = {}
        self._codes: dict[str, _Code] = {}

    # ------------------------------------------------------------- checks
    def mid_of(self, token: str | None) -> int | None:
        """The BU an access token was issued for, without judging it (expired or unknown
        tokens are the endpoint's business): what per-BU stats and fault rules key on. [sim]"""
        info = self._access.get(token.strip()) if token else None
        return None if info is None else info.mid

    def validate_access_token(self, token: str) -> TokenInfo:
        """The token's context; raises :class:`TokenExpired` or :class:`TokenInvalid`."""
        info = self._access.get(token.strip()) if token else None
        if info is None:
            raise TokenInvalid("unknown access token")
        if self.clock.time() >= info.expires_at:
            raise TokenExpired("access token expired")
        return info

    def package(self, client_id: str | None) -> Package | None:
        return self.store.packages.get(client_id or "")

    def authenticate_client(
        self, client_id: str | None, client_secret: str | None, *, kind: str = "enhanced"
    ) -> Package:
        """The package, if id and secret match; otherwise 401 ``invalid_client``."""
        package = self.package(client_id)
        if (
            package is None
            or package.kind != kind
            or not client_secret
            or not _same_secret(package.client_secret, client_secret)
        ):
            raise OAuthError(401, "invalid_client", INVALID_CLIENT_DESCRIPTION)
        return package

    @staticmethod
    def narrow_scopes(granted: Sequence[str], requested: str | None) -> tuple[str, ...]:
        """``None`` → all granted; ``""`` → none; otherwise the requested ones granted."""
        if requested is None:
            return tuple(granted)
        wanted = set(requested.split())
        return tuple(s for s in granted if s in wanted)

    @staticmethod
    def parse_account_id(raw: object) -> int | None:
        if raw is None or raw == "":
            return None
        if isinstance(raw, bool):
            raise OAuthError(400, "invalid_request", "account_id must be a number.")
        try:
            return int(str(raw).strip())
        except ValueError:
            raise OAuthError(400, "invalid_request", "account_id must be a number.") from None

    def _reachable(self, package: Package, user: User | None) -> tuple[int, ...]:
        if user is None:
            return tuple(m for m in package.mids if m in self.store.business_units)
        allowed = set(package.mids)
        return tuple(m for m in self.store.reachable_mids(user) if m in allowed)

    def resolve_mid(self, package: Package, user: User | None, account_id: int | None) -> int:
        """The BU a grant is for; 401 when the package or the user cannot reach it."""
        if account_id is None:
            if user is None:
                return package.home_mid
            mids = self._reachable(package, user)
            if user.default_mid in mids:
                return user.default_mid
            if not mids:
                raise OAuthError(401, "access_denied", "The user has no access to this package.")
            return mids[0]
        if account_id not in package.mids or account_id not in self.store.business_units:
            raise OAuthError(
                401,
                "unauthorized_client",
                f"The integration is not enabled for account {account_id}.",
            )
        if user is not None and account_id not in self.store.reachable_mids(user):
            raise OAuthError(
                401, "access_denied", f"The user does not have access to account {account_id}."
            )
        return account_id

    # ------------------------------------------------------------- issuing
    def _new_token(self, package: Package, *, client_type: str) -> str:
        header = _b64({"alg": "HS256", "kid": "4", "ver": "1", "typ": "JWT"})
        payload = _b64(
            {
                "access_token": secrets.token_urlsafe(24),
                "client_id": package.client_id,
                "eid": self.store.enterprise.eid,
                "stack_key": self.store.enterprise.stack_key,
                "platform_version": 2,
                "client_type": client_type,
            }
        )
        return f"{header}.{payload}.{secrets.token_urlsafe(32)}"

    def issue_access_token(
        self,
        *,
        package: Package,
        user: User | None,
        mid: int,
        scopes: tuple[str, ...],
        kind: str = "user",
    ) -> TokenInfo:
        client_type = "ServerToServer" if user is None else "Confidential"
        info = TokenInfo(
            token=self._new_token(package, client_type=client_type),
            client_id=package.client_id,
            mid=mid,
            scopes=scopes,
            expires_at=self.clock.time() + self.config.token_ttl_seconds,
            user=user,
            reachable_mids=self._reachable(package, user),
            enterprise_id=self.store.enterprise.eid,
            kind=kind,
        )
        with self._lock:
            self._access[info.token] = info
        return info

    def _issue_refresh(
        self,
        *,
        package: Package,
        user: User,
        mid: int,
        scopes: tuple[str, ...],
        kind: str = "v2",
    ) -> str:
        ttl = (
            self.config.legacy_refresh_token_ttl_seconds
            if kind == "legacy"
            else self.config.refresh_token_ttl_seconds
        )
        token = self._new_token(package, client_type="Confidential")
        with self._lock:
            self._refresh[token] = _RefreshRecord(
                token=token,
                client_id=package.client_id,
                user=user,
                mid=mid,
                scopes=scopes,
                expires_at=self.clock.time() + ttl,
                kind=kind,
            )
        return token

    def issue_code(
        self,
        *,
        package: Package,
        user: User,
        mid: int,
        scopes: tuple[str, ...],
        redirect_uri: str,
    ) -> str:
        code = secrets.token_urlsafe(48)
        with self._lock:
            self._codes[code] = _Code(
                code=code,
                client_id=package.client_id,
                user=user,
                mid=mid,
                scopes=scopes,
                redirect_uri=redirect_uri,
                expires_at=self.clock.time() + self.config.code_ttl_seconds,
            )
        return code

    def _user_grant(
        self, *, package: Package, user: User, mid: int, scopes: tuple[str, ...]
    ) -> TokenGrant:
        access = self.issue_access_token(package=package, user=user, mid=mid, scopes=scopes)
        refresh = self._issue_refresh(package=package, user=user, mid=mid, scopes=scopes)
        return TokenGrant(
            access=access, expires_in=self.config.token_ttl_seconds, refresh_token=refresh
        )

    # -------------------------------------------------------------- grants
    def grant_authorization_code(
        self,
        *,
        package: Package,
        code: str | None,
        redirect_uri: str | None,
        scope: str | None,
        account_id: int | None,
    ) -> TokenGrant:
        if not code:
            raise OAuthError(400, "invalid_request", "code is required.")
        with self._lock:
            record = self._codes.get(code)
            if record is None or record.used or record.client_id != package.client_id:
                raise OAuthError(400, "invalid_grant", "The authorization code is invalid.")
            if self.clock.time() >= record.expires_at:
                raise OAuthError(400, "invalid_grant", "The authorization code has expired.")
            if redirect_uri is not None and redirect_uri != record.redirect_uri:
                raise OAuthError(
                    400, "invalid_grant", "redirect_uri does not match the authorization request."
                )
            record.used = True
        scopes = self.narrow_scopes(record.scopes, scope)
        mid = (
            record.mid if account_id is None else self.resolve_mid(package, record.user, account_id)
        )
        return self._user_grant(package=package, user=record.user, mid=mid, scopes=scopes)

    def grant_refresh_token(
        self,
        *,
        package: Package,
        refresh_token: str | None,
        scope: str | None,
        account_id: int | None,
    ) -> TokenGrant:
        record = self._use_refresh(package, refresh_token, kind="v2")
        scopes = self.narrow_scopes(record.scopes, scope)
        mid = (
            record.mid if account_id is None else self.resolve_mid(package, record.user, account_id)
        )
        return self._user_grant(package=package, user=record.user, mid=mid, scopes=scopes)

    def _use_refresh(self, package: Package, token: str | None, *, kind: str) -> _RefreshRecord:
        if not token:
            raise OAuthError(400, "invalid_request", "refresh_token is required.")
        now = self.clock.time()
        with self._lock:
            record = self._refresh.get(token)
            if (
                record is None
                or record.revoked
                or record.kind != kind
                or record.client_id != package.client_id
            ):
                raise OAuthError(400, "invalid_grant", "The refresh token is invalid.")
            if now >= record.expires_at:
                raise OAuthError(400, "invalid_grant", "The refresh token has expired.")
            if record.used_at is not None and now >= record.used_at + self.refresh_grace_seconds:
                raise OAuthError(400, "invalid_grant", "The refresh token has already been used.")
            if record.used_at is None:
                record.used_at = now
            return record

    def grant_client_credentials(
        self, *, package: Package, scope: str | None, account_id: int | None
    ) -> TokenGrant:
        mid = self.resolve_mid(package, None, account_id)
        scopes = self.narrow_scopes(package.scopes, scope)
        access = self.issue_access_token(
            package=package, user=None, mid=mid, scopes=scopes, kind="client"
        )
        expires_in = max(self.config.token_ttl_seconds - _S2S_EXPIRES_IN_MARGIN, 1)
        return TokenGrant(access=access, expires_in=expires_in)

    # ---------------------------------------------------------------- legacy
    def issue_legacy_refresh(self, *, package: Package, user: User, mid: int) -> str:
        """A legacy (claimsVersion 2) refresh token, valid 700 days or until used."""
        return self._issue_refresh(
            package=package, user=user, mid=mid, scopes=package.scopes, kind="legacy"
        )

    def legacy_exchange(self, *, package: Package, refresh_token: str | None) -> dict[str, object]:
        """``/v1/requestToken``: a new access token, legacy SOAP token and refresh token."""
        record = self._use_refresh(package, refresh_token, kind="legacy")
        access = self.issue_access_token(
            package=package, user=record.user, mid=record.mid, scopes=record.scopes, kind="legacy"
        )
        legacy = self.issue_access_token(
            package=package, user=record.user, mid=record.mid, scopes=record.scopes, kind="legacy"
        )
        new_refresh = self.issue_legacy_refresh(package=package, user=record.user, mid=record.mid)
        return {
            "accessToken": access.token,
            "expiresIn": self.config.token_ttl_seconds,
            "legacyToken": legacy.token,
            "refreshToken": new_refresh,
        }

    # --------------------------------------------------------------- control
    def expire_access_tokens(self, *, token: str | None = None, user_id: int | None = None) -> int:
        """Make matching access tokens expired now (all when no filter); returns how many."""
        now = self.clock.time()
        changed = 0
        with self._lock:
            for key, info in list(self._access.items()):
                if token is not None and key != token:
                    continue
                if user_id is not None and (info.user is None or info.user.id != user_id):
                    continue
                if info.expires_at > now:
                    self._access[key] = replace(info, expires_at=now)
                    changed += 1
        return changed

    def revoke_refresh_tokens(self, *, token: str | None = None, user_id: int | None = None) -> int:
        changed = 0
        with self._lock:
            for key, record in self._refresh.items():
                if token is not None and key != token:
                    continue
                if user_id is not None and record.user.id != user_id:
                    continue
                if not record.revoked:
                    record.revoked = True
                    changed += 1
        return changed

    def reset(self) -> None:
        with self._lock:
            self._access.clear()
            self._refresh.clear()
            self._codes.clear()
            self.refresh_grace_seconds = self.config.refresh_grace_seconds
