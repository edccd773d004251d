"""Token providers for tests and scripts: one BU, in memory.

The app uses the token wallet instead (encrypted, shared through Redis). These keep the
current access token until shortly before it expires or until MCE rejects it, then get
a new one. Fetches are serialised so concurrent calls never spend one refresh token
twice; the rotated refresh token is kept (REFERENCE §1.1).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from client.auth import AuthClient, TokenGrant
from client.secret import Secret
from client.tokens import AccessToken, CallTarget

__all__ = ["ClientCredentialsTokenProvider", "FixedTokenProvider", "RefreshingTokenProvider"]


class _CachingProvider:
    """Caches one access token; subclasses say how a new one is obtained."""

    def __init__(self, *, early: timedelta) -> None:
        self._early = early
        self._current: AccessToken | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def _fetch(self, target: CallTarget) -> TokenGrant:
        raise NotImplementedError

    def seed(self, grant: TokenGrant) -> None:
        """Start from (or store) a grant, e.g. the authorization-code exchange."""
        self._current = AccessToken(value=grant.access_token, expires_at=grant.expires_at)

    async def access_token(self, target: CallTarget) -> AccessToken:
        async with self._lock:
            current = self._current
            if current is not None and current.expires_at - self._early > datetime.now(UTC):
                return current
            grant = await self._fetch(target)
            self.fetches += 1
            self.seed(grant)
            return AccessToken(value=grant.access_token, expires_at=grant.expires_at)

    async def token_rejected(self, target: CallTarget, token: AccessToken) -> None:
        async with self._lock:
            if self._current is not None and self._current.value == token.value:
                self._current = None


class RefreshingTokenProvider(_CachingProvider):
    """Tokens of one user in one BU (``account_id``), from a refresh token."""

    def __init__(
        self,
        *,
        auth: AuthClient,
        refresh_token: Secret,
        account_id: int | None = None,
        early: timedelta = timedelta(seconds=60),
    ) -> None:
        super().__init__(early=early)
        self._auth = auth
        self._refresh_token = refresh_token
        self._account_id = account_id

    @property
    def refresh_token(self) -> Secret:
        """The latest refresh token (rotated by every refresh); persist it if you keep it."""
        return self._refresh_token

    def seed(self, grant: TokenGrant) -> None:
        super().seed(grant)
        if grant.refresh_token is not None:
            self._refresh_token = grant.refresh_token

    async def _fetch(self, target: CallTarget) -> TokenGrant:
        return await self._auth.refresh(
            refresh_token=self._refresh_token, account_id=self._account_id, target=target
        )


class ClientCredentialsTokenProvider(_CachingProvider):
    """Server-to-server tokens for one BU (``account_id``; None: the package's home BU)."""

    def __init__(
        self,
        *,
        auth: AuthClient,
        account_id: int | None = None,
        early: timedelta = timedelta(seconds=60),
    ) -> None:
        super().__init__(early=early)
        self._auth = auth
        self._account_id = account_id

    async def _fetch(self, target: CallTarget) -> TokenGrant:
        return await self._auth.client_credentials(account_id=self._account_id, target=target)


class FixedTokenProvider:
    """One access token, for a short unit of work that already holds it (the sign-in's own
    calls right after the code exchange). A rejected token is not replaced: the call fails."""

    def __init__(self, token: AccessToken) -> None:
        self._token = token

    async def access_token(self, target: CallTarget) -> AccessToken:
        return self._token

    async def token_rejected(self, target: CallTarget, token: AccessToken) -> None:
        return None
