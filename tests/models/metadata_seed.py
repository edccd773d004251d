"""Seeding the metadata cache for tests: rows written as the app role in the BU's own context
(the per-BU write policies accept nothing else), the way M1's sync writes them."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from uuid import UUID, uuid4

from models import TenantContext, TenantRepository

_numbers = itertools.count(1_000)


def bu_context(tenant_id: int, mid: int, parent_mid: int | None = None) -> TenantContext:
    visible = {mid} if parent_mid is None else {mid, parent_mid}
    return TenantContext(tenant_id=tenant_id, mid=mid, visible_mids=frozenset(visible))


async def add_folder(
    ctx: TenantContext,
    *,
    name: str,
    parent_folder_id: int | None = None,
    content_type: str = "dataextension",
    shared: bool = False,
    children_loaded: bool = True,
) -> tuple[UUID, int]:
    """A folder of ``ctx``'s BU; returns (our id, MCE's folder id)."""
    folder_id = next(_numbers)
    row_id = uuid4()
    await TenantRepository(ctx).fetch(
        "INSERT INTO mce_folders (id, tenant_id, mid, is_shared, folder_id, parent_folder_id,"
        " name, description, content_type, children_loaded, seen_generation, created_at,"
        " synced_at) VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, $9, 0, now(), now())"
        " RETURNING id",
        [
            row_id,
            ctx.tenant_id,
            ctx.mid,
            shared,
            folder_id,
            parent_folder_id,
            name,
            content_type,
            children_loaded,
        ],
    )
    return row_id, folder_id


async def add_de(
    ctx: TenantContext,
    *,
    name: str,
    key: str | None = None,
    fields: Sequence[tuple[str, str]] = (("SubscriberKey", "Text"),),
    shared: bool = False,
    folder_id: int | None = None,
    complete: bool = True,
    quarry_asset: bool = False,
    leftover: bool = False,
) -> UUID:
    """A DE of ``ctx``'s BU with ``fields`` ((name, MCE type) in order)."""
    row_id = uuid4()
    repo = TenantRepository(ctx)
    async with repo.transaction():
        await repo.fetch(
            "INSERT INTO mce_data_extensions (id, tenant_id, mid, is_shared, object_id,"
            " customer_key, name, folder_id, is_sendable, fields_complete, is_quarry_asset,"
            " is_foreign_leftover, field_count, created_at, synced_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, false, $9, $10, $11, $12, now(), now())"
            " RETURNING id",
            [
                row_id,
                ctx.tenant_id,
                ctx.mid,
                shared,
                f"obj-{row_id}",
                key or f"key-{next(_numbers)}",
                name,
                folder_id,
                complete,
                quarry_asset,
                leftover,
                len(fields),
            ],
        )
        for ordinal, (field_name, field_type) in enumerate(fields):
            await repo.fetch(
                "INSERT INTO mce_data_extension_fields (id, tenant_id, mid, is_shared,"
                " data_extension_id, name, field_type, is_primary_key, is_required, ordinal,"
                " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, false, false, $8, now())"
                " RETURNING id",
                [uuid4(), ctx.tenant_id, ctx.mid, shared, row_id, field_name, field_type, ordinal],
            )
    return row_id


async def add_query_activity(
    ctx: TenantContext,
    *,
    name: str,
    key: str,
    sql: str = "SELECT 1 AS One",
    target_key: str | None = None,
    folder_id: int | None = None,
    quarry_asset: bool = False,
) -> tuple[UUID, str]:
    """A query activity of ``ctx``'s BU; returns (our id, its ObjectID)."""
    row_id = uuid4()
    object_id = f"qd-{row_id}"
    await TenantRepository(ctx).fetch(
        "INSERT INTO mce_query_activities (id, tenant_id, mid, is_shared, object_id,"
        " customer_key, name, folder_id, description, query_text, target_key, update_type,"
        " is_quarry_asset, is_foreign_leftover, seen_generation, created_at, synced_at)"
        " VALUES ($1, $2, $3, false, $4, $5, $6, $7, '', $8, $9, 'Overwrite', $10, false, 0,"
        " now(), now()) RETURNING id",
        [
            row_id,
            ctx.tenant_id,
            ctx.mid,
            object_id,
            key,
            name,
            folder_id,
            sql,
            target_key,
            quarry_asset,
        ],
    )
    return row_id, object_id


async def add_automation(ctx: TenantContext, *, name: str, query_object_ids: Sequence[str]) -> UUID:
    """An automation of ``ctx``'s BU running the query activities ``query_object_ids``."""
    row_id = uuid4()
    repo = TenantRepository(ctx)
    async with repo.transaction():
        await repo.fetch(
            "INSERT INTO mce_automations (id, tenant_id, mid, is_shared, automation_id,"
            " customer_key, name, description, status, seen_generation, created_at, synced_at)"
            " VALUES ($1, $2, $3, false, $4, $5, $6, '', 'Scheduled', 0, now(), now())"
            " RETURNING id",
            [row_id, ctx.tenant_id, ctx.mid, f"auto-{row_id}", f"akey-{row_id}", name],
        )
        for step, object_id in enumerate(query_object_ids, start=1):
            await repo.fetch(
                "INSERT INTO mce_automation_activities (id, tenant_id, mid, is_shared,"
                " automation_id, query_object_id, activity_name, step, display_order,"
                " created_at) VALUES ($1, $2, $3, false, $4, $5, '', $6, 1, now())"
                " RETURNING id",
                [uuid4(), ctx.tenant_id, ctx.mid, row_id, object_id, step],
            )
    return row_id
