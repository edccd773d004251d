"""The simulator's typed errors.

One exception type per surface concern, so the HTTP layers (REST here, SOAP in
``simulator.soap``) decide the wire format and the core never formats responses.
"""

from __future__ import annotations

import enum

__all__ = [
    "ErrorCode",
    "InjectedFault",
    "MceValidationError",
    "TokenExpired",
    "TokenInvalid",
]


class ErrorCode(enum.IntEnum):
    """Business error codes returned by store operations.

    Only ``DUPLICATE_NAME`` (310007) is a code REFERENCE.md documents; the rest are
    simulator-assigned in the same 3100xx range, listed in docs/simulator.md, so
    tests can tell the causes apart.
    """

    MISSING_PROPERTY = 310000
    INVALID_FIELD_NAME = 310001
    INVALID_FIELD_TYPE = 310002
    INVALID_LENGTH = 310003
    FOLDER_NOT_FOUND = 310004
    DUPLICATE_FIELD_NAME = 310005
    DUPLICATE_KEY = 310006
    DUPLICATE_NAME = 310007
    NOT_FOUND = 310008
    INVALID_SENDABLE = 310009
    FIELD_NOT_FOUND = 310010
    INVALID_CHANGE = 310011
    DUPLICATE_FOLDER_NAME = 310012
    FOLDER_NOT_EMPTY = 310013
    FOLDER_NOT_EDITABLE = 310014
    INVALID_VALUE = 310015
    BUSINESS_UNIT_NOT_FOUND = 310016
    INVALID_QUERY = 310017
    QUERY_ALREADY_RUNNING = 310018


class MceValidationError(Exception):
    """A request MCE would reject; ``message`` is MCE-like and safe to return."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = int(code)
        self.message = message


class TokenInvalid(Exception):
    """The token is unknown, malformed or revoked (SOAP: ``Login Failed``; REST: 401)."""


class TokenExpired(TokenInvalid):
    """The token was valid but its lifetime is over (SOAP: ``Token Expired``; REST: 401).

    A subclass of :class:`TokenInvalid` so callers that do not care can catch one type.
    """


class InjectedFault(Exception):
    """A fault the control API asked for, raised by ``await sim.faults.apply(op)``.

    ``kind`` is one of:

    * ``"error"``: answer HTTP ``status`` (500) in the surface's error format;
    * ``"rate_limit"``: REST answers 429 with ``Retry-After: retry_after``; SOAP answers
      its HTTP 500 ``Rate Limited`` fault;
    * ``"reset"``: drop the TCP connection without any response. Code need not handle it:
      let it propagate and the ASGI wrapper in :mod:`simulator.app` aborts the socket.
    """

    def __init__(self, kind: str, operation: str, *, status: int = 500, retry_after: int = 5):
        super().__init__(f"injected {kind} for {operation}")
        self.kind = kind
        self.operation = operation
        self.status = status
        self.retry_after = retry_after
