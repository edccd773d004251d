"""What callers hand to create and update operations: plain, typed descriptions.

Only the values a caller sets are sent (``None`` means "leave as is" on update and "MCE's
default" on create), so an update never clears a property by accident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DataExtensionChanges",
    "FieldSpec",
    "FolderChanges",
    "NewDataExtension",
    "NewFolder",
    "NewQueryDefinition",
    "QueryDefinitionChanges",
    "Retention",
    "Sendable",
    "TargetUpdateType",
]

FieldType = Literal[
    "Text", "Number", "Date", "Boolean", "EmailAddress", "Phone", "Decimal", "Locale"
]
TargetUpdateType = Literal["Overwrite", "Append", "Update"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A DE field to create or change. Decimal fields take ``precision`` and ``scale``
    (MCE reports the precision back in ``MaxLength``)."""

    name: str
    field_type: FieldType | None = None
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    is_primary_key: bool | None = None
    is_required: bool | None = None
    default_value: str | None = None
    ordinal: int | None = None


@dataclass(frozen=True, slots=True)
class Retention:
    """Data retention: keep rows (or the whole DE) for ``length`` ``period``s."""

    length: int
    period: Literal["Days", "Weeks", "Months", "Years"] = "Days"
    row_based: bool = False
    reset_on_import: bool = False
    delete_at_end: bool = True


@dataclass(frozen=True, slots=True)
class Sendable:
    """A sendable DE's relationship: the DE field ``field`` (of type ``field_type``) holds
    the subscribers' ``subscriber_field`` ("Subscriber Key" on create, REFERENCE §2.4)."""

    field: str
    field_type: FieldType | None = None
    subscriber_field: str = "Subscriber Key"


@dataclass(frozen=True, slots=True)
class NewDataExtension:
    customer_key: str
    name: str
    fields: Sequence[FieldSpec]
    category_id: int | None = None
    """The folder; ``None``: the BU's "Data Extensions" root."""
    description: str | None = None
    retention: Retention | None = None
    is_testable: bool | None = None
    sendable: Sendable | None = None
    """``None``: not sendable."""


@dataclass(frozen=True, slots=True)
class DataExtensionChanges:
    """Changes to the DE ``customer_key``; ``fields`` are added or changed by name."""

    customer_key: str
    name: str | None = None
    description: str | None = None
    category_id: int | None = None
    retention: Retention | None = None
    fields: Sequence[FieldSpec] = ()


@dataclass(frozen=True, slots=True)
class NewFolder:
    name: str
    content_type: str
    parent_id: int
    customer_key: str | None = None
    description: str | None = None
    allow_children: bool | None = None


@dataclass(frozen=True, slots=True)
class FolderChanges:
    """Changes to the folder ``id``; a new ``parent_id`` moves it."""

    id: int
    name: str | None = None
    description: str | None = None
    parent_id: int | None = None


@dataclass(frozen=True, slots=True)
class NewQueryDefinition:
    """A Query Activity writing ``query_text``'s rows into the DE ``target_key``."""

    customer_key: str
    """At most 36 characters (REFERENCE §2.4)."""
    name: str
    query_text: str
    target_key: str
    target_name: str
    update_type: TargetUpdateType = "Overwrite"
    category_id: int | None = None
    """A ``queryactivity`` folder; ``None``: MCE's default (0 is refused)."""
    description: str | None = None


@dataclass(frozen=True, slots=True)
class QueryDefinitionChanges:
    """Changes to the query ``customer_key`` (or ``object_id``)."""

    customer_key: str | None = None
    object_id: str | None = None
    name: str | None = None
    description: str | None = None
    query_text: str | None = None
    target_key: str | None = None
    target_name: str | None = None
    update_type: TargetUpdateType | None = None
    category_id: int | None = None
