"""Which MCE auth server to call, with which package's credentials.

REFERENCE §1.1: tokens of a customer's account are exchanged and refreshed at *that
customer's* TSSD, which the callback returns. So auth clients are built per TSSD, on one
shared HTTP pool, with the enhanced package's credentials (``/v2/token``) or the legacy
package's (``/v1/requestToken``). The endpoint policy decides which hosts are allowed: MCE's
in production, the simulator's one origin in development and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from client.auth import AuthClient, ClientCredentials
from client.endpoints import EndpointPolicy
from client.secret import Secret
from models import GrantKind

__all__ = ["MceAuthConfig", "MceAuthFactory"]


@dataclass(frozen=True)
class MceAuthConfig:
    """The installed packages' credentials and the endpoint policy (from settings)."""

    client_id: str
    client_secret: Secret
    legacy_client_id: str = ""
    legacy_client_secret: Secret = field(default_factory=lambda: Secret(""))
    dev_origin: str | None = None

    @property
    def policy(self) -> EndpointPolicy:
        return EndpointPolicy(dev_origin=self.dev_origin)


class MceAuthFactory:
    """Builds an :class:`AuthClient` for a TSSD and a package kind."""

    def __init__(self, config: MceAuthConfig, *, http: httpx.AsyncClient) -> None:
        self.config = config
        self.http = http
        self.policy = config.policy

    def credentials(self, kind: GrantKind) -> ClientCredentials:
        if kind is GrantKind.LEGACY:
            return ClientCredentials(
                client_id=self.config.legacy_client_id,
                client_secret=self.config.legacy_client_secret,
            )
        return ClientCredentials(
            client_id=self.config.client_id, client_secret=self.config.client_secret
        )

    def for_tssd(self, tssd: str, kind: GrantKind = GrantKind.ENHANCED) -> AuthClient:
        """An auth client for the TSSD's auth server (raises ``UnsafeEndpoint`` if invalid)."""
        endpoints = self.policy.endpoints_for_tssd(tssd)
        return self.for_base(endpoints.auth_base, kind)

    def for_base(self, auth_base: str, kind: GrantKind = GrantKind.ENHANCED) -> AuthClient:
        """An auth client for an auth base URL the policy allows."""
        return AuthClient(
            http=self.http,
            auth_base=auth_base,
            policy=self.policy,
            credentials=self.credentials(kind),
        )
