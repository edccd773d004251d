"""Typed errors for REST responses (REFERENCE §4.7)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from client.errors import (
    MceError,
    MceUnavailable,
    MceValidationError,
    NotFound,
    PermissionDenied,
    Throttled,
    TokenRejected,
)
from client.retry_after import parse_retry_after

__all__ = ["rest_classify"]

_MESSAGE_LIMIT = 500


def rest_classify(response: httpx.Response) -> MceError | None:
    """``None`` for a 2xx, else the typed error for MCE's status and error body.

    401 (any code) is a rejected token; 403 with 40000-40003 is too (REFERENCE §4.7 files
    them under authentication), other 403s are missing privileges.
    """
    status = response.status_code
    if 200 <= status < 300:
        return None
    body = _json_body(response)
    mce_message = _text(body.get("message")) or _text(body.get("error_description"))
    code = body.get("errorcode")
    mce_code: int | str | None = code if isinstance(code, int | str) else None
    shown = mce_message or response.reason_phrase or f"HTTP {status}"
    common: dict[str, Any] = {"mce_message": mce_message, "mce_code": mce_code, "status": status}
    if status == 401 or (status == 403 and mce_code in (40000, 40001, 40002, 40003)):
        return TokenRejected(shown, **common)
    if status == 403:
        return PermissionDenied(shown, **common)
    if status == 404:
        return NotFound(shown, **common)
    if status == 429:
        return Throttled(shown, retry_after=_retry_after(response, body), **common)
    if status >= 500:
        return MceUnavailable(
            shown,
            retry_safe=status == 503,
            retry_after=_retry_after(response, body),
            **common,
        )
    return MceValidationError(shown, additional_errors=_additional(body), **common)


def _json_body(response: httpx.Response) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}


def _text(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:_MESSAGE_LIMIT]


def _retry_after(response: httpx.Response, body: Mapping[str, Any]) -> float | None:
    """``Retry-After`` in seconds (header first, then the body's ``retryAfter``)."""
    for raw in (response.headers.get("retry-after"), body.get("retryAfter")):
        seconds = parse_retry_after(raw)
        if seconds is not None:
            return seconds
    return None


def _additional(body: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    extra = body.get("additionalErrors") or body.get("validationErrors") or ()
    if not isinstance(extra, list):
        return ()
    return [item for item in extra if isinstance(item, Mapping)]
