"""A primary key to suggest for a query's target DE: which output columns identify a row.

tsql reads them from the query (:func:`tsql.infer_output_key`: GROUP BY keys, the sources'
primary keys carried through the joins, all columns of a DISTINCT or a set operation without
ALL; the smallest wins) with the BU's metadata as its catalogue. No key is a fine answer: the
reason says why, and the proposal shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tsql import Catalog, ParsedSql, infer_output_key

__all__ = ["KeySuggestion", "suggest_key"]


@dataclass(frozen=True, slots=True)
class KeySuggestion:
    """Output column names (as the query spells them) that identify a row, and why; an
    empty ``columns`` means no key is suggested."""

    columns: tuple[str, ...]
    reason: str
    basis: str
    """``GROUP_BY``, ``SOURCE_KEYS``, ``DISTINCT``, ``SET_OPERATION``, ``ONE_ROW`` or ``NONE``."""


async def suggest_key(parsed: ParsedSql, *, catalog: Catalog) -> KeySuggestion:
    """The key of ``parsed``'s output; none when it is not one statement tsql could read."""
    key = await infer_output_key(parsed.statement, catalog=catalog)
    return KeySuggestion(key.columns, key.reason, key.basis)
