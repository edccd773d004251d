"""A string that does not print itself.

Tokens and client secrets are wrapped in :class:`Secret` from the moment they are read
off the wire, so a stray ``repr``, f-string, log line or traceback local shows ``***``.
Only :meth:`Secret.reveal` gives the value, at the one place it goes on the wire.
"""

from __future__ import annotations

import hmac
from typing import Any

__all__ = ["Secret"]


class Secret:
    """An opaque secret value; equality is constant-time."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("a Secret wraps a str")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> str | tuple[Any, ...]:
        raise TypeError("secrets are not pickled")
