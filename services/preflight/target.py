"""The target DE of a check, read from the metadata cache (no MCE call).

Looked up by customer key in the checked BU: its own DE, else its parent's shared DE (REFERENCE
§2.6: a child reaches a shared DE through the parent; row-level security shows a child only
the parent's rows marked shared). A key the BU cannot see (another BU's or tenant's DE, one
never synced, Quarry's own shells) is NOT_FOUND alike.
"""

from __future__ import annotations

from models import TenantContext
from services.errors import InvalidInput, NotFound
from services.metadata import queries
from services.preflight.report import TargetField, TargetInfo

__all__ = ["MAX_KEY_CHARS", "TARGET_NOT_FOUND", "load_target"]

#: MCE's longest DE CustomerKey (REFERENCE §2.4).
MAX_KEY_CHARS = 200
TARGET_NOT_FOUND = (
    "No data extension with that customer key in this business unit (or shared with it from"
    " its parent). Refresh the metadata if it was created a moment ago."
)


async def load_target(ctx: TenantContext, target_key: str) -> TargetInfo:
    """The DE ``target_key`` as ``ctx``'s BU sees it, with its fields in MCE's order."""
    key = target_key.strip()
    if not key:
        raise InvalidInput("Name the target data extension's customer key.", field="targetKey")
    if len(key) > MAX_KEY_CHARS or "\x00" in key:
        raise NotFound(TARGET_NOT_FOUND, field="targetKey")
    if ctx.mid is None:
        raise NotFound(TARGET_NOT_FOUND, field="targetKey")
    found = await queries.data_extension_by_key(ctx, key)
    if found is None:
        raise NotFound(TARGET_NOT_FOUND, field="targetKey")
    fields = (await queries.fields_by_data_extension(ctx, [found.id])).get(found.id, [])
    return TargetInfo(
        customer_key=found.customer_key,
        name=found.name,
        sql_name=found.sql_name(ctx.mid),
        mid=found.mid,
        shared=found.shared_from(ctx.mid),
        fields=tuple(
            TargetField(
                name=f.name,
                field_type=f.field_type,
                max_length=f.max_length,
                precision=f.precision,
                scale=f.scale,
                is_primary_key=f.is_primary_key,
                is_required=f.is_required,
                default_value=f.default_value,
            )
            for f in fields
        ),
    )
