"""Writes to the metadata cache, in bulk, always in the context of the BU that owns the rows.

Each batch is one statement per table (``INSERT … SELECT FROM unnest(…)``: COPY is refused
under row-level security), so a page of 2,500 DEs or 3,000 fields costs one round trip. A DE
and its fields are written in one transaction, so a reader never sees a DE with part of its
fields (``fields_complete`` is set in that same transaction).

Deletion detection stamps rows with the sync's generation (a millisecond timestamp, so it
only grows, whichever scope or process stamps) while a complete listing is read; only after
the listing completed are rows with an older stamp deleted. A sync that fails before that
point deletes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from models import TenantRepository
from services.metadata.context import BuScope
from services.metadata.rows import unique_by

__all__ = [
    "delete_unseen",
    "mark_children_loaded",
    "new_generation",
    "stamp_keys",
    "upsert_folders",
    "write_automation",
    "write_data_extensions",
    "write_query_activities",
]

_DE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("object_id", "text"),
    ("customer_key", "text"),
    ("name", "text"),
    ("folder_id", "bigint"),
    ("description", "text"),
    ("is_sendable", "boolean"),
    ("sendable_field", "text"),
    ("sendable_subscriber_field", "text"),
    ("retention_length", "integer"),
    ("retention_unit", "text"),
    ("retention_row_based", "boolean"),
    ("retention_reset_on_import", "boolean"),
    ("retention_delete_at_end", "boolean"),
    ("retain_until", "timestamptz"),
    ("mce_created_at", "timestamptz"),
    ("mce_modified_at", "timestamptz"),
    ("is_quarry_asset", "boolean"),
    ("is_foreign_leftover", "boolean"),
    ("is_shared", "boolean"),
    ("field_count", "integer"),
)
_FIELD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("data_extension_id", "uuid"),
    ("is_shared", "boolean"),
    ("name", "text"),
    ("field_type", "text"),
    ("max_length", "integer"),
    ("precision", "integer"),
    ("scale", "integer"),
    ("is_primary_key", "boolean"),
    ("is_required", "boolean"),
    ("default_value", "text"),
    ("ordinal", "integer"),
)
_QUERY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("object_id", "text"),
    ("customer_key", "text"),
    ("name", "text"),
    ("folder_id", "bigint"),
    ("description", "text"),
    ("query_text", "text"),
    ("target_key", "text"),
    ("target_name", "text"),
    ("update_type", "text"),
    ("mce_created_at", "timestamptz"),
    ("mce_modified_at", "timestamptz"),
    ("is_quarry_asset", "boolean"),
    ("is_foreign_leftover", "boolean"),
)
_FOLDER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("folder_id", "bigint"),
    ("parent_folder_id", "bigint"),
    ("name", "text"),
    ("description", "text"),
    ("content_type", "text"),
    ("customer_key", "text"),
    ("mce_modified_at", "timestamptz"),
    ("is_shared", "boolean"),
)

#: Tables whose rows carry a generation stamp, and the MCE key a key listing names them by.
_KEYED_TABLES = {
    "mce_folders": "folder_id",
    "mce_data_extensions": "customer_key",
    "mce_query_activities": "customer_key",
    "mce_automations": "automation_id",
}


def new_generation() -> int:
    """A stamp greater than every earlier one (milliseconds since the epoch)."""
    return time.time_ns() // 1_000_000


def _upsert_sql(
    table: str,
    columns: Sequence[tuple[str, str]],
    *,
    conflict: str,
    extra: Sequence[tuple[str, str]] = (),
    returning: str = "id",
) -> str:
    """``INSERT … SELECT FROM unnest($4…) ON CONFLICT (conflict) DO UPDATE`` for ``columns``.

    $1 tenant, $2 mid, $3 generation; ``extra`` are (column, SQL expression) pairs set on
    insert and update alike. Only constants are interpolated.
    """
    names = [name for name, _ in columns]
    arrays = ", ".join(f"${i + 4}::{kind}[]" for i, (_, kind) in enumerate(columns))
    extra_names = [name for name, _ in extra]
    extra_values = [value for _, value in extra]
    fixed = ["id", "tenant_id", "mid", "created_at", "seen_generation", "synced_at"]
    insert_columns = ", ".join([*fixed, *names, *extra_names])
    select = ", ".join(
        ["gen_random_uuid()", "$1::bigint", "$2::bigint", "now()", "$3::bigint", "now()"]
        + [f"u.{name}" for name in names]
        + extra_values
    )
    updates = ", ".join(
        [f"{name} = EXCLUDED.{name}" for name in [*names, *extra_names]]
        + ["seen_generation = GREATEST(EXCLUDED.seen_generation, t.seen_generation)"]
        + ["synced_at = now()"]
    )
    return (
        f"INSERT INTO {table} AS t ({insert_columns})"  # noqa: S608 - constants only
        f" SELECT {select} FROM unnest({arrays}) AS u({', '.join(names)})"
        f" ON CONFLICT ({conflict}) DO UPDATE SET {updates} RETURNING {returning}"
    )


def _arrays(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> list[list[Any]]:
    return [[row[name] for row in rows] for name, _ in columns]


async def upsert_folders(
    scope: BuScope,
    folders: Sequence[tuple[Any, ...]],
    *,
    generation: int,
    children_loaded: bool,
) -> int:
    """Insert or update folders (rows from :func:`services.metadata.rows.folder_row`).

    ``children_loaded`` marks them as complete (a full sync); False leaves the flag of a
    folder already cached as it was.
    """
    rows = unique_by(
        (
            dict(zip([name for name, _ in _FOLDER_COLUMNS], folder, strict=True))
            for folder in folders
        ),
        "folder_id",
    )
    if not rows:
        return 0
    sql = _upsert_sql(
        "mce_folders",
        _FOLDER_COLUMNS,
        conflict="tenant_id, mid, folder_id",
        extra=(("children_loaded", f"${len(_FOLDER_COLUMNS) + 4}::boolean"),),
    ).replace(
        "children_loaded = EXCLUDED.children_loaded",
        "children_loaded = EXCLUDED.children_loaded OR t.children_loaded",
    )
    params: list[Any] = [scope.tenant_id, scope.mid, generation, *_arrays(rows, _FOLDER_COLUMNS)]
    params.append(children_loaded)
    await TenantRepository(scope.ctx).fetch(sql, params)
    return len(rows)


async def mark_children_loaded(scope: BuScope, folder_ids: Sequence[int]) -> None:
    """Record that these folders' children (subfolders, DEs, query activities) are cached."""
    if folder_ids:
        await TenantRepository(scope.ctx).fetch(
            "UPDATE mce_folders SET children_loaded = true"
            " WHERE tenant_id = $1 AND mid = $2 AND folder_id = ANY($3::bigint[])",
            [scope.tenant_id, scope.mid, list(folder_ids)],
        )


_UPSERT_DES = _upsert_sql(
    "mce_data_extensions",
    _DE_COLUMNS,
    conflict="tenant_id, mid, customer_key",
    extra=(("fields_complete", "true"),),
    returning="id, customer_key",
)
_DELETE_FIELDS = (
    "DELETE FROM mce_data_extension_fields WHERE tenant_id = $1 AND mid = $2"
    " AND data_extension_id = ANY($3::uuid[])"
)


def _insert_fields_sql() -> str:
    names = ", ".join(name for name, _ in _FIELD_COLUMNS)
    values = ", ".join(f"u.{name}" for name, _ in _FIELD_COLUMNS)
    arrays = ", ".join(f"${i + 3}::{kind}[]" for i, (_, kind) in enumerate(_FIELD_COLUMNS))
    return (
        f"INSERT INTO mce_data_extension_fields (id, tenant_id, mid, created_at, {names})"  # noqa: S608
        f" SELECT gen_random_uuid(), $1::bigint, $2::bigint, now(), {values}"
        f" FROM unnest({arrays}) AS u({names})"
    )


_INSERT_FIELDS = _insert_fields_sql()


async def write_data_extensions(
    scope: BuScope,
    des: Sequence[dict[str, Any]],
    fields_by_key: dict[str, list[dict[str, Any]]],
    *,
    generation: int,
) -> tuple[int, int]:
    """Upsert DEs (rows from :func:`rows.data_extension_row`) and replace their fields
    (``fields_by_key``: lower-cased DE key → field rows), all in one transaction.

    Returns (DEs written, fields written).
    """
    rows = unique_by(des, "customer_key")
    if not rows:
        return 0, 0
    for row in rows:
        row["field_count"] = len(fields_by_key.get(row["customer_key"].lower(), ()))
    repo = TenantRepository(scope.ctx)
    async with repo.transaction():
        written = await repo.fetch(
            _UPSERT_DES, [scope.tenant_id, scope.mid, generation, *_arrays(rows, _DE_COLUMNS)]
        )
        ids = {row["customer_key"].lower(): row["id"] for row in written}
        shared = {row["customer_key"].lower(): row["is_shared"] for row in rows}
        await repo.fetch(_DELETE_FIELDS, [scope.tenant_id, scope.mid, list(ids.values())])
        field_rows: list[dict[str, Any]] = []
        for key, de_id in ids.items():
            for field in unique_by(fields_by_key.get(key, ()), "name"):
                field_rows.append({**field, "data_extension_id": de_id, "is_shared": shared[key]})
        if field_rows:
            await repo.fetch(
                _INSERT_FIELDS, [scope.tenant_id, scope.mid, *_arrays(field_rows, _FIELD_COLUMNS)]
            )
    return len(ids), len(field_rows)


_UPSERT_QUERIES = _upsert_sql(
    "mce_query_activities", _QUERY_COLUMNS, conflict="tenant_id, mid, customer_key"
)


async def write_query_activities(
    scope: BuScope, queries: Sequence[dict[str, Any]], *, generation: int
) -> int:
    rows = unique_by(queries, "customer_key")
    if not rows:
        return 0
    await TenantRepository(scope.ctx).fetch(
        _UPSERT_QUERIES, [scope.tenant_id, scope.mid, generation, *_arrays(rows, _QUERY_COLUMNS)]
    )
    return len(rows)


_UPSERT_AUTOMATION = (
    "INSERT INTO mce_automations AS t (id, tenant_id, mid, created_at, seen_generation,"
    " synced_at, automation_id, customer_key, name, description, status, folder_id,"
    " last_run_at) VALUES ($4, $1, $2, now(), $3, now(), $5, $6, $7, $8, $9, $10, $11)"
    " ON CONFLICT (tenant_id, mid, automation_id) DO UPDATE SET customer_key ="
    " EXCLUDED.customer_key, name = EXCLUDED.name, description = EXCLUDED.description,"
    " status = EXCLUDED.status, folder_id = EXCLUDED.folder_id, last_run_at ="
    " EXCLUDED.last_run_at, seen_generation = GREATEST(EXCLUDED.seen_generation,"
    " t.seen_generation), synced_at = now() RETURNING id"
)
_DELETE_ACTIVITIES = (
    "DELETE FROM mce_automation_activities WHERE tenant_id = $1 AND mid = $2 AND automation_id = $3"
)
_INSERT_ACTIVITIES = (
    "INSERT INTO mce_automation_activities (id, tenant_id, mid, created_at, automation_id,"
    " query_object_id, activity_name, step, display_order)"
    " SELECT gen_random_uuid(), $1, $2, now(), $3, u.o, u.n, u.s, u.d"
    " FROM unnest($4::text[], $5::text[], $6::integer[], $7::integer[]) AS u(o, n, s, d)"
)


async def write_automation(
    scope: BuScope,
    automation: dict[str, Any],
    activities: Sequence[tuple[str, str, int, int]],
    *,
    generation: int,
) -> None:
    """Upsert one automation and replace its query activities ((object id, name, step,
    display order)), in one transaction."""
    repo = TenantRepository(scope.ctx)
    async with repo.transaction():
        rows = await repo.fetch(
            _UPSERT_AUTOMATION,
            [
                scope.tenant_id,
                scope.mid,
                generation,
                uuid4(),
                automation["automation_id"],
                automation["customer_key"],
                automation["name"],
                automation["description"],
                automation["status"],
                automation["folder_id"],
                automation["last_run_at"],
            ],
        )
        automation_id: UUID = rows[0]["id"]
        await repo.fetch(_DELETE_ACTIVITIES, [scope.tenant_id, scope.mid, automation_id])
        if activities:
            await repo.fetch(
                _INSERT_ACTIVITIES,
                [
                    scope.tenant_id,
                    scope.mid,
                    automation_id,
                    [a[0][:64] for a in activities],
                    [a[1][:200] for a in activities],
                    [a[2] for a in activities],
                    [a[3] for a in activities],
                ],
            )


async def stamp_keys(
    scope: BuScope, table: str, keys: Sequence[Any], *, generation: int
) -> set[Any]:
    """Stamp the cached rows a key listing named; returns the listed keys not in the cache."""
    column = _KEYED_TABLES[table]
    if not keys:
        return set()
    kind = "bigint" if column == "folder_id" else "text"
    rows = await TenantRepository(scope.ctx).fetch(
        f"UPDATE {table} SET seen_generation = GREATEST(seen_generation, $3)"  # noqa: S608
        f" WHERE tenant_id = $1 AND mid = $2 AND {column} = ANY($4::{kind}[])"
        f" RETURNING {column}",
        [scope.tenant_id, scope.mid, generation, list(keys)],
    )
    found = {row[column] for row in rows}
    return {key for key in keys if key not in found}


async def delete_unseen(
    scope: BuScope,
    table: str,
    *,
    generation: int,
    shared_only: bool = False,
    content_types: Sequence[str] | None = None,
) -> int:
    """Delete the BU's rows of ``table`` a completed listing did not name (stamped before
    ``generation``); ``shared_only`` limits it to shared rows (a shared-DE sync)."""
    _KEYED_TABLES[table]  # only known tables
    conditions = ["tenant_id = $1", "mid = $2", "seen_generation < $3"]
    params: list[Any] = [scope.tenant_id, scope.mid, generation]
    if shared_only:
        conditions.append("is_shared")
    if content_types is not None:
        params.append(list(content_types))
        conditions.append(f"content_type = ANY(${len(params)}::text[])")
    delete = f"DELETE FROM {table} WHERE {' AND '.join(conditions)} RETURNING id"  # noqa: S608
    if table == "mce_data_extensions":  # their fields go with them (no foreign key: 0009)
        delete = (
            f"WITH gone AS ({delete}), fields AS (DELETE FROM mce_data_extension_fields f"  # noqa: S608
            " WHERE f.tenant_id = $1 AND f.mid = $2"
            " AND f.data_extension_id IN (SELECT id FROM gone)) SELECT id FROM gone"
        )
    rows = await TenantRepository(scope.ctx).fetch(delete, params)
    return len(rows)
