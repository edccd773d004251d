"""The cookies the app sets, built by hand.

Quarry runs inside MCE's iframe, a third-party context, so its cookies must be
``SameSite=None; Secure`` and, for browsers that partition third-party cookies (CHIPS),
``Partitioned``. Starlette's ``set_cookie`` cannot emit ``Partitioned`` on Python 3.11
(``http.cookies`` learned it in 3.14), so the header is built here, one attribute at a time.
The ``__Host-`` prefix makes browsers refuse the cookie unless it is Secure, has ``Path=/``
and no ``Domain``: no sibling subdomain can plant or shadow it. Browsers accept Secure
cookies from ``http://localhost``, so development works over http.
"""

from __future__ import annotations

import re

__all__ = [
    "SESSION_COOKIE",
    "SIGNIN_COOKIE",
    "clear_cookie_header",
    "read_cookie",
    "read_cookie_values",
    "set_cookie_header",
]

SESSION_COOKIE = "__Host-quarry_session"
#: Binds an OAuth ``state`` to the browser that started the sign-in.
SIGNIN_COOKIE = "__Host-quarry_signin"

_VALUE = re.compile(r"[A-Za-z0-9_\-.~]{1,256}")
_MAX_HEADER = 16_384  # servers refuse larger headers anyway; never parse more


def set_cookie_header(name: str, value: str, *, max_age: int | None) -> str:
    """The ``Set-Cookie`` value; ``max_age`` None makes a browser-session cookie."""
    if _VALUE.fullmatch(value) is None:
        raise ValueError("cookie values are URL-safe tokens")
    parts = [f"{name}={value}", "Path=/", "Secure", "HttpOnly", "SameSite=None", "Partitioned"]
    if max_age is not None:
        parts.insert(2, f"Max-Age={int(max_age)}")
    return "; ".join(parts)


def clear_cookie_header(name: str) -> str:
    """A ``Set-Cookie`` value that deletes the cookie (same attributes, so it matches)."""
    return "; ".join(
        [f"{name}=", "Path=/", "Max-Age=0", "Secure", "HttpOnly", "SameSite=None", "Partitioned"]
    )


def read_cookie_values(cookie_header: str | None, name: str) -> list[str]:
    """Every well-formed value of cookie ``name`` in a ``Cookie`` header, in header order.

    Parsed by hand, leniently: ``http.cookies`` gives up on a whole header when any one
    cookie in it (perhaps another site's, on a shared parent domain) is malformed, which
    would sign the user out. A name may appear twice: with CHIPS a partitioned and an
    unpartitioned cookie can coexist, and only one of them may still be valid.
    """
    if not cookie_header or len(cookie_header) > _MAX_HEADER:
        return []
    values = []
    for part in cookie_header.split(";"):
        key, sep, value = part.partition("=")
        if not sep or key.strip() != name:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if _VALUE.fullmatch(value) is not None:
            values.append(value)
    return values


def read_cookie(cookie_header: str | None, name: str) -> str | None:
    """The first well-formed value of cookie ``name``, or None."""
    values = read_cookie_values(cookie_header, name)
    return values[0] if values else None
