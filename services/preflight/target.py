"""The target DE of a check, read from the metadata cache (no MCE call).

Looked up by customer key in the checked BU: its own DE, else its parent's shared DE (REFERENCE
§2.6: a child reaches a shared DE through the parent; row-level security shows a child only
the parent's rows marked shared). A key the BU cannot see (another BU's or tenant's DE, one
never synced, Quarry's own shells, one whose fields are being re-synced) is NOT_FOUND alike.

One statement reads the DE with its fields. Keys compare case-insensitively in MCE, but a key
is almost always written as MCE spells it: the exact comparison is an index probe under RLS,
where ``lower(customer_key)`` (not LEAKPROOF, so not an index condition) scans every DE of the
tenant (20 ms at 5,000 DEs). Only another spelling falls back to that scan.
"""

from __future__ import annotations

import json
from typing import Any

from models import TenantContext, TenantRepository
from services.errors import InvalidInput, NotFound
from services.preflight.report import TargetField, TargetInfo
from tsql import quote_identifier

__all__ = ["MAX_KEY_CHARS", "TARGET_NOT_FOUND", "load_target"]

#: MCE's longest DE CustomerKey (REFERENCE §2.4).
MAX_KEY_CHARS = 200
TARGET_NOT_FOUND = (
    "No data extension with that customer key in this business unit (or shared with it from"
    " its parent). Refresh the metadata if it was created a moment ago."
)

_TARGET_SQL = """
SELECT d.customer_key, d.name, d.mid, d.is_shared,
       COALESCE(json_agg(json_build_object(
           'name', f.name, 'type', f.field_type, 'length', f.max_length,
           'precision', f.precision, 'scale', f.scale, 'key', f.is_primary_key,
           'required', f.is_required, 'default', f.default_value)
         ORDER BY f.ordinal, lower(f.name)) FILTER (WHERE f.id IS NOT NULL), '[]') AS fields
FROM mce_data_extensions d
LEFT JOIN mce_data_extension_fields f
  ON f.tenant_id = d.tenant_id AND f.mid = d.mid AND f.data_extension_id = d.id
WHERE {condition} AND d.fields_complete AND NOT d.is_quarry_asset
GROUP BY d.id
ORDER BY (d.mid = quarry_current_mid()) DESC, d.id
LIMIT 1
"""
_EXACT = _TARGET_SQL.format(condition="d.customer_key = $1")
_ANY_CASE = _TARGET_SQL.format(condition="lower(d.customer_key) = lower($1)")


async def load_target(ctx: TenantContext, target_key: str) -> TargetInfo:
    """The DE ``target_key`` as ``ctx``'s BU sees it, with its fields in MCE's order."""
    key = target_key.strip()
    if not key:
        raise InvalidInput("Name the target data extension's customer key.", field="targetKey")
    if len(key) > MAX_KEY_CHARS or "\x00" in key or ctx.mid is None:
        raise NotFound(TARGET_NOT_FOUND, field="targetKey")
    repo = TenantRepository(ctx)
    rows = await repo.fetch(_EXACT, [key]) or await repo.fetch(_ANY_CASE, [key])
    if not rows:
        raise NotFound(TARGET_NOT_FOUND, field="targetKey")
    row = rows[0]
    shared = bool(row["is_shared"]) and int(row["mid"]) != ctx.mid
    name = str(row["name"])
    return TargetInfo(
        customer_key=str(row["customer_key"]),
        name=name,
        sql_name=f"ENT.{quote_identifier(name)}" if shared else quote_identifier(name),
        mid=int(row["mid"]),
        shared=shared,
        fields=tuple(_field(f) for f in _json(row["fields"])),
    )


def _json(value: Any) -> list[dict[str, Any]]:
    loaded = json.loads(value) if isinstance(value, str) else value
    return [item for item in loaded or () if isinstance(item, dict)]


def _number(value: Any) -> int | None:
    return None if value is None else int(value)


def _field(data: dict[str, Any]) -> TargetField:
    return TargetField(
        name=str(data["name"]),
        field_type=str(data["type"]),
        max_length=_number(data.get("length")),
        precision=_number(data.get("precision")),
        scale=_number(data.get("scale")),
        is_primary_key=bool(data.get("key")),
        is_required=bool(data.get("required")),
        default_value=data.get("default"),
    )
