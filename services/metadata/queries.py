"""Reads of the metadata cache for GraphQL: pages of folders, DEs and query activities, and
the batch reads the DataLoaders call (DEs, fields, folders, automations by many keys at once).

Every statement runs through :class:`models.TenantRepository`, so row-level security decides
what a context sees (its own BU's rows and its parent's shared ones); the filters written here
only add what the sidebar must never show: a DE whose field list is not complete
(``fields_complete``: the sync replaces fields inside one transaction), and Quarry's own MCE
assets (``is_quarry_asset``). Other tools' leftovers are shown, flagged, unless the caller
asks to hide them.

Pages are keyset-paged on ``(sort_name, id)`` (``sort_name`` is the lower-cased name, stored:
migrations/0010 says why): a cursor is that pair, opaque to clients, so a page costs one index
range scan however deep it is and rows added meanwhile do not shift the pages after it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar
from uuid import UUID

from models import TenantContext, TenantRepository
from tsql.names import quote_identifier

__all__ = [
    "MAX_PAGE",
    "AutomationInfo",
    "DataExtensionInfo",
    "FieldInfo",
    "FolderInfo",
    "FolderKind",
    "Page",
    "QueryActivityInfo",
    "automations_by_query",
    "data_extension_by_key",
    "data_extension_by_name",
    "data_extensions_by_ids",
    "data_extensions_by_keys",
    "data_extensions_page",
    "decode_cursor",
    "encode_cursor",
    "fields_by_data_extension",
    "folders_by_ids",
    "folders_by_mce_id",
    "folders_page",
    "query_activities_by_ids",
    "query_activities_page",
    "query_activity_by_key",
    "record_row_count",
]

#: The largest page any connection serves (docs/api.md).
MAX_PAGE = 100

T = TypeVar("T")


class FolderKind(StrEnum):
    """What a folder holds, as the API names it (a shared DE folder holds DEs too)."""

    DATA_EXTENSION = "DATA_EXTENSION"
    QUERY_ACTIVITY = "QUERY_ACTIVITY"


#: The cache's DataFolder content types (models.metadata.FolderContentType) per kind.
_CONTENT_TYPES: Mapping[FolderKind, tuple[str, ...]] = {
    FolderKind.DATA_EXTENSION: ("dataextension", "shared_dataextension"),
    FolderKind.QUERY_ACTIVITY: ("queryactivity",),
}


@dataclass(frozen=True, slots=True)
class FolderInfo:
    id: UUID
    mid: int
    is_shared: bool
    folder_id: int
    parent_folder_id: int | None
    name: str
    description: str
    content_type: str
    children_loaded: bool

    @property
    def kind(self) -> FolderKind:
        if self.content_type in _CONTENT_TYPES[FolderKind.QUERY_ACTIVITY]:
            return FolderKind.QUERY_ACTIVITY
        return FolderKind.DATA_EXTENSION


@dataclass(frozen=True, slots=True)
class DataExtensionInfo:
    id: UUID
    mid: int
    is_shared: bool
    object_id: str
    customer_key: str
    name: str
    folder_id: int | None
    description: str
    is_sendable: bool
    sendable_field: str | None
    sendable_subscriber_field: str | None
    retention_length: int | None
    retention_unit: str | None
    retention_row_based: bool
    retention_reset_on_import: bool
    retention_delete_at_end: bool
    retain_until: datetime | None
    mce_created_at: datetime | None
    mce_modified_at: datetime | None
    row_count: int | None
    row_count_at: datetime | None
    is_foreign_leftover: bool
    field_count: int

    def shared_from(self, viewer_mid: int) -> bool:
        """True when SQL in ``viewer_mid`` reads this DE as ``ENT.[name]`` (a parent's)."""
        return self.is_shared and self.mid != viewer_mid

    def sql_name(self, viewer_mid: int) -> str:
        """The name as SQL in ``viewer_mid`` writes it: bracketed when needed, ``ENT.`` for a
        parent's shared DE."""
        quoted = quote_identifier(self.name)
        return f"ENT.{quoted}" if self.shared_from(viewer_mid) else quoted


@dataclass(frozen=True, slots=True)
class FieldInfo:
    id: UUID
    data_extension_id: UUID
    name: str
    field_type: str
    max_length: int | None
    precision: int | None
    scale: int | None
    is_primary_key: bool
    is_required: bool
    default_value: str | None
    ordinal: int


@dataclass(frozen=True, slots=True)
class QueryActivityInfo:
    id: UUID
    mid: int
    object_id: str
    customer_key: str
    name: str
    folder_id: int | None
    description: str
    query_text: str
    target_key: str | None
    target_name: str | None
    update_type: str | None
    mce_created_at: datetime | None
    mce_modified_at: datetime | None
    is_foreign_leftover: bool


@dataclass(frozen=True, slots=True)
class AutomationInfo:
    id: UUID
    mid: int
    automation_id: str
    customer_key: str | None
    name: str
    description: str
    status: str | None
    last_run_at: datetime | None
    mce_modified_at: datetime | None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool


_FOLDER_COLUMNS = (
    "id, mid, is_shared, folder_id, parent_folder_id, name, description, content_type,"
    " children_loaded"
)
_DE_COLUMNS = (
    "id, mid, is_shared, object_id, customer_key, name, folder_id, description, is_sendable,"
    " sendable_field, sendable_subscriber_field, retention_length, retention_unit,"
    " retention_row_based, retention_reset_on_import, retention_delete_at_end, retain_until,"
    " mce_created_at, mce_modified_at, row_count,"
    " row_count_at, is_foreign_leftover, field_count"
)
_FIELD_COLUMNS = (
    "id, data_extension_id, name, field_type, max_length, precision, scale, is_primary_key,"
    " is_required, default_value, ordinal"
)
_QA_COLUMNS = (
    "id, mid, object_id, customer_key, name, folder_id, description, query_text, target_key,"
    " target_name, update_type, mce_created_at, mce_modified_at, is_foreign_leftover"
)
_AUTOMATION_COLUMNS = (
    "a.id, a.mid, a.automation_id, a.customer_key, a.name, a.description, a.status,"
    " a.last_run_at, a.mce_modified_at"
)
#: What the API shows of the cached DEs (RLS decides the rest).
_SHOWN_DE = "fields_complete AND NOT is_quarry_asset"


def _make(kind: type[T], row: Mapping[str, Any]) -> T:
    names = kind.__dataclass_fields__  # type: ignore[attr-defined]
    return kind(**{name: row[name] for name in names})


def encode_cursor(sort_name: str, row_id: UUID) -> str:
    """The opaque cursor after the row ``(sort_name, row_id)``."""
    raw = json.dumps([sort_name, str(row_id)], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, UUID] | None:
    """The position a cursor names, or None when it is not one of ours."""
    if not cursor or len(cursor) > 1_000 or not cursor.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw.decode())
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)):
            return None
        return value[0], UUID(str(value[1]))
    except (binascii.Error, ValueError, UnicodeDecodeError, TypeError):
        return None


async def _page(
    ctx: TenantContext,
    *,
    kind: type[T],
    columns: str,
    table: str,
    where: list[str],
    params: list[Any],
    first: int,
    after: tuple[str, UUID] | None,
) -> Page[T]:
    """One keyset page of ``table`` ordered by ``(sort_name, id)``; the position is written
    with LEAKPROOF comparisons only, so that it is an index condition under RLS."""
    conditions = list(where)
    values = list(params)
    if after is not None:
        values += [after[0], after[1]]
        name, ident = f"${len(values) - 1}", f"${len(values)}"
        conditions.append(f"sort_name >= {name} AND (sort_name > {name} OR id > {ident})")
    values.append(first + 1)
    sql = (
        f"SELECT {columns}, sort_name FROM {table}"  # noqa: S608 - constants only
        f" WHERE {' AND '.join(conditions) or 'true'}"
        f" ORDER BY sort_name, id LIMIT ${len(values)}"
    )
    rows = await TenantRepository(ctx).fetch(sql, values)
    shown = rows[:first]
    return Page(
        items=[_make(kind, row) for row in shown],
        cursors=[encode_cursor(row["sort_name"], row["id"]) for row in shown],
        has_next_page=len(rows) > first,
    )


async def folders_page(
    ctx: TenantContext,
    *,
    kind: FolderKind,
    parent: FolderInfo | None,
    first: int,
    after: tuple[str, UUID] | None,
) -> Page[FolderInfo]:
    """Folders of ``kind`` directly under ``parent`` (None: the roots the BU can see)."""
    where = ["content_type = ANY($1::text[])"]
    params: list[Any] = [list(_CONTENT_TYPES[kind])]
    if parent is None:
        where.append("(parent_folder_id IS NULL OR parent_folder_id = 0)")
    else:
        params += [parent.mid, parent.folder_id]
        where.append("mid = $2 AND parent_folder_id = $3")
    return await _page(
        ctx,
        kind=FolderInfo,
        columns=_FOLDER_COLUMNS,
        table="mce_folders",
        where=where,
        params=params,
        first=first,
        after=after,
    )


async def data_extensions_page(
    ctx: TenantContext,
    *,
    folder: FolderInfo | None,
    first: int,
    after: tuple[str, UUID] | None,
    hide_leftovers: bool = False,
) -> Page[DataExtensionInfo]:
    """DEs in ``folder`` (None: every DE the BU can see, its parent's shared ones included)."""
    where = [_SHOWN_DE]
    params: list[Any] = []
    if hide_leftovers:
        where.append("NOT is_foreign_leftover")
    if folder is not None:
        params += [folder.mid, folder.folder_id]
        where.append("mid = $1 AND folder_id = $2")
    return await _page(
        ctx,
        kind=DataExtensionInfo,
        columns=_DE_COLUMNS,
        table="mce_data_extensions",
        where=where,
        params=params,
        first=first,
        after=after,
    )


async def query_activities_page(
    ctx: TenantContext,
    *,
    folder: FolderInfo | None,
    first: int,
    after: tuple[str, UUID] | None,
    hide_leftovers: bool = False,
) -> Page[QueryActivityInfo]:
    """The BU's query activities in ``folder`` (None: all of them), Quarry's own hidden."""
    where = ["NOT is_quarry_asset", "mid = quarry_current_mid()"]
    params: list[Any] = []
    if hide_leftovers:
        where.append("NOT is_foreign_leftover")
    if folder is not None:
        params += [folder.mid, folder.folder_id]
        where.append("mid = $1 AND folder_id = $2")
    return await _page(
        ctx,
        kind=QueryActivityInfo,
        columns=_QA_COLUMNS,
        table="mce_query_activities",
        where=where,
        params=params,
        first=first,
        after=after,
    )


async def folders_by_ids(ctx: TenantContext, ids: Sequence[UUID]) -> dict[UUID, FolderInfo]:
    rows = await TenantRepository(ctx).fetch(
        f"SELECT {_FOLDER_COLUMNS} FROM mce_folders WHERE id = ANY($1::uuid[])",  # noqa: S608
        [list(ids)],
    )
    return {row["id"]: _make(FolderInfo, row) for row in rows}


async def folders_by_mce_id(
    ctx: TenantContext, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], FolderInfo]:
    """Folders by ``(mid, MCE folder id)``: where a DE or query activity lives."""
    rows = await TenantRepository(ctx).fetch(
        f"SELECT {_FOLDER_COLUMNS} FROM mce_folders"  # noqa: S608 - constants only
        " WHERE (mid, folder_id) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))",
        [[mid for mid, _ in keys], [folder for _, folder in keys]],
    )
    return {(row["mid"], row["folder_id"]): _make(FolderInfo, row) for row in rows}


async def data_extensions_by_ids(
    ctx: TenantContext, ids: Sequence[UUID]
) -> dict[UUID, DataExtensionInfo]:
    rows = await TenantRepository(ctx).fetch(
        f"SELECT {_DE_COLUMNS} FROM mce_data_extensions"  # noqa: S608 - constants only
        f" WHERE id = ANY($1::uuid[]) AND {_SHOWN_DE}",
        [list(ids)],
    )
    return {row["id"]: _make(DataExtensionInfo, row) for row in rows}


async def data_extensions_by_keys(
    ctx: TenantContext, keys: Sequence[str]
) -> dict[str, DataExtensionInfo]:
    """DEs by customer key (case-insensitive, keyed by the lower-cased key); the BU's own
    DE wins over a parent's shared one with the same key."""
    rows = await TenantRepository(ctx).fetch(
        f"SELECT {_DE_COLUMNS} FROM mce_data_extensions"  # noqa: S608 - constants only
        f" WHERE lower(customer_key) = ANY($1::text[]) AND {_SHOWN_DE}"
        " ORDER BY (mid = quarry_current_mid()) ASC",
        [[key.lower() for key in keys]],
    )
    # Later rows (the BU's own) overwrite earlier ones (a parent's shared).
    return {row["customer_key"].lower(): _make(DataExtensionInfo, row) for row in rows}


async def data_extension_by_key(ctx: TenantContext, key: str) -> DataExtensionInfo | None:
    return (await data_extensions_by_keys(ctx, [key])).get(key.lower())


async def data_extension_by_name(
    ctx: TenantContext, name: str, *, shared: bool
) -> DataExtensionInfo | None:
    """The DE SQL in this BU calls ``name`` (``shared``: ``ENT.name``, a parent's shared DE;
    otherwise one of the BU's own), case-insensitively as MCE compares names.

    Compared on the stored ``sort_name`` (``lower(name)``): under RLS ``lower(name) = ...``
    is not an index condition (``lower()`` is not LEAKPROOF) and scanned the tenant's DEs,
    12 ms a lookup at 5,000 DEs; ``sort_name = ...`` is one index probe (0.1 ms)."""
    where = "is_shared" if shared else "mid = quarry_current_mid()"
    rows = await TenantRepository(ctx).fetch(
        f"SELECT {_DE_COLUMNS} FROM mce_data_extensions"  # noqa: S608 - constants only
        f" WHERE sort_name = lower($1) AND {where} AND {_SHOWN_DE}"
        " ORDER BY (mid = quarry_current_mid()) ASC, id LIMIT 1",
        [name],
    )
    return _make(DataExtensionInfo, rows[0]) if rows else None


async def fields_by_data_extension(
    ctx: TenantContext, ids: Sequence[UUID]
) -> dict[UUID, list[FieldInfo]]:
    """Every field of each DE, in MCE's order, in one statement."""
    rows = await TenantRepository(ctx).fetch(
        f"SELECT {_FIELD_COLUMNS} FROM mce_data_extension_fields"  # noqa: S608 - constants only
        " WHERE data_extension_id = ANY($1::uuid[])"
        " ORDER BY data_extension_id, ordinal, lower(name)",
        [list(ids)],
    )
    fields: dict[UUID, list[FieldInfo]] = {de_id: [] for de_id in ids}
    for row in rows:
        fields.setdefault(row["data_extension_id"], []).append(_make(FieldInfo, row))
    return fields


async def query_activities_by_ids(
    ctx: TenantContext, ids: Sequence[UUID]
) -> dict[UUID, QueryActivityInfo]:
    rows = await TenantRepository(ctx).fetch(
        f"SELECT {_QA_COLUMNS} FROM mce_query_activities"  # noqa: S608 - constants only
        " WHERE id = ANY($1::uuid[]) AND NOT is_quarry_asset",
        [list(ids)],
    )
    return {row["id"]: _make(QueryActivityInfo, row) for row in rows}


async def query_activity_by_key(ctx: TenantContext, key: str) -> QueryActivityInfo | None:
    """The BU's own query activity with customer key ``key`` (case-insensitive)."""
    rows = await TenantRepository(ctx).fetch(
        f"SELECT {_QA_COLUMNS} FROM mce_query_activities"  # noqa: S608 - constants only
        " WHERE lower(customer_key) = lower($1) AND mid = quarry_current_mid()"
        " AND NOT is_quarry_asset LIMIT 1",
        [key],
    )
    return _make(QueryActivityInfo, rows[0]) if rows else None


async def automations_by_query(
    ctx: TenantContext, keys: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], list[AutomationInfo]]:
    """The automations that run each query activity, by ``(mid, query ObjectID)``."""
    rows = await TenantRepository(ctx).fetch(
        f"SELECT DISTINCT {_AUTOMATION_COLUMNS}, aa.query_object_id, lower(a.name) AS sort_name"  # noqa: S608 - constants only
        " FROM mce_automation_activities aa JOIN mce_automations a"
        "   ON a.tenant_id = aa.tenant_id AND a.mid = aa.mid AND a.id = aa.automation_id"
        " WHERE (aa.mid, aa.query_object_id)"
        "   IN (SELECT * FROM unnest($1::bigint[], $2::text[]))"
        " ORDER BY sort_name, a.id",
        [[mid for mid, _ in keys], [object_id for _, object_id in keys]],
    )
    found: dict[tuple[int, str], list[AutomationInfo]] = {key: [] for key in keys}
    for row in rows:
        key = (row["mid"], row["query_object_id"])
        found.setdefault(key, []).append(_make(AutomationInfo, row))
    return found


async def record_row_count(
    ctx: TenantContext, *, data_extension: DataExtensionInfo, count: int, counted_at: datetime
) -> None:
    """Cache a DE's row count with when it was counted, in the DE's own BU's context (a
    parent's shared DE is the parent's row: the BU write policies allow no other)."""
    owner = TenantContext(
        tenant_id=ctx.tenant_id,
        mid=data_extension.mid,
        visible_mids=frozenset({data_extension.mid}),
        user_id=ctx.user_id,
    )
    await TenantRepository(owner).fetch(
        "UPDATE mce_data_extensions SET row_count = $1, row_count_at = $2"
        " WHERE id = $3 AND mid = $4 RETURNING id",
        [count, counted_at, data_extension.id, data_extension.mid],
    )


def unique(values: Iterable[T]) -> list[T]:
    """``values`` without repeats, in first-seen order (DataLoader keys may repeat)."""
    return list(dict.fromkeys(values))
