"""The seam between the MCE Bridge and whoever holds tokens.

The client never stores tokens for tenants: each call asks a :class:`TokenProvider` for
"a valid access token for this tenant, BU and user" and reports "this token was
rejected". The token wallet (services) implements it for the app;
:mod:`client.simple_tokens` serves tests and scripts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from client.secret import Secret

__all__ = ["AccessToken", "CallTarget", "TokenProvider"]


@dataclass(frozen=True, slots=True)
class CallTarget:
    """Who a call is made for: the tenant (EID), the BU (MID) and the user (None: S2S)."""

    tenant_id: int
    mid: int
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class AccessToken:
    """An access token and when it stops working (aware UTC)."""

    value: Secret
    expires_at: datetime


class TokenProvider(Protocol):
    async def access_token(self, target: CallTarget) -> AccessToken:
        """A token believed valid for ``target``; raises ``ReauthRequired`` when none can be had."""
        ...

    async def token_rejected(self, target: CallTarget, token: AccessToken) -> None:
        """MCE refused ``token``: forget it so the next :meth:`access_token` gets a fresh one."""
        ...
