"""MCE's JWT-wrapped authorization codes (a production quirk).

REFERENCE §1.1 [3rd-party, observed in production]: ``/v2/authorize`` sometimes returns a
``code`` that is itself a three-segment JWT-like string whose payload carries the real code
as ``auth_code`` (and the ``eid``). Which of the two ``/v2/token`` accepts is not documented,
so the embedded code is tried first and the raw one after an ``invalid_grant``. The wrapper's
signature is not verified: it is not ours to check, and the token endpoint decides.
"""

from __future__ import annotations

import base64
import binascii
import json

__all__ = ["code_attempts"]

_MAX_CODE = 2048


def code_attempts(code: str) -> list[str]:
    """The codes to try at ``/v2/token``, in order."""
    embedded = _embedded_code(code)
    return [embedded, code] if embedded else [code]


def _embedded_code(code: str) -> str | None:
    parts = code.split(".")
    if len(parts) != 3 or not parts[1]:
        return None
    padded = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    inner = payload.get("auth_code") if isinstance(payload, dict) else None
    if isinstance(inner, str) and 0 < len(inner) <= _MAX_CODE and inner != code:
        return inner
    return None
