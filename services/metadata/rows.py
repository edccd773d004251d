"""MCE records as cache rows: the column values the sync writes, and MCE's dates made aware.

SOAP's CreatedDate/ModifiedDate are naive MCE system time (CST, UTC-6 all year; docs/client.md,
"The CST rule"); the cache stores them as aware UTC and :func:`to_mce_time` turns a stored
instant back into the naive system time a ``modified_since`` filter compares with.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from client.soap import DataExtension, DataExtensionField, DataFolder, QueryDefinition
from client.values import MCE_SYSTEM_TIME
from services.metadata.assets import is_foreign_leftover, is_quarry_asset

__all__ = [
    "SHARED_FOLDER_TYPES",
    "data_extension_row",
    "field_row",
    "folder_row",
    "from_mce_time",
    "is_shared_content_type",
    "query_activity_row",
    "to_mce_time",
]

#: Folder content types the cache holds: a BU's DE and query folders, and a parent's shared
#: DE folders (REFERENCE §2.4).
DE_FOLDER_TYPES = ("dataextension", "shared_data", "shared_dataextension")
SHARED_FOLDER_TYPES = ("shared_data", "shared_dataextension")
QUERY_FOLDER_TYPES = ("queryactivity",)
CACHED_FOLDER_TYPES = (*DE_FOLDER_TYPES, *QUERY_FOLDER_TYPES)


def is_shared_content_type(content_type: str | None) -> bool:
    return (content_type or "").startswith("shared_") or content_type == "synchronizeddataextension"


def from_mce_time(value: datetime | None) -> datetime | None:
    """A naive MCE system time as an aware UTC instant."""
    if value is None:
        return None
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    return value.replace(tzinfo=MCE_SYSTEM_TIME).astimezone(UTC)


def to_mce_time(value: datetime) -> datetime:
    """An aware instant as naive MCE system time (what ``modified_since`` filters take)."""
    if value.tzinfo is None:
        raise ValueError("to_mce_time needs an aware datetime")
    return value.astimezone(MCE_SYSTEM_TIME).replace(tzinfo=None)


def mce_now() -> datetime:
    return to_mce_time(datetime.now(UTC))


def _us_datetime(text: str | None) -> datetime | None:
    """``RetainUntil`` (``M/D/YYYY h:mm:ss AM``): a date the user entered, kept as written."""
    if not text:
        return None
    try:
        parsed = datetime.strptime(text.strip(), "%m/%d/%Y %I:%M:%S %p")
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC)


def folder_row(folder: DataFolder) -> tuple[Any, ...]:
    """(folder_id, parent_folder_id, name, description, content_type, customer_key,
    mce_modified_at, is_shared)."""
    return (
        int(folder.id or 0),
        folder.parent_id,
        (folder.name or "")[:200],
        folder.description or "",
        (folder.content_type or "")[:64],
        (folder.customer_key or None) and str(folder.customer_key)[:200],
        from_mce_time(folder.modified_date),
        is_shared_content_type(folder.content_type),
    )


def data_extension_row(de: DataExtension, *, is_shared: bool) -> dict[str, Any]:
    name = de.name or ""
    return {
        "object_id": (de.object_id or "")[:64],
        "customer_key": (de.customer_key or "")[:200],
        "name": name[:200],
        "folder_id": de.category_id,
        "description": de.description or "",
        "is_sendable": bool(de.is_sendable),
        "sendable_field": de.sendable_field,
        "sendable_subscriber_field": de.sendable_subscriber_field,
        "retention_length": de.retention_length,
        "retention_unit": (de.retention_period or None) and str(de.retention_period)[:16],
        "retention_row_based": bool(de.row_based_retention),
        "retention_reset_on_import": bool(de.reset_retention_on_import),
        "retention_delete_at_end": bool(de.delete_at_end_of_retention),
        "retain_until": _us_datetime(de.retain_until),
        "mce_created_at": from_mce_time(de.created_date),
        "mce_modified_at": from_mce_time(de.modified_date),
        "is_quarry_asset": is_quarry_asset(name) or is_quarry_asset(de.customer_key),
        "is_foreign_leftover": is_foreign_leftover(name),
        "is_shared": is_shared,
    }


def field_row(field: DataExtensionField) -> dict[str, Any]:
    decimal = field.field_type == "Decimal"
    return {
        "name": (field.name or "")[:200],
        "field_type": (field.field_type or "Text")[:32],
        "max_length": None if decimal else field.max_length,
        "precision": field.precision,
        "scale": field.scale if decimal else None,
        "is_primary_key": bool(field.is_primary_key),
        "is_required": bool(field.is_required) or bool(field.is_primary_key),
        "default_value": field.default_value or None,
        "ordinal": field.ordinal if field.ordinal is not None else 0,
    }


def query_activity_row(query: QueryDefinition) -> dict[str, Any]:
    name = query.name or ""
    return {
        "object_id": (query.object_id or "")[:64],
        "customer_key": (query.customer_key or "")[:200],
        "name": name[:200],
        "folder_id": query.category_id,
        "description": query.description or "",
        "query_text": query.query_text or "",
        "target_key": query.target_key,
        "target_name": query.target_name,
        "update_type": query.target_update_type,
        "mce_created_at": from_mce_time(query.created_date),
        "mce_modified_at": from_mce_time(query.modified_date),
        "is_quarry_asset": is_quarry_asset(name) or is_quarry_asset(query.customer_key),
        "is_foreign_leftover": is_foreign_leftover(name, description=query.description),
    }


def unique_by(rows: Iterable[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The last row for each ``key`` value (an upsert may not touch one row twice)."""
    seen: dict[Any, dict[str, Any]] = {}
    for row in rows:
        seen[row[key]] = row
    return list(seen.values())
