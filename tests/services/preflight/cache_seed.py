"""Seeding the metadata cache with DEs whose fields carry lengths, keys, required flags and
defaults (tests/models/metadata_seed.py's DEs have types only), as the sync writes them:
as the app role, in the DE's own BU's context."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID, uuid4

from models import TenantContext, TenantRepository

_numbers = itertools.count(50_000)


@dataclass(frozen=True)
class F:
    """A field: name, MCE type, length (precision for Decimal), scale, key, required, default."""

    name: str
    type: str = "Text"
    length: int | None = None
    scale: int | None = None
    pk: bool = False
    required: bool = False
    default: str | None = None


async def add_target(
    ctx: TenantContext,
    *,
    name: str,
    key: str,
    fields: Sequence[F],
    shared: bool = False,
) -> UUID:
    """A complete DE of ``ctx``'s BU with ``fields`` in order; returns our id."""
    row_id = uuid4()
    repo = TenantRepository(ctx)
    async with repo.transaction():
        await repo.fetch(
            "INSERT INTO mce_data_extensions (id, tenant_id, mid, is_shared, object_id,"
            " customer_key, name, is_sendable, fields_complete, is_quarry_asset,"
            " is_foreign_leftover, field_count, created_at, synced_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, false, true, false, false, $8, now(), now())"
            " RETURNING id",
            [row_id, ctx.tenant_id, ctx.mid, shared, f"obj-{next(_numbers)}", key, name,
             len(fields)],
        )  # fmt: skip
        for ordinal, f in enumerate(fields):
            decimal = f.type == "Decimal"
            await repo.fetch(
                "INSERT INTO mce_data_extension_fields (id, tenant_id, mid, is_shared,"
                " data_extension_id, name, field_type, max_length, precision, scale,"
                " is_primary_key, is_required, default_value, ordinal, created_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now())"
                " RETURNING id",
                [uuid4(), ctx.tenant_id, ctx.mid, shared, row_id, f.name, f.type, f.length,
                 f.length if decimal else None, f.scale, f.pk, f.required or f.pk, f.default,
                 ordinal],
            )  # fmt: skip
    return row_id
