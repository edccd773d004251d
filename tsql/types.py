"""The vocabulary tsql speaks: MCE field types, columns, tables and the purpose of a check.

These are plain frozen dataclasses so that services can build them from the metadata cache and
tests can build them by hand; nothing here knows where metadata comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from tsql.names import quote_identifier

__all__ = ["Column", "FieldType", "Purpose", "Table", "TableKind", "TableName"]


class FieldType(StrEnum):
    """MCE's data extension field types, spelled as MCE spells them (SOAP ``FieldType``)."""

    TEXT = "Text"
    NUMBER = "Number"
    DATE = "Date"
    BOOLEAN = "Boolean"
    EMAIL_ADDRESS = "EmailAddress"
    PHONE = "Phone"
    DECIMAL = "Decimal"
    LOCALE = "Locale"


class Purpose(StrEnum):
    """Why SQL is being checked: the rules differ (REFERENCE §5.1).

    ``RUN``: an ad-hoc run, which the engine wraps and rewrites (an outermost ORDER BY without TOP
    is accepted and honoured). ``QUERY_ACTIVITY``: MCE's own rules, exactly, for deploys.
    """

    RUN = "RUN"
    QUERY_ACTIVITY = "QUERY_ACTIVITY"


class TableKind(StrEnum):
    DATA_EXTENSION = "DATA_EXTENSION"
    DATA_VIEW = "DATA_VIEW"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a DE, a data view, or a query's output.

    ``max_length`` applies to text-like types (None: MCE's default, or unknown for an output),
    ``precision``/``scale`` to Decimal. ``type_known`` is False when inference could not tell
    the type; ``note`` then says why (shown to users, never guessed silently).
    """

    name: str
    field_type: FieldType
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    nullable: bool = True
    primary_key: bool = False
    type_known: bool = True
    note: str | None = None
    system_generated: bool = False
    """A Date MCE itself generates, in its system time (CST all year, REFERENCE §5.1): data
    views' dates and ``GETDATE()``, kept through what does not change the clock (``DATEADD``,
    ``MIN``/``MAX``, conversions to a date type, branches that all carry it). Results shown
    to users carry CST's offset for these; other dates have no zone (docs/api.md)."""


@dataclass(frozen=True, slots=True)
class TableName:
    """A table reference as written: ``ENT.[My DE]`` is ``TableName("My DE", shared=True)``."""

    name: str
    shared: bool = False

    @property
    def display(self) -> str:
        """The name as MCE SQL would write it, bracketed when needed."""
        text = quote_identifier(self.name)
        return f"ENT.{text}" if self.shared else text


@dataclass(frozen=True, slots=True)
class Table:
    """A DE or data view that SQL can read. ``columns`` may be empty when only the name is known
    (a search hit for completions); ``lookup`` always answers with the columns."""

    name: str
    kind: TableKind
    columns: tuple[Column, ...] = ()
    customer_key: str | None = None
    shared: bool = False
    description: str | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def column(self, name: str) -> Column | None:
        """The column named ``name``, compared as MCE compares names (case-insensitively)."""
        wanted = name.casefold()
        for column in self.columns:
            if column.name.casefold() == wanted:
                return column
        return None
