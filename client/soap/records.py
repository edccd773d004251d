"""Typed records read from Retrieve results, one per object type.

Each record class carries its ``COLUMNS``: which Retrieve property fills which attribute
and how its text is typed. The same table gives the ``Properties`` a Retrieve asks for,
drives the lxml reader (:mod:`client.soap.parsing`) and lets the contract test read zeep's
objects into the same records, so the three cannot drift apart.

Dates are returned as MCE sends them: ``CreatedDate``/``ModifiedDate`` carry no offset and
are in MCE's system time (REFERENCE §2.4, §5), so they stay naive here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Literal

__all__ = [
    "AsyncActivityStatus",
    "BusinessUnit",
    "Column",
    "DataExtension",
    "DataExtensionField",
    "DataExtensionKey",
    "DataFolder",
    "QueryDefinition",
    "QueryDefinitionKey",
    "Record",
    "ValueKind",
]

ValueKind = Literal["str", "int", "bool", "datetime", "int_bool"]


@dataclass(frozen=True, slots=True)
class Column:
    """One retrieved property: ``path`` is its element path (``ParentFolder.ID``)."""

    attr: str
    path: str
    kind: ValueKind = "str"


_OBJECT_HEADER = (
    Column("client_id", "Client.ID", "int"),
    Column("created_date", "CreatedDate", "datetime"),
    Column("modified_date", "ModifiedDate", "datetime"),
)
"""The APIObject properties every dated object type reports: its BU and timestamps."""


@dataclass(frozen=True, slots=True)
class DataFolder:
    OBJECT_TYPE: ClassVar[str] = "DataFolder"
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        *_OBJECT_HEADER,
        Column("id", "ID", "int"),
        Column("customer_key", "CustomerKey"),
        Column("parent_id", "ParentFolder.ID", "int"),
        Column("name", "Name"),
        Column("description", "Description"),
        Column("content_type", "ContentType"),
        Column("is_active", "IsActive", "bool"),
        Column("is_editable", "IsEditable", "bool"),
        Column("allow_children", "AllowChildren", "bool"),
    )

    id: int | None = None
    name: str | None = None
    customer_key: str | None = None
    parent_id: int | None = None
    """0 for a root folder."""
    content_type: str | None = None
    description: str | None = None
    is_active: bool | None = None
    is_editable: bool | None = None
    allow_children: bool | None = None
    client_id: int | None = None
    """The MID the folder lives in (shared folders: the parent BU)."""
    created_date: datetime | None = None
    modified_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class DataExtension:
    OBJECT_TYPE: ClassVar[str] = "DataExtension"
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        *_OBJECT_HEADER,
        Column("object_id", "ObjectID"),
        Column("customer_key", "CustomerKey"),
        Column("name", "Name"),
        Column("description", "Description"),
        Column("is_sendable", "IsSendable", "bool"),
        Column("is_testable", "IsTestable", "bool"),
        Column("sendable_field", "SendableDataExtensionField.Name"),
        Column("sendable_subscriber_field", "SendableSubscriberField.Name"),
        Column("retention_length", "DataRetentionPeriodLength", "int"),
        Column("row_based_retention", "RowBasedRetention", "bool"),
        Column("reset_retention_on_import", "ResetRetentionPeriodOnImport", "bool"),
        Column("delete_at_end_of_retention", "DeleteAtEndOfRetentionPeriod", "bool"),
        Column("retain_until", "RetainUntil"),
        Column("retention_period", "DataRetentionPeriod"),
        Column("category_id", "CategoryID", "int"),
    )

    object_id: str | None = None
    customer_key: str | None = None
    name: str | None = None
    description: str | None = None
    category_id: int | None = None
    """The folder (DataFolder ID)."""
    is_sendable: bool | None = None
    is_testable: bool | None = None
    sendable_field: str | None = None
    sendable_subscriber_field: str | None = None
    retention_length: int | None = None
    retention_period: str | None = None
    """Days, Weeks, Months or Years."""
    row_based_retention: bool | None = None
    reset_retention_on_import: bool | None = None
    delete_at_end_of_retention: bool | None = None
    retain_until: str | None = None
    """As MCE writes it (``M/D/YYYY h:mm:ss AM``)."""
    client_id: int | None = None
    created_date: datetime | None = None
    modified_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class DataExtensionField:
    OBJECT_TYPE: ClassVar[str] = "DataExtensionField"
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("client_id", "Client.ID", "int"),
        Column("object_id", "ObjectID"),
        Column("customer_key", "CustomerKey"),
        Column("name", "Name"),
        Column("scale", "Scale", "int"),
        Column("default_value", "DefaultValue"),
        Column("max_length", "MaxLength", "int"),
        Column("is_required", "IsRequired", "bool"),
        Column("ordinal", "Ordinal", "int"),
        Column("is_primary_key", "IsPrimaryKey", "bool"),
        Column("field_type", "FieldType"),
        Column("data_extension_key", "DataExtension.CustomerKey"),
    )

    name: str | None = None
    field_type: str | None = None
    max_length: int | None = None
    """For Decimal fields MCE returns the precision here (REFERENCE §2.4)."""
    scale: int | None = None
    is_primary_key: bool | None = None
    is_required: bool | None = None
    ordinal: int | None = None
    """0-based; MCE returns fields unsorted."""
    default_value: str | None = None
    data_extension_key: str | None = None
    object_id: str | None = None
    customer_key: str | None = None
    """``[DEKey].[FieldName]``."""
    client_id: int | None = None

    @property
    def precision(self) -> int | None:
        """A Decimal field's precision, which MCE reports in ``MaxLength``."""
        return self.max_length if self.field_type == "Decimal" else None


@dataclass(frozen=True, slots=True)
class QueryDefinition:
    OBJECT_TYPE: ClassVar[str] = "QueryDefinition"
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        *_OBJECT_HEADER,
        Column("object_id", "ObjectID"),
        Column("customer_key", "CustomerKey"),
        Column("name", "Name"),
        Column("description", "Description"),
        Column("query_text", "QueryText"),
        Column("target_type", "TargetType"),
        Column("target_key", "DataExtensionTarget.CustomerKey"),
        Column("target_name", "DataExtensionTarget.Name"),
        Column("target_update_type", "TargetUpdateType"),
        Column("status", "Status"),
        Column("category_id", "CategoryID", "int"),
    )

    object_id: str | None = None
    """The id Perform and REST's ``queryDefinitionId`` use."""
    customer_key: str | None = None
    name: str | None = None
    description: str | None = None
    query_text: str | None = None
    target_type: str | None = None
    target_key: str | None = None
    target_name: str | None = None
    target_update_type: str | None = None
    """Overwrite, Append or Update."""
    status: str | None = None
    category_id: int | None = None
    client_id: int | None = None
    created_date: datetime | None = None
    modified_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class DataExtensionKey:
    """A DE as a key-only listing returns it: enough to tell which DEs still exist (metadata
    sync's deletion check) at a fraction of a full DE's bytes."""

    OBJECT_TYPE: ClassVar[str] = "DataExtension"
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("client_id", "Client.ID", "int"),
        Column("object_id", "ObjectID"),
        Column("customer_key", "CustomerKey"),
    )

    object_id: str | None = None
    customer_key: str | None = None
    client_id: int | None = None


@dataclass(frozen=True, slots=True)
class QueryDefinitionKey:
    """A query definition as a key-only listing returns it (see :class:`DataExtensionKey`)."""

    OBJECT_TYPE: ClassVar[str] = "QueryDefinition"
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("client_id", "Client.ID", "int"),
        Column("object_id", "ObjectID"),
        Column("customer_key", "CustomerKey"),
    )

    object_id: str | None = None
    customer_key: str | None = None
    client_id: int | None = None


@dataclass(frozen=True, slots=True)
class BusinessUnit:
    OBJECT_TYPE: ClassVar[str] = "BusinessUnit"
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("id", "ID", "int"),
        Column("customer_key", "CustomerKey"),
        Column("account_type", "AccountType"),
        Column("parent_id", "ParentID", "int"),
        Column("name", "Name"),
        Column("is_active", "IsActive", "int_bool"),
        Column("parent_name", "ParentName"),
        Column("description", "Description"),
    )

    id: int | None = None
    """The MID."""
    name: str | None = None
    parent_id: int | None = None
    parent_name: str | None = None
    account_type: str | None = None
    """``ENTERPRISE_2`` for the parent, ``BUSINESS_UNIT`` for children."""
    is_active: bool | None = None
    customer_key: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class AsyncActivityStatus:
    """The status of a performed activity; MCE answers in name/value pairs (REFERENCE §2.4).

    ``completed_date`` is kept as text: MCE fills it before the run ends, so it is no
    completion signal.
    """

    OBJECT_TYPE: ClassVar[str] = "AsyncActivityStatus"
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("task_id", "TaskID"),
        Column("status", "Status"),
        Column("status_message", "StatusMessage"),
        Column("error_msg", "ErrorMsg"),
        Column("completed_date", "CompletedDate"),
    )

    task_id: str | None = None
    status: str | None = None
    """Queued, Complete, Error, ..."""
    status_message: str | None = None
    error_msg: str | None = None
    completed_date: str | None = None
    properties: Mapping[str, str] = field(default_factory=dict)
    """Every name/value pair MCE returned."""

    @property
    def failed(self) -> bool:
        return "error" in (self.status or "").lower() or bool(self.error_msg)


Record = (
    DataFolder
    | DataExtension
    | DataExtensionField
    | DataExtensionKey
    | QueryDefinition
    | QueryDefinitionKey
    | BusinessUnit
    | AsyncActivityStatus
)
