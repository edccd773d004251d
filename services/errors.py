"""The public error hierarchy: messages here are safe to show to users.

Anything raised that is not a :class:`QuarryError` is masked in API responses ("Unexpected
error.") and logged with the request id, so internals and secrets never reach a client.
"""

from __future__ import annotations


class QuarryError(Exception):
    """A user-facing error with a stable machine-readable ``code``."""

    code = "ERROR"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class NotAuthenticated(QuarryError):
    code = "UNAUTHENTICATED"


class PermissionDenied(QuarryError):
    code = "FORBIDDEN"


class NotFound(QuarryError):
    code = "NOT_FOUND"


class InvalidInput(QuarryError):
    code = "INVALID_INPUT"


class RateLimited(QuarryError):
    code = "RATE_LIMITED"
