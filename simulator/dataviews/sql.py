"""SQL fragments for seeded, deterministic generation inside DuckDB.

Randomness comes from DuckDB's ``hash()`` over a key (seed and BU mixed in Python), a tag
naming the decision and the row's own columns: the same row gets the same answer in every
statement, so views generated one after another agree without sharing state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Mixer", "key_for", "lit", "seconds", "text_list", "ts"]


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ts(value: datetime) -> str:
    """A SQL TIMESTAMP literal (whole seconds)."""
    return f"TIMESTAMP '{value:%Y-%m-%d %H:%M:%S}'"


def seconds(expr: str) -> str:
    """An INTERVAL of ``expr`` seconds, to add to a TIMESTAMP."""
    return f"to_seconds(({expr})::BIGINT)"


def text_list(items: Iterable[str]) -> str:
    """A DuckDB list literal of strings (index it 1-based)."""
    return "[" + ", ".join(lit(item) for item in items) + "]"


def key_for(*parts: object) -> int:
    """A stable 56-bit integer from ``parts`` (Python's ``hash()`` is salted per process)."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:7], "big")


@dataclass(frozen=True, slots=True)
class Mixer:
    """Seeded pseudo-random SQL expressions; ``exprs`` are SQL expressions of the row."""

    key: int

    def hash(self, tag: str, *exprs: str) -> str:
        args = ", ".join((str(key_for(self.key, tag)), *exprs))
        return f"hash({args})"

    def pick(self, tag: str, n: int | str, *exprs: str) -> str:
        """An integer in ``[0, n)``."""
        return f"({self.hash(tag, *exprs)} % ({n}))::BIGINT"

    def between(self, tag: str, low: int, high: int, *exprs: str) -> str:
        """An integer in ``[low, high]``."""
        return f"({low} + {self.pick(tag, high - low + 1, *exprs)})"

    def chance(self, tag: str, percent: float | str, *exprs: str) -> str:
        """A boolean, true for about ``percent`` % of rows."""
        return f"({self.pick(tag, 1_000_000, *exprs)} < ({percent}) * 10000)"

    def choose(self, tag: str, items: Sequence[str], *exprs: str) -> str:
        """One of ``items`` (Python strings)."""
        return f"{text_list(items)}[1 + {self.pick(tag, len(items), *exprs)}]"

    def guid(self, tag: str, *exprs: str) -> str:
        """A lower-case GUID string (36 characters), stable for the row."""
        parts = ", ".join((lit(str(self.key)), lit(tag), *exprs))
        return (
            f"regexp_replace(md5(concat_ws(':', {parts})), "
            r"'^(.{8})(.{4})(.{4})(.{4})(.{12})$', '\1-\2-\3-\4-\5')"
        )
