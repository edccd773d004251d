"""The MCE Bridge: the only code that talks to Marketing Cloud Engagement.

Stateless about tenants: callers hand in a :class:`TokenProvider`, a :class:`CallTarget`
and an ``httpx.AsyncClient``; every failure is an :class:`MceError`. :class:`MceBridge`
wires them into SOAP and REST operations for one target (docs/client.md).
"""

from __future__ import annotations

from client.auth import AuthClient, ClientCredentials, LegacyGrant, TokenGrant
from client.bridge import MceBridge
from client.endpoints import EndpointPolicy, MceEndpoints, validate_tssd
from client.errors import (
    AccessDenied,
    InvalidClient,
    MceError,
    MceUnavailable,
    MceValidationError,
    NotFound,
    OutcomeUnknown,
    PermissionDenied,
    ReauthRequired,
    Throttled,
    TokenRejected,
    UnsafeEndpoint,
)
from client.http import create_http_client, shared_http_client
from client.limits import ConcurrencyLimiter, RedisConcurrencyLimiter
from client.observe import CallEvent, CallObserver, CountingObserver, LoggingObserver
from client.pipeline import MceCaller, RequestParts, RetryPolicy
from client.secret import Secret
from client.tokens import AccessToken, CallTarget, TokenProvider
from client.userinfo import UserInfo

__all__ = [
    "AccessDenied",
    "AccessToken",
    "AuthClient",
    "CallEvent",
    "CallObserver",
    "CallTarget",
    "ClientCredentials",
    "ConcurrencyLimiter",
    "CountingObserver",
    "EndpointPolicy",
    "InvalidClient",
    "LegacyGrant",
    "LoggingObserver",
    "MceBridge",
    "MceCaller",
    "MceEndpoints",
    "MceError",
    "MceUnavailable",
    "MceValidationError",
    "NotFound",
    "OutcomeUnknown",
    "PermissionDenied",
    "ReauthRequired",
    "RedisConcurrencyLimiter",
    "RequestParts",
    "RetryPolicy",
    "Secret",
    "Throttled",
    "TokenGrant",
    "TokenProvider",
    "TokenRejected",
    "UnsafeEndpoint",
    "UserInfo",
    "create_http_client",
    "shared_http_client",
    "validate_tssd",
]
