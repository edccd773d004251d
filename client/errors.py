"""The one error hierarchy of the MCE Bridge.

Every error the client raises is an :class:`MceError`. ``message`` is safe to show a
user: it is either MCE's own message or a sentence of ours, and it never contains a
token, a secret or a request body. MCE's message and code are kept apart
(``mce_message``, ``mce_code``) so callers can branch on them and support can read them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

__all__ = [
    "AccessDenied",
    "InvalidClient",
    "MceError",
    "MceUnavailable",
    "MceValidationError",
    "NotFound",
    "OutcomeUnknown",
    "PermissionDenied",
    "ReauthRequired",
    "Throttled",
    "TokenRejected",
    "UnsafeEndpoint",
    "response_too_large",
    "transport_error",
]


class MceError(Exception):
    """Base of every client error; ``str(error)`` is the user-safe message."""

    def __init__(
        self,
        message: str,
        *,
        mce_message: str | None = None,
        mce_code: int | str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.mce_message = mce_message
        self.mce_code = mce_code
        self.status = status

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        parts = [repr(self.message)]
        if self.mce_code is not None:
            parts.append(f"mce_code={self.mce_code!r}")
        if self.status is not None:
            parts.append(f"status={self.status}")
        return f"{type(self).__name__}({', '.join(parts)})"


class TokenRejected(MceError):
    """MCE refused the access token (expired, revoked, invalid).

    Internal: :class:`client.pipeline.MceCaller` turns it into one refresh and one retry,
    and into :class:`ReauthRequired` when the fresh token is refused too.
    """


class ReauthRequired(MceError):
    """The user must sign in again: the refresh token is gone (``invalid_grant``) or refused."""


class PermissionDenied(MceError):
    """The token is valid but may not do this (missing scope, BU not reachable)."""


class AccessDenied(PermissionDenied):
    """OAuth ``access_denied``: the user cannot reach the requested BU or refused consent."""


class InvalidClient(MceError):
    """OAuth ``invalid_client`` / ``unauthorized_client``: the package credentials or its
    enablement in the BU are wrong. A configuration problem, never retried."""


class NotFound(MceError):
    """The object (DE, query, rowset token) does not exist in this BU."""


class MceValidationError(MceError):
    """MCE refused the request's content; ``additional_errors`` lists the details MCE gave."""

    def __init__(
        self,
        message: str,
        *,
        mce_message: str | None = None,
        mce_code: int | str | None = None,
        status: int | None = None,
        additional_errors: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        super().__init__(message, mce_message=mce_message, mce_code=mce_code, status=status)
        self.additional_errors = tuple(additional_errors)


class Throttled(MceError):
    """MCE (or our own per-tenant limit) asks us to slow down; ``retry_after`` in seconds."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        mce_message: str | None = None,
        mce_code: int | str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, mce_message=mce_message, mce_code=mce_code, status=status)
        self.retry_after = retry_after


class MceUnavailable(MceError):
    """MCE could not be reached or failed (connection error, timeout, 5xx).

    ``retry_safe`` says MCE certainly did not act on the request (503 Service
    Unavailable, a connection that was never opened), so even a non-idempotent call may
    be resent.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_safe: bool = False,
        retry_after: float | None = None,
        mce_message: str | None = None,
        mce_code: int | str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, mce_message=mce_message, mce_code=mce_code, status=status)
        self.retry_safe = retry_safe
        self.retry_after = retry_after


class OutcomeUnknown(MceUnavailable):
    """A non-idempotent request may have reached MCE but no answer came back.

    It was not resent: the caller must look first (by CustomerKey, ``isrunning``) before
    trying again, or the object could be created or started twice.
    """


class UnsafeEndpoint(MceError):
    """A TSSD or endpoint URL failed validation or is not on the allow-list."""


# Failures raised before a byte of the request can have left this process.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def transport_error(exc: httpx.TransportError, *, idempotent: bool) -> MceUnavailable:
    """The typed error for an httpx transport failure.

    httpx's own message is dropped: it can echo the URL. A failure before sending is
    ``retry_safe``; after sending, a non-idempotent request's fate is unknown.
    """
    if isinstance(exc, _NOT_SENT):
        return MceUnavailable("Marketing Cloud could not be reached.", retry_safe=True)
    if not idempotent:
        return OutcomeUnknown(
            "The connection to Marketing Cloud broke before it answered; "
            "the change may or may not have been made."
        )
    if isinstance(exc, httpx.TimeoutException):
        return MceUnavailable("Marketing Cloud did not answer in time.")
    return MceUnavailable("The connection to Marketing Cloud broke before it answered.")


def response_too_large(limit: int, *, idempotent: bool, status: int | None) -> MceUnavailable:
    """The typed error for an answer cut off at ``limit`` bytes (never resent: a second
    try would stream the same flood, and a non-idempotent request did reach MCE)."""
    message = f"Marketing Cloud sent an answer too large to read (over {limit} bytes)."
    if not idempotent:
        return OutcomeUnknown(message + " The change may or may not have been made.", status=status)
    return MceUnavailable(message, status=status)
