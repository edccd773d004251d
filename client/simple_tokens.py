"""A token provider for tests and scripts: one refresh token, one BU, in memory.

The app uses the token wallet instead (encrypted, shared through Redis). This one keeps
the current access token until shortly before it expires or until MCE rejects it, then
refreshes, storing the rotated refresh token (REFERENCE §1.1). Refreshes are serialised
so concurrent calls never spend one refresh token twice.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from client.auth import AuthClient, TokenGrant
from client.secret import Secret
from client.tokens import AccessToken, CallTarget

__all__ = ["ClientCredentialsTokenProvider", "RefreshingTokenProvider"]


class RefreshingTokenProvider:
    """Serves every :class:`CallTarget` with tokens of one user in one BU (``account_id``)."""

    def __init__(
        self,
        *,
        auth: AuthClient,
        refresh_token: Secret,
        account_id: int | None = None,
        early: timedelta = timedelta(seconds=60),
    ) -> None:
        self._auth = auth
        self._refresh_token = refresh_token
        self._account_id = account_id
        self._early = early
        self._current: AccessToken | None = None
        self._lock = asyncio.Lock()
        self.refreshes = 0

    @property
    def refresh_token(self) -> Secret:
        """The latest refresh token (rotated by every refresh); persist it if you keep it."""
        return self._refresh_token

    def seed(self, grant: TokenGrant) -> None:
        """Start from a grant already in hand (e.g. the authorization-code exchange)."""
        self._current = AccessToken(value=grant.access_token, expires_at=grant.expires_at)
        if grant.refresh_token is not None:
            self._refresh_token = grant.refresh_token

    async def access_token(self, target: CallTarget) -> AccessToken:
        async with self._lock:
            current = self._current
            if current is not None and current.expires_at - self._early > datetime.now(UTC):
                return current
            grant = await self._auth.refresh(
                refresh_token=self._refresh_token, account_id=self._account_id
            )
            self.refreshes += 1
            self.seed(grant)
            assert self._current is not None
            return self._current

    async def token_rejected(self, target: CallTarget, token: AccessToken) -> None:
        async with self._lock:
            if self._current is not None and self._current.value == token.value:
                self._current = None


class ClientCredentialsTokenProvider:
    """Server-to-server tokens for one BU (``account_id``; None: the package's home BU)."""

    def __init__(
        self,
        *,
        auth: AuthClient,
        account_id: int | None = None,
        early: timedelta = timedelta(seconds=60),
    ) -> None:
        self._auth = auth
        self._account_id = account_id
        self._early = early
        self._current: AccessToken | None = None
        self._lock = asyncio.Lock()

    async def access_token(self, target: CallTarget) -> AccessToken:
        async with self._lock:
            current = self._current
            if current is not None and current.expires_at - self._early > datetime.now(UTC):
                return current
            grant = await self._auth.client_credentials(account_id=self._account_id)
            self._current = AccessToken(value=grant.access_token, expires_at=grant.expires_at)
            return self._current

    async def token_rejected(self, target: CallTarget, token: AccessToken) -> None:
        async with self._lock:
            if self._current is not None and self._current.value == token.value:
                self._current = None
