"""Stateless calls to MCE's auth server (REFERENCE §1.1 to §1.3).

:class:`AuthClient` holds only configuration (where the auth server is, the package's
credentials, the endpoint policy); tokens go in and out of each call and are never kept.
Every secret comes back wrapped in :class:`~client.secret.Secret`. OAuth errors become
typed errors: ``invalid_grant`` → :class:`ReauthRequired`, ``access_denied`` →
:class:`AccessDenied`, ``invalid_client``/``unauthorized_client`` →
:class:`InvalidClient`. Token requests are never retried here: refresh tokens rotate and
codes are single-use, so a resend after a lost answer could burn the only valid one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from client.endpoints import EndpointPolicy, MceEndpoints
from client.errors import (
    AccessDenied,
    InvalidClient,
    MceError,
    MceUnavailable,
    MceValidationError,
    ReauthRequired,
    Throttled,
    response_too_large,
    transport_error,
)
from client.observe import CallObserver, LoggingObserver, report_call
from client.pipeline import MAX_RESPONSE_BYTES, ResponseTooLarge, send_bounded
from client.rest.classify import rest_classify
from client.secret import Secret
from client.tokens import CallTarget
from client.userinfo import UserInfo, parse_userinfo

__all__ = ["AuthClient", "ClientCredentials", "LegacyGrant", "TokenGrant"]

_SESSION_ENDED = "Your Marketing Cloud session has ended; sign in again."
_LEGACY_SESSION_ENDED = (
    "Your Marketing Cloud session has ended; open the app from Marketing Cloud again."
)


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """An installed package's client id and secret."""

    client_id: str
    client_secret: Secret


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """A ``/v2/token`` answer. ``refresh_token`` is None for client credentials.

    Refresh tokens rotate (REFERENCE §1.1): persist the new one from every grant.
    """

    access_token: Secret
    refresh_token: Secret | None
    expires_at: datetime
    scopes: frozenset[str]
    endpoints: MceEndpoints


@dataclass(frozen=True, slots=True)
class LegacyGrant:
    """A legacy ``/v1/requestToken`` answer; the refresh token is single-use."""

    access_token: Secret
    legacy_token: Secret
    refresh_token: Secret
    expires_at: datetime


class AuthClient:
    """Auth calls for one package against one auth server."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        auth_base: str,
        policy: EndpointPolicy,
        credentials: ClientCredentials,
        timeout: float = 30.0,
        observer: CallObserver | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self._http = http
        self._policy = policy
        self._auth_base = policy.check_base(auth_base, kind="auth")
        self._credentials = credentials
        self._timeout = timeout
        self._max_response_bytes = max_response_bytes
        self._observer: CallObserver = observer if observer is not None else LoggingObserver()

    @property
    def auth_base(self) -> str:
        return self._auth_base

    async def exchange_code(
        self,
        *,
        code: str,
        redirect_uri: str,
        account_id: int | None = None,
        scope: str | None = None,
        target: CallTarget | None = None,
    ) -> TokenGrant:
        """Authorization-code exchange; ``redirect_uri`` as sent to ``/v2/authorize``.

        ``target`` (every call takes one) only attributes the call in metrics.
        """
        body: dict[str, Any] = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
        }
        return await self._grant("auth.token.authorization_code", body, account_id, scope, target)

    async def refresh(
        self,
        *,
        refresh_token: Secret,
        account_id: int | None = None,
        scope: str | None = None,
        target: CallTarget | None = None,
    ) -> TokenGrant:
        """Refresh-token grant; ``account_id`` mints the pair for another BU (a MID)."""
        body: dict[str, Any] = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token.reveal(),
        }
        return await self._grant("auth.token.refresh_token", body, account_id, scope, target)

    async def client_credentials(
        self,
        *,
        account_id: int | None = None,
        scope: str | None = None,
        target: CallTarget | None = None,
    ) -> TokenGrant:
        """Server-to-server grant (no refresh token)."""
        body: dict[str, Any] = {"grant_type": "client_credentials"}
        return await self._grant("auth.token.client_credentials", body, account_id, scope, target)

    async def legacy_request_token(
        self, *, refresh_token: Secret, target: CallTarget | None = None
    ) -> LegacyGrant:
        """Legacy packages' ``/v1/requestToken``; a refused token means signing in again."""
        payload = {
            "clientId": self._credentials.client_id,
            "clientSecret": self._credentials.client_secret.reveal(),
            "refreshToken": refresh_token.reveal(),
            "accessType": "offline",
        }
        body = await self._send(
            "auth.requestToken", "POST", "v1/requestToken", json=payload, legacy=True, target=target
        )
        try:
            return LegacyGrant(
                access_token=Secret(_required_str(body, "accessToken")),
                legacy_token=Secret(_required_str(body, "legacyToken")),
                refresh_token=Secret(_required_str(body, "refreshToken")),
                expires_at=_expiry(body.get("expiresIn")),
            )
        except (TypeError, ValueError):
            raise MceUnavailable("Marketing Cloud returned an unreadable token response.") from None

    async def userinfo(self, *, access_token: Secret, target: CallTarget | None = None) -> UserInfo:
        """``GET /v2/userinfo`` for the token's user and BU (REFERENCE §1.2)."""
        body = await self._send(
            "auth.userinfo",
            "GET",
            "v2/userinfo",
            headers={"Authorization": f"Bearer {access_token.reveal()}"},
            target=target,
        )
        try:
            return parse_userinfo(body, auth_base=self._auth_base, policy=self._policy)
        except (TypeError, ValueError, KeyError):
            raise MceUnavailable("Marketing Cloud returned an unreadable user profile.") from None

    async def _grant(
        self,
        operation: str,
        body: dict[str, Any],
        account_id: int | None,
        scope: str | None,
        target: CallTarget | None,
    ) -> TokenGrant:
        body["client_id"] = self._credentials.client_id
        body["client_secret"] = self._credentials.client_secret.reveal()
        if account_id is not None:
            body["account_id"] = int(account_id)
        if scope is not None:
            body["scope"] = scope
        answer = await self._send(operation, "POST", "v2/token", json=body, target=target)
        try:
            refresh = answer.get("refresh_token")
            scopes = answer.get("scope")
            return TokenGrant(
                access_token=Secret(_required_str(answer, "access_token")),
                refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else None,
                expires_at=_expiry(answer.get("expires_in")),
                scopes=frozenset(scopes.split()) if isinstance(scopes, str) else frozenset(),
                endpoints=MceEndpoints.from_token_response(
                    answer, auth_base=self._auth_base, policy=self._policy
                ),
            )
        except (TypeError, ValueError):
            raise MceUnavailable("Marketing Cloud returned an unreadable token response.") from None

    async def _send(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        legacy: bool = False,
        target: CallTarget | None = None,
    ) -> Mapping[str, Any]:
        started = time.monotonic()
        status: int | None = None
        idempotent = method == "GET"
        try:
            request = self._http.build_request(
                method, self._auth_base + path, json=json, headers=headers, timeout=self._timeout
            )
            try:
                response = await send_bounded(
                    self._http,
                    request,
                    deadline=self._timeout,
                    max_bytes=self._max_response_bytes,
                )
            except httpx.TransportError as exc:
                # Token grants are never resent; userinfo could be, but one call is cheap.
                raise transport_error(exc, idempotent=idempotent) from None
            except ResponseTooLarge as exc:
                raise response_too_large(
                    exc.limit, idempotent=idempotent, status=exc.status
                ) from None
            status = response.status_code
            if not 200 <= status < 300:
                raise _auth_error(response, legacy=legacy)
            try:
                answer = response.json()
            except ValueError:
                answer = None
            if not isinstance(answer, Mapping):
                raise MceUnavailable(
                    "Marketing Cloud returned an unreadable answer.", status=status
                )
        except MceError as error:
            self._observe(operation, type(error).__name__, started, status, target)
            raise
        self._observe(operation, "ok", started, status, target)
        return answer

    def _observe(
        self,
        operation: str,
        outcome: str,
        started: float,
        status: int | None,
        target: CallTarget | None,
    ) -> None:
        report_call(
            self._observer,
            operation=operation,
            outcome=outcome,
            started=started,
            attempts=1,
            status=status,
            target=target,
        )


def _auth_error(response: httpx.Response, *, legacy: bool) -> MceError:
    """Typed error for a failed auth call (OAuth-style or REST-style body)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    status = response.status_code
    if isinstance(body, Mapping) and isinstance(body.get("error"), str):
        code = body["error"]
        raw = body.get("error_description")
        description = raw[:500] if isinstance(raw, str) and raw else None
        common: dict[str, Any] = {"mce_message": description, "mce_code": code, "status": status}
        if code == "invalid_grant":
            return ReauthRequired(_SESSION_ENDED, **common)
        if code == "access_denied":
            return AccessDenied(
                description or "Marketing Cloud denied access to this business unit.", **common
            )
        if code in ("invalid_client", "unauthorized_client"):
            return InvalidClient(
                "The Marketing Cloud package is not set up for this account or business unit.",
                **common,
            )
        if status == 429:
            return Throttled(description or "Too many sign-in requests.", **common)
        if status >= 500:
            return MceUnavailable(description or "Marketing Cloud's sign-in failed.", **common)
        return MceValidationError(
            description or "Marketing Cloud refused the sign-in request.", **common
        )
    error = rest_classify(response) or MceUnavailable("Marketing Cloud's sign-in failed.")
    if status == 401:
        # REST-style 401 on an auth call: the token or refresh token is refused.
        message = _LEGACY_SESSION_ENDED if legacy else _SESSION_ENDED
        return ReauthRequired(
            message, mce_message=error.mce_message, mce_code=error.mce_code, status=status
        )
    return error


def _required_str(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"missing {key}")
    return value


def _expiry(expires_in: object) -> datetime:
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
        raise ValueError("missing expiry")
    return datetime.now(UTC) + timedelta(seconds=float(expires_in))
