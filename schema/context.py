"""What every resolver receives: the request, who is calling and how, and the per-process
services the auth-related fields need.

``principal`` is the user a session or API token acts for (None when signed out or for a
support token); ``authentication`` says how the caller authenticated (``method``), carries
the session itself for cookie requests and the support identity for support tokens. Over a
websocket the context lives as long as the connection: ``connection_init`` fills in the
credential, and the transport re-checks it at every subscribe (app/graphql.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from services.api_tokens import DEFAULT_TOKEN_DAYS
from services.audit import NO_REQUEST, RequestMeta
from services.authn import ANONYMOUS, Authentication, Authenticator
from services.identity import Principal
from services.job_queue import JobQueue
from services.metadata.preview import MceAccess
from services.rate_limits import RateLimiter
from services.revocations import RevocationFeed
from services.sessions import SessionStore

__all__ = ["GraphQLContext"]


@dataclass
class GraphQLContext:
    request: Any
    response: Any
    request_id: str
    principal: Principal | None = None
    introspection_allowed: bool = True
    authentication: Authentication = ANONYMOUS
    #: Where the request came from, for the audit trail.
    meta: RequestMeta = NO_REQUEST
    #: Set by strawberry from the websocket ``connection_init`` payload.
    connection_params: dict[str, Any] | None = None
    sessions: SessionStore | None = None
    authenticator: Authenticator | None = None
    revocations: RevocationFeed | None = None
    rate_limits: RateLimiter | None = None
    #: The Redis client, for announcing revocations.
    redis: Redis | None = None
    api_token_max_days: int = DEFAULT_TOKEN_DAYS
    #: How often long-lived subscriptions re-check the credential (and report its status).
    recheck_seconds: float = 30.0
    #: The process's way to MCE (HTTP pool, the wallet's token provider, the endpoint policy);
    #: None in a process wired without MCE, where fields that need it answer a user error.
    mce: MceAccess | None = None
    #: The RQ queues, for operations that enqueue work (runs, syncs, deploys).
    jobs: JobQueue | None = None
    #: The token wallet (sign-out and uninstall revoke through it).
    wallet: Any = None

    def authenticate_as(self, authentication: Authentication) -> None:
        """Adopt a (re-)checked credential for the rest of this request or connection."""
        self.authentication = authentication
        self.principal = authentication.principal
